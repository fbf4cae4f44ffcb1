//! `state`: PUT /rooms/{room}/state/{type}/{state_key}, optionally sticky (seed revision).

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
    name: "state",
    summary: "PUT /rooms/{room}/state/{type}/{state_key}, optionally sticky (seed revision)",
    needs_user: true,
    samples: &[("PUT", "/_matrix/client/v3/rooms/%21r/state/t/k")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    event_type: Text,
    state_key: Option<Text>,
    content: Option<Json>,
    sticky_ms: Option<Json>,
    query: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let event_type = f.need_text("type");
        Some(Step {
            state_key: f.text("state_key"),
            content: f.json("content"),
            sticky_ms: f.json("sticky_ms"),
            query: f.mapping("query"),
            room: room?,
            event_type: event_type?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let query = event_query(cx, self.query.as_ref(), self.sticky_ms.as_ref())?;
        let key = match &self.state_key {
            Some(k) => cx.text(k)?,
            None => String::new(),
        };
        let content = match &self.content {
            Some(c) => cx.json(c)?,
            None => json!({}),
        };
        Ok(HttpCall::new(
            Method::Put,
            format!(
                "{V3}/rooms/{}/state/{}/{}",
                cx.segment(&self.room)?,
                cx.segment(&self.event_type)?,
                encode(&key)
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

    #[test]
    fn sticky_state_at_the_seed_revision() {
        let step = Step {
            room: text("!r"),
            event_type: text("org.example.s"),
            state_key: Some(text("k")),
            content: None,
            sticky_ms: Some(json(json!(60000))),
            query: None,
        };
        let call = step.build(&seed(cx())).unwrap();
        assert_eq!(
            call.path,
            "/_matrix/client/v3/rooms/%21r/state/org.example.s/k"
        );
        assert_eq!(
            call.query,
            vec![("msc4354_stick_duration_ms".to_string(), "60000".to_string())]
        );
        assert_eq!(call.body, Some(json!({})));
    }
}
