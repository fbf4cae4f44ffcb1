//! What a failed scenario's failure says once the run's findings are weighed: a check that judges
//! only IDs of a proposal found absent is that one "not implemented" finding, and one that judges
//! only recommendations (SHOULD, SHOULD NOT, MAY) is a warning.

use super::context::RunContext;
use crate::catalogue::Revision;
use crate::results::blame;
use crate::results::{Absence, Failure, Outcome, ScenarioResult};
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// The outcome and reason of what absent proposals take: expected when the expectations file
/// lists every one of them as not implemented, else "not implemented".
pub(super) fn absence_outcome(absences: &[&Absence]) -> (Outcome, Option<String>) {
    let finding = absences
        .iter()
        .map(|a| a.finding())
        .collect::<Vec<_>>()
        .join("; ");
    let known: Vec<&str> = absences.iter().filter_map(|a| a.known.as_deref()).collect();
    if !absences.is_empty() && known.len() == absences.len() {
        (
            Outcome::ExpectedFailure,
            Some(format!("{finding} (expected: {})", known.join("; "))),
        )
    } else {
        (Outcome::NotImplemented, Some(finding))
    }
}

/// Fills in `result.judged` for `failure` and weighs it: a failed check blaming only absent
/// proposals' IDs ends as their finding, one blaming only recommendations ends `warned`.
pub(super) fn weigh(
    s: &Scenario,
    ctx: &RunContext,
    revision: Revision,
    failure: &Failure,
    result: &mut ScenarioResult,
) {
    result.judged = blame::judge(&s.covers, &s.judging_order(), &failure.step);
    if !failure.is_check_failure() {
        return;
    }
    let absent_group = |id: &str| ctx.absent_groups.get(s.group_of(id, revision));
    if blame::mark_absent(&s.covers, &mut result.judged, &|id| {
        absent_group(id).is_some()
    }) {
        let absences: BTreeMap<&str, &Absence> = result
            .judged
            .iter()
            .filter(|(_, j)| **j == blame::Judged::Absent)
            .filter_map(|(id, _)| absent_group(id).map(|a| (a.group.as_str(), a)))
            .collect();
        if result.outcome == Outcome::Failed {
            let absences: Vec<&Absence> = absences.into_values().collect();
            (result.outcome, result.reason) = absence_outcome(&absences);
        }
        return;
    }
    let blamed = blame::blamed(&s.covers, &result.judged);
    if result.outcome == Outcome::Failed
        && !blamed.is_empty()
        && blamed.iter().all(|id| s.recommendations.contains(*id))
    {
        result.outcome = Outcome::Warned;
    }
}
