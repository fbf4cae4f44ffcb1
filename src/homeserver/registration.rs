//! Creating users: Synapse's shared-secret admin API, open registration, or guests.
//! Passwords are random per run; tokens are handed to the redactor before anything is recorded.

use super::{Homeserver, Registration};
use crate::client::fault::RequestParts;
use crate::client::{Client, ClientError, Request, DEFAULT_TIMEOUT};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

/// A user as the runner knows it.
#[derive(Debug, Clone)]
pub struct RegisteredUser {
    /// Full Matrix user ID.
    pub user_id: String,
    /// Access token (secret).
    pub access_token: String,
    /// Device ID.
    pub device_id: String,
}

/// Why a user could not be registered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// No HTTP answer.
    #[error(transparent)]
    Transport(#[from] ClientError),
    /// The server refused.
    #[error("registering `{localpart}` on {hs} failed: {status} {body}")]
    Refused {
        /// Which server.
        hs: String,
        /// Which user.
        localpart: String,
        /// HTTP status.
        status: u16,
        /// Response body (redacted).
        body: String,
    },
}

fn request(
    hs: &Homeserver,
    method: &str,
    path: &str,
    query: Vec<(String, String)>,
    body: Option<Value>,
) -> Request {
    Request {
        hs: hs.name.clone(),
        base: hs.base_url.clone(),
        actor: "harness".into(),
        token: None,
        step: "setup".into(),
        parts: RequestParts {
            method: method.into(),
            path: path.into(),
            query,
            body,
        },
        timeout: DEFAULT_TIMEOUT,
    }
}

/// Registers a user (or a guest) on a server.
pub async fn register(
    client: &Client,
    hs: &Homeserver,
    localpart: &str,
    guest: bool,
) -> Result<RegisteredUser, RegistrationError> {
    let password = super::keys::random_hex::<16>();
    client.redactor().add_secret(&password);
    let refused = |status: u16, body: &Value| RegistrationError::Refused {
        hs: hs.name.clone(),
        localpart: localpart.to_string(),
        status,
        body: client.redactor().json(body).to_string(),
    };
    let resp = if guest {
        client
            .send(request(
                hs,
                "POST",
                "/_matrix/client/v3/register",
                vec![("kind".into(), "guest".into())],
                Some(json!({})),
            ))
            .await?
    } else {
        match &hs.registration {
            Registration::SharedSecret(secret) => {
                client.redactor().add_secret(secret);
                let nonce = client
                    .send(request(
                        hs,
                        "GET",
                        "/_synapse/admin/v1/register",
                        vec![],
                        None,
                    ))
                    .await?;
                let Some(nonce) = nonce
                    .body
                    .get("nonce")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                else {
                    return Err(refused(nonce.status, &nonce.body));
                };
                let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
                    .expect("HMAC takes any key length");
                mac.update(format!("{nonce}\0{localpart}\0{password}\0notadmin").as_bytes());
                let mac: String = mac
                    .finalize()
                    .into_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let body = json!({"nonce": nonce, "username": localpart, "password": password, "admin": false, "mac": mac});
                client
                    .send(request(
                        hs,
                        "POST",
                        "/_synapse/admin/v1/register",
                        vec![],
                        Some(body),
                    ))
                    .await?
            }
            Registration::Open => {
                let mut body =
                    json!({"username": localpart, "password": password, "inhibit_login": false});
                let first = client
                    .send(request(
                        hs,
                        "POST",
                        "/_matrix/client/v3/register",
                        vec![],
                        Some(body.clone()),
                    ))
                    .await?;
                if first.status == 401 {
                    let session = first.body.get("session").cloned().unwrap_or(Value::Null);
                    body["auth"] = json!({"type": "m.login.dummy", "session": session});
                    client
                        .send(request(
                            hs,
                            "POST",
                            "/_matrix/client/v3/register",
                            vec![],
                            Some(body),
                        ))
                        .await?
                } else {
                    first
                }
            }
        }
    };
    if resp.status != 200 {
        return Err(refused(resp.status, &resp.body));
    }
    let field = |k: &str| resp.body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(user_id), Some(access_token)) = (field("user_id"), field("access_token")) else {
        return Err(refused(resp.status, &resp.body));
    };
    client.redactor().add_secret(&access_token);
    Ok(RegisteredUser {
        user_id,
        access_token,
        device_id: field("device_id").unwrap_or_default(),
    })
}
