//! Judging a lifetime from a series of samples.
//!
//! A `sample:` step asks the server the same question again and again across an item's lifetime
//! (is the sticky event still delivered to a fresh sync, and how long does the server say it has
//! left?) and records one [`Sample`] per response. [`judge`] then checks the series as a whole, so
//! a server that is right at one instant but wrong the rest of the time is caught:
//!
//! * the item is delivered until shortly before its declared end and not long after it;
//! * the remaining lifetime goes down with elapsed time: every sample's "now + remaining" names
//!   the same end, within the margin;
//! * that end agrees with the declared one and with the moment the item stopped being delivered.
//!
//! Every comparison allows the scenario's stated margin. Times are the harness's local clock in
//! milliseconds; a sample's server-side moment lies between its request and its response, and
//! each rule gives the server the benefit of that interval.

use crate::units::human_duration;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A sampled series as the report keeps it, for the lifetime chart: times in milliseconds after
/// the first request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// The `sample:` step.
    pub step: String,
    /// Every sample in the order taken.
    pub samples: Vec<Sample>,
    /// The declared end as a window, if the scenario declares one.
    pub ends: Option<(i64, i64)>,
    /// The margin every comparison allows.
    pub margin_ms: i64,
    /// What the series shows to be wrong, if anything.
    pub problem: Option<String>,
}

impl Series {
    /// The series of `samples` judged against `rules`, with times made relative to the first
    /// request.
    pub fn new(step: &str, samples: &[Sample], rules: &Rules, problem: Option<String>) -> Self {
        let zero = samples.first().map(|s| s.sent_ms).unwrap_or(0);
        Series {
            step: step.to_string(),
            samples: samples
                .iter()
                .map(|s| Sample {
                    sent_ms: s.sent_ms - zero,
                    received_ms: s.received_ms - zero,
                    ..*s
                })
                .collect(),
            ends: rules.ends.map(|(a, b)| (a - zero, b - zero)),
            margin_ms: rules.margin_ms,
            problem,
        }
    }
}

/// One response of a sampled step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Local clock just before the request was sent.
    pub sent_ms: i64,
    /// Local clock just after the response arrived.
    pub received_ms: i64,
    /// Whether the response held the item.
    pub present: bool,
    /// The remaining lifetime the response gave for it, if the step reads one.
    pub remaining_ms: Option<i64>,
}

impl Sample {
    /// The end this sample's remaining value announces, as the earliest and latest local time
    /// it can mean (the server answered somewhere between request and response).
    fn announced_end(&self) -> Option<(i64, i64)> {
        self.remaining_ms
            .map(|r| (self.sent_ms + r, self.received_ms + r))
    }
}

/// What the scenario states about the lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The declared end as a window of local times (`earliest == latest` for one moment; wider
    /// where the proposal lets the server choose, such as counting from receipt).
    pub ends: Option<(i64, i64)>,
    /// How far any comparison may be off.
    pub margin_ms: i64,
}

/// The judgement of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The series and where it ended, for the report (times relative to the first sample).
    pub summary: String,
    /// What the series shows to be wrong, if anything.
    pub problem: Option<String>,
}

/// Checks a series (in the order taken) against the rules.
pub fn judge(samples: &[Sample], rules: &Rules) -> Verdict {
    let Some(first) = samples.first() else {
        return Verdict {
            summary: "no sample".into(),
            problem: Some("no sample was taken".into()),
        };
    };
    let zero = first.sent_ms;
    let summary = summarise(samples, rules, zero);
    let problem = if rules.ends.is_none() && !first.present {
        Some("not delivered at the first sample".to_string())
    } else {
        declared_end_problem(samples, rules, zero)
            .or_else(|| announced_end_problem(samples, rules, zero))
    };
    Verdict { summary, problem }
}

/// A sample that contradicts the declared end: gone before it, or still there after it.
fn declared_end_problem(samples: &[Sample], rules: &Rules, zero: i64) -> Option<String> {
    let at = |ms: i64| rel(ms - zero);
    let m = rules.margin_ms;
    if let Some((earliest, latest)) = rules.ends {
        if let Some(s) = samples
            .iter()
            .find(|s| !s.present && s.received_ms < earliest - m)
        {
            return Some(format!(
                "not delivered at {}, {} before its end at {} (margin {})",
                at(s.received_ms),
                dur(earliest - s.received_ms),
                at(earliest),
                dur(m)
            ));
        }
        if let Some(s) = samples.iter().find(|s| s.present && s.sent_ms > latest + m) {
            return Some(format!(
                "still delivered at {}, {} after its end at {} (margin {})",
                at(s.sent_ms),
                dur(s.sent_ms - latest),
                at(latest),
                dur(m)
            ));
        }
    }
    None
}

