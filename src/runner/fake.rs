//! Steps that drive the fake federating server (`fake_join`, `fake_send`, `fake_script`,
//! `fake_received`, `fake_request`). Each gives a [`Response`] like an HTTP step, so `expect`,
//! `capture`, `accumulate`, `observe` and `within` work on it unchanged:
//!
//! * `fake_join`: the status of send_join; body `{event_id, room_version, state_count, user_id}`.
//! * `fake_send`: the status of the last attempt of the last transaction; body `{event_ids,
//!   event_id (the last), transactions: [{txn_id, event_ids, attempts: [{at_ms, status, body}]}],
//!   statuses, results}`: `results` merges the per-PDU answers of accepted transactions.
//! * `fake_script`: 200, `{}`.
//! * `fake_received`: 200, the document [`FakeServer::received`] builds.
//! * `fake_request`: the other server's answer as it came.

use super::exec::ScenarioRun;
use super::StepError;
use crate::client::Response;
use crate::federation::ops::{Delivery, NewPdu};
use crate::federation::{FakeServer, SendAnswer};
use crate::scenario::Call;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The fake user's local part when a step names none.
const DEFAULT_USER: &str = "fake";

/// Runs one fake-server step.
pub async fn run(
    run: &ScenarioRun,
    fake: &FakeServer,
    step_id: &str,
    call: &Call,
) -> Result<Response, StepError> {
    let a = if call.kind.name == "fake_send" {
        // Its fields are rendered again for every PDU it builds, `{{i}}` counting them.
        run.render_with_index(&call.args, 0)?
    } else {
        let mut a = Map::new();
        for (k, v) in &call.args {
            a.insert(k.clone(), run.render(v)?);
        }
        a
    };
    let text = |k: &str| a.get(k).map(as_text);
    let user = text("user").unwrap_or_else(|| DEFAULT_USER.to_string());
    let target = |k: &str| -> Result<String, StepError> {
        let name = text(k).unwrap_or_else(|| "hs1".into());
        Ok(run.homeserver(&name)?.server_name.clone())
    };
    let request_ms = crate::util::now_ms();
    let fed = |e: crate::federation::FederationError| StepError::Transport(e.to_string());
    let (line, status, body) = match call.kind.name {
        "fake_join" => {
            let room = text("room").unwrap_or_default();
            let via = target("via")?;
            let (joined, _) = fake.join(step_id, &via, &room, &user).await.map_err(fed)?;
            (
                format!("FAKE join {room} via {via}"),
                200,
                json!({
                    "event_id": joined.event_id, "room_version": joined.room_version,
                    "state_count": joined.state_count, "user_id": fake.user_id(&user),
                    "message_auth_events": joined.message_auth_events,
                }),
            )
        }
        "fake_send" => {
            let room = text("room").unwrap_or_default();
            let to = target("to")?;
            let count = a.get("count").and_then(Value::as_u64).unwrap_or(1).max(1);
            let per_txn = a.get("per_txn").and_then(Value::as_u64).unwrap_or(50) as usize;
            let parallel = a.get("parallel").and_then(Value::as_bool).unwrap_or(false);
            let within = match text("retry_within") {
                Some(t) => crate::util::parse_duration(&t).ok_or_else(|| {
                    StepError::Harness(format!("`retry_within`: `{t}` is not a duration"))
                })?,
                None => Duration::from_secs(60),
            };
            let mut pdus = Vec::new();
            for i in 0..count {
                // `{{i}}` in the step's values counts the PDUs from 0.
                let rendered = run.render_with_index(&call.args, i)?;
                pdus.push(new_pdu(&rendered, &user)?);
            }
            let sent = fake
                .send_pdus(
                    step_id,
                    &to,
                    &room,
                    pdus,
                    Delivery {
                        per_txn,
                        parallel,
                        retry_within: within,
                    },
                )
                .await
                .map_err(fed)?;
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
            (
                format!("FAKE send {} PDUs to {to}", event_ids.len()),
                last,
                json!({
                    "event_ids": event_ids, "event_id": event_ids.last(),
                    "transactions": sent, "statuses": statuses, "results": results,
                }),
            )
        }
        "fake_script" => {
            let answers = match a.get("answers") {
                Some(Value::Array(list)) => list.iter().map(answer).collect::<Result<_, _>>()?,
                Some(other) => vec![answer(other)?],
                None => Vec::new(),
            };
            let then = a.get("then").map(answer).transpose()?;
            fake.script_send(answers, then);
            ("FAKE script".to_string(), 200, json!({}))
        }
        "fake_received" => ("FAKE received".to_string(), 200, fake.received().await),
        "fake_request" => {
            let to = target("to")?;
            let method = text("method")
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase();
            let mut uri = text("path").unwrap_or_default();
            if let Some(Value::Object(q)) = a.get("query") {
                let parts: Vec<String> = q
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}={}",
                            crate::client::encode(k),
                            crate::client::encode(&as_text(v))
                        )
                    })
                    .collect();
                uri = format!("{uri}?{}", parts.join("&"));
            }
            let resp = fake
                .request(step_id, &to, &method, &uri, a.get("body"))
                .await
                .map_err(fed)?;
            (
                format!("FAKE {method} {uri} on {to}"),
                resp.status,
                resp.body,
            )
        }
        other => {
            return Err(StepError::Harness(format!(
                "`{other}` is not a fake-server step"
            )))
        }
    };
    // The fake's own requests are in the transcript already; this records what the step saw.
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
    Ok(Response {
        status,
        headers: BTreeMap::new(),
        body,
        request_ms,
        response_ms: crate::util::now_ms(),
        request_line: line,
    })
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The PDU a `fake_send` step describes (already rendered for one `{{i}}`).
fn new_pdu(a: &Map<String, Value>, user: &str) -> Result<NewPdu, StepError> {
    let mut extra = match a.get("extra") {
        Some(Value::Object(o)) => o.clone(),
        Some(_) => {
            return Err(StepError::Harness(
                "`extra` must be a mapping of top-level keys".into(),
            ))
        }
        None => Map::new(),
    };
    // `sticky` is the sticky object exactly as given (for malformed ones); `sticky_ms` the usual
    // `{duration_ms: N}`. The unstable key follows the newest MSC4354 text and Synapse.
    if let Some(s) = a.get("sticky") {
        extra.insert("msc4354_sticky".into(), s.clone());
    } else if let Some(ms) = a.get("sticky_ms") {
        extra.insert("msc4354_sticky".into(), json!({"duration_ms": ms}));
    }
    let ts = match a.get("origin_server_ts") {
        None => crate::util::now_ms(),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                StepError::Harness(format!("`origin_server_ts` must be a number, got {v}"))
            })?,
    };
    Ok(NewPdu {
        sender_localpart: user.to_string(),
        kind: a
            .get("type")
            .map(as_text)
            .unwrap_or_else(|| "m.room.message".into()),
        state_key: a.get("state_key").map(as_text),
        content: a
            .get("content")
            .cloned()
            .unwrap_or_else(|| json!({"msgtype": "m.text", "body": "from the fake server"})),
        extra,
        origin_server_ts: ts,
    })
}

