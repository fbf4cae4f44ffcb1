//! `capabilities`: GET /capabilities.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::Fields;
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "capabilities",
    summary: "GET /capabilities",
    needs_user: true,
    samples: &[("GET", "/_matrix/client/v3/capabilities")],
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
        Ok(HttpCall::new(Method::Get, format!("{V3}/capabilities")))
    }
}
