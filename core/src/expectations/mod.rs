//! Expectations files (`fixtures/expectations/<implementation>-<version>.yaml`): scenarios or
//! requirements known to fail on an implementation, each with a reason. A listed scenario that
//! fails is an expected failure; one that passes is reported as an unexpected pass.

use crate::catalogue::{Proposal, Revision, RevisionOf};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

mod load;

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
        use crate::names::valid_implementation;
        use crate::names::valid_version;
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
}

/// Which proposal's revision applies to a scenario.
pub fn revision_of(
    s: &Scenario,
    chosen: &std::collections::BTreeMap<Proposal, Revision>,
) -> Revision {
    chosen.revision_of(s.proposal)
}
