//! Targets: the homeservers a run talks to. Managed ones (Synapse started by mscheck, with
//! lifecycle control) or external ones (a URL plus a registration method).

mod cleanup;
pub mod config_file;
pub mod discover;
mod error;
pub mod hooks;
pub mod install;
mod instance;
pub mod keys;
pub mod managed;
mod pip;
mod placeholders;
mod ports;
pub mod profile;
mod profile_lookup;
pub mod profile_needs;
mod profile_reader;
mod profile_sections;
pub use profile_lookup::find as find_profile;
pub mod registration;

use crate::hs::Hs;
pub use error::HomeserverError;
use managed::{Launch, ManagedServer};
use profile::{Profile, Provision, RegistrationKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How users are created on a server.
#[derive(Debug, Clone)]
pub enum Registration {
    /// Synapse's shared-secret admin API (`/_synapse/admin/v1/register`).
    SharedSecret(String),
    /// Open registration: `/register` with the dummy interactive-auth stage.
    Open,
    /// `/register` with the `m.login.registration_token` stage (the token is a secret).
    Token(String),
}

/// Who controls the process.
#[derive(Clone)]
pub enum Control {
    /// Started by mscheck.
    Managed(Arc<ManagedServer>),
    /// Someone else's server.
    External,
}

/// One homeserver of a run.
#[derive(Clone)]
pub struct Homeserver {
    /// Which of the run's servers it is.
    pub name: Hs,
    /// Client-server base URL.
    pub base_url: String,
    /// The Matrix server name (from a registered user ID for external servers).
    pub server_name: String,
    /// How to create users.
    pub registration: Registration,
    /// Process control.
    pub control: Control,
    /// Implementation name (`synapse`), for reports, expectations and snapshots; `None` when
    /// the server could not be identified.
    pub implementation: Option<String>,
    /// Its version, when known.
    pub version: Option<String>,
    /// `/versions` `unstable_features`.
    pub features: BTreeMap<String, bool>,
    /// `/versions` `versions`.
    pub spec_versions: Vec<String>,
    /// The application service mscheck registered (managed servers only).
    pub appservice: Option<AppService>,
    /// How `implementation` and `version` were learnt, for the report.
    pub identified_by: String,
}

/// An application service registered with a managed server, usable as a scenario user.
#[derive(Debug, Clone)]
pub struct AppService {
    /// The service's own user (its `sender_localpart` on the server).
    pub sender: String,
    /// Its `as_token`: a secret.
    pub token: String,
}

impl Homeserver {
    /// A managed server as the run sees it: its name, address, registration and application
    /// service from the instance, its implementation from the profile.
    fn managed(name: Hs, s: Arc<ManagedServer>, launch: &instance::Launch) -> Homeserver {
        let c = s.config().clone();
        let profile = &launch.profile;
        Homeserver {
            name,
            base_url: s.base_url(),
            server_name: c.server_name.clone(),
            registration: match profile.registration {
                RegistrationKind::SharedSecret => {
                    Registration::SharedSecret(c.shared_secret.clone())
                }
                RegistrationKind::Open => Registration::Open,
                RegistrationKind::Token => Registration::Token(c.registration_token.clone()),
            },
            control: Control::Managed(s),
            implementation: Some(profile.implementation.clone()),
            version: launch.version.clone(),
            features: BTreeMap::new(),
            spec_versions: Vec::new(),
            appservice: profile.appservice.then(|| AppService {
                sender: format!("@{}:{}", managed::APPSERVICE_SENDER, c.server_name),
                token: c.as_token.clone(),
            }),
            identified_by: format!("managed by mscheck ({})", profile.file.display()),
        }
    }

    /// Whether a feature flag is advertised as `true`.
    pub fn advertises(&self, feature: &str) -> bool {
        self.features.get(feature).copied().unwrap_or(false)
    }

    /// Secrets this target's setup uses, for the redactor.
    pub fn secrets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if let Registration::SharedSecret(s) | Registration::Token(s) = &self.registration {
            out.push(s.as_str());
        }
        if let Some(a) = &self.appservice {
            out.push(a.token.as_str());
        }
        out
    }

    /// Whether mscheck can stop, start and pause this server.
    pub fn has_lifecycle(&self) -> bool {
        matches!(self.control, Control::Managed(_))
    }

    /// Reads `/versions` (5 s deadline over the whole answer) and stores the advertised
    /// features. "Unreachable" means nothing answered; an answer that is not a Matrix one (a
    /// redirect, an error status, HTML) is named as such, with what came.
    pub async fn probe(&mut self, http: &reqwest::Client) -> Result<(), HomeserverError> {
        use crate::client::bounded::{self, excerpt, FetchError};
        let url = format!(
            "{}/_matrix/client/versions",
            self.base_url.trim_end_matches('/')
        );
        let not_matrix = |detail: String| HomeserverError::NotMatrix {
            name: self.name.to_string(),
            url: self.base_url.clone(),
            detail,
        };
        let answer = bounded::fetch(
            http.get(&url),
            &url,
            Duration::from_secs(5),
            bounded::body_limit(),
        )
        .await
        .map_err(|e| match e {
            FetchError::Unreachable { detail, .. } => HomeserverError::Unreachable {
                name: self.name.to_string(),
                url: self.base_url.clone(),
                detail,
            },
            FetchError::NoAnswer { .. } => HomeserverError::Unreachable {
                name: self.name.to_string(),
                url: self.base_url.clone(),
                detail: e.to_string(),
            },
            other => not_matrix(other.to_string()),
        })?;
        if let Some(location) = answer.redirect_target() {
            return Err(not_matrix(format!(
                "GET /_matrix/client/versions answered {} with Location {} (mscheck follows no redirect: give the final URL)",
                answer.status,
                excerpt(location, 300)
            )));
        }
        let body = answer.json_or_text();
        if !(200..300).contains(&answer.status) {
            return Err(not_matrix(format!(
                "GET /_matrix/client/versions answered {}: {}",
                answer.status,
                excerpt(&body.to_string(), 300)
            )));
        }
        if !body.is_object() {
            return Err(not_matrix(format!(
                "GET /_matrix/client/versions answered {} with a body that is not a JSON object ({}{}): {}",
                answer.status,
                crate::units::human_bytes(answer.bytes.len() as u64),
                answer
                    .headers
                    .get("content-type")
                    .map(|t| format!(", {}", excerpt(t, 80)))
                    .unwrap_or_default(),
                excerpt(&String::from_utf8_lossy(&answer.bytes), 200)
            )));
        }
        self.features = body
            .get("unstable_features")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_bool().unwrap_or(false)))
                    .collect()
            })
            .unwrap_or_default();
        self.spec_versions = body
            .get("versions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(())
    }
}

