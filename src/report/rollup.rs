//! Requirement roll-up: from scenario results to one status per requirement of the chosen
//! revisions.

use crate::catalogue::{Catalogue, Proposal, Revision};
use crate::runner::events::{Outcome, ScenarioResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One requirement's status in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequirementStatus {
    /// The ID.
    pub id: String,
    /// Its proposal.
    pub proposal: Proposal,
    /// Strength.
    pub strength: String,
    /// Summary.
    pub summary: String,
    /// `pass`, `fail`, `expected_failure`, `unexpected_pass`, `error`, `not_implemented` (the
    /// server does not implement its proposal at all), `not_reached` (every
    /// scenario judging it stopped at an earlier failure), `skip`, `not_run`, `not_testable`,
    /// `uncovered`.
    pub status: String,
    /// Scenarios covering it in this run, with their outcome.
    pub scenarios: Vec<(String, Outcome)>,
    /// The proposal it is reported under at the run's revision (MSC4480 for the sliding-sync
    /// extension at the newest revision).
    #[serde(default)]
    pub group: String,
    /// Why its check is inferred rather than stated (catalogue ambiguity), if it is.
    #[serde(default)]
    pub inferred: Option<String>,
    /// What changed for it when the proposal was merged after the checked (newest) text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<String>,
}

impl RequirementStatus {
    /// The report group: `group`, or the proposal's title for results written before groups.
    pub fn group_title(&self) -> &str {
        crate::catalogue::group_or_title(&self.group, self.proposal)
    }
}

/// Per report group, in report order (MSC4354, MSC4480, MSC4140): the requirements' statuses.
pub fn by_group(reqs: &[RequirementStatus]) -> Vec<(&str, Vec<&RequirementStatus>)> {
    let mut out: Vec<(&str, Vec<&RequirementStatus>)> = Vec::new();
    for p in Proposal::ALL {
        for r in reqs.iter().filter(|r| r.proposal == p) {
            match out.iter_mut().find(|(g, _)| *g == r.group_title()) {
                Some((_, v)) => v.push(r),
                None => out.push((r.group_title(), vec![r])),
            }
        }
    }
    out
}

/// Rolls results up per requirement of the chosen revisions.
pub fn rollup(
    catalogue: &Catalogue,
    revisions: &BTreeMap<Proposal, Revision>,
    results: &[ScenarioResult],
    all_covering: &BTreeMap<String, Vec<String>>,
) -> Vec<RequirementStatus> {
    let mut out = Vec::new();
    for req in catalogue.all() {
        let rev = revisions
            .get(&req.proposal)
            .copied()
            .unwrap_or(Revision::Newest);
        if !req.revisions.contains(&rev) {
            continue;
        }
        let covering: Vec<&ScenarioResult> = results
            .iter()
            .filter(|r| r.covers.contains(&req.id))
            .collect();
        let scenarios: Vec<(String, Outcome)> =
            covering.iter().map(|r| (r.id.clone(), r.outcome)).collect();
        let verdicts: Vec<&str> = covering.iter().map(|r| verdict_in(r, &req.id)).collect();
        out.push(RequirementStatus {
            id: req.id.clone(),
            proposal: req.proposal,
            strength: req.strength.clone(),
            summary: req.summary.clone(),
            status: status_of(
                req.testable(),
                &verdicts,
                all_covering.get(&req.id).is_some_and(|v| !v.is_empty()),
            )
            .to_string(),
            scenarios,
            group: req.reported_under(rev).to_string(),
            inferred: req.inferred.clone(),
            merged: match rev {
                Revision::Newest => req.merged.clone(),
                Revision::Seed => None,
            },
        });
    }
    out
}

/// What one scenario's result says of one requirement it covers: its outcome, except that a
/// failure judged per step fails only the requirements the failing step judges; the others held
/// (`pass`) or were `not_reached`.
pub fn verdict_in(r: &ScenarioResult, requirement: &str) -> &'static str {
    use crate::runner::events::Judged;
    match r.judged.get(requirement) {
        Some(Judged::Held) => "pass",
        Some(Judged::NotReached) => "not_reached",
        Some(Judged::Broken) | None => match r.outcome {
            Outcome::Passed => "pass",
            Outcome::Failed => "fail",
            Outcome::Errored => "error",
            Outcome::Skipped => "skip",
            Outcome::ExpectedFailure => "expected_failure",
            Outcome::UnexpectedPass => "unexpected_pass",
            Outcome::NotImplemented => "not_implemented",
        },
    }
}

/// A requirement's status from what the scenarios that ran for it say of it ([`verdict_in`]);
/// with none, whether it is testable at all and whether some scenario outside this selection
/// covers it. A requirement fails only where a check judging it failed; one that no scenario
/// judged because each stopped earlier is `not_reached`.
pub fn status_of(testable: bool, verdicts: &[&str], covered_somewhere: bool) -> &'static str {
    if verdicts.is_empty() {
        return if !testable {
            "not_testable"
        } else if covered_somewhere {
            "not_run"
        } else {
            "uncovered"
        };
    }
    const ORDER: &[&str] = &[
        "fail",
        "error",
        "not_implemented",
        "expected_failure",
        "unexpected_pass",
        "pass",
        "not_reached",
    ];
    ORDER
        .iter()
        .find(|s| verdicts.contains(s))
        .copied()
        .unwrap_or("skip")
}

