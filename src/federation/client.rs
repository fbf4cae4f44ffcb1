//! The fake server's outgoing side: requests to other servers' federation APIs, signed with
//! X-Matrix, over TLS to loopback only (a server name must be `localhost:<port>` or
//! `127.0.0.1:<port>`; anything else is refused before a connection is made). Also fetches and
//! checks other servers' signing keys, for verifying what they send.

use super::error::FederationError;
use super::signing::ServerKey;
use crate::client::transcript::{Exchange, Transcript};
use crate::held::Held;
use crate::redact::Redactor;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A server's verify keys: key ID → unpadded base64 public key.
pub type VerifyKeys = BTreeMap<String, String>;

/// An answer from another server.
#[derive(Debug, Clone)]
pub struct FedResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body (`Null` when empty; a string when not JSON).
    pub body: Value,
    /// Local clock (ms since the epoch) just before sending.
    pub request_ms: i64,
    /// Local clock when the answer arrived.
    pub response_ms: i64,
}

impl FedResponse {
    /// The answer itself if it is a 200; otherwise a protocol error naming `what` and the answer.
    pub fn expect_ok(&self, what: &str) -> Result<&Self, FederationError> {
        if self.status == 200 {
            return Ok(self);
        }
        Err(FederationError::Protocol(format!(
            "{what} answered {}: {}",
            self.status,
            crate::text::trim_json(&self.body, 300)
        )))
    }
}

/// Where the fake's requests go, and what it remembers of other servers.
pub struct Outbound {
    key: Arc<ServerKey>,
    http: reqwest::Client,
    keys: Mutex<HashMap<String, VerifyKeys>>,
    /// Misbehaviour: empty the content of fetched events (see `Misbehaviour`).
    redact_fetched: bool,
    /// Misbehaviour: read accepted `/send` answers as refusing every PDU.
    refuse_in_accepted: bool,
    transcript: Mutex<Option<TranscriptSink>>,
}

/// Where the fake's exchanges are written: a scenario's transcript, through its redactor.
struct TranscriptSink {
    transcript: Arc<Transcript>,
    redactor: Arc<Redactor>,
    started: Instant,
}

/// `https://127.0.0.1:<port>` for a loopback server name; an error for anything else.
pub fn loopback_address(server_name: &str) -> Result<String, FederationError> {
    loopback_base(server_name).map_err(FederationError::NotLoopback)
}

/// `https://127.0.0.1:<port>` for a loopback server name (`localhost:8448`, `127.0.0.1:8448`);
/// why not for anything else. mscheck talks server-server only to servers on loopback.
pub fn loopback_base(server_name: &str) -> Result<String, String> {
    let (host, port) = server_name
        .rsplit_once(':')
        .ok_or_else(|| format!("`{server_name}` names no port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{server_name}`: bad port"))?;
    if host != "localhost" && host != "127.0.0.1" {
        return Err(format!("`{server_name}` is not on loopback"));
    }
    Ok(format!("https://127.0.0.1:{port}"))
}

impl Outbound {
    /// A client signing with `key`. Certificates are not checked: every server on loopback here
    /// presents a self-signed one.
    pub fn new(
        key: Arc<ServerKey>,
        redact_fetched: bool,
        refuse_in_accepted: bool,
    ) -> Result<Self, FederationError> {
        let http = crate::client::bounded::builder(Duration::from_secs(3))
            .danger_accept_invalid_certs(true)
            .build()
            .map_err(|e| FederationError::Listen(format!("cannot build an HTTP client: {e}")))?;
        Ok(Outbound {
            key,
            http,
            keys: Mutex::new(HashMap::new()),
            redact_fetched,
            refuse_in_accepted,
            transcript: Mutex::new(None),
        })
    }

    /// Records every later request in a scenario's transcript.
    pub fn record_into(&self, transcript: Arc<Transcript>, redactor: Arc<Redactor>) {
        *self.transcript.held() = Some(TranscriptSink {
            transcript,
            redactor,
            started: Instant::now(),
        });
    }

