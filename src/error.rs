//! Top-level errors and exit codes.

use crate::homeserver::HomeserverError;
use crate::scenario::Diagnostics;

/// Exit codes, one per kind of ending.
pub mod exit {
    /// Every scenario passed (expected failures and skips allowed).
    pub const OK: i32 = 0;
    /// At least one unexpected failure or error.
    pub const FAILURES: i32 = 1;
    /// Bad input: flags, suite files, catalogue, expectations, faults.
    pub const BAD_INPUT: i32 = 2;
    /// The target could not be started or reached.
    pub const TARGET: i32 = 3;
    /// mscheck itself crashed (a bug; managed servers were stopped).
    pub const CRASH: i32 = 4;
    /// The report folder could not be written: the run's verdict is not on disk.
    pub const REPORT: i32 = 5;
    /// Interrupted by Ctrl-C (servers were stopped).
    pub const INTERRUPTED: i32 = 130;
}

/// Why mscheck could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Problems in suite, catalogue, expectations or fault files.
    #[error("{0}")]
    Suite(Diagnostics),
    /// A bad flag or combination of flags.
    #[error("error: {0}")]
    Usage(String),
    /// A homeserver could not be started or reached.
    #[error("error: {0}")]
    Target(#[from] HomeserverError),
    /// Reading or writing a file failed.
    #[error("error: cannot {action} {path}: {source}")]
    Io {
        /// What was being done (`write`, `read`).
        action: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The report folder could not be prepared or written (read-only or full filesystem, a file
    /// where a folder should be): what the run found is not on disk, so it must not look passed.
    #[error("error: cannot write the report: cannot {action} {path}: {source}")]
    Report {
        /// What was being done (`create`, `write`, `clear`).
        action: &'static str,
        /// The file or folder.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--last-failed` after a run in which everything passed.
    #[error("nothing to rerun: every scenario of the last run in {} passed", .0.display())]
    NothingToRerun(std::path::PathBuf),
    /// Ctrl-C.
    #[error("interrupted: managed homeservers were stopped")]
    Interrupted,
    /// The runner itself panicked: a bug in mscheck, not the input's fault nor the server's.
    #[error("error: mscheck crashed (a bug; please report it): {0}")]
    Crash(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Suite(_) | Error::Usage(_) => exit::BAD_INPUT,
            Error::Target(_) => exit::TARGET,
            Error::Io { .. } => exit::BAD_INPUT,
            Error::Report { .. } => exit::REPORT,
            Error::NothingToRerun(_) => exit::OK,
            Error::Interrupted => exit::INTERRUPTED,
            Error::Crash(_) => exit::CRASH,
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Suite(d)
    }
}
