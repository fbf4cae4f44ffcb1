//! Creating users: Synapse's shared-secret admin API, the interactive-auth flow of `/register`
//! (open registration, or a registration token), or guests.
//! Passwords are random per run; tokens are handed to the redactor before anything is recorded.

use super::{Homeserver, Registration};
use crate::client::{Client, ClientError, Request, DEFAULT_TIMEOUT};
use crate::fault::RequestParts;
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
    /// The password it was registered with (secret; none for a guest).
    pub password: Option<String>,
}

/// Why a user could not be registered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// No HTTP answer.
    #[error(transparent)]
    Transport(#[from] ClientError),
    /// The server refused.
    #[error("registering `{localpart}` on {hs} failed: {status} {body}{}", why.as_ref().map(|w| format!(" ({w})")).unwrap_or_default())]
    Refused {
        /// Which server.
        hs: String,
        /// Which user.
        localpart: String,
        /// HTTP status.
        status: u16,
        /// Response body (redacted).
        body: String,
        /// What mscheck made of the answer, when it knows more than the status.
        why: Option<String>,
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
        hs: hs.name.to_string(),
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

/// The interactive-auth stages mscheck can complete on its own.
const DUMMY_STAGE: &str = "m.login.dummy";
const TOKEN_STAGE: &str = "m.login.registration_token";

/// How many interactive-auth rounds a registration may take before mscheck gives up (a server
/// that keeps answering 401 with the same stage would otherwise loop).
const MAX_AUTH_ROUNDS: usize = 4;

/// Registers a user (or a guest) on a server.
pub async fn register(
    client: &Client,
    hs: &Homeserver,
    localpart: &str,
    guest: bool,
) -> Result<RegisteredUser, RegistrationError> {
    let password = crate::random::random_hex::<16>();
    client.redactor().add_secret(&password);
    let resp = match (&hs.registration, guest) {
        (Registration::SharedSecret(secret), false) => {
            shared_secret(client, hs, localpart, &password, secret).await?
        }
        (_, true) => {
            let body = json!({});
            interactive(client, hs, localpart, body, true).await?
        }
        (Registration::Open | Registration::Token(_), false) => {
            let body = json!({"username": localpart, "password": password, "inhibit_login": false});
            interactive(client, hs, localpart, body, false).await?
        }
    };
    let refused = refusal(client, hs, localpart);
    if resp.status != 200 {
        let why = (300..400).contains(&resp.status).then(|| {
            format!(
                "a redirect to {}, which mscheck does not follow: give the server's own URL",
                resp.headers
                    .get("location")
                    .map(|l| crate::client::bounded::excerpt(l, 300))
                    .unwrap_or_else(|| "nowhere".into())
            )
        });
        return Err(refused(resp.status, &resp.body, why));
    }
    let field = |k: &str| resp.body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(user_id), Some(access_token)) = (field("user_id"), field("access_token")) else {
        return Err(refused(
            resp.status,
            &resp.body,
            Some("the answer has no `user_id` or `access_token`".into()),
        ));
    };
    client.redactor().add_secret(&access_token);
    Ok(RegisteredUser {
        user_id,
        access_token,
        device_id: field("device_id").unwrap_or_default(),
        password: (!guest).then_some(password),
    })
}

/// Builds a [`RegistrationError::Refused`] with the body redacted.
fn refusal<'a>(
    client: &'a Client,
    hs: &'a Homeserver,
    localpart: &'a str,
) -> impl Fn(u16, &Value, Option<String>) -> RegistrationError + 'a {
    move |status, body, why| RegistrationError::Refused {
        hs: hs.name.to_string(),
        localpart: localpart.to_string(),
        status,
        body: crate::client::bounded::excerpt(&client.redactor().json(body).to_string(), 2048),
        why,
    }
}

/// Synapse's shared-secret admin API: fetch a nonce, answer with an HMAC of the user's details.
async fn shared_secret(
    client: &Client,
    hs: &Homeserver,
    localpart: &str,
    password: &str,
    secret: &str,
) -> Result<crate::client::Response, RegistrationError> {
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
        return Err(refusal(client, hs, localpart)(
            nonce.status,
            &nonce.body,
            Some("no nonce from the shared-secret registration API (is it Synapse, and is `registration_shared_secret` set?)".into()),
        ));
    };
    let mac = shared_secret_mac(secret, &nonce, localpart, password, false);
    let body = json!({"nonce": nonce, "username": localpart, "password": password, "admin": false, "mac": mac});
    Ok(client
        .send(request(
            hs,
            "POST",
            "/_synapse/admin/v1/register",
            vec![],
            Some(body),
        ))
        .await?)
}

