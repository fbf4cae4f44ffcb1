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

/// Requirement IDs as the catalogue writes them (`s-17` is S-17); an ID it does not know is bad
/// input, with the nearest one.
pub fn check_requirements(catalogue: &Catalogue, ids: &[String]) -> Result<Vec<String>, Error> {
    ids.iter()
        .map(|id| {
            let upper = id.trim().to_ascii_uppercase();
            if catalogue.get(&upper).is_some() {
                return Ok(upper);
            }
            let known: Vec<&str> = catalogue.all().into_iter().map(|r| r.id.as_str()).collect();
            let hint = crate::text::did_you_mean(&upper, known.iter().copied())
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            Err(Error::Usage(format!(
                "unknown requirement `{id}`{hint}; `mscheck requirements` lists them"
            )))
        })
        .collect()
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
    let catalogue_file = root.join("suites").join("requirements.yaml");
    if !catalogue_file.is_file() {
        return Err(Error::Usage(format!(
            "`--root {}`: no suites/requirements.yaml there; a root is this repository or a folder written by `mscheck suites export DIR`",
            crate::escape::escape_control(&root.display().to_string())
        )));
    }
    let catalogue = Catalogue::load(&catalogue_file)?;
    let scenarios = scenario::load_suites(&root.join("suites"), &catalogue)?;
    let mut known: Vec<&str> = scenarios.iter().map(|s| s.suite.as_str()).collect();
    known.sort();
    known.dedup();
    for s in suites {
        if !known.contains(&s.as_str()) {
            let hint = crate::text::did_you_mean(s, known.iter().copied())
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
        requirements: req.requirements.clone(),
        revisions,
        partition: req.partition,
    }
}
