//! Implementation profiles: how to provision, configure, start, stop, pause and register users on
//! one homeserver implementation, and how its configuration expresses the implementation-neutral
//! needs that scenarios declare (`requires: {server: …}`). A profile is data
//! (`fixtures/targets/<name>.yaml`); nothing about an implementation lives in the code that runs
//! managed servers.

use super::hooks::HookCommand;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the server's program gets onto the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provision {
    /// Synapse from PyPI (or `--synapse-from`) into a cached virtualenv, with these pip extras
    /// (`postgres`); `{{python}}` is its interpreter.
    SynapsePip {
        /// Optional dependency groups (`matrix-synapse[postgres]`).
        extras: Vec<String>,
    },
    /// A program that is already there (`{{program}}`): a path, relative to the profile's folder
    /// or found on `PATH`.
    Command(String),
}

/// A file rendered into the server's working folder.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The template, relative to the profile's folder.
    pub template: PathBuf,
    /// Its name in the working folder.
    pub to: String,
    /// The configuration format when needs are merged into this file (`yaml`, `json`, `toml`).
    pub format: Option<Format>,
}

pub use super::config_file::Format;

/// How users are created on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationKind {
    /// Synapse's shared-secret admin API; `{{shared_secret}}` goes into the configuration.
    SharedSecret,
    /// Open registration (`m.login.dummy`).
    Open,
    /// A registration token; `{{registration_token}}` goes into the configuration.
    Token,
}

/// A profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile file.
    pub file: PathBuf,
    /// Implementation name (`synapse`): selects expectations and snapshots.
    pub implementation: String,
    /// Provisioning.
    pub provision: Provision,
    /// A fixed version (for `command` provisioning; pip knows its own).
    pub version: Option<String>,
    /// Files rendered into the working folder.
    pub files: Vec<ConfigFile>,
    /// Program (templated), arguments and environment.
    pub program: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
    /// Readiness: a client-server path that answers 2xx once the server is up.
    pub ready_path: String,
    /// How long the server may take to get ready.
    pub ready_within: Duration,
    /// The signal that asks the server to stop.
    pub stop_signal: i32,
    /// How long it may take before it is killed.
    pub stop_grace: Duration,
    /// Pause and resume signals.
    pub pause_signal: i32,
    /// Resume signal.
    pub resume_signal: i32,
    /// Registration.
    pub registration: RegistrationKind,
    /// Whether the templates register mscheck's application service.
    pub appservice: bool,
    /// Need key (`max_delayed_events_per_user`, `rate_limits.messages=strict`) → configuration
    /// fragment, with `{{value}}` / `{{value_ms}}` placeholders.
    pub needs: BTreeMap<String, Value>,
    /// Named windows (see [`crate::scenario::windows`]) this implementation is known to meet,
    /// in place of the defaults (Synapse's federation backoff).
    pub windows: BTreeMap<String, Duration>,
    /// Commands run per instance before its first start (see [`super::hooks`]).
    pub setup: Vec<HookCommand>,
    /// Commands run per instance after its last stop.
    pub teardown: Vec<HookCommand>,
}

pub(super) const KEYS: &[&str] = &[
    "implementation",
    "provision",
    "version",
    "files",
    "start",
    "ready",
    "stop",
    "pause",
    "registration",
    "appservice",
    "needs",
    "windows",
    "setup",
    "teardown",
];

impl Profile {
    /// The folder templates and relative programs are found in, absolute (servers run inside
    /// their own working folder).
    pub fn dir(&self) -> PathBuf {
        let parent = self
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf())
    }

    /// The configuration fragment for every need, merged, or the first need this profile
    /// cannot express.
    pub fn overlay_for(
        &self,
        needs: &[crate::scenario::needs::Need],
    ) -> Result<Value, super::profile_needs::NeedRefused> {
        super::profile_needs::overlay(&self.needs, needs)
    }

    /// Every text of the profile placeholders are filled into, apart from its templates.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .chain(self.env.values().map(String::as_str))
            .chain(
                self.setup
                    .iter()
                    .chain(&self.teardown)
                    .flat_map(|h| h.argv.iter().map(String::as_str)),
            )
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
