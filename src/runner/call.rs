//! Making a step's call and waiting on it: once, polled `within` a deadline, or held for a
//! duration (a `sample:` step is run by [`super::sample`]). A call is built by its step kind's
//! module from a [`BuildCx`] the run fills in, sent through the scenario's client (the fault
//! seam), and its effects (chained tokens, an unknown scheduling endpoint) are applied before the
//! checks run.

use super::check::{cannot_recover, telling_rank};
use super::error::StepError;
use super::exec::ScenarioRun;
use super::positions::Stream;
use crate::client::{Request, Response};
use crate::fault::RequestParts;
use crate::held::Held;
use crate::hs::Hs;
use crate::scenario::{Call, Step, Wait};
use crate::steps::{BuildCx, Effect, Execution, HttpStep};
use crate::units::human_duration;
use serde_json::json;
use std::time::{Duration, Instant};

impl ScenarioRun {
    pub(super) async fn run_call(&self, step: &Step, call: &Call) -> (Result<(), StepError>, u32) {
        if let Some(spec) = &step.sample {
            return self.run_sampled(step, call, spec).await;
        }
        if let Wait::HoldUntil { until, every } = &step.wait {
            let until = match until.render(&self.vars_snapshot()) {
                Ok(ms) => ms,
                Err(e) => return (Err(e.into()), 0),
            };
            return self.hold_until(step, call, until, *every).await;
        }
        let wait = self.resolve_window(step);
        let started = Instant::now();
        let mut attempts = 0;
        // While polling, keep the most telling failure: the attempt that got furthest through the
        // checks beats a later response that simply had nothing new (chained syncs go quiet).
        let mut telling: Option<StepError> = None;
        loop {
            attempts += 1;
            let remaining = match wait {
                Wait::Once | Wait::HoldUntil { .. } => None,
                Wait::Until { within, .. } => Some(within.saturating_sub(started.elapsed())),
                Wait::Hold { duration, .. } => Some(duration.saturating_sub(started.elapsed())),
            };
            let outcome = self.attempt(step, call, remaining).await;
            let elapsed = started.elapsed();
            match (wait.clone(), outcome) {
                (_, Err(e @ (StepError::Harness(_) | StepError::Transport(_)))) => {
                    return (Err(e), attempts)
                }
                // (`hold_until` steps are held by `hold_until` and never reach this loop.)
                (Wait::Once | Wait::HoldUntil { .. }, Err(e)) => return (Err(e), attempts),
                (Wait::Once | Wait::HoldUntil { .. }, Ok(resp)) => {
                    return (self.after_success(step, &resp).await, attempts)
                }
                (Wait::Until { .. }, Err(e)) if cannot_recover(step, &e) => {
                    return (
                        Err(e.waited(format!(
                            "after {} ({attempts} attempts), and more responses cannot mend it (gathered values only grow)",
                            human_duration(elapsed)
                        ))),
                        attempts,
                    );
                }
                (Wait::Until { within, every, .. }, Err(e)) => {
                    let e = match telling.take() {
                        Some(prev) if telling_rank(&prev) > telling_rank(&e) => prev,
                        _ => e,
                    };
                    if elapsed >= within {
                        return (
                            Err(e.waited(format!(
                                "still not true after {} ({attempts} attempts)",
                                human_duration(within)
                            ))),
                            attempts,
                        );
                    }
                    telling = Some(e);
                    tokio::time::sleep(every.min(within.saturating_sub(elapsed))).await;
                }
                (Wait::Until { .. }, Ok(resp)) => {
                    return (self.after_success(step, &resp).await, attempts)
                }
                (Wait::Hold { duration, .. }, Err(e)) => {
                    return (
                        Err(e.waited(format!(
                            "stopped holding after {} of {} (attempt {attempts})",
                            human_duration(elapsed),
                            human_duration(duration)
                        ))),
                        attempts,
                    )
                }
                (Wait::Hold { duration, every }, Ok(resp)) => {
                    if elapsed >= duration {
                        return (self.after_success(step, &resp).await, attempts);
                    }
                    tokio::time::sleep(every.min(duration.saturating_sub(elapsed))).await;
                }
            }
        }
    }

