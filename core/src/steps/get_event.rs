//! `get_event`: GET /rooms/{room}/event/{event}.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "get_event",
    summary: "GET /rooms/{room}/event/{event}",
    needs_user: true,
    samples: &[("GET", "/_matrix/client/v3/rooms/%21r/event/%24e")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    event: Text,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let event = f.need_text("event");
        Some(Step {
            room: room?,
            event: event?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        Ok(HttpCall::new(
            Method::Get,
            format!(
                "{V3}/rooms/{}/event/{}",
                cx.segment(&self.room)?,
                cx.segment(&self.event)?
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn encodes_both_ids() {
        let call = Step {
            room: text("{{room}}"),
            event: text("{{e}}"),
        }
        .build(&cx())
        .unwrap();
        assert_eq!(
            call.path,
            "/_matrix/client/v3/rooms/%21r%3Ahs1.test/event/%24e"
        );
    }
}
