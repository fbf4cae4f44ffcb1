//! The fake server's identity: an ed25519 server key, its signed key document, and X-Matrix
//! request authorisation (signing what it sends, checking what it receives).
//!
//! Signing and canonical JSON come from `ruma-signatures`; this module only arranges the objects
//! the server-server API says are signed.

use super::error::FederationError;
use base64::Engine;
use ruma_common::{CanonicalJsonObject, CanonicalJsonValue};
use ruma_signatures::Ed25519KeyPair;
use serde_json::{json, Value};

/// The prefix of the key versions mscheck's fake servers use: `ed25519:mscheck_<8 hex>`, fresh
/// for every key. A long-lived server caches keys by server name and key ID; a later fake that
/// reuses a port (so a server name) with a new key under the same ID would find its signatures
/// checked against the cached old key and refused.
const KEY_VERSION_PREFIX: &str = "mscheck_";

/// A fresh key version: the prefix and 32 random bits in hex (key versions are `[a-zA-Z0-9_]`).
fn fresh_key_version() -> Result<String, FederationError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| FederationError::Key("no randomness for a key version".into()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{KEY_VERSION_PREFIX}{hex}"))
}

/// A server name with its signing key.
pub struct ServerKey {
    /// `localhost:<port>`.
    pub server_name: String,
    pub(super) pair: Ed25519KeyPair,
}

impl ServerKey {
    /// A fresh key for a server name.
    pub fn generate(server_name: &str) -> Result<Self, FederationError> {
        let der = Ed25519KeyPair::generate();
        let pair = Ed25519KeyPair::from_der(&der, fresh_key_version()?)
            .map_err(|e| FederationError::Key(e.to_string()))?;
        Ok(ServerKey {
            server_name: server_name.to_string(),
            pair,
        })
    }

    /// `ed25519:mscheck_<8 hex>`, different for every key.
    pub fn key_id(&self) -> String {
        format!("ed25519:{}", self.pair.version())
    }

    /// The public key, unpadded standard base64 (as key documents carry it).
    pub fn public_key(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.pair.public_key())
    }

    /// Adds this server's signature to a JSON object.
    pub fn sign(&self, v: Value) -> Result<Value, FederationError> {
        let mut obj = canonical_object(v)?;
        ruma_signatures::sign_json(&self.server_name, &self.pair, &mut obj)
            .map_err(|e| FederationError::Key(e.to_string()))?;
        serde_json::to_value(&obj).map_err(|e| FederationError::Key(e.to_string()))
    }

    /// The self-signed answer to `GET /_matrix/key/v2/server`.
    pub fn key_document(&self, valid_until_ts: u64) -> Result<Value, FederationError> {
        self.sign(json!({
            "server_name": self.server_name,
            "valid_until_ts": valid_until_ts,
            "verify_keys": {self.key_id(): {"key": self.public_key()}},
            "old_verify_keys": {},
        }))
    }

    /// The `Authorization: X-Matrix …` value for a request to `destination`. `uri` is the path
    /// with its query, as sent.
    pub fn authorization(
        &self,
        method: &str,
        uri: &str,
        destination: &str,
        content: Option<&Value>,
    ) -> Result<String, FederationError> {
        let signed = self.sign(request_object(
            method,
            uri,
            &self.server_name,
            destination,
            content,
        ))?;
        let sig = signed["signatures"][&self.server_name][self.key_id()]
            .as_str()
            .ok_or_else(|| FederationError::Key("signing produced no signature".into()))?
            .to_string();
        Ok(format!(
            "X-Matrix origin=\"{}\",destination=\"{destination}\",key=\"{}\",sig=\"{sig}\"",
            self.server_name,
            self.key_id()
        ))
    }
}

/// The parts of an `Authorization: X-Matrix` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XMatrix {
    /// The sending server.
    pub origin: String,
    /// The receiving server, when given.
    pub destination: Option<String>,
    /// `ed25519:<version>`.
    pub key: String,
    /// Unpadded base64 signature.
    pub sig: String,
}

/// Parses an `X-Matrix` authorisation header (parameters in any order, values quoted or not).
pub fn parse_x_matrix(header: &str) -> Result<XMatrix, FederationError> {
    let bad = |why: &str| FederationError::Auth(format!("{why}: `{header}`"));
    let rest = header
        .strip_prefix("X-Matrix ")
        .ok_or_else(|| bad("not an X-Matrix authorisation"))?;
    let (mut origin, mut destination, mut key, mut sig) = (None, None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("a parameter without `=`"))?;
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "origin" => origin = Some(v),
            "destination" => destination = Some(v),
            "key" => key = Some(v),
            "sig" => sig = Some(v),
            _ => {}
        }
    }
    Ok(XMatrix {
        origin: origin.ok_or_else(|| bad("no origin"))?,
        destination,
        key: key.ok_or_else(|| bad("no key"))?,
        sig: sig.ok_or_else(|| bad("no sig"))?,
    })
}

