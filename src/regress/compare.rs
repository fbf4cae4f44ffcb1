//! `mscheck compare OLD NEW`: what changed between two runs, per requirement and per scenario:
//! regressions (passed or expected to fail, now failing or erroring), fixes, scenarios that went
//! from skipped to run or back, changed observations, and scenarios that got much slower.

use crate::results::rollup::Status;
use crate::results::Outcome;
use crate::results::RunReport;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A scenario slower by more than this factor…
const SLOWER_FACTOR: u64 = 2;
/// …and by more than this many milliseconds is reported.
const SLOWER_MIN_MS: u64 = 1000;

/// How one scenario's or requirement's result moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Passed (or failed as expected), now fails or errors.
    Regressed,
    /// Passed, now fails as the new run's expectations file says: a regression that the file
    /// hides (`compare --strict` counts it as one).
    Masked,
    /// Failed, errored or failed as expected, now passes.
    Fixed,
    /// Skipped before, runs now.
    NowRun,
    /// Ran before, skipped now.
    NowSkipped,
    /// Only in the new run.
    Added,
    /// Only in the old run.
    Removed,
    /// Some other change (for example passed → expected failure).
    Changed,
}

impl Change {
    fn title(self) -> &'static str {
        match self {
            Change::Regressed => "Regressions",
            Change::Masked => {
                "Masked regressions (passed before, now failing as the expectations file says)"
            }
            Change::Fixed => "Newly passing",
            Change::NowRun => "Skipped before, run now",
            Change::NowSkipped => "Run before, skipped now",
            Change::Added => "New scenarios",
            Change::Removed => "Scenarios no longer run",
            Change::Changed => "Other changes",
        }
    }
}

/// One scenario or requirement whose result moved.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    /// Scenario or requirement ID.
    pub id: String,
    /// How.
    pub change: Change,
    /// Old result (`passed`, `fail`, …), if it was there.
    pub old: Option<String>,
    /// New result, if it is there.
    pub new: Option<String>,
    /// The new failure's first line, for regressions.
    pub detail: Option<String>,
}

/// An `observe:` value that differs.
#[derive(Debug, Clone, Serialize)]
pub struct ObservationChange {
    /// Scenario.
    pub scenario: String,
    /// Label.
    pub label: String,
    /// Before.
    pub old: Option<Value>,
    /// After.
    pub new: Option<Value>,
}

/// A scenario that got much slower.
#[derive(Debug, Clone, Serialize)]
pub struct Slower {
    /// Scenario.
    pub scenario: String,
    /// Before.
    pub old_ms: u64,
    /// After.
    pub new_ms: u64,
}

/// What one side of the comparison ran against.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// `hs1: synapse 1.163.2` (and hs2 after a comma when there was one).
    pub target: String,
    /// `msc4140=newest, msc4354=seed`.
    pub revisions: String,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The old run.
    pub old: Side,
    /// The new run.
    pub new: Side,
    /// Requirements whose status moved.
    pub requirements: Vec<Moved>,
    /// Scenarios whose outcome moved.
    pub scenarios: Vec<Moved>,
    /// Observations that differ.
    pub observations: Vec<ObservationChange>,
    /// Scenarios more than 2× and 1 s slower.
    pub slower: Vec<Slower>,
    /// Whether anything regressed (the exit code).
    pub regressed: bool,
    /// Scenarios and requirements whose regression the new run's expectations file hides.
    pub masked: usize,
}

/// Why two runs cannot be compared.
#[derive(Debug, thiserror::Error)]
#[error("the runs checked different revisions ({old} before, {new} now); compare runs of one revision, or pass --allow-revision-change")]
pub struct RevisionMismatch {
    /// Old revisions.
    pub old: String,
    /// New revisions.
    pub new: String,
}

