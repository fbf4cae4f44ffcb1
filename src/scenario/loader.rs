//! Loading suite files: YAML with positions → [`Scenario`], with every problem reported as a
//! [`Diagnostic`] at `file:line:column`.

use super::checks;
use super::diagnostic::{Diagnostic, Diagnostics};
use super::model::*;
use super::vocabulary::{self, COMMON_KEYS, CONTROL_KINDS};

/// The selector prefix that makes a check read a variable instead of the response body.
pub const VARS_ROOT: &str = "@vars.";
use super::yaml;
use crate::catalogue::{Catalogue, Proposal, Revision};
use super::vars::referenced_names;
use crate::util::{did_you_mean, parse_duration};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoadError, Node};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "covers",
    "proposal",
    "revisions",
    "requires",
    "users",
    "steps",
    "timeout",
];
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_EVERY: Duration = Duration::from_millis(250);
/// Variables every scenario has before its first step.
pub const BUILTIN_VARS: &[&str] = &["user", "hs1", "hs2", "now_ms", "run_id", "fake"];

/// Reads and parses a YAML file (a profile, an expectations file), turning a missing file or a
/// syntax error into a diagnostic that names `what` the file is.
pub fn read_yaml_file(path: &Path, what: &str) -> Result<(String, Node), Diagnostics> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::new(
            path,
            "",
            Pos::default(),
            format!("cannot read {what}: {e}"),
        )])
    })?;
    let root =
        yaml::parse(&source).map_err(|e| Diagnostics(vec![load_error(path, &source, &e)]))?;
    Ok((source, root))
}

/// A YAML syntax error as a diagnostic.
pub fn load_error(file: &Path, source: &str, e: &LoadError) -> Diagnostic {
    let (marker, msg) = match e {
        LoadError::TopLevelMustBeMapping(m) => (
            *m,
            "the file must be a mapping (`name:`, `covers:`, `steps:` …)".to_string(),
        ),
        LoadError::TopLevelMustBeSequence(m) => (*m, "the file must be a list".to_string()),
        LoadError::UnexpectedAnchor(m) => {
            (*m, "YAML anchors and aliases are not supported".to_string())
        }
        LoadError::MappingKeyMustBeScalar(m) => {
            (*m, "mapping keys must be plain strings".to_string())
        }
        LoadError::UnexpectedTag(m) => (*m, "YAML tags are not supported".to_string()),
        LoadError::ScanError(m, err) => (*m, format!("YAML syntax error: {err}")),
        LoadError::DuplicateKey(d) => {
            let m = d
                .key
                .span()
                .start()
                .copied()
                .unwrap_or_else(|| marked_yaml::Marker::new(0, 0, 0, 0));
            (m, format!("duplicate key `{}`", d.key.as_str()))
        }
    };
    Diagnostic::new(
        file,
        source,
        Pos {
            line: marker.line(),
            column: marker.column(),
        },
        msg,
    )
}

/// Loads every `*.yaml` scenario under `suites_dir/<suite>/`, sorted by id.
pub fn load_suites(suites_dir: &Path, catalogue: &Catalogue) -> Result<Vec<Scenario>, Diagnostics> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let entries = std::fs::read_dir(suites_dir).map_err(|e| {
        Diagnostics(vec![Diagnostic::new(
            suites_dir,
            "",
            Pos::default(),
            format!("cannot read the suites folder: {e}"),
        )])
    })?;
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let suite = entry.file_name().to_string_lossy().to_string();
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push((suite.clone(), p));
            }
        }
    }
    files.sort();
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for (suite, path) in files {
        match load_file(&path, &suite, catalogue) {
            Ok(s) => scenarios.push(s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(Diagnostics(errors))
    }
}

/// Loads one scenario file.
pub fn load_file(
    path: &Path,
    suite: &str,
    catalogue: &Catalogue,
) -> Result<Scenario, Vec<Diagnostic>> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic::new(
            path,
            "",
            Pos::default(),
            format!("cannot read: {e}"),
        )]
    })?;
    load_str(path, suite, &source, catalogue)
}

/// Loads scenario text (`path` is only used for messages and the id).
pub fn load_str(
    path: &Path,
    suite: &str,
    source: &str,
    catalogue: &Catalogue,
) -> Result<Scenario, Vec<Diagnostic>> {
    let root = yaml::parse(source).map_err(|e| vec![load_error(path, source, &e)])?;
    let mut l = Loader {
        file: path,
        source,
        catalogue,
        errors: Vec::new(),
    };
    let scenario = l.scenario(&root, suite);
    match scenario {
        Some(s) if l.errors.is_empty() => Ok(s),
        _ => Err(l.errors),
    }
}

struct Loader<'a> {
    file: &'a Path,
    source: &'a str,
    catalogue: &'a Catalogue,
    errors: Vec<Diagnostic>,
}

/// Where a step kind's decoder reports: the loader's diagnostics, with the variables in scope.
struct StepDiagnostics<'l, 'a> {
    loader: &'l mut Loader<'a>,
    scope: &'l Scope,
}

impl crate::steps::Diagnose for StepDiagnostics<'_, '_> {
    fn error(&mut self, pos: Pos, message: String, hint: Option<String>) {
        match hint {
            Some(h) => self.loader.err_hint(pos, message, h),
            None => self.loader.err(pos, message),
        }
    }

