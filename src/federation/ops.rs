//! What scenario steps ask of the fake server: join a room on a homeserver, send its own PDUs
//! in transactions (retrying refused ones the way a well-behaved server does), make any signed
//! request, and summarise what it has received.

use super::client::loopback_address;
use super::error::FederationError;
use super::room::FakeRoom;
use super::server::FakeServer;
use super::state::percent_decode;
pub use crate::fake::NewPdu;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Room versions the fake can build events for (sent as `ver` to make_join).
pub const SUPPORTED_VERSIONS: &[&str] = &["10", "11", "12"];

/// How long one federation request of the fake may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What joining gave.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The join event's ID.
    pub event_id: String,
    /// The room version.
    pub room_version: String,
    /// How many state events send_join returned.
    pub state_count: usize,
    /// The auth events a message from the joined user cites right after the join: with the
    /// join's ID, what a later PDU needs to be built as if the user were still joined (to make
    /// a server soft-fail it after a kick).
    pub message_auth_events: Vec<String>,
}

/// One attempt at delivering a transaction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempt {
    /// Local clock, ms since the epoch, when it was sent.
    pub at_ms: i64,
    /// The answer's status (`null` when none came).
    pub status: Option<u16>,
    /// The answer (or the transport error).
    pub body: Value,
}

/// One transaction and every attempt at it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentTransaction {
    /// The transaction ID.
    pub txn_id: String,
    /// The IDs of its PDUs, in order.
    pub event_ids: Vec<String>,
    /// Every attempt, in order; the last one is the outcome.
    pub attempts: Vec<Attempt>,
}

/// How [`FakeServer::send_pdus`] delivers: how many PDUs a transaction carries, whether the
/// transactions go out at once, and how long a refused one is retried. A refused transaction is
/// sent again after the `retry_after_ms` its answer asks for, or after a backoff from 500 ms
/// doubling to 8 s.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// PDUs per transaction (at most 50 by the spec).
    pub per_txn: usize,
    /// All transactions at once, each building on the same event (the room forks).
    pub parallel: bool,
    /// Stop retrying a refused transaction after this long (0: never retry).
    pub retry_within: Duration,
}

impl FakeServer {
    /// A user ID on the fake server.
    pub fn user_id(&self, localpart: &str) -> String {
        format!("@{localpart}:{}", self.server_name)
    }

    /// Joins `room_id` on `via` (a loopback server name) as `@localpart:<fake>`: make_join, sign
    /// the template, send_join, and keep the returned state.
    pub async fn join(
        &self,
        step: &str,
        via: &str,
        room_id: &str,
        localpart: &str,
    ) -> Result<(Joined, Value), FederationError> {
        let user = self.user_id(localpart);
        let vers: String = SUPPORTED_VERSIONS
            .iter()
            .map(|v| format!("&ver={v}"))
            .collect();
        let uri = format!(
            "/_matrix/federation/v1/make_join/{}/{}?{}",
            crate::client::encode(room_id),
            crate::client::encode(&user),
            &vers[1..]
        );
        let out = self.outbound();
        let made = out
            .request(step, via, "GET", &uri, None, REQUEST_TIMEOUT)
            .await?;
        made.expect_ok(&format!("make_join on {via}"))?;
        let (version, template) = join_template(&made.body)?;
        let mut room = FakeRoom::new(room_id, &version)?;
        let (event_id, signed) = super::pdu::sign_pdu(self.key(), template, room.rules())?;
        let uri = format!(
            "/_matrix/federation/v2/send_join/{}/{}",
            crate::client::encode(room_id),
            crate::client::encode(&event_id)
        );
        let joined = out
            .request(step, via, "PUT", &uri, Some(&signed), REQUEST_TIMEOUT)
            .await?;
        joined.expect_ok(&format!("send_join on {via}"))?;
        let state_count = take_joined_state(&mut room, &joined.body)?;
        room.add(&event_id, signed, true);
        let message_auth_events = super::room::string_list(
            room.build(
                &user,
                "m.room.message",
                None,
                json!({}),
                &Default::default(),
                0,
            )
            .get("auth_events"),
        );
        self.inner.lock().rooms.insert(room_id.to_string(), room);
        let outcome = Joined {
            event_id,
            room_version: version,
            state_count,
            message_auth_events,
        };
        Ok((outcome, joined.body))
    }

