//! The one way mscheck reads an answer from a server it does not trust: every HTTP client it
//! builds follows no redirect, and every answer is read through [`fetch`], which bounds the body
//! while it streams in and puts one deadline over headers and body together.
//!
//! Used by the scenario client, the `/versions` and federation `/version` probes, and the fake
//! federating server's outbound requests. What a server sends is data: it is never followed to
//! another host, never allowed to grow without bound, and (see [`excerpt`]) never printed whole.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

/// The default cap on one answer's body: far above the largest real answer of a conformance run
/// (a full `/sync` of a busy scenario is a few hundred KB) and far below what hurts the machine.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The cap for this process, set once from `--max-body` before any request.
static BODY_LIMIT: OnceLock<usize> = OnceLock::new();

/// Sets the body cap for every later request (the first call wins; the CLI calls it once).
pub fn set_body_limit(bytes: usize) {
    let _ = BODY_LIMIT.set(bytes.max(1024));
}

/// The body cap in force.
pub fn body_limit() -> usize {
    *BODY_LIMIT.get().unwrap_or(&DEFAULT_BODY_LIMIT)
}

/// An HTTP client builder with the settings every mscheck client shares: no redirects (a 3xx is
/// an answer like any other; following it could carry a request body, a token or a password to
/// a host the user never named), and the given connect timeout.
pub fn builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
}

/// An answer, read whole within the cap and the deadline.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers, lower-case names; values that are not text are dropped.
    pub headers: BTreeMap<String, String>,
    /// The body as it came.
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON: `Null` when empty, a string when it is not JSON.
    pub fn json_or_text(&self) -> Value {
        body_value(&self.bytes)
    }

    /// A 3xx's `Location`, for messages ("answered 307 to http://…").
    pub fn redirect_target(&self) -> Option<&str> {
        (300..400)
            .contains(&self.status)
            .then(|| self.headers.get("location").map(String::as_str))
            .flatten()
    }
}

/// The body as JSON: `Null` when empty, the parsed value when it is JSON (serde_json refuses
/// nesting deeper than 128), else the text (invalid UTF-8 replaced).
pub fn body_value(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Why no whole answer arrived.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Nothing answered: connection refused, DNS, TLS handshake, reset before any header.
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// Where (without the query).
        url: String,
        /// The whole error chain.
        detail: String,
    },
    /// No status line and headers within the deadline.
    #[error("no answer from {url} within {}", crate::units::human_duration(*after))]
    NoAnswer {
        /// Where.
        url: String,
        /// The deadline.
        after: Duration,
    },
    /// Headers came, the whole body did not, within the deadline.
    #[error("{url} answered {status} but its body did not arrive within {} ({received} bytes received)", crate::units::human_duration(*after))]
    BodyTimedOut {
        /// Where.
        url: String,
        /// The status that came.
        status: u16,
        /// The deadline.
        after: Duration,
        /// Bytes of body read before the deadline.
        received: usize,
    },
    /// The body broke off (connection reset, bad chunking).
    #[error("{url} answered {status} but its body broke off after {received} bytes: {detail}")]
    BodyBroken {
        /// Where.
        url: String,
        /// The status that came.
        status: u16,
        /// Bytes read before it broke.
        received: usize,
        /// The whole error chain.
        detail: String,
    },
    /// The body is larger than the cap.
    #[error("answer larger than {} from {url} (status {status}{}); mscheck reads at most {} of an answer (raise it with --max-body)",
        crate::units::human_bytes(*limit as u64),
        declared.map(|d| format!(", Content-Length {d}")).unwrap_or_default(),
        crate::units::human_bytes(*limit as u64))]
    TooLarge {
        /// Where.
        url: String,
        /// The status that came.
        status: u16,
        /// The cap.
        limit: usize,
        /// What `Content-Length` announced, when it did.
        declared: Option<u64>,
    },
}

/// Sends `request` and reads the whole answer: headers and body within `timeout` together, the
/// body at most `limit` bytes (an announced `Content-Length` over the cap is refused before any
/// body is read). `url` names the request in errors; give it without secrets.
pub async fn fetch(
    request: reqwest::RequestBuilder,
    url: &str,
    timeout: Duration,
    limit: usize,
) -> Result<Answer, FetchError> {
    // What has arrived so far, so that a deadline in the middle of the body can say so.
    let mut progress: Option<(u16, usize)> = None;
    let read = read_answer(request, url, limit, &mut progress);
    match tokio::time::timeout(timeout, read).await {
        Ok(result) => result,
        Err(_) => Err(match progress {
            None => FetchError::NoAnswer {
                url: url.to_string(),
                after: timeout,
            },
            Some((status, received)) => FetchError::BodyTimedOut {
                url: url.to_string(),
                status,
                after: timeout,
                received,
            },
        }),
    }
}

