//! Carrying out the fake-server steps (`fake_join`, `fake_send`, `fake_script`, `fake_received`,
//! `fake_request`): their data is decoded in [`crate::steps`]; here each drives the scenario's
//! fake federating server, and its outcome becomes a response recorded in the transcript, so
//! `expect`, `capture` and waits work on it unchanged.

use super::error::StepError;
use super::exec::ScenarioRun;
use crate::client::Response;
use crate::federation::ops::Delivery;
use crate::federation::FakeServer;
use crate::hs::Hs;
use crate::steps::fake_support::user;
use crate::steps::{self, FakeCall, Text};
use crate::vars::Vars;
use futures_util::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A step kind that drives the fake federating server.
pub trait FakeStep: Send + Sync {
    /// Runs it.
    fn run<'a>(
        &'a self,
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>>;
}

/// What a fake-server step did, which the executor records in the transcript and turns into a
/// response, so `expect`, `capture` and waits work on it unchanged.
#[derive(Debug, Clone)]
pub struct FakeOutcome {
    /// One line for the transcript and messages (`FAKE join !r via hs1`).
    pub line: String,
    /// The status the step reports.
    pub status: u16,
    /// What it reports.
    pub body: serde_json::Value,
}

/// The step behind a [`FakeCall`].
pub fn fake_step(call: FakeCall<'_>) -> &dyn FakeStep {
    match call {
        FakeCall::FakeJoin(s) => s,
        FakeCall::FakeSend(s) => s,
        FakeCall::FakeScript(s) => s,
        FakeCall::FakeReceived(s) => s,
        FakeCall::FakeRequest(s) => s,
    }
}

/// The server name of the homeserver a step names (`hs1` when it names none).
fn target(run: &ScenarioRun, hs: Option<&Text>, vars: &Vars) -> Result<String, StepError> {
    let hs = match hs {
        Some(t) => {
            let name = t.render(vars)?;
            Hs::parse(&name)
                .ok_or_else(|| StepError::harness(format!("`hs: {name}` is not `hs1` or `hs2`")))?
        }
        None => Hs::Hs1,
    };
    Ok(run.homeserver(hs)?.server_name.clone())
}

/// A step's outcome as a response, recorded in the scenario's transcript (the fake's own
/// requests are there already; this is what the step saw).
pub(super) fn respond(
    run: &ScenarioRun,
    fake: &FakeServer,
    step_id: &str,
    request_ms: i64,
    outcome: FakeOutcome,
) -> Response {
    let FakeOutcome { line, status, body } = outcome;
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
            duration_ms: (crate::clock::now_ms() - request_ms).max(0) as u64,
            faults: Vec::new(),
        });
    Response {
        status,
        headers: BTreeMap::new(),
        body,
        request_ms,
        response_ms: crate::clock::now_ms(),
        request_line: line,
    }
}

impl FakeStep for steps::fake_join::Step {
    fn run<'a>(
        &'a self,
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            let vars = run.vars_snapshot();
            let room = self.room.render(&vars)?;
            let via = target(run, self.via.as_ref(), &vars)?;
            let user = user(self.user.as_ref(), &vars)?;
            let (joined, _) = fake.join(step_id, &via, &room, &user).await?;
            let body = json!({
                "event_id": joined.event_id, "room_version": joined.room_version,
                "state_count": joined.state_count, "user_id": fake.user_id(&user),
                "message_auth_events": joined.message_auth_events,
            });
            Ok(FakeOutcome {
                line: format!("FAKE join {room} via {via}"),
                status: 200,
                body,
            })
        })
    }
}

impl FakeStep for steps::fake_send::Step {
    fn run<'a>(
        &'a self,
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            let mut vars = run.vars_snapshot();
            let room = self.room.render(&vars)?;
            let to = target(run, self.to.as_ref(), &vars)?;
            let count = match &self.count {
                Some(c) => c.render(&vars)?.max(1) as u64,
                None => 1,
            };
            let per_txn = match &self.per_txn {
                Some(n) => n.render(&vars)?.max(1) as usize,
                None => 50,
            };
            // A timestamp the scenario chose is read on the server's clock: under a clock-shift
            // control it moves back by the shift, as an appservice's `ts` does (see
            // `Fault::clock_shift_ms`).
            let shift: i64 = match &self.pdu.origin_server_ts {
                Some(_) => run.ctx.faults.iter().map(|f| f.clock_shift_ms()).sum(),
                None => 0,
            };
            let mut pdus = Vec::new();
            for i in 0..count {
                vars.set("i", json!(i));
                let mut pdu = self.pdu.render(&vars)?;
                pdu.origin_server_ts -= shift;
                pdus.push(pdu);
            }
            let delivery = Delivery {
                per_txn,
                parallel: self.parallel,
                retry_within: self.retry_within,
            };
            let sent = fake.send_pdus(step_id, &to, &room, pdus, delivery).await?;
            let event_ids: Vec<&String> = sent.iter().flat_map(|t| &t.event_ids).collect();
            let statuses: Vec<Option<u16>> = sent
                .iter()
                .flat_map(|t| t.attempts.iter().map(|a| a.status))
                .collect();
            let mut results = Map::new();
            for t in &sent {
                if let Some(Value::Object(r)) =
                    t.attempts.last().and_then(|a| a.body.get("pdus")).cloned()
                {
                    results.extend(r);
                }
            }
            let last = sent
                .iter()
                .map(|t| t.attempts.last().and_then(|a| a.status).unwrap_or(0))
                .find(|s| !(200..300).contains(s))
                .unwrap_or(200);
            let body = json!({
                "event_ids": event_ids, "event_id": event_ids.last(),
                "transactions": sent, "statuses": statuses, "results": results,
            });
            let line = format!("FAKE send {} PDUs to {to}", event_ids.len());
            Ok(FakeOutcome {
                line,
                status: last,
                body,
            })
        })
    }
}

impl FakeStep for steps::fake_script::Step {
    fn run<'a>(
        &'a self,
        _run: &'a ScenarioRun,
        fake: &'a FakeServer,
        _step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            fake.script_send(self.answers.clone(), self.then.clone());
            Ok(FakeOutcome {
                line: "FAKE script".into(),
                status: 200,
                body: json!({}),
            })
        })
    }
}

impl FakeStep for steps::fake_received::Step {
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

impl FakeStep for steps::fake_request::Step {
    fn run<'a>(
        &'a self,
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            let vars = run.vars_snapshot();
            let to = target(run, self.to.as_ref(), &vars)?;
            let uri = self.uri(&vars)?;
            let body = self.body.as_ref().map(|b| b.render(&vars)).transpose()?;
            let resp = fake
                .request(step_id, &to, self.method.as_str(), &uri, body.as_ref())
                .await?;
            let line = format!("FAKE {} {uri} on {to}", self.method);
            Ok(FakeOutcome {
                line,
                status: resp.status,
                body: resp.body,
            })
        })
    }
}