    /// Builds, signs and sends PDUs into a room the fake joined, `per_txn` to a transaction, one
    /// transaction after another (or all at once with `parallel`), retrying refused ones.
    pub async fn send_pdus(
        &self,
        step: &str,
        to: &str,
        room_id: &str,
        pdus: Vec<NewPdu>,
        delivery: Delivery,
    ) -> Result<Vec<SentTransaction>, FederationError> {
        let Delivery {
            per_txn, parallel, ..
        } = delivery;
        loopback_address(to)?;
        let mut batches: Vec<(String, Vec<String>, Vec<Value>)> = Vec::new();
        {
            let mut s = self.inner.lock();
            let room = s.rooms.get_mut(room_id).ok_or_else(|| {
                FederationError::Protocol(format!(
                    "the fake server has not joined {room_id} (add a `fake_join` step first)"
                ))
            })?;
            // Transactions sent at once each build on the same event, so that none depends on
            // another arriving first: the room forks, as it does when servers write at once.
            let base = room.latest();
            let mut pending = pdus.into_iter().peekable();
            while pending.peek().is_some() {
                if parallel {
                    room.build_on(base.clone());
                }
                let (mut ids, mut signed_all) = (Vec::new(), Vec::new());
                for p in pending.by_ref().take(per_txn.max(1)) {
                    let sender = format!("@{}:{}", p.sender_localpart, self.server_name);
                    let unsigned = room.build(
                        &sender,
                        &p.kind,
                        p.state_key.as_deref(),
                        p.content,
                        &p.extra,
                        p.origin_server_ts,
                    );
                    let (id, signed) = super::pdu::sign_pdu(self.key(), unsigned, room.rules())?;
                    room.add(&id, signed.clone(), true);
                    ids.push(id);
                    signed_all.push(signed);
                }
                batches.push((
                    format!("mscheck{}", crate::random::random_hex::<6>()),
                    ids,
                    signed_all,
                ));
            }
        }
        let send = |(txn, ids, pdus): (String, Vec<String>, Vec<Value>)| async move {
            self.deliver(step, to, txn, ids, pdus, delivery.retry_within)
                .await
        };
        if parallel {
            futures_util::future::join_all(batches.into_iter().map(send))
                .await
                .into_iter()
                .collect()
        } else {
            let mut out = Vec::new();
            for b in batches {
                out.push(send(b).await?);
            }
            Ok(out)
        }
    }

    async fn deliver(
        &self,
        step: &str,
        to: &str,
        txn: String,
        event_ids: Vec<String>,
        pdus: Vec<Value>,
        retry_within: Duration,
    ) -> Result<SentTransaction, FederationError> {
        let uri = format!("/_matrix/federation/v1/send/{txn}");
        let started = Instant::now();
        let mut backoff = Duration::from_millis(500);
        let mut attempts = Vec::new();
        loop {
            let body = json!({
                "origin": self.server_name,
                "origin_server_ts": crate::clock::now_ms(),
                "pdus": pdus,
                "edus": [],
            });
            let at_ms = crate::clock::now_ms();
            let r = self
                .outbound()
                .request(step, to, "PUT", &uri, Some(&body), REQUEST_TIMEOUT)
                .await;
            let (status, answer) = match r {
                Ok(resp) => (Some(resp.status), resp.body),
                Err(e) => (None, json!({"transport_error": e.to_string()})),
            };
            attempts.push(Attempt {
                at_ms,
                status,
                body: answer.clone(),
            });
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            if ok || started.elapsed() >= retry_within {
                break;
            }
            let wait = answer
                .get("retry_after_ms")
                .and_then(Value::as_u64)
                .map(Duration::from_millis)
                .unwrap_or(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(8));
            // The pause the sender owes a server that refused it: the behaviour under test.
            tokio::time::sleep(wait.min(retry_within.saturating_sub(started.elapsed()))).await;
        }
        Ok(SentTransaction {
            txn_id: txn,
            event_ids,
            attempts,
        })
    }

    /// A signed request to another server, answered as it came.
    pub async fn request(
        &self,
        step: &str,
        to: &str,
        method: &str,
        uri: &str,
        body: Option<&Value>,
    ) -> Result<super::client::FedResponse, FederationError> {
        self.outbound()
            .request(step, to, method, uri, body, REQUEST_TIMEOUT)
            .await
    }

