//! `leave`: POST /rooms/{room}/leave.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use serde_json::json;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "leave",
    summary: "POST /rooms/{room}/leave",
    needs_user: true,
    samples: &[("POST", "/_matrix/client/v3/rooms/%21r/leave")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            room: f.need_text("room")?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        Ok(HttpCall::new(
            Method::Post,
            format!("{V3}/rooms/{}/leave", cx.segment(&self.room)?),
        )
        .body(json!({})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn leaves_the_rendered_room() {
        let call = Step {
            room: text("{{room}}"),
        }
        .build(&cx())
        .unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/rooms/%21r%3Ahs1.test/leave");
    }
}
