//! The runner: runs planned scenarios concurrently on the targets it is given (a scenario that
//! stops, restarts or pauses a server gets private managed servers of its own), and emits
//! [`events::RunEvent`]s.

pub mod absent;
pub mod applicable;
mod call;
mod capture;
mod check;
mod error;
pub mod events;
pub mod evidence;
pub mod exec;
pub mod fake_steps;
mod one;
pub mod positions;
mod private;
mod sample;
pub mod schedule;
mod setup;
mod verdict;

pub use error::{HarnessError, NotAdvertised, StepError, TransportError};
pub use private::{shared_servers_needed, Prebooted, PrivateServers};

use crate::catalogue::{Proposal, Revision, RevisionOf};
use crate::expectations::Expectations;
use crate::fault::Fault;
use crate::held::Held;
use crate::homeserver::Targets;
use crate::redact::Redactor;
use crate::results::{Failure, RunStats, ScenarioResult, StepRecord};
use crate::scenario::{Scenario, Step};
use crate::snapshot::SnapshotSettings;
use events::{EventKind, RunEvent};
use one::{expected_reason, panicked, run_one};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;

impl StepError {
    fn waited(self, context: String) -> Self {
        match self {
            StepError::Failed(mut f) => {
                f.message = format!("{context}: {}", f.message);
                StepError::Failed(f)
            }
            other => other,
        }
    }

    fn at_step(self, step: &Step) -> Self {
        self.located(&step.id, step.pos)
    }

    fn located(self, step: &str, pos: crate::scenario::Pos) -> Self {
        match self.into_failure_at(step, pos) {
            Ok(f) => StepError::Failed(Box::new(f)),
            Err(NotAdvertised(why)) => StepError::NotAdvertised(why),
        }
    }

    /// The failure this error stands for (placed at the set-up when no step placed it), or the
    /// skip reason when the server does not advertise what the scenario needs.
    fn into_failure(self) -> Result<Failure, NotAdvertised> {
        self.into_failure_at("setup", Default::default())
    }
}

/// Everything scenarios share during a run.
pub struct RunContext {
    /// The servers.
    pub targets: Targets,
    /// Connection pool.
    pub http: reqwest::Client,
    /// Secrets.
    pub redactor: Arc<Redactor>,
    /// Active faults.
    pub faults: Arc<Vec<Fault>>,
    /// Revision per proposal.
    pub revisions: BTreeMap<Proposal, Revision>,
    /// Snapshot policy and location.
    pub snapshots: SnapshotSettings,
    /// A short random id making user names unique per run.
    pub run_id: String,
    /// Where private managed servers for lifecycle scenarios are booted (managed runs only).
    pub private_servers: Option<PrivateServers>,
    /// One scenario's private servers, booted before the run to identify the target.
    prebooted: Prebooted,
    /// The run's budget for large bodies in transcripts (see [`crate::client::transcript`]).
    pub bodies: Arc<crate::client::transcript::BodyBudget>,
    /// Scenarios whose proposal hs1 does not implement, by id (see [`absent`]).
    pub absent: BTreeMap<String, crate::results::Absence>,
    /// The same absences by report group: a step of another proposal's scenario that judges
    /// only IDs of an absent group ends "not implemented" rather than failed.
    pub absent_groups: BTreeMap<String, crate::results::Absence>,
    /// The named windows the managed servers' profile sets (see
    /// [`crate::scenario::windows`]); empty for external targets, which get the defaults.
    pub windows: BTreeMap<String, std::time::Duration>,
    /// Where `windows` come from, for the report (`profile synapse`).
    pub windows_from: String,
    user_serial: AtomicU64,
    /// Servers that answered the newest MSC4140 scheduling endpoint with "unrecognised": their
    /// `schedule` steps use the older query parameter for the rest of the run.
    schedule_endpoint_unknown: std::sync::Mutex<std::collections::BTreeSet<crate::hs::Hs>>,
    events: UnboundedSender<RunEvent>,
    started: Instant,
    /// Private-server boots that may run at once (see [`schedule::boot_slots`]).
    boot_slots: Arc<tokio::sync::Semaphore>,
}

