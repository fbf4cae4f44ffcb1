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
    /// `pass`, `fail`, `expected_failure`, `unexpected_pass`, `error`, `skip`, `not_run`,
    /// `not_testable`, `uncovered`.
    pub status: String,
    /// Scenarios covering it in this run, with their outcome.
    pub scenarios: Vec<(String, Outcome)>,
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
        let scenarios: Vec<(String, Outcome)> = results
            .iter()
            .filter(|r| r.covers.contains(&req.id))
            .map(|r| (r.id.clone(), r.outcome))
            .collect();
        out.push(RequirementStatus {
            id: req.id.clone(),
            proposal: req.proposal,
            strength: req.strength.clone(),
            summary: req.summary.clone(),
            status: status_of(
                req.testable(),
                &scenarios,
                all_covering.get(&req.id).is_some_and(|v| !v.is_empty()),
            )
            .to_string(),
            scenarios,
        });
    }
    out
}

/// A requirement's status from the outcomes of the scenarios that ran for it; with none, whether
/// it is testable at all and whether some scenario outside this selection covers it.
pub fn status_of(
    testable: bool,
    scenarios: &[(String, Outcome)],
    covered_somewhere: bool,
) -> &'static str {
    let has = |o: Outcome| scenarios.iter().any(|(_, x)| *x == o);
    if scenarios.is_empty() {
        return if !testable {
            "not_testable"
        } else if covered_somewhere {
            "not_run"
        } else {
            "uncovered"
        };
    }
    if has(Outcome::Failed) {
        "fail"
    } else if has(Outcome::Errored) {
        "error"
    } else if has(Outcome::ExpectedFailure) {
        "expected_failure"
    } else if has(Outcome::UnexpectedPass) {
        "unexpected_pass"
    } else if has(Outcome::Passed) {
        "pass"
    } else {
        "skip"
    }
}
