//! Reading an expectations file: its whole shape checked (unknown keys with a did-you-mean,
//! wrong types), scenario ids and requirement IDs known; every problem is a diagnostic at
//! `file:line:column`, and all of them are reported at once.

use super::{Expectations, KnownFailure};
use crate::catalogue::Catalogue;
use crate::yaml::{self, Diagnostic, Diagnostics};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::Node;
use std::collections::BTreeMap;
use std::path::Path;

const TOP_KEYS: &[&str] = &[
    "implementation",
    "version",
    "expected_failures",
    "not_implemented",
];
/// The proposals a `not_implemented` entry may name.
const PROPOSALS: &[&str] = &["MSC4354", "MSC4480", "MSC4140"];
const ENTRY_KEYS: &[&str] = &["scenario", "scenarios", "requirement", "revision", "reason"];
const NOT_IMPLEMENTED_KEYS: &[&str] = &["proposal", "reason"];

impl Expectations {
    /// Loads a file, checking its whole shape (unknown keys with a did-you-mean, wrong types),
    /// scenario ids and requirement IDs; every problem is a diagnostic at `file:line:column`.
    pub fn load(
        path: &Path,
        catalogue: &Catalogue,
        scenario_ids: &[&str],
    ) -> Result<Self, Diagnostics> {
        let (source, root) = crate::yaml::read_file(path, crate::yaml::FileKind::Expectations)?;
        let mut r = Reader {
            path,
            source: &source,
            catalogue,
            scenario_ids,
            errors: Vec::new(),
        };
        let Some(top) = root.as_mapping() else {
            let shape = yaml::shape(&root);
            r.at(&root, format!("an expectations file is a mapping (`implementation:`, `version:`, `expected_failures:`), not {shape}"));
            return Err(Diagnostics(r.errors));
        };
        r.unknown_keys(top, "an expectations file", TOP_KEYS);
        for key in ["implementation", "version"] {
            if let Some(v) = top.get_node(key).filter(|v| v.as_scalar().is_none()) {
                r.at(v, format!("`{key}` is a text, not {}", yaml::shape(v)));
            }
        }
        let not_implemented = r.not_implemented(top.get_node("not_implemented"));
        let known: Vec<KnownFailure> = r
            .list(
                top.get_node("expected_failures"),
                "`expected_failures` is a list of entries (`- scenario: …` with a `reason`)",
            )
            .into_iter()
            .filter_map(|node| r.entry(node))
            .collect();
        if !r.errors.is_empty() {
            return Err(Diagnostics(r.errors));
        }
        Ok(Expectations {
            file: Some(path.to_path_buf()),
            known,
            not_implemented,
        })
    }
}

