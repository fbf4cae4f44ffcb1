//! A run's results as data: the servers, every scenario's outcome, steps, failure, observations,
//! snapshots, timing and sampled series, and the counts. What `results.json` holds, what the
//! runner's events carry and what every report and regression tool reads.

use super::blame::Judged;
use super::failure::Failure;
use crate::catalogue::{Proposal, Revision};
use crate::yaml::Pos;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A proposal the server does not implement at all: one finding instead of a failure per
/// scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    /// The report group (`MSC4480 sliding-sync extension for sticky events`).
    pub group: String,
    /// What showed it (`hs1 does not advertise org.matrix.msc4140 in /versions`).
    pub why: String,
    /// The scenarios of the plan it takes.
    pub scenarios: Vec<String>,
    /// The expectations file's reason, when it lists the proposal as not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

impl Absence {
    /// `MSC4480 sliding-sync extension for sticky events is not implemented: <why>`.
    pub fn finding(&self) -> String {
        format!("{} is not implemented: {}", self.group, self.why)
    }
}

/// A homeserver of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `hs1` / `hs2`.
    pub name: String,
    /// Client-server URL.
    pub url: String,
    /// Matrix server name.
    pub server_name: String,
    /// `synapse`, or what `--implementation` says.
    pub implementation: String,
    /// Version, or `unknown`.
    pub version: String,
    #[serde(default)]
    /// How the implementation and version were learnt (`GET /_matrix/federation/v1/version`,
    /// `--implementation`, managed by mscheck).
    pub identified_by: String,
    /// Managed by mscheck.
    pub managed: bool,
    /// Advertised unstable features that matter here.
    pub features: BTreeMap<String, bool>,
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// A check did not hold: the server broke a requirement.
    Failed,
    /// The harness could not finish it (transport error, timeout, bad template).
    Errored,
    /// Not run (with a reason).
    Skipped,
    /// Failed, as the expectations file says it would.
    ExpectedFailure,
    /// Passed, although the expectations file says it fails.
    UnexpectedPass,
    /// Not run: the server does not implement the scenario's proposal at all (one finding for
    /// all of them, see [`Absence`]).
    NotImplemented,
    /// A check that judges only recommendations (SHOULD, SHOULD NOT, MAY) did not hold: the
    /// server does not do what the text recommends. Reported, but it fails the run only under
    /// `--strict`.
    Warned,
}

impl Outcome {
    /// Whether this outcome makes the run fail.
    pub fn is_bad(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::Errored | Outcome::NotImplemented
        )
    }
}

/// One step's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step id.
    pub id: String,
    /// Where it is written.
    pub pos: Pos,
    /// Step kind.
    pub kind: String,
    /// Whether it passed.
    pub passed: bool,
    /// Requests made (polling makes several).
    pub attempts: u32,
    /// Wall time.
    pub duration_ms: u64,
}

/// A value a step recorded without judging it (`observe:`): which allowed behaviour the server
/// chose, or what it does where the text only asks to report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Observation {
    /// The step that observed it.
    pub step: String,
    /// The name given in the suite.
    pub label: String,
    /// What was found; `null` when the source selected nothing.
    pub value: Option<serde_json::Value>,
}

impl Observation {
    /// `label = value` for one-line displays.
    pub fn display(&self) -> String {
        let value = match &self.value {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => crate::text::trim_json(v, 120),
            None => "(nothing)".into(),
        };
        format!("{} = {value}", self.label)
    }
}

/// A scenario's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// `suite/stem`.
    pub id: String,
    /// Suite folder.
    pub suite: String,
    /// Title.
    pub name: String,
    /// File.
    pub file: String,
    /// Requirement IDs covered.
    pub covers: Vec<String>,
    /// Its proposal.
    pub proposal: Proposal,
    /// The report group it belongs to at the revision it ran at (MSC4480 for the sliding-sync
    /// extension's scenarios at the newest revision).
    #[serde(default)]
    pub group: String,
    /// The revision it ran at.
    pub revision: Revision,
    /// How it ended.
    pub outcome: Outcome,
    /// Skip reason or expectation reason.
    pub reason: Option<String>,
    /// The first failure, if any.
    pub failure: Option<Failure>,
    /// Steps run.
    pub steps: Vec<StepRecord>,
    /// Wall time.
    pub duration_ms: u64,
    /// Transcript file, relative to the report folder.
    pub transcript: Option<String>,
    /// Snapshots written as pending (`.snap.new`) or updated.
    pub snapshots_written: Vec<String>,
    #[serde(default)]
    /// Every snapshot comparison (new, changed, unchanged, accepted): reported beside the
    /// verdict, never part of it.
    pub snapshots: Vec<super::snapshot::SnapshotRecord>,
    /// What the scenario's `observe:` steps recorded, in order.
    pub observations: Vec<Observation>,
    /// Requirements this scenario covers whose text changed after the checked (newest)
    /// revision: `"<ID>: <what changed>"` (see the catalogue's `merged`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spec_moved: Vec<String>,
    /// For a scenario that did not pass, what became of each requirement it covers: broken by
    /// the failing step (one that judges it), held (every step judging it passed before the
    /// failure), or not reached (a step judging it comes after the failure). Empty when the
    /// scenario passed, was skipped, or blames everything it covers.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub judged: std::collections::BTreeMap<String, Judged>,
    /// When and where it ran, for the run timeline; absent for scenarios that did not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Every series a `sample:` step took, for the lifetime charts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<super::lifetime::Series>,
}

/// When a scenario ran within its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Milliseconds after the run started.
    pub started_ms: u64,
    /// The job slot it ran on (0 to `--jobs` − 1).
    pub slot: u32,
    /// How long booting its private homeservers took, if it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_ms: Option<u64>,
}

