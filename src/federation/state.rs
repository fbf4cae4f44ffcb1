//! What the fake federating server knows while it runs: the requests it recorded, the PDUs it
//! accepted, its scripted `/send` answers, its rooms and the misbehaviours it was told to show.
//! The listener (`server.rs`) and the endpoints (`routes.rs`) share it.

use super::client::Outbound;
use super::room::FakeRoom;
use super::signing::ServerKey;
use crate::held::Held;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

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

pub use crate::fake::SendAnswer;

pub use crate::fault::Misbehaviour;

pub(super) struct State {
    pub(super) recorded: Vec<Recorded>,
    pub(super) send_script: VecDeque<SendAnswer>,
    /// The answer once the script is used up.
    pub(super) default_answer: SendAnswer,
    pub(super) rooms: HashMap<String, FakeRoom>,
    pub(super) misbehaviours: Vec<Misbehaviour>,
    /// Event IDs of the PDUs of transactions the fake refused (for `ForgetRefusedPdus`).
    pub(super) refused_pdus: std::collections::HashSet<String>,
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
