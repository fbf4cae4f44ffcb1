//! Requirement roll-up: from scenario results to one status per requirement of the chosen
//! revisions.

use super::records::{Outcome, ScenarioResult};
use crate::catalogue::{Catalogue, Proposal, Revision, RevisionOf};
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
    pub strength: crate::catalogue::Strength,
    /// Summary.
    pub summary: String,
    /// What the run found (see [`Status`]).
    pub status: Status,
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

/// A requirement's result in a run, as `results.json` writes it (`pass`, `not_reached`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A step judging it failed: the server broke it.
    Fail,
    /// A scenario judging it could not finish (no answer, a harness problem).
    Error,
    /// Its proposal is absent from the server: one finding for all of it.
    NotImplemented,
    /// A recommendation (SHOULD, SHOULD NOT, MAY) a step judging it found not met.
    Warning,
    /// It failed, as the expectations file says.
    ExpectedFailure,
    /// It passed, although the expectations file says it fails.
    UnexpectedPass,
    /// Every step judging it held.
    Pass,
    /// Every scenario judging it stopped at an earlier failure.
    NotReached,
    /// Every scenario covering it was skipped.
    Skip,
    /// Covered by scenarios outside this selection.
    NotRun,
    /// A rule for clients, which no server check can see.
    NotTestable,
    /// No scenario covers it.
    Uncovered,
}

impl Status {
    /// Every status, in the order a requirement's status is chosen from its scenarios' verdicts
    /// (the first one any of them has wins), then the ones without a verdict.
    pub const ALL: [Status; 12] = [
        Status::Fail,
        Status::Error,
        Status::NotImplemented,
        Status::Warning,
        Status::ExpectedFailure,
        Status::UnexpectedPass,
        Status::Pass,
        Status::NotReached,
        Status::Skip,
        Status::NotRun,
        Status::NotTestable,
        Status::Uncovered,
    ];

    /// The word `results.json` uses, also the page's CSS class and filter key.
    pub fn word(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Error => "error",
            Status::NotImplemented => "not_implemented",
            Status::Warning => "warning",
            Status::ExpectedFailure => "expected_failure",
            Status::UnexpectedPass => "unexpected_pass",
            Status::Pass => "pass",
            Status::NotReached => "not_reached",
            Status::Skip => "skip",
            Status::NotRun => "not_run",
            Status::NotTestable => "not_testable",
            Status::Uncovered => "uncovered",
        }
    }

    /// Counted as passing in roll-ups.
    pub fn is_pass(self) -> bool {
        matches!(self, Status::Pass | Status::UnexpectedPass)
    }

    /// Counted as failing in roll-ups (not-implemented is its own count where roll-ups have one).
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error | Status::NotImplemented)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
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
        let rev = revisions.revision_of(req.proposal);
        if !req.revisions.contains(&rev) {
            continue;
        }
        let covering: Vec<&ScenarioResult> = results
            .iter()
            .filter(|r| r.covers.contains(&req.id))
            .collect();
        let scenarios: Vec<(String, Outcome)> =
            covering.iter().map(|r| (r.id.clone(), r.outcome)).collect();
        let verdicts: Vec<Status> = covering.iter().map(|r| verdict_in(r, &req.id)).collect();
        out.push(RequirementStatus {
            id: req.id.clone(),
            proposal: req.proposal,
            strength: req.strength,
            summary: req.summary.clone(),
            status: status_of(
                req.testable(),
                &verdicts,
                all_covering.get(&req.id).is_some_and(|v| !v.is_empty()),
            ),
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
pub fn verdict_in(r: &ScenarioResult, requirement: &str) -> Status {
    use super::blame::Judged;
    match r.judged.get(requirement) {
        Some(Judged::Held) => Status::Pass,
        Some(Judged::NotReached) => Status::NotReached,
        Some(Judged::Absent) => match r.outcome {
            Outcome::ExpectedFailure => Status::ExpectedFailure,
            _ => Status::NotImplemented,
        },
        Some(Judged::Broken) | None => match r.outcome {
            Outcome::Passed => Status::Pass,
            Outcome::Failed => Status::Fail,
            Outcome::Errored => Status::Error,
            Outcome::Skipped => Status::Skip,
            Outcome::ExpectedFailure => Status::ExpectedFailure,
            Outcome::UnexpectedPass => Status::UnexpectedPass,
            Outcome::NotImplemented => Status::NotImplemented,
            Outcome::Warned => Status::Warning,
        },
    }
}

/// A requirement's status from what the scenarios that ran for it say of it ([`verdict_in`]);
/// with none, whether it is testable at all and whether some scenario outside this selection
/// covers it. A requirement fails only where a check judging it failed; one that no scenario
/// judged because each stopped earlier is `not_reached`.
pub fn status_of(testable: bool, verdicts: &[Status], covered_somewhere: bool) -> Status {
    if verdicts.is_empty() {
        return if !testable {
            Status::NotTestable
        } else if covered_somewhere {
            Status::NotRun
        } else {
            Status::Uncovered
        };
    }
    Status::ALL
        .into_iter()
        .find(|s| verdicts.contains(s))
        .unwrap_or(Status::Skip)
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
            match r.status {
                Status::NotImplemented => v.absent += 1,
                s if s.is_pass() => v.pass += 1,
                s if s.is_failure() => v.fail += 1,
                Status::ExpectedFailure => v.expected += 1,
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
            "/../suites/requirements.yaml"
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
        use crate::results::Judged;
        let (_, scenarios) = crate::scenario::shipped_suites();
        let s = scenarios
            .iter()
            .find(|s| s.id == "msc4140-delayed-events/delayed-max-delay")
            .unwrap();
        let mut r = super::super::records::ScenarioResult {
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
        r.judged = super::super::blame::judge(&s.covers, &s.judging_order(), "refused-with-403");
        assert_eq!(r.judged["D-11"], Judged::Broken);
        assert_eq!(verdict_in(&r, "D-11"), Status::Fail);
        assert_eq!(verdict_in(&r, "D-40"), Status::Pass);
        // The over-limit schedule accepted: both fail.
        r.judged =
            super::super::blame::judge(&s.covers, &s.judging_order(), "one-above-the-maximum");
        assert_eq!(verdict_in(&r, "D-40"), Status::Fail);
        assert_eq!(verdict_in(&r, "D-11"), Status::Fail);
        assert_eq!(
            status_of(true, &[Status::NotReached], true),
            Status::NotReached
        );
        assert_eq!(
            status_of(true, &[Status::NotReached, Status::Pass], true),
            Status::Pass
        );
        assert_eq!(
            status_of(true, &[Status::Pass, Status::Fail], true),
            Status::Fail
        );
    }

    #[test]
    fn a_group_with_a_failure_has_gaps() {
        let row = |status: Status| RequirementStatus {
            id: "S-1".into(),
            proposal: Proposal::Msc4354,
            strength: crate::catalogue::Strength::Must,
            summary: String::new(),
            status,
            scenarios: vec![],
            group: String::new(),
            inferred: None,
            merged: None,
        };
        let (a, b, c) = (row(Status::Pass), row(Status::Fail), row(Status::NotRun));
        assert_eq!(GroupVerdict::of(&[&a, &c]).word(), "no gaps found");
        assert_eq!(GroupVerdict::of(&[&a, &b]).word(), "gaps");
        assert_eq!(GroupVerdict::of(&[&c]).word(), "not checked");
    }
}
