//! `mscheck merge DIR…`: puts the report folders of a `--partition k/n` run back together into
//! one report, as if the selection had run on one machine.

use crate::plan::Partition;
use crate::results::rollup::{status_of, verdict_in, RequirementStatus};
use crate::results::RunReport;
use crate::results::RunStats;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why slices cannot be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A folder's results could not be read.
    #[error(transparent)]
    Read(#[from] crate::results::ReadError),
    /// A report without `--partition`.
    #[error("{} is not a slice of a partitioned run (it has no `partition`)", .0.display())]
    NotASlice(PathBuf),
    /// Slices of different runs.
    #[error("{} (slice {slice}) is from another selection than {}: {what} differ", path.display(), first.display())]
    DifferentSelection {
        /// The odd one out.
        path: PathBuf,
        /// Its slice.
        slice: String,
        /// The first folder.
        first: PathBuf,
        /// Which part of the selection differs.
        what: &'static str,
    },
    /// The same slice twice.
    #[error("slice {slice} is given twice: {} and {}", a.display(), b.display())]
    Duplicate {
        /// `k/n`.
        slice: String,
        /// One folder.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    /// A slice is missing.
    #[error("slice {0} is missing: give the report folders of every slice 1/n … n/n")]
    Missing(String),
}

/// Reads the slices, checks they are every slice of one selection exactly once, and merges them.
pub fn merge(dirs: &[PathBuf]) -> Result<RunReport, MergeError> {
    let mut slices: BTreeMap<usize, (PathBuf, RunReport)> = BTreeMap::new();
    let mut count = None;
    for dir in dirs {
        let r = RunReport::load(dir)?;
        let p: Partition = r
            .partition
            .as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| MergeError::NotASlice(dir.clone()))?;
        if let Some((first_dir, first)) = slices.values().next() {
            let what = if count != Some(p.count) {
                Some("the numbers of slices")
            } else if first.selection != r.selection {
                Some("--suite/--filter/--requirement")
            } else if first.revisions != r.revisions {
                Some("revisions")
            } else if first.faults != r.faults {
                Some("injected faults")
            } else {
                None
            };
            if let Some(what) = what {
                return Err(MergeError::DifferentSelection {
                    path: dir.clone(),
                    slice: p.to_string(),
                    first: first_dir.clone(),
                    what,
                });
            }
        }
        count = Some(p.count);
        if let Some((other, _)) = slices.get(&p.index) {
            return Err(MergeError::Duplicate {
                slice: p.to_string(),
                a: other.clone(),
                b: dir.clone(),
            });
        }
        slices.insert(p.index, (dir.clone(), r));
    }
    let n = count.ok_or_else(|| MergeError::Missing("1/?".into()))?;
    if let Some(k) = (1..=n).find(|k| !slices.contains_key(k)) {
        return Err(MergeError::Missing(format!("{k}/{n}")));
    }
    let reports: Vec<RunReport> = slices.into_values().map(|(_, r)| r).collect();
    Ok(combine(reports))
}

/// One report from the slices (checked already).
fn combine(reports: Vec<RunReport>) -> RunReport {
    let first = reports[0].clone();
    let mut scenarios: Vec<_> = reports.iter().flat_map(|r| r.scenarios.clone()).collect();
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    let mut stats = RunStats {
        planned: reports.iter().map(|r| r.stats.planned).sum(),
        // The slices ran side by side on separate machines: the run took as long as the longest.
        duration_ms: reports
            .iter()
            .map(|r| r.stats.duration_ms)
            .max()
            .unwrap_or(0),
        snapshots_strict: reports.iter().any(|r| r.stats.snapshots_strict),
        ..Default::default()
    };
    for s in &scenarios {
        stats.add(s);
    }
    // Every slice lists every requirement of the revisions; a requirement's scenarios are
    // spread over the slices.
    let mut requirements: Vec<RequirementStatus> = Vec::new();
    for req in &first.requirements {
        let mut covering: Vec<(String, crate::results::Outcome)> = reports
            .iter()
            .flat_map(|r| r.requirements.iter().filter(|x| x.id == req.id))
            .flat_map(|x| x.scenarios.clone())
            .collect();
        covering.sort();
        let verdicts: Vec<crate::results::rollup::Status> = scenarios
            .iter()
            .filter(|s| covering.iter().any(|(id, _)| *id == s.id))
            .map(|s| verdict_in(s, &req.id))
            .collect();
        let status = if verdicts.is_empty() {
            req.status
        } else {
            status_of(true, &verdicts, true)
        };
        requirements.push(RequirementStatus {
            status,
            scenarios: covering,
            ..req.clone()
        });
    }
    let mut targets = first.targets.clone();
    for r in &reports[1..] {
        for t in &r.targets {
            if !targets.iter().any(|x| {
                x.name == t.name && x.implementation == t.implementation && x.version == t.version
            }) {
                targets.push(t.clone());
            }
        }
    }
    RunReport {
        partition: None,
        targets,
        stats,
        scenarios,
        requirements,
        ..first
    }
}

/// Copies each slice's transcripts and homeserver logs into the merged folder (logs under
/// `homeservers/slice-k/`, since every slice has its own `hs1`).
pub fn copy_artifacts(dirs: &[PathBuf], out: &Path) -> std::io::Result<()> {
    for dir in dirs {
        let slice = RunReport::load(dir)
            .ok()
            .and_then(|r| r.partition)
            .unwrap_or_default()
            .replace('/', "-of-");
        copy_tree(&dir.join("transcripts"), &out.join("transcripts"))?;
        copy_tree(
            &dir.join("homeservers"),
            &out.join("homeservers").join(format!("slice-{slice}")),
        )?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)?.flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()))?;
        } else {
            std::fs::copy(&p, to.join(e.file_name()))?;
        }
    }
    Ok(())
}