/// What a run's context is built from; the context adds its own counters and the limit on
/// private-server boots.
pub struct RunParts {
    /// The shared servers.
    pub targets: Targets,
    /// Connection pool.
    pub http: reqwest::Client,
    /// Secrets.
    pub redactor: Arc<Redactor>,
    /// Active faults.
    pub faults: Vec<Fault>,
    /// Revision per proposal.
    pub revisions: BTreeMap<Proposal, Revision>,
    /// Snapshot policy and location.
    pub snapshots: SnapshotSettings,
    /// A short random id making user names unique per run ([`new_run_id`]).
    pub run_id: String,
    /// Where lifecycle scenarios boot their own servers (managed runs only).
    pub private_servers: Option<PrivateServers>,
    /// One scenario's private servers, already booted (they are `targets`).
    pub prebooted: Prebooted,
    /// The run's budget for large bodies in transcripts.
    pub bodies: Arc<crate::client::transcript::BodyBudget>,
    /// Proposals hs1 does not implement (see [`absent`]).
    pub absences: Vec<crate::results::Absence>,
    /// The managed profile's named windows, and where they come from.
    pub windows: BTreeMap<String, std::time::Duration>,
    /// `profile synapse`, or empty.
    pub windows_from: String,
    /// Where events go.
    pub events: UnboundedSender<RunEvent>,
    /// When the run started.
    pub started: Instant,
}

/// A short random id making a run's user names unique.
pub fn new_run_id() -> String {
    crate::random::random_hex::<3>()
}

impl RunContext {
    /// A context from its parts; events go to `parts.events`.
    pub fn new(parts: RunParts) -> Self {
        let mut absent = BTreeMap::new();
        let mut absent_groups = BTreeMap::new();
        for a in parts.absences {
            for id in &a.scenarios {
                absent.insert(id.clone(), a.clone());
            }
            absent_groups.insert(a.group.clone(), a);
        }
        RunContext {
            targets: parts.targets,
            http: parts.http,
            redactor: parts.redactor,
            faults: Arc::new(parts.faults),
            revisions: parts.revisions,
            snapshots: parts.snapshots,
            run_id: parts.run_id,
            private_servers: parts.private_servers,
            prebooted: parts.prebooted,
            bodies: parts.bodies,
            absent,
            absent_groups,
            windows: parts.windows,
            windows_from: parts.windows_from,
            user_serial: AtomicU64::new(0),
            schedule_endpoint_unknown: Default::default(),
            events: parts.events,
            started: parts.started,
            boot_slots: Arc::new(tokio::sync::Semaphore::new(schedule::boot_slots(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ))),
        }
    }

    /// The same context with other servers (for a scenario's private servers).
    fn with_targets(&self, targets: Targets) -> RunContext {
        RunContext {
            targets,
            http: self.http.clone(),
            redactor: self.redactor.clone(),
            faults: self.faults.clone(),
            revisions: self.revisions.clone(),
            snapshots: self.snapshots.clone(),
            run_id: self.run_id.clone(),
            private_servers: None,
            prebooted: Prebooted::default(),
            bodies: self.bodies.clone(),
            absent: self.absent.clone(),
            absent_groups: self.absent_groups.clone(),
            windows: self.windows.clone(),
            windows_from: self.windows_from.clone(),
            user_serial: AtomicU64::new(0),
            schedule_endpoint_unknown: Default::default(),
            events: self.events.clone(),
            started: self.started,
            boot_slots: self.boot_slots.clone(),
        }
    }

    /// How the active faults tell fake federating servers to misbehave.
    pub fn fake_misbehaviours(&self) -> Vec<crate::federation::Misbehaviour> {
        self.faults
            .iter()
            .flat_map(|f| f.fake.iter().copied())
            .collect()
    }

