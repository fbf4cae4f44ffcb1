//! Which requirements a failure blames: a failing step fails only what it judges (`judges:`),
//! the others held (judged by steps that passed before) or were not reached (judged later).

use serde::{Deserialize, Serialize};

/// What a failed scenario's failure says of one requirement it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judged {
    /// The failing step judges it.
    Broken,
    /// Every step judging it passed before the failure.
    Held,
    /// A step judging it comes after the failure: the run never got there.
    NotReached,
    /// The failing step judges it, and its proposal was found absent before the run: one
    /// "not implemented" finding, not a failure of the scenario's own proposal.
    Absent,
}

/// The IDs a failure blames: those `judged` marks broken, or every covered ID when `judged` is
/// empty (a failure at a step judging everything, or outside any step).
pub fn blamed<'a>(
    covers: &'a [String],
    judged: &'a std::collections::BTreeMap<String, Judged>,
) -> Vec<&'a String> {
    if judged.is_empty() {
        covers.iter().collect()
    } else {
        judged
            .iter()
            .filter(|(_, j)| **j == Judged::Broken)
            .map(|(id, _)| id)
            .collect()
    }
}

/// Marks the IDs a failure blames as [`Judged::Absent`] when every one of them belongs to an
/// absent group (`absent(id)`); `judged` is what [`judge`] gave (empty: the failure blames
/// every covered ID). Returns whether it did: the failure is then not the server's breaking
/// a rule of a proposal it implements.
pub fn mark_absent(
    covers: &[String],
    judged: &mut std::collections::BTreeMap<String, Judged>,
    absent: &dyn Fn(&str) -> bool,
) -> bool {
    let blamed = blamed(covers, judged);
    if blamed.is_empty() || !blamed.iter().all(|id| absent(id)) {
        return false;
    }
    if judged.is_empty() {
        judged.extend(covers.iter().map(|c| (c.clone(), Judged::Absent)));
    } else {
        judged
            .values_mut()
            .filter(|j| **j == Judged::Broken)
            .for_each(|j| *j = Judged::Absent);
    }
    true
}

/// What a scenario's failure at step `failed_step` says of each ID it covers: `order` is the
/// scenario's [`crate::scenario::Scenario::judging_order`]. A failure outside any step (setup,
/// a crash) or at a step that judges everything blames everything (an empty map).
pub fn judge(
    covers: &[String],
    order: &[(&str, Vec<&str>)],
    failed_step: &str,
) -> std::collections::BTreeMap<String, Judged> {
    let Some(at) = order.iter().position(|(id, _)| *id == failed_step) else {
        return Default::default();
    };
    let blamed = &order[at].1;
    if covers.iter().all(|c| blamed.contains(&c.as_str())) {
        return Default::default();
    }
    covers
        .iter()
        .map(|c| {
            let judged = if blamed.contains(&c.as_str()) {
                Judged::Broken
            } else if order[at + 1..].iter().any(|(_, j)| j.contains(&c.as_str())) {
                Judged::NotReached
            } else {
                Judged::Held
            };
            (c.clone(), judged)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_blaming_only_absent_ids_marks_them_absent_and_keeps_the_rest() {
        let covers = vec!["S-10".to_string(), "S-50".to_string()];
        let order = vec![("sync", vec!["S-10"]), ("extension", vec!["S-50"])];
        let mut judged = judge(&covers, &order, "extension");
        assert!(mark_absent(&covers, &mut judged, &|id| id == "S-50"));
        assert_eq!(judged["S-50"], Judged::Absent);
        assert_eq!(judged["S-10"], Judged::Held);
        // A failure that also blames a present ID stays a failure.
        let mut everything = judge(&covers, &[("all", vec!["S-10", "S-50"])], "all");
        assert!(!mark_absent(&covers, &mut everything, &|id| id == "S-50"));
        assert!(everything.is_empty());
        let mut all_absent = Default::default();
        assert!(mark_absent(&covers, &mut all_absent, &|_| true));
        assert_eq!(all_absent.len(), 2);
    }

    #[test]
    fn a_failure_blames_only_what_its_step_judges() {
        let covers = vec!["D-11".to_string(), "D-40".to_string(), "D-12".to_string()];
        let order = vec![
            ("setup-room", vec!["D-11", "D-40", "D-12"]),
            ("over", vec!["D-11", "D-40"]),
            ("exact", vec!["D-11"]),
            ("rate", vec!["D-12"]),
        ];
        let j = judge(&covers, &order, "exact");
        assert_eq!(j["D-11"], Judged::Broken);
        assert_eq!(j["D-40"], Judged::Held, "judged by `over`, which passed");
        assert_eq!(
            j["D-12"],
            Judged::NotReached,
            "judged by `rate`, after the failure"
        );
        // A step judging everything, or a failure outside the steps, blames everything.
        assert!(judge(&covers, &order, "setup-room").is_empty());
        assert!(judge(&covers, &order, "setup").is_empty());
    }
}