    /// The step's wait with a named window's deadline as the target's profile sets it (else its
    /// default), recorded as the observation `window`.
    fn resolve_window(&self, step: &Step) -> Wait {
        match &step.wait {
            Wait::Until {
                within,
                window: Some(name),
                every,
            } => {
                let (within, from) = match self.ctx.windows.get(*name) {
                    Some(d) => (*d, self.ctx.windows_from.as_str()),
                    None => (*within, "the default for servers whose profile sets none"),
                };
                self.evidence.held().observe(
                    &step.id,
                    "window",
                    Some(json!(format!(
                        "{name} = {} ({from})",
                        human_duration(within)
                    ))),
                );
                Wait::Until {
                    within,
                    window: Some(name),
                    every: *every,
                }
            }
            other => other.clone(),
        }
    }

    /// `hold_until`: the checks must pass on every answer that arrived before `until` (local
    /// milliseconds). An answer that arrived at or after it is not judged: from that moment the
    /// server may rightly show what the hold keeps out. How long the hold covered, and how close
    /// its last judged answer came to the moment, is recorded as the observation `held`.
    async fn hold_until(
        &self,
        step: &Step,
        call: &Call,
        until: i64,
        every: Duration,
    ) -> (Result<(), StepError>, u32) {
        let started = crate::clock::now_ms();
        let mut attempts = 0;
        let mut last_judged: Option<Response> = None;
        let mut unjudged: Option<i64> = None;
        loop {
            attempts += 1;
            let left = Duration::from_millis((until - crate::clock::now_ms()).max(0) as u64);
            let actor = call.actor.clone().unwrap_or_default();
            let before = self.positions.held().of(&actor);
            let resp = match self.fetch(step, call, Some(left)).await {
                Ok(r) => r,
                Err(e) => return (Err(e), attempts),
            };
            if resp.response_ms >= until {
                // Not judged, and it leaves no trace: the user's stream positions go back, so the
                // next step is given what this answer carried.
                self.positions.held().restore(&actor, before);
                unjudged = Some(resp.response_ms - until);
                break;
            }
            if let Err(e) = self.judge(step, &resp) {
                return (
                    Err(e.waited(format!(
                        "an answer that arrived {} before the moment held to ({} into the hold, attempt {attempts})",
                        human_duration(ms(until - resp.response_ms)),
                        human_duration(ms(resp.response_ms - started)),
                    ))),
                    attempts,
                );
            }
            last_judged = Some(resp);
            let now = crate::clock::now_ms();
            if now >= until {
                break;
            }
            tokio::time::sleep(every.min(ms(until - now))).await;
        }
        let mut held = match &last_judged {
            Some(r) => format!(
                "held {} over {} judged answers; the last arrived {} before the moment held to",
                human_duration(ms(r.response_ms - started)),
                attempts - u32::from(unjudged.is_some()),
                human_duration(ms(until - r.response_ms)),
            ),
            None => "no answer arrived before the moment held to: nothing was judged".to_string(),
        };
        if let Some(after) = unjudged {
            held.push_str(&format!(
                "; an answer that arrived {} after it was not judged",
                human_duration(ms(after))
            ));
        }
        self.evidence
            .held()
            .observe(&step.id, "held", Some(json!(held)));
        match last_judged {
            Some(resp) => (self.after_success(step, &resp).await, attempts),
            None => (Ok(()), attempts),
        }
    }

    pub(super) async fn attempt(
        &self,
        step: &Step,
        call: &Call,
        remaining: Option<Duration>,
    ) -> Result<Response, StepError> {
        let resp = self.fetch(step, call, remaining).await?;
        self.judge(step, &resp)?;
        Ok(resp)
    }

    /// Makes the step's call once (a fake-server step, or an HTTP request).
    async fn fetch(
        &self,
        step: &Step,
        call: &Call,
        remaining: Option<Duration>,
    ) -> Result<Response, StepError> {
        Ok(match call.step.execution() {
            Execution::Fake(call) => {
                let fake = self.fake_server()?;
                let request_ms = crate::clock::now_ms();
                let outcome = super::fake_steps::fake_step(call)
                    .run(self, &fake, &step.id)
                    .await?;
                super::fake_steps::respond(self, &fake, &step.id, request_ms, outcome)
            }
            Execution::Http(http) => self.send_http(step, call, http, remaining).await?,
        })
    }

