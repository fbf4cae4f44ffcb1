//! `versions`: GET /versions.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::Fields;
use super::kind::HttpStep;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
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
