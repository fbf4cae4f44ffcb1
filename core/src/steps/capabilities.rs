//! `capabilities`: GET /capabilities.

use super::{BuildCx, Fields, HarnessError, HttpCall, HttpStep, V3};

/// Key in the YAML.
pub const NAME: &str = "capabilities";
/// One line for the README.
pub(crate) const SUMMARY: &str = "GET /capabilities";
/// `as:` is required.
pub(crate) const NEEDS_USER: bool = true;
/// Its requests.
pub(crate) const SAMPLES: &[(&str, &str)] = &[("GET", "/_matrix/client/v3/capabilities")];

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
        Ok(HttpCall::new("GET", format!("{V3}/capabilities")))
    }
}
