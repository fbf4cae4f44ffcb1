//! Loading suite files: YAML with positions → [`Scenario`], with every problem reported as a
//! [`Diagnostic`] at `file:line:column`.
//!
//! This module reads files and holds the diagnostics helpers; [`scenario`] decodes the top level
//! (name, covers, revisions, requires, users), [`steps`] the steps (kinds, waits, control
//! steps), [`call`] a call's body (its fields are decoded by its kind in [`crate::steps`]),
//! [`waits`] named windows and `hold_until` moments, [`sample`] sampled lifetimes, and
//! [`expect`] what a step checks and keeps (expectations, captures, snapshots).

mod call;
mod control;
mod expect;
mod requires;
mod sample;
mod scenario;
mod steps;
#[cfg(test)]
mod tests;
mod waits;

use super::checks;
use super::model::*;
use super::vocabulary::{self, COMMON_KEYS, CONTROL_KINDS};
use crate::hs::Hs;
use crate::yaml::{Diagnostic, Diagnostics};

/// The selector prefix that makes a check read a variable instead of the response body.
pub const VARS_ROOT: &str = "@vars.";
use crate::catalogue::{Catalogue, Proposal, Revision};
use crate::text::did_you_mean;
use crate::units::parse_duration;
use crate::vars::referenced_names;
use crate::yaml;
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;
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
pub(crate) const BUILTIN_VARS: &[&str] = &["user", "hs1", "hs2", "now_ms", "run_id", "fake"];

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
    let source =
        crate::limits::read_text_capped(path, crate::limits::MAX_INPUT_FILE).map_err(|e| {
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
    let root = yaml::parse(source).map_err(|e| {
        vec![crate::yaml::load_error(
            path,
            source,
            &e,
            crate::yaml::FileKind::Scenario,
        )]
    })?;
    let mut l = Loader {
        file: path,
        source,
        catalogue,
        errors: Vec::new(),
        covers: Vec::new(),
    };
    let scenario = l.scenario(&root, suite);
    match scenario {
        Some(s) if l.errors.is_empty() => Ok(s),
        _ => Err(l.errors),
    }
}

pub(super) struct Loader<'a> {
    file: &'a Path,
    source: &'a str,
    catalogue: &'a Catalogue,
    errors: Vec<Diagnostic>,
    /// The scenario's `covers`, once read: what a step's `judges` may name.
    covers: Vec<String>,
}

/// Where a step kind's decoder reports: the loader's diagnostics, with the variables in scope.
pub(super) struct StepDiagnostics<'l, 'a> {
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
pub(super) struct Scope {
    defined: BTreeSet<String>,
}

impl<'a> Loader<'a> {
    pub(super) fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.source, pos, msg));
    }

    pub(super) fn err_hint(&mut self, pos: Pos, msg: impl Into<String>, hint: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.source, pos, msg).with_hint(hint));
    }

    pub(super) fn unknown_key(&mut self, pos: Pos, what: &str, key: &str, known: &[&str]) {
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

    pub(super) fn mapping<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
    ) -> Option<&'n MarkedMappingNode> {
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

    pub(super) fn string(&mut self, node: &Node, what: &str) -> Option<String> {
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

    pub(super) fn string_list(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
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

    pub(super) fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
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

    pub(super) fn check_refs(&mut self, v: &Value, pos: Pos, scope: &Scope) {
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
}
