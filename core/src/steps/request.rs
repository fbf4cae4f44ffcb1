//! `request`: any client-server request, for what no other step kind says.

use super::build::query_pairs;
use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Json, Text};
use super::kind::HttpStep;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "request",
    summary: "any client-server request: method, path (templates allowed), query, body",
    // `as:` may be left out (an unauthenticated request).
    needs_user: false,
    // Any request: a fault's `when` may match it, whatever it is.
    samples: &[("*", "*")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    method: Method,
    path: Text,
    query: Option<Json>,
    body: Option<Json>,
}

impl Step {
    /// Whether it reads room state (`GET …/rooms/{room}/state/…`).
    pub(crate) fn reads_state(&self) -> bool {
        self.method == Method::Get && self.path.0.contains("/state/")
    }

    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let method = f.need_choice("method", &Method::WORDS);
        let path = f.need_text("path");
        Some(Step {
            query: f.mapping("query"),
            body: f.json("body"),
            method: method?,
            path: path?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let query = match &self.query {
            Some(q) => query_pairs(Some(&cx.json(q)?)),
            None => Vec::new(),
        };
        let mut call = HttpCall::new(self.method, cx.text(&self.path)?).query(query);
        call.body = self.body.as_ref().map(|b| cx.json(b)).transpose()?;
        Ok(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json, text};
    use serde_json::json;

    #[test]
    fn sends_what_it_says() {
        let call = Step {
            method: Method::Post,
            path: text("/_matrix/client/v3/rooms/{{room}}/kick"),
            query: None,
            body: Some(json(json!({"user_id": "@zed:fake"}))),
        }
        .build(&cx())
        .unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/rooms/!r:hs1.test/kick");
        assert_eq!(call.body, Some(json!({"user_id": "@zed:fake"})));
    }
}