/// What managed servers are booted from: a profile, and for pip-provisioned Synapse which
/// release or checkout.
#[derive(Debug, Clone)]
pub struct ManagedSetup {
    /// The implementation profile.
    pub profile: Arc<Profile>,
    /// `fixtures/` (Synapse's pinned version and dependency pins).
    pub fixtures: std::path::PathBuf,
    /// Which Synapse, for `provision: synapse-pip`.
    pub synapse: install::SynapseSource,
}

impl ManagedSetup {
    /// Gets the server's program onto the machine (cached after the first time).
    pub async fn provision(
        &self,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Launch, HomeserverError> {
        let profile = self.profile.clone();
        match &profile.provision {
            Provision::SynapsePip { extras } => {
                let install =
                    install::ensure_synapse(&self.fixtures, &self.synapse, progress).await?;
                install::ensure_extras(&self.fixtures, &self.synapse, extras, progress).await?;
                Ok(Launch {
                    profile,
                    python: Some(install.python),
                    program: None,
                    version: Some(install.version),
                })
            }
            Provision::Command(program) => {
                if self.synapse != install::SynapseSource::Pinned {
                    return Err(HomeserverError::Setup(format!(
                        "the profile {} runs a command; `synapse@<version>` and `--synapse-from` are for pip-provisioned Synapse",
                        profile.file.display()
                    )));
                }
                let found = locate_program(&profile.dir(), program).ok_or_else(|| {
                    HomeserverError::Setup(format!(
                        "the profile {} runs `{program}`, which is neither a file (relative to the profile) nor on PATH; build it or fix `provision.command`",
                        profile.file.display()
                    ))
                })?;
                Ok(Launch {
                    version: profile.version.clone(),
                    profile,
                    python: None,
                    program: Some(found),
                })
            }
        }
    }
}

/// `synapse 1.163.2`, `synapse` (version unknown) or `an unknown implementation`.
pub fn described(implementation: Option<&str>, version: Option<&str>) -> String {
    match (implementation, version) {
        (Some(i), Some(v)) => format!("{i} {v}"),
        (Some(i), None) => format!("{i} (version unknown)"),
        (None, _) => "an unknown implementation".into(),
    }
}

/// Removes, once per process, the working folders killed mscheck runs left behind.
fn sweep_stale_once(progress: &(dyn Fn(&str) + Sync)) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let n = cleanup::remove_stale(&managed::work_root());
        if n > 0 {
            progress(&format!(
                "removed {n} working folder(s) that killed mscheck runs left in {}",
                managed::work_root().display()
            ));
        }
    });
}