/// Remaining lifetimes that contradict each other, the declared end, or the samples: each
/// present sample announces an end; they must agree within the margin, and the item must go
/// when they say.
fn announced_end_problem(samples: &[Sample], rules: &Rules, zero: i64) -> Option<String> {
    let at = |ms: i64| rel(ms - zero);
    let m = rules.margin_ms;
    let announced: Vec<(&Sample, (i64, i64))> = samples
        .iter()
        .filter(|s| s.present)
        .filter_map(|s| s.announced_end().map(|e| (s, e)))
        .collect();
    if let (Some(late), Some(early)) = (
        announced.iter().max_by_key(|(_, (lo, _))| *lo),
        announced.iter().min_by_key(|(_, (_, hi))| *hi),
    ) {
        if late.1 .0 - early.1 .1 > m {
            let (a, b) = if early.0.sent_ms <= late.0.sent_ms {
                (early, late)
            } else {
                (late, early)
            };
            return Some(format!(
                "the remaining lifetime does not go down with time: at {} it said {} left (end at {}), at {} it said {} left (end at {}); they differ by more than the margin of {}",
                at(a.0.sent_ms),
                dur(a.0.remaining_ms.unwrap_or(0)),
                at(a.1 .0),
                at(b.0.sent_ms),
                dur(b.0.remaining_ms.unwrap_or(0)),
                at(b.1 .0),
                dur(m)
            ));
        }
        if let Some((earliest, latest)) = rules.ends {
            for (s, (lo, hi)) in &announced {
                if *hi < earliest - m || *lo > latest + m {
                    return Some(format!(
                        "at {} the remaining lifetime ({}) puts the end at {}, not at {} (margin {})",
                        at(s.sent_ms),
                        dur(s.remaining_ms.unwrap_or(0)),
                        at(*lo),
                        window(earliest, latest, zero),
                        dur(m)
                    ));
                }
            }
        }
        let said_from = early.1 .1;
        let said_to = late.1 .0.max(early.1 .1);
        if let Some(gone) = samples.iter().find(|s| !s.present) {
            if gone.received_ms < said_from - m {
                return Some(format!(
                    "no longer delivered at {}, although its remaining lifetime announced the end at {} (margin {})",
                    at(gone.received_ms),
                    at(said_from),
                    dur(m)
                ));
            }
        }
        if let Some(last) = samples.iter().rev().find(|s| s.present) {
            if last.sent_ms > said_to + m {
                return Some(format!(
                    "still delivered at {}, after the end its remaining lifetime announced ({}, margin {})",
                    at(last.sent_ms),
                    at(said_to),
                    dur(m)
                ));
            }
        }
    }
    None
}

fn summarise(samples: &[Sample], rules: &Rules, zero: i64) -> String {
    let series: Vec<String> = samples
        .iter()
        .map(|s| {
            let t = rel(s.sent_ms - zero);
            match (s.present, s.remaining_ms) {
                (false, _) => format!("{t} gone"),
                (true, Some(r)) => format!("{t} {} left", dur(r)),
                (true, None) => format!("{t} delivered"),
            }
        })
        .collect();
    let mut out = String::new();
    match (
        samples.iter().rev().find(|s| s.present),
        samples.iter().find(|s| !s.present),
    ) {
        (Some(last), Some(gone)) => out.push_str(&format!(
            "delivered until {}, gone by {}",
            rel(last.received_ms - zero),
            rel(gone.received_ms - zero)
        )),
        (Some(last), None) => out.push_str(&format!(
            "still delivered at {}",
            rel(last.received_ms - zero)
        )),
        (None, _) => out.push_str("never delivered"),
    }
    if let Some((earliest, latest)) = rules.ends {
        out.push_str(&format!(
            "; declared end {}",
            window(earliest, latest, zero)
        ));
        if let (Some(last), Some(gone)) = (
            samples.iter().rev().find(|s| s.present),
            samples.iter().find(|s| !s.present),
        ) {
            if latest > earliest {
                // Where in the allowed window the server ended it (S-106: counted from the
                // original timestamp, from receipt, or in between).
                let ended = (last.received_ms + gone.sent_ms) / 2;
                let share = (ended - earliest) as f64 / (latest - earliest) as f64;
                let place = if share < 0.25 {
                    "at the early end of the window"
                } else if share > 0.75 {
                    "at the late end of the window"
                } else {
                    "inside the window"
                };
                out.push_str(&format!(" (ended about {}: {place})", rel(ended - zero)));
            }
        }
    }
    out.push_str(&format!(
        "; margin {}; series: {}",
        dur(rules.margin_ms),
        series.join(", ")
    ));
    out
}

