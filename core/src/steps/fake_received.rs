//! `fake_received`: what the fake federating server has received so far.

use super::Fields;

/// Key in the YAML.
pub const NAME: &str = "fake_received";
/// One line for the README.
pub(crate) const SUMMARY: &str = "what the fake federating server has received: transactions, statuses, intervals, PDUs and whether they verify";
/// No `as:`: the fake server acts.
pub(crate) const NEEDS_USER: bool = false;
/// No client-server request.
pub(crate) const SAMPLES: &[(&str, &str)] = &[];

/// No fields.
#[derive(Debug, Clone)]
pub struct Step;

impl Step {
    /// Reads the (no) fields.
    pub fn decode(_: &mut Fields) -> Option<Self> {
        Some(Step)
    }
}
