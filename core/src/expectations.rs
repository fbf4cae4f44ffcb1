//! Expectations files (`fixtures/expectations/<implementation>-<version>.yaml`): scenarios or
//! requirements known to fail on an implementation, each with a reason. A listed scenario that
//! fails is an expected failure; one that passes is reported as an unexpected pass.

use crate::catalogue::{Catalogue, Proposal, Revision, RevisionOf};
use crate::scenario::Scenario;
use crate::yaml;
use crate::yaml::{Diagnostic, Diagnostics};
use marked_yaml::Node;
use std::path::{Path, PathBuf};

/// One known failure.
#[derive(Debug, Clone)]
pub struct KnownFailure {
    /// Scenario ids (`suite/stem`; `scenario:` names one, `scenarios:` several), or…
    pub scenarios: Vec<String>,
    /// …a requirement ID: any scenario covering it.
    pub requirement: Option<String>,
    /// Only at this revision of the scenario's proposal.
    pub revision: Option<Revision>,
    /// Why it fails.
    pub reason: String,
}

/// An expectations file.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Where it was read from.
    pub file: Option<PathBuf>,
    /// The entries.
    pub known: Vec<KnownFailure>,
    /// Proposals the implementation does not implement at all (`MSC4480` → why): their
    /// scenarios are expected failures, one finding.
    pub not_implemented: std::collections::BTreeMap<String, String>,
}

impl Expectations {
    /// The reason a scenario is expected to fail at the given revisions, if it is.
    pub fn reason_for(&self, s: &Scenario, revision: Revision) -> Option<&str> {
        self.known
            .iter()
            .filter(|k| k.revision.is_none_or(|r| r == revision))
            .find(|k| {
                k.scenarios.contains(&s.id)
                    || k.requirement.as_ref().is_some_and(|r| s.covers.contains(r))
            })
            .map(|k| k.reason.as_str())
    }

    /// Finds the file for an implementation: `<impl>-<version>.yaml`, then `<impl>-<major.minor>.yaml`,
    /// then `<impl>.yaml`.
    /// Names that could not safely name a file find nothing.
    pub fn find(dir: &Path, implementation: &str, version: Option<&str>) -> Option<PathBuf> {
        use crate::util::{valid_implementation, valid_version};
        if !valid_implementation(implementation) || !version.is_none_or(valid_version) {
            return None;
        }
        let mut names = Vec::new();
        if let Some(version) = version {
            let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
            names.push(format!("{implementation}-{version}.yaml"));
            names.push(format!("{implementation}-{minor}.yaml"));
        }
        names.push(format!("{implementation}.yaml"));
        names.into_iter().map(|n| dir.join(n)).find(|p| p.exists())
    }

