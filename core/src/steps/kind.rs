//! What a step kind is: its record ([`Kind`]: name, summary, whether it needs a user, sample
//! requests) and, for kinds that make one client-server request, the [`HttpStep`] trait.

use super::build::{BuildCx, Effect, HttpCall};
use super::error::HarnessError;
use super::fields::Text;
use crate::http::Response;

/// A step kind that makes one client-server request.
pub trait HttpStep: Send + Sync {
    /// The request, from the step's fields and what the run knows now.
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError>;

    /// What a response changes for later steps (chained sync tokens, a scheduling API the
    /// server does not know). Called for every response, before the checks.
    fn effects(&self, _cx: &BuildCx, _resp: &Response) -> Vec<Effect> {
        Vec::new()
    }

    /// The room whose current power levels the request needs (read first by the executor).
    fn reads_power_levels(&self) -> Option<&Text> {
        None
    }
}

/// What `mscheck` and the loader know about a kind without a step at hand.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Key in the YAML (`send`, `sync`, …).
    pub name: &'static str,
    /// One line for the README.
    pub summary: &'static str,
    /// Whether `as:` is required (otherwise the call may be unauthenticated).
    pub needs_user: bool,
    /// The requests it can make, as (method, path) examples with made-up IDs, so a fault's
    /// `when` can be matched against a scenario without running it; empty for fake-server steps.
    pub samples: &'static [(&'static str, &'static str)],
}
