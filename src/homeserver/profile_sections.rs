//! Reading a profile: its sections, each read on its own with every mistake kept as a
//! diagnostic at file:line:column (a missing key at the top of the file), put together by
//! [`Profile::load`].

use super::hooks::{self, HookCommand};
use super::profile::{ConfigFile, Format, Profile, Provision, RegistrationKind, KEYS};
use super::profile_reader::{signal, Reader};
use crate::yaml::Diagnostics;
use crate::yaml::{self, Pos};
use marked_yaml::Node;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

impl Profile {
    /// Reads and checks a profile; mistakes are reported with file:line:column.
    pub fn load(file: &Path) -> Result<Profile, Diagnostics> {
        let (source, root) = crate::yaml::read_file(file, crate::yaml::FileKind::Profile)?;
        let mut d = Doc::new(file, &source, &root);
        if let Some(m) = root.as_mapping() {
            let unknown = yaml::unknown_keys(file, &source, m, "key of a profile", KEYS);
            d.r.errors.extend(unknown);
        }
        let implementation = d.implementation();
        let provision = d.provision();
        let version = d
            .get("version")
            .and_then(|x| d.r.text(&x, d.pos("version"), "version"));
        let files = d.files();
        let (program, args, env) = d.start();
        let (ready_path, ready_within) = d.ready();
        let (stop_signal, stop_grace) = d.stop();
        let (pause_signal, resume_signal) = d.pause();
        let registration = d.registration();
        let appservice = d
            .get("appservice")
            .and_then(|a| a.as_bool())
            .unwrap_or(false);
        let needs = d.needs(&files);
        let windows = d.windows();
        let setup = d.hook("setup");
        let teardown = d.hook("teardown");
        if !d.r.errors.is_empty() {
            return Err(Diagnostics(d.r.errors));
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
}

/// A profile being read: its values, where each top-level key is, and the mistakes so far.
pub(super) struct Doc<'a> {
    pub(super) r: Reader<'a>,
    value: Value,
    positions: BTreeMap<String, Pos>,
    top: Pos,
}

impl<'a> Doc<'a> {
    pub(super) fn new(file: &'a Path, source: &'a str, root: &Node) -> Self {
        let positions = root
            .as_mapping()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().to_string(), yaml::pos(v)))
                    .collect()
            })
            .unwrap_or_default();
        Doc {
            r: Reader {
                file,
                source,
                errors: Vec::new(),
            },
            value: yaml::to_json(root),
            positions,
            top: yaml::pos(root),
        }
    }

    /// Where `key` is written; a missing key is reported at the top of the file.
    pub(super) fn pos(&self, key: &str) -> Pos {
        self.positions.get(key).copied().unwrap_or(self.top)
    }

    /// The value of a top-level key.
    pub(super) fn get(&self, key: &str) -> Option<Value> {
        self.value.get(key).cloned()
    }

    fn err(&mut self, key: &str, message: impl Into<String>) {
        let pos = self.pos(key);
        self.r.err(pos, message);
    }

    pub(super) fn implementation(&mut self) -> String {
        match self.get("implementation") {
            Some(Value::String(i)) if !i.is_empty() => i,
            _ => {
                self.err("implementation", "a profile needs `implementation: <name>`");
                String::new()
            }
        }
    }

    pub(super) fn provision(&mut self) -> Provision {
        match self.get("provision") {
            Some(Value::String(s)) if s == "synapse-pip" => {
                Provision::SynapsePip { extras: vec![] }
            }
            Some(Value::Object(o)) if o.contains_key("synapse-pip") => {
                let extras: Option<Vec<String>> = o["synapse-pip"]
                    .get("extras")
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect());
                let named = |x: &String| {
                    !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                };
                match extras {
                    Some(e) if o.len() == 1 && e.iter().all(named) => {
                        Provision::SynapsePip { extras: e }
                    }
                    _ => {
                        self.err(
                            "provision",
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
                        self.err("provision", "`provision.command` must be a path");
                        Provision::Command(String::new())
                    }
                }
            }
            _ => {
                self.err(
                    "provision",
                    "`provision` must be `synapse-pip`, `{synapse-pip: {extras: [NAME]}}` or `{command: PATH}`",
                );
                Provision::Command(String::new())
            }
        }
    }

    pub(super) fn files(&mut self) -> Vec<ConfigFile> {
        let mut files = Vec::new();
        for f in self
            .get("files")
            .and_then(|f| f.as_array().cloned())
            .into_iter()
            .flatten()
        {
            if let Some(file) = self.file(&f) {
                files.push(file);
            }
        }
        if files.iter().filter(|f| f.format.is_some()).count() > 1 {
            self.err(
                "files",
                "only one file may be marked `config:` (the one needs are merged into)",
            );
        }
        files
    }

    fn file(&mut self, f: &Value) -> Option<ConfigFile> {
        let (Some(template), Some(to)) = (
            f.get("template").and_then(Value::as_str),
            f.get("to").and_then(Value::as_str),
        ) else {
            self.err("files", "each of `files` needs `template:` and `to:`");
            return None;
        };
        let format = match f.get("config").and_then(Value::as_str) {
            None => None,
            Some("yaml") => Some(Format::Yaml),
            Some("json") => Some(Format::Json),
            Some("toml") => Some(Format::Toml),
            Some(other) => {
                self.err(
                    "files",
                    format!("`config: {other}` is not `yaml`, `json` or `toml`"),
                );
                None
            }
        };
        let inside = Path::new(to)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            self.err(
                "files",
                format!("`to: {to}` must be a path inside the working folder (e.g. `appservices/mscheck.yaml`): no `..`, not absolute"),
            );
            return None;
        }
        Some(ConfigFile {
            template: PathBuf::from(template),
            to: to.to_string(),
            format,
        })
    }

    /// `start`: the program, its arguments (numbers as text) and environment.
    pub(super) fn start(&mut self) -> (String, Vec<String>, BTreeMap<String, String>) {
        let start = self.get("start").unwrap_or(Value::Null);
        let program = match start.get("program").and_then(Value::as_str) {
            Some(p) => p.to_string(),
            None => {
                self.err("start", "`start` needs `program:`");
                String::new()
            }
        };
        let as_text = |x: &Value| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        };
        let args = start
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(as_text).collect())
            .unwrap_or_default();
        let env = start
            .get("env")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, x)| (k.clone(), as_text(x))).collect())
            .unwrap_or_default();
        (program, args, env)
    }

    /// `ready`: the path that answers once the server is up, and how long to wait for it.
    pub(super) fn ready(&mut self) -> (String, Duration) {
        let ready = self.get("ready").unwrap_or(Value::Null);
        let path = ready
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or("/_matrix/client/versions")
            .to_string();
        let pos = self.pos("ready");
        let within = self.r.duration(
            ready.get("within"),
            pos,
            "ready.within",
            Duration::from_secs(90),
        );
        (path, within)
    }

    /// `stop`: the signal, and the grace before SIGKILL.
    pub(super) fn stop(&mut self) -> (i32, Duration) {
        let stop = self.get("stop");
        let pos = self.pos("stop");
        let signal = self.r.signal(stop.as_ref(), pos, "stop", libc::SIGTERM);
        let grace = stop.as_ref().and_then(|s| s.get("grace"));
        let grace = self
            .r
            .duration(grace, pos, "stop.grace", Duration::from_secs(10));
        (signal, grace)
    }

    /// `pause`: the signals that pause and resume the server.
    pub(super) fn pause(&mut self) -> (i32, i32) {
        let pause = self.get("pause");
        let pos = self.pos("pause");
        let pause_signal = self.r.signal(pause.as_ref(), pos, "pause", libc::SIGSTOP);
        let resume = pause
            .as_ref()
            .and_then(|p| p.get("resume"))
            .and_then(Value::as_str);
        let resume_signal = match resume {
            None => libc::SIGCONT,
            Some(s) => signal(s).unwrap_or_else(|| {
                self.r
                    .err(pos, format!("`pause.resume: {s}` is not a signal"));
                libc::SIGCONT
            }),
        };
        (pause_signal, resume_signal)
    }

    pub(super) fn registration(&mut self) -> RegistrationKind {
        match self.get("registration").as_ref().and_then(Value::as_str) {
            Some("shared-secret") => RegistrationKind::SharedSecret,
            Some("open") | None => RegistrationKind::Open,
            Some("token") => RegistrationKind::Token,
            Some(other) => {
                self.err(
                    "registration",
                    format!("`registration: {other}` is not `shared-secret`, `open` or `token`"),
                );
                RegistrationKind::Open
            }
        }
    }

    /// `needs`: each need's configuration fragment (or why the server cannot meet it); they go
    /// into the file marked `config:`.
    pub(super) fn needs(&mut self, files: &[ConfigFile]) -> BTreeMap<String, Value> {
        let mut needs = BTreeMap::new();
        let Some(Value::Object(o)) = self.get("needs") else {
            return needs;
        };
        for (k, fragment) in o {
            if let Err(e) = crate::scenario::needs::check_profile_key(&k) {
                self.err("needs", format!("`needs.{k}`: {e}"));
            }
            let unsupported = fragment
                .as_object()
                .is_some_and(|o| o.contains_key("unsupported"));
            if unsupported
                && super::profile_needs::unsupported_reason(&fragment)
                    .is_none_or(|x| x.trim().is_empty())
            {
                self.err(
                    "needs",
                    format!("`needs.{k}`: `unsupported` stands alone and gives the reason as text, e.g. `{{unsupported: \"one rate limiter for every request\"}}`"),
                );
            }
            needs.insert(k, fragment);
        }
        if !needs.is_empty() && !files.iter().any(|f| f.format.is_some()) {
            self.err(
                "needs",
                "a profile with `needs` marks the configuration file they go into (`config: yaml|json|toml` in `files`)",
            );
        }
        needs
    }

    /// `windows`: the named allowances (see [`crate::scenario::windows`]) this server needs.
    pub(super) fn windows(&mut self) -> BTreeMap<String, Duration> {
        let mut windows = BTreeMap::new();
        let o = match self.get("windows") {
            None => return windows,
            Some(Value::Object(o)) => o,
            Some(_) => {
                self.err(
                    "windows",
                    "`windows` maps a window's name to a duration, e.g. `{federation_retry: 90s}`",
                );
                return windows;
            }
        };
        for (k, v) in o {
            if crate::scenario::windows::find(&k).is_none() {
                let known: Vec<&str> = crate::scenario::windows::WINDOWS
                    .iter()
                    .map(|w| w.name)
                    .collect();
                self.err(
                    "windows",
                    format!(
                        "`windows.{k}`: no such window (windows: {})",
                        known.join(", ")
                    ),
                );
                continue;
            }
            let pos = self.pos("windows");
            let d = self
                .r
                .duration(Some(&v), pos, &format!("windows.{k}"), Duration::ZERO);
            windows.insert(k, d);
        }
        windows
    }

    /// `setup` or `teardown`: the commands run per instance.
    pub(super) fn hook(&mut self, key: &str) -> Vec<HookCommand> {
        let value = self.get(key);
        hooks::parse(value.as_ref(), key).unwrap_or_else(|e| {
            self.err(key, e);
            Vec::new()
        })
    }
}
