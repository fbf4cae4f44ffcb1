//! What an external target is: its server name (from the user ID of a first registration, which
//! also proves mscheck can create users there) and its implementation and version (from the
//! federation `/version` endpoint when its federation listener is on loopback, else from
//! `--implementation` / `--impl-version`).

use super::error::HomeserverError;
use super::registration::register;
use super::Homeserver;
use crate::client::Client;
use crate::names::{valid_implementation, valid_version};
use serde_json::Value;
use std::time::Duration;

/// How long the federation `/version` probe may take: an unreachable federation port is normal
/// (plain client-only setups), so it must not hold the run up.
const FEDERATION_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The most the probe of an external server, its first registration and the federation
/// `/version` question take together, however slowly the server answers: the bound on how long
/// a run against a server that is up but not working takes to end with exit 3.
pub const DISCOVERY_BUDGET: Duration = Duration::from_secs(30);

/// What `--implementation` / `--impl-version` said, if anything.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// `--implementation`.
    pub implementation: Option<String>,
    /// `--impl-version`.
    pub version: Option<String>,
}

/// Where the implementation and version of a target came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The flags.
    Declared,
    /// `GET /_matrix/federation/v1/version`.
    FederationVersion,
    /// Neither: `unknown`, with what the federation probe got instead.
    Unknown(String),
}

impl Source {
    /// How the target was identified, as the terminal and the reports say it.
    pub fn describe(&self) -> String {
        match self {
            Source::Declared => "--implementation".into(),
            Source::FederationVersion => "GET /_matrix/federation/v1/version".into(),
            Source::Unknown(why) => format!("nothing: {why} (give --implementation)"),
        }
    }
}

/// What the federation `/version` probe learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probed {
    /// A usable implementation name and version.
    Found(String, String),
    /// Nothing usable, and why (for the report).
    Nothing(String),
}

/// Whether a server name has the grammar of one (a host name, IPv4 or bracketed IPv6 address,
/// and an optional port; at most 255 characters): anything else from a server is refused before
/// it reaches a message, a file or a connection.
pub fn valid_server_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
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
            name: hs.name.to_string(),
            detail: e.to_string(),
        })?;
    hs.server_name = server_name_of(&user.user_id)
        .filter(|n| valid_server_name(n))
        .ok_or_else(|| HomeserverError::RegistrationRefused {
            name: hs.name.to_string(),
            detail: format!(
                "registration answered a user ID without a valid server name: \"{}\"",
                crate::client::bounded::excerpt(&user.user_id, 200)
            ),
        })?;
    let probed = federation_version(&hs.server_name).await;
    let (found, why) = match probed {
        Probed::Found(i, v) => (Some((i, v)), None),
        Probed::Nothing(why) => (None, Some(why)),
    };
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
            (Some(i.clone()), v, Source::Declared)
        }
        (d, Some((fi, fv))) => (
            Some(fi),
            d.version.clone().or(Some(fv)),
            Source::FederationVersion,
        ),
        (d, None) => (
            None,
            d.version.clone(),
            Source::Unknown(why.unwrap_or_default()),
        ),
    };
    hs.implementation = implementation;
    hs.version = version;
    Ok(source)
}

/// The server name of a full user ID (`@a:localhost:8448` → `localhost:8448`).
pub fn server_name_of(user_id: &str) -> Option<String> {
    let (_, name) = user_id.strip_prefix('@')?.split_once(':')?;
    (!name.is_empty()).then(|| name.to_string())
}

