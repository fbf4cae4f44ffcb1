//! What a step keeps from a response: captures (variables), accumulated lists, observations
//! (recorded, not judged) and snapshots (recorded beside the verdict, never deciding it).

use super::check::failure_from_response;
use super::error::StepError;
use super::exec::ScenarioRun;
use crate::client::Response;
use crate::held::Held;
use crate::matcher::Path;
use crate::scenario::{Source, Step};
use crate::snapshot;
use serde_json::{json, Value};

impl ScenarioRun {
    pub(super) fn var(&self, name: &str) -> Option<Value> {
        self.vars.held().get(name)
    }

    /// What a `capture`/`accumulate`/`observe` source names in a response.
    fn select_source(&self, from: &Source, resp: &Response) -> Result<Option<Value>, StepError> {
        Ok(match from {
            Source::Status => Some(json!(resp.status)),
            Source::RequestMs => Some(json!(resp.request_ms)),
            Source::ResponseMs => Some(json!(resp.response_ms)),
            Source::Header(h) => resp.headers.get(h).map(|v| json!(v)),
            Source::Template(t) => Some(self.render(&json!(t))?),
            Source::Selector(sel) => {
                let rendered = self.render_text(sel)?;
                Path::parse(&rendered)?.select(&resp.body).into_value()
            }
        })
    }

    /// Appends what each `accumulate` source selects (array elements one by one) to its list.
    pub(super) fn accumulate(&self, step: &Step, resp: &Response) -> Result<(), StepError> {
        for a in &step.accumulate {
            let found = match self.select_source(&a.from, resp)? {
                Some(Value::Array(items)) => items,
                Some(v) => vec![v],
                None => Vec::new(),
            };
            let mut vars = self.vars.held();
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
        self.evidence.held().observe_once(step, label, value);
    }

    pub(super) async fn after_success(
        &self,
        step: &Step,
        resp: &Response,
    ) -> Result<(), StepError> {
        for c in &step.capture {
            let Some(value) = self.select_source(&c.from, resp)? else {
                let f = failure_from_response(
                    &step.id,
                    &format!("cannot capture `{}`: nothing at `{}`", c.name, c.from),
                    resp,
                    None,
                );
                return Err(StepError::Failed(Box::new(f)));
            };
            self.vars.held().set(c.name.clone(), value);
        }
        // After the captures, so an observation may compute from what this step captured.
        for o in &step.observe {
            let value = self.select_source(&o.from, resp)?;
            self.evidence.held().observe(&step.id, &o.name, value);
        }
        if let Some(spec) = &step.snapshot {
            let value = match &spec.at {
                Some(at) => {
                    let at = self.render_text(at)?;
                    Path::parse(&at)
                        .map_err(StepError::from)?
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
                snapshot::Taken {
                    name: &spec.name,
                    request_line: &resp.request_line,
                    value: &value,
                },
                &known,
                self.revision_of(self.scenario.proposal),
            )
            .map_err(|e| StepError::harness(e.to_string()))?;
            // A snapshot records how this implementation answers; it never decides the
            // scenario (a new implementation has none yet, and drift is not a requirement).
            self.evidence
                .held()
                .snapshots
                .push(snapshot::record(&step.id, &spec.name, outcome));
        }
        Ok(())
    }

    /// Volatile identifiers this scenario knows, for snapshot normalisation: user IDs → names,
    /// server names → `hs1`/`hs2`.
    fn known_ids(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .users
            .held()
            .values()
            .map(|u| (u.user_id.clone(), format!("@{}:[{}]", u.name, u.hs)))
            .collect();
        for h in self.ctx.targets.all() {
            out.push((h.server_name.clone(), format!("[{}]", h.name)));
        }
        out
    }
}
