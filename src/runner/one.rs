//! Running one scenario, from its start to its result: one finding when its proposal is absent,
//! a skip when the servers cannot be set up for it, private servers when it stops or configures
//! one, its steps under the scenario's timeout, and the result every report reads (outcome,
//! failure with its source line, redacted, what each covered requirement became).

use super::events::EventKind;

use super::applicable::skip_reason;
use super::context::RunContext;
use super::error::{StepError, TransportError};
use super::exec::ScenarioRun;
use crate::catalogue::{Revision, RevisionOf};
use crate::client::Client;
use crate::expectations::Expectations;
use crate::homeserver::Targets;
use crate::redact::Redactor;
use crate::results::{Failure, FailureKind, Observation, Outcome, ScenarioResult, Timing};
use crate::scenario::Scenario;
use std::sync::Arc;
use std::time::Instant;

/// The result of a scenario whose task panicked: errored, with the panic's message.
pub(super) fn panicked(
    s: &Scenario,
    revision: Revision,
    e: tokio::task::JoinError,
) -> ScenarioResult {
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

/// The expectations file's reason for this scenario at the run's revision, if it is listed.
pub(super) fn expected_reason(
    expectations: &Expectations,
    s: &Scenario,
    ctx: &RunContext,
) -> Option<String> {
    let revision = ctx.revisions.revision_of(s.proposal);
    expectations.reason_for(s, revision).map(str::to_string)
}

pub(super) async fn run_one(
    s: Arc<Scenario>,
    ctx: Arc<RunContext>,
    expected_reason: Option<String>,
    slot: u32,
) -> ScenarioResult {
    let (result, transcript) = outcome(&s, &ctx, expected_reason, slot).await;
    ctx.emit(EventKind::ScenarioFinished {
        result: Box::new(result.clone()),
        transcript,
    });
    result
}

/// A scenario's result, and its transcript (empty when it never started).
async fn outcome(
    s: &Arc<Scenario>,
    ctx: &Arc<RunContext>,
    expected_reason: Option<String>,
    slot: u32,
) -> (ScenarioResult, String) {
    let revision = ctx.revisions.revision_of(s.proposal);
    let mut result = ScenarioResult::not_run(s, revision);
    if let Some(absence) = ctx.absent.get(&s.id) {
        // One finding for the whole proposal: the scenario is not run.
        (result.outcome, result.reason) = super::verdict::absence_outcome(&[absence]);
        return (result, String::new());
    }
    let profile = ctx.private_servers.as_ref().map(|p| &*p.setup.profile);
    if let Some(reason) = skip_reason(s, &ctx.targets, profile) {
        result.reason = Some(reason);
        return (result, String::new());
    }
    ctx.emit(EventKind::ScenarioStarted { id: s.id.clone() });
    let started = Instant::now();
    result.timing = Some(Timing {
        started_ms: ctx.started.elapsed().as_millis() as u64,
        slot,
        boot_ms: None,
    });
    let booted = private_servers(s, ctx).await;
    if ctx.private_servers.is_some() && s.requires.private_servers() {
        if let Some(t) = &mut result.timing {
            t.boot_ms = Some(started.elapsed().as_millis() as u64);
        }
    }
    let (ctx, private) = match booted {
        Ok(booted) => booted,
        Err(failure) => {
            result.outcome = Outcome::Errored;
            result.failure = Some(failure);
            result.duration_ms = started.elapsed().as_millis() as u64;
            return (result, String::new());
        }
    };
    let (steps, transcript) = run_steps(s, &ctx, &mut result).await;
    if let Some(t) = private {
        t.shutdown().await;
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    let failure = match steps.err().map(StepError::into_failure) {
        None => None,
        Some(Ok(mut f)) => {
            f.source = source_line(&s.file, f.pos);
            Some(redact_failure(f, &ctx.redactor))
        }
        Some(Err(super::error::NotAdvertised(not_advertised))) => {
            result.outcome = Outcome::Skipped;
            result.reason = Some(not_advertised);
            return (result, transcript);
        }
    };
    result.outcome = match (&failure, &expected_reason) {
        (None, None) => Outcome::Passed,
        (None, Some(_)) => Outcome::UnexpectedPass,
        // A listed scenario that errors is a known gap too (a server without an endpoint may
        // not answer at all); `mscheck baseline` lists errors for that reason.
        (Some(_), Some(_)) => Outcome::ExpectedFailure,
        (Some(f), _) if f.is_check_failure() => Outcome::Failed,
        (Some(_), _) => Outcome::Errored,
    };
    result.reason = expected_reason;
    if let Some(f) = &failure {
        super::verdict::weigh(s, &ctx, revision, f, &mut result);
    }
    result.failure = failure;
    (result, transcript)
}

/// Sets the scenario up and runs its steps under its timeout; what they left goes into the
/// result. The steps' outcome, and the transcript.
async fn run_steps(
    s: &Arc<Scenario>,
    ctx: &Arc<RunContext>,
    result: &mut ScenarioResult,
) -> (Result<(), StepError>, String) {
    let client = Client::new(ctx.http.clone(), ctx.redactor.clone(), ctx.faults.clone())
        .with_bodies(ctx.bodies.clone());
    let run = ScenarioRun::new(s.clone(), ctx.clone(), client.clone());
    let body = async {
        run.setup().await?;
        run.check_capabilities().await?;
        run.run_steps(&s.steps).await
    };
    let steps = match tokio::time::timeout(s.timeout, body).await {
        Ok(r) => r,
        Err(_) => Err(StepError::Transport(TransportError::Timeout(format!(
            "scenario timeout: not finished within {}",
            crate::units::human_duration(s.timeout)
        )))),
    };
    keep_evidence(result, run.take_evidence(), &ctx.redactor);
    result.transcript = Some(format!("transcripts/{}.txt", s.id.replace('/', "__")));
    (steps, client.transcript().render(&ctx.redactor))
}

/// A scenario that stops or pauses a server, or configures it, gets servers of its own: the
/// context with them and the servers to shut down afterwards; any other runs on the shared ones.
async fn private_servers(
    s: &Scenario,
    ctx: &Arc<RunContext>,
) -> Result<(Arc<RunContext>, Option<Targets>), Failure> {
    let Some(p) = ctx
        .private_servers
        .as_ref()
        .filter(|_| s.requires.private_servers())
    else {
        return Ok((ctx.clone(), None));
    };
    let booted = match ctx.prebooted.take(&s.id) {
        Some(t) => Ok(t),
        None => {
            // Booting keeps a core busy for seconds: only a few at once.
            let _boot_slot = ctx.boot_slots.clone().acquire_owned().await;
            p.boot(s, &ctx.http, &|_| {}).await
        }
    };
    let t = booted.map_err(|e| {
        Failure::error(
            FailureKind::Transport,
            "setup",
            Default::default(),
            format!("cannot boot the scenario's private homeserver: {e}"),
        )
    })?;
    for h in t.all() {
        for secret in h.secrets() {
            ctx.redactor.add_secret(secret);
        }
    }
    Ok((Arc::new(ctx.with_targets(t.clone())), Some(t)))
}

/// What the steps left behind (step records, snapshots, observations redacted, series) into the
/// result.
fn keep_evidence(
    result: &mut ScenarioResult,
    evidence: super::evidence::Evidence,
    redactor: &Redactor,
) {
    result.steps = evidence.records;
    result.snapshots = evidence.snapshots;
    result.snapshots_written = result
        .snapshots
        .iter()
        .filter_map(|s| s.pending.clone())
        .collect();
    result.observations = evidence
        .observations
        .into_iter()
        .map(|o| Observation {
            value: o.value.as_ref().map(|v| redactor.json(v)),
            ..o
        })
        .collect();
    result.series = evidence.series;
}

/// The scenario file's line at `pos` with a caret under its column, for failure reports.
fn source_line(file: &std::path::Path, pos: crate::scenario::Pos) -> Option<String> {
    if pos.line == 0 {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().nth(pos.line - 1)?;
    Some(crate::yaml::snippet(pos, line))
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