/// The profile's per-instance setup (a database, a schema), off the async workers: it may take
/// seconds. A failure drops the servers, whose teardown then runs.
async fn run_setups(servers: &[Arc<ManagedServer>]) -> Result<(), HomeserverError> {
    for s in servers {
        let s = s.clone();
        tokio::task::spawn_blocking(move || s.setup())
            .await
            .map_err(|e| HomeserverError::Setup(format!("setup did not finish: {e}")))??;
    }
    Ok(())
}

/// A program named by a profile: a path (relative to the profile's folder) or a name on `PATH`.
fn locate_program(profile_dir: &Path, program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        // Not canonicalised: a virtualenv's interpreter is a symlink whose own path matters.
        let p = profile_dir.join(program);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

/// The servers of a run.
#[derive(Clone)]
pub struct Targets {
    /// The server under test.
    pub hs1: Homeserver,
    /// A second server, when scenarios need one.
    pub hs2: Option<Homeserver>,
}

impl Targets {
    /// The server `hs`, if the run has it.
    pub fn get(&self, hs: Hs) -> Option<&Homeserver> {
        match hs {
            Hs::Hs1 => Some(&self.hs1),
            Hs::Hs2 => self.hs2.as_ref(),
        }
    }

    /// Every server.
    pub fn all(&self) -> Vec<&Homeserver> {
        std::iter::once(&self.hs1)
            .chain(self.hs2.as_ref())
            .collect()
    }

    /// Boots managed servers (`count` of 1 or 2) as `setup`'s profile says; their logs and
    /// redacted configuration end up under `dir/<hs>/`, their working files in a folder of their
    /// own under [`managed::work_root`]. `overlay` is the scenario's needs, already mapped to the
    /// implementation's configuration.
    pub async fn boot_managed(
        setup: &ManagedSetup,
        dir: &Path,
        count: u8,
        overlay: Option<&serde_json::Value>,
        http: &reqwest::Client,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Targets, HomeserverError> {
        let launch = setup.provision(progress).await?;
        let profile = launch.profile.clone();
        let names: Vec<Hs> = Hs::ALL.into_iter().take(count.max(1) as usize).collect();
        let mut servers = Vec::new();
        // Working files live outside the report (they hold tokens and keys); `dir` gets the logs.
        sweep_stale_once(progress);
        let work = managed::work_root().join(format!(
            "mscheck-{}-{}",
            std::process::id(),
            crate::random::random_hex::<4>()
        ));
        for name in names.iter().map(|h| h.name()) {
            let _ = std::fs::remove_dir_all(dir.join(name));
            servers.push(Arc::new(ManagedServer::prepare(
                name,
                launch.clone(),
                work.join(name),
                dir.join(name),
                overlay,
            )?));
        }
        if !profile.setup.is_empty() {
            run_setups(&servers).await?;
        }
        progress(&format!(
            "starting {} ({})",
            described(Some(&profile.implementation), launch.version.as_deref()),
            names
                .iter()
                .map(|h| h.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        // Both at once: a pair federates, and each boot keeps a core busy for seconds.
        let starts = servers.iter().map(|s| s.start(http));
        for started in futures_util::future::join_all(starts).await {
            started?;
        }
        let mut hs = Vec::new();
        for (s, name) in servers.into_iter().zip(names) {
            let mut h = Homeserver::managed(name, s, &launch);
            h.probe(http).await?;
            hs.push(h);
        }
        let mut it = hs.into_iter();
        Ok(Targets {
            hs1: it.next().expect("at least one"),
            hs2: it.next(),
        })
    }

    /// Stops every managed server and puts it away (logs into the report, working files
    /// deleted). Idempotent.
    pub async fn shutdown(&self) {
        for h in self.all() {
            if let Control::Managed(m) = &h.control {
                m.stop().await;
                m.archive();
            }
        }
    }
}
