//! What an external target is: its server name (from the user ID of a first registration, which
//! also proves mscheck can create users there) and its implementation and version (from the
//! federation `/version` endpoint when its federation listener is on loopback, else from
//! `--implementation` / `--impl-version`).

use super::registration::register;
use super::{Homeserver, HomeserverError};
use crate::client::Client;
use serde_json::Value;
use std::time::Duration;

/// How long the federation `/version` probe may take: an unreachable federation port is normal
/// (plain client-only setups), so it must not hold the run up.
const FEDERATION_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What `--implementation` / `--impl-version` said, if anything.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// `--implementation`.
    pub implementation: Option<String>,
    /// `--impl-version`.
    pub version: Option<String>,
}

/// Where the implementation and version of a target came from, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The flags.
    Declared,
    /// `GET /_matrix/federation/v1/version`.
    FederationVersion,
    /// Neither: `unknown`.
    Unknown,
}

/// Registers a first user to learn the server name (and to fail early, with the server's answer,
/// when mscheck cannot create users), then asks the federation listener what it runs.
pub async fn discover(
    hs: &mut Homeserver,
    client: &Client,
    run_id: &str,
    declared: &Declared,
) -> Result<Source, HomeserverError> {
    let user = register(client, hs, &format!("mscheck-probe-{run_id}"), false)
        .await
        .map_err(|e| HomeserverError::RegistrationRefused {
            name: hs.name.clone(),
            detail: e.to_string(),
        })?;
    hs.server_name =
        server_name_of(&user.user_id).ok_or_else(|| HomeserverError::RegistrationRefused {
            name: hs.name.clone(),
            detail: format!(
                "registration answered a user ID without a server name: `{}`",
                user.user_id
            ),
        })?;
    let found = federation_version(&hs.server_name).await;
    let (implementation, version, source) = match (declared, found) {
        (
            Declared {
                implementation: Some(i),
                version,
            },
            found,
        ) => {
            // The flags win; a version the flags leave out still comes from the server when it
            // is the same implementation.
            let v = version
                .clone()
                .or_else(|| found.filter(|(fi, _)| fi == i).map(|(_, fv)| fv));
            (i.clone(), v, Source::Declared)
        }
        (d, Some((fi, fv))) => (
            fi,
            d.version.clone().or(Some(fv)),
            Source::FederationVersion,
        ),
        (d, None) => ("unknown".to_string(), d.version.clone(), Source::Unknown),
    };
    hs.implementation = implementation;
    hs.version = version.unwrap_or_else(|| "unknown".into());
    Ok(source)
}

/// The server name of a full user ID (`@a:localhost:8448` → `localhost:8448`).
pub fn server_name_of(user_id: &str) -> Option<String> {
    let (_, name) = user_id.strip_prefix('@')?.split_once(':')?;
    (!name.is_empty()).then(|| name.to_string())
}

/// `(implementation, version)` from a federation `/version` answer: the name lower-cased with
/// spaces as dashes (`Synapse` → `synapse`), the version's first word (`1.163.2 (b=main,…)` →
/// `1.163.2`).
pub fn parse_federation_version(body: &Value) -> Option<(String, String)> {
    let server = body.get("server")?;
    let name = server.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let implementation = name.to_lowercase().replace(char::is_whitespace, "-");
    let version = server
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("unknown")
        .to_string();
    Some((implementation, version))
}

/// Asks the target's federation listener what it runs; `None` when its server name is not on
/// loopback (mscheck sends traffic nowhere else) or it does not answer in time.
async fn federation_version(server_name: &str) -> Option<(String, String)> {
    let base = crate::federation::client::loopback_address(server_name).ok()?;
    let http = reqwest::Client::builder()
        // Servers on loopback present self-signed certificates.
        .danger_accept_invalid_certs(true)
        .timeout(FEDERATION_PROBE_TIMEOUT)
        .build()
        .ok()?;
    let resp = http
        .get(format!("{base}/_matrix/federation/v1/version"))
        .send()
        .await
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    parse_federation_version(&resp.json().await.ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_names_keep_their_port() {
        assert_eq!(
            server_name_of("@a:localhost:8448").as_deref(),
            Some("localhost:8448")
        );
        assert_eq!(
            server_name_of("@a:example.org").as_deref(),
            Some("example.org")
        );
        assert_eq!(server_name_of("@a:"), None);
        assert_eq!(server_name_of("a:b"), None);
    }

    #[test]
    fn federation_version_names_are_normalised() {
        let b = json!({"server": {"name": "Synapse", "version": "1.163.2 (b=develop,abc)"}});
        assert_eq!(
            parse_federation_version(&b),
            Some(("synapse".into(), "1.163.2".into()))
        );
        let b = json!({"server": {"name": "My Server"}});
        assert_eq!(
            parse_federation_version(&b),
            Some(("my-server".into(), "unknown".into()))
        );
        assert_eq!(parse_federation_version(&json!({"server": {}})), None);
    }
}
