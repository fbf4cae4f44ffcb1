//! `mscheck list` and `mscheck requirements`: what a selection would run, and the catalogue with
//! the scenarios covering each requirement, as text for people or JSON for scripts.

use super::args::{FaultsArgs, ListArgs, OutputFormat, RequirementsArgs, SelectArgs};
use super::preview;
use super::request;
use crate::catalogue::Revision;
use crate::error::Error;
use crate::plan;
use crate::runner::applicable::Applicable;
use crate::scenario::Scenario;
use crate::session::{self, Loaded};
use serde::Serialize;
use std::io::Write;

fn load_selected(sel: &SelectArgs) -> Result<(Loaded, plan::Selection), Error> {
    let mut req = request::select_request(sel)?;
    let loaded = session::load(req.root.as_deref(), &req.suites)?;
    req.requirements = session::check_requirements(&loaded.catalogue, &req.requirements)?;
    Ok((loaded, session::selection(&req)))
}

/// What matches nothing is bad input, as for `run`.
fn nothing_matches() -> Error {
    Error::Usage(
        "no scenario matches the given --suite/--filter/--requirement/--revision/--partition"
            .into(),
    )
}

/// One scenario of `list --format json`.
#[derive(Serialize)]
struct ScenarioRow<'a> {
    id: &'a str,
    name: &'a str,
    suite: &'a str,
    proposal: String,
    revisions: Vec<&'static str>,
    covers: &'a [String],
    file: String,
    /// With a target to preview: `runs`, `skipped` or `depends`.
    #[serde(skip_serializing_if = "Option::is_none")]
    on_target: Option<&'static str>,
    /// Why it is skipped, or what it depends on.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub(super) fn list(a: ListArgs) -> Result<(), Error> {
    let (loaded, sel) = load_selected(&a.select)?;
    let picked = plan::select(&loaded.scenarios, &sel);
    if picked.is_empty() {
        return Err(nothing_matches());
    }
    let preview = preview::Preview::from_args(&a, &loaded)?;
    let rows: Vec<ScenarioRow> = picked
        .iter()
        .map(|s| {
            let (on_target, reason) = match preview.as_ref().map(|p| p.judge(s)) {
                None => (None, None),
                Some(Applicable::Runs) => (Some("runs"), None),
                Some(Applicable::Skipped(r)) => (Some("skipped"), Some(r)),
                Some(Applicable::Depends(r)) => (Some("depends"), Some(r)),
            };
            ScenarioRow {
                id: &s.id,
                name: &s.name,
                suite: &s.suite,
                proposal: s.proposal.to_string(),
                revisions: s.revisions.iter().map(|r| r.name()).collect(),
                covers: &s.covers,
                file: s.file.display().to_string(),
                on_target,
                reason,
            }
        })
        .collect();
    let text = match a.format {
        OutputFormat::Json => json(&rows),
        OutputFormat::Text => {
            let mut text: String = rows
                .iter()
                .map(|r| {
                    let line = format!(
                        "{:<60} [{}] {} ({})\n",
                        r.id,
                        r.covers.join(", "),
                        r.name,
                        r.revisions.join("/")
                    );
                    match (r.on_target, &r.reason) {
                        (Some("skipped"), Some(why)) => format!("{line}    skipped: {why}\n"),
                        _ => line,
                    }
                })
                .collect();
            if let Some(p) = &preview {
                text.push_str(&preview_summary(&p.describe(), &rows));
            }
            text
        }
    };
    print_out(&text);
    Ok(())
}

/// "managed target …: 3 run, 4 skipped, 71 decided when the server answers:", then the
/// undecided ones counted by what they depend on.
fn preview_summary(target: &str, rows: &[ScenarioRow]) -> String {
    let count = |w: &str| rows.iter().filter(|r| r.on_target == Some(w)).count();
    let mut depends: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in rows.iter().filter(|r| r.on_target == Some("depends")) {
        *depends
            .entry(r.reason.as_deref().unwrap_or(""))
            .or_default() += 1;
    }
    let mut text = format!(
        "\n{target}: {} run, {} skipped, {} decided when the server answers{}\n",
        count("runs"),
        count("skipped"),
        count("depends"),
        if depends.is_empty() { "" } else { ":" }
    );
    for (why, n) in depends {
        text.push_str(&format!("  {n:>3}: {why}\n"));
    }
    text
}

