//! Helpers over `marked_yaml` nodes: positions, scalar coercion and conversion to JSON.

use super::model::Pos;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::Node;
use serde_json::{Map, Number, Value};

/// Parses YAML the way every mscheck file is read: duplicate keys are errors, and only plain
/// (unquoted) scalars may be read as numbers, booleans or null (`"12"` and `""` stay strings).
pub fn parse(source: &str) -> Result<Node, marked_yaml::LoadError> {
    let options = marked_yaml::LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    marked_yaml::parse_yaml_with_options(0, source, options)
}

/// Where a node starts.
pub fn pos(node: &Node) -> Pos {
    match node {
        Node::Mapping(m) => mapping_pos(m),
        other => span_pos(other.span()),
    }
}

/// Where a scalar starts.
pub fn scalar_pos(node: &MarkedScalarNode) -> Pos {
    span_pos(node.span())
}

/// Where a mapping starts: its first key (the loader's own mapping marker can sit elsewhere).
pub fn mapping_pos(node: &MarkedMappingNode) -> Pos {
    node.keys()
        .next()
        .map(scalar_pos)
        .unwrap_or_else(|| span_pos(node.span()))
}

fn span_pos(span: &marked_yaml::Span) -> Pos {
    span.start()
        .map(|m| Pos {
            line: m.line(),
            column: m.column(),
        })
        .unwrap_or_default()
}

/// A YAML scalar as JSON: plain `null`/`~`, booleans and numbers are typed; quoted scalars are
/// always strings.
pub fn scalar_to_json(s: &MarkedScalarNode) -> Value {
    let text = s.as_str();
    if !s.may_coerce() {
        return Value::String(text.to_string());
    }
    match text {
        "null" | "~" | "" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Ok(f) = text.parse::<f64>() {
        if let Some(n) = Number::from_f64(f) {
            if text.chars().any(|c| c.is_ascii_digit())
                && !text.contains("inf")
                && !text.contains("nan")
            {
                return Value::Number(n);
            }
        }
    }
    Value::String(text.to_string())
}

/// Any node as JSON.
pub fn to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(s) => scalar_to_json(s),
        Node::Sequence(seq) => Value::Array(seq.iter().map(to_json).collect()),
        Node::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m.iter() {
                out.insert(k.as_str().to_string(), to_json(v));
            }
            Value::Object(out)
        }
    }
}

/// A short name of the node's shape, for "expected X, found Y" messages.
pub fn shape(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a scalar",
        Node::Sequence(_) => "a list",
        Node::Mapping(_) => "a mapping",
    }
}
