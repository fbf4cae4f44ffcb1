//! What a run is asked to do, as typed values: the CLI parses its flags into a [`RunRequest`], a
//! Rust program builds one directly (see `examples/check_my_server.rs`). Nothing here reads a
//! file or contacts a server; [`super::Session::start`] checks and carries it out.

use crate::catalogue::{Proposal, Revision};
use crate::plan::Partition;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Which scenarios.
#[derive(Debug, Clone, Default)]
pub struct SelectRequest {
    /// Only these suites (folders under `suites/`); all when empty.
    pub suites: Vec<String>,
    /// Only scenarios whose id or name contains one of these; all when empty.
    pub filters: Vec<String>,
    /// Only scenarios covering one of these requirement IDs; all when empty.
    pub requirements: Vec<String>,
    /// The revision per proposal; a proposal left out is checked at its newest text.
    pub revisions: BTreeMap<Proposal, Revision>,
    /// One slice of the selection.
    pub partition: Option<Partition>,
    /// The folder holding `suites/` and `fixtures/` (default: the current folder when it has
    /// them, else the copy built into mscheck).
    pub root: Option<PathBuf>,
    /// Only what did not pass in the report folder's last run (at its revisions, unless
    /// `revisions` names some).
    pub last_failed: bool,
}

/// How users are created on an external server. Secrets come from the environment
/// (`MSCHECK_SHARED_SECRET`, `MSCHECK_REGISTRATION_TOKEN`, and `MSCHECK_HS2_…` for hs2), never
/// from a value that could end up in a process list or a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RegistrationMethod {
    /// Synapse's shared-secret admin API.
    #[default]
    SharedSecret,
    /// A registration token.
    Token,
    /// Open registration.
    Open,
}

impl RegistrationMethod {
    /// The flag's word.
    pub fn word(self) -> &'static str {
        match self {
            RegistrationMethod::SharedSecret => "shared-secret",
            RegistrationMethod::Token => "token",
            RegistrationMethod::Open => "open",
        }
    }
}

/// The servers under test.
#[derive(Debug, Clone)]
pub enum Servers {
    /// Servers mscheck starts and stops itself.
    Managed {
        /// `synapse` (the pinned release), `synapse@1.157.0`, a profile name in
        /// `fixtures/targets/`, or a profile file.
        target: String,
        /// A Synapse checkout or wheel to install instead of a release.
        synapse_from: Option<PathBuf>,
        /// The program of a profile that runs a command.
        program: Option<PathBuf>,
    },
    /// Servers someone else runs.
    External {
        /// hs1's client-server URL.
        hs1: String,
        /// A second server federating with hs1.
        hs2: Option<String>,
        /// How users are created on them.
        registration: RegistrationMethod,
        /// What hs1 is (default: what its federation `/version` says, on loopback).
        implementation: Option<String>,
        /// Its version.
        version: Option<String>,
    },
}

impl Default for Servers {
    fn default() -> Self {
        Servers::Managed {
            target: "synapse".into(),
            synapse_from: None,
            program: None,
        }
    }
}

/// Which expectations file (known failures) a run uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExpectationsFile {
    /// The shipped one for hs1's implementation and version, if there is one.
    #[default]
    Shipped,
    /// None: every failure counts.
    None,
    /// This file.
    Path(PathBuf),
}

/// What a run does with snapshots that are new or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SnapshotPolicy {
    /// Report them and leave them for review; they never fail a scenario.
    #[default]
    Review,
    /// Changed snapshots fail the run.
    Strict,
    /// Accept them (refused when `CI` is set).
    Update,
}

impl SnapshotPolicy {
    /// The flag's word.
    pub fn word(self) -> &'static str {
        match self {
            SnapshotPolicy::Review => "review",
            SnapshotPolicy::Strict => "strict",
            SnapshotPolicy::Update => "update",
        }
    }
}

/// A run, as asked for.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Which scenarios.
    pub select: SelectRequest,
    /// Which servers.
    pub servers: Servers,
    /// Where the report folder goes (default: `target/mscheck-report` beside the suites, or
    /// `./mscheck-report` when they are the built-in copy).
    pub report_dir: Option<PathBuf>,
    /// Known failures.
    pub expectations: ExpectationsFile,
    /// Named faults from `fixtures/faults.yaml`.
    pub inject: Vec<String>,
    /// New and changed snapshots.
    pub snapshots: SnapshotPolicy,
    /// Scenarios at once (default: six per core, 4 to 32).
    pub jobs: Option<usize>,
    /// The most read of one answer (default 16 MiB).
    pub max_body: Option<usize>,
    /// Room for large answers in the report folder (default 128 MiB).
    pub transcript_budget: Option<u64>,
    /// Whether a recommendation (SHOULD, SHOULD NOT, MAY) not met fails the run.
    pub strict: bool,
    /// The run is a CI job: snapshots are never written (pending ones go to the report folder)
    /// and `SnapshotPolicy::Update` is refused. The CLI sets it when `CI` is in the environment.
    pub ci: bool,
}

impl RunRequest {
    /// A run of every scenario against an external server at `url` (users created with
    /// Synapse's shared-secret API unless [`RunRequest::registration`] says otherwise).
    pub fn external(url: &str) -> Self {
        RunRequest {
            servers: Servers::External {
                hs1: url.to_string(),
                hs2: None,
                registration: RegistrationMethod::default(),
                implementation: None,
                version: None,
            },
            ..Default::default()
        }
    }

    /// Only scenarios whose id or name contains `text` (may be given several times).
    pub fn filter(mut self, text: &str) -> Self {
        self.select.filters.push(text.to_string());
        self
    }

    /// Checks `proposal` at `revision`.
    pub fn revision(mut self, proposal: Proposal, revision: Revision) -> Self {
        self.select.revisions.insert(proposal, revision);
        self
    }

    /// Creates users on the external servers this way.
    pub fn registration(mut self, method: RegistrationMethod) -> Self {
        if let Servers::External { registration, .. } = &mut self.servers {
            *registration = method;
        }
        self
    }

    /// Writes the report folder here.
    pub fn report_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.report_dir = Some(dir.into());
        self
    }

    /// Uses these known failures (or none).
    pub fn expectations(mut self, file: ExpectationsFile) -> Self {
        self.expectations = file;
        self
    }
}