    /// Loads a file, checking its whole shape (unknown keys with a did-you-mean, wrong types),
    /// scenario ids and requirement IDs; every problem is a diagnostic at `file:line:column`.
    pub fn load(
        path: &Path,
        catalogue: &Catalogue,
        scenario_ids: &[&str],
    ) -> Result<Self, Diagnostics> {
        let (source, root) = crate::yaml::read_file(path, crate::yaml::FileKind::Expectations)?;
        let mut errors = Vec::new();
        let mut known = Vec::new();
        let at = |node: &Node, msg: String| Diagnostic::new(path, &source, yaml::pos(node), msg);
        let Some(top) = root.as_mapping() else {
            return Err(Diagnostics(vec![at(
                &root,
                format!(
                    "an expectations file is a mapping (`implementation:`, `version:`, `expected_failures:`), not {}",
                    yaml::shape(&root)
                ),
            )]));
        };
        for (key, _) in top.iter() {
            if !TOP_KEYS.contains(&key.as_str()) {
                errors.push(unknown_key(
                    path,
                    &source,
                    key,
                    "an expectations file",
                    TOP_KEYS,
                ));
            }
        }
        for key in ["implementation", "version"] {
            if let Some(v) = top.get_node(key) {
                if v.as_scalar().is_none() {
                    errors.push(at(v, format!("`{key}` is a text, not {}", yaml::shape(v))));
                }
            }
        }
        let mut not_implemented = std::collections::BTreeMap::new();
        match top.get_node("not_implemented") {
            None => {}
            Some(Node::Sequence(list)) => {
                for node in list.iter() {
                    let Some(m) = node.as_mapping() else {
                        errors.push(at(
                            node,
                            "a not-implemented entry is a mapping (`proposal:`, `reason:`)".into(),
                        ));
                        continue;
                    };
                    for (key, _) in m.iter() {
                        if !["proposal", "reason"].contains(&key.as_str()) {
                            errors.push(unknown_key(
                                path,
                                &source,
                                key,
                                "a not-implemented entry",
                                &["proposal", "reason"],
                            ));
                        }
                    }
                    let text = |k: &str| m.get_scalar(k).map(|v| v.as_str().trim().to_string());
                    match (text("proposal"), text("reason")) {
                        (Some(p), Some(r)) if PROPOSALS.contains(&p.to_ascii_uppercase().as_str()) && !r.is_empty() => {
                            not_implemented.insert(p.to_ascii_uppercase(), r);
                        }
                        (Some(p), Some(r)) if !r.is_empty() => errors.push(at(
                            node,
                            format!("unknown proposal `{p}` (one of {})", PROPOSALS.join(", ")),
                        )),
                        _ => errors.push(at(
                            node,
                            "a not-implemented entry names a `proposal` (MSC4354, MSC4480, MSC4140) and a `reason`".into(),
                        )),
                    }
                }
            }
            Some(other) => errors.push(at(
                other,
                format!(
                    "`not_implemented` is a list of `- proposal: MSC4480` entries with a `reason`, not {}",
                    yaml::shape(other)
                ),
            )),
        }
        let entries: Vec<&Node> = match top.get_node("expected_failures") {
            None => Vec::new(),
            Some(Node::Sequence(list)) => list.iter().collect(),
            Some(other) => {
                errors.push(at(
                    other,
                    format!(
                        "`expected_failures` is a list of entries (`- scenario: …` with a `reason`), not {}",
                        yaml::shape(other)
                    ),
                ));
                Vec::new()
            }
        };
        for node in entries {
            let Some(entry_map) = node.as_mapping() else {
                errors.push(at(
                    node,
                    format!(
                        "an expected failure is a mapping (`scenario:`/`scenarios:` or `requirement:`, `reason:`), not {}",
                        yaml::shape(node)
                    ),
                ));
                continue;
            };
            let mut text = |key: &str| -> Option<String> {
                let v = entry_map.get_node(key)?;
                match v.as_scalar() {
                    Some(s) => Some(s.as_str().to_string()),
                    None => {
                        errors.push(at(v, format!("`{key}` is a text, not {}", yaml::shape(v))));
                        None
                    }
                }
            };
            let mut scenarios: Vec<String> = text("scenario").into_iter().collect();
            let requirement = text("requirement");
            let revision_text = text("revision");
            let reason = text("reason").unwrap_or_default();
            for (key, _) in entry_map.iter() {
                if !ENTRY_KEYS.contains(&key.as_str()) {
                    errors.push(unknown_key(
                        path,
                        &source,
                        key,
                        "an expected failure",
                        ENTRY_KEYS,
                    ));
                }
            }
            match entry_map.get_node("scenarios") {
                None => {}
                Some(Node::Sequence(list)) => {
                    for item in list.iter() {
                        match item.as_scalar() {
                            Some(s) => scenarios.push(s.as_str().to_string()),
                            None => errors.push(at(
                                item,
                                format!("a scenario id is a text, not {}", yaml::shape(item)),
                            )),
                        }
                    }
                }
                Some(other) => errors.push(at(
                    other,
                    format!(
                        "`scenarios` is a list of scenario ids, not {}",
                        yaml::shape(other)
                    ),
                )),
            }
            let entry = KnownFailure {
                scenarios,
                requirement,
                revision: match revision_text {
                    Some(r) => match r.parse() {
                        Ok(r) => Some(r),
                        Err(e) => {
                            errors.push(at(node, e));
                            None
                        }
                    },
                    None => None,
                },
                reason,
            };
            if entry.reason.trim().is_empty() {
                errors.push(at(node, "every expected failure needs a `reason`".into()));
            }
            for id in &entry.scenarios {
                if !scenario_ids.contains(&id.as_str()) {
                    let hint = crate::util::did_you_mean(id, scenario_ids.iter().copied());
                    let d = at(node, format!("unknown scenario `{id}`"));
                    errors.push(match hint {
                        Some(h) => d.with_hint(format!("did you mean `{h}`?")),
                        None => d,
                    });
                }
            }
            match (entry.scenarios.is_empty(), &entry.requirement) {
                (true, Some(r)) if catalogue.get(r).is_none() => {
                    errors.push(at(node, format!("unknown requirement ID `{r}`")))
                }
                (true, None) | (false, Some(_)) => errors.push(at(
                    node,
                    "an entry names either scenarios (`scenario`/`scenarios`) or a `requirement`"
                        .into(),
                )),
                _ => {}
            }
            known.push(entry);
        }
        if errors.is_empty() {
            Ok(Expectations {
                file: Some(path.to_path_buf()),
                known,
                not_implemented,
            })
        } else {
            Err(Diagnostics(errors))
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "implementation",
    "version",
    "expected_failures",
    "not_implemented",
];
/// The proposals a `not_implemented` entry may name.
const PROPOSALS: &[&str] = &["MSC4354", "MSC4480", "MSC4140"];
const ENTRY_KEYS: &[&str] = &["scenario", "scenarios", "requirement", "revision", "reason"];

fn unknown_key(
    path: &Path,
    source: &str,
    key: &marked_yaml::types::MarkedScalarNode,
    what: &str,
    known: &[&str],
) -> Diagnostic {
    let d = Diagnostic::new(
        path,
        source,
        yaml::scalar_pos(key),
        format!("unknown key `{}` in {what}", key.as_str()),
    );
    match crate::util::did_you_mean(key.as_str(), known.iter().copied()) {
        Some(h) => d.with_hint(format!("did you mean `{h}`?")),
        None => d.with_hint(format!("known keys: {}", known.join(", "))),
    }
}

/// Which proposal's revision applies to a scenario.
pub fn revision_of(
    s: &Scenario,
    chosen: &std::collections::BTreeMap<Proposal, Revision>,
) -> Revision {
    chosen.revision_of(s.proposal)
}
