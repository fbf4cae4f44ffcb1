//! Reading the suites, the catalogue and the selection, shared by `run`, `list` and
//! `requirements`.

use super::request::SelectRequest;
use crate::catalogue::{Catalogue, Proposal, Revision};
use crate::error::Error;
use crate::plan::Selection;
use crate::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

/// The suites and catalogue, and where they came from.
pub struct Loaded {
    /// The folder holding `suites/`, `fixtures/` and `snapshots/`.
    pub root: PathBuf,
    /// Given, the current folder, or the built-in copy.
    pub source: crate::embedded::Source,
    /// The requirement catalogue.
    pub catalogue: Catalogue,
    /// Every scenario of every suite.
    pub scenarios: Vec<Scenario>,
}

/// Reads the suites from `root` (else the current folder, else the built-in copy); every suite
/// named in `suites` must exist.
pub fn load(root: Option<&Path>, suites: &[String]) -> Result<Loaded, Error> {
    let source = crate::embedded::locate(root).map_err(|e| Error::Io {
        action: "extract the built-in suites into",
        path: std::path::PathBuf::from("the cache folder"),
        source: e,
    })?;
    let root = source.root();
    let catalogue = Catalogue::load(&root.join("suites").join("requirements.yaml"))?;
    let scenarios = scenario::load_suites(&root.join("suites"), &catalogue)?;
    let mut known: Vec<&str> = scenarios.iter().map(|s| s.suite.as_str()).collect();
    known.sort();
    known.dedup();
    for s in suites {
        if !known.contains(&s.as_str()) {
            let hint = crate::util::did_you_mean(s, known.iter().copied())
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "unknown suite `{s}`{hint}; suites: {}",
                known.join(", ")
            )));
        }
    }
    Ok(Loaded {
        root,
        source,
        catalogue,
        scenarios,
    })
}

/// The selection a request names, every proposal's revision filled in (newest unless given).
pub fn selection(req: &SelectRequest) -> Selection {
    let mut revisions = req.revisions.clone();
    for p in Proposal::ALL {
        revisions.entry(p).or_insert(Revision::Newest);
    }
    Selection {
        suites: req.suites.clone(),
        filters: req.filters.clone(),
        revisions,
        partition: req.partition,
    }
}