fn window(earliest: i64, latest: i64, zero: i64) -> String {
    if earliest == latest {
        rel(earliest - zero)
    } else {
        format!(
            "between {} and {}",
            rel(earliest - zero),
            rel(latest - zero)
        )
    }
}

/// `+1.5s` / `-0.2s`: a moment relative to the first sample.
fn rel(ms: i64) -> String {
    format!(
        "{}{:.1}s",
        if ms < 0 { "-" } else { "+" },
        ms.abs() as f64 / 1000.0
    )
}

fn dur(ms: i64) -> String {
    human_duration(Duration::from_millis(ms.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A series every second from t=0, with a 100 ms round trip; `present_until` and the
    /// remaining values come from the closure.
    fn series(n: i64, f: impl Fn(i64) -> (bool, Option<i64>)) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let t = i * 1000;
                let (present, remaining_ms) = f(t);
                Sample {
                    sent_ms: t,
                    received_ms: t + 100,
                    present,
                    remaining_ms,
                }
            })
            .collect()
    }

    const TEN_SECONDS: Rules = Rules {
        ends: Some((10_000, 10_000)),
        margin_ms: 2_000,
    };

    #[test]
    fn a_correct_lifetime_passes_and_is_summarised() {
        let s = series(12, |t| (t < 10_000, (t < 10_000).then(|| 10_000 - t - 50)));
        let v = judge(&s, &TEN_SECONDS);
        assert_eq!(v.problem, None, "{}", v.summary);
        assert!(v.summary.starts_with("delivered until +9.1s, gone by +10.1s; declared end +10.0s; margin 2.0s; series: +0.0s 9.9s left"), "{}", v.summary);
    }

    #[test]
    fn a_frozen_remaining_value_is_caught() {
        let s = series(12, |t| (t < 10_000, Some(9_900)));
        let p = judge(&s, &TEN_SECONDS).problem.unwrap();
        assert!(p.starts_with("the remaining lifetime does not go down with time: at +0.0s it said 9.9s left (end at +9.9s), at +9.0s it said 9.9s left (end at +18.9s)"), "{p}");
    }

    #[test]
    fn an_item_dropped_early_is_caught() {
        let s = series(12, |t| (t < 4_000, Some(10_000 - t)));
        let p = judge(&s, &TEN_SECONDS).problem.unwrap();
        assert_eq!(
            p,
            "not delivered at +4.1s, 5.9s before its end at +10.0s (margin 2.0s)"
        );
    }

    #[test]
    fn an_item_kept_too_long_is_caught() {
        let s = series(16, |t| (t < 14_000, None));
        let p = judge(&s, &TEN_SECONDS).problem.unwrap();
        assert_eq!(
            p,
            "still delivered at +13.0s, 3.0s after its end at +10.0s (margin 2.0s)"
        );
    }

    #[test]
    fn a_remaining_value_that_disagrees_with_the_declared_end_is_caught() {
        let s = series(12, |t| (t < 10_000, Some(20_000 - t)));
        let p = judge(&s, &TEN_SECONDS).problem.unwrap();
        assert!(
            p.starts_with(
                "at +0.0s the remaining lifetime (20.0s) puts the end at +20.0s, not at +10.0s"
            ),
            "{p}"
        );
    }

    #[test]
    fn disappearance_must_agree_with_the_announced_end_when_no_end_is_declared() {
        let rules = Rules {
            ends: None,
            margin_ms: 1_500,
        };
        let s = series(12, |t| (t < 5_000, Some(10_000 - t)));
        let p = judge(&s, &rules).problem.unwrap();
        assert!(p.starts_with("no longer delivered at +5.1s, although its remaining lifetime announced the end at +10.1s"), "{p}");
        let s = series(12, |t| (true, Some(3_000 - t.min(3_000))));
        let p = judge(&s, &rules).problem.unwrap();
        assert!(
            p.starts_with("the remaining lifetime does not go down"),
            "{p}"
        );
        let s = series(3, |_| (false, None));
        assert_eq!(
            judge(&s, &rules).problem.unwrap(),
            "not delivered at the first sample"
        );
    }

    #[test]
    fn a_window_of_allowed_ends_says_where_the_server_ended_it() {
        let rules = Rules {
            ends: Some((4_000, 12_000)),
            margin_ms: 1_500,
        };
        let s = series(14, |t| (t < 4_000, None));
        let v = judge(&s, &rules);
        assert_eq!(v.problem, None);
        assert!(v.summary.contains("declared end between +4.0s and +12.0s (ended about +3.5s: at the early end of the window)"), "{}", v.summary);
        let s = series(14, |t| (t < 12_000, None));
        assert!(judge(&s, &rules)
            .summary
            .contains("at the late end of the window"));
    }
}
