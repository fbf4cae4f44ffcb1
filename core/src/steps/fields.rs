//! Reading a step's fields once, at load time, into typed values.
//!
//! Each step kind decodes its mapping through [`Fields`]: every value is checked where it is
//! written (a string where a string belongs, a declared user, one of the allowed words…) and
//! every mistake becomes a diagnostic with its file position, so a typo is a load error (exit 2),
//! never a harness error when the step runs. Values that may hold `{{templates}}` stay
//! templates, typed by what they render to ([`Text`], [`Json`], [`Int`]); the scope check makes
//! sure every variable they name is defined by an earlier step.

use super::error::HarnessError;
use crate::vars::Vars;
use crate::yaml::{self, Pos};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;
use serde_json::Value;
use std::time::Duration;

/// Where decoding reports its findings (the scenario loader, with the variables in scope).
pub trait Diagnose {
    /// An error at `pos`, with an optional hint.
    fn error(&mut self, pos: Pos, message: String, hint: Option<String>);
    /// An unknown word, with a "did you mean" hint drawn from `known`.
    fn unknown(&mut self, pos: Pos, what: &str, word: &str, known: &[&str]);
    /// Checks that every variable a value's templates name is defined here.
    fn references(&mut self, value: &Value, pos: Pos);
}

/// A string that may hold templates; rendered to a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Text(pub String);

/// Any JSON whose strings may hold templates; rendered to JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub Value);

/// A whole number, or a template that renders to one.
#[derive(Debug, Clone, PartialEq)]
pub enum Int {
    /// Written as a number.
    Fixed(i64),
    /// A template such as `"{{limit}}"`.
    Template(String),
}

impl Text {
    /// Renders it.
    pub fn render(&self, vars: &Vars) -> Result<String, HarnessError> {
        Ok(vars.render_text(&self.0)?)
    }
}

impl Json {
    /// Renders it.
    pub fn render(&self, vars: &Vars) -> Result<Value, HarnessError> {
        Ok(vars.render(&self.0)?)
    }
}

impl Int {
    /// Renders it; a template must give a whole number.
    pub fn render(&self, vars: &Vars) -> Result<i64, HarnessError> {
        match self {
            Int::Fixed(n) => Ok(*n),
            Int::Template(t) => {
                let v = vars.render_str(t)?;
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                    .ok_or_else(|| {
                        HarnessError::harness(format!("`{t}` is {v}, not a whole number"))
                    })
            }
        }
    }
}

/// The fields of one step, read one by one by the step kind's decoder.
pub struct Fields<'d, 'n> {
    diag: &'d mut dyn Diagnose,
    kind: &'static str,
    map: &'n MarkedMappingNode,
    users: &'n [String],
    known: Vec<&'static str>,
    missing: Vec<&'static str>,
    shapes: Vec<FieldShape>,
}

/// What a field holds, as its kind's decoder reads it: the source of the scenario JSON Schema
/// (`mscheck schema`), so the schema cannot drift from the decoders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// A string (a number or `true` is read as its text); templates allowed.
    Text,
    /// Any JSON.
    Json,
    /// A mapping.
    Mapping,
    /// A whole number, or a template that renders to one.
    Int,
    /// true or false.
    Flag,
    /// A declared user's name.
    User,
    /// A list of declared users' names.
    Users,
    /// One of these words.
    Choice(Vec<&'static str>),
    /// A duration such as `500ms`.
    Duration,
    /// Decoded by the kind itself (see its module).
    Raw,
}

/// One field of a step kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldShape {
    /// Its key.
    pub name: &'static str,
    /// What it holds.
    pub ty: FieldType,
    /// Whether the step cannot do without it.
    pub required: bool,
}

impl<'d, 'n> Fields<'d, 'n> {
    /// The fields of a `kind` step written as `map`; `users` are the scenario's user names.
    pub fn new(
        diag: &'d mut dyn Diagnose,
        kind: &'static str,
        map: &'n MarkedMappingNode,
        users: &'n [String],
    ) -> Self {
        Fields {
            diag,
            kind,
            map,
            users,
            known: vec!["as"],
            missing: Vec::new(),
            shapes: Vec::new(),
        }
    }

