//! What the runner tells reporters. Reporters see only these events, never runner state.
//!
//! Lifecycle: `RunStarted` → `Progress`* → `ProposalAbsent`* → `TargetReady`+ →
//! (`ScenarioStarted` → `StepFinished`* → `ScenarioFinished`)* → `RunFinished`; a scenario
//! skipped before it starts gets only its `ScenarioFinished`, whose outcome says so. The data the
//! events carry (and `results.json` holds) is [`crate::results`].

use crate::catalogue::{Proposal, Revision};
use crate::results::{Absence, RunStats, ScenarioResult, StepRecord, TargetInfo};
use std::collections::BTreeMap;
use std::time::Duration;

/// One event.
#[derive(Debug, Clone)]
pub struct RunEvent {
    /// Time since the run started.
    pub elapsed: Duration,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of events.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// The plan is known.
    RunStarted {
        /// Scenarios to run.
        planned: usize,
        /// Revision per proposal.
        revisions: BTreeMap<Proposal, Revision>,
        /// Where the report folder is being written.
        report_dir: std::path::PathBuf,
    },
    /// Setup progress (installing, starting servers).
    Progress {
        /// One line.
        message: String,
    },
    /// Before the scenarios: a proposal hs1 does not implement at all. Its scenarios are not run;
    /// they end [`Outcome::NotImplemented`] (or expected failures, when the expectations file
    /// lists the proposal as not implemented).
    ProposalAbsent {
        /// Which, why, and how many scenarios it takes.
        absence: Absence,
    },
    /// A homeserver answered `/versions`.
    TargetReady {
        /// Its description.
        target: TargetInfo,
    },
    /// A scenario began.
    ScenarioStarted {
        /// Its id.
        id: String,
    },
    /// A step completed (passed or not).
    StepFinished {
        /// Scenario id.
        scenario: String,
        /// The step's record.
        step: StepRecord,
    },
    /// A scenario completed.
    ScenarioFinished {
        /// Its result.
        result: Box<ScenarioResult>,
        /// The redacted HTTP transcript.
        transcript: String,
    },
    /// The run completed.
    RunFinished {
        /// Counts and timing.
        stats: RunStats,
    },
}
