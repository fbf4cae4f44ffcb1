//! A scenario's HTTP transcript: every exchange, already redacted, in order.
//!
//! Bodies are kept within a budget ([`BodyBudget`]): a body up to [`INLINE_BODY`] bytes stays in
//! the transcript; a larger one is written once, by its hash, to `transcripts/bodies/` and the
//! transcript names that file; once the run's budget is spent, large bodies keep only their head.
//! So a server answering megabytes on every poll cannot fill the disk or the memory, while a run
//! against a real server keeps every body.

use crate::held::Held;
use crate::redact::Redactor;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Bodies up to this size (compact JSON) are kept in the transcript itself.
pub const INLINE_BODY: usize = 64 * 1024;
/// How much of a large body the transcript keeps when the run's budget is spent.
const HEAD_ONLY: usize = 4096;
/// The default budget of a run for large bodies written beside the transcripts.
pub const RUN_BODY_BUDGET: u64 = 128 * 1024 * 1024;

/// Where a run's large bodies go, and how much of its budget is left. Shared by every
/// scenario's transcript.
#[derive(Debug)]
pub struct BodyBudget {
    /// `transcripts/bodies/` of the report folder; `None` keeps heads only (no report folder).
    dir: Option<PathBuf>,
    budget: u64,
    used: AtomicU64,
    written: Mutex<HashSet<String>>,
    /// Large bodies cut to their head because the budget was spent.
    cut: AtomicU64,
}

impl BodyBudget {
    /// A budget of `budget` bytes for bodies written into `dir`.
    pub fn new(dir: Option<PathBuf>, budget: u64) -> Self {
        BodyBudget {
            dir,
            budget,
            used: AtomicU64::new(0),
            written: Mutex::new(HashSet::new()),
            cut: AtomicU64::new(0),
        }
    }

    /// How many large bodies were cut to their head for want of budget (said in the report).
    pub fn cut_bodies(&self) -> u64 {
        self.cut.load(Ordering::Relaxed)
    }

    /// A body as the transcript keeps it: itself when small; else a reference to the file
    /// holding it (written once per distinct body), or its head when the budget is spent.
    fn keep(&self, body: Value) -> Value {
        let text = match &body {
            Value::String(s) => s.clone(),
            other => serde_json::to_string(other).unwrap_or_default(),
        };
        if text.len() <= INLINE_BODY {
            return body;
        }
        let hash = crate::random::sha256_hex(text.as_bytes());
        let name = format!("bodies/{hash}.txt");
        let mut written = self.written.held();
        let stored = if written.contains(&hash) {
            true
        } else if let (Some(dir), true) = (
            &self.dir,
            self.used.load(Ordering::Relaxed) + text.len() as u64 <= self.budget,
        ) {
            let file = dir.join(format!("{hash}.txt"));
            let ok = std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(&file, &text))
                .is_ok();
            if ok {
                self.used.fetch_add(text.len() as u64, Ordering::Relaxed);
                written.insert(hash.clone());
            }
            ok
        } else {
            false
        };
        if stored {
            Value::String(format!(
                "(a body of {}, sha256 {hash}: in transcripts/{name})",
                crate::units::human_bytes(text.len() as u64)
            ))
        } else {
            self.cut.fetch_add(1, Ordering::Relaxed);
            let head: String = text.chars().take(HEAD_ONLY).collect();
            Value::String(format!(
                "(a body of {}, sha256 {hash}; the run's budget for large bodies is spent, so only its first {} characters are kept) {head}…",
                crate::units::human_bytes(text.len() as u64),
                HEAD_ONLY
            ))
        }
    }
}

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
#[derive(Debug)]
pub struct Transcript {
    exchanges: Mutex<Vec<Exchange>>,
    bodies: Arc<BodyBudget>,
}

impl Default for Transcript {
    /// A transcript with no report folder: large bodies keep their head only.
    fn default() -> Self {
        Transcript::new(Arc::new(BodyBudget::new(None, 0)))
    }
}

impl Transcript {
    /// A transcript whose large bodies go to `bodies`.
    pub fn new(bodies: Arc<BodyBudget>) -> Self {
        Transcript {
            exchanges: Mutex::new(Vec::new()),
            bodies,
        }
    }

    /// Records an exchange; the caller has redacted it. Large bodies are kept by the budget.
    pub fn record(&self, mut e: Exchange) {
        e.request = e.request.map(|b| self.bodies.keep(b));
        e.response = e.response.map(|b| self.bodies.keep(b));
        e.error = e
            .error
            .map(|m| crate::client::bounded::excerpt(&m, crate::client::bounded::EXCERPT_CHARS));
        self.exchanges.held().push(e);
    }

    /// A copy of every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.held().clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(body: Value) -> Exchange {
        Exchange {
            step: "s".into(),
            hs: "hs1".into(),
            actor: "a".into(),
            method: "GET".into(),
            path: "/x".into(),
            request: None,
            status: Some(200),
            response: Some(body),
            error: None,
            at_ms: 0,
            duration_ms: 0,
            faults: vec![],
        }
    }

    #[test]
    fn large_bodies_are_written_once_and_the_budget_holds() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Arc::new(BodyBudget::new(Some(dir.path().join("bodies")), 250_000));
        let t = Transcript::new(budget.clone());
        let big = |c: char| Value::String(c.to_string().repeat(100_000));
        t.record(exchange(serde_json::json!({"small": true})));
        t.record(exchange(big('a')));
        t.record(exchange(big('a')));
        t.record(exchange(big('b')));
        t.record(exchange(big('c')));
        let files = std::fs::read_dir(dir.path().join("bodies"))
            .unwrap()
            .count();
        assert_eq!(files, 2, "a and b stored once each; c is over the budget");
        let kept = t.exchanges();
        assert_eq!(kept[0].response, Some(serde_json::json!({"small": true})));
        let last = kept[4].response.as_ref().unwrap().as_str().unwrap();
        assert!(last.contains("budget for large bodies is spent"), "{last}");
        assert!(last.len() < 5000);
        assert_eq!(budget.cut_bodies(), 1);
    }
}
