//! What the fake-server steps' data share: the fake user's local part.

use super::error::HarnessError;
use super::fields::Text;
use crate::vars::Vars;

/// The fake user's local part when a step names none.
pub(crate) const DEFAULT_USER: &str = "fake";

/// The fake user's local part.
pub fn user(user: Option<&Text>, vars: &Vars) -> Result<String, HarnessError> {
    match user {
        Some(t) => t.render(vars),
        None => Ok(DEFAULT_USER.to_string()),
    }
}
