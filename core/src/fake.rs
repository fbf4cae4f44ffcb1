//! What the fake-server steps describe, as data: the PDUs the fake federating server is to send
//! and how it answers incoming `/send` transactions. The server itself lives in the engine
//! (`federation`).

use serde_json::{Map, Value};
use std::time::Duration;

/// One PDU for the fake server to build and send (`FakeServer::send_pdus`).
#[derive(Debug, Clone)]
pub struct NewPdu {
    /// Local part of the fake user that sends it.
    pub sender_localpart: String,
    /// Event type.
    pub kind: String,
    /// State key, for state events.
    pub state_key: Option<String>,
    /// Content.
    pub content: Value,
    /// Further top-level keys (the sticky object, or deliberately odd ones).
    pub extra: Map<String, Value>,
    /// `origin_server_ts` (the fake's clock unless chosen).
    pub origin_server_ts: i64,
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