    fn unknown(&mut self, pos: Pos, what: &str, word: &str, known: &[&str]) {
        self.loader.unknown_key(pos, what, word, known);
    }

    fn references(&mut self, value: &Value, pos: Pos) {
        self.loader.check_refs(value, pos, self.scope);
    }
}

/// What the variable check knows while walking the steps.
struct Scope {
    defined: BTreeSet<String>,
}

impl<'a> Loader<'a> {
    fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.source, pos, msg));
    }

    fn err_hint(&mut self, pos: Pos, msg: impl Into<String>, hint: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.source, pos, msg).with_hint(hint));
    }

    fn unknown_key(&mut self, pos: Pos, what: &str, key: &str, known: &[&str]) {
        let d = Diagnostic::new(
            self.file,
            self.source,
            pos,
            format!("unknown {what} `{key}`"),
        );
        let d = match did_you_mean(key, known.iter().copied()) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(format!("expected one of: {}", known.join(", "))),
        };
        self.errors.push(d);
    }

    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n MarkedMappingNode> {
        match node {
            Node::Mapping(m) => Some(m),
            other => {
                self.err(
                    yaml::pos(other),
                    format!("{what} must be a mapping, found {}", yaml::shape(other)),
                );
                None
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node {
            Node::Scalar(s) => Some(s.as_str().to_string()),
            other => {
                self.err(
                    yaml::pos(other),
                    format!("{what} must be a string, found {}", yaml::shape(other)),
                );
                None
            }
        }
    }

    fn string_list(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        match node {
            Node::Sequence(seq) => seq
                .iter()
                .filter_map(|n| self.string(n, what).map(|s| (s, yaml::pos(n))))
                .collect(),
            Node::Scalar(s) => vec![(s.as_str().to_string(), yaml::scalar_pos(s))],
            other => {
                self.err(
                    yaml::pos(other),
                    format!("{what} must be a list, found {}", yaml::shape(other)),
                );
                Vec::new()
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = self.string(node, what)?;
        let d = parse_duration(&text);
        if d.is_none() {
            self.err_hint(
                yaml::pos(node),
                format!("{what} `{text}` is not a duration"),
                "write it like `500ms`, `10s` or `2m`",
            );
        }
        d
    }

    fn scenario(&mut self, root: &Node, suite: &str) -> Option<Scenario> {
        let top = self.mapping(root, "a scenario file")?;
        for (k, _) in top.iter() {
            if !TOP_KEYS.contains(&k.as_str()) {
                self.unknown_key(yaml::scalar_pos(k), "top-level key", k.as_str(), TOP_KEYS);
            }
        }
        let top_pos = yaml::mapping_pos(top);
        let name = match top.get_node("name") {
            Some(n) => self.string(n, "`name`").unwrap_or_default(),
            None => {
                self.err(
                    top_pos,
                    "missing `name` (one line saying what the scenario checks)",
                );
                String::new()
            }
        };
        let covers = self.covers(top, top_pos);
        let proposal = match top.get_node("proposal") {
            Some(n) => {
                let text = self.string(n, "`proposal`").unwrap_or_default();
                match text.parse::<Proposal>() {
                    Ok(p) => Some(p),
                    Err(e) => {
                        self.err(yaml::pos(n), e);
                        None
                    }
                }
            }
            None => covers.first().and_then(|c| Proposal::of_requirement(c)),
        };
        let proposal = proposal.unwrap_or(Proposal::Msc4354);
        let revisions = match top.get_node("revisions") {
            Some(n) => {
                let mut out = Vec::new();
                for (r, p) in self.string_list(n, "a revision") {
                    match r.parse::<Revision>() {
                        Ok(r) => out.push(r),
                        Err(e) => self.err(p, e),
                    }
                }
                out
            }
            None => vec![Revision::Seed, Revision::Newest],
        };
        let covers_pos = top.get_node("covers").map(yaml::pos).unwrap_or(top_pos);
        for c in &covers {
            if let Some(req) = self.catalogue.get(c) {
                if !req.revisions.iter().any(|r| revisions.contains(r)) {
                    self.err(
                        covers_pos,
                        format!(
                            "`{c}` belongs to no revision this scenario runs at ({revisions:?})"
                        ),
                    );
                }
            }
        }
        let requires = top
            .get_node("requires")
            .map(|n| self.requires(n))
            .unwrap_or(Requires {
                homeservers: 1,
                ..Default::default()
            });
        let users = match top.get_node("users") {
            Some(n) => self.users(n, requires.homeservers),
            None => Vec::new(),
        };
        let timeout = match top.get_node("timeout") {
            Some(n) => self.duration(n, "`timeout`").unwrap_or(DEFAULT_TIMEOUT),
            None => DEFAULT_TIMEOUT,
        };
        let user_names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
        let mut scope = Scope {
            defined: BUILTIN_VARS.iter().map(|s| s.to_string()).collect(),
        };
        let steps = match top.get_node("steps") {
            Some(Node::Sequence(seq)) => {
                self.steps(seq, "", &user_names, &mut scope, requires.homeservers)
            }
            Some(other) => {
                self.err(yaml::pos(other), "`steps` must be a list");
                Vec::new()
            }
            None => {
                self.err(top_pos, "missing `steps`");
                Vec::new()
            }
        };
        let stem = self
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let merged_notes = covers
            .iter()
            .filter_map(|c| {
                let req = self.catalogue.get(c)?;
                Some(format!("{c}: {}", req.merged.as_ref()?))
            })
            .collect();
        Some(Scenario {
            id: format!("{suite}/{stem}"),
            suite: suite.to_string(),
            file: self.file.to_path_buf(),
            name,
            covers,
            proposal,
            revisions,
            requires,
            users,
            steps,
            timeout,
            merged_notes,
        })
    }

    fn covers(&mut self, top: &MarkedMappingNode, top_pos: Pos) -> Vec<String> {
        let Some(node) = top.get_node("covers") else {
            self.err_hint(
                top_pos,
                "missing `covers`",
                "list the requirement IDs this scenario checks, e.g. `covers: [S-13]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (id, p) in self.string_list(node, "a requirement ID") {
            if self.catalogue.get(&id).is_none() {
                let d = Diagnostic::new(
                    self.file,
                    self.source,
                    p,
                    format!("unknown requirement ID `{id}`"),
                );
                let d = match did_you_mean(&id, self.catalogue.ids()) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(
                        "IDs are listed in suites/requirements.yaml and by `mscheck requirements`",
                    ),
                };
                self.errors.push(d);
            } else {
                out.push(id);
            }
        }
        if out.is_empty() && self.errors.is_empty() {
            self.err(
                yaml::pos(node),
                "`covers` must name at least one requirement",
            );
        }
        out
    }

    fn requires(&mut self, node: &Node) -> Requires {
        let mut r = Requires {
            homeservers: 1,
            ..Default::default()
        };
        let Some(m) = self.mapping(node, "`requires`") else {
            return r;
        };
        for (k, v) in m.iter() {
            match k.as_str() {
                "features" => {
                    r.features = self
                        .string_list(v, "a feature")
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "homeservers" => match v.as_scalar().and_then(|s| s.as_u8()) {
                    Some(n @ 1..=2) => r.homeservers = n,
                    _ => self.err(yaml::pos(v), "`homeservers` must be 1 or 2"),
                },
                "lifecycle" => match v.as_scalar().and_then(|s| s.as_bool()) {
                    Some(b) => r.lifecycle = b,
                    None => self.err(yaml::pos(v), "`lifecycle` must be true or false"),
                },
                "homeserver_config" => {
                    let Some(cm) = self.mapping(v, "`homeserver_config`") else {
                        continue;
                    };
                    for (ck, _) in cm.iter() {
                        if PROTECTED_CONFIG_KEYS.contains(&ck.as_str()) {
                            self.err(
                                yaml::scalar_pos(ck),
                                format!(
                                    "`homeserver_config` may not change `{}`: mscheck sets it to keep the server on loopback with its own ports and data",
                                    ck.as_str()
                                ),
                            );
                        }
                    }
                    r.homeserver_config = Some(yaml::to_json(v));
                }
                "server" => {
                    let Some(sm) = self.mapping(v, "`server`") else {
                        continue;
                    };
                    let mut found = Vec::new();
                    for (nk, nv) in sm.iter() {
                        let mut one = Vec::new();
                        super::needs::flatten(nk.as_str(), &yaml::to_json(nv), &mut one);
                        for need in one {
                            if let Err(e) = super::needs::check(&need.key, &need.value) {
                                self.err(yaml::scalar_pos(nk), e);
                            }
                            found.push(need);
                        }
                    }
                    r.server = found;
                }
                "implementation" => match v.as_scalar() {
                    Some(i) => r.implementation = Some(i.as_str().to_string()),
                    None => self.err(
                        yaml::pos(v),
                        "`implementation` names one implementation, e.g. synapse",
                    ),
                },
                "capabilities" => {
                    for (sel, pos) in self.string_list(v, "a selector into /capabilities") {
                        if let Err(e) = crate::matcher::Path::parse(&sel) {
                            self.err(pos, format!("bad selector `{sel}` in `capabilities`: {e}"));
                        }
                        r.capabilities.push(sel);
                    }
                }
                other => self.unknown_key(
                    yaml::scalar_pos(k),
                    "key in `requires`",
                    other,
                    &[
                        "features",
                        "homeservers",
                        "lifecycle",
                        "homeserver_config",
                        "server",
                        "implementation",
                        "capabilities",
                    ],
                ),
            }
        }
        if r.homeserver_config.is_some() && r.implementation.is_none() {
            let at = m
                .get_node("homeserver_config")
                .map(yaml::pos)
                .unwrap_or_default();
            self.errors.push(
                Diagnostic::new(
                    self.file,
                    self.source,
                    at,
                    "raw `homeserver_config` is one implementation's configuration",
                )
                .with_hint(
                    "say what the scenario needs in `server:` (see the README's needs vocabulary), or mark the scenario `implementation: <name>`",
                ),
            );
        }
        r
    }

    fn users(&mut self, node: &Node, homeservers: u8) -> Vec<UserDecl> {
        let Some(m) = self.mapping(node, "`users`") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let name = k.as_str().to_string();
            if name == "nobody"
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                self.err(yaml::scalar_pos(k), format!("user name `{name}` must be lower-case letters, digits or `_` (and not `nobody`)"));
            }
            let mut u = UserDecl {
                name,
                hs: "hs1".into(),
                guest: false,
                appservice: false,
            };
            if let Node::Mapping(um) = v {
                for (uk, uv) in um.iter() {
                    match uk.as_str() {
                        "hs" => {
                            let hs = self.string(uv, "`hs`").unwrap_or_default();
                            if hs != "hs1" && hs != "hs2" {
                                self.err(
                                    yaml::pos(uv),
                                    format!("`hs` must be `hs1` or `hs2`, found `{hs}`"),
                                );
                            } else if hs == "hs2" && homeservers < 2 {
                                self.err_hint(
                                    yaml::pos(uv),
                                    "a user on `hs2` needs two homeservers",
                                    "add `requires: {homeservers: 2}`",
                                );
                            }
                            u.hs = hs;
                        }
                        "guest" => {
                            u.guest = uv.as_scalar().and_then(|s| s.as_bool()).unwrap_or(false)
                        }
                        "appservice" => {
                            u.appservice = uv.as_scalar().and_then(|s| s.as_bool()).unwrap_or(false)
                        }
                        other => self.unknown_key(
                            yaml::scalar_pos(uk),
                            "user option",
                            other,
                            &["hs", "guest", "appservice"],
                        ),
                    }
                }
                if u.guest && u.appservice {
                    self.err(
                        yaml::mapping_pos(um),
                        "a user is a guest or the application service, not both",
                    );
                }
            } else if !matches!(v, Node::Scalar(s) if s.as_str().is_empty()) {
                self.err(
                    yaml::pos(v),
                    "a user is `name: {}` or `name: {hs: hs2, guest: true}`",
                );
            }
            out.push(u);
        }
        out
    }

    fn steps(
        &mut self,
        seq: &[Node],
        prefix: &str,
        users: &[String],
        scope: &mut Scope,
        homeservers: u8,
    ) -> Vec<Step> {
        let mut out: Vec<Step> = Vec::new();
        for (i, node) in seq.iter().enumerate() {
            let default_id = if prefix.is_empty() {
                format!("step-{}", i + 1)
            } else {
                format!("{prefix}.{}", i + 1)
            };
            if let Some(step) = self.step(node, default_id, users, scope, homeservers) {
                if out.iter().any(|s| s.id == step.id) {
                    self.err(step.pos, format!("duplicate step id `{}`", step.id));
                }
                out.push(step);
            }
        }
        out
    }

    fn check_refs(&mut self, v: &Value, pos: Pos, scope: &Scope) {
        match v {
            Value::String(s) => {
                for name in referenced_names(s) {
                    if !scope.defined.contains(&name) {
                        let known: Vec<&str> = scope.defined.iter().map(String::as_str).collect();
                        let d = Diagnostic::new(
                            self.file,
                            self.source,
                            pos,
                            format!("unknown variable `{name}` (no earlier step captures it)"),
                        );
                        let d = match did_you_mean(&name, known.iter().copied()) {
                            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                            None => d.with_hint(format!("known here: {}", known.join(", "))),
                        };
                        self.errors.push(d);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.check_refs(x, pos, scope)),
            Value::Object(o) => o.iter().for_each(|(k, x)| {
                self.check_refs(&Value::String(k.clone()), pos, scope);
                self.check_refs(x, pos, scope)
            }),
            _ => {}
        }
    }

    fn step(
        &mut self,
        node: &Node,
        default_id: String,
        users: &[String],
        scope: &mut Scope,
        homeservers: u8,
    ) -> Option<Step> {
        let m = self.mapping(node, "a step")?;
        let pos = yaml::mapping_pos(m);
        let mut kind_key = None;
        for (k, v) in m.iter() {
            let key = k.as_str();
            if COMMON_KEYS.contains(&key) {
                continue;
            }
            if crate::steps::kind(key).is_some() || CONTROL_KINDS.contains(&key) {
                if let Some((prev, _)) = &kind_key {
                    self.err(
                        yaml::scalar_pos(k),
                        format!("a step does one thing: found both `{prev}` and `{key}`"),
                    );
                } else {
                    kind_key = Some((key.to_string(), (k, v)));
                }
                continue;
            }
            let names: Vec<&str> = vocabulary::all_step_names()
                .chain(COMMON_KEYS.iter().copied())
                .collect();
            let d = Diagnostic::new(
                self.file,
                self.source,
                yaml::scalar_pos(k),
                format!("unknown step `{key}`"),
            );
            let d = match did_you_mean(key, names.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!(
                    "step kinds: {}",
                    vocabulary::all_step_names().collect::<Vec<_>>().join(", ")
                )),
            };
            self.errors.push(d);
        }
        let Some((kind, (_, body))) = kind_key else {
            if self.errors.is_empty() {
                self.err_hint(
                    pos,
                    "a step needs a kind",
                    format!(
                        "one of: {}",
                        vocabulary::all_step_names().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            return None;
        };
        let id = match m.get_node("id") {
            Some(n) => self.string(n, "`id`").unwrap_or(default_id),
            None => default_id,
        };
        let action = match kind.as_str() {
            "homeserver" => self.lifecycle(body, homeservers),
            "concurrent" => {
                let Node::Sequence(branches) = body else {
                    self.err(
                        yaml::pos(body),
                        "`concurrent` takes a list of branches, each a list of steps",
                    );
                    return None;
                };
                let mut out = Vec::new();
                let mut captured = BTreeSet::new();
                for (b, branch) in branches.iter().enumerate() {
                    let Node::Sequence(steps) = branch else {
                        self.err(
                            yaml::pos(branch),
                            "each `concurrent` branch is a list of steps",
                        );
                        continue;
                    };
                    let mut branch_scope = Scope {
                        defined: scope.defined.clone(),
                    };
                    out.push(self.steps(
                        steps,
                        &format!("{id}.{}", b + 1),
                        users,
                        &mut branch_scope,
                        homeservers,
                    ));
                    captured.extend(branch_scope.defined);
                }
                scope.defined.extend(captured);
                Some(Action::Concurrent(out))
            }
            "repeat" => {
                let rm = self.mapping(body, "`repeat`")?;
                let times = match rm.get_node("times") {
                    Some(n) => match n.as_scalar() {
                        Some(t) if t.as_u32().is_some() => t.as_u32().map(Times::Fixed),
                        Some(t) if !referenced_names(t.as_str()).is_empty() => {
                            self.check_refs(
                                &Value::String(t.as_str().to_string()),
                                yaml::pos(n),
                                scope,
                            );
                            Some(Times::Template(t.as_str().to_string()))
                        }
                        _ => {
                            self.err(
                                yaml::pos(n),
                                "`times` must be a whole number or a template such as \"{{max}}\"",
                            );
                            None
                        }
                    },
                    None => {
                        self.err(
                            yaml::mapping_pos(rm),
                            "`repeat` needs `times:` (a whole number)",
                        );
                        None
                    }
                };
                for (k, _) in rm.iter() {
                    if !["times", "steps"].contains(&k.as_str()) {
                        self.unknown_key(
                            yaml::scalar_pos(k),
                            "key in `repeat`",
                            k.as_str(),
                            &["times", "steps"],
                        );
                    }
                }
                let Some(steps) = rm.get_sequence("steps") else {
                    self.err(yaml::mapping_pos(rm), "`repeat` needs `steps:` (a list)");
                    return None;
                };
                scope.defined.insert("i".into());
                let steps = self.steps(steps, &id, users, scope, homeservers);
                Some(Action::Repeat {
                    times: times.unwrap_or(Times::Fixed(0)),
                    steps,
                })
            }
            _ => self.call(&kind, body, users, scope),
        };
        let action = action?;
        let accumulate = match m.get_node("accumulate") {
            Some(n) => self.captures(n, "accumulate"),
            None => Vec::new(),
        };
        // Accumulated lists exist (empty) from the start of the step, so its own checks can read
        // them with `@vars.<name>`.
        for a in &accumulate {
            scope.defined.insert(a.name.clone());
        }
        let expect = match m.get_node("expect") {
            Some(n) => self.expect(n, scope),
            None => Expect::default(),
        };
        let capture = match m.get_node("capture") {
            Some(n) => self.captures(n, "capture"),
            None => Vec::new(),
        };
        let observe = match m.get_node("observe") {
            Some(n) => self.captures(n, "observe"),
            None => Vec::new(),
        };
        let every = match m.get_node("every") {
            Some(n) => self.duration(n, "`every`").unwrap_or(DEFAULT_EVERY),
            None => DEFAULT_EVERY,
        };
        let wait = match (m.get_node("within"), m.get_node("hold")) {
            (Some(w), Some(_)) => {
                self.err(yaml::pos(w), "a step either waits `within` a deadline for its checks to pass or `hold`s them; not both");
                Wait::Once
            }
            (Some(w), None) => Wait::Until {
                within: self.duration(w, "`within`").unwrap_or_default(),
                every,
            },
            (None, Some(h)) => Wait::Hold {
                duration: self.duration(h, "`hold`").unwrap_or_default(),
                every,
            },
            (None, None) => Wait::Once,
        };
        let sample = m.get_node("sample").and_then(|n| self.sample(n, scope));
        if let Some(sp) = &sample {
            if wait != Wait::Once {
                self.err(
                    sp.pos,
                    "a step either `sample`s an item across its lifetime or waits with `within`/`hold`; not both",
                );
            }
        }
        if matches!(wait, Wait::Hold { .. }) && expect.is_default() {
            self.err_hint(
                pos,
                "`hold` with no `expect` checks nothing",
                "state what must stay true, e.g. an `absent` check",
            );
        }
        if !matches!(action, Action::Call(_))
            && (!expect.is_default()
                || !capture.is_empty()
                || !accumulate.is_empty()
                || !observe.is_empty()
                || sample.is_some()
                || wait != Wait::Once)
        {
            self.err(
                pos,
                format!(
                    "`{kind}` steps take no `expect`, `capture`, `accumulate`, `observe`, `within`, `hold` or `sample`"
                ),
            );
        }
        let snapshot = m.get_node("snapshot").and_then(|n| self.snapshot(n));
        for c in &capture {
            scope.defined.insert(c.name.clone());
        }
        Some(Step {
            id,
            pos,
            action,
            expect,
            capture,
            accumulate,
            observe,
            wait,
            snapshot,
            sample,
        })
    }

    /// `sample: {every, within, item, remaining?, ends?, margin}`.
    fn sample(&mut self, node: &Node, scope: &Scope) -> Option<SampleSpec> {
        const KEYS: &[&str] = &["every", "within", "item", "remaining", "ends", "margin"];
        let m = self.mapping(node, "`sample`")?;
        let pos = yaml::mapping_pos(m);
        for (k, _) in m.iter() {
            if !KEYS.contains(&k.as_str()) {
                self.unknown_key(yaml::scalar_pos(k), "key in `sample`", k.as_str(), KEYS);
            }
        }
        let need = |this: &mut Self, key: &str, hint: &str| {
            let n = m.get_node(key);
            if n.is_none() {
                this.err_hint(pos, format!("`sample` needs `{key}`"), hint.to_string());
            }
            n
        };
        let every = need(self, "every", "how long between samples, e.g. `every: 1s`")
            .and_then(|n| self.duration(n, "`every`"));
        let within = need(self, "within", "how long the item may stay, e.g. `within: 30s`")
            .and_then(|n| self.duration(n, "`within`"));
        let margin = need(
            self,
            "margin",
            "how far a comparison may be off, e.g. `margin: 2s` (1.5 s or 20 % of the lifetime, whichever is larger)",
        )
        .and_then(|n| self.duration(n, "`margin`"));
        let item = need(self, "item", "a selector that finds the item, e.g. `events[?event_id == \"{{e}}\"]`")
            .and_then(|n| self.selector(n, "`item`", scope));
        let remaining = m
            .get_node("remaining")
            .and_then(|n| self.selector(n, "`remaining`", scope));
        let ends = m.get_node("ends").and_then(|n| {
            let v = yaml::to_json(n);
            self.check_refs(&v, yaml::pos(n), scope);
            match v {
                Value::Array(a) if a.len() == 2 => Some((a[0].clone(), a[1].clone())),
                Value::String(_) | Value::Number(_) => Some((v.clone(), v)),
                _ => {
                    self.err_hint(
                        yaml::pos(n),
                        "`ends` is one moment or a list of the earliest and latest",
                        "local milliseconds, e.g. \"{{t_sent + 10000}}\"",
                    );
                    None
                }
            }
        });
        if let (Some(every), Some(within)) = (every, within) {
            if every.is_zero() || every >= within {
                self.err(pos, "`every` must be above zero and below `within`");
            }
        }
        Some(SampleSpec {
            pos,
            every: every?,
            within: within?,
            item: item?,
            remaining,
            ends,
            margin: margin?,
        })
    }

    /// A selector that may hold templates: parsed now (templates stand in for quoted keys or
    /// filter values) and its variables checked against the scope.
    fn selector(&mut self, node: &Node, what: &str, scope: &Scope) -> Option<String> {
        let text = self.string(node, what)?;
        if let Err(e) = crate::matcher::Path::parse(&text) {
            self.err(yaml::pos(node), e.to_string());
            return None;
        }
        self.check_refs(&Value::String(text.clone()), yaml::pos(node), scope);
        Some(text)
    }

    fn lifecycle(&mut self, body: &Node, homeservers: u8) -> Option<Action> {
        let m = self.mapping(body, "`homeserver`")?;
        let hs = m
            .get_node("hs")
            .and_then(|n| self.string(n, "`hs`"))
            .unwrap_or_else(|| "hs1".into());
        if hs != "hs1" && hs != "hs2" || (hs == "hs2" && homeservers < 2) {
            self.err(
                yaml::mapping_pos(m),
                format!("`hs: {hs}` is not a homeserver of this scenario"),
            );
        }
        let Some(op_node) = m.get_node("do") else {
            self.err_hint(
                yaml::mapping_pos(m),
                "`homeserver` needs `do:`",
                format!("one of: {}", LifecycleOp::NAMES.join(", ")),
            );
            return None;
        };
        let op_text = self.string(op_node, "`do`")?;
        let Some(op) = LifecycleOp::from_name(&op_text) else {
            self.unknown_key(
                yaml::pos(op_node),
                "homeserver operation",
                &op_text,
                LifecycleOp::NAMES,
            );
            return None;
        };
        let down_for = match m.get_node("down_for") {
            Some(n) if op == LifecycleOp::Restart => self.duration(n, "`down_for`"),
            Some(n) => {
                self.err(yaml::pos(n), "`down_for` only goes with `do: restart`");
                None
            }
            None => None,
        };
        for (k, _) in m.iter() {
            if !["hs", "do", "down_for"].contains(&k.as_str()) {
                self.unknown_key(
                    yaml::scalar_pos(k),
                    "key in `homeserver`",
                    k.as_str(),
                    &["hs", "do", "down_for"],
                );
            }
        }
        Some(Action::Homeserver { hs, op, down_for })
    }

    fn call(&mut self, kind: &str, body: &Node, users: &[String], scope: &Scope) -> Option<Action> {
        let spec = crate::steps::kind(kind)?;
        // `fake_send` builds `count` PDUs from its fields, `{{i}}` counting them.
        let counted;
        let scope = if kind == crate::steps::fake_send::NAME {
            let mut defined = scope.defined.clone();
            defined.insert("i".into());
            counted = Scope { defined };
            &counted
        } else {
            scope
        };
        let empty = MarkedMappingNode::new_empty(*body.span());
        let m = match body {
            Node::Mapping(m) => m,
            Node::Scalar(s) if s.as_str().is_empty() => &empty,
            other => {
                self.err(
                    yaml::pos(other),
                    format!(
                        "`{kind}` takes a mapping of fields, found {}",
                        yaml::shape(other)
                    ),
                );
                return None;
            }
        };
        let mut actor = None;
        if let Some(v) = m.get_node("as") {
            let who = self.string(v, "`as`").unwrap_or_default();
            if users.contains(&who) {
                actor = Some(who);
            } else if who != "nobody" {
                self.unknown_key(
                    yaml::pos(v),
                    "user",
                    &who,
                    &users.iter().map(String::as_str).collect::<Vec<_>>(),
                );
            }
        }
        let mpos = yaml::mapping_pos(m);
        if spec.needs_user && m.get_node("as").is_none() {
            self.err_hint(
                mpos,
                format!("`{kind}` needs `as:` (which user makes the call)"),
                "use `as: nobody` for an unauthenticated request",
            );
        }
        let mut diag = StepDiagnostics { loader: self, scope };
        let mut fields = crate::steps::Fields::new(&mut diag, spec.name, m, users);
        let step = crate::steps::StepCall::decode(kind, &mut fields);
        fields.finish();
        Some(Action::Call(Call { step: step?, actor }))
    }

    fn expect(&mut self, node: &Node, scope: &Scope) -> Expect {
        let mut e = Expect::default();
        let Some(m) = self.mapping(node, "`expect`") else {
            return e;
        };
        for (k, v) in m.iter() {
            match k.as_str() {
                "status" => {
                    let list: Vec<Value> = match yaml::to_json(v) {
                        Value::Array(a) => a,
                        x => vec![x],
                    };
                    let codes: Option<Vec<u16>> = list
                        .iter()
                        .map(|x| x.as_u64().and_then(|n| u16::try_from(n).ok()))
                        .collect();
                    match codes {
                        Some(c) if !c.is_empty() => e.status = Some(c),
                        _ => self.err(
                            yaml::pos(v),
                            "`status` must be an HTTP status or a list of them",
                        ),
                    }
                }
                "errcode" => {
                    e.errcode = Some(
                        self.string_list(v, "an errcode")
                            .into_iter()
                            .map(|(s, _)| s)
                            .collect(),
                    )
                }
                "json" => {
                    let Node::Sequence(seq) = v else {
                        self.err(
                            yaml::pos(v),
                            "`json` is a list of checks like `- {at: room_id, exists: true}`",
                        );
                        continue;
                    };
                    for item in seq.iter() {
                        e.json.extend(self.check_specs(item, None, scope));
                    }
                }
                "headers" => {
                    let Some(hm) = self.mapping(v, "`headers`") else {
                        continue;
                    };
                    for (hk, hv) in hm.iter() {
                        e.headers.extend(self.check_specs(
                            hv,
                            Some(hk.as_str().to_ascii_lowercase()),
                            scope,
                        ));
                    }
                }
                other => self.unknown_key(
                    yaml::scalar_pos(k),
                    "key in `expect`",
                    other,
                    &["status", "errcode", "json", "headers"],
                ),
            }
        }
        e
    }

    fn check_specs(
        &mut self,
        node: &Node,
        header: Option<String>,
        scope: &Scope,
    ) -> Vec<CheckSpec> {
        let Some(m) = self.mapping(node, "a check") else {
            return Vec::new();
        };
        let pos = yaml::mapping_pos(m);
        let at = match (&header, m.get_node("at")) {
            (Some(h), _) => Some(h.clone()),
            (None, Some(n)) => self.string(n, "`at`"),
            (None, None) => {
                self.err_hint(
                    pos,
                    "a check needs `at:` (a selector into the response)",
                    "use `at: .` for the whole body",
                );
                None
            }
        };
        let Some(at) = at else { return Vec::new() };
        self.check_refs(&Value::String(at.clone()), pos, scope);
        // `@vars.<name>…` checks a variable (typically an accumulated list), not the body.
        let body_at = match at.strip_prefix(VARS_ROOT) {
            Some(rest) => {
                let name = rest
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !scope.defined.contains(&name) {
                    let msg = format!("unknown variable `{name}` in `{at}` (no earlier step or `accumulate` defines it)");
                    match did_you_mean(&name, scope.defined.iter().map(String::as_str)) {
                        Some(h) => self.err_hint(pos, msg, format!("did you mean `{h}`?")),
                        None => self.err(pos, msg),
                    }
                }
                rest[name.len()..].trim_start_matches('.').to_string()
            }
            None => at.clone(),
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let key = k.as_str();
            if key == "at" {
                continue;
            }
            let arg = yaml::to_json(v);
            self.check_refs(&arg, yaml::pos(v), scope);
            let has_template = arg.to_string().contains("{{") || at.contains("{{");
            let probe_at = if header.is_some() {
                "header"
            } else {
                body_at.as_str()
            };
            let mut ready = None;
            if !has_template {
                match checks::build_check(probe_at, key, &arg) {
                    Ok(check) => ready = Some(check.predicate),
                    Err(msg) => {
                        self.err(yaml::scalar_pos(k), msg);
                        continue;
                    }
                }
            } else if !checks::PREDICATES.contains(&key) {
                self.unknown_key(yaml::scalar_pos(k), "predicate", key, checks::PREDICATES);
                continue;
            }
            out.push(CheckSpec {
                pos: yaml::scalar_pos(k),
                at: at.clone(),
                predicate: key.to_string(),
                arg,
                ready,
            });
        }
        if out.is_empty() && m.len() == 1 {
            self.err_hint(
                pos,
                format!("check at `{at}` has no predicate"),
                format!("add one of: {}", checks::PREDICATES.join(", ")),
            );
        }
        out
    }

    /// `capture`, `accumulate` or `observe`: a mapping of names to sources.
    fn captures(&mut self, node: &Node, what: &str) -> Vec<Capture> {
        let Some(m) = self.mapping(node, &format!("`{what}`")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let Some(from) = self.string(v, &format!("a source for `{what}`")) else {
                continue;
            };
            let source = Source::parse(&from);
            match &source {
                Some(Source::Selector(sel)) => {
                    if let Err(e) = crate::matcher::Path::parse(sel) {
                        self.err(yaml::pos(v), e.to_string());
                    }
                }
                Some(_) => {}
                None => self.unknown_key(
                    yaml::pos(v),
                    &format!("`{what}` source"),
                    &from,
                    Source::SPECIAL,
                ),
            }
            let Some(from) = source else { continue };
            out.push(Capture {
                name: k.as_str().to_string(),
                from,
            });
        }
        out
    }

    fn snapshot(&mut self, node: &Node) -> Option<SnapshotSpec> {
        match node {
            Node::Scalar(s) => Some(SnapshotSpec {
                name: s.as_str().to_string(),
                at: None,
            }),
            Node::Mapping(m) => {
                let name = m.get_scalar("name").map(|s| s.as_str().to_string());
                let at = m.get_scalar("at").map(|s| s.as_str().to_string());
                if name.is_none() {
                    self.err(yaml::mapping_pos(m), "`snapshot` needs `name:`");
                }
                Some(SnapshotSpec { name: name?, at })
            }
            other => {
                self.err(
                    yaml::pos(other),
                    "`snapshot` is a name, or `{name: …, at: selector}`",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::parse(
            Path::new("r.yaml"),
            "requirements:\n  - {id: S-13, rev: [seed, newest]}\n  - {id: S-19, rev: [newest]}\n",
        )
        .unwrap()
    }

    fn load(src: &str) -> Result<Scenario, Vec<Diagnostic>> {
        load_str(Path::new("suites/x/t.yaml"), "x", src, &catalogue())
    }

    const GOOD: &str = "name: t\ncovers: [S-13]\nusers: {alice: {}, bob: {}}\nsteps:\n  - create_room: {as: alice, preset: public_chat}\n    capture: {room: room_id}\n  - join: {as: bob, room: \"{{room}}\"}\n  - sync: {as: bob, since: last}\n    within: 5s\n    expect:\n      json:\n        - {at: \"rooms.join[\\\"{{room}}\\\"]\", exists: true}\n";

    #[test]
    fn loads_a_good_scenario() {
        let s = load(GOOD).unwrap();
        assert_eq!(s.id, "x/t");
        assert_eq!(s.steps.len(), 3);
        assert_eq!(
            s.steps[2].wait,
            Wait::Until {
                within: Duration::from_secs(5),
                every: DEFAULT_EVERY
            }
        );
        assert_eq!(s.proposal, Proposal::Msc4354);
    }

    fn first_error(src: &str) -> Diagnostic {
        load(src).unwrap_err().remove(0)
    }

    #[test]
    fn bad_inputs_point_at_the_problem() {
        let cases: &[(&str, &str, (usize, usize))] = &[
            ("name: t\ncovers: [S-99]\nsteps: []\n", "unknown requirement ID `S-99`", (2, 10)),
            ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - snd: {as: a}\n", "unknown step `snd`", (5, 5)),
            ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - send: {as: a, rom: x}\n", "unknown field of `send` `rom`", (5, 19)),
            ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - send: {as: b, room: x}\n", "unknown user `b`", (5, 16)),
            ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - send: {as: a, room: \"{{r}}\"}\n", "unknown variable `r`", (5, 25)),
            ("name: t\ncovers: [S-13]\nsteps:\n  - versions: {}\n    within: soon\n", "`within` `soon` is not a duration", (5, 13)),
            ("name: t\ncovers: [S-13]\nsteps:\n  - versions: {}\n    expect: {json: [{at: a, equal: 1}]}\n", "unknown predicate `equal`", (5, 29)),
            ("name: t\ncovers: [S-13]\nsteps:\n  - versions: {}\n    expect: {json: [{at: a, matches: \"(\"}]}\n", "bad regular expression", (5, 29)),
            ("name: t\ncovers: [S-13\n", "YAML syntax error", (3, 1)),
            ("name: t\nname: u\ncovers: [S-13]\nsteps: []\n", "duplicate key `name`", (2, 1)),
            ("name: t\ncovers: [S-13]\nstepz: []\n", "unknown top-level key `stepz`", (3, 1)),
            ("name: t\ncovers: [S-19]\nrevisions: [seed]\nsteps: []\n", "belongs to no revision", (2, 9)),
        ];
        for (src, msg, (line, col)) in cases {
            let d = first_error(src);
            assert!(
                d.message.contains(msg),
                "expected `{msg}`, got `{}`",
                d.message
            );
            assert_eq!(
                (d.pos.line, d.pos.column),
                (*line, *col),
                "position for `{msg}`"
            );
        }
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let s = load("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - state: {as: a, room: r, type: t, state_key: \"\", content: {n: \"12\", m: 12}}\n").unwrap();
        let Action::Call(c) = &s.steps[0].action else {
            panic!()
        };
        let crate::steps::Execution::Http(http) = c.step.execution() else {
            panic!("`state` is a client-server request")
        };
        let call = http.build(&crate::steps::build::testing::cx()).unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/rooms/r/state/t/");
        assert_eq!(call.body, Some(serde_json::json!({"n": "12", "m": 12})));
    }

    #[test]
    fn suggests_close_names() {
        let d = first_error("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - snd: {as: a}\n");
        assert_eq!(d.hint.as_deref(), Some("did you mean `send`?"));
    }
}