    fn node(&mut self, name: &'static str, ty: FieldType) -> Option<&'n Node> {
        self.known.push(name);
        self.shapes.push(FieldShape {
            name,
            ty,
            required: false,
        });
        self.map.get_node(name)
    }

    fn need<T>(&mut self, name: &'static str, value: Option<T>) -> Option<T> {
        if let Some(s) = self.shapes.iter_mut().find(|s| s.name == name) {
            s.required = true;
        }
        if value.is_none() && self.map.get_node(name).is_none() {
            self.missing.push(name);
        }
        value
    }

    /// The fields read, in order (for the schema and the docs: see [`super::shapes_of`]).
    pub(crate) fn into_shapes(self) -> Vec<FieldShape> {
        self.shapes
    }

    fn error(&mut self, node: &Node, message: String) {
        self.diag.error(yaml::pos(node), message, None);
    }

    /// A string (templates allowed).
    pub fn text(&mut self, name: &'static str) -> Option<Text> {
        let node = self.node(name, FieldType::Text)?;
        let value = yaml::to_json(node);
        if value.is_object() || value.is_array() {
            self.error(node, format!("`{name}` must be a string, found {value}"));
            return None;
        }
        self.diag.references(&value, yaml::pos(node));
        Some(Text(match value {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }

    /// A string the step cannot do without.
    pub(crate) fn need_text(&mut self, name: &'static str) -> Option<Text> {
        let v = self.text(name);
        self.need(name, v)
    }

    /// Any JSON (templates allowed in strings).
    pub fn json(&mut self, name: &'static str) -> Option<Json> {
        let node = self.node(name, FieldType::Json)?;
        let value = yaml::to_json(node);
        self.diag.references(&value, yaml::pos(node));
        Some(Json(value))
    }

    /// JSON the step cannot do without.
    pub(crate) fn need_json(&mut self, name: &'static str) -> Option<Json> {
        let v = self.json(name);
        self.need(name, v)
    }

    /// A JSON mapping (templates allowed in keys and strings).
    pub fn mapping(&mut self, name: &'static str) -> Option<Json> {
        let node = self.node(name, FieldType::Mapping)?;
        let value = yaml::to_json(node);
        if !value.is_object() {
            self.error(node, format!("`{name}` must be a mapping, found {value}"));
            return None;
        }
        self.diag.references(&value, yaml::pos(node));
        Some(Json(value))
    }

    /// A whole number, or a template that renders to one.
    pub(crate) fn int(&mut self, name: &'static str) -> Option<Int> {
        let node = self.node(name, FieldType::Int)?;
        match yaml::to_json(node) {
            Value::Number(n) if n.is_i64() => n.as_i64().map(Int::Fixed),
            Value::String(s) if s.contains("{{") => {
                self.diag
                    .references(&Value::String(s.clone()), yaml::pos(node));
                Some(Int::Template(s))
            }
            other => {
                self.error(
                    node,
                    format!("`{name}` must be a whole number, found {other}"),
                );
                None
            }
        }
    }

    /// true or false.
    pub fn flag(&mut self, name: &'static str) -> Option<bool> {
        let node = self.node(name, FieldType::Flag)?;
        match yaml::to_json(node) {
            Value::Bool(b) => Some(b),
            other => {
                self.error(
                    node,
                    format!("`{name}` must be true or false, found {other}"),
                );
                None
            }
        }
    }

    /// One of the scenario's users.
    pub fn user(&mut self, name: &'static str) -> Option<String> {
        let node = self.node(name, FieldType::User)?;
        let value = yaml::to_json(node);
        match value.as_str() {
            Some(u) if self.users.iter().any(|x| x == u) => Some(u.to_string()),
            _ => {
                self.error(
                    node,
                    format!("`{name}` must name a declared user, found {value}"),
                );
                None
            }
        }
    }

    /// A user the step cannot do without.
    pub(crate) fn need_user(&mut self, name: &'static str) -> Option<String> {
        let v = self.user(name);
        self.need(name, v)
    }

    /// A list of the scenario's users.
    pub fn users(&mut self, name: &'static str) -> Option<Vec<String>> {
        let node = self.node(name, FieldType::Users)?;
        let value = yaml::to_json(node);
        let names: Option<Vec<String>> = value.as_array().and_then(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .filter(|s| self.users.iter().any(|u| u == s))
                        .map(str::to_string)
                })
                .collect()
        });
        if names.is_none() {
            self.error(
                node,
                format!("`{name}` must be a list of declared users, found {value}"),
            );
        }
        names
    }

    /// Users the step cannot do without.
    pub(crate) fn need_users(&mut self, name: &'static str) -> Option<Vec<String>> {
        let v = self.users(name);
        self.need(name, v)
    }

    /// One of a few words, each standing for a value.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        name: &'static str,
        words: &[(&'static str, T)],
    ) -> Option<T> {
        let choice = FieldType::Choice(words.iter().map(|(w, _)| *w).collect());
        let node = self.node(name, choice)?;
        let value = yaml::to_json(node);
        let word = value.as_str().unwrap_or_default();
        match words.iter().find(|(w, _)| *w == word) {
            Some((_, v)) => Some(*v),
            None => {
                let known: Vec<&str> = words.iter().map(|(w, _)| *w).collect();
                let word = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let hint = match crate::text::did_you_mean(&word, known.iter().copied()) {
                    Some(w) => format!("did you mean `{w}`?"),
                    None => format!("one of: {}", known.join(", ")),
                };
                self.diag.error(
                    yaml::pos(node),
                    format!("`{name}` of `{}` cannot be `{word}`", self.kind),
                    Some(hint),
                );
                None
            }
        }
    }

    /// A choice the step cannot do without.
    pub(crate) fn need_choice<T: Copy>(
        &mut self,
        name: &'static str,
        words: &[(&'static str, T)],
    ) -> Option<T> {
        let v = self.choice(name, words);
        self.need(name, v)
    }

    /// A duration such as `500ms` or `30s`.
    pub fn duration(&mut self, name: &'static str) -> Option<Duration> {
        let node = self.node(name, FieldType::Duration)?;
        let value = yaml::to_json(node);
        let text = value.as_str().unwrap_or_default();
        let d = crate::units::parse_duration(text);
        if d.is_none() {
            self.diag.error(
                yaml::pos(node),
                format!("`{name}` {value} is not a duration"),
                Some("write it like `500ms`, `10s` or `2m`".into()),
            );
        }
        d
    }

    /// The raw node of a field the kind decodes itself (with [`Fields::report`] for problems).
    pub fn raw(&mut self, name: &'static str) -> Option<&'n Node> {
        self.node(name, FieldType::Raw)
    }

    /// Reports a problem with a field's value.
    pub fn report(&mut self, node: &Node, message: String) {
        self.error(node, message);
    }

    /// Marks a key as dealt with elsewhere (a step's own key misplaced into its body, already
    /// reported), so that it is not reported again as an unknown field.
    pub fn handled(&mut self, name: &'static str) {
        self.known.push(name);
    }

    /// Ends decoding: unknown fields and missing required ones become diagnostics.
    pub fn finish(self) {
        for (k, _) in self.map.iter() {
            if !self.known.contains(&k.as_str()) {
                self.diag.unknown(
                    yaml::scalar_pos(k),
                    &format!("field of `{}`", self.kind),
                    k.as_str(),
                    &self.known[1..],
                );
            }
        }
        for name in self.missing {
            self.diag.error(
                yaml::mapping_pos(self.map),
                format!("`{}` needs `{name}`", self.kind),
                None,
            );
        }
    }
}
