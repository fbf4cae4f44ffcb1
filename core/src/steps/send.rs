//! `send`: PUT /rooms/{room}/send/{type}/{txn}, sticky with `sticky_ms` (the query parameter's
//! name follows the MSC4354 revision).

use super::build::event_query;
use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Json, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::encode;
use crate::http::Method;
use serde_json::json;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "send",
    summary: "PUT /rooms/{room}/send/{type}/{txn}, optionally sticky (`sticky_ms`, parameter name per MSC4354 revision)",
    needs_user: true,
    samples: &[("PUT", "/_matrix/client/v3/rooms/%21r/send/t/x")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    event_type: Option<Text>,
    content: Option<Json>,
    txn: Option<Text>,
    /// Any JSON: out-of-range and malformed durations are sent as written.
    sticky_ms: Option<Json>,
    query: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        Some(Step {
            event_type: f.text("type"),
            content: f.json("content"),
            txn: f.text("txn"),
            sticky_ms: f.json("sticky_ms"),
            query: f.mapping("query"),
            room: room?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let event_type = match &self.event_type {
            Some(t) => cx.text(t)?,
            None => "m.room.message".into(),
        };
        let txn = match &self.txn {
            Some(t) => cx.text(t)?,
            None => cx.txn.clone(),
        };
        let query = event_query(cx, self.query.as_ref(), self.sticky_ms.as_ref())?;
        let content = match &self.content {
            Some(c) => cx.json(c)?,
            None => json!({"msgtype": "m.text", "body": "mscheck"}),
        };
        Ok(HttpCall::new(
            Method::Put,
            format!(
                "{V3}/rooms/{}/send/{}/{}",
                cx.segment(&self.room)?,
                encode(&event_type),
                encode(&txn)
            ),
        )
        .query(query)
        .body(content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json, seed, text};

    fn sticky() -> Step {
        Step {
            room: text("!r"),
            event_type: Some(text("org.example.sticky")),
            content: Some(json(json!({"msc4354_sticky_key": "k"}))),
            txn: None,
            sticky_ms: Some(json(json!(600000))),
            query: None,
        }
    }

    #[test]
    fn the_sticky_parameter_follows_the_revision() {
        let newest = sticky().build(&cx()).unwrap();
        assert_eq!(
            newest.path,
            "/_matrix/client/v3/rooms/%21r/send/org.example.sticky/t1"
        );
        assert_eq!(
            newest.query,
            vec![(
                "org.matrix.msc4354.sticky_duration_ms".to_string(),
                "600000".to_string()
            )]
        );
        let old = sticky().build(&seed(cx())).unwrap();
        assert_eq!(old.query[0].0, "msc4354_stick_duration_ms");
    }

    #[test]
    fn a_plain_message_by_default() {
        let step = Step {
            event_type: None,
            content: None,
            sticky_ms: None,
            ..sticky()
        };
        let call = step.build(&cx()).unwrap();
        assert_eq!(
            call.path,
            "/_matrix/client/v3/rooms/%21r/send/m.room.message/t1"
        );
        assert_eq!(
            call.body,
            Some(json!({"msgtype": "m.text", "body": "mscheck"}))
        );
        assert!(call.query.is_empty());
    }
}
