//! The fake server's listener and what it does with incoming requests: TLS on a free loopback
//! port, HTTP/1, the server-server endpoints a homeserver calls on a room member. Every request is
//! recorded; `/send` transactions are answered from a script, so a scenario can make the server
//! under test meet 429s, 500s or stalls and watch it retry.

use super::client::Outbound;
use super::room::FakeRoom;
use super::signing::ServerKey;
use super::FederationError;
use crate::util::Held;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A PDU that arrived in a transaction.
#[derive(Debug, Clone)]
pub struct ReceivedPdu {
    /// Its ID, when the fake knows the room (and so its version).
    pub event_id: Option<String>,
    /// The PDU as received (after any misbehaviour the fake was told to show).
    pub pdu: Value,
}

/// One request the fake server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The `X-Matrix` origin, if the request carried one.
    pub origin: Option<String>,
    /// Why the X-Matrix signature was refused, if it was.
    pub auth_error: Option<String>,
    /// The transaction ID of a `/send`.
    pub txn_id: Option<String>,
    /// The PDUs of a `/send` the fake accepted.
    pub pdus: Vec<ReceivedPdu>,
    /// How many PDUs the request carried.
    pub pdu_count: usize,
    /// JSON body (`null` when empty or not JSON).
    pub body: Value,
    /// Local clock, ms since the epoch, when it arrived.
    pub at_ms: i64,
    /// The status the fake answered.
    pub status: u16,
}

/// A scripted answer to one incoming `/send` transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum SendAnswer {
    /// Accept the transaction: 200 with an empty result for every PDU.
    Accept,
    /// Refuse it with this status and body (nothing is stored).
    Reply(u16, Value),
    /// Wait this long, then accept (the sender's timeout may fire first).
    Stall(Duration),
}

/// Ways the fake can be told to misbehave, to show that scenarios notice (faults with `fake:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// Answer 200 to `/send` but lose every sticky PDU of the transaction.
    DropStickyPdus,
    /// Change the sticky duration of every incoming sticky PDU before recording it (a mutated
    /// transaction: its hashes no longer match).
    TamperStickyPdus,
    /// Empty the content of events the fake fetches with `/event` (as a server that applies
    /// history visibility to them would answer).
    RedactFetchedEvents,
    /// Ignore every PDU of a transaction the fake refused once when it comes again: to the
    /// scenario it is as if the sender gave up after the refusal instead of retrying.
    ForgetRefusedPdus,
    /// Read every 200 answer to the fake's own `/send` as naming each of its PDUs refused (as a
    /// server that accepts a transaction but drops its PDUs one by one would answer).
    RefusedPdusInAcceptedAnswers,
    /// Report the sticky PDUs received in the reverse of the order they arrived in (as a
    /// server that pushes them out of creation order would be seen).
    ReverseStickyArrivalOrder,
}

impl Misbehaviour {
    /// Names as written in `fixtures/faults.yaml`.
    pub const NAMES: &'static [&'static str] = &[
        "drop_sticky_pdus",
        "tamper_sticky_pdus",
        "redact_fetched_events",
        "forget_refused_pdus",
        "refused_pdus_in_accepted_answers",
        "reverse_sticky_arrival_order",
    ];

    /// Parses a name.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "drop_sticky_pdus" => Some(Self::DropStickyPdus),
            "tamper_sticky_pdus" => Some(Self::TamperStickyPdus),
            "redact_fetched_events" => Some(Self::RedactFetchedEvents),
            "forget_refused_pdus" => Some(Self::ForgetRefusedPdus),
            "refused_pdus_in_accepted_answers" => Some(Self::RefusedPdusInAcceptedAnswers),
            "reverse_sticky_arrival_order" => Some(Self::ReverseStickyArrivalOrder),
            _ => None,
        }
    }
}

pub(super) struct State {
    pub(super) recorded: Vec<Recorded>,
    send_script: VecDeque<SendAnswer>,
    /// The answer once the script is used up.
    default_answer: SendAnswer,
    pub(super) rooms: HashMap<String, FakeRoom>,
    misbehaviours: Vec<Misbehaviour>,
    /// Event IDs of the PDUs of transactions the fake refused (for `ForgetRefusedPdus`).
    refused_pdus: std::collections::HashSet<String>,
}

