//! `fake_request`: any federation request, signed by the fake federating server. Its response
//! is the other server's answer as it came.

use super::build::scalar_text;
use super::error::HarnessError;
use super::fields::{Fields, Json, Text};
use crate::http::encode;
use crate::http::Method;
use serde_json::Value;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "fake_request",
    summary: "a federation request signed by the fake federating server (method, path, query, body) to `to`",
    // No `as:`: the fake server acts.
    needs_user: false,
    // No client-server request.
    samples: &[],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: Method,
    pub path: Text,
    pub query: Option<Json>,
    pub body: Option<Json>,
    pub to: Option<Text>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let method = f.need_choice("method", &Method::WORDS);
        let path = f.need_text("path");
        Some(Step {
            query: f.mapping("query"),
            body: f.json("body"),
            to: f.text("to"),
            method: method?,
            path: path?,
        })
    }

    /// The path with its query, rendered.
    pub fn uri(&self, vars: &crate::vars::Vars) -> Result<String, HarnessError> {
        let mut uri = self.path.render(vars)?;
        if let Some(q) = &self.query {
            if let Value::Object(q) = q.render(vars)? {
                let parts: Vec<String> = q
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(&scalar_text(v))))
                    .collect();
                uri = format!("{uri}?{}", parts.join("&"));
            }
        }
        Ok(uri)
    }
}
