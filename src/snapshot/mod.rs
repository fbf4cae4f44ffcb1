//! Snapshots: normalised responses stored per implementation in insta's `.snap` format.
//!
//! A file is `snapshots/<implementation>/<suite>__<scenario>@<name>.snap`: a YAML header between
//! `---` lines (`source`, `expression`, `description`, `info`) and the normalised JSON body.
//! Only the body is compared. A snapshot is evidence of how an implementation answers, not a
//! requirement: it never fails a scenario. Each comparison is reported as new, changed, unchanged
//! or accepted beside the requirement verdict ([`SnapshotRecord`]); `--snapshots strict` lets CI
//! fail the run on changed ones. Policy ([`SnapshotMode`]): new or changed snapshots leave
//! `<file>.new` for review; `--snapshots update` writes in place; under `CI` the snapshot folder
//! is never written and pending snapshots go to the report folder instead.

mod normalise;

pub use normalise::normalise;

use crate::catalogue::Revision;
use crate::results::{SnapshotRecord, SnapshotStatus};
use crate::scenario::{Scenario, Step};
use serde_json::Value;
use std::path::PathBuf;

/// What to do with snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Compare; write `.snap.new` beside the stored snapshot for new or changed ones.
    Review,
    /// Compare; write new or changed ones in place (accept).
    Update,
    /// Compare; leave the snapshot folder alone and write pending ones into the report (CI).
    ReportOnly,
    /// No snapshots: the implementation is unknown, so there is nothing to compare with.
    Off,
}

/// Where and how.
#[derive(Debug, Clone)]
pub struct SnapshotSettings {
    /// `snapshots/<implementation>/`.
    pub dir: PathBuf,
    /// Where pending snapshots go in [`SnapshotMode::ReportOnly`] (`<report>/snapshots/<impl>/`).
    pub report_dir: PathBuf,
    /// Policy.
    pub mode: SnapshotMode,
    /// Whether a changed snapshot makes the run fail (`--snapshots strict`).
    pub strict: bool,
    /// `synapse 1.163.2` for the header.
    pub info: String,
}

/// Result of comparing one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotOutcome {
    /// Same body.
    Matched,
    /// Nothing to compare with (no implementation name: [`SnapshotMode::Off`]).
    NotCompared,
    /// Written in place (update mode); the path.
    Written(String),
    /// No stored snapshot; where a pending one was written, if any.
    Missing {
        /// `.snap.new` path.
        pending: Option<String>,
    },
    /// Different body.
    Changed {
        /// Unified diff, stored → new.
        diff: String,
        /// `.snap.new` path.
        pending: Option<String>,
    },
}

/// The file name of a snapshot.
pub fn file_name(scenario: &Scenario, name: &str) -> String {
    let stem = scenario.id.rsplit('/').next().unwrap_or(&scenario.id);
    format!("{}__{}@{}.snap", scenario.suite, stem, name)
}

/// Renders a snapshot file.
pub fn render(
    source: &str,
    expression: &str,
    description: &str,
    info: &str,
    body: &Value,
) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        "---\nsource: {}\nexpression: {}\ndescription: {}\ninfo: {}\n---\n{}\n",
        q(source),
        q(expression),
        q(description),
        q(info),
        serde_json::to_string_pretty(body).unwrap_or_default()
    )
}

/// The body of a snapshot file (after the second `---` line).
pub fn body_of(file_text: &str) -> &str {
    let mut parts = file_text.splitn(3, "---\n");
    let _ = parts.next();
    let _ = parts.next();
    parts.next().unwrap_or("").trim_end()
}

/// A snapshot file (or its folder) that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct SnapshotWriteError {
    /// `create` (the folder) or `write`.
    pub action: &'static str,
    /// The folder or file.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

/// A snapshot as a step takes it: its name, the request, and the value kept.
#[derive(Debug, Clone, Copy)]
pub struct Taken<'a> {
    /// The snapshot's name in the step.
    pub name: &'a str,
    /// `METHOD /path` of the request.
    pub request_line: &'a str,
    /// What is kept (the body, or the part the step selects).
    pub value: &'a Value,
}

