//! A run's results as one value ([`RunReport`]): what `results.json` holds, and what every other
//! report file (`junit.xml`, `summary.md`, `report.html`) is rendered from. A run writes it; the
//! `compare`, `merge` and `baseline` commands read it back.

use super::rollup::RequirementStatus;
use crate::catalogue::{Proposal, Revision};
use crate::runner::events::{RunStats, ScenarioResult, TargetInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Version of the `results.json` schema (see `docs/results-schema.md`).
pub const SCHEMA_VERSION: u32 = 1;

/// `results.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// Schema version.
    pub schema_version: u32,
    /// mscheck's version.
    pub mscheck_version: String,
    /// When the run started (UTC, `2026-12-05T19:58:03Z`); absent in results written before it
    /// was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Revision per proposal.
    pub revisions: BTreeMap<Proposal, Revision>,
    /// Homeservers.
    pub targets: Vec<TargetInfo>,
    /// Partition (`k/n`), if any.
    pub partition: Option<String>,
    /// What was selected before partitioning (`--suite`, `--filter`), so that partitions of one
    /// selection can be told from others when merged.
    #[serde(default)]
    pub selection: SelectionInfo,
    /// Active faults (`--inject`).
    pub faults: Vec<String>,
    /// Counts and timing.
    pub stats: RunStats,
    /// Per scenario.
    pub scenarios: Vec<ScenarioResult>,
    /// Per requirement of the chosen revisions.
    pub requirements: Vec<RequirementStatus>,
}

/// The selection flags of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionInfo {
    /// `--suite`, sorted.
    pub suites: Vec<String>,
    /// `--filter`, sorted.
    pub filters: Vec<String>,
}

/// Why results could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read results from {}: {detail}", path.display())]
pub struct ReadError {
    /// The file or folder given.
    pub path: PathBuf,
    /// What went wrong.
    pub detail: String,
}

impl RunReport {
    /// Reads `results.json`, given itself or the report folder holding it.
    pub fn load(path: &Path) -> Result<RunReport, ReadError> {
        let file = if path.is_dir() {
            path.join("results.json")
        } else {
            path.to_path_buf()
        };
        let err = |detail: String| ReadError {
            path: file.clone(),
            detail,
        };
        let text = crate::util::read_text_capped(&file, MAX_RESULTS_FILE)
            .map_err(|e| err(e.to_string()))?;
        let report: RunReport = serde_json::from_str(&text).map_err(|e| {
            err(format!(
                "not an mscheck results file: {e} (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if report.schema_version != SCHEMA_VERSION {
            return Err(err(format!(
                "schema version {} (this mscheck reads {SCHEMA_VERSION})",
                report.schema_version
            )));
        }
        Ok(report)
    }
}

pub use crate::util::MAX_RESULTS_FILE;

/// A report file that could not be written: which, doing what, and the OS error.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct WriteError {
    /// `create`, `write`, `clear`.
    pub action: &'static str,
    /// The file or folder.
    pub path: std::path::PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

impl From<WriteError> for crate::error::Error {
    fn from(e: WriteError) -> Self {
        crate::error::Error::Report {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

/// The files of a report folder that state a verdict or show a run's evidence. They are
/// removed before a run contacts any server, so a run that ends early (bad input found late, an
/// unreachable server, a crash) never leaves an earlier run's verdict behind.
pub const RUN_FILES: &[&str] = &[
    "results.json",
    "junit.xml",
    "summary.md",
    "report.html",
    "transcripts",
    "snapshots",
    "homeservers",
];

/// Removes a report folder's [`RUN_FILES`] (creating the folder if needed).
pub fn clear_run_files(dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|e| WriteError {
        action: "create",
        path: dir.to_path_buf(),
        source: e,
    })?;
    for name in RUN_FILES {
        let p = dir.join(name);
        let removed = match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p),
            Ok(_) => std::fs::remove_file(&p),
        };
        removed.map_err(|e| WriteError {
            action: "clear",
            path: p,
            source: e,
        })?;
    }
    // Whether the folder takes files at all (read-only, full): found now, not after the run.
    let probe = dir.join(".mscheck-write-test");
    std::fs::write(&probe, b"")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| WriteError {
            action: "write",
            path: probe,
            source: e,
        })
}
