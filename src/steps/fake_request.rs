//! `fake_request`: any federation request, signed by the fake federating server. Its response
//! is the other server's answer as it came.

use super::build::scalar_text;
use super::fake_support::target;
use super::{FakeOutcome, FakeStep, Fields, Json, StepError, Text};
use crate::client::encode;
use crate::federation::FakeServer;
use crate::runner::exec::ScenarioRun;
use futures_util::future::BoxFuture;
use serde_json::Value;

/// Key in the YAML.
pub const NAME: &str = "fake_request";
/// One line for the README.
pub const SUMMARY: &str =
    "a federation request signed by the fake federating server (method, path, query, body) to `to`";
/// No `as:`: the fake server acts.
pub const NEEDS_USER: bool = false;
/// No client-server request.
pub const SAMPLES: &[(&str, &str)] = &[];

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    method: &'static str,
    path: Text,
    query: Option<Json>,
    body: Option<Json>,
    to: Option<Text>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let method = f.need_choice("method", super::build::METHODS);
        let path = f.need_text("path");
        Some(Step {
            query: f.mapping("query"),
            body: f.json("body"),
            to: f.text("to"),
            method: method?,
            path: path?,
        })
    }

    /// The path with its query, rendered.
    fn uri(&self, vars: &crate::vars::Vars) -> Result<String, StepError> {
        let mut uri = self.path.render(vars)?;
        if let Some(q) = &self.query {
            if let Value::Object(q) = q.render(vars)? {
                let parts: Vec<String> = q
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(&scalar_text(v))))
                    .collect();
                uri = format!("{uri}?{}", parts.join("&"));
            }
        }
        Ok(uri)
    }
}

impl FakeStep for Step {
    fn run<'a>(
        &'a self,
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            let vars = run.vars_snapshot();
            let to = target(run, self.to.as_ref(), &vars)?;
            let uri = self.uri(&vars)?;
            let body = self.body.as_ref().map(|b| b.render(&vars)).transpose()?;
            let resp = fake
                .request(step_id, &to, self.method, &uri, body.as_ref())
                .await?;
            let line = format!("FAKE {} {uri} on {to}", self.method);
            Ok(FakeOutcome {
                line,
                status: resp.status,
                body: resp.body,
            })
        })
    }
}
