//! What the fake-server steps share: finding the target homeserver and the fake user, and (for
//! the executor) turning a step's outcome into a [`Response`] recorded in the transcript.

use super::{StepError, Text};
use crate::client::Response;
use crate::federation::FakeServer;
use crate::runner::exec::ScenarioRun;
use crate::vars::Vars;
use std::collections::BTreeMap;

/// The fake user's local part when a step names none.
pub const DEFAULT_USER: &str = "fake";

/// The server name of the homeserver a step names (`hs1` when it names none).
pub fn target(run: &ScenarioRun, hs: Option<&Text>, vars: &Vars) -> Result<String, StepError> {
    let name = match hs {
        Some(t) => t.render(vars)?,
        None => "hs1".into(),
    };
    Ok(run.homeserver(&name)?.server_name.clone())
}

/// The fake user's local part.
pub fn user(user: Option<&Text>, vars: &Vars) -> Result<String, StepError> {
    match user {
        Some(t) => Ok(t.render(vars)?),
        None => Ok(DEFAULT_USER.to_string()),
    }
}

/// A step's outcome as a response, recorded in the scenario's transcript (the fake's own
/// requests are there already; this is what the step saw).
pub fn respond(
    run: &ScenarioRun,
    fake: &FakeServer,
    step_id: &str,
    request_ms: i64,
    outcome: super::FakeOutcome,
) -> Response {
    let super::FakeOutcome { line, status, body } = outcome;
    run.client
        .transcript()
        .record(crate::client::transcript::Exchange {
            step: step_id.to_string(),
            hs: fake.server_name.clone(),
            actor: "fake".into(),
            method: "FAKE".into(),
            path: line.trim_start_matches("FAKE ").to_string(),
            request: None,
            status: Some(status),
            response: Some(run.ctx.redactor.json(&body)),
            error: None,
            at_ms: 0,
            duration_ms: (crate::util::now_ms() - request_ms).max(0) as u64,
            faults: Vec::new(),
        });
    Response {
        status,
        headers: BTreeMap::new(),
        body,
        request_ms,
        response_ms: crate::util::now_ms(),
        request_line: line,
    }
}
