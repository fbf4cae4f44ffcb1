//! `invite`: POST /rooms/{room}/invite.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use serde_json::json;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "invite",
    summary: "POST /rooms/{room}/invite",
    needs_user: true,
    samples: &[("POST", "/_matrix/client/v3/rooms/%21r/invite")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    user: String,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let user = f.need_user("user");
        Some(Step {
            room: room?,
            user: user?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        Ok(HttpCall::new(
            Method::Post,
            format!("{V3}/rooms/{}/invite", cx.segment(&self.room)?),
        )
        .body(json!({"user_id": cx.user_id(&self.user)?})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn invites_by_user_id() {
        let step = Step {
            room: text("!r"),
            user: "bob".into(),
        };
        let call = step.build(&cx()).unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/rooms/%21r/invite");
        assert_eq!(call.body, Some(json!({"user_id": "@bob:hs1.test"})));
    }
}
