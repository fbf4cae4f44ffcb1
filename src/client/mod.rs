//! The client-server HTTP client: raw JSON in and out, a timeout on every request, a transcript
//! of every exchange (redacted), and the fault-injection seam every response passes through
//! before any check sees it.

pub mod bounded;
pub use crate::fault;
pub mod transcript;

pub use crate::http::{encode, Response, DEFAULT_TIMEOUT};
use crate::redact::Redactor;
use fault::{Fault, RequestParts, ResponseParts};
use std::sync::Arc;
use std::time::{Duration, Instant};
use transcript::{Exchange, Transcript};

/// How long to wait for a TCP connection before calling a server unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A transport failure: no whole HTTP answer (nothing answered, too late, too large).
pub type ClientError = bounded::FetchError;

/// One request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Homeserver name for the transcript (`hs1`).
    pub hs: String,
    /// Base URL (`http://127.0.0.1:18008`).
    pub base: String,
    /// Who is calling, for the transcript.
    pub actor: String,
    /// Bearer token.
    pub token: Option<String>,
    /// Step id, for the transcript.
    pub step: String,
    /// Method, path (already percent-encoded), query, body.
    pub parts: RequestParts,
    /// Overall timeout.
    pub timeout: Duration,
}

/// The client of one scenario (its own transcript and fault state).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    redactor: Arc<Redactor>,
    faults: Arc<Vec<Fault>>,
    transcript: Arc<Transcript>,
    started: Instant,
}

impl Client {
    /// A client for one scenario.
    pub fn new(http: reqwest::Client, redactor: Arc<Redactor>, faults: Arc<Vec<Fault>>) -> Self {
        Client {
            http,
            redactor,
            faults,
            transcript: Arc::new(Transcript::default()),
            started: Instant::now(),
        }
    }

    /// A shared HTTP connection pool with the connect timeout set and no redirects followed.
    pub fn http_pool() -> reqwest::Client {
        bounded::builder(CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("the HTTP client configuration is static and valid")
    }

    /// The same client recording into a fresh transcript whose large bodies go to `bodies`.
    pub fn with_bodies(mut self, bodies: Arc<transcript::BodyBudget>) -> Self {
        self.transcript = Arc::new(Transcript::new(bodies));
        self
    }

    /// The scenario's transcript.
    pub fn transcript(&self) -> &Arc<Transcript> {
        &self.transcript
    }

    /// The redactor.
    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    /// The HTTP request for `req` (after the fault seam rewrote its parts).
    fn builder(&self, req: &Request, url: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(req.parts.method.as_bytes())
            .unwrap_or(reqwest::Method::GET);
        let mut builder = self.http.request(method, url);
        if let Some(t) = &req.token {
            builder = builder.bearer_auth(t);
        }
        if let Some(b) = &req.parts.body {
            builder = builder.json(b);
        }
        builder
    }

    /// The answer as the active faults rewrite it (noting which applied); a `delay` rewrite is
    /// the fault's behaviour (a slow server), not a harness wait.
    async fn faulted_answer(
        &self,
        original: &RequestParts,
        mut parts: ResponseParts,
        applied: &mut Vec<String>,
    ) -> ResponseParts {
        for f in self.faults.iter() {
            if f.apply_response(original, &mut parts) && !applied.contains(&f.name) {
                applied.push(f.name.clone());
            }
        }
        if !parts.hold.is_zero() {
            tokio::time::sleep(parts.hold).await;
        }
        parts
    }

    /// Sends a request and records the exchange.
    pub async fn send(&self, mut req: Request) -> Result<Response, ClientError> {
        let original = req.parts.clone();
        let mut applied = Vec::new();
        for f in self.faults.iter() {
            if f.apply_request(&mut req.parts) {
                applied.push(f.name.clone());
            }
        }
        let url = format!("{}{}", req.base.trim_end_matches('/'), req.parts.path);
        let query_text = query_text(&req.parts.query);
        let request_line = self.redactor.text(&format!(
            "{} {}{}",
            req.parts.method, req.parts.path, query_text
        ));
        let builder = self.builder(&req, &format!("{url}{query_text}"));
        let request_ms = crate::clock::now_ms();
        let t0 = Instant::now();
        let at_ms = self.started.elapsed().as_millis() as u64;
        let result = bounded::fetch(builder, &url, req.timeout, bounded::body_limit())
            .await
            .map(|answer| ResponseParts {
                status: answer.status,
                body: answer.json_or_text(),
                headers: answer.headers,
                hold: Duration::ZERO,
            });
        let result = match result {
            Ok(parts) => Ok(self.faulted_answer(&original, parts, &mut applied).await),
            Err(e) => Err(e),
        };
        let duration_ms = t0.elapsed().as_millis() as u64;
        let response_ms = crate::clock::now_ms();
        self.transcript.record(Exchange {
            step: req.step.clone(),
            hs: req.hs.clone(),
            actor: req.actor.clone(),
            method: req.parts.method.clone(),
            path: request_line
                .split_once(' ')
                .map(|x| x.1)
                .unwrap_or("")
                .to_string(),
            request: req.parts.body.as_ref().map(|b| self.redactor.json(b)),
            status: result.as_ref().ok().map(|p| p.status),
            response: result.as_ref().ok().map(|p| self.redactor.json(&p.body)),
            error: result.as_ref().err().map(|e| e.to_string()),
            at_ms,
            duration_ms,
            faults: applied,
        });
        let parts = result?;
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body: parts.body,
            request_ms,
            response_ms,
            request_line,
        })
    }
}

/// `?k=v&…`, percent-encoded, or nothing.
fn query_text(query: &[(String, String)]) -> String {
    if query.is_empty() {
        return String::new();
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("?{}", q.join("&"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_matrix_ids() {
        assert_eq!(super::encode("$abc/def+1"), "%24abc%2Fdef%2B1");
        assert_eq!(
            super::encode("!room:localhost:8448"),
            "%21room%3Alocalhost%3A8448"
        );
    }
}
