//! `fake_received`: what the fake federating server has received so far.

use super::{FakeOutcome, FakeStep, Fields, StepError};
use crate::federation::FakeServer;
use crate::runner::exec::ScenarioRun;
use futures_util::future::BoxFuture;

/// Key in the YAML.
pub const NAME: &str = "fake_received";
/// One line for the README.
pub const SUMMARY: &str = "what the fake federating server has received: transactions, statuses, intervals, PDUs and whether they verify";
/// No `as:`: the fake server acts.
pub const NEEDS_USER: bool = false;
/// No client-server request.
pub const SAMPLES: &[(&str, &str)] = &[];

/// No fields.
#[derive(Debug, Clone)]
pub struct Step;

impl Step {
    /// Reads the (no) fields.
    pub fn decode(_: &mut Fields) -> Option<Self> {
        Some(Step)
    }
}

impl FakeStep for Step {
    fn run<'a>(
        &'a self,
        _run: &'a ScenarioRun,
        fake: &'a FakeServer,
        _step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            let body = fake.received().await;
            Ok(FakeOutcome {
                line: "FAKE received".into(),
                status: 200,
                body,
            })
        })
    }
}