/// Compares a response against its stored snapshot, following the mode; `revision` is the one
/// the scenario's proposal is checked at, `known` the IDs normalised to names.
pub fn check(
    settings: &SnapshotSettings,
    scenario: &Scenario,
    step: &Step,
    taken: Taken<'_>,
    known: &[(String, String)],
    revision: Revision,
) -> Result<SnapshotOutcome, SnapshotWriteError> {
    if settings.mode == SnapshotMode::Off {
        return Ok(SnapshotOutcome::NotCompared);
    }
    let normalised = normalise(taken.value, known);
    let request = format!("{}: {}", step.id, taken.request_line);
    let expression = normalise::normalise_request_line(&request, known);
    let info = format!("{}, {}={}", settings.info, scenario.proposal, revision);
    let file = scenario.file.to_string_lossy();
    let covers = scenario.covers.join(", ");
    let text = render(&file, &expression, &covers, &info, &normalised);
    let name = taken.name;
    let path = settings.dir.join(file_name(scenario, name));
    let new_body = body_of(&text).to_string();
    let pending_path = match settings.mode {
        SnapshotMode::ReportOnly => settings
            .report_dir
            .join(format!("{}.new", file_name(scenario, name))),
        _ => PathBuf::from(format!("{}.new", path.display())),
    };
    let write = |p: &PathBuf| write_snapshot(p, &text);
    if settings.mode == SnapshotMode::Update {
        // Accepting makes any pending copy from an earlier review stale.
        let _ = std::fs::remove_file(&pending_path);
    }
    match std::fs::read_to_string(&path) {
        Ok(stored) => {
            let old_body = body_of(&stored);
            if old_body == new_body {
                let _ = std::fs::remove_file(&pending_path);
                return Ok(SnapshotOutcome::Matched);
            }
            let diff = similar::TextDiff::from_lines(old_body, new_body.as_str())
                .unified_diff()
                .context_radius(3)
                .header("stored", "received")
                .to_string();
            match settings.mode {
                SnapshotMode::Update => Ok(SnapshotOutcome::Written(write(&path)?)),
                SnapshotMode::Review | SnapshotMode::ReportOnly => Ok(SnapshotOutcome::Changed {
                    diff,
                    pending: Some(write(&pending_path)?),
                }),
                SnapshotMode::Off => Ok(SnapshotOutcome::Changed {
                    diff,
                    pending: None,
                }),
            }
        }
        Err(_) => match settings.mode {
            SnapshotMode::Update => Ok(SnapshotOutcome::Written(write(&path)?)),
            SnapshotMode::Review | SnapshotMode::ReportOnly => Ok(SnapshotOutcome::Missing {
                pending: Some(write(&pending_path)?),
            }),
            SnapshotMode::Off => Ok(SnapshotOutcome::Missing { pending: None }),
        },
    }
}

/// Writes a snapshot file (and its folder); its path as text.
fn write_snapshot(p: &PathBuf, text: &str) -> Result<String, SnapshotWriteError> {
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|source| SnapshotWriteError {
            action: "create",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(p, text).map_err(|source| SnapshotWriteError {
        action: "write",
        path: p.clone(),
        source,
    })?;
    Ok(p.to_string_lossy().to_string())
}

/// A record of `outcome` for step `step`'s snapshot `name`.
pub fn record(step: &str, name: &str, outcome: SnapshotOutcome) -> SnapshotRecord {
    let (status, pending, diff) = match outcome {
        SnapshotOutcome::Matched => (SnapshotStatus::Unchanged, None, None),
        SnapshotOutcome::NotCompared => (SnapshotStatus::NotCompared, None, None),
        SnapshotOutcome::Written(p) => (SnapshotStatus::Accepted, Some(p), None),
        SnapshotOutcome::Missing { pending } => (SnapshotStatus::New, pending, None),
        SnapshotOutcome::Changed { diff, pending } => {
            (SnapshotStatus::Changed, pending, Some(diff))
        }
    };
    SnapshotRecord {
        step: step.to_string(),
        name: name.to_string(),
        status,
        pending,
        diff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_format_round_trips_the_body() {
        let text = render(
            "suites/a/b.yaml",
            "step-1: GET /x",
            "S-13",
            "synapse 1.163.2, msc4354=newest",
            &json!({"a": 1}),
        );
        assert!(text.starts_with("---\nsource: \"suites/a/b.yaml\"\n"));
        assert_eq!(body_of(&text), "{\n  \"a\": 1\n}");
    }
}