async fn read_answer(
    request: reqwest::RequestBuilder,
    url: &str,
    limit: usize,
    progress: &mut Option<(u16, usize)>,
) -> Result<Answer, FetchError> {
    // Nothing answered (the connect timeout, a refusal, a TLS alert): the chain names which.
    let mut resp = request.send().await.map_err(|e| FetchError::Unreachable {
        url: url.to_string(),
        detail: crate::escape::error_chain(&e),
    })?;
    let status = resp.status().as_u16();
    *progress = Some((status, 0));
    let headers: BTreeMap<String, String> = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.as_str().to_ascii_lowercase(),
                v.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let too_large = |declared| FetchError::TooLarge {
        url: url.to_string(),
        status,
        limit,
        declared,
    };
    if let Some(n) = resp.content_length() {
        if n > limit as u64 {
            return Err(too_large(Some(n)));
        }
    }
    let mut bytes: Vec<u8> = Vec::with_capacity(
        resp.content_length()
            .map_or(0, |n| (n as usize).min(64 * 1024)),
    );
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > limit {
                    return Err(too_large(resp.content_length()));
                }
                bytes.extend_from_slice(&chunk);
                *progress = Some((status, bytes.len()));
            }
            Ok(None) => break,
            Err(e) => {
                return Err(FetchError::BodyBroken {
                    url: url.to_string(),
                    status,
                    received: bytes.len(),
                    detail: crate::escape::error_chain(&e),
                })
            }
        }
    }
    Ok(Answer {
        status,
        headers,
        bytes,
    })
}

/// How much of a server's text goes into one message, terminal line or JUnit entry.
pub const EXCERPT_CHARS: usize = 2048;

/// Server-supplied text made fit to print: control characters escaped (no terminal escape
/// sequence from a server reaches a terminal), cut to `max` characters, and when cut, the whole
/// length and a hash of the whole, so two long answers can still be told apart.
pub fn excerpt(text: &str, max: usize) -> String {
    cut(crate::escape::escape_control(text), text, max)
}

/// Like [`excerpt`] for a paragraph of several lines (a failure message): newlines are kept,
/// every other control character is escaped.
pub fn excerpt_lines(text: &str, max: usize) -> String {
    let escaped = text
        .split('\n')
        .map(crate::escape::escape_control)
        .collect::<Vec<_>>()
        .join("\n");
    cut(escaped, text, max)
}

/// `escaped` cut to `max` characters, naming the length and hash of `original` when cut.
fn cut(escaped: String, original: &str, max: usize) -> String {
    if escaped.chars().count() <= max {
        return escaped;
    }
    let head: String = escaped.chars().take(max).collect();
    format!(
        "{head}… ({} characters in all, sha256 {})",
        original.chars().count(),
        crate::random::sha256_hex(original.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_escape_and_fingerprint() {
        assert_eq!(excerpt("plain", 10), "plain");
        assert_eq!(excerpt("a\u{1b}[31mred", 50), "a\\u{1b}[31mred");
        let long = "x".repeat(5000);
        let e = excerpt(&long, 100);
        assert!(e.starts_with(&"x".repeat(100)));
        assert!(e.contains("5000 characters in all, sha256 "), "{e}");
        assert!(e.len() < 200);
        assert_eq!(excerpt_lines("a\nb\u{1b}", 50), "a\nb\\u{1b}");
        assert!(excerpt_lines(&"y\n".repeat(5000), 100).contains("10000 characters in all"));
    }

    #[test]
    fn bodies_become_json_text_or_null() {
        assert_eq!(body_value(b""), Value::Null);
        assert_eq!(body_value(b"{\"a\":1}"), serde_json::json!({"a": 1}));
        assert_eq!(body_value(b"<html>"), Value::String("<html>".into()));
        // Deeper than serde_json's recursion limit: kept as text, never a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(matches!(body_value(deep.as_bytes()), Value::String(_)));
    }
}