/// One scripted `/send` answer: `accept` (or 200), a status, `{status, retry_after_ms?,
/// errcode?}`, or `{stall: 30s}`.
fn answer(v: &Value) -> Result<SendAnswer, StepError> {
    let bad = || {
        StepError::Harness(format!(
            "a /send answer is `accept`, a status, {{status, retry_after_ms?, errcode?}} or {{stall: <duration>}}; got {v}"
        ))
    };
    let reply = |status: u16, retry: Option<u64>, errcode: Option<&str>| {
        if (200..300).contains(&status) {
            return SendAnswer::Accept;
        }
        let code = errcode.unwrap_or(if status == 429 {
            "M_LIMIT_EXCEEDED"
        } else {
            "M_UNKNOWN"
        });
        let mut body = json!({"errcode": code, "error": "scripted by mscheck's fake server"});
        if let Some(r) = retry {
            body["retry_after_ms"] = json!(r);
        }
        SendAnswer::Reply(status, body)
    };
    match v {
        Value::String(s) if s == "accept" => Ok(SendAnswer::Accept),
        Value::Number(n) => Ok(reply(n.as_u64().ok_or_else(bad)? as u16, None, None)),
        Value::Object(o) => {
            if let Some(d) = o.get("stall") {
                let d = crate::util::parse_duration(&as_text(d)).ok_or_else(bad)?;
                return Ok(SendAnswer::Stall(d));
            }
            let status = o.get("status").and_then(Value::as_u64).ok_or_else(bad)? as u16;
            Ok(reply(
                status,
                o.get("retry_after_ms").and_then(Value::as_u64),
                o.get("errcode").and_then(Value::as_str),
            ))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_answers_read_as_written() {
        assert_eq!(answer(&json!("accept")).unwrap(), SendAnswer::Accept);
        assert_eq!(answer(&json!(200)).unwrap(), SendAnswer::Accept);
        let SendAnswer::Reply(429, body) =
            answer(&json!({"status": 429, "retry_after_ms": 1500})).unwrap()
        else {
            panic!("a 429 reply")
        };
        assert_eq!(body["errcode"], "M_LIMIT_EXCEEDED");
        assert_eq!(body["retry_after_ms"], 1500);
        assert_eq!(
            answer(&json!({"stall": "2s"})).unwrap(),
            SendAnswer::Stall(Duration::from_secs(2))
        );
        assert!(answer(&json!({"stall": "soon"})).is_err());
        assert!(answer(&json!(true)).is_err());
    }

    #[test]
    fn a_sticky_shorthand_and_a_raw_sticky_object_become_top_level_keys() {
        let a = json!({"sticky_ms": 600000, "type": "org.example.sticky", "origin_server_ts": "5"});
        let p = new_pdu(a.as_object().unwrap(), "zed").unwrap();
        assert_eq!(p.extra["msc4354_sticky"], json!({"duration_ms": 600000}));
        assert_eq!(p.origin_server_ts, 5);
        let a = json!({"sticky": {"duration_ms": "60000"}});
        let p = new_pdu(a.as_object().unwrap(), "zed").unwrap();
        assert_eq!(p.extra["msc4354_sticky"], json!({"duration_ms": "60000"}));
        assert_eq!(p.kind, "m.room.message");
    }
}