    /// What the fake has received, as a JSON document steps check: every `/send` transaction
    /// (with its answer, and the gap since the previous attempt of the same transaction), every
    /// accepted PDU with its ID and whether its hashes and signatures verify, and the other
    /// requests.
    pub async fn received(&self) -> Value {
        let recorded = self.recorded();
        let mut transactions = Vec::new();
        let mut pdus = Vec::new();
        let mut verified = Vec::new();
        let mut unverified = Vec::new();
        let mut requests = Vec::new();
        let mut last_at: std::collections::HashMap<String, i64> = Default::default();
        let mut previous_send: Option<i64> = None;
        for r in &recorded {
            let Some(txn) = &r.txn_id else {
                requests.push(json!({
                    "method": r.method, "path": percent_decode(r.uri.split('?').next().unwrap_or("")),
                    "origin": r.origin, "status": r.status, "at_ms": r.at_ms,
                }));
                continue;
            };
            let retry_gap = last_at.get(txn).map(|t| r.at_ms - t);
            last_at.insert(txn.clone(), r.at_ms);
            let gap = previous_send.map(|t| r.at_ms - t);
            previous_send = Some(r.at_ms);
            let ids: Vec<&Option<String>> = r.pdus.iter().map(|p| &p.event_id).collect();
            transactions.push(json!({
                "txn_id": txn, "origin": r.origin, "status": r.status, "at_ms": r.at_ms,
                "pdu_count": r.pdu_count, "event_ids": ids,
                "retry_of_txn_after_ms": retry_gap, "after_previous_ms": gap,
                "auth_error": r.auth_error,
            }));
            for p in &r.pdus {
                let mut shown = p.pdu.clone();
                if let (Some(o), Some(id)) = (shown.as_object_mut(), &p.event_id) {
                    o.insert("event_id".into(), json!(id));
                }
                pdus.push(shown);
                match self.check_pdu(p).await {
                    Ok(()) => verified.extend(p.event_id.clone()),
                    Err(why) => unverified.push(json!({"event_id": p.event_id, "error": why})),
                }
            }
        }
        if self.misbehaves(super::server::Misbehaviour::ReverseStickyArrivalOrder) {
            reverse_sticky_pdus(&mut pdus);
        }
        let statuses: Vec<u16> = recorded
            .iter()
            .filter(|r| r.txn_id.is_some())
            .map(|r| r.status)
            .collect();
        let intervals: Vec<Value> = transactions
            .iter()
            .filter_map(|t| t.get("after_previous_ms").filter(|v| !v.is_null()).cloned())
            .collect();
        let refused = statuses.iter().filter(|s| !(200..300).contains(*s)).count();
        json!({
            "transactions": transactions,
            "send_statuses": statuses,
            "refused": refused,
            "send_intervals_ms": intervals,
            "pdus": pdus,
            "verified": verified,
            "unverified": unverified,
            "requests": requests,
        })
    }

    async fn check_pdu(&self, p: &super::server::ReceivedPdu) -> Result<(), String> {
        let room_id = p.pdu.get("room_id").and_then(Value::as_str).unwrap_or("");
        let rules = {
            let s = self.inner.lock();
            match s.rooms.get(room_id) {
                Some(r) => r.rules().clone(),
                None => return Err(format!("the fake server is not in room {room_id}")),
            }
        };
        let sender = p.pdu.get("sender").and_then(Value::as_str).unwrap_or("");
        let server = sender.split_once(':').map(|x| x.1).unwrap_or("");
        let keys = self
            .outbound()
            .server_keys(server)
            .await
            .map_err(|e| e.to_string())?;
        let map = [(server.to_string(), keys)].into_iter().collect();
        super::pdu::verify_pdu(&p.pdu, &map, &rules)
    }
}

/// Puts the sticky PDUs of `pdus` in reverse order, leaving every other PDU where it is.
fn reverse_sticky_pdus(pdus: &mut [Value]) {
    let slots: Vec<usize> = (0..pdus.len())
        .filter(|&i| super::routes::is_sticky(&pdus[i]))
        .collect();
    let reversed: Vec<Value> = slots.iter().rev().map(|&i| pdus[i].clone()).collect();
    for (slot, pdu) in slots.into_iter().zip(reversed) {
        pdus[slot] = pdu;
    }
}

/// The room version and the join event template of a `make_join` answer, the template's
/// timestamp now and its hashes and signatures gone (the fake signs it anew).
fn join_template(made: &Value) -> Result<(String, Value), FederationError> {
    let version = made
        .get("room_version")
        .and_then(Value::as_str)
        .unwrap_or("1")
        .to_string();
    let mut template = made
        .get("event")
        .cloned()
        .ok_or_else(|| FederationError::Protocol("make_join returned no event".into()))?;
    template["origin_server_ts"] = json!(crate::clock::now_ms());
    if let Some(o) = template.as_object_mut() {
        o.remove("event_id");
        o.remove("signatures");
        o.remove("hashes");
    }
    Ok((version, template))
}

/// Puts a `send_join` answer's auth chain and state into the room; the number of state events.
fn take_joined_state(room: &mut FakeRoom, joined: &Value) -> Result<usize, FederationError> {
    let list = |k: &str| -> Vec<Value> {
        joined
            .get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (auth_chain, state) = (list("auth_chain"), list("state"));
    for (events, current) in [(&auth_chain, false), (&state, true)] {
        for e in events {
            let id = super::pdu::event_id(e, room.rules())?;
            room.add(&id, e.clone(), current);
        }
    }
    Ok(state.len())
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn only_sticky_pdus_change_places() {
        let sticky = |k: &str| json!({"type": "t", "content": {"msc4354_sticky_key": k}, "msc4354_sticky": {"duration_ms": 1}});
        let plain = json!({"type": "m.room.message"});
        let mut pdus = vec![sticky("a"), plain.clone(), sticky("b"), sticky("c")];
        reverse_sticky_pdus(&mut pdus);
        assert_eq!(pdus, vec![sticky("c"), plain, sticky("b"), sticky("a")]);
    }
}
