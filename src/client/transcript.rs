//! A scenario's HTTP transcript: every exchange, already redacted, in order.

use crate::redact::Redactor;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;
use std::sync::Mutex;

/// One request and its response (or the error instead of a response).
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Which step made it.
    pub step: String,
    /// Which homeserver it went to (`hs1`, `hs2`).
    pub hs: String,
    /// Who made it (a scenario user name, or `nobody`/`harness`).
    pub actor: String,
    /// `GET`, `PUT`, …
    pub method: String,
    /// Path and query, redacted.
    pub path: String,
    /// Request body, redacted.
    pub request: Option<Value>,
    /// HTTP status, or `None` if no response arrived.
    pub status: Option<u16>,
    /// Response body, redacted.
    pub response: Option<Value>,
    /// The transport error, when there was no response.
    pub error: Option<String>,
    /// Milliseconds since the scenario started.
    pub at_ms: u64,
    /// How long the exchange took.
    pub duration_ms: u64,
    /// Faults applied to it (`--inject`).
    pub faults: Vec<String>,
}

/// The exchanges of one scenario.
#[derive(Debug, Default)]
pub struct Transcript {
    exchanges: Mutex<Vec<Exchange>>,
}

impl Transcript {
    /// Records an exchange; the caller has redacted it.
    pub fn record(&self, e: Exchange) {
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(e);
    }

    /// A copy of every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Human-readable text (the `transcripts/*.txt` report file); redacted once more on the way out.
    pub fn render(&self, redactor: &Redactor) -> String {
        let mut out = String::new();
        // Polling repeats the same answer many times: each step's last body is written once.
        let mut last_body: Option<(String, String)> = None;
        for e in self.exchanges() {
            let _ = writeln!(
                out,
                "=== [{}] +{}ms {} {} {} {} ({}ms){}",
                e.step,
                e.at_ms,
                e.hs,
                e.actor,
                e.method,
                e.path,
                e.duration_ms,
                if e.faults.is_empty() {
                    String::new()
                } else {
                    format!(" faults: {}", e.faults.join(", "))
                }
            );
            if let Some(b) = &e.request {
                let _ = writeln!(out, "> {}", body_text(b));
            }
            match (e.status, &e.error) {
                (Some(s), _) => {
                    let _ = writeln!(out, "< {s}");
                    if let Some(b) = &e.response {
                        let text = body_text(b);
                        match &last_body {
                            Some((step, prev)) if *step == e.step && *prev == text => {
                                let _ = writeln!(
                                    out,
                                    "< (the same body as the step's previous response)"
                                );
                            }
                            _ => {
                                let _ = writeln!(out, "< {text}");
                            }
                        }
                        last_body = Some((e.step.clone(), text));
                    }
                }
                (None, Some(err)) => {
                    let _ = writeln!(out, "< error: {err}");
                }
                _ => {}
            }
            out.push('\n');
        }
        redactor.text(&out)
    }
}

/// Bodies up to this size are indented for reading; larger ones (full /sync answers, floods of
/// events) are written on one line, which keeps a full run's report folder small.
const PRETTY_LIMIT: usize = 2048;

fn body_text(v: &Value) -> String {
    let compact = serde_json::to_string(v).unwrap_or_default();
    if compact.len() > PRETTY_LIMIT {
        return compact;
    }
    serde_json::to_string_pretty(v)
        .unwrap_or_default()
        .replace('\n', "\n  ")
}
