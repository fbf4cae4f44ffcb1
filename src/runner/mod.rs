//! The runner: runs planned scenarios concurrently on the targets it is given (a scenario that
//! stops, restarts or pauses a server gets private managed servers of its own), and emits
//! [`events::RunEvent`]s.

pub mod absent;
pub mod blame;
mod call;
mod capture;
mod check;
mod error;
pub mod events;
pub mod exec;
pub mod lifetime;
mod sample;
pub mod schedule;
mod setup;

pub use error::{ErrorKind, HarnessError, StepError, TransportError};

use crate::catalogue::{Proposal, Revision};
use crate::client::fault::Fault;
use crate::client::Client;
use crate::expectations::Expectations;
use crate::homeserver::Targets;
use crate::redact::Redactor;
use crate::scenario::{Scenario, Step};
use crate::snapshot::SnapshotSettings;
use crate::util::Held;
use events::{
    EventKind, Failure, FailureKind, Observation, Outcome, RunEvent, RunStats, ScenarioResult,
    StepRecord, Timing,
};
use exec::ScenarioRun;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedSender;

impl StepError {
    fn waited(self, context: String) -> Self {
        match self {
            StepError::Check(mut f) => {
                f.message = format!("{context}: {}", f.message);
                StepError::Check(f)
            }
            other => other,
        }
    }

    fn at_step(self, step: &Step) -> Self {
        self.located(&step.id, step.pos)
    }

    fn located(self, step: &str, pos: crate::scenario::Pos) -> Self {
        match self {
            StepError::Check(mut f) => {
                if f.pos == crate::scenario::Pos::default() {
                    f.pos = pos;
                }
                StepError::Check(f)
            }
            e @ (StepError::Transport(_) | StepError::Harness(_)) => {
                let kind = match e.kind() {
                    ErrorKind::Transport => FailureKind::Transport,
                    _ => FailureKind::Harness,
                };
                StepError::Check(Box::new(Failure::error(kind, step, pos, e.to_string())))
            }
            skip @ StepError::NotAdvertised(_) => skip,
        }
    }

    /// The failure this error stands for, or the skip reason when the server does not
    /// advertise what the scenario needs.
    fn into_failure(self) -> Result<Failure, String> {
        match self.located("setup", Default::default()) {
            StepError::Check(f) => Ok(*f),
            StepError::NotAdvertised(why) => Err(why),
            _ => unreachable!("located() yields Check or NotAdvertised"),
        }
    }
}

/// How to boot a private managed server for a scenario that stops, restarts or pauses one, so
/// that it disturbs no other scenario and runs alongside them.
#[derive(Debug, Clone)]
pub struct PrivateServers {
    /// The profile and provisioning of the run's managed servers.
    pub setup: crate::homeserver::ManagedSetup,
    /// Parent folder of the servers' data and logs (`<report>/homeservers/`).
    pub dir: std::path::PathBuf,
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
    /// The run's budget for large bodies in transcripts (see [`crate::client::transcript`]).
    pub bodies: Arc<crate::client::transcript::BodyBudget>,
    /// Scenarios whose proposal hs1 does not implement, by id (see [`absent`]).
    pub absent: BTreeMap<String, events::Absence>,
    user_serial: AtomicU64,
    /// Servers that answered the newest MSC4140 scheduling endpoint with "unrecognised": their
    /// `schedule` steps use the older query parameter for the rest of the run.
    schedule_endpoint_unknown: std::sync::Mutex<std::collections::BTreeSet<String>>,
    events: UnboundedSender<RunEvent>,
    started: Instant,
    /// Private-server boots that may run at once (see [`schedule::boot_slots`]).
    boot_slots: Arc<tokio::sync::Semaphore>,
}

