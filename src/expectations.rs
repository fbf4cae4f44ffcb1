//! Expectations files (`fixtures/expectations/<implementation>-<version>.yaml`): scenarios or
//! requirements known to fail on an implementation, each with a reason. A listed scenario that
//! fails is an expected failure; one that passes is reported as an unexpected pass.

use crate::catalogue::{Catalogue, Proposal, Revision};
use crate::scenario::diagnostic::{Diagnostic, Diagnostics};
use crate::scenario::{yaml, Scenario};
use serde_json::Value;
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
    pub fn find(dir: &Path, implementation: &str, version: &str) -> Option<PathBuf> {
        let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
        [
            format!("{implementation}-{version}.yaml"),
            format!("{implementation}-{minor}.yaml"),
            format!("{implementation}.yaml"),
        ]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.exists())
    }

    /// Loads a file, checking scenario ids and requirement IDs.
    pub fn load(
        path: &Path,
        catalogue: &Catalogue,
        scenario_ids: &[&str],
    ) -> Result<Self, Diagnostics> {
        let (source, root) = crate::scenario::loader::read_yaml_file(path, "expectations")?;
        let mut errors = Vec::new();
        let mut known = Vec::new();
        let list = root
            .as_mapping()
            .and_then(|m| m.get_sequence("expected_failures"));
        for node in list
            .map(|l| l.iter().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let at = yaml::pos(node);
            let v = yaml::to_json(node);
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let mut scenarios: Vec<String> = s("scenario").into_iter().collect();
            if let Some(list) = v.get("scenarios").and_then(Value::as_array) {
                scenarios.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
            }
            let entry = KnownFailure {
                scenarios,
                requirement: s("requirement"),
                revision: match s("revision") {
                    Some(r) => match r.parse() {
                        Ok(r) => Some(r),
                        Err(e) => {
                            errors.push(Diagnostic::new(path, &source, at, e));
                            None
                        }
                    },
                    None => None,
                },
                reason: s("reason").unwrap_or_default(),
            };
            if entry.reason.trim().is_empty() {
                errors.push(Diagnostic::new(
                    path,
                    &source,
                    at,
                    "every expected failure needs a `reason`",
                ));
            }
            for id in &entry.scenarios {
                if !scenario_ids.contains(&id.as_str()) {
                    let hint = crate::util::did_you_mean(id, scenario_ids.iter().copied());
                    let d = Diagnostic::new(path, &source, at, format!("unknown scenario `{id}`"));
                    errors.push(match hint {
                        Some(h) => d.with_hint(format!("did you mean `{h}`?")),
                        None => d,
                    });
                }
            }
            match (entry.scenarios.is_empty(), &entry.requirement) {
                (true, Some(r)) if catalogue.get(r).is_none() => errors.push(Diagnostic::new(
                    path,
                    &source,
                    at,
                    format!("unknown requirement ID `{r}`"),
                )),
                (true, None) | (false, Some(_)) => errors.push(Diagnostic::new(
                    path,
                    &source,
                    at,
                    "an entry names either scenarios (`scenario`/`scenarios`) or a `requirement`",
                )),
                _ => {}
            }
            known.push(entry);
        }
        if errors.is_empty() {
            Ok(Expectations {
                file: Some(path.to_path_buf()),
                known,
            })
        } else {
            Err(Diagnostics(errors))
        }
    }
}

/// Which proposal's revision applies to a scenario.
pub fn revision_of(
    s: &Scenario,
    chosen: &std::collections::BTreeMap<Proposal, Revision>,
) -> Revision {
    chosen.get(&s.proposal).copied().unwrap_or(Revision::Newest)
}
