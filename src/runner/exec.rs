//! One running scenario: its state (users, variables, chained sync tokens, records) and the step
//! loop (calls, lifecycle, concurrent branches, repeats). Setting up users lives in
//! [`super::setup`], making a call and waiting in [`super::call`], checking a response in
//! [`super::check`], captures, observations and snapshots in [`super::capture`].

use super::context::RunContext;
use super::error::{StepError, TransportError};
use super::evidence::Evidence;
use super::positions::{Positions, Stream};
use crate::catalogue::{Proposal, Revision, RevisionOf};
use crate::client::Client;
use crate::held::Held;
use crate::homeserver::{Control, Homeserver};
use crate::hs::Hs;
use crate::results::StepRecord;
use crate::scenario::{Action, LifecycleOp, Scenario, Step, Times};
use crate::vars::Vars;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use crate::steps::UserState;

/// The state of one running scenario.
pub struct ScenarioRun {
    pub(super) scenario: Arc<Scenario>,
    pub(crate) ctx: Arc<RunContext>,
    pub(crate) client: Client,
    pub(super) vars: Mutex<Vars>,
    pub(super) users: Mutex<BTreeMap<String, UserState>>,
    /// Each user's place in the chained streams.
    pub(super) positions: Mutex<Positions>,
    /// What the scenario leaves for its result.
    pub(super) evidence: Mutex<Evidence>,
    txn: AtomicU64,
    pub(super) revisions: BTreeMap<Proposal, Revision>,
    /// The scenario's own fake federating server, when a step drives one.
    pub(super) fake: Mutex<Option<Arc<crate::federation::FakeServer>>>,
}

impl ScenarioRun {
    /// A fresh run of a scenario.
    pub fn new(scenario: Arc<Scenario>, ctx: Arc<RunContext>, client: Client) -> Self {
        let revisions = ctx.revisions.clone();
        ScenarioRun {
            scenario,
            ctx,
            client,
            vars: Mutex::new(Vars::default()),
            users: Mutex::new(BTreeMap::new()),
            positions: Mutex::new(Positions::default()),
            evidence: Mutex::new(Evidence::default()),
            txn: AtomicU64::new(0),
            revisions,
            fake: Mutex::new(None),
        }
    }

    pub(super) fn fake_server(&self) -> Result<Arc<crate::federation::FakeServer>, StepError> {
        self.fake
            .held()
            .clone()
            .ok_or_else(|| StepError::harness("this scenario has no fake federating server"))
    }

    /// The evidence so far, taken: the run is over.
    pub fn take_evidence(&self) -> Evidence {
        std::mem::take(&mut *self.evidence.held())
    }

    /// The revision selected for a proposal.
    pub fn revision_of(&self, p: Proposal) -> Revision {
        self.revisions.revision_of(p)
    }

    /// Renders templates in a value.
    pub fn render(&self, v: &Value) -> Result<Value, StepError> {
        self.vars_snapshot().render(v).map_err(StepError::from)
    }

    /// Renders templates in a text (selectors), inserting values as text.
    pub fn render_text(&self, text: &str) -> Result<String, StepError> {
        self.vars_snapshot()
            .render_text(text)
            .map_err(StepError::from)
    }

    /// A registered user by scenario name.
    pub fn user(&self, name: &str) -> Result<UserState, StepError> {
        self.users
            .held()
            .get(name)
            .cloned()
            .ok_or_else(|| StepError::harness(format!("user `{name}` is not registered")))
    }

    /// One of the run's homeservers.
    pub fn homeserver(&self, hs: Hs) -> Result<&Homeserver, StepError> {
        self.ctx
            .targets
            .get(hs)
            .ok_or_else(|| StepError::harness(format!("no homeserver `{hs}` in this run")))
    }

    /// A fresh transaction ID.
    pub fn next_txn(&self) -> String {
        format!(
            "m{}.{}",
            self.ctx.run_id,
            self.txn.fetch_add(1, Ordering::SeqCst)
        )
    }