    /// A signed request. `uri` is the path with its query, already percent-encoded.
    pub async fn request(
        &self,
        step: &str,
        destination: &str,
        method: &str,
        uri: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<FedResponse, FederationError> {
        let base = loopback_address(destination)?;
        let auth = self.key.authorization(method, uri, destination, body)?;
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| FederationError::Protocol(e.to_string()))?;
        let mut b = self
            .http
            .request(m, format!("{base}{uri}"))
            .header("Authorization", auth);
        if let Some(body) = body {
            b = b.json(body);
        }
        let request_ms = crate::clock::now_ms();
        let t0 = Instant::now();
        let url = format!("{base}{}", uri.split('?').next().unwrap_or(uri));
        let result =
            crate::client::bounded::fetch(b, &url, timeout, crate::client::bounded::body_limit())
                .await
                .map(|answer| (answer.status, answer.json_or_text()))
                .map_err(FederationError::from);
        let result = result.map(|(status, mut body)| {
            if self.redact_fetched && uri.starts_with("/_matrix/federation/v1/event/") {
                if let Some(Value::Array(pdus)) = body.get_mut("pdus") {
                    for p in pdus {
                        p["content"] = Value::Object(Default::default());
                    }
                }
            }
            if self.refuse_in_accepted
                && status == 200
                && uri.starts_with("/_matrix/federation/v1/send/")
            {
                if let Some(Value::Object(results)) = body.get_mut("pdus") {
                    for r in results.values_mut() {
                        *r = serde_json::json!({"error": "dropped (mscheck fault)"});
                    }
                }
            }
            (status, body)
        });
        self.record(step, destination, method, uri, body, &result, t0);
        let (status, body) = result?;
        Ok(FedResponse {
            status,
            body,
            request_ms,
            response_ms: crate::clock::now_ms(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        step: &str,
        destination: &str,
        method: &str,
        uri: &str,
        body: Option<&Value>,
        result: &Result<(u16, Value), FederationError>,
        t0: Instant,
    ) {
        let guard = self.transcript.held();
        let Some(TranscriptSink {
            transcript: t,
            redactor,
            started,
        }) = guard.as_ref()
        else {
            return;
        };
        t.record(Exchange {
            step: step.to_string(),
            hs: destination.to_string(),
            actor: format!("fake {}", self.key.server_name),
            method: method.to_string(),
            path: redactor.text(uri),
            request: body.map(|b| redactor.json(b)),
            status: result.as_ref().ok().map(|r| r.0),
            response: result.as_ref().ok().map(|r| redactor.json(&r.1)),
            error: result.as_ref().err().map(|e| e.to_string()),
            at_ms: t0.duration_since(*started).as_millis() as u64,
            duration_ms: t0.elapsed().as_millis() as u64,
            faults: Vec::new(),
        });
    }

    /// Another server's verify keys, fetched from its `/_matrix/key/v2/server` once and checked
    /// against the document's own signature.
    pub async fn server_keys(&self, server: &str) -> Result<VerifyKeys, FederationError> {
        if let Some(k) = self.keys.held().get(server) {
            return Ok(k.clone());
        }
        let base = loopback_address(server)?;
        let url = format!("{base}/_matrix/key/v2/server");
        let answer = crate::client::bounded::fetch(
            self.http.get(&url),
            &url,
            Duration::from_secs(10),
            crate::client::bounded::body_limit(),
        )
        .await?;
        if answer.status != 200 {
            return Err(FederationError::Protocol(format!(
                "{url} answered {}{}",
                answer.status,
                answer
                    .redirect_target()
                    .map(|l| format!(" to {}", crate::client::bounded::excerpt(l, 200)))
                    .unwrap_or_default()
            )));
        }
        let doc = answer.json_or_text();
        let keys: VerifyKeys = doc
            .get("verify_keys")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .filter_map(|(id, k)| Some((id.clone(), k.get("key")?.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        if keys.is_empty() {
            return Err(FederationError::Auth(format!(
                "{server} published no verify keys"
            )));
        }
        super::signing::verify_key_document(&doc, server, &keys)?;
        self.keys.held().insert(server.to_string(), keys.clone());
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_server_names_are_reachable() {
        assert_eq!(
            loopback_address("localhost:8448").unwrap(),
            "https://127.0.0.1:8448"
        );
        assert!(loopback_address("127.0.0.1:1").is_ok());
        for bad in [
            "matrix.org:8448",
            "10.0.0.1:8448",
            "localhost",
            "localhost:x",
        ] {
            assert!(loopback_address(bad).is_err(), "{bad}");
        }
    }
}
