//! `fake_received`: what the fake federating server has received so far.

use super::fields::Fields;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "fake_received",
    summary: "what the fake federating server has received: transactions, statuses, intervals, PDUs and whether they verify",
    // No `as:`: the fake server acts.
    needs_user: false,
    // No client-server request.
    samples: &[],
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