/// `requirements --proof`: what stands behind each verdict of the selection (see [`crate::proof`]).
fn proof_text(
    loaded: &Loaded,
    sel: &plan::Selection,
    selected: &[Scenario],
    only_ids: bool,
) -> Result<String, Error> {
    let fixtures = loaded.root.join("fixtures");
    let faults = crate::fault::load_faults(&fixtures.join("faults.yaml"))?;
    let exemptions =
        crate::proof::load_exemptions(&fixtures.join("proof-exemptions.yaml"), &loaded.scenarios)?;
    let pairs: Vec<_> = crate::proof::pairs(selected, &faults, &exemptions)
        .into_iter()
        .filter(|p| !only_ids || sel.requirements.contains(&p.requirement))
        .collect();
    let mutants = crate::proof::read_mutation_score(&fixtures.join("mutation-score.txt"));
    Ok(crate::proof::render(
        &loaded.catalogue,
        &pairs,
        |p| sel.revision(p),
        &mutants,
    ))
}

/// `requirements --surfaces` of the selection, at its revisions (the scenarios are theirs).
fn surfaces_of(
    loaded: &Loaded,
    sel: &plan::Selection,
    selected: &[Scenario],
    only_ids: bool,
) -> String {
    let all = crate::surface_coverage::coverage(&loaded.catalogue, selected);
    let at_revision = |id: &str| {
        loaded
            .catalogue
            .get(id)
            .is_some_and(|r| r.revisions.contains(&sel.revision(r.proposal)))
    };
    let shown: Vec<_> = all
        .iter()
        .filter(|c| !only_ids || sel.requirements.contains(&c.id))
        .filter(|c| at_revision(&c.id))
        .collect();
    surfaces_text(&shown)
}

/// `requirements --surfaces`: each declared surface with what judges it, then the count of gaps.
fn surfaces_text(all: &[&crate::surface_coverage::Coverage]) -> String {
    let mut text = String::new();
    let mut gaps = 0;
    for c in all {
        let none = if c.declared.is_empty() {
            "  (declares no surface)"
        } else {
            ""
        };
        text.push_str(&format!("{}{none}\n", c.id));
        for j in &c.declared {
            let what = match (&j.by[..], &j.unjudged) {
                ([], Some(why)) => format!("not judged: {why}"),
                ([], None) => {
                    gaps += 1;
                    "NOT JUDGED".to_string()
                }
                (by, _) => format!("judged by {}", by.join(", ")),
            };
            text.push_str(&format!("  {:<28} {what}\n", j.surface.to_string()));
        }
        let also = if c.declared.is_empty() {
            "judged"
        } else {
            "also judged (not declared)"
        };
        for (s, by) in &c.undeclared {
            text.push_str(&format!(
                "  {:<28} {also} by {}\n",
                s.to_string(),
                by.join(", ")
            ));
        }
    }
    let declared: usize = all.iter().map(|c| c.declared.len()).sum();
    let declaring = all.iter().filter(|c| !c.declared.is_empty()).count();
    text.push_str(&format!(
        "\n{declaring} requirements declare {declared} surfaces; {gaps} judged by no step and not explained; {} judged but declaring none\n",
        all.len() - declaring
    ));
    text
}

/// One requirement of `requirements --format json`.
#[derive(Serialize)]
struct RequirementRow<'a> {
    id: &'a str,
    strength: &'a str,
    revision: &'static str,
    proposal: String,
    /// The proposal it is reported under at this revision (MSC4480 for the extension).
    group: &'static str,
    /// Whether that is another proposal than its own.
    #[serde(skip)]
    moved: bool,
    summary: &'a str,
    how: &'a str,
    covered_by: Vec<&'a str>,
    /// Why no scenario covers it, when none does.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_covered: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inferred: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_since_checked_text: Option<&'a str>,
}