fn side(r: &RunReport) -> Side {
    Side {
        target: r
            .targets
            .iter()
            .map(|t| format!("{}: {} {}", t.name, t.implementation, t.version))
            .collect::<Vec<_>>()
            .join(", "),
        revisions: r
            .revisions
            .iter()
            .map(|(p, v)| format!("{p}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Good, bad or skipped, for deciding how a result moved.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Class {
    Good,
    Bad,
    Skipped,
    ExpectedToFail,
    /// A recommendation not met: neither good nor a failure.
    Warned,
}

fn scenario_class(o: Outcome) -> Class {
    match o {
        Outcome::Passed | Outcome::UnexpectedPass => Class::Good,
        Outcome::ExpectedFailure => Class::ExpectedToFail,
        Outcome::Failed | Outcome::Errored | Outcome::NotImplemented => Class::Bad,
        Outcome::Skipped => Class::Skipped,
        Outcome::Warned => Class::Warned,
    }
}

fn requirement_class(s: Status) -> Class {
    match s {
        s if s.is_pass() => Class::Good,
        Status::ExpectedFailure => Class::ExpectedToFail,
        Status::Warning => Class::Warned,
        s if s.is_failure() => Class::Bad,
        _ => Class::Skipped,
    }
}

fn classify(old: Class, new: Class) -> Change {
    use Class::*;
    match (old, new) {
        (Good | ExpectedToFail | Warned, Bad) => Change::Regressed,
        (Bad | ExpectedToFail | Warned, Good) => Change::Fixed,
        (Good | Warned, ExpectedToFail) => Change::Masked,
        (Skipped, _) => Change::NowRun,
        (_, Skipped) => Change::NowSkipped,
        _ => Change::Changed,
    }
}

fn moved(
    id: &str,
    old: Option<(String, Class)>,
    new: Option<(String, Class)>,
    detail: Option<String>,
) -> Option<Moved> {
    let change = match (&old, &new) {
        (Some((a, _)), Some((b, _))) if a == b => return None,
        (Some((_, a)), Some((_, b))) => classify(*a, *b),
        (None, Some(_)) => Change::Added,
        (Some(_), None) => Change::Removed,
        (None, None) => return None,
    };
    Some(Moved {
        id: id.to_string(),
        change,
        old: old.map(|(s, _)| s),
        new: new.map(|(s, _)| s),
        detail: if matches!(change, Change::Regressed | Change::Masked) {
            detail
        } else {
            None
        },
    })
}

fn outcome_word(o: Outcome) -> String {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Compares two runs. Different revisions are refused unless `allow_revision_change`.
pub fn compare(
    old: &RunReport,
    new: &RunReport,
    allow_revision_change: bool,
) -> Result<Comparison, RevisionMismatch> {
    let (old_side, new_side) = (side(old), side(new));
    if old.revisions != new.revisions && !allow_revision_change {
        return Err(RevisionMismatch {
            old: old_side.revisions,
            new: new_side.revisions,
        });
    }
    let old_s: BTreeMap<&str, _> = old.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let new_s: BTreeMap<&str, _> = new.scenarios.iter().map(|s| (s.id.as_str(), s)).collect();
    let ids: BTreeSet<&str> = old_s.keys().chain(new_s.keys()).copied().collect();
    let mut scenarios = Vec::new();
    let mut observations = Vec::new();
    let mut slower = Vec::new();
    for id in ids {
        let (o, n) = (old_s.get(id), new_s.get(id));
        let detail = n
            .and_then(|n| n.failure.as_ref())
            .map(|f| f.message.lines().next().unwrap_or("").to_string());
        scenarios.extend(moved(
            id,
            o.map(|s| (outcome_word(s.outcome), scenario_class(s.outcome))),
            n.map(|s| (outcome_word(s.outcome), scenario_class(s.outcome))),
            detail,
        ));
        if let (Some(o), Some(n)) = (o, n) {
            ran_both(id, o, n, &mut observations, &mut slower);
        }
    }
    let requirements = requirement_moves(old, new);
    let regressed = scenarios
        .iter()
        .chain(&requirements)
        .any(|m| m.change == Change::Regressed);
    let masked = scenarios
        .iter()
        .chain(&requirements)
        .filter(|m| m.change == Change::Masked)
        .count();
    let mut c = Comparison {
        old: old_side,
        new: new_side,
        requirements,
        scenarios,
        observations,
        slower,
        regressed,
        masked,
    };
    c.requirements
        .sort_by(|a, b| (a.change, &a.id).cmp(&(b.change, &b.id)));
    c.scenarios
        .sort_by(|a, b| (a.change, &a.id).cmp(&(b.change, &b.id)));
    Ok(c)
}

/// What changed in a scenario that ran in both runs: its observations, and its time when it
/// became much slower. Only scenarios that ran both times say anything about a change of
/// behaviour.
fn ran_both(
    id: &str,
    o: &crate::results::ScenarioResult,
    n: &crate::results::ScenarioResult,
    observations: &mut Vec<ObservationChange>,
    slower: &mut Vec<Slower>,
) {
    let values = |r: &crate::results::ScenarioResult| -> BTreeMap<String, Option<Value>> {
        r.observations
            .iter()
            .map(|x| (x.label.clone(), x.value.clone()))
            .collect()
    };
    let (ov, nv) = (values(o), values(n));
    if o.outcome != Outcome::Skipped && n.outcome != Outcome::Skipped {
        let labels: BTreeSet<&String> = ov.keys().chain(nv.keys()).collect();
        for label in labels {
            let (a, b) = (
                ov.get(label).cloned().flatten(),
                nv.get(label).cloned().flatten(),
            );
            if a != b {
                observations.push(ObservationChange {
                    scenario: id.to_string(),
                    label: label.clone(),
                    old: a,
                    new: b,
                });
            }
        }
        if n.duration_ms > o.duration_ms.saturating_mul(SLOWER_FACTOR)
            && n.duration_ms.saturating_sub(o.duration_ms) > SLOWER_MIN_MS
        {
            slower.push(Slower {
                scenario: id.to_string(),
                old_ms: o.duration_ms,
                new_ms: n.duration_ms,
            });
        }
    }
}

/// Each requirement whose status moved.
fn requirement_moves(old: &RunReport, new: &RunReport) -> Vec<Moved> {
    let old_r: BTreeMap<&str, Status> = old
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.status))
        .collect();
    let new_r: BTreeMap<&str, Status> = new
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.status))
        .collect();
    let req_ids: BTreeSet<&str> = old_r.keys().chain(new_r.keys()).copied().collect();
    req_ids
        .into_iter()
        .filter_map(|id| {
            moved(
                id,
                old_r
                    .get(id)
                    .map(|s| (s.to_string(), requirement_class(*s))),
                new_r
                    .get(id)
                    .map(|s| (s.to_string(), requirement_class(*s))),
                None,
            )
        })
        .collect()
}

#[path = "compare_text.rs"]
mod text;

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
