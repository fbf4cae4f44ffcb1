//! The report folder: `results.json`, `junit.xml`, `summary.md` and `transcripts/`.
//! Homeserver logs are written there by the managed servers themselves (`homeservers/<hs>/`).

use super::results::{RunReport, SelectionInfo, WriteError, SCHEMA_VERSION};
use super::rollup::{rollup, RequirementStatus};
use super::Reporter;
use crate::catalogue::{Catalogue, Proposal, Revision};
use crate::runner::events::{EventKind, Outcome, RunEvent, RunStats, ScenarioResult, TargetInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Writes the report folder.
pub struct Files {
    dir: PathBuf,
    catalogue: Catalogue,
    revisions: BTreeMap<Proposal, Revision>,
    covering: BTreeMap<String, Vec<String>>,
    targets: Vec<TargetInfo>,
    results: Vec<ScenarioResult>,
    partition: Option<String>,
    selection: SelectionInfo,
    faults: Vec<String>,
    started_at: Option<String>,
    /// The first write error, reported at the end (the run then exits 5).
    pub error: Option<super::results::WriteError>,
    /// The run's report, once the run has finished.
    pub report: Option<RunReport>,
}

impl Files {
    /// A reporter writing into `dir`. `covering` maps requirement IDs to every scenario covering
    /// them (selected or not), to tell "not run" from "uncovered".
    pub fn new(
        dir: PathBuf,
        catalogue: Catalogue,
        revisions: BTreeMap<Proposal, Revision>,
        covering: BTreeMap<String, Vec<String>>,
        partition: Option<String>,
        selection: SelectionInfo,
        faults: Vec<String>,
    ) -> Self {
        Files {
            dir,
            catalogue,
            revisions,
            covering,
            targets: Vec::new(),
            results: Vec::new(),
            partition,
            selection,
            faults,
            started_at: None,
            error: None,
            report: None,
        }
    }

    fn write(&mut self, name: &str, text: &str) {
        use super::results::WriteError;
        // Names come from scenario ids (suite folder and file stem); a name that would leave
        // the report folder is refused rather than written elsewhere.
        let Some(p) = crate::util::join_under(&self.dir, name) else {
            self.error.get_or_insert(WriteError {
                action: "write",
                path: self.dir.join(crate::util::escape_control(name)),
                source: std::io::Error::other("the name leaves the report folder"),
            });
            return;
        };
        let written = match p.parent() {
            Some(parent) => std::fs::create_dir_all(parent),
            None => Ok(()),
        }
        .and_then(|_| std::fs::write(&p, text));
        if let Err(e) = written {
            self.error.get_or_insert(WriteError {
                action: "write",
                path: p,
                source: e,
            });
        }
    }
}

impl Reporter for Files {
    fn event(&mut self, ev: &RunEvent) {
        match &ev.kind {
            EventKind::RunStarted { .. } => {
                let started = crate::util::now_ms() - ev.elapsed.as_millis() as i64;
                self.started_at = Some(crate::util::utc_timestamp(started));
            }
            EventKind::TargetReady { target } => self.targets.push(target.clone()),
            EventKind::ScenarioFinished { result, transcript } => {
                if let Some(t) = &result.transcript {
                    self.write(t, transcript);
                }
                self.results.push((**result).clone());
            }
            EventKind::RunFinished { stats } => {
                let requirements = rollup(
                    &self.catalogue,
                    &self.revisions,
                    &self.results,
                    &self.covering,
                );
                let report = RunReport {
                    schema_version: SCHEMA_VERSION,
                    mscheck_version: env!("CARGO_PKG_VERSION").to_string(),
                    started_at: self.started_at.clone(),
                    revisions: self.revisions.clone(),
                    targets: self.targets.clone(),
                    partition: self.partition.clone(),
                    selection: self.selection.clone(),
                    faults: self.faults.clone(),
                    stats: stats.clone(),
                    scenarios: self.results.clone(),
                    requirements,
                };
                if let Err(e) = write_report(&report, &self.dir) {
                    self.error.get_or_insert(e);
                }
                self.report = Some(report);
            }
            _ => {}
        }
    }
}

/// Writes `results.json`, `junit.xml`, `summary.md` and `report.html` into `dir`.
pub fn write_report(report: &RunReport, dir: &Path) -> Result<(), WriteError> {
    let json = serde_json::to_string_pretty(report).map_err(|e| WriteError {
        action: "serialise",
        path: dir.join("results.json"),
        source: std::io::Error::other(e),
    })?;
    let files = [
        ("results.json", json),
        ("junit.xml", junit(&report.scenarios, &report.stats)),
        (
            "summary.md",
            markdown(
                &report.scenarios,
                &report.requirements,
                &report.targets,
                &report.revisions,
                &report.stats,
            ),
        ),
        ("report.html", super::html::render(report, dir)),
    ];
    std::fs::create_dir_all(dir).map_err(|e| WriteError {
        action: "create",
        path: dir.to_path_buf(),
        source: e,
    })?;
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| WriteError {
            action: "write",
            path: p.clone(),
            source: e,
        })?;
    }
    Ok(())
}