/// The HMAC-SHA1 (hex) Synapse's shared-secret registration API wants for a user.
pub fn shared_secret_mac(
    secret: &str,
    nonce: &str,
    user: &str,
    password: &str,
    admin: bool,
) -> String {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    let role = if admin { "admin" } else { "notadmin" };
    mac.update(format!("{nonce}\0{user}\0{password}\0{role}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `POST /register` through the user-interactive authentication flow: the first answer is 401
/// with the flows the server offers and a session; mscheck picks a flow made only of stages it can
/// complete (`m.login.dummy`, and `m.login.registration_token` when it has a token) and completes
/// its stages in order. Guests (`kind=guest`) go through the same loop, since some servers ask
/// them for a dummy stage too.
async fn interactive(
    client: &Client,
    hs: &Homeserver,
    localpart: &str,
    mut body: Value,
    guest: bool,
) -> Result<crate::client::Response, RegistrationError> {
    let token = match &hs.registration {
        Registration::Token(t) => {
            client.redactor().add_secret(t);
            Some(t.as_str())
        }
        _ => None,
    };
    let query: Vec<(String, String)> = if guest {
        vec![("kind".into(), "guest".into())]
    } else {
        Vec::new()
    };
    let refused = refusal(client, hs, localpart);
    let register = |body: Value| {
        client.send(request(
            hs,
            "POST",
            "/_matrix/client/v3/register",
            query.clone(),
            Some(body),
        ))
    };
    let mut resp = register(body.clone()).await?;
    let mut last_stage: Option<&str> = None;
    for _ in 0..MAX_AUTH_ROUNDS {
        if resp.status != 401 {
            return Ok(resp);
        }
        // A 401 that carries an error after a stage was sent refuses that stage (a wrong token).
        if let (Some(stage), Some(code)) = (last_stage, resp.errcode()) {
            return Err(refused(
                resp.status,
                &resp.body,
                Some(format!("the server refused the `{stage}` stage ({code})")),
            ));
        }
        let stage = next_stage(&resp.body, token.is_some())
            .map_err(|why| refused(resp.status, &resp.body, Some(why)))?;
        last_stage = Some(stage);
        let session = resp.body.get("session").cloned().unwrap_or(Value::Null);
        let mut auth = json!({"type": stage, "session": session});
        if stage == TOKEN_STAGE {
            auth["token"] = json!(token.unwrap_or_default());
        }
        body["auth"] = auth;
        resp = register(body.clone()).await?;
    }
    Err(refused(
        resp.status,
        &resp.body,
        Some(format!(
            "still asked for authentication after {MAX_AUTH_ROUNDS} completed stages"
        )),
    ))
}

/// The next stage to complete, from a 401 interactive-auth answer: the first flow whose stages
/// mscheck can all complete, minus the stages already `completed`.
pub fn next_stage(answer: &Value, have_token: bool) -> Result<&'static str, String> {
    let can = |s: &str| s == DUMMY_STAGE || (have_token && s == TOKEN_STAGE);
    let done: Vec<&str> = answer
        .get("completed")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let flows: Vec<Vec<&str>> = answer
        .get("flows")
        .and_then(Value::as_array)
        .map(|flows| {
            flows
                .iter()
                .map(|f| {
                    f.get("stages")
                        .and_then(Value::as_array)
                        .map(|st| st.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    if flows.is_empty() {
        return Err("401 without interactive-auth flows (is registration disabled?)".into());
    }
    let Some(flow) = flows.iter().find(|f| f.iter().all(|s| can(s))) else {
        let offered: Vec<String> = flows
            .iter()
            .map(|f| format!("[{}]", f.join(", ")))
            .collect();
        let hint = if !have_token && flows.iter().flatten().any(|s| *s == TOKEN_STAGE) {
            " (hint: `--registration token` with the token in $MSCHECK_REGISTRATION_TOKEN)"
        } else {
            ""
        };
        return Err(format!(
            "no registration flow mscheck can complete: the server offers {}; mscheck completes `{DUMMY_STAGE}`{} {hint}",
            offered.join(" or "),
            if have_token { format!(" and `{TOKEN_STAGE}`") } else { String::new() },
        )
        .trim_end()
        .to_string());
    };
    flow.iter()
        .find(|s| !done.contains(s))
        .map(|s| {
            if *s == TOKEN_STAGE {
                TOKEN_STAGE
            } else {
                DUMMY_STAGE
            }
        })
        .ok_or_else(|| {
            "every stage of the flow is completed, yet the server still answers 401".into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_dummy_stage_of_an_open_server() {
        let a = json!({"session": "s", "flows": [{"stages": ["m.login.email.identity"]}, {"stages": ["m.login.dummy"]}]});
        assert_eq!(next_stage(&a, false), Ok(DUMMY_STAGE));
    }

    #[test]
    fn completes_a_token_flow_stage_by_stage() {
        let a = json!({"session": "s", "flows": [{"stages": ["m.login.registration_token", "m.login.dummy"]}]});
        assert_eq!(next_stage(&a, true), Ok(TOKEN_STAGE));
        let after = json!({"session": "s", "completed": ["m.login.registration_token"], "flows": [{"stages": ["m.login.registration_token", "m.login.dummy"]}]});
        assert_eq!(next_stage(&after, true), Ok(DUMMY_STAGE));
    }

    #[test]
    fn a_token_flow_without_a_token_names_the_flag() {
        let a = json!({"session": "s", "flows": [{"stages": ["m.login.registration_token"]}]});
        let why = next_stage(&a, false).unwrap_err();
        assert!(why.contains("[m.login.registration_token]"), "{why}");
        assert!(why.contains("--registration token"), "{why}");
    }

    #[test]
    fn no_flows_means_registration_is_closed() {
        let why = next_stage(&json!({"errcode": "M_FORBIDDEN"}), true).unwrap_err();
        assert!(why.contains("without interactive-auth flows"), "{why}");
    }
}