/// Counts at the end of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunStats {
    /// Scenarios planned.
    pub planned: usize,
    /// By outcome.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Errored.
    pub errored: usize,
    /// Skipped.
    pub skipped: usize,
    /// Expected failures.
    pub expected_failures: usize,
    /// Unexpected passes.
    pub unexpected_passes: usize,
    /// Not run because their proposal is not implemented.
    #[serde(default)]
    pub not_implemented: usize,
    /// Ended with a recommendation (SHOULD, SHOULD NOT, MAY) not met.
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub warned: usize,
    /// Whether a recommendation not met fails the run (`--strict`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// The proposals found not implemented.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<Absence>,
    /// Wall time.
    pub duration_ms: u64,
    /// The slowest scenario and its time.
    pub slowest: Option<(String, u64)>,
    /// Snapshot comparisons by status: new, changed, unchanged, accepted.
    #[serde(default)]
    pub snapshots: SnapshotCounts,
    /// Whether changed snapshots fail the run (`--snapshots strict`).
    #[serde(default)]
    pub snapshots_strict: bool,
    /// Large bodies the transcripts keep only the head of, because the run's budget for them
    /// was spent (a server answering megabytes again and again).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub transcript_bodies_cut: u64,
}

impl ScenarioResult {
    /// The report group: `group`, or the proposal's title for results written before groups.
    pub fn group_title(&self) -> &str {
        crate::catalogue::group_or_title(&self.group, self.proposal)
    }
}

impl RunStats {
    /// What the report says when transcripts lost bodies to the budget.
    pub fn transcripts_note(&self) -> Option<String> {
        (self.transcript_bodies_cut > 0).then(|| {
            format!(
                "{} answers over 64 KB kept as their first 4 KB only: the run's budget for large bodies (--transcript-budget) was spent",
                self.transcript_bodies_cut
            )
        })
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}

/// How many snapshots compared which way.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SnapshotCounts {
    /// None stored yet.
    pub new: usize,
    /// Different from the stored one.
    pub changed: usize,
    /// Same as the stored one.
    pub unchanged: usize,
    /// Written in place.
    pub accepted: usize,
    /// Not compared: the implementation has no name.
    #[serde(default)]
    pub not_compared: usize,
}

impl SnapshotCounts {
    /// `2 new, 1 changed, 30 unchanged` (zero counts left out), or `None` without snapshots.
    pub fn sentence(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.new, "new"),
            (self.changed, "changed"),
            (self.unchanged, "unchanged"),
            (self.accepted, "accepted"),
            (
                self.not_compared,
                "not compared (the server's implementation has no name: give --implementation)",
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl RunStats {
    /// Adds a result.
    pub fn add(&mut self, r: &ScenarioResult) {
        match r.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Errored => self.errored += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::ExpectedFailure => self.expected_failures += 1,
            Outcome::UnexpectedPass => self.unexpected_passes += 1,
            Outcome::NotImplemented => self.not_implemented += 1,
            Outcome::Warned => self.warned += 1,
        }
        for snap in &r.snapshots {
            use super::snapshot::SnapshotStatus as S;
            match snap.status {
                S::New => self.snapshots.new += 1,
                S::Changed => self.snapshots.changed += 1,
                S::Unchanged => self.snapshots.unchanged += 1,
                S::Accepted => self.snapshots.accepted += 1,
                S::NotCompared => self.snapshots.not_compared += 1,
            }
        }
        if r.outcome != Outcome::Skipped
            && self
                .slowest
                .as_ref()
                .is_none_or(|(_, d)| r.duration_ms > *d)
        {
            self.slowest = Some((r.id.clone(), r.duration_ms));
        }
    }

    /// The counts as one sentence, for the terminal and the Markdown summary.
    pub fn counts(&self) -> String {
        let mut absent = if self.not_implemented > 0 {
            format!(", {} not implemented", self.not_implemented)
        } else {
            String::new()
        };
        if self.warned > 0 {
            absent.push_str(&format!(
                ", {} with a recommendation not met{}",
                self.warned,
                if self.strict {
                    " (--strict: they fail the run)"
                } else {
                    ""
                }
            ));
        }
        format!(
            "{} passed, {} failed, {} errors, {} skipped, {} expected failures, {} unexpected passes{absent}",
            self.passed, self.failed, self.errored, self.skipped, self.expected_failures, self.unexpected_passes
        )
    }

    /// Whether the run passed (the only place this is decided). Snapshots count only under
    /// `--snapshots strict`, and then only changed ones: a new snapshot has nothing to drift from.
    pub fn success(&self) -> bool {
        self.failed == 0
            && self.errored == 0
            && self.not_implemented == 0
            && !(self.strict && self.warned > 0)
            && !(self.snapshots_strict && self.snapshots.changed > 0)
    }
}

impl ScenarioResult {
    /// A scenario's result before it runs: skipped, with nothing recorded yet.
    pub fn not_run(s: &crate::scenario::Scenario, revision: Revision) -> Self {
        ScenarioResult {
            id: s.id.clone(),
            suite: s.suite.clone(),
            name: s.name.clone(),
            file: s.file.to_string_lossy().to_string(),
            covers: s.covers.clone(),
            proposal: s.proposal,
            group: s.group(revision).to_string(),
            revision,
            outcome: Outcome::Skipped,
            reason: None,
            failure: None,
            steps: Vec::new(),
            duration_ms: 0,
            transcript: None,
            snapshots_written: Vec::new(),
            snapshots: Vec::new(),
            observations: Vec::new(),
            spec_moved: match revision {
                Revision::Newest => s.merged_notes.clone(),
                Revision::Seed => Vec::new(),
            },
            judged: Default::default(),
            timing: None,
            series: Vec::new(),
        }
    }
}