impl RunContext {
    /// A context; events go to `events`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        targets: Targets,
        http: reqwest::Client,
        redactor: Arc<Redactor>,
        faults: Vec<Fault>,
        revisions: BTreeMap<Proposal, Revision>,
        snapshots: SnapshotSettings,
        events: UnboundedSender<RunEvent>,
        started: Instant,
    ) -> Self {
        RunContext {
            targets,
            http,
            redactor,
            faults: Arc::new(faults),
            revisions,
            snapshots,
            run_id: crate::homeserver::keys::random_hex::<3>(),
            private_servers: None,
            bodies: Arc::new(crate::client::transcript::BodyBudget::new(None, 0)),
            absent: BTreeMap::new(),
            user_serial: AtomicU64::new(0),
            schedule_endpoint_unknown: Default::default(),
            events,
            started,
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
            bodies: self.bodies.clone(),
            absent: self.absent.clone(),
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
    pub fn schedule_endpoint_unknown(&self, hs: &str) -> bool {
        self.schedule_endpoint_unknown.held().contains(hs)
    }

    /// Remembers that `hs` does not have the MSC4140 scheduling endpoint.
    pub fn note_schedule_endpoint_unknown(&self, hs: &str) {
        self.schedule_endpoint_unknown.held().insert(hs.to_string());
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

/// Why a scenario is skipped on these targets, if it is. `profile` is the managed servers'
/// profile (none for external targets).
pub fn skip_reason(
    s: &Scenario,
    targets: &Targets,
    profile: Option<&crate::homeserver::profile::Profile>,
) -> Option<String> {
    if let Some(only) = &s.requires.implementation {
        if targets.all().iter().any(|h| &h.implementation != only) {
            return Some(format!(
                "written for {only} only (it sets {only}'s own configuration); hs1 is {}",
                targets.hs1.implementation
            ));
        }
    }
    if !s.requires.server.is_empty() {
        match profile {
            None => {
                return Some(format!(
                    "needs a managed homeserver configured for it ({}), which external targets do not offer",
                    s.requires
                        .server
                        .iter()
                        .map(|n| n.display())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            Some(p) => {
                if let Err(need) = p.overlay_for(&s.requires.server) {
                    return Some(format!(
                        "profile `{}` cannot set {need}",
                        p.implementation
                    ));
                }
            }
        }
    }
    // Managed targets boot a private pair for such a scenario, whatever the shared set holds.
    let private_pair = s.requires.private_servers() && targets.hs1.has_lifecycle();
    if s.requires.homeservers > 1 && targets.hs2.is_none() && !private_pair {
        return Some("needs two homeservers (give --hs2, or use managed servers)".into());
    }
    if s.requires.lifecycle && !targets.all().iter().all(|h| h.has_lifecycle()) {
        return Some(
            "needs lifecycle control (stop/start/pause), which external targets do not offer"
                .into(),
        );
    }
    if s.requires.homeserver_config.is_some() && !targets.all().iter().all(|h| h.has_lifecycle()) {
        return Some(
            "needs a managed homeserver with its own configuration (`homeserver_config`), which external targets do not offer"
                .into(),
        );
    }
    if s.users.iter().any(|u| u.appservice) && !targets.all().iter().all(|h| h.appservice.is_some())
    {
        return Some(
            "acts as an application service, which only managed homeservers register".into(),
        );
    }
    if s.uses_fake_server() {
        let needed = if s.requires.homeservers > 1 {
            targets.all()
        } else {
            vec![&targets.hs1]
        };
        if let Some(h) = needed
            .into_iter()
            .find(|h| crate::federation::client::loopback_address(&h.server_name).is_err())
        {
            return Some(format!(
                "uses the fake federating server, which only reaches loopback server names (`localhost:<port>`); {} is `{}`",
                h.name, h.server_name
            ));
        }
    }
    for f in &s.requires.features {
        if let Some(h) = targets.all().into_iter().find(|h| !h.advertises(f)) {
            return Some(format!(
                "not advertised: {} does not list `{f}` in /versions unstable_features",
                h.name
            ));
        }
    }
    None
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
                let revision = ctx
                    .revisions
                    .get(&s.proposal)
                    .copied()
                    .unwrap_or(Revision::Newest);
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

/// The result of a scenario whose task panicked: errored, with the panic's message.
fn panicked(s: &Scenario, revision: Revision, e: tokio::task::JoinError) -> ScenarioResult {
    let message = match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|m| m.to_string()))
            .unwrap_or_else(|| "a panic without a message".into()),
        Err(e) => e.to_string(),
    };
    ScenarioResult {
        outcome: Outcome::Errored,
        failure: Some(Failure::error(
            FailureKind::Harness,
            "setup",
            Default::default(),
            format!("mscheck crashed while running this scenario (a bug in mscheck; please report it): {message}"),
        )),
        ..ScenarioResult::not_run(s, revision)
    }
}

impl ScenarioResult {
    /// A scenario's result before it runs: skipped, with nothing recorded yet.
    fn not_run(s: &Scenario, revision: Revision) -> Self {
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

/// The expectations file's reason for this scenario at the run's revision, if it is listed.
fn expected_reason(expectations: &Expectations, s: &Scenario, ctx: &RunContext) -> Option<String> {
    let revision = ctx
        .revisions
        .get(&s.proposal)
        .copied()
        .unwrap_or(Revision::Newest);
    expectations.reason_for(s, revision).map(str::to_string)
}

async fn run_one(
    s: Arc<Scenario>,
    ctx: Arc<RunContext>,
    expected_reason: Option<String>,
    slot: u32,
) -> ScenarioResult {
    let revision = ctx
        .revisions
        .get(&s.proposal)
        .copied()
        .unwrap_or(Revision::Newest);
    let mut result = ScenarioResult::not_run(&s, revision);
    if let Some(absence) = ctx.absent.get(&s.id) {
        // One finding for the whole proposal: the scenario is not run.
        (result.outcome, result.reason) = match &absence.known {
            Some(why) => (
                Outcome::ExpectedFailure,
                Some(format!("{} (expected: {why})", absence.finding())),
            ),
            None => (Outcome::NotImplemented, Some(absence.finding())),
        };
        ctx.emit(EventKind::ScenarioFinished {
            result: Box::new(result.clone()),
            transcript: String::new(),
        });
        return result;
    }
    let profile = ctx.private_servers.as_ref().map(|p| &*p.setup.profile);
    if let Some(reason) = skip_reason(&s, &ctx.targets, profile) {
        result.reason = Some(reason);
        ctx.emit(EventKind::ScenarioFinished {
            result: Box::new(result.clone()),
            transcript: String::new(),
        });
        return result;
    }
    ctx.emit(EventKind::ScenarioStarted { id: s.id.clone() });
    let started = Instant::now();
    result.timing = Some(Timing {
        started_ms: ctx.started.elapsed().as_millis() as u64,
        slot,
        boot_ms: None,
    });
    // A scenario that stops or pauses a server, or configures it, gets servers of its own.
    let (ctx, private) = match (&ctx.private_servers, s.requires.private_servers()) {
        (Some(p), true) => {
            let dir = p.dir.join(s.id.replace('/', "__"));
            // The needs, in this implementation's configuration keys (skip_reason made sure the
            // profile can express them), plus raw configuration for its own scenarios.
            let mut overlay = p
                .setup
                .profile
                .overlay_for(&s.requires.server)
                .unwrap_or_default();
            if let Some(raw) = &s.requires.homeserver_config {
                crate::homeserver::managed::merge(&mut overlay, raw);
            }
            // Booting keeps a core busy for seconds: only a few at once.
            let boot_slot = ctx.boot_slots.clone().acquire_owned().await;
            let booted = Targets::boot_managed(
                &p.setup,
                &dir,
                s.requires.homeservers,
                Some(&overlay),
                &ctx.http,
                &|_| {},
            )
            .await;
            drop(boot_slot);
            if let Some(t) = &mut result.timing {
                t.boot_ms = Some(started.elapsed().as_millis() as u64);
            }
            match booted {
                Ok(t) => {
                    for h in t.all() {
                        for secret in h.secrets() {
                            ctx.redactor.add_secret(secret);
                        }
                    }
                    (Arc::new(ctx.with_targets(t.clone())), Some(t))
                }
                Err(e) => {
                    result.outcome = Outcome::Errored;
                    result.failure = Some(Failure::error(
                        FailureKind::Transport,
                        "setup",
                        Default::default(),
                        format!("cannot boot the scenario's private homeserver: {e}"),
                    ));
                    result.duration_ms = started.elapsed().as_millis() as u64;
                    ctx.emit(EventKind::ScenarioFinished {
                        result: Box::new(result.clone()),
                        transcript: String::new(),
                    });
                    return result;
                }
            }
        }
        _ => (ctx, None),
    };
    let client = Client::new(ctx.http.clone(), ctx.redactor.clone(), ctx.faults.clone())
        .with_bodies(ctx.bodies.clone());
    let run = ScenarioRun::new(s.clone(), ctx.clone(), client.clone());
    let body = async {
        run.setup().await?;
        run.check_capabilities().await?;
        run.run_steps(&s.steps).await
    };
    let outcome = match tokio::time::timeout(s.timeout, body).await {
        Ok(r) => r,
        Err(_) => Err(StepError::Transport(TransportError::Timeout(format!(
            "scenario timeout: not finished within {}",
            crate::util::human_duration(s.timeout)
        )))),
    };
    if let Some(t) = private {
        t.shutdown().await;
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.steps = run.records();
    result.snapshots = run.snapshots.held().clone();
    result.snapshots_written = result
        .snapshots
        .iter()
        .filter_map(|s| s.pending.clone())
        .collect();
    result.observations = run
        .observations
        .held()
        .iter()
        .map(|o| Observation {
            value: o.value.as_ref().map(|v| ctx.redactor.json(v)),
            ..o.clone()
        })
        .collect();
    result.series = std::mem::take(&mut *run.series.held());
    let failure = match outcome.err().map(StepError::into_failure) {
        None => None,
        Some(Ok(mut f)) => {
            f.source = source_line(&s.file, f.pos);
            Some(redact_failure(f, &ctx.redactor))
        }
        Some(Err(not_advertised)) => {
            result.outcome = Outcome::Skipped;
            result.reason = Some(not_advertised);
            result.transcript = Some(format!("transcripts/{}.txt", s.id.replace('/', "__")));
            let transcript = client.transcript().render(&ctx.redactor);
            ctx.emit(EventKind::ScenarioFinished {
                result: Box::new(result.clone()),
                transcript,
            });
            return result;
        }
    };
    result.outcome = match (&failure, &expected_reason) {
        (None, None) => Outcome::Passed,
        (None, Some(_)) => Outcome::UnexpectedPass,
        // A listed scenario that errors is a known gap too (a server without an endpoint may
        // not answer at all); `mscheck baseline` lists errors for that reason.
        (Some(_), Some(_)) => Outcome::ExpectedFailure,
        (Some(f), _) if f.is_check => Outcome::Failed,
        (Some(_), _) => Outcome::Errored,
    };
    result.reason = expected_reason;
    if let Some(f) = &failure {
        result.judged = blame::judge(&s.covers, &s.judging_order(), &f.step);
    }
    result.failure = failure;
    result.transcript = Some(format!("transcripts/{}.txt", s.id.replace('/', "__")));
    let transcript = client.transcript().render(&ctx.redactor);
    ctx.emit(EventKind::ScenarioFinished {
        result: Box::new(result.clone()),
        transcript,
    });
    result
}

/// The scenario file's line at `pos` with a caret under its column, for failure reports.
fn source_line(file: &std::path::Path, pos: crate::scenario::Pos) -> Option<String> {
    if pos.line == 0 {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().nth(pos.line - 1)?;
    let caret = " ".repeat(pos.column.saturating_sub(1) + format!("{} | ", pos.line).len());
    Some(format!("{} | {line}\n{caret}^", pos.line))
}

/// A failure as every report shows it: secrets redacted, and what came from the server cut to
/// a few KB with control characters escaped (a failure quotes answers, which may be huge or hold
/// terminal escapes). The transcript keeps more.
fn redact_failure(mut f: Failure, r: &Redactor) -> Failure {
    use crate::client::bounded::{excerpt, excerpt_lines, EXCERPT_CHARS};
    f.message = excerpt_lines(&r.text(&f.message), 4 * EXCERPT_CHARS);
    f.expected = f.expected.map(|x| excerpt(&x, EXCERPT_CHARS));
    f.actual = f.actual.map(|x| excerpt(&r.text(&x), EXCERPT_CHARS));
    f.body = f.body.map(|x| excerpt(&r.text(&x), EXCERPT_CHARS));
    f.request = f.request.map(|x| excerpt(&r.text(&x), 512));
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_scenario_is_an_error_with_the_panic_message() {
        let (_, scenarios) = crate::scenario::shipped_suites();
        let e = tokio::spawn(async { panic!("boom at step 3") })
            .await
            .unwrap_err();
        let r = panicked(&scenarios[0], Revision::Newest, e);
        assert_eq!(r.outcome, Outcome::Errored);
        assert!(r.outcome.is_bad(), "the run fails");
        let f = r.failure.unwrap();
        assert!(f.message.contains("boom at step 3"), "{}", f.message);
        assert!(!f.is_check);
    }
}
