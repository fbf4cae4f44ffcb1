//! `delayed_get`: GET one delayed event.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Text};
use super::kind::HttpStep;
use super::paths::MSC4140_PREFIX;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "delayed_get",
    summary: "GET one delayed event",
    // `as:` may be left out (an unauthenticated request).
    needs_user: false,
    samples: &[(
        "GET",
        "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d",
    )],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    id: Text,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            id: f.need_text("id")?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        Ok(HttpCall::new(
            Method::Get,
            format!("{MSC4140_PREFIX}/delayed_events/{}", cx.segment(&self.id)?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn gets_by_delay_id() {
        let call = Step { id: text("syd_1") }.build(&cx()).unwrap();
        assert_eq!(
            call.path,
            "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/syd_1"
        );
    }
}
