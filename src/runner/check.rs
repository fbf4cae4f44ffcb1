//! Checking a response against a step's expectations: status, errcode, headers, JSON checks
//! (on the body, or on a gathered list with `@vars.<name>`), and building the failure record.

use super::error::StepError;
use super::exec::ScenarioRun;
use crate::client::Response;
use crate::matcher::{Check, Path, Predicate};
use crate::results::Failure;
use crate::scenario::loader::VARS_ROOT;
use crate::scenario::{checks, CheckSpec, Expect, Step};
use crate::text::trim_json;
use serde_json::Value;

impl ScenarioRun {
    pub(super) fn check(
        &self,
        step: &Step,
        expect: &Expect,
        resp: &Response,
    ) -> Result<(), StepError> {
        let fail = |msg: String, spec: Option<&CheckSpec>, m: Option<crate::matcher::Mismatch>| {
            let mut f = failure_from_response(&step.id, &msg, resp, m);
            if let Some(s) = spec {
                f.pos = s.pos;
            } else {
                f.pos = step.pos;
            }
            StepError::Failed(Box::new(f))
        };
        if let Some(problem) = status_problem(expect, resp) {
            return Err(fail(problem, None, None));
        }
        self.check_headers(expect, resp, &fail)?;
        self.check_json(expect, resp, &fail)
    }

    /// The header checks, against the answer's headers.
    fn check_headers(
        &self,
        expect: &Expect,
        resp: &Response,
        fail: &Fail,
    ) -> Result<(), StepError> {
        let headers = Value::Object(
            resp.headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
        for spec in &expect.headers {
            let check = Check {
                at: Path::parse(&format!("[\"{}\"]", spec.at))?,
                predicate: self.predicate(spec)?,
            };
            if let Err(m) = check.evaluate(&headers) {
                return Err(fail(
                    format!("header `{}`: {m}", spec.at),
                    Some(spec),
                    Some(m),
                ));
            }
        }
        Ok(())
    }

    /// The JSON checks, against the body or (`@vars.<name>…`) a variable.
    fn check_json(&self, expect: &Expect, resp: &Response, fail: &Fail) -> Result<(), StepError> {
        for spec in &expect.json {
            let at = self.render_text(&spec.at)?;
            let gathered;
            let (doc, at) = match at.strip_prefix(VARS_ROOT) {
                Some(rest) => {
                    let name = rest.split(['.', '[']).next().unwrap_or_default();
                    gathered = self.var(name).unwrap_or(Value::Null);
                    (&gathered, rest[name.len()..].trim_start_matches('.'))
                }
                None => (&resp.body, at.as_str()),
            };
            let check = Check {
                at: Path::parse(at)?,
                predicate: self.predicate(spec)?,
            };
            if let Err(m) = check.evaluate(doc) {
                return Err(fail(m.to_string(), Some(spec), Some(m)));
            }
        }
        Ok(())
    }

    /// A check's predicate: built at load time, or now from its rendered argument.
    fn predicate(&self, spec: &CheckSpec) -> Result<Predicate, StepError> {
        match &spec.ready {
            Some(p) => Ok(p.clone()),
            None => checks::predicate(spec.predicate, &self.render(&spec.arg)?)
                .map_err(StepError::harness),
        }
    }
}

/// Whether a failed check can never pass on a later attempt: a repeat in, or an unwanted value
/// of, a list gathered with `accumulate`, which only grows.
pub(super) fn cannot_recover(step: &Step, e: &StepError) -> bool {
    let StepError::Failed(f) = e else {
        return false;
    };
    step.expect.json.iter().any(|spec| {
        spec.pos == f.pos
            && spec.at.starts_with(VARS_ROOT)
            && matches!(
                spec.predicate,
                checks::PredicateKind::Unique | checks::PredicateKind::NotContains
            )
    })
}

/// How far an attempt got: the position of the failing check, then whether it found anything.
pub(super) fn telling_rank(e: &StepError) -> (usize, usize, bool) {
    match e {
        StepError::Failed(f) => (
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

/// How a check's failure is made: its message, the check (for its position) and the mismatch.
type Fail<'a> =
    dyn Fn(String, Option<&CheckSpec>, Option<crate::matcher::Mismatch>) -> StepError + 'a;

/// What is wrong with the answer's status or errcode, if anything (a 2xx unless the step
/// expects otherwise).
fn status_problem(expect: &Expect, resp: &Response) -> Option<String> {
    match &expect.status {
        None if !(200..300).contains(&resp.status) => {
            return Some(format!("expected a 2xx status, got {}", resp.status))
        }
        Some(codes) if !codes.contains(&resp.status) => {
            return Some(format!(
                "expected status {}, got {}",
                join_codes(codes),
                resp.status
            ))
        }
        _ => {}
    }
    let codes = expect.errcode.as_ref()?;
    let got = resp.errcode().unwrap_or("");
    (!codes.iter().any(|c| c == got)).then(|| {
        format!(
            "expected errcode {}, got {}",
            codes.join(" or "),
            if got.is_empty() { "none" } else { got }
        )
    })
}

/// A failure record for a response.
pub fn failure_from_response(
    step: &str,
    message: &str,
    resp: &Response,
    m: Option<crate::matcher::Mismatch>,
) -> Failure {
    let check = crate::results::FailureKind::Check;
    Failure {
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
        ..Failure::error(check, step, Default::default(), message.to_string())
    }
}
