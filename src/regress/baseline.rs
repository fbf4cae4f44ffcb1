//! `mscheck baseline RESULTS`: an expectations file that lists every current failure of a run,
//! each with the failure's one-line message as its reason, so that a new implementation's CI
//! starts green and fails only on regressions.

use crate::results::Outcome;
use crate::results::RunReport;
use std::fmt::Write;

/// The expectations file for a run's failures (failed, errored and expected failures), and the
/// proposals it found not implemented.
pub fn baseline(run: &RunReport) -> String {
    let (implementation, version) = run
        .targets
        .first()
        .map(|t| (t.implementation.as_str(), t.version.as_str()))
        .unwrap_or(("unknown", "unknown"));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Known failures of {implementation} {version}, written by `mscheck baseline` from a run at {}.\n# Each reason is the failure the run saw; replace it with what you know. Entries that start\n# to pass are reported as unexpected passes: remove them then.",
        run.revisions
            .iter()
            .map(|(p, r)| format!("{p}={r}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "implementation: {}", yaml_text(implementation));
    let _ = writeln!(s, "version: {}", yaml_text(version));
    // A proposal the server lacks is one entry: its scenarios (and the steps of others judging
    // its requirements) are then expected to end "not implemented", not listed one by one.
    let absent = &run.stats.absent;
    if !absent.is_empty() {
        s.push_str("not_implemented:\n");
        for a in absent {
            let proposal = a.group.split_whitespace().next().unwrap_or(&a.group);
            let _ = writeln!(s, "  - proposal: {proposal}");
            let _ = writeln!(s, "    reason: {}", yaml_text(&a.why));
        }
    }
    let taken_by_absence = |id: &str| absent.iter().any(|a| a.scenarios.iter().any(|x| x == id));
    let failing: Vec<_> = run
        .scenarios
        .iter()
        .filter(|r| {
            matches!(
                r.outcome,
                Outcome::Failed | Outcome::Errored | Outcome::ExpectedFailure
            ) && !taken_by_absence(&r.id)
        })
        .collect();
    if failing.is_empty() {
        s.push_str("expected_failures: []\n");
        return s;
    }
    s.push_str("expected_failures:\n");
    for r in failing {
        let why = r
            .failure
            .as_ref()
            .map(|f| {
                format!(
                    "step `{}`: {}",
                    f.step,
                    f.message.lines().next().unwrap_or("").trim()
                )
            })
            .or_else(|| r.reason.clone())
            .unwrap_or_else(|| "failed".into());
        let _ = writeln!(s, "  - scenario: {}", r.id);
        let _ = writeln!(s, "    revision: {}", r.revision);
        let _ = writeln!(s, "    reason: {}", yaml_text(&why));
    }
    s
}

/// A YAML scalar that reads back as the same text (JSON strings are YAML).
fn yaml_text(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}
