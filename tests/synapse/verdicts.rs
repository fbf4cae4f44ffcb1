//! Verdicts that must not depend on mscheck's own clock or on how strong a rule is: a correct
//! server seen through a clock that runs 20 s behind or ahead keeps every verdict, and a
//! recommendation not met is a warning that fails the run only under `--strict`.

use super::controls;
use crate::common::{mscheck, outcomes, requirement_statuses, results, text};

/// What in a scenario file shows that its verdict rests on time: holds to a moment, sampled
/// lifetimes, server timestamps compared or handed over, an appservice's timestamp.
const TIME_MARKERS: &[&str] = &[
    "hold_until",
    "sample:",
    "origin_server_ts",
    "server_now",
    "server_before",
    ", ts: ",
];

/// The newest-revision scenarios that judge time, by the markers above.
pub fn time_scenarios() -> Vec<String> {
    let (scenarios, _, _) = super::sweep::shipped();
    scenarios
        .iter()
        .filter(|s| s.revisions.contains(&mscheck::catalogue::Revision::Newest))
        .filter(|s| {
            let text = std::fs::read_to_string(&s.file).unwrap_or_default();
            TIME_MARKERS.iter().any(|m| text.contains(m))
        })
        .map(|s| s.id.clone())
        .collect()
}

/// Both clock controls (started with the other controls, see `controls`) over the scenarios
/// that judge time; each outcome must be the unfaulted newest control's.
pub fn clock_skew_keeps_verdicts() {
    let ids = time_scenarios();
    assert!(ids.len() >= 10, "time-judging scenarios found: {ids:?}");
    let control = controls::newest();
    let mut differences = Vec::new();
    for (fault, r, exit, output) in controls::skewed() {
        for (id, outcome) in outcomes(&r) {
            let before = control
                .scenario(&id)
                .and_then(|s| s["outcome"].as_str())
                .unwrap_or("missing");
            if before != outcome {
                differences.push(format!("{fault}: {id} {before} -> {outcome}"));
            }
        }
        assert_eq!(outcomes(&r).len(), ids.len(), "{fault}: {output}");
        assert_eq!(exit, control.exit, "{fault}: {differences:?}\n{output}");
    }
    assert!(differences.is_empty(), "{differences:?}");
}

/// S-31 (SHOULD) broken on purpose: the scenario ends `warned`, S-31 is a `warning`, the run
/// passes; under `--strict` it fails.
pub fn a_recommendation_not_met_warns() {
    for strict in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = mscheck();
        cmd.args([
            "run",
            "--filter",
            "fake-sticky-push-order",
            "--inject",
            "sticky-pushed-out-of-order",
            "--report-dir",
        ])
        .arg(dir.path());
        if strict {
            cmd.arg("--strict");
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(if strict { 1 } else { 0 }),
            "{}",
            text(&out)
        );
        assert!(
            text(&out).contains("WARN federation/fake-sticky-push-order"),
            "{}",
            text(&out)
        );
        let r = results(dir.path());
        assert_eq!(r["scenarios"][0]["outcome"], "warned");
        let status: std::collections::BTreeMap<String, String> =
            requirement_statuses(&r).into_iter().collect();
        assert_eq!(status["S-31"], "warning");
        assert_eq!(status["S-10"], "pass", "S-10 was judged before and held");
        let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
        assert_eq!(junit.contains("recommendation_not_met"), strict, "{junit}");
    }
}
