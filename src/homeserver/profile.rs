//! Implementation profiles: how to provision, configure, start, stop, pause and register users on
//! one homeserver implementation, and how its configuration expresses the implementation-neutral
//! needs that scenarios declare (`requires: {server: …}`). A profile is data
//! (`fixtures/targets/<name>.yaml`); nothing about an implementation lives in the code that runs
//! managed servers.

use super::hooks::{self, HookCommand};
use super::profile_reader::{signal, Reader};
use crate::yaml::Diagnostics;
use crate::yaml::{self, Pos};
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

const KEYS: &[&str] = &[
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
    /// Reads and checks a profile; mistakes are reported with file:line:column.
    pub fn load(file: &Path) -> Result<Profile, Diagnostics> {
        let (source, root) = crate::yaml::read_file(file, crate::yaml::FileKind::Profile)?;
        let mut r = Reader {
            file,
            source: &source,
            errors: Vec::new(),
        };
        let top = root.as_mapping();
        // A key that is missing is reported at the top of the file, where it belongs.
        let pos_of = |k: &str| -> Pos {
            top.and_then(|m| m.get_node(k))
                .map(yaml::pos)
                .unwrap_or_else(|| yaml::pos(&root))
        };
        let v = yaml::to_json(&root);
        if let Some(m) = top {
            r.errors.extend(yaml::unknown_keys(
                file,
                &source,
                m,
                "key of a profile",
                KEYS,
            ));
        }
        let get = |k: &str| v.get(k);
        let implementation = match get("implementation").and_then(Value::as_str) {
            Some(i) if !i.is_empty() => i.to_string(),
            _ => {
                r.err(
                    pos_of("implementation"),
                    "a profile needs `implementation: <name>`",
                );
                String::new()
            }
        };
        let provision = match get("provision") {
            Some(Value::String(s)) if s == "synapse-pip" => {
                Provision::SynapsePip { extras: vec![] }
            }
            Some(Value::Object(o)) if o.contains_key("synapse-pip") => {
                let extras: Option<Vec<String>> = o["synapse-pip"]
                    .get("extras")
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect());
                match extras {
                    Some(e)
                        if o.len() == 1
                            && e.iter().all(|x| {
                                !x.is_empty()
                                    && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                            }) =>
                    {
                        Provision::SynapsePip { extras: e }
                    }
                    _ => {
                        r.err(
                            pos_of("provision"),
                            "`provision: {synapse-pip: {extras: [postgres]}}` lists pip extras of matrix-synapse by name",
                        );
                        Provision::SynapsePip { extras: vec![] }
                    }
                }
            }
            Some(Value::Object(o)) if o.contains_key("command") => {
                match o.get("command").and_then(Value::as_str) {
                    Some(c) => Provision::Command(c.to_string()),
                    None => {
                        r.err(pos_of("provision"), "`provision.command` must be a path");
                        Provision::Command(String::new())
                    }
                }
            }
            _ => {
                r.err(
                    pos_of("provision"),
                    "`provision` must be `synapse-pip`, `{synapse-pip: {extras: [NAME]}}` or `{command: PATH}`",
                );
                Provision::Command(String::new())
            }
        };
        let version = get("version").and_then(|x| r.text(x, pos_of("version"), "version"));
        let mut files = Vec::new();
        for f in get("files").and_then(Value::as_array).into_iter().flatten() {
            let (Some(template), Some(to)) = (
                f.get("template").and_then(Value::as_str),
                f.get("to").and_then(Value::as_str),
            ) else {
                r.err(
                    pos_of("files"),
                    "each of `files` needs `template:` and `to:`",
                );
                continue;
            };
            let format = match f.get("config").and_then(Value::as_str) {
                None => None,
                Some("yaml") => Some(Format::Yaml),
                Some("json") => Some(Format::Json),
                Some("toml") => Some(Format::Toml),
                Some(other) => {
                    r.err(
                        pos_of("files"),
                        format!("`config: {other}` is not `yaml`, `json` or `toml`"),
                    );
                    None
                }
            };
            let inside = Path::new(to)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                r.err(
                    pos_of("files"),
                    format!("`to: {to}` must be a path inside the working folder (e.g. `appservices/mscheck.yaml`): no `..`, not absolute"),
                );
                continue;
            }
            files.push(ConfigFile {
                template: PathBuf::from(template),
                to: to.to_string(),
                format,
            });
        }
        if files.iter().filter(|f| f.format.is_some()).count() > 1 {
            r.err(
                pos_of("files"),
                "only one file may be marked `config:` (the one needs are merged into)",
            );
        }
        let start = get("start").cloned().unwrap_or(Value::Null);
        let program = match start.get("program").and_then(Value::as_str) {
            Some(p) => p.to_string(),
            None => {
                r.err(pos_of("start"), "`start` needs `program:`");
                String::new()
            }
        };
        let args = start
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let env = start
            .get("env")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .map(|(k, x)| {
                        (
                            k.clone(),
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ready = get("ready").cloned().unwrap_or(Value::Null);
        let ready_path = ready
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or("/_matrix/client/versions")
            .to_string();
        let ready_within = r.duration(
            ready.get("within"),
            pos_of("ready"),
            "ready.within",
            Duration::from_secs(90),
        );
        let stop = get("stop").cloned();
        let stop_signal = r.signal(stop.as_ref(), pos_of("stop"), "stop", libc::SIGTERM);
        let stop_grace = r.duration(
            stop.as_ref().and_then(|s| s.get("grace")),
            pos_of("stop"),
            "stop.grace",
            Duration::from_secs(10),
        );
        let pause = get("pause").cloned();
        let pause_signal = r.signal(pause.as_ref(), pos_of("pause"), "pause", libc::SIGSTOP);
        let resume_signal = match pause
            .as_ref()
            .and_then(|p| p.get("resume"))
            .and_then(Value::as_str)
        {
            None => libc::SIGCONT,
            Some(s) => signal(s).unwrap_or_else(|| {
                r.err(
                    pos_of("pause"),
                    format!("`pause.resume: {s}` is not a signal"),
                );
                libc::SIGCONT
            }),
        };
        let registration = match get("registration").and_then(Value::as_str) {
            Some("shared-secret") => RegistrationKind::SharedSecret,
            Some("open") | None => RegistrationKind::Open,
            Some("token") => RegistrationKind::Token,
            Some(other) => {
                r.err(
                    pos_of("registration"),
                    format!("`registration: {other}` is not `shared-secret`, `open` or `token`"),
                );
                RegistrationKind::Open
            }
        };
        let appservice = get("appservice").and_then(Value::as_bool).unwrap_or(false);
        let mut needs = BTreeMap::new();
        if let Some(o) = get("needs").and_then(Value::as_object) {
            for (k, fragment) in o {
                if let Err(e) = crate::scenario::needs::check_profile_key(k) {
                    r.err(pos_of("needs"), format!("`needs.{k}`: {e}"));
                }
                let o = fragment.as_object();
                if o.is_some_and(|o| o.contains_key("unsupported"))
                    && super::profile_needs::unsupported_reason(fragment)
                        .is_none_or(|x| x.trim().is_empty())
                {
                    r.err(
                        pos_of("needs"),
                        format!("`needs.{k}`: `unsupported` stands alone and gives the reason as text, e.g. `{{unsupported: \"one rate limiter for every request\"}}`"),
                    );
                }
                needs.insert(k.clone(), fragment.clone());
            }
        }
        if needs.values().any(|_| true) && !files.iter().any(|f| f.format.is_some()) {
            r.err(
                pos_of("needs"),
                "a profile with `needs` marks the configuration file they go into (`config: yaml|json|toml` in `files`)",
            );
        }
        let mut windows = BTreeMap::new();
        match get("windows") {
            None => {}
            Some(Value::Object(o)) => {
                for (k, v) in o {
                    if crate::scenario::windows::find(k).is_none() {
                        let known: Vec<&str> = crate::scenario::windows::WINDOWS
                            .iter()
                            .map(|w| w.name)
                            .collect();
                        r.err(
                            pos_of("windows"),
                            format!(
                                "`windows.{k}`: no such window (windows: {})",
                                known.join(", ")
                            ),
                        );
                        continue;
                    }
                    let d = r.duration(
                        Some(v),
                        pos_of("windows"),
                        &format!("windows.{k}"),
                        Duration::ZERO,
                    );
                    windows.insert(k.clone(), d);
                }
            }
            Some(_) => r.err(
                pos_of("windows"),
                "`windows` maps a window's name to a duration, e.g. `{federation_retry: 90s}`",
            ),
        }
        let mut hook = |key: &str| {
            hooks::parse(get(key), key).unwrap_or_else(|e| {
                r.err(pos_of(key), e);
                Vec::new()
            })
        };
        let setup = hook("setup");
        let teardown = hook("teardown");
        if !r.errors.is_empty() {
            return Err(Diagnostics(r.errors));
        }
        Ok(Profile {
            file: file.to_path_buf(),
            implementation,
            provision,
            version,
            files,
            program,
            args,
            env,
            ready_path,
            ready_within,
            stop_signal,
            stop_grace,
            pause_signal,
            resume_signal,
            registration,
            appservice,
            needs,
            windows,
            setup,
            teardown,
        })
    }

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
