//! Reading a YAML file of a known kind: capped in size, nesting checked, and every problem a
//! diagnostic that names the kind of file and fits it.

use super::diagnostic::{Diagnostic, Diagnostics};
use super::nodes::{parse, scalar_pos, ParseError, MAX_DEPTH};
use super::pos::Pos;
use marked_yaml::{LoadError, Node};
use std::path::Path;

/// The kinds of YAML file mscheck reads, each named in its diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `suites/<suite>/<name>.yaml`.
    Scenario,
    /// `suites/requirements.yaml`.
    Catalogue,
    /// `fixtures/faults.yaml`.
    Faults,
    /// `fixtures/proof-exemptions.yaml`.
    Exemptions,
    /// `fixtures/expectations/<implementation>-<version>.yaml`.
    Expectations,
    /// `fixtures/targets/<name>.yaml`.
    Profile,
    /// `fixtures/synapse/releases.yaml` and other data files.
    Data,
}

impl FileKind {
    /// `a scenario file`, `the requirement catalogue`, …
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario file",
            FileKind::Catalogue => "the requirement catalogue",
            FileKind::Faults => "the faults file",
            FileKind::Exemptions => "the proof exemptions file",
            FileKind::Expectations => "an expectations file",
            FileKind::Profile => "a profile",
            FileKind::Data => "the file",
        }
    }

    /// The top-level keys the kind starts with, for the "must be a mapping" hint.
    pub(crate) fn top_keys(self) -> &'static str {
        match self {
            FileKind::Scenario => "`name:`, `covers:`, `steps:` …",
            FileKind::Catalogue => "`requirements:`",
            FileKind::Faults => "`faults:`",
            FileKind::Exemptions => "`exemptions:`",
            FileKind::Expectations => "`implementation:`, `version:`, `expected_failures:` …",
            FileKind::Profile => "`implementation:`, `provision:`, `files:`, `start:` …",
            FileKind::Data => "keys",
        }
    }
}

/// Reads and parses a YAML file of a kind, turning a missing file or a syntax error into a
/// diagnostic that names the kind, with a hint that fits it.
pub fn read_file(path: &Path, kind: FileKind) -> Result<(String, Node), Diagnostics> {
    let what = kind.name();
    let source =
        crate::limits::read_text_capped(path, crate::limits::MAX_INPUT_FILE).map_err(|e| {
            Diagnostics(vec![Diagnostic::new(
                path,
                "",
                Pos::default(),
                format!("cannot read {what}: {e}"),
            )])
        })?;
    let root =
        parse(&source).map_err(|e| Diagnostics(vec![load_error(path, &source, &e, kind)]))?;
    Ok((source, root))
}

/// The parser's message without the position it repeats (the diagnostic shows it), and what
/// usually causes it.
fn syntax_error(raw: &str) -> (String, Option<&'static str>) {
    let text = match raw.find(" at byte ") {
        Some(i) => raw[..i].to_string(),
        None => raw.to_string(),
    };
    let hint = if text.contains("did not find expected key") {
        Some("indentation: this line is deeper than the keys beside it; give it the same indentation as its siblings (or put it under a key ending in `:`)")
    } else if text.contains("mapping values are not allowed") {
        Some("a `: ` inside a value: quote the value, or start the mapping on a line of its own")
    } else if text.contains("did not find expected ',' or ']'") {
        Some("a `[` list that is not closed on this line")
    } else if text.contains("did not find expected ',' or '}'") {
        Some("a `{` mapping that is not closed on this line")
    } else {
        None
    };
    (text, hint)
}

/// A YAML syntax error in a file of `kind` as a diagnostic.
pub fn load_error(file: &Path, source: &str, e: &ParseError, kind: FileKind) -> Diagnostic {
    let e = match e {
        ParseError::Yaml(e) => e,
        ParseError::TooDeep(at) => {
            return Diagnostic::new(
                file,
                source,
                *at,
                format!("nested more than {MAX_DEPTH} levels deep"),
            )
            .with_hint("no mscheck file needs this much nesting; is the file generated?")
        }
    };
    let (marker, msg) = match e {
        LoadError::TopLevelMustBeMapping(m) => (
            *m,
            format!("{} must be a mapping ({})", kind.name(), kind.top_keys()),
        ),
        LoadError::TopLevelMustBeSequence(m) => (*m, "the file must be a list".to_string()),
        LoadError::UnexpectedAnchor(m) => {
            (*m, "YAML anchors and aliases are not supported".to_string())
        }
        LoadError::MappingKeyMustBeScalar(m) => {
            (*m, "mapping keys must be plain strings".to_string())
        }
        LoadError::UnexpectedTag(m) => (*m, "YAML tags are not supported".to_string()),
        LoadError::ScanError(m, err) => {
            let (text, hint) = syntax_error(&err.to_string());
            let d = Diagnostic::new(
                file,
                source,
                Pos {
                    line: m.line(),
                    column: m.column(),
                },
                format!("YAML syntax error: {text}"),
            );
            return match hint {
                Some(h) => d.with_hint(h),
                None => d,
            };
        }
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

/// Every key of `map` that is not one of `known`, as a diagnostic at the key: `unknown {what}
/// `{key}``, with the nearest known key as a hint (or the list of them).
pub fn unknown_keys(
    file: &Path,
    source: &str,
    map: &marked_yaml::types::MarkedMappingNode,
    what: &str,
    known: &[&str],
) -> Vec<Diagnostic> {
    map.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, _)| {
            let d = Diagnostic::new(
                file,
                source,
                scalar_pos(k),
                format!("unknown {what} `{}`", k.as_str()),
            );
            match crate::text::did_you_mean(k.as_str(), known.iter().copied()) {
                Some(near) => d.with_hint(format!("did you mean `{near}`?")),
                None => d.with_hint(format!("expected one of: {}", known.join(", "))),
            }
        })
        .collect()
}
