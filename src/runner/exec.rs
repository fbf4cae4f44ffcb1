//! Running one scenario: register its users, run its steps (polling, holding, concurrent
//! branches, lifecycle), check responses, capture variables, compare snapshots.

use super::events::{Failure, Observation, StepRecord};
use super::vars::Vars;
use super::{request, RunContext, StepError};
use crate::catalogue::{Proposal, Revision};
use crate::client::fault::RequestParts;
use crate::client::{Client, Request, Response, DEFAULT_TIMEOUT};
use crate::homeserver::registration::{register, RegistrationError};
use crate::homeserver::{Control, Homeserver};
use crate::matcher::Path;
use crate::scenario::loader::VARS_ROOT;
use crate::scenario::{
    checks, Action, Call, CheckSpec, Expect, LifecycleOp, Scenario, Step, Times, Wait,
};
use crate::snapshot::{self, SnapshotRecord};
use crate::util::{human_duration, trim_json};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A registered scenario user.
#[derive(Debug, Clone)]
pub struct UserState {
    /// Name in the scenario.
    pub name: String,
    /// `hs1` / `hs2`.
    pub hs: String,
    /// Matrix user ID.
    pub user_id: String,
    /// Access token.
    pub access_token: String,
}

/// The state of one running scenario.
pub struct ScenarioRun {
    pub(super) scenario: Arc<Scenario>,
    pub(super) ctx: Arc<RunContext>,
    pub(super) client: Client,
    vars: Mutex<Vars>,
    users: Mutex<BTreeMap<String, UserState>>,
    sync_tokens: Mutex<BTreeMap<String, String>>,
    sss_pos: Mutex<BTreeMap<String, String>>,
    records: Mutex<Vec<StepRecord>>,
    pub(super) snapshots: Mutex<Vec<SnapshotRecord>>,
    pub(super) observations: Mutex<Vec<Observation>>,
    txn: AtomicU64,
    pub(super) revisions: BTreeMap<Proposal, Revision>,
    /// The scenario's own fake federating server, when a step drives one.
    fake: Mutex<Option<Arc<crate::federation::FakeServer>>>,
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
            sync_tokens: Mutex::new(BTreeMap::new()),
            sss_pos: Mutex::new(BTreeMap::new()),
            records: Mutex::new(Vec::new()),
            snapshots: Mutex::new(Vec::new()),
            observations: Mutex::new(Vec::new()),
            txn: AtomicU64::new(0),
            revisions,
            fake: Mutex::new(None),
        }
    }

    /// Renders a step's fields with `{{i}}` set to `i` (without touching the scenario's
    /// variables: concurrent steps may be rendering too).
    pub fn render_with_index(
        &self,
        args: &BTreeMap<String, Value>,
        i: u64,
    ) -> Result<serde_json::Map<String, Value>, StepError> {
        let mut vars = self.vars.lock().unwrap_or_else(|e| e.into_inner()).clone();
        vars.set("i", json!(i));
        args.iter()
            .map(|(k, v)| {
                vars.render(v)
                    .map(|r| (k.clone(), r))
                    .map_err(|e| StepError::Harness(e.to_string()))
            })
            .collect()
    }

    fn fake_server(&self) -> Result<Arc<crate::federation::FakeServer>, StepError> {
        self.fake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| StepError::Harness("this scenario has no fake federating server".into()))
    }

    /// The step records so far.
    pub fn records(&self) -> Vec<StepRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The revision selected for a proposal.
    pub fn revision_of(&self, p: Proposal) -> Revision {
        self.revisions.get(&p).copied().unwrap_or(Revision::Newest)
    }

    /// Renders templates in a value.
    pub fn render(&self, v: &Value) -> Result<Value, StepError> {
        self.vars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .render(v)
            .map_err(|e| StepError::Harness(e.to_string()))
    }

    /// Renders templates in a text (selectors), inserting values as text.
    pub fn render_text(&self, text: &str) -> Result<String, StepError> {
        self.vars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .render_text(text)
            .map_err(|e| StepError::Harness(e.to_string()))
    }

    /// A registered user by scenario name.
    pub fn user(&self, name: &str) -> Result<UserState, StepError> {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| StepError::Harness(format!("user `{name}` is not registered")))
    }

    /// A user's Matrix ID.
    pub fn user_id(&self, name: &str) -> Result<String, StepError> {
        Ok(self.user(name)?.user_id)
    }

    /// A homeserver by name.
    pub fn homeserver(&self, name: &str) -> Result<&Homeserver, StepError> {
        self.ctx
            .targets
            .get(name)
            .ok_or_else(|| StepError::Harness(format!("no homeserver `{name}` in this run")))
    }

    /// A fresh transaction ID.
    pub fn next_txn(&self) -> String {
        format!(
            "m{}.{}",
            self.ctx.run_id,
            self.txn.fetch_add(1, Ordering::SeqCst)
        )
    }

    /// The user's last /sync `next_batch`.
    pub fn sync_token(&self, user: &str) -> Option<String> {
        self.sync_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .cloned()
    }

    /// The user's last sliding sync `pos`.
    pub fn sss_pos(&self, user: &str) -> Option<String> {
        self.sss_pos
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .cloned()
    }

    /// Replaces user names used as keys (power levels) by their IDs.
    pub fn resolve_user_keys(&self, pl: &Value) -> Result<Value, StepError> {
        let mut pl = pl.clone();
        if let Some(Value::Object(users)) = pl.get_mut("users") {
            let names: Vec<String> = users.keys().cloned().collect();
            for n in names {
                if let Ok(id) = self.user_id(&n) {
                    let level = users.shift_remove(&n).unwrap_or(Value::Null);
                    users.insert(id, level);
                }
            }
        }
        Ok(pl)
    }

    /// A GET the harness makes itself (not a step's request), as `user` when given.
    async fn harness_get(
        &self,
        hs: &str,
        user: Option<&UserState>,
        step: &str,
        path: String,
    ) -> Result<Response, StepError> {
        let h = self.homeserver(hs)?;
        self.client
            .send(Request {
                hs: hs.to_string(),
                base: h.base_url.clone(),
                actor: user.map(|u| u.name.clone()).unwrap_or_default(),
                token: user.map(|u| u.access_token.clone()),
                step: step.to_string(),
                parts: RequestParts {
                    method: "GET".into(),
                    path,
                    query: vec![],
                    body: None,
                },
                timeout: DEFAULT_TIMEOUT,
            })
            .await
            .map_err(|e| StepError::Transport(e.to_string()))
    }

    /// Reads the current power levels of a room.
    pub async fn fetch_power_levels(
        &self,
        step: &str,
        hs: &str,
        user: Option<&UserState>,
        room_enc: &str,
    ) -> Result<Value, StepError> {
        let resp = self
            .harness_get(
                hs,
                user,
                step,
                format!("/_matrix/client/v3/rooms/{room_enc}/state/m.room.power_levels/"),
            )
            .await?;
        if resp.status != 200 {
            return Err(StepError::Check(Box::new(failure_from_response(
                step,
                "reading m.room.power_levels failed",
                &resp,
                None,
            ))));
        }
        Ok(resp.body)
    }

    /// Registers the scenario's users and sets the built-in variables.
    pub async fn setup(&self) -> Result<(), StepError> {
        let mut user_ids = serde_json::Map::new();
        for u in &self.scenario.users {
            let hs = self.homeserver(&u.hs)?.clone();
            if u.appservice {
                let Some(a) = &hs.appservice else {
                    return Err(StepError::Harness(format!(
                        "{} has no application service registered",
                        hs.name
                    )));
                };
                user_ids.insert(u.name.clone(), Value::String(a.sender.clone()));
                self.users.lock().unwrap_or_else(|e| e.into_inner()).insert(
                    u.name.clone(),
                    UserState {
                        name: u.name.clone(),
                        hs: u.hs.clone(),
                        user_id: a.sender.clone(),
                        access_token: a.token.clone(),
                    },
                );
                continue;
            }
            let localpart = format!(
                "{}-{}-{}",
                u.name,
                self.ctx.run_id,
                self.ctx.next_user_serial()
            );
            let reg = register(&self.client, &hs, &localpart, u.guest)
                .await
                .map_err(|e| match e {
                    // Guest access is optional in the spec: a server that refuses guests cannot
                    // run this scenario, which says nothing about the proposals.
                    RegistrationError::Refused { status: 403, .. } if u.guest => {
                        StepError::NotAdvertised(format!(
                            "{} does not allow guest accounts: {e}",
                            hs.name
                        ))
                    }
                    e => StepError::Transport(e.to_string()),
                })?;
            user_ids.insert(u.name.clone(), Value::String(reg.user_id.clone()));
            self.users.lock().unwrap_or_else(|e| e.into_inner()).insert(
                u.name.clone(),
                UserState {
                    name: u.name.clone(),
                    hs: u.hs.clone(),
                    user_id: reg.user_id,
                    access_token: reg.access_token,
                },
            );
        }
        if self.scenario.uses_fake_server() {
            let fake = crate::federation::FakeServer::start(self.ctx.fake_misbehaviours())
                .await
                .map_err(|e| {
                    StepError::Transport(format!("cannot start the fake federating server: {e}"))
                })?;
            fake.outbound()
                .record_into(self.client.transcript().clone(), self.ctx.redactor.clone());
            self.vars
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .set("fake", json!({"server_name": fake.server_name}));
            *self.fake.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(fake));
        }
        let mut vars = self.vars.lock().unwrap_or_else(|e| e.into_inner());
        vars.set("user", Value::Object(user_ids));
        vars.set("run_id", Value::String(self.ctx.run_id.clone()));
        for h in self.ctx.targets.all() {
            vars.set(
                h.name.clone(),
                json!({"server_name": h.server_name, "url": h.base_url}),
            );
        }
        Ok(())
    }

    /// Skips the scenario (as "not advertised") when hs1's `/capabilities` lacks something the
    /// scenario `requires`, asked as the scenario's first user (`/capabilities` needs a token).
    pub async fn check_capabilities(&self) -> Result<(), StepError> {
        let wanted = &self.scenario.requires.capabilities;
        if wanted.is_empty() {
            return Ok(());
        }
        let user = self
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .find(|u| u.hs == "hs1")
            .cloned()
            .ok_or_else(|| {
                StepError::Harness("`requires: capabilities` needs a user on hs1".into())
            })?;
        let resp = self
            .harness_get(
                "hs1",
                Some(&user),
                "setup",
                "/_matrix/client/v3/capabilities".into(),
            )
            .await?;
        if resp.status != 200 {
            return Err(StepError::Check(Box::new(failure_from_response(
                "setup",
                &format!("GET /capabilities answered {}", resp.status),
                &resp,
                None,
            ))));
        }
        let caps = resp
            .body
            .get("capabilities")
            .cloned()
            .unwrap_or(Value::Null);
        for sel in wanted {
            let found = Path::parse(sel)
                .map_err(|e| StepError::Harness(e.to_string()))?
                .select(&caps)
                .into_value();
            if found.is_none_or(|v| v.is_null()) {
                return Err(StepError::NotAdvertised(format!(
                    "not advertised: hs1's /capabilities has nothing at `{sel}`"
                )));
            }
        }
        Ok(())
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
                (call.kind.name.to_string(), r, n)
            }
            Action::Homeserver { hs, op, down_for } => (
                "homeserver".to_string(),
                self.lifecycle(hs, *op, *down_for).await,
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
                                return Err(StepError::Harness(format!(
                                    "`repeat` `times: {t}` is {v}, not a whole number"
                                ))
                                .at_step(step))
                            }
                        }
                    }
                };
                let mut r = Ok(());
                for i in 0..times {
                    self.vars
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .set("i", json!(i));
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
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record.clone());
        self.ctx.step_finished(&self.scenario.id, record);
        result.map_err(|e| e.at_step(step))
    }

    async fn lifecycle(
        &self,
        hs: &str,
        op: LifecycleOp,
        down_for: Option<std::time::Duration>,
    ) -> Result<(), StepError> {
        let h = self.homeserver(hs)?;
        let Control::Managed(m) = &h.control else {
            return Err(StepError::Harness(format!(
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
        r.map_err(|e| StepError::Transport(e.to_string()))
    }

    async fn run_call(&self, step: &Step, call: &Call) -> (Result<(), StepError>, u32) {
        if let Some(spec) = &step.sample {
            return self.run_sampled(step, call, spec).await;
        }
        let started = Instant::now();
        let mut attempts = 0;
        // While polling, keep the most telling failure: the attempt that got furthest through the
        // checks beats a later response that simply had nothing new (chained syncs go quiet).
        let mut telling: Option<StepError> = None;
        loop {
            attempts += 1;
            let remaining = match step.wait {
                Wait::Once => None,
                Wait::Until { within, .. } => Some(within.saturating_sub(started.elapsed())),
                Wait::Hold { duration, .. } => Some(duration.saturating_sub(started.elapsed())),
            };
            let outcome = self.attempt(step, call, remaining).await;
            let elapsed = started.elapsed();
            match (step.wait, outcome) {
                (_, Err(e @ (StepError::Harness(_) | StepError::Transport(_)))) => {
                    return (Err(e), attempts)
                }
                (Wait::Once, Err(e)) => return (Err(e), attempts),
                (Wait::Once, Ok(resp)) => return (self.after_success(step, &resp).await, attempts),
                (Wait::Until { .. }, Err(e)) if cannot_recover(step, &e) => {
                    return (
                        Err(e.waited(format!(
                            "after {} ({attempts} attempts), and more responses cannot mend it (gathered values only grow)",
                            human_duration(elapsed)
                        ))),
                        attempts,
                    );
                }
                (Wait::Until { within, every }, Err(e)) => {
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

    pub(super) async fn attempt(
        &self,
        step: &Step,
        call: &Call,
        remaining: Option<std::time::Duration>,
    ) -> Result<Response, StepError> {
        let resp = if call.kind.name.starts_with("fake_") {
            let fake = self.fake_server()?;
            super::fake::run(self, &fake, &step.id, call).await?
        } else {
            let req = request::build(self, &step.id, call, remaining).await?;
            let hs = req.hs.clone();
            let resp = self
                .client
                .send(req)
                .await
                .map_err(|e| StepError::Transport(e.to_string()))?;
            let resp = if request::schedule_fallback(call, &resp) {
                self.ctx.note_schedule_endpoint_unknown(&hs);
                let req = request::build(self, &step.id, call, remaining).await?;
                self.client
                    .send(req)
                    .await
                    .map_err(|e| StepError::Transport(e.to_string()))?
            } else {
                resp
            };
            if request::scheduled_by_fallback(call, &resp, self.revision_of(Proposal::Msc4140)) {
                self.observe_once(
                    &step.id,
                    "scheduling API",
                    json!(format!(
                        "{hs} does not know the MSC4140 delayed_event endpoint; scheduled through the older query parameter"
                    )),
                );
            }
            resp
        };
        if resp.status == 200 {
            let user = call.actor.as_deref().unwrap_or("");
            match call.kind.name {
                "sync" => {
                    if let Some(t) = resp.body.get("next_batch").and_then(Value::as_str) {
                        self.sync_tokens
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(user.to_string(), t.to_string());
                    }
                }
                "sliding_sync" => {
                    if let Some(t) = resp.body.get("pos").and_then(Value::as_str) {
                        self.sss_pos
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(user.to_string(), t.to_string());
                    }
                }
                _ => {}
            }
        }
        self.accumulate(step, &resp)?;
        self.check(step, &step.expect, &resp)?;
        Ok(resp)
    }

    fn check(&self, step: &Step, expect: &Expect, resp: &Response) -> Result<(), StepError> {
        let fail = |msg: String, spec: Option<&CheckSpec>, m: Option<crate::matcher::Mismatch>| {
            let mut f = failure_from_response(&step.id, &msg, resp, m);
            if let Some(s) = spec {
                f.pos = s.pos;
            } else {
                f.pos = step.pos;
            }
            StepError::Check(Box::new(f))
        };
        match &expect.status {
            None if !(200..300).contains(&resp.status) => {
                return Err(fail(
                    format!("expected a 2xx status, got {}", resp.status),
                    None,
                    None,
                ))
            }
            Some(codes) if !codes.contains(&resp.status) => {
                return Err(fail(
                    format!("expected status {}, got {}", join_codes(codes), resp.status),
                    None,
                    None,
                ))
            }
            _ => {}
        }
        if let Some(codes) = &expect.errcode {
            let got = resp.errcode().unwrap_or("");
            if !codes.iter().any(|c| c == got) {
                return Err(fail(
                    format!(
                        "expected errcode {}, got {}",
                        codes.join(" or "),
                        if got.is_empty() { "none" } else { got }
                    ),
                    None,
                    None,
                ));
            }
        }
        let headers = Value::Object(
            resp.headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
        for spec in &expect.headers {
            let arg = self.render(&spec.arg)?;
            let check = checks::build_check(&format!("[\"{}\"]", spec.at), &spec.predicate, &arg)
                .map_err(StepError::Harness)?;
            if let Err(m) = check.evaluate(&headers) {
                return Err(fail(
                    format!("header `{}`: {m}", spec.at),
                    Some(spec),
                    Some(m),
                ));
            }
        }
        for spec in &expect.json {
            let at = self.render_text(&spec.at)?;
            let arg = self.render(&spec.arg)?;
            let (doc, at) = match at.strip_prefix(VARS_ROOT) {
                Some(rest) => {
                    let name = rest.split(['.', '[']).next().unwrap_or_default();
                    let value = self.var(name).unwrap_or(Value::Null);
                    (
                        value,
                        rest[name.len()..].trim_start_matches('.').to_string(),
                    )
                }
                None => (resp.body.clone(), at),
            };
            let check =
                checks::build_check(&at, &spec.predicate, &arg).map_err(StepError::Harness)?;
            if let Err(m) = check.evaluate(&doc) {
                return Err(fail(m.to_string(), Some(spec), Some(m)));
            }
        }
        Ok(())
    }

    fn var(&self, name: &str) -> Option<Value> {
        self.vars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
    }

    /// What a `capture`/`accumulate`/`observe` source names in a response.
    fn select_source(&self, from: &str, resp: &Response) -> Result<Option<Value>, StepError> {
        Ok(match from {
            "@status" => Some(json!(resp.status)),
            "@request_ms" => Some(json!(resp.request_ms)),
            "@response_ms" => Some(json!(resp.response_ms)),
            h if h.starts_with("@header.") => resp
                .headers
                .get(&h["@header.".len()..].to_ascii_lowercase())
                .map(|v| json!(v)),
            template if template.trim_start().starts_with("{{") => Some(self.render(&json!(template))?),
            path => {
                let rendered = self.render_text(path)?;
                let p = Path::parse(&rendered).map_err(|e| StepError::Harness(e.to_string()))?;
                p.select(&resp.body).into_value()
            }
        })
    }

    /// Appends what each `accumulate` source selects (array elements one by one) to its list.
    fn accumulate(&self, step: &Step, resp: &Response) -> Result<(), StepError> {
        for a in &step.accumulate {
            let found = match self.select_source(&a.from, resp)? {
                Some(Value::Array(items)) => items,
                Some(v) => vec![v],
                None => Vec::new(),
            };
            let mut vars = self.vars.lock().unwrap_or_else(|e| e.into_inner());
            let mut list = match vars.get(&a.name) {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            list.extend(found);
            vars.set(a.name.clone(), Value::Array(list));
        }
        Ok(())
    }

    /// Records an observation under `label` unless this scenario already has one.
    pub(super) fn observe_once(&self, step: &str, label: &str, value: Value) {
        let mut obs = self.observations.lock().unwrap_or_else(|e| e.into_inner());
        if !obs.iter().any(|o| o.label == label) {
            obs.push(Observation {
                step: step.to_string(),
                label: label.to_string(),
                value: Some(value),
            });
        }
    }

    pub(super) async fn after_success(&self, step: &Step, resp: &Response) -> Result<(), StepError> {
        for c in &step.capture {
            let Some(value) = self.select_source(&c.from, resp)? else {
                let f = failure_from_response(
                    &step.id,
                    &format!("cannot capture `{}`: nothing at `{}`", c.name, c.from),
                    resp,
                    None,
                );
                return Err(StepError::Check(Box::new(f)));
            };
            self.vars
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .set(c.name.clone(), value);
        }
        // After the captures, so an observation may compute from what this step captured.
        for o in &step.observe {
            let value = self.select_source(&o.from, resp)?;
            self.observations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Observation {
                    step: step.id.clone(),
                    label: o.name.clone(),
                    value,
                });
        }
        if let Some(spec) = &step.snapshot {
            let value = match &spec.at {
                Some(at) => {
                    let at = self.render_text(at)?;
                    Path::parse(&at)
                        .map_err(|e| StepError::Harness(e.to_string()))?
                        .select(&resp.body)
                        .into_value()
                        .unwrap_or(Value::Null)
                }
                None => resp.body.clone(),
            };
            let known = self.known_ids();
            let outcome = snapshot::check(
                &self.ctx.snapshots,
                &self.scenario,
                step,
                &spec.name,
                &resp.request_line,
                &value,
                &known,
                &self.revisions,
            )
            .map_err(StepError::Harness)?;
            // A snapshot records how this implementation answers; it never decides the
            // scenario (a new implementation has none yet, and drift is not a requirement).
            self.snapshots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(SnapshotRecord::new(&step.id, &spec.name, outcome));
        }
        Ok(())
    }

    /// Volatile identifiers this scenario knows, for snapshot normalisation: user IDs → names,
    /// server names → `hs1`/`hs2`.
    fn known_ids(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|u| (u.user_id.clone(), format!("@{}:[{}]", u.name, u.hs)))
            .collect();
        for h in self.ctx.targets.all() {
            out.push((h.server_name.clone(), format!("[{}]", h.name)));
        }
        out
    }
}

/// Whether a failed check can never pass on a later attempt: a repeat in, or an unwanted value
/// of, a list gathered with `accumulate`, which only grows.
fn cannot_recover(step: &Step, e: &StepError) -> bool {
    let StepError::Check(f) = e else { return false };
    step.expect.json.iter().any(|spec| {
        spec.pos == f.pos
            && spec.at.starts_with(VARS_ROOT)
            && matches!(spec.predicate.as_str(), "unique" | "not_contains")
    })
}

/// How far an attempt got: the position of the failing check, then whether it found anything.
fn telling_rank(e: &StepError) -> (usize, usize, bool) {
    match e {
        StepError::Check(f) => (
            f.pos.line,
            f.pos.column,
            f.actual
                .as_deref()
                .is_some_and(|a| a != "nothing" && a != "[]"),
        ),
        _ => (0, 0, false),
    }
}

fn join_codes(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A failure record for a response.
pub fn failure_from_response(
    step: &str,
    message: &str,
    resp: &Response,
    m: Option<crate::matcher::Mismatch>,
) -> Failure {
    Failure {
        step: step.to_string(),
        pos: Default::default(),
        is_check: true,
        message: message.to_string(),
        at: m.as_ref().map(|m| m.at.clone()),
        expected: m.as_ref().map(|m| m.expected.clone()),
        actual: m.as_ref().map(|m| {
            m.actual
                .as_ref()
                .map(|v| trim_json(v, 600))
                .unwrap_or_else(|| "nothing".into())
        }),
        request: Some(resp.request_line.clone()),
        status: Some(resp.status),
        body: Some(trim_json(&resp.body, 800)),
        source: None,
    }
}