/// An expectations file being read, and the mistakes found so far.
struct Reader<'a> {
    path: &'a Path,
    source: &'a str,
    catalogue: &'a Catalogue,
    scenario_ids: &'a [&'a str],
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn at(&mut self, node: &Node, message: String) {
        self.errors.push(self.diagnostic(node, message));
    }

    fn diagnostic(&self, node: &Node, message: String) -> Diagnostic {
        Diagnostic::new(self.path, self.source, yaml::pos(node), message)
    }

    fn unknown_keys(&mut self, m: &MarkedMappingNode, what: &str, known: &[&str]) {
        for (key, _) in m.iter() {
            if !known.contains(&key.as_str()) {
                let d = unknown_key(self.path, self.source, key, what, known);
                self.errors.push(d);
            }
        }
    }

    /// The items of a list (none when it is absent; a diagnostic when it is something else).
    fn list<'n>(&mut self, node: Option<&'n Node>, what: &str) -> Vec<&'n Node> {
        match node {
            None => Vec::new(),
            Some(Node::Sequence(list)) => list.iter().collect(),
            Some(other) => {
                self.at(other, format!("{what}, not {}", yaml::shape(other)));
                Vec::new()
            }
        }
    }

    /// `not_implemented: [{proposal, reason}]`: proposal → why.
    fn not_implemented(&mut self, node: Option<&Node>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let what = "`not_implemented` is a list of `- proposal: MSC4480` entries with a `reason`";
        for node in self.list(node, what) {
            let Some(m) = node.as_mapping() else {
                self.at(
                    node,
                    "a not-implemented entry is a mapping (`proposal:`, `reason:`)".into(),
                );
                continue;
            };
            self.unknown_keys(m, "a not-implemented entry", NOT_IMPLEMENTED_KEYS);
            let text = |k: &str| m.get_scalar(k).map(|v| v.as_str().trim().to_string());
            match (text("proposal"), text("reason")) {
                (Some(p), Some(r))
                    if PROPOSALS.contains(&p.to_ascii_uppercase().as_str()) && !r.is_empty() =>
                {
                    out.insert(p.to_ascii_uppercase(), r);
                }
                (Some(p), Some(r)) if !r.is_empty() => self.at(
                    node,
                    format!("unknown proposal `{p}` (one of {})", PROPOSALS.join(", ")),
                ),
                _ => self.at(
                    node,
                    "a not-implemented entry names a `proposal` (MSC4354, MSC4480, MSC4140) and a `reason`".into(),
                ),
            }
        }
        out
    }

    /// A text value of an entry, when the key is there.
    fn text(&mut self, m: &MarkedMappingNode, key: &str) -> Option<String> {
        let v = m.get_node(key)?;
        match v.as_scalar() {
            Some(s) => Some(s.as_str().to_string()),
            None => {
                self.at(v, format!("`{key}` is a text, not {}", yaml::shape(v)));
                None
            }
        }
    }

    /// One expected failure, checked against the scenarios and the catalogue.
    fn entry(&mut self, node: &Node) -> Option<KnownFailure> {
        let Some(m) = node.as_mapping() else {
            self.at(
                node,
                format!(
                    "an expected failure is a mapping (`scenario:`/`scenarios:` or `requirement:`, `reason:`), not {}",
                    yaml::shape(node)
                ),
            );
            return None;
        };
        let mut scenarios: Vec<String> = self.text(m, "scenario").into_iter().collect();
        let requirement = self.text(m, "requirement");
        let revision_text = self.text(m, "revision");
        let reason = self.text(m, "reason").unwrap_or_default();
        self.unknown_keys(m, "an expected failure", ENTRY_KEYS);
        let listed = self.list(
            m.get_node("scenarios"),
            "`scenarios` is a list of scenario ids",
        );
        for item in listed {
            match item.as_scalar() {
                Some(s) => scenarios.push(s.as_str().to_string()),
                None => self.at(
                    item,
                    format!("a scenario id is a text, not {}", yaml::shape(item)),
                ),
            }
        }
        let revision = revision_text.and_then(|r| match r.parse() {
            Ok(r) => Some(r),
            Err(e) => {
                self.at(node, e);
                None
            }
        });
        let entry = KnownFailure {
            scenarios,
            requirement,
            revision,
            reason,
        };
        self.check_entry(node, &entry);
        Some(entry)
    }

    /// A reason, known scenario ids, and either scenarios or a known requirement.
    fn check_entry(&mut self, node: &Node, entry: &KnownFailure) {
        if entry.reason.trim().is_empty() {
            self.at(node, "every expected failure needs a `reason`".into());
        }
        for id in &entry.scenarios {
            if !self.scenario_ids.contains(&id.as_str()) {
                let hint = crate::text::did_you_mean(id, self.scenario_ids.iter().copied());
                let d = self.diagnostic(node, format!("unknown scenario `{id}`"));
                self.errors.push(match hint {
                    Some(h) => d.with_hint(format!("did you mean `{h}`?")),
                    None => d,
                });
            }
        }
        match (entry.scenarios.is_empty(), &entry.requirement) {
            (true, Some(r)) if self.catalogue.get(r).is_none() => {
                self.at(node, format!("unknown requirement ID `{r}`"))
            }
            (true, None) | (false, Some(_)) => self.at(
                node,
                "an entry names either scenarios (`scenario`/`scenarios`) or a `requirement`"
                    .into(),
            ),
            _ => {}
        }
    }
}

fn unknown_key(
    path: &Path,
    source: &str,
    key: &MarkedScalarNode,
    what: &str,
    known: &[&str],
) -> Diagnostic {
    let d = Diagnostic::new(
        path,
        source,
        yaml::scalar_pos(key),
        format!("unknown key `{}` in {what}", key.as_str()),
    );
    match crate::text::did_you_mean(key.as_str(), known.iter().copied()) {
        Some(h) => d.with_hint(format!("did you mean `{h}`?")),
        None => d.with_hint(format!("known keys: {}", known.join(", "))),
    }
}
