//! A run's results as one value ([`RunReport`]): what `results.json` holds, read back by the
//! regression tools (`compare`, `merge`, `baseline`, `matrix`).

use super::records::{RunStats, ScenarioResult, TargetInfo};
use super::rollup::RequirementStatus;
use crate::catalogue::{Proposal, Revision};
pub use crate::limits::MAX_RESULTS_FILE;
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
    /// `--requirement`, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
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
        let text = crate::limits::read_text_capped(&file, MAX_RESULTS_FILE)
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