pub(super) struct Inner {
    pub(super) key: Arc<ServerKey>,
    pub(super) outbound: Outbound,
    pub(super) state: Mutex<State>,
}

impl Inner {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.held()
    }
}

/// A running fake federating server. Dropping it stops the listener.
pub struct FakeServer {
    /// `localhost:<port>`: the name other servers reach it by.
    pub server_name: String,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    pub(super) inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
    /// Tells every open connection to close when the server goes.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Drop for FakeServer {
    /// Stops listening and closes every open connection: a keep-alive connection that outlived
    /// its fake would go on answering with the old key for the next fake on the same port.
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.closing.send(true);
    }
}

impl FakeServer {
    /// Binds a free loopback port with a fresh certificate and key, and starts serving.
    pub async fn start(misbehaviours: Vec<Misbehaviour>) -> Result<Self, FederationError> {
        Self::start_on(0, misbehaviours).await
    }

    /// Like [`FakeServer::start`] on a given loopback port (0: any free one): a later fake on the
    /// port of an earlier one has the same server name, with a new key under a new key ID.
    pub async fn start_on(
        port: u16,
        misbehaviours: Vec<Misbehaviour>,
    ) -> Result<Self, FederationError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| FederationError::Listen(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| FederationError::Listen(e.to_string()))?
            .port();
        let server_name = format!("localhost:{port}");
        let key = Arc::new(ServerKey::generate(&server_name)?);
        let acceptor = tls_acceptor()?;
        let inner = Arc::new(Inner {
            outbound: Outbound::new(
                key.clone(),
                misbehaviours.contains(&Misbehaviour::RedactFetchedEvents),
                misbehaviours.contains(&Misbehaviour::RefusedPdusInAcceptedAnswers),
            )?,
            key,
            state: Mutex::new(State {
                recorded: Vec::new(),
                send_script: VecDeque::new(),
                default_answer: SendAnswer::Accept,
                rooms: HashMap::new(),
                misbehaviours,
                refused_pdus: Default::default(),
            }),
        });
        let shared = inner.clone();
        let (closing, closed) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, inner) = (acceptor.clone(), shared.clone());
                let mut closed = closed.clone();
                tokio::spawn(async move {
                    let serve = async {
                        // A peer that fails the handshake (or probes plain HTTP) is dropped.
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let service =
                            hyper::service::service_fn(move |req| handle(req, inner.clone()));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                            .await;
                    };
                    tokio::select! {
                        _ = serve => {}
                        _ = closed.wait_for(|c| *c) => {}
                    }
                });
            }
        });
        Ok(FakeServer {
            server_name,
            port,
            inner,
            task,
            closing,
        })
    }

    /// The server's signing key (to sign requests and events it sends).
    pub fn key(&self) -> &ServerKey {
        &self.inner.key
    }

    /// The outgoing side (signed requests to other servers).
    pub fn outbound(&self) -> &Outbound {
        &self.inner.outbound
    }

    /// Queues answers for the next incoming `/send` transactions; `then` replaces the answer
    /// given once the queue is used up (initially [`SendAnswer::Accept`]).
    pub fn script_send(
        &self,
        answers: impl IntoIterator<Item = SendAnswer>,
        then: Option<SendAnswer>,
    ) {
        let mut s = self.inner.lock();
        s.send_script.extend(answers);
        if let Some(t) = then {
            s.default_answer = t;
        }
    }

    /// Everything received so far.
    /// Whether the fake was started with misbehaviour `m`.
    pub(super) fn misbehaves(&self, m: Misbehaviour) -> bool {
        self.inner.lock().misbehaviours.contains(&m)
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.inner.lock().recorded.clone()
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost` and `127.0.0.1` (also what the
/// hostile-server tests serve a federation listener with).
pub fn tls_acceptor() -> Result<tokio_rustls::TlsAcceptor, FederationError> {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(|e| FederationError::Listen(format!("cannot make a certificate: {e}")))?;
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        cert.key_pair.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| FederationError::Listen(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(vec![der], key)
    .map_err(|e| FederationError::Listen(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Decodes `%XX` escapes of one path segment.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of a query parameter, decoded.
fn query_param(uri: &str, name: &str) -> Vec<String> {
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

async fn handle(
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
                    "error": format!("mscheck's fake server reads at most {} of a request", crate::util::human_bytes(limit as u64))
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

    // Every federation request but the key and version ones must carry a valid X-Matrix
    // signature from a loopback server.
    let (origin, auth_error) = match (&seg[..], auth) {
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
                let content = (!raw.is_empty()).then_some(&body);
                super::signing::verify_request(
                    &x,
                    &method,
                    &uri,
                    &inner.key.server_name,
                    content,
                    public,
                )
            }
            .await;
            (Some(x.origin.clone()), checked.err().map(|e| e.to_string()))
        }
    };

    let mut record = Recorded {
        method: method.clone(),
        uri: uri.clone(),
        origin: origin.clone(),
        auth_error: auth_error.clone(),
        txn_id: None,
        pdus: Vec::new(),
        pdu_count: 0,
        body: body.clone(),
        at_ms: crate::util::now_ms(),
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
    let now = crate::util::now_ms();
    let me = inner.key.server_name.clone();
    match (method, seg) {
        ("GET", ["_matrix", "key", "v2", "server", ..]) => {
            // Valid for a day: longer than any run.
            match inner
                .key
                .key_document((now.max(0) as u64) + 24 * 3600 * 1000)
            {
                Ok(doc) => (200, doc),
                Err(e) => (500, json!({"errcode": "M_UNKNOWN", "error": e.to_string()})),
            }
        }
        ("GET", ["_matrix", "federation", "v1", "version"]) => (
            200,
            json!({"server": {"name": "mscheck-fake", "version": env!("CARGO_PKG_VERSION")}}),
        ),
        ("PUT", ["_matrix", "federation", "v1", "send", txn]) => {
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
                        let ids: Vec<String> =
                            pdus.iter().filter_map(|p| pdu_event_id(&s, p)).collect();
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
        ("GET", ["_matrix", "federation", "v1", "event", id]) => {
            let s = inner.lock();
            match s.rooms.values().find_map(|r| r.event(id)) {
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
            let s = inner.lock();
            match s.rooms.get(*room) {
                Some(r) => (
                    200,
                    json!({"events": r.missing_events(&ids("earliest_events"), &ids("latest_events"), limit)}),
                ),
                None => not_found(&format!("room {room}")),
            }
        }
        ("GET", ["_matrix", "federation", "v1", "backfill", room]) => {
            let from = query_param(uri, "v");
            let limit = query_param(uri, "limit")
                .first()
                .and_then(|l| l.parse().ok())
                .unwrap_or(10);
            let s = inner.lock();
            match s.rooms.get(*room) {
                Some(r) => (
                    200,
                    json!({"origin": me, "origin_server_ts": now, "pdus": r.backfill(&from, limit)}),
                ),
                None => not_found(&format!("room {room}")),
            }
        }
        // The fake keeps only the current state, so it answers with that whatever event is
        // asked about: enough for the rooms scenarios build, where the fake's events build on the
        // newest state.
        ("GET", ["_matrix", "federation", "v1", "state_ids", room]) => {
            let s = inner.lock();
            match s.rooms.get(*room) {
                Some(r) => (
                    200,
                    json!({"pdu_ids": r.state_ids(), "auth_chain_ids": r.other_ids()}),
                ),
                None => not_found(&format!("room {room}")),
            }
        }
        ("GET", ["_matrix", "federation", "v1", "state", room]) => {
            let s = inner.lock();
            match s.rooms.get(*room) {
                Some(r) => {
                    let get = |ids: Vec<String>| -> Vec<Value> {
                        ids.iter().filter_map(|i| r.event(i).cloned()).collect()
                    };
                    (
                        200,
                        json!({"pdus": get(r.state_ids()), "auth_chain": get(r.other_ids())}),
                    )
                }
                None => not_found(&format!("room {room}")),
            }
        }
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
mod tests {
    use super::*;

    #[test]
    fn path_segments_and_query_values_are_decoded() {
        assert_eq!(percent_decode("%24abc%3Adef"), "$abc:def");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(
            query_param("/x?v=%24a&limit=5&v=%24b", "v"),
            vec!["$a".to_string(), "$b".to_string()]
        );
    }
}
