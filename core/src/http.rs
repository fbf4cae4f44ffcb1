//! What a step sees of HTTP without sending anything: a response as the checks read it, the
//! percent-encoding of path segments, and the usual request timeout. The client that sends
//! requests lives in the engine (`client`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// An HTTP method a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// PUT.
    Put,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Method {
    /// Every method a step may send, by its word (what `request` and `fake_request` accept).
    pub const WORDS: [(&'static str, Method); 4] = [
        ("GET", Method::Get),
        ("PUT", Method::Put),
        ("POST", Method::Post),
        ("DELETE", Method::Delete),
    ];

    /// `GET`, `PUT`, `POST` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        crate::text::word_of(&Self::WORDS, self)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Timeout of a request that is not a long poll.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A response, after the fault seam.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: BTreeMap<String, String>,
    /// JSON body; `Null` when empty, a string when not JSON.
    pub body: Value,
    /// Local clock (ms since epoch) just before sending.
    pub request_ms: i64,
    /// Local clock just after the response arrived.
    pub response_ms: i64,
    /// `METHOD /path?query` as sent (redacted), for messages.
    pub request_line: String,
}

impl Response {
    /// The Matrix `errcode`, if the body has one.
    pub fn errcode(&self) -> Option<&str> {
        self.body.get("errcode").and_then(Value::as_str)
    }
}

/// Percent-encodes one path segment or query component (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
