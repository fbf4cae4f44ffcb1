//! What the fake federating server answers: the federation endpoints a homeserver calls on it
//! (`/send`, `/event`, `/state_ids`, `/make_join`, keys, `/version`…), each request recorded, and
//! `/send` transactions answered as the scenario scripted (or refused, with a misbehaviour).

use super::error::FederationError;
use super::state::{percent_decode, Inner, Misbehaviour, ReceivedPdu, Recorded, SendAnswer, State};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// The value of a query parameter, decoded.
pub(super) fn query_param(uri: &str, name: &str) -> Vec<String> {
    uri.split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| percent_decode(v))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn is_sticky(pdu: &Value) -> bool {
    pdu.get("msc4354_sticky").is_some() || pdu.get("sticky").is_some()
}

pub(super) async fn handle(
    req: Request<Incoming>,
    inner: Arc<Inner>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let method = req.method().to_string();
    let uri = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let auth = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(super::signing::parse_x_matrix);
    // What the server under test sends the fake is bounded like every answer mscheck reads.
    let limit = crate::client::bounded::body_limit();
    let raw = match http_body_util::Limited::new(req.into_body(), limit)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(json_response(
                413,
                &json!({
                    "errcode": "M_TOO_LARGE",
                    "error": format!("mscheck's fake server reads at most {} of a request", crate::units::human_bytes(limit as u64))
                }),
            ))
        }
    };
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let path = uri.split('?').next().unwrap_or_default().to_string();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();

    let (origin, auth_error) = authenticate(&inner, &seg, auth, &method, &uri, &raw, &body).await;

    let mut record = Recorded {
        method: method.clone(),
        uri: uri.clone(),
        origin: origin.clone(),
        auth_error: auth_error.clone(),
        txn_id: None,
        pdus: Vec::new(),
        pdu_count: 0,
        body: body.clone(),
        at_ms: crate::clock::now_ms(),
        status: 0,
    };
    let (status, answer) = if let Some(why) = &auth_error {
        (401, json!({"errcode": "M_UNAUTHORIZED", "error": why}))
    } else {
        route(&inner, &method, &seg, &uri, &body, &mut record).await
    };
    record.status = status;
    inner.lock().recorded.push(record);
    Ok(json_response(status, &answer))
}

/// Who signed a request, and why its signature does not hold: every federation request but
/// the key and version ones must carry a valid X-Matrix signature from a loopback server.
async fn authenticate(
    inner: &Inner,
    seg: &[&str],
    auth: Option<Result<super::signing::XMatrix, FederationError>>,
    method: &str,
    uri: &str,
    raw: &[u8],
    body: &Value,
) -> (Option<String>, Option<String>) {
    match (seg, auth) {
        (["_matrix", "key", ..], _) | (["_matrix", "federation", "v1", "version"], _) => {
            (None, None)
        }
        (_, None) => (None, Some("no X-Matrix authorisation".to_string())),
        (_, Some(Err(e))) => (None, Some(e.to_string())),
        (_, Some(Ok(x))) => {
            let checked = async {
                let keys = inner.outbound.server_keys(&x.origin).await?;
                let public = keys.get(&x.key).ok_or_else(|| {
                    FederationError::Auth(format!("{} has no key {}", x.origin, x.key))
                })?;
                let content = (!raw.is_empty()).then_some(body);
                super::signing::verify_request(
                    &x,
                    method,
                    uri,
                    &inner.key.server_name,
                    content,
                    public,
                )
            }
            .await;
            (Some(x.origin.clone()), checked.err().map(|e| e.to_string()))
        }
    }
}

/// A JSON answer with a status.
fn json_response(status: u16, answer: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(answer.to_string())));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

fn not_found(what: &str) -> (u16, Value) {
    (
        404,
        json!({"errcode": "M_NOT_FOUND", "error": format!("the fake server does not know {what}")}),
    )
}