/// Checks an incoming request's X-Matrix signature against the origin's public key (unpadded
/// base64, as its key document gives it).
pub fn verify_request(
    auth: &XMatrix,
    method: &str,
    uri: &str,
    our_name: &str,
    content: Option<&Value>,
    origin_public_key: &str,
) -> Result<(), FederationError> {
    let mut obj = canonical_object(request_object(method, uri, &auth.origin, our_name, content))?;
    let mut sigs = CanonicalJsonObject::new();
    let mut mine = CanonicalJsonObject::new();
    mine.insert(
        auth.key.clone(),
        CanonicalJsonValue::String(auth.sig.clone()),
    );
    sigs.insert(auth.origin.clone(), CanonicalJsonValue::Object(mine));
    obj.insert("signatures".into(), CanonicalJsonValue::Object(sigs));
    let keys = [(auth.key.clone(), origin_public_key.to_string())].into();
    let map = public_key_map([(auth.origin.as_str(), &keys)])?;
    ruma_signatures::verify_json(&map, &obj).map_err(|e| {
        FederationError::Auth(format!(
            "signature from {} does not verify: {e}",
            auth.origin
        ))
    })
}

/// Checks that a server's key document is signed by one of the keys it lists.
pub fn verify_key_document(
    doc: &Value,
    server: &str,
    keys: &std::collections::BTreeMap<String, String>,
) -> Result<(), FederationError> {
    let obj = canonical_object(doc.clone())?;
    let map = public_key_map([(server, keys)])?;
    ruma_signatures::verify_json(&map, &obj).map_err(|e| {
        FederationError::Auth(format!(
            "the key document of {server} is not self-signed: {e}"
        ))
    })
}

/// ruma's key map from servers' verify keys (key ID → unpadded base64 public key).
pub(super) fn public_key_map<'a>(
    servers: impl IntoIterator<Item = (&'a str, &'a std::collections::BTreeMap<String, String>)>,
) -> Result<ruma_signatures::PublicKeyMap, FederationError> {
    let mut map = ruma_signatures::PublicKeyMap::new();
    for (server, keys) in servers {
        let mut set = ruma_signatures::PublicKeySet::new();
        for (id, key) in keys {
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(key.trim_end_matches('='))
                .map_err(|e| {
                    FederationError::Auth(format!("bad public key {id} of {server}: {e}"))
                })?;
            set.insert(id.clone(), ruma_common::serde::Base64::new(bytes));
        }
        map.insert(server.to_string(), set);
    }
    Ok(map)
}

/// The object the server-server API signs for a request.
fn request_object(
    method: &str,
    uri: &str,
    origin: &str,
    destination: &str,
    content: Option<&Value>,
) -> Value {
    let mut v = json!({"method": method, "uri": uri, "origin": origin, "destination": destination});
    if let Some(c) = content {
        v["content"] = c.clone();
    }
    v
}

pub(super) fn canonical_object(v: Value) -> Result<CanonicalJsonObject, FederationError> {
    match CanonicalJsonValue::try_from(v) {
        Ok(CanonicalJsonValue::Object(o)) => Ok(o),
        Ok(_) => Err(FederationError::Key("only JSON objects are signed".into())),
        Err(e) => Err(FederationError::Key(format!("not canonical JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_request_verifies_and_a_changed_one_does_not() {
        let key = ServerKey::generate("localhost:1111").unwrap();
        let content = json!({"pdus": [], "edus": []});
        let header = key
            .authorization(
                "PUT",
                "/_matrix/federation/v1/send/t1",
                "localhost:2222",
                Some(&content),
            )
            .unwrap();
        let auth = parse_x_matrix(&header).unwrap();
        assert_eq!(auth.origin, "localhost:1111");
        assert_eq!(auth.destination.as_deref(), Some("localhost:2222"));
        assert_eq!(auth.key, key.key_id());
        assert!(auth.key.starts_with("ed25519:mscheck_"));
        assert_ne!(
            key.key_id(),
            ServerKey::generate("localhost:1111").unwrap().key_id(),
            "every key has an ID of its own"
        );
        let check = |uri: &str, c: &Value| {
            verify_request(
                &auth,
                "PUT",
                uri,
                "localhost:2222",
                Some(c),
                &key.public_key(),
            )
        };
        check("/_matrix/federation/v1/send/t1", &content).unwrap();
        assert!(check("/_matrix/federation/v1/send/t2", &content).is_err());
        assert!(check("/_matrix/federation/v1/send/t1", &json!({"pdus": [1]})).is_err());
    }

    #[test]
    fn the_key_document_is_self_signed() {
        let key = ServerKey::generate("localhost:1111").unwrap();
        let doc = key.key_document(4_000_000_000_000).unwrap();
        assert_eq!(doc["verify_keys"][key.key_id()]["key"], key.public_key());
        let sig = doc["signatures"]["localhost:1111"][key.key_id()]
            .as_str()
            .unwrap();
        assert!(!sig.is_empty());
        let keys = [(key.key_id(), key.public_key())].into_iter().collect();
        verify_key_document(&doc, "localhost:1111", &keys).unwrap();
        let mut forged = doc.clone();
        forged["valid_until_ts"] = json!(1);
        assert!(verify_key_document(&forged, "localhost:1111", &keys).is_err());
    }

    #[test]
    fn malformed_headers_are_refused_with_the_reason() {
        let e = parse_x_matrix("Bearer abc").unwrap_err().to_string();
        assert!(e.contains("not an X-Matrix"), "{e}");
        let e = parse_x_matrix("X-Matrix origin=a,key=\"ed25519:x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no sig"), "{e}");
    }
}
