//! What a running scenario leaves behind for its result, in the order it happened: step records,
//! observations, snapshot comparisons and sampled series. One owner ([`Evidence`] behind one
//! lock in the scenario's run); the result takes it whole when the scenario ends.

use crate::results::lifetime::Series;
use crate::results::SnapshotRecord;
use crate::results::{Observation, StepRecord};
use serde_json::Value;

/// Everything a scenario recorded so far.
#[derive(Debug, Default)]
pub struct Evidence {
    /// One per finished step.
    pub records: Vec<StepRecord>,
    /// `observe:` values, the `lifetime` summaries and what the run chose (scheduling API…).
    pub observations: Vec<Observation>,
    /// Snapshot comparisons.
    pub snapshots: Vec<SnapshotRecord>,
    /// Sampled lifetimes.
    pub series: Vec<Series>,
}

impl Evidence {
    /// Records an observation.
    pub fn observe(&mut self, step: &str, label: &str, value: Option<Value>) {
        self.observations.push(Observation {
            step: step.to_string(),
            label: label.to_string(),
            value,
        });
    }

    /// Records an observation under `label` unless there is one already.
    pub fn observe_once(&mut self, step: &str, label: &str, value: Value) {
        if !self.observations.iter().any(|o| o.label == label) {
            self.observe(step, label, Some(value));
        }
    }
}
