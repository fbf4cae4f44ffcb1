//! `versions`: GET /versions.

use super::{BuildCx, Fields, HarnessError, HttpCall, HttpStep};

/// Key in the YAML.
pub const NAME: &str = "versions";
/// One line for the README.
pub(crate) const SUMMARY: &str = "GET /versions";
/// `as:` may be left out.
pub(crate) const NEEDS_USER: bool = false;
/// Its requests.
pub(crate) const SAMPLES: &[(&str, &str)] = &[("GET", "/_matrix/client/versions")];

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
        Ok(HttpCall::new("GET", "/_matrix/client/versions".into()))
    }
}
