//! Helpers over `marked_yaml` nodes: positions, scalar coercion and conversion to JSON.

use super::pos::Pos;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::Node;
use serde_json::{Map, Number, Value};

/// How deeply any mscheck YAML file may nest (blocks, `- - -` sequences and flow brackets
/// together). The deepest shipped file nests about a dozen levels; the YAML loader and the
/// conversions after it recurse per level, so a file nested thousands deep would overflow the
/// stack: it is refused before parsing.
pub(crate) const MAX_DEPTH: usize = 64;

/// Why a YAML text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The YAML parser's own error.
    #[error(transparent)]
    Yaml(#[from] marked_yaml::LoadError),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("nested more than {MAX_DEPTH} levels deep at line {}, column {}", .0.line, .0.column)]
    TooDeep(Pos),
}

/// Parses YAML the way every mscheck file is read: nesting at most [`MAX_DEPTH`] deep,
/// duplicate keys are errors, and only plain (unquoted) scalars may be read as numbers, booleans
/// or null (`"12"` and `""` stay strings).
pub fn parse(source: &str) -> Result<Node, ParseError> {
    if let Some(at) = too_deep(source, MAX_DEPTH) {
        return Err(ParseError::TooDeep(at));
    }
    let options = marked_yaml::LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    Ok(marked_yaml::parse_yaml_with_options(0, source, options)?)
}

/// Where a YAML text first nests deeper than `limit`, estimated from the text alone (so that
/// no parser recursion happens first): each deeper indentation opens a level, each `- ` that
/// starts a compact nested sequence opens one, each open flow bracket opens one. Block scalars
/// (`|`, `>`) and quoted strings open none. The estimate never undercounts real nesting.
pub(crate) fn too_deep(source: &str, limit: usize) -> Option<Pos> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // The indentation of a line that opened a block scalar: deeper lines are its text.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in source.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if let Some(parent) = block_scalar {
            if rest.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        if rest.trim().is_empty() || rest.starts_with('#') {
            continue;
        }
        if flow == 0 {
            while indents.last().is_some_and(|&i| i > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
        }
        let mut depth = indents.len();
        let mut col = indent;
        let mut tail = rest;
        while tail == "-" || tail.starts_with("- ") {
            depth += 1;
            let after = tail[1..].trim_start_matches(' ');
            col += tail.len() - after.len();
            tail = after;
        }
        if depth + flow > limit {
            return Some(Pos {
                line: n + 1,
                column: col + 1,
            });
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for (i, c) in tail.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') if prev == ' ' => break,
                (None, '[' | '{') => {
                    flow += 1;
                    if depth + flow > limit {
                        return Some(Pos {
                            line: n + 1,
                            column: col + i + 1,
                        });
                    }
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
            prev = c;
        }
        let content = tail.split(" #").next().unwrap_or("").trim_end();
        let indicator = content
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .trim_end_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
        if quote.is_none() && (indicator == "|" || indicator == ">") {
            block_scalar = Some(indent);
        }
    }
    None
}

/// Where a node starts.
pub fn pos(node: &Node) -> Pos {
    match node {
        Node::Mapping(m) => mapping_pos(m),
        other => span_pos(other.span()),
    }
}

/// Where a scalar starts.
pub(crate) fn scalar_pos(node: &MarkedScalarNode) -> Pos {
    span_pos(node.span())
}

/// Where a mapping starts: its first key (the loader's own mapping marker can sit elsewhere).
pub(crate) fn mapping_pos(node: &MarkedMappingNode) -> Pos {
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
pub(crate) fn scalar_to_json(s: &MarkedScalarNode) -> Value {
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

#[cfg(test)]
mod depth_tests {
    use super::*;

    #[test]
    fn deep_files_are_refused_before_parsing() {
        let block: String = (0..30_000)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(matches!(parse(&block), Err(ParseError::TooDeep(_))));
        let dashes = format!("{}x\n", "- ".repeat(30_000));
        assert!(matches!(parse(&dashes), Err(ParseError::TooDeep(_))));
        let flow = format!("a: {}\n", "[".repeat(30_000));
        let Err(ParseError::TooDeep(at)) = parse(&flow) else {
            panic!("flow accepted")
        };
        assert_eq!(at.line, 1);
    }

    #[test]
    fn ordinary_nesting_and_block_scalars_pass() {
        let text = "a:\n  b:\n    - c: [1, {d: 2}]\n      e: |\n          deeply\n            indented\n              text\n    - - x\n";
        assert!(too_deep(text, 8).is_none());
        assert!(parse(text).is_ok());
        let nested: String = (0..MAX_DEPTH)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(parse(&nested).is_ok());
    }
}
