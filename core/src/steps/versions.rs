//! `versions`: GET /versions.

use super::{BuildCx, Fields, HarnessError, HttpCall, HttpStep};
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::Kind = super::Kind {
    name: "versions",
    summary: "GET /versions",
    // `as:` may be left out.
    needs_user: false,
    samples: &[("GET", "/_matrix/client/versions")],
};

/// No fields.
#[derive(Debug, Clone)]
pub struct Step;

impl Step {
    /// Reads the (no) fields.
    pub fn decode(_: &mut Fields) -> Option<Self> {
        Some(Step)
    }
}

impl HttpStep for Step {
    fn build(&self, _: &BuildCx) -> Result<HttpCall, HarnessError> {
        Ok(HttpCall::new(
            Method::Get,
            "/_matrix/client/versions".into(),
        ))
    }
}
