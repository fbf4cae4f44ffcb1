//! A run's results as one value ([`RunReport`]): what `results.json` holds, and what every other
//! report file (`junit.xml`, `summary.md`, `report.html`) is rendered from. A run writes it; the
//! `compare`, `merge` and `baseline` commands read it back.

use std::path::Path;

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