/// What a scenario that ended with a recommendation not met says, in one line.
fn warned_message(r: &ScenarioResult) -> String {
    format!(
        "recommendation not met (SHOULD, SHOULD NOT or MAY): {}",
        r.failure
            .as_ref()
            .and_then(|f| f.message.lines().next())
            .unwrap_or("")
    )
}

/// JUnit XML: one test suite per suite folder, one test case per scenario.
pub fn junit(results: &[ScenarioResult], stats: &RunStats) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("mscheck");
    report.set_time(std::time::Duration::from_millis(stats.duration_ms));
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in results {
        let suite = suites
            .entry(r.suite.as_str())
            .or_insert_with(|| TestSuite::new(r.suite.clone()));
        let status = match r.outcome {
            Outcome::Passed | Outcome::ExpectedFailure => {
                let mut s = TestCaseStatus::success();
                if let (Outcome::ExpectedFailure, Some(reason)) = (r.outcome, &r.reason) {
                    if let TestCaseStatus::Success { .. } = s {
                        s = TestCaseStatus::Success { flaky_runs: vec![] };
                    }
                    let _ = reason;
                }
                s
            }
            Outcome::Skipped => {
                let mut s = TestCaseStatus::skipped();
                if let Some(reason) = &r.reason {
                    s.set_message(reason.clone());
                }
                s
            }
            // A recommendation not met: a failure only under --strict; else a pass that says so.
            Outcome::Warned if stats.strict => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("recommendation_not_met");
                s.set_message(warned_message(r));
                s
            }
            Outcome::Warned => TestCaseStatus::success(),
            Outcome::NotImplemented => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("not_implemented");
                s.set_message(r.reason.clone().unwrap_or_default());
                s
            }
            Outcome::Failed | Outcome::Errored | Outcome::UnexpectedPass => {
                let kind = if r.outcome == Outcome::Errored {
                    NonSuccessKind::Error
                } else {
                    NonSuccessKind::Failure
                };
                let mut s = TestCaseStatus::non_success(kind);
                let msg = match (&r.failure, r.outcome) {
                    (_, Outcome::UnexpectedPass) => format!(
                        "unexpected pass: the expectations file says `{}`",
                        r.reason.clone().unwrap_or_default()
                    ),
                    (Some(f), _) => f.message.lines().next().unwrap_or("").to_string(),
                    _ => String::new(),
                };
                s.set_message(msg);
                if let Some(kind) = r.failure.as_ref().and_then(|f| f.kind) {
                    s.set_type(kind.word());
                }
                s.set_description(super::failure::text(r, ""));
                s
            }
        };
        let mut tc = TestCase::new(r.id.clone(), status);
        tc.set_classname(format!("{}.{}", r.proposal, r.revision));
        tc.set_time(std::time::Duration::from_millis(r.duration_ms));
        let mut out = String::new();
        if r.outcome == Outcome::ExpectedFailure {
            out.push_str(&format!(
                "expected failure: {}\n{}",
                r.reason.clone().unwrap_or_default(),
                super::failure::text(r, "")
            ));
        }
        if r.outcome == Outcome::Warned && !stats.strict {
            out.push_str(&format!(
                "{}\n{}",
                warned_message(r),
                super::failure::text(r, "")
            ));
        }
        for snap in &r.snapshots {
            if snap.status.is_news() {
                out.push_str(&format!("{}\n", snap.line()));
            }
        }
        if !out.is_empty() {
            tc.set_system_out(out);
        }
        tc.properties
            .push(quick_junit::Property::new("covers", r.covers.join(",")));
        for note in &r.spec_moved {
            tc.properties.push(quick_junit::Property::new(
                "changed_since_checked_text",
                note.as_str(),
            ));
        }
        suite.add_test_case(tc);
    }
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}