pub(super) fn requirements(args: RequirementsArgs) -> Result<(), Error> {
    let mut select = args.select.clone();
    select.requirement.extend(args.ids.iter().cloned());
    let (loaded, sel) = load_selected(&select)?;
    // IDs given (`S-13`, `--requirement S-13`) list just those; `--suite`, `--filter` and
    // `--partition` narrow the listing to the requirements the selected scenarios cover, each
    // with those scenarios only; without any, the whole catalogue.
    let only_ids = !sel.requirements.is_empty();
    let narrowed =
        only_ids || !sel.suites.is_empty() || !sel.filters.is_empty() || sel.partition.is_some();
    let selected: Vec<Scenario> = plan::select(&loaded.scenarios, &sel)
        .into_iter()
        .cloned()
        .collect();
    if narrowed && !only_ids && selected.is_empty() {
        return Err(nothing_matches());
    }
    if args.proof {
        return proof_text(&loaded, &sel, &selected, only_ids).map(|t| print_out(&t));
    }
    if args.surfaces {
        print_out(&surfaces_of(&loaded, &sel, &selected, only_ids));
        return Ok(());
    }
    let mut rows = Vec::new();
    for req in loaded.catalogue.all() {
        let rev = sel.revision(req.proposal);
        if !req.revisions.contains(&rev) {
            continue;
        }
        let covered_by: Vec<&str> = selected
            .iter()
            .filter(|s| s.covers.contains(&req.id) && s.revisions.contains(&rev))
            .map(|s| s.id.as_str())
            .collect();
        let listed = if only_ids {
            sel.requirements.contains(&req.id)
        } else {
            !narrowed || !covered_by.is_empty()
        };
        if !listed {
            continue;
        }
        let not_covered = covered_by.is_empty().then(|| {
            if !req.testable() {
                "not testable by a server harness (client rule)".to_string()
            } else if let Some(why) = &req.uncovered {
                format!("not covered: {why}")
            } else {
                format!("not covered yet (needs {})", req.how)
            }
        });
        rows.push(RequirementRow {
            id: &req.id,
            strength: req.strength.word(),
            revision: rev.name(),
            proposal: req.proposal.to_string(),
            group: req.reported_under(rev),
            moved: req.reported_under(rev) != req.proposal.title(),
            summary: &req.summary,
            how: &req.how,
            covered_by,
            not_covered,
            inferred: req.inferred.as_deref(),
            changed_since_checked_text: match rev {
                Revision::Newest => req.merged.as_deref(),
                Revision::Seed => None,
            },
        });
    }
    let text = match args.format {
        OutputFormat::Json => json(&rows),
        OutputFormat::Text => rows.iter().map(requirement_line).collect(),
    };
    print_out(&text);
    Ok(())
}

/// `S-13   MUST       newest   summary [group] (inferred: …) — covered by …`.
fn requirement_line(r: &RequirementRow) -> String {
    let moved = if r.moved {
        format!(" [{}]", r.group)
    } else {
        String::new()
    };
    let mut notes = r
        .inferred
        .map(|why| format!(" (inferred: {why})"))
        .unwrap_or_default();
    if let Some(what) = r.changed_since_checked_text {
        notes.push_str(&format!(" (changed since the checked text: {what})"));
    }
    let status = match &r.not_covered {
        Some(why) => why.clone(),
        None => format!("covered by {}", r.covered_by.join(", ")),
    };
    format!(
        "{:<6} {:<10} {:<8} {}{moved}{notes} — {status}\n",
        r.id, r.strength, r.revision, r.summary
    )
}

/// `mscheck faults`: `name  [IDs it breaks | control]  summary`, one a line.
pub(super) fn faults(a: FaultsArgs) -> Result<(), Error> {
    let loaded = session::load(a.root.as_deref(), &[])?;
    if a.mutants {
        let equivalents = crate::mutants::load_equivalents(
            &loaded.root.join("fixtures").join("mutant-equivalents.yaml"),
        )
        .map_err(Error::Usage)?;
        let text: String = crate::mutants::generate(&loaded.catalogue)
            .iter()
            .map(|m| {
                let eq = equivalents.iter().find(|e| e.covers(m));
                let note = eq.map_or(String::new(), |e| format!(" (equivalent: {})", e.reason));
                format!(
                    "{:<64} [{}] {}{note}\n",
                    m.name, m.requirement, m.fault.summary
                )
            })
            .collect();
        print_out(&text);
        return Ok(());
    }
    let faults = crate::fault::load_faults(&loaded.root.join("fixtures").join("faults.yaml"))?;
    let text: String = faults
        .values()
        .map(|f| {
            let what = if f.is_control() {
                "control: a correct server keeps its verdicts".to_string()
            } else {
                f.breaks.join(", ")
            };
            format!("{:<40} [{what}] {}\n", f.name, f.summary)
        })
        .collect();
    print_out(&text);
    Ok(())
}

fn json<T: Serialize>(rows: &T) -> String {
    serde_json::to_string_pretty(rows).unwrap_or_default() + "\n"
}

/// Writes to standard output; a closed pipe (`| head`) ends the output quietly.
fn print_out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
