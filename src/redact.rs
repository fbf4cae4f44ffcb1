//! The one choke point for secrets: everything that reaches a transcript, report, snapshot or the
//! terminal passes through a [`Redactor`] first.
//!
//! It removes values of secret-bearing keys (`password`, `access_token`, `mac`, …), the
//! `access_token` query parameter, and any occurrence of a registered secret string (access
//! tokens handed out at registration, the shared registration secret).

use serde_json::Value;
use std::sync::RwLock;

/// Replacement text for a secret.
pub const REDACTED: &str = "[redacted]";

/// JSON keys whose values are always secret.
const SECRET_KEYS: &[&str] = &[
    "password",
    "new_password",
    "access_token",
    "refresh_token",
    "mac",
    "token",
    "registration_shared_secret",
];

/// Knows the secrets of a run and scrubs them from text and JSON.
#[derive(Debug, Default)]
pub struct Redactor {
    secrets: RwLock<Vec<String>>,
}

impl Redactor {
    /// A redactor with no registered secrets (key-based redaction still applies).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret string; every later occurrence is replaced.
    pub fn add_secret(&self, secret: &str) {
        if secret.len() >= 4 {
            let mut s = self.secrets.write().unwrap_or_else(|e| e.into_inner());
            if !s.iter().any(|x| x == secret) {
                s.push(secret.to_string());
            }
        }
    }

    /// Scrubs a string.
    pub fn text(&self, input: &str) -> String {
        let mut out = input.to_string();
        for s in self
            .secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        redact_query_token(&out)
    }

    /// Scrubs a JSON value (secret keys, and registered secrets inside strings).
    pub fn json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.json(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| {
                        let x = if SECRET_KEYS.contains(&k.as_str()) && !x.is_null() {
                            Value::String(REDACTED.into())
                        } else {
                            self.json(x)
                        };
                        (k.clone(), x)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn redact_query_token(s: &str) -> String {
    let Some(i) = s.find("access_token=") else {
        return s.to_string();
    };
    let start = i + "access_token=".len();
    let end = s[start..]
        .find(['&', ' ', '"', '\n'])
        .map(|e| start + e)
        .unwrap_or(s.len());
    format!(
        "{}{}{}",
        &s[..start],
        REDACTED,
        redact_query_token(&s[end..])
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrubs_keys_secrets_and_query_tokens() {
        let r = Redactor::new();
        r.add_secret("syt_secret_token");
        let v = json!({"password": "hunter2", "mac": "abc", "note": "token syt_secret_token here", "ok": 1});
        assert_eq!(
            r.json(&v),
            json!({"password": REDACTED, "mac": REDACTED, "note": "token [redacted] here", "ok": 1})
        );
        assert_eq!(
            r.text("GET /sync?access_token=xyz&since=1"),
            "GET /sync?access_token=[redacted]&since=1"
        );
    }
}
