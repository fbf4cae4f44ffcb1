//! `fake_received`: what the fake federating server has received so far.

use super::fake_support::respond;
use super::{FakeStep, Fields, StepError};
use crate::client::Response;
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
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<Response, StepError>> {
        Box::pin(async move {
            let request_ms = crate::util::now_ms();
            let body = fake.received().await;
            Ok(respond(
                run,
                fake,
                step_id,
                request_ms,
                "FAKE received".into(),
                200,
                body,
            ))
        })
    }
}
