//! The runner: runs planned scenarios concurrently on the targets it is given (a scenario that
//! stops, restarts or pauses a server gets private managed servers of its own), and emits
//! [`events::RunEvent`]s.

pub mod absent;
pub mod applicable;
mod call;
mod capture;
mod check;
mod context;
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

pub use context::{new_run_id, RunContext, RunParts};
pub use error::{HarnessError, NotAdvertised, StepError, TransportError};
pub use private::{shared_servers_needed, Prebooted, PrivateServers};

use crate::catalogue::RevisionOf;
use crate::expectations::Expectations;
use crate::results::{RunStats, ScenarioResult};
use crate::scenario::Scenario;
use events::EventKind;
use one::{expected_reason, panicked, run_one};
use std::collections::BTreeMap;
use std::sync::Arc;

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