    /// Gathers what the step accumulates from an answer, then runs its checks on it.
    fn judge(&self, step: &Step, resp: &Response) -> Result<(), StepError> {
        self.accumulate(step, resp)?;
        self.check(step, &step.expect, resp)
    }

    /// Builds, sends and applies the effects of one client-server call; a scheduling step the
    /// server answered "unknown endpoint" is sent once more through the older API.
    async fn send_http(
        &self,
        step: &Step,
        call: &Call,
        http: &dyn HttpStep,
        remaining: Option<Duration>,
    ) -> Result<Response, StepError> {
        let mut retried = false;
        loop {
            let cx = self.build_cx(step, call, http, remaining).await?;
            let built = http.build(&cx)?;
            let hs = cx.actor.as_ref().map_or(Hs::Hs1, |u| u.hs);
            let request = Request {
                base: self.homeserver(hs)?.base_url.clone(),
                hs: hs.to_string(),
                actor: call.actor.clone().unwrap_or_else(|| "nobody".into()),
                token: cx.actor.as_ref().map(|u| u.access_token.clone()),
                step: step.id.clone(),
                parts: RequestParts {
                    method: built.method.to_string(),
                    path: built.path,
                    query: built.query,
                    body: built.body,
                },
                timeout: built.timeout,
            };
            let resp = self.client.send(request).await?;
            let mut again = false;
            for effect in http.effects(&cx, &resp) {
                match effect {
                    Effect::SyncToken(t) => self.set_position(Stream::Sync, call, t),
                    Effect::SssPos(p) => self.set_position(Stream::SlidingSync, call, p),
                    Effect::StickyNext(t) => self.set_position(Stream::StickyExtension, call, t),
                    Effect::ScheduleEndpointUnknown if !retried => {
                        self.ctx.note_schedule_endpoint_unknown(hs);
                        again = true;
                    }
                    Effect::ScheduleEndpointUnknown => {}
                    Effect::ObserveOnce(label, text) => {
                        self.observe_once(&step.id, label, json!(text))
                    }
                }
            }
            if !again {
                return Ok(resp);
            }
            retried = true;
        }
    }

    fn set_position(&self, stream: Stream, call: &Call, token: String) {
        let user = call.actor.clone().unwrap_or_default();
        self.positions.held().set(stream, &user, token);
    }

    /// What the step's request builder may read now.
    async fn build_cx(
        &self,
        step: &Step,
        call: &Call,
        http: &dyn HttpStep,
        remaining: Option<Duration>,
    ) -> Result<BuildCx, StepError> {
        let actor = match &call.actor {
            Some(name) => Some(self.user(name)?),
            None => None,
        };
        let hs = actor.as_ref().map_or(Hs::Hs1, |u| u.hs);
        let vars = self.vars_snapshot();
        let power_levels = match http.reads_power_levels() {
            Some(room) => {
                let room = crate::client::encode(&room.render(&vars)?);
                Some(
                    self.fetch_power_levels(&step.id, hs, actor.as_ref(), &room)
                        .await?,
                )
            }
            None => None,
        };
        let name = actor.as_ref().map(|u| u.name.clone()).unwrap_or_default();
        Ok(BuildCx {
            vars,
            users: self.users.held().clone(),
            servers: self
                .ctx
                .targets
                .all()
                .into_iter()
                .map(|h| (h.name.to_string(), h.server_name.clone()))
                .collect(),
            revisions: self.revisions.clone(),
            txn: self.next_txn(),
            sync_token: self.position(Stream::Sync, &name),
            sss_pos: self.position(Stream::SlidingSync, &name),
            sticky_next: self.position(Stream::StickyExtension, &name),
            schedule_endpoint_unknown: self.ctx.schedule_endpoint_unknown(hs),
            poll: remaining,
            power_levels,
            actor,
        })
    }
}

/// Milliseconds as a duration (negative as zero).
fn ms(n: i64) -> Duration {
    Duration::from_millis(n.max(0) as u64)
}
