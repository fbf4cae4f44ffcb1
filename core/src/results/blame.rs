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
