//! The report folder: `results.json`, `junit.xml`, `summary.md` and `transcripts/`.
//! Homeserver logs are written there by the managed servers themselves (`homeservers/<hs>/`).

use crate::results::{RunReport, SelectionInfo, SCHEMA_VERSION};

use super::results::WriteError;
use super::Reporter;
use crate::catalogue::{Catalogue, Proposal, Revision};
use crate::results::rollup::rollup;
use crate::results::{ScenarioResult, TargetInfo};
use crate::runner::events::{EventKind, RunEvent};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Writes the report folder.
pub struct Files {
    dir: PathBuf,
    catalogue: Catalogue,
    revisions: BTreeMap<Proposal, Revision>,
    covering: BTreeMap<String, Vec<String>>,
    targets: Vec<TargetInfo>,
    results: Vec<ScenarioResult>,
    partition: Option<String>,
    selection: SelectionInfo,
    faults: Vec<String>,
    started_at: Option<String>,
    /// The first write error, reported at the end (the run then exits 5).
    pub error: Option<super::results::WriteError>,
    /// The run's report, once the run has finished.
    pub report: Option<RunReport>,
}

impl Files {
    /// A reporter writing into `dir`. `covering` maps requirement IDs to every scenario covering
    /// them (selected or not), to tell "not run" from "uncovered".
    pub fn new(
        dir: PathBuf,
        catalogue: Catalogue,
        revisions: BTreeMap<Proposal, Revision>,
        covering: BTreeMap<String, Vec<String>>,
        partition: Option<String>,
        selection: SelectionInfo,
        faults: Vec<String>,
    ) -> Self {
        Files {
            dir,
            catalogue,
            revisions,
            covering,
            targets: Vec::new(),
            results: Vec::new(),
            partition,
            selection,
            faults,
            started_at: None,
            error: None,
            report: None,
        }
    }

    fn write(&mut self, name: &str, text: &str) {
        use super::results::WriteError;
        // Names come from scenario ids (suite folder and file stem); a name that would leave
        // the report folder is refused rather than written elsewhere.
        let Some(p) = join_under(&self.dir, name) else {
            self.error.get_or_insert(WriteError {
                action: "write",
                path: self.dir.join(crate::escape::escape_control(name)),
                source: std::io::Error::other("the name leaves the report folder"),
            });
            return;
        };
        let written = match p.parent() {
            Some(parent) => std::fs::create_dir_all(parent),
            None => Ok(()),
        }
        .and_then(|_| std::fs::write(&p, text));
        if let Err(e) = written {
            self.error.get_or_insert(WriteError {
                action: "write",
                path: p,
                source: e,
            });
        }
    }
}

impl Reporter for Files {
    fn event(&mut self, ev: &RunEvent) {
        match &ev.kind {
            EventKind::RunStarted { .. } => {
                let started = crate::clock::now_ms() - ev.elapsed.as_millis() as i64;
                self.started_at = Some(crate::clock::utc_timestamp(started));
            }
            EventKind::TargetReady { target } => self.targets.push(target.clone()),
            EventKind::ScenarioFinished { result, transcript } => {
                if let Some(t) = &result.transcript {
                    self.write(t, transcript);
                }
                self.results.push((**result).clone());
            }
            EventKind::RunFinished { stats } => {
                let requirements = rollup(
                    &self.catalogue,
                    &self.revisions,
                    &self.results,
                    &self.covering,
                );
                let report = RunReport {
                    schema_version: SCHEMA_VERSION,
                    mscheck_version: env!("CARGO_PKG_VERSION").to_string(),
                    started_at: self.started_at.clone(),
                    revisions: self.revisions.clone(),
                    targets: self.targets.clone(),
                    partition: self.partition.clone(),
                    selection: self.selection.clone(),
                    faults: self.faults.clone(),
                    stats: stats.clone(),
                    scenarios: self.results.clone(),
                    requirements,
                };
                if let Err(e) = write_report(&report, &self.dir) {
                    self.error.get_or_insert(e);
                }
                self.report = Some(report);
            }
            _ => {}
        }
    }
}

/// Writes `results.json`, `junit.xml`, `summary.md` and `report.html` into `dir`.
pub fn write_report(report: &RunReport, dir: &Path) -> Result<(), WriteError> {
    let json = serde_json::to_string_pretty(report).map_err(|e| WriteError {
        action: "serialise",
        path: dir.join("results.json"),
        source: std::io::Error::other(e),
    })?;
    let files = [
        ("results.json", json),
        (
            "junit.xml",
            super::junit::render(&report.scenarios, &report.stats),
        ),
        ("summary.md", super::markdown::render(report)),
        ("report.html", super::html::render(report, dir)),
    ];
    std::fs::create_dir_all(dir).map_err(|e| WriteError {
        action: "create",
        path: dir.to_path_buf(),
        source: e,
    })?;
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| WriteError {
            action: "write",
            path: p.clone(),
            source: e,
        })?;
    }
    Ok(())
}

/// `base/relative` when `relative` is a plain relative path (no `..`, no root, no prefix, no
/// empty or control-character component), so the result cannot leave `base`; else `None`.
pub fn join_under(base: &std::path::Path, relative: &str) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let rel = std::path::Path::new(relative);
    let plain = !relative.is_empty()
        && !relative.chars().any(char::is_control)
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| base.join(rel))
}

#[cfg(test)]
mod join_tests {
    use super::*;

    #[test]
    fn joined_paths_stay_under_their_base() {
        let base = std::path::Path::new("/r");
        assert_eq!(
            join_under(base, "transcripts/a/b.txt"),
            Some(std::path::PathBuf::from("/r/transcripts/a/b.txt"))
        );
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a\u{1b}b"] {
            assert_eq!(join_under(base, bad), None, "{bad:?}");
        }
    }
}