/// One group's roll-up: how many of its requirements ended which way, and whether this run found
/// gaps in the server's implementation of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVerdict {
    /// Passed.
    pub pass: usize,
    /// Failed or errored.
    pub fail: usize,
    /// Expected failures.
    pub expected: usize,
    /// Not run, skipped, uncovered or client-only.
    pub other: usize,
    /// Not run because the server does not implement the proposal.
    pub absent: usize,
}

impl GroupVerdict {
    /// Counts a group's requirements.
    pub fn of(rows: &[&RequirementStatus]) -> Self {
        let mut v = GroupVerdict {
            pass: 0,
            fail: 0,
            expected: 0,
            other: 0,
            absent: 0,
        };
        for r in rows {
            match r.status.as_str() {
                "pass" | "unexpected_pass" => v.pass += 1,
                "fail" | "error" => v.fail += 1,
                "not_implemented" => v.absent += 1,
                "expected_failure" => v.expected += 1,
                _ => v.other += 1,
            }
        }
        v
    }

    /// `not implemented` (the server lacks the proposal: nothing of it ran), `gaps` (something
    /// failed, expected or not), `no gaps found` (what ran passed), or `not checked`.
    pub fn word(&self) -> &'static str {
        if self.absent > 0 && self.pass == 0 && self.fail == 0 {
            "not implemented"
        } else if self.fail > 0 || self.expected > 0 || self.absent > 0 {
            "gaps"
        } else if self.pass > 0 {
            "no gaps found"
        } else {
            "not checked"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sliding_sync_extension_is_its_own_proposal_at_the_newest_revision() {
        let catalogue = Catalogue::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/suites/requirements.yaml"
        )))
        .unwrap();
        let at = |rev: Revision| {
            let revisions: BTreeMap<Proposal, Revision> =
                Proposal::ALL.iter().map(|p| (*p, rev)).collect();
            rollup(&catalogue, &revisions, &[], &BTreeMap::new())
        };
        let newest = at(Revision::Newest);
        let groups: Vec<&str> = by_group(&newest).iter().map(|(g, _)| *g).collect();
        assert_eq!(
            groups,
            [
                "MSC4354 sticky events",
                "MSC4480 sliding-sync extension for sticky events",
                "MSC4140 delayed events"
            ]
        );
        let s53 = newest.iter().find(|r| r.id == "S-53").unwrap();
        assert!(s53.inferred.as_deref().unwrap().starts_with("A-16"));
        // At the seed revision the extension is still part of MSC4354.
        let seed = at(Revision::Seed);
        assert!(seed
            .iter()
            .filter(|r| r.id == "S-50" || r.id == "S-51")
            .all(|r| r.group == "MSC4354 sticky events"));
        let g = by_group(&seed);
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn a_requirement_fails_only_where_a_check_judging_it_failed() {
        use crate::runner::events::Judged;
        let (_, scenarios) = crate::scenario::shipped_suites();
        let s = scenarios
            .iter()
            .find(|s| s.id == "msc4140-delayed-events/delayed-max-delay")
            .unwrap();
        let mut r = crate::runner::events::ScenarioResult {
            outcome: Outcome::Failed,
            ..serde_json::from_value(serde_json::json!({
                "id": s.id, "suite": s.suite, "name": s.name, "file": "f",
                "covers": s.covers, "proposal": "msc4140", "revision": "newest",
                "outcome": "failed", "reason": null, "failure": null, "steps": [],
                "duration_ms": 0, "transcript": null, "snapshots_written": [],
                "observations": []
            }))
            .unwrap()
        };
        // 400 instead of 403: the exact-answer step fails; the enforcement step passed.
        r.judged = crate::runner::blame::judge(&s.covers, &s.judging_order(), "refused-with-403");
        assert_eq!(r.judged["D-11"], Judged::Broken);
        assert_eq!(verdict_in(&r, "D-11"), "fail");
        assert_eq!(verdict_in(&r, "D-40"), "pass");
        // The over-limit schedule accepted: both fail.
        r.judged =
            crate::runner::blame::judge(&s.covers, &s.judging_order(), "one-above-the-maximum");
        assert_eq!(verdict_in(&r, "D-40"), "fail");
        assert_eq!(verdict_in(&r, "D-11"), "fail");
        assert_eq!(status_of(true, &["not_reached"], true), "not_reached");
        assert_eq!(status_of(true, &["not_reached", "pass"], true), "pass");
        assert_eq!(status_of(true, &["pass", "fail"], true), "fail");
    }

    #[test]
    fn a_group_with_a_failure_has_gaps() {
        let row = |status: &str| RequirementStatus {
            id: "S-1".into(),
            proposal: Proposal::Msc4354,
            strength: "MUST".into(),
            summary: String::new(),
            status: status.into(),
            scenarios: vec![],
            group: String::new(),
            inferred: None,
            merged: None,
        };
        let (a, b, c) = (row("pass"), row("fail"), row("not_run"));
        assert_eq!(GroupVerdict::of(&[&a, &c]).word(), "no gaps found");
        assert_eq!(GroupVerdict::of(&[&a, &b]).word(), "gaps");
        assert_eq!(GroupVerdict::of(&[&c]).word(), "not checked");
    }
}