    /// The user's position in a chained stream.
    pub fn position(&self, stream: Stream, user: &str) -> Option<String> {
        self.positions.held().get(stream, user)
    }

    /// A copy of the variables as they are now, taken at this moment by mscheck's clock (what
    /// `{{now_ms}}` reads), for rendering a step's fields.
    pub fn vars_snapshot(&self) -> Vars {
        self.vars.held().clone().at(crate::clock::now_ms())
    }

    /// Runs steps in order, stopping at the first failure.
    pub fn run_steps<'a>(
        &'a self,
        steps: &'a [Step],
    ) -> futures_util::future::BoxFuture<'a, Result<(), StepError>> {
        Box::pin(async move {
            for step in steps {
                self.run_step(step).await?;
            }
            Ok(())
        })
    }

    async fn run_step(&self, step: &Step) -> Result<(), StepError> {
        let started = Instant::now();
        let (kind, result, attempts) = match &step.action {
            Action::Call(call) => {
                let (r, n) = self.run_call(step, call).await;
                (call.step.kind().name.to_string(), r, n)
            }
            Action::Homeserver { hs, op, down_for } => (
                "homeserver".to_string(),
                self.lifecycle(*hs, *op, *down_for).await,
                1,
            ),
            Action::Concurrent(branches) => {
                let futs = branches.iter().map(|b| self.run_steps(b));
                let results = futures_util::future::join_all(futs).await;
                (
                    "concurrent".to_string(),
                    results
                        .into_iter()
                        .collect::<Result<Vec<_>, _>>()
                        .map(|_| ()),
                    1,
                )
            }
            Action::Repeat { times, steps } => {
                let times = match times {
                    Times::Fixed(n) => *n,
                    Times::Template(t) => {
                        let v = self.render(&Value::String(t.clone()))?;
                        let n = match &v {
                            Value::Number(n) => n.as_u64(),
                            Value::String(s) => s.trim().parse().ok(),
                            _ => None,
                        };
                        match n.and_then(|n| u32::try_from(n).ok()) {
                            Some(n) => n,
                            None => {
                                return Err(StepError::harness(format!(
                                    "`repeat` `times: {t}` is {v}, not a whole number"
                                ))
                                .at_step(step))
                            }
                        }
                    }
                };
                let mut r = Ok(());
                for i in 0..times {
                    self.vars.held().set("i", json!(i));
                    r = self.run_steps(steps).await;
                    if r.is_err() {
                        break;
                    }
                }
                ("repeat".to_string(), r, times)
            }
        };
        let record = StepRecord {
            id: step.id.clone(),
            pos: step.pos,
            kind,
            passed: result.is_ok(),
            attempts,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        self.evidence.held().records.push(record.clone());
        self.ctx.step_finished(&self.scenario.id, record);
        result.map_err(|e| e.at_step(step))
    }

    async fn lifecycle(
        &self,
        hs: Hs,
        op: LifecycleOp,
        down_for: Option<std::time::Duration>,
    ) -> Result<(), StepError> {
        let h = self.homeserver(hs)?;
        let Control::Managed(m) = &h.control else {
            return Err(StepError::harness(format!(
                "homeserver `{hs}` is external; lifecycle steps need a managed server"
            )));
        };
        let http = &self.ctx.http;
        let r = match op {
            LifecycleOp::Stop => {
                m.stop().await;
                Ok(())
            }
            LifecycleOp::Start => m.start(http).await,
            LifecycleOp::Restart => match down_for {
                Some(d) => {
                    m.stop().await;
                    // The outage itself is what the scenario checks against (see `down_for`).
                    tokio::time::sleep(d).await;
                    m.start(http).await
                }
                None => m.restart(http).await,
            },
            LifecycleOp::Pause => m.pause().await,
            LifecycleOp::Resume => m.resume().await,
        };
        r.map_err(|e| StepError::Transport(TransportError::Homeserver(e.to_string())))
    }
}
