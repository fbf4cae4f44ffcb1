//! `delayed_list`: GET the caller's delayed events.

use super::build::query_pairs;
use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Json};
use super::kind::HttpStep;
use super::paths::MSC4140_PREFIX;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "delayed_list",
    summary: "GET the caller's delayed events",
    // `as:` may be left out (an unauthenticated request).
    needs_user: false,
    samples: &[(
        "GET",
        "/_matrix/client/unstable/org.matrix.msc4140/delayed_events",
    )],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    query: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            query: f.mapping("query"),
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let query = match &self.query {
            Some(q) => query_pairs(Some(&cx.json(q)?)),
            None => Vec::new(),
        };
        Ok(HttpCall::new(Method::Get, format!("{MSC4140_PREFIX}/delayed_events")).query(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json};
    use serde_json::json;

    #[test]
    fn a_list_value_repeats_the_parameter() {
        let call = Step {
            query: Some(json(json!({"delay_id": ["a", "b"], "status": "scheduled"}))),
        }
        .build(&cx())
        .unwrap();
        assert_eq!(
            call.query,
            [
                ("delay_id", "a"),
                ("delay_id", "b"),
                ("status", "scheduled")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
