//! What every scenario of a run shares: the servers, the connection pool, secrets, faults,
//! revisions, snapshot settings, how private servers are booted, the absences found before the
//! run, the profile's windows, and where events go.

use super::events::{EventKind, RunEvent};
use super::private::{Prebooted, PrivateServers};
use super::schedule;
use crate::catalogue::{Proposal, Revision};
use crate::fault::Fault;
use crate::held::Held;
use crate::homeserver::Targets;
use crate::redact::Redactor;
use crate::results::StepRecord;
use crate::snapshot::SnapshotSettings;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;

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
    pub(super) prebooted: Prebooted,
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
    pub(super) user_serial: AtomicU64,
    /// Servers that answered the newest MSC4140 scheduling endpoint with "unrecognised": their
    /// `schedule` steps use the older query parameter for the rest of the run.
    pub(super) schedule_endpoint_unknown:
        std::sync::Mutex<std::collections::BTreeSet<crate::hs::Hs>>,
    pub(super) events: UnboundedSender<RunEvent>,
    pub(super) started: Instant,
    /// Private-server boots that may run at once (see [`schedule::boot_slots`]).
    pub(super) boot_slots: Arc<tokio::sync::Semaphore>,
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
    pub(super) fn with_targets(&self, targets: Targets) -> RunContext {
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

    pub(super) fn step_finished(&self, scenario: &str, step: StepRecord) {
        self.emit(EventKind::StepFinished {
            scenario: scenario.to_string(),
            step,
        });
    }
}