/// `(implementation, version)` from a federation `/version` answer: the name lower-cased with
/// spaces as dashes (`Synapse` → `synapse`), the version's first word (`1.163.2 (b=main,…)` →
/// `1.163.2`). A name or version that could not safely name a file is refused, quoted escaped.
pub fn parse_federation_version(body: &Value) -> Probed {
    let excerpt = |t: &str| crate::client::bounded::excerpt(t, 80);
    let Some(name) = body
        .get("server")
        .and_then(|s| s.get("name"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return Probed::Nothing(format!(
            "GET /_matrix/federation/v1/version named no `server.name`: {}",
            excerpt(&body.to_string())
        ));
    };
    let implementation = name.to_lowercase().replace(char::is_whitespace, "-");
    if !valid_implementation(&implementation) {
        return Probed::Nothing(format!(
            "GET /_matrix/federation/v1/version named the implementation \"{}\", which is not a short name of [a-z0-9._-]; treated as unknown",
            excerpt(name)
        ));
    }
    let version = body["server"]
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("unknown");
    if !valid_version(version) {
        return Probed::Nothing(format!(
            "GET /_matrix/federation/v1/version named {implementation} at version \"{}\", which is not a short name of [A-Za-z0-9._+-]; treated as unknown",
            excerpt(version)
        ));
    }
    Probed::Found(implementation, version.to_string())
}

/// Asks the target's federation listener what it runs (one bounded answer within 3 s, no
/// redirect followed); what it got instead when that tells nothing.
async fn federation_version(server_name: &str) -> Probed {
    use crate::client::bounded;
    let base = match crate::federation::client::loopback_base(server_name) {
        Ok(b) => b,
        Err(_) => {
            return Probed::Nothing(format!(
                "the server name `{}` is not on loopback, so its federation /version was not asked",
                bounded::excerpt(server_name, 80)
            ))
        }
    };
    // Servers on loopback present self-signed certificates.
    let Ok(http) = bounded::builder(FEDERATION_PROBE_TIMEOUT)
        .danger_accept_invalid_certs(true)
        .build()
    else {
        return Probed::Nothing("no HTTP client for the federation probe".into());
    };
    let url = format!("{base}/_matrix/federation/v1/version");
    let answer = match bounded::fetch(
        http.get(&url),
        &url,
        FEDERATION_PROBE_TIMEOUT,
        bounded::body_limit(),
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return Probed::Nothing(e.to_string()),
    };
    if let Some(location) = answer.redirect_target() {
        return Probed::Nothing(format!(
            "GET {url} answered {} with Location {} (not followed)",
            answer.status,
            bounded::excerpt(location, 200)
        ));
    }
    let body = answer.json_or_text();
    if answer.status != 200 {
        return Probed::Nothing(format!(
            "GET {url} answered {}: {}",
            answer.status,
            bounded::excerpt(&body.to_string(), 200)
        ));
    }
    parse_federation_version(&body)
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
        assert!(valid_server_name("localhost:8448"));
        assert!(valid_server_name("[::1]:8448"));
        assert!(!valid_server_name("x/../../y"));
        assert!(!valid_server_name("evil\u{1b}[2J"));
        assert_eq!(server_name_of("a:b"), None);
    }

    #[test]
    fn federation_version_names_are_normalised() {
        let b = json!({"server": {"name": "Synapse", "version": "1.163.2 (b=develop,abc)"}});
        assert_eq!(
            parse_federation_version(&b),
            Probed::Found("synapse".into(), "1.163.2".into())
        );
        let b = json!({"server": {"name": "My Server"}});
        assert_eq!(
            parse_federation_version(&b),
            Probed::Found("my-server".into(), "unknown".into())
        );
        assert!(matches!(
            parse_federation_version(&json!({"server": {}})),
            Probed::Nothing(_)
        ));
    }

    #[test]
    fn names_that_could_be_paths_or_escapes_are_refused() {
        for name in [
            "../../../x",
            "/etc",
            "..",
            ".hidden",
            "a/b",
            "x\u{1b}[2J",
            "",
        ] {
            let b = json!({"server": {"name": name, "version": "1.0"}});
            let Probed::Nothing(why) = parse_federation_version(&b) else {
                panic!("{name:?} accepted");
            };
            assert!(!why.contains('\u{1b}'), "{why}");
        }
        let b = json!({"server": {"name": "ok", "version": "../1"}});
        assert!(matches!(parse_federation_version(&b), Probed::Nothing(_)));
        assert!(valid_implementation("conduwuit"));
        assert!(valid_version("0.5.0-rc.2+build7"));
    }
}