    /// Whether `hs` is known not to have the MSC4140 scheduling endpoint.
    pub fn schedule_endpoint_unknown(&self, hs: crate::hs::Hs) -> bool {
        self.schedule_endpoint_unknown.held().contains(&hs)
    }

    /// Remembers that `hs` does not have the MSC4140 scheduling endpoint.
    pub fn note_schedule_endpoint_unknown(&self, hs: crate::hs::Hs) {
        self.schedule_endpoint_unknown.held().insert(hs);
    }

    /// A unique number for user names.
    pub fn next_user_serial(&self) -> u64 {
        self.user_serial.fetch_add(1, Ordering::SeqCst)
    }

    /// Emits an event.
    pub fn emit(&self, kind: EventKind) {
        let _ = self.events.send(RunEvent {
            elapsed: self.started.elapsed(),
            kind,
        });
    }

    fn step_finished(&self, scenario: &str, step: StepRecord) {
        self.emit(EventKind::StepFinished {
            scenario: scenario.to_string(),
            step,
        });
    }
}

/// Why a scenario cannot run on these servers, if it cannot (see [`applicable`]).
pub fn skip_reason(
    s: &Scenario,
    targets: &Targets,
    profile: Option<&crate::homeserver::profile::Profile>,
) -> Option<String> {
    match applicable::Offer::of(targets, profile).judge(s) {
        applicable::Applicable::Skipped(reason) => Some(reason),
        // Booted servers have answered: nothing is left undecided.
        applicable::Applicable::Runs | applicable::Applicable::Depends(_) => None,
    }
}

/// Runs the planned scenarios; returns every result in plan order.
pub async fn run(
    plan: Vec<Arc<Scenario>>,
    ctx: Arc<RunContext>,
    expectations: &Expectations,
    jobs: usize,
    previous: &BTreeMap<String, u64>,
) -> (Vec<ScenarioResult>, RunStats) {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let slots = Arc::new(schedule::Slots::default());
    let mut handles = Vec::new();
    // Longest first, each started as soon as a slot is free: the run's critical path.
    let listed = |s: &Scenario| expected_reason(expectations, s, &ctx).is_some();
    let order = schedule::longest_first(&plan, previous, &listed);
    for s in order {
        let ctx = ctx.clone();
        let reason = expected_reason(expectations, &s, &ctx);
        let permit = semaphore
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        let task = s.clone();
        let slots = slots.clone();
        handles.push((
            s,
            tokio::spawn(async move {
                let _permit = permit;
                let slot = slots.take();
                run_one(task, ctx, reason, slot.number).await
            }),
        ));
    }
    let mut results: BTreeMap<String, ScenarioResult> = BTreeMap::new();
    for (s, h) in handles {
        let r = match h.await {
            Ok(r) => r,
            // A scenario whose task panicked is an error of that scenario, never a silent gap.
            Err(e) => {
                let revision = ctx.revisions.revision_of(s.proposal);
                let r = panicked(&s, revision, e);
                ctx.emit(EventKind::ScenarioFinished {
                    result: Box::new(r.clone()),
                    transcript: String::new(),
                });
                r
            }
        };
        results.insert(r.id.clone(), r);
    }
    let mut stats = RunStats {
        planned: plan.len(),
        ..Default::default()
    };
    let ordered: Vec<ScenarioResult> = plan.iter().filter_map(|s| results.remove(&s.id)).collect();
    for r in &ordered {
        stats.add(r);
    }
    stats.duration_ms = ctx.started.elapsed().as_millis() as u64;
    stats.snapshots_strict = ctx.snapshots.strict;
    stats.transcript_bodies_cut = ctx.bodies.cut_bodies();
    for a in ctx.absent.values() {
        if !stats.absent.contains(a) {
            stats.absent.push(a.clone());
        }
    }
    (ordered, stats)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
