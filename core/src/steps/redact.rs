//! `redact`: PUT /rooms/{room}/redact/{event}/{txn}.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::encode;
use crate::http::Method;
use serde_json::json;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "redact",
    summary: "PUT /rooms/{room}/redact/{event}/{txn}",
    needs_user: true,
    samples: &[("PUT", "/_matrix/client/v3/rooms/%21r/redact/%24e/x")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    event: Text,
    reason: Option<Text>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let event = f.need_text("event");
        let reason = f.text("reason");
        Some(Step {
            room: room?,
            event: event?,
            reason,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let body = match &self.reason {
            Some(r) => json!({"reason": cx.text(r)?}),
            None => json!({}),
        };
        Ok(HttpCall::new(
            Method::Put,
            format!(
                "{V3}/rooms/{}/redact/{}/{}",
                cx.segment(&self.room)?,
                cx.segment(&self.event)?,
                encode(&cx.txn)
            ),
        )
        .body(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn redacts_with_a_fresh_transaction() {
        let step = Step {
            room: text("!r"),
            event: text("{{e}}"),
            reason: Some(text("why")),
        };
        let call = step.build(&cx()).unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/rooms/%21r/redact/%24e/t1");
        assert_eq!(call.body, Some(json!({"reason": "why"})));
    }
}
