//! `summary.md`: the compliance matrix in Markdown (what a CI job posts as its summary): the
//! targets and revisions, a verdict per proposal, one row per requirement, then what was
//! observed, transcripts and snapshots, and every failure in full.

use crate::report::words::Label;
use crate::results::rollup::{by_group, GroupVerdict, RequirementStatus};
use crate::results::RunReport;
use crate::results::{Outcome, RunStats, ScenarioResult};
use std::fmt::Write;

/// The Markdown summary of a run.
pub fn render(report: &RunReport) -> String {
    let mut s = String::from("# mscheck compliance report\n\n");
    header(&mut s, report);
    proposals(&mut s, &report.requirements, &report.stats);
    requirements(&mut s, &report.requirements);
    observed(&mut s, &report.scenarios);
    if let Some(note) = report.stats.transcripts_note() {
        let _ = write!(s, "\n## Transcripts\n\n{note}.\n");
    }
    snapshots(&mut s, &report.scenarios, &report.stats);
    failures(&mut s, &report.scenarios);
    s
}

/// The servers, the revisions checked, and the run's verdict.
fn header(s: &mut String, report: &RunReport) {
    for t in &report.targets {
        let how = if t.managed {
            "managed".to_string()
        } else {
            format!("identified by {}", t.identified_by)
        };
        let _ = writeln!(
            s,
            "- **{}**: {} {} (`{}`), {how}",
            t.name, t.implementation, t.version, t.server_name
        );
    }
    for (p, r) in &report.revisions {
        let _ = writeln!(
            s,
            "- **{}** at revision `{}` ({})",
            p.title(),
            r,
            r.commit(*p)
        );
    }
    let stats = &report.stats;
    let verdict = if stats.success() { "PASSED" } else { "FAILED" };
    let _ = write!(
        s,
        "\n**{verdict}**: {} ({} ms)\n",
        stats.counts(),
        stats.duration_ms
    );
}

/// Per proposal, as the requirements of this run's revisions group them (a server may implement
/// MSC4354 without MSC4480's sliding-sync extension), and each proposal the server lacks as one
/// finding rather than a failure per scenario.
fn proposals(s: &mut String, reqs: &[RequirementStatus], stats: &RunStats) {
    s.push_str("\n| proposal | pass | fail | expected failures | not run | verdict |\n|---|---|---|---|---|---|\n");
    for (group, rows) in &by_group(reqs) {
        let v = GroupVerdict::of(rows);
        let _ = writeln!(
            s,
            "| {group} | {} | {} | {} | {} | {} |",
            v.pass,
            v.fail,
            v.expected,
            v.other + v.absent,
            v.word()
        );
    }
    for a in &stats.absent {
        let known = a
            .known
            .as_ref()
            .map(|k| format!(" (expected: {k})"))
            .unwrap_or_default();
        let _ = write!(
            s,
            "\n**{} is not implemented**: {}; its {} scenarios were not run{known}.\n",
            a.group,
            a.why,
            a.scenarios.len()
        );
    }
}

/// One table per proposal, a row per requirement.
fn requirements(s: &mut String, reqs: &[RequirementStatus]) {
    for (group, rows) in by_group(reqs) {
        let _ = write!(s, "\n## {group}\n\n| ID | strength | requirement | result | scenarios |\n|---|---|---|---|---|\n");
        for r in rows {
            let sc: Vec<String> = r
                .scenarios
                .iter()
                .map(|(id, o)| format!("`{id}` {}", o.label()))
                .collect();
            let mut notes = r
                .inferred
                .as_ref()
                .map(|why| format!(" *(inferred: {why})*"))
                .unwrap_or_default();
            if let Some(what) = &r.merged {
                let _ = write!(notes, " *(changed since the checked text: {what})*");
            }
            let _ = writeln!(
                s,
                "| {} | {} | {}{notes} | {} | {} |",
                r.id,
                r.strength,
                r.summary,
                crate::report::words::markdown(r.status),
                sc.join("<br>")
            );
        }
    }
}

/// Where the text allows several behaviours or only asks to report one, what the server did;
/// none of it passes or fails a scenario.
fn observed(s: &mut String, results: &[ScenarioResult]) {
    let observed: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| !r.observations.is_empty())
        .collect();
    if observed.is_empty() {
        return;
    }
    s.push_str("\n## Observed behaviour\n\n| scenario | step | observed |\n|---|---|---|\n");
    for r in observed {
        for o in &r.observations {
            let shown = o.display().replace('|', "\\|");
            let _ = writeln!(s, "| `{}` | {} | `{shown}` |", r.id, o.step);
        }
    }
}

/// The snapshot counts, and the new and changed ones.
fn snapshots(s: &mut String, results: &[ScenarioResult], stats: &RunStats) {
    let Some(counts) = stats.snapshots.sentence() else {
        return;
    };
    let strict = if stats.snapshots_strict {
        " (except that `--snapshots strict` fails the run on changed ones)"
    } else {
        ""
    };
    let _ = write!(s, "\n## Snapshots\n\n{counts}. Snapshots record how this implementation answers; they are not requirements and decide no scenario{strict}.\n");
    let listed: Vec<(&ScenarioResult, &crate::results::SnapshotRecord)> = results
        .iter()
        .flat_map(|r| r.snapshots.iter().map(move |snap| (r, snap)))
        .filter(|(_, snap)| snap.status.is_news())
        .collect();
    if listed.is_empty() {
        return;
    }
    s.push_str("\n| scenario | step | snapshot | status |\n|---|---|---|---|\n");
    for (r, snap) in listed {
        let _ = writeln!(
            s,
            "| `{}` | {} | `{}` | {} |",
            r.id,
            snap.step,
            snap.name,
            snap.status.word()
        );
    }
}

/// Every scenario that did not simply pass, with its failure in full.
fn failures(s: &mut String, results: &[ScenarioResult]) {
    let bad: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| {
            r.outcome.is_bad() || matches!(r.outcome, Outcome::ExpectedFailure | Outcome::Warned)
        })
        .collect();
    if bad.is_empty() {
        return;
    }
    s.push_str("\n## Failures\n");
    for r in bad {
        let _ = write!(s, "\n### {} `{}`\n\n", r.outcome.label(), r.id);
        if let Some(reason) = &r.reason {
            let _ = write!(s, "Known: {reason}\n\n");
        }
        let _ = write!(s, "```\n{}```\n", super::failure::text(r, ""));
    }
}