/// The Markdown compliance matrix.
pub fn markdown(
    results: &[ScenarioResult],
    reqs: &[RequirementStatus],
    targets: &[TargetInfo],
    revisions: &BTreeMap<Proposal, Revision>,
    stats: &RunStats,
) -> String {
    let mut s = String::from("# mscheck compliance report\n\n");
    for t in targets {
        s.push_str(&format!(
            "- **{}**: {} {} (`{}`), {}\n",
            t.name,
            t.implementation,
            t.version,
            t.server_name,
            if t.managed {
                "managed".to_string()
            } else {
                format!("identified by {}", t.identified_by)
            }
        ));
    }
    for (p, r) in revisions {
        s.push_str(&format!(
            "- **{}** at revision `{}` ({})\n",
            p.title(),
            r,
            r.commit(*p)
        ));
    }
    s.push_str(&format!(
        "
**{}**: {} ({} ms)
",
        if stats.success() { "PASSED" } else { "FAILED" },
        stats.counts(),
        stats.duration_ms
    ));
    let groups = super::rollup::by_group(reqs);
    // Per proposal, as the requirements of this run's revisions group them: a server may
    // implement MSC4354 without MSC4480's sliding-sync extension.
    s.push_str("\n| proposal | pass | fail | expected failures | not run | verdict |\n|---|---|---|---|---|---|\n");
    for (group, rows) in &groups {
        let v = super::rollup::GroupVerdict::of(rows);
        s.push_str(&format!(
            "| {group} | {} | {} | {} | {} | {} |\n",
            v.pass,
            v.fail,
            v.expected,
            v.other + v.absent,
            v.word()
        ));
    }
    // A proposal the server lacks is one finding, not a failure per scenario.
    for a in &stats.absent {
        s.push_str(&format!(
            "\n**{} is not implemented**: {}; its {} scenarios were not run{}.\n",
            a.group,
            a.why,
            a.scenarios.len(),
            a.known
                .as_ref()
                .map(|k| format!(" (expected: {k})"))
                .unwrap_or_default()
        ));
    }
    for (group, rows) in groups {
        s.push_str(&format!("\n## {group}\n\n| ID | strength | requirement | result | scenarios |\n|---|---|---|---|---|\n"));
        for r in rows {
            let sc: Vec<String> = r
                .scenarios
                .iter()
                .map(|(id, o)| format!("`{id}` {}", o.label()))
                .collect();
            let inferred = r
                .inferred
                .as_ref()
                .map(|why| format!(" *(inferred: {why})*"))
                .unwrap_or_default();
            let inferred = match &r.merged {
                Some(what) => format!("{inferred} *(changed since the checked text: {what})*"),
                None => inferred,
            };
            s.push_str(&format!(
                "| {} | {} | {}{inferred} | {} | {} |\n",
                r.id,
                r.strength,
                r.summary,
                r.status.markdown(),
                sc.join("<br>")
            ));
        }
    }
    let observed: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| !r.observations.is_empty())
        .collect();
    if !observed.is_empty() {
        // Where the text allows several behaviours or only asks to report one, this is what the
        // server did; none of it passes or fails a scenario.
        s.push_str("\n## Observed behaviour\n\n| scenario | step | observed |\n|---|---|---|\n");
        for r in observed {
            for o in &r.observations {
                s.push_str(&format!(
                    "| `{}` | {} | `{}` |\n",
                    r.id,
                    o.step,
                    o.display().replace('|', "\\|")
                ));
            }
        }
    }
    if let Some(note) = stats.transcripts_note() {
        s.push_str(&format!("\n## Transcripts\n\n{note}.\n"));
    }
    if let Some(counts) = stats.snapshots.sentence() {
        s.push_str(&format!("\n## Snapshots\n\n{counts}. Snapshots record how this implementation answers; they are not requirements and decide no scenario{}.\n", if stats.snapshots_strict { " (except that `--snapshots strict` fails the run on changed ones)" } else { "" }));
        let listed: Vec<(&ScenarioResult, &crate::snapshot::SnapshotRecord)> = results
            .iter()
            .flat_map(|r| r.snapshots.iter().map(move |snap| (r, snap)))
            .filter(|(_, snap)| snap.status.is_news())
            .collect();
        if !listed.is_empty() {
            s.push_str("\n| scenario | step | snapshot | status |\n|---|---|---|---|\n");
            for (r, snap) in listed {
                s.push_str(&format!(
                    "| `{}` | {} | `{}` | {} |\n",
                    r.id,
                    snap.step,
                    snap.name,
                    snap.status.word()
                ));
            }
        }
    }
    let bad: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| {
            r.outcome.is_bad() || matches!(r.outcome, Outcome::ExpectedFailure | Outcome::Warned)
        })
        .collect();
    if !bad.is_empty() {
        s.push_str("\n## Failures\n");
        for r in bad {
            s.push_str(&format!("\n### {} `{}`\n\n", r.outcome.label(), r.id));
            if let Some(reason) = &r.reason {
                s.push_str(&format!("Known: {reason}\n\n"));
            }
            s.push_str(&format!("```\n{}```\n", super::failure::text(r, "")));
        }
    }
    s
}