async fn route(
    inner: &Inner,
    method: &str,
    seg: &[&str],
    uri: &str,
    body: &Value,
    record: &mut Recorded,
) -> (u16, Value) {
    let now = crate::clock::now_ms();
    let me = inner.key.server_name.clone();
    match (method, seg) {
        // Valid for a day: longer than any run.
        ("GET", ["_matrix", "key", "v2", "server", ..]) => match inner
            .key
            .key_document((now.max(0) as u64) + 24 * 3600 * 1000)
        {
            Ok(doc) => (200, doc),
            Err(e) => (500, json!({"errcode": "M_UNKNOWN", "error": e.to_string()})),
        },
        ("GET", ["_matrix", "federation", "v1", "version"]) => (
            200,
            json!({"server": {"name": "mscheck-fake", "version": env!("CARGO_PKG_VERSION")}}),
        ),
        ("PUT", ["_matrix", "federation", "v1", "send", txn]) => {
            send(inner, txn, body, record).await
        }
        ("GET", ["_matrix", "federation", "v1", "event", id]) => {
            let s = inner.lock();
            let event = s.rooms.values().find_map(|r| r.event(id));
            match event {
                Some(e) => (
                    200,
                    json!({"origin": me, "origin_server_ts": now, "pdus": [e]}),
                ),
                None => not_found(&format!("event {id}")),
            }
        }
        ("POST", ["_matrix", "federation", "v1", "get_missing_events", room]) => {
            let ids = |k: &str| super::room::string_list(body.get(k));
            let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(10) as usize;
            in_room(
                inner,
                room,
                |r| json!({"events": r.missing_events(&ids("earliest_events"), &ids("latest_events"), limit)}),
            )
        }
        ("GET", ["_matrix", "federation", "v1", "backfill", room]) => {
            let from = query_param(uri, "v");
            let limit = query_param(uri, "limit")
                .first()
                .and_then(|l| l.parse().ok())
                .unwrap_or(10);
            in_room(
                inner,
                room,
                |r| json!({"origin": me, "origin_server_ts": now, "pdus": r.backfill(&from, limit)}),
            )
        }
        // The fake keeps only the current state, so it answers with that whatever event is
        // asked about: enough for the rooms scenarios build, where the fake's events build on the
        // newest state.
        ("GET", ["_matrix", "federation", "v1", "state_ids", room]) => in_room(
            inner,
            room,
            |r| json!({"pdu_ids": r.state_ids(), "auth_chain_ids": r.other_ids()}),
        ),
        ("GET", ["_matrix", "federation", "v1", "state", room]) => in_room(inner, room, |r| {
            let get = |ids: Vec<String>| -> Vec<Value> {
                ids.iter().filter_map(|i| r.event(i).cloned()).collect()
            };
            json!({"pdus": get(r.state_ids()), "auth_chain": get(r.other_ids())})
        }),
        ("GET", ["_matrix", "federation", "v1", "user", "devices", user]) => {
            (200, json!({"user_id": user, "stream_id": 0, "devices": []}))
        }
        ("POST", ["_matrix", "federation", "v1", "user", "keys", "query"]) => {
            (200, json!({"device_keys": {}}))
        }
        _ => (
            404,
            json!({"errcode": "M_UNRECOGNIZED", "error": "not handled by mscheck's fake server"}),
        ),
    }
}

/// `PUT /send/{txn}`: answered as the scenario scripted (a status, a stall) or accepted.
async fn send(inner: &Inner, txn: &str, body: &Value, record: &mut Recorded) -> (u16, Value) {
    record.txn_id = Some(txn.to_string());
    let pdus = body
        .get("pdus")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    record.pdu_count = pdus.len();
    let answer = {
        let mut s = inner.lock();
        let d = s.default_answer.clone();
        s.send_script.pop_front().unwrap_or(d)
    };
    match answer {
        SendAnswer::Reply(status, body) => {
            let mut s = inner.lock();
            if s.misbehaviours.contains(&Misbehaviour::ForgetRefusedPdus) {
                let ids: Vec<String> = pdus.iter().filter_map(|p| pdu_event_id(&s, p)).collect();
                s.refused_pdus.extend(ids);
            }
            (status, body)
        }
        SendAnswer::Stall(d) => {
            // Simulates a server too slow to answer; the sender's timeout is under test.
            tokio::time::sleep(d).await;
            (200, accept(inner, pdus, record))
        }
        SendAnswer::Accept => (200, accept(inner, pdus, record)),
    }
}

/// An answer about one of the fake's rooms, or 404 when it does not know the room.
fn in_room(
    inner: &Inner,
    room: &str,
    answer: impl FnOnce(&super::room::FakeRoom) -> Value,
) -> (u16, Value) {
    let s = inner.lock();
    match s.rooms.get(room) {
        Some(r) => (200, answer(r)),
        None => not_found(&format!("room {room}")),
    }
}

/// Stores an accepted transaction's PDUs in the rooms the fake knows and records them; returns
/// the `/send` answer. Misbehaviours apply here.
fn accept(inner: &Inner, pdus: Vec<Value>, record: &mut Recorded) -> Value {
    let mut s = inner.lock();
    let drop_sticky = s.misbehaviours.contains(&Misbehaviour::DropStickyPdus);
    let tamper = s.misbehaviours.contains(&Misbehaviour::TamperStickyPdus);
    let mut results = serde_json::Map::new();
    for mut pdu in pdus {
        let room_id = pdu
            .get("room_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let event_id = pdu_event_id(&s, &pdu);
        if let Some(id) = &event_id {
            results.insert(id.clone(), json!({}));
            if s.refused_pdus.contains(id) {
                continue;
            }
        }
        if drop_sticky && is_sticky(&pdu) {
            continue;
        }
        if tamper && is_sticky(&pdu) {
            pdu["msc4354_sticky"] = json!({"duration_ms": 3_600_000});
        }
        if let (Some(id), Some(room)) = (&event_id, s.rooms.get_mut(&room_id)) {
            room.add(id, pdu.clone(), true);
        }
        record.pdus.push(ReceivedPdu { event_id, pdu });
    }
    json!({"pdus": results})
}

/// A PDU's event ID, in a room the fake knows.
fn pdu_event_id(s: &State, pdu: &Value) -> Option<String> {
    let room_id = pdu.get("room_id").and_then(Value::as_str)?;
    s.rooms
        .get(room_id)
        .and_then(|r| super::pdu::event_id(pdu, r.rules()).ok())
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
