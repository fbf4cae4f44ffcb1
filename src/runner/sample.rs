//! Running a `sample:` step: the same request again and again across an item's lifetime.
//!
//! Each response is checked like any other (the step's `expect` holds on every sample), then
//! reduced to a [`Sample`]: is the item there, and what remaining lifetime does it carry? The
//! loop stops at the first response without the item, or fails when the item is still there
//! after `within`. The whole series is judged by [`lifetime::judge`] and recorded as an
//! observation named `lifetime`, passing or not, so the report shows how the server behaved.

use super::check::failure_from_response;
use super::error::StepError;
use super::exec::ScenarioRun;
use crate::client::Response;
use crate::held::Held;
use crate::matcher::{Path, Selected};
use crate::results::lifetime::{self, Rules, Sample};
use crate::scenario::{Call, SampleSpec, Step};
use crate::units::human_duration;
use serde_json::{json, Value};
use std::time::Instant;

impl ScenarioRun {
    pub(super) async fn run_sampled(
        &self,
        step: &Step,
        call: &Call,
        spec: &SampleSpec,
    ) -> (Result<(), StepError>, u32) {
        let rules = match self.sample_rules(spec) {
            Ok(r) => r,
            Err(e) => return (Err(e), 0),
        };
        let started = Instant::now();
        let mut samples = Vec::new();
        let mut attempts = 0;
        let mut overdue = false;
        let last = loop {
            attempts += 1;
            let left = spec.within.saturating_sub(started.elapsed());
            let resp = match self.attempt(step, call, Some(left)).await {
                Ok(r) => r,
                Err(e) => {
                    return (
                        Err(e.waited(format!(
                            "sample {attempts} ({} into the series)",
                            human_duration(started.elapsed())
                        ))),
                        attempts,
                    )
                }
            };
            let sample = match self.reduce(&step.id, spec, &rules, &resp) {
                Ok(s) => s,
                Err(e) => return (Err(e), attempts),
            };
            samples.push(sample);
            if !sample.present {
                break resp;
            }
            let elapsed = started.elapsed();
            if elapsed >= spec.within {
                overdue = true;
                break resp;
            }
            tokio::time::sleep(spec.every.min(spec.within - elapsed)).await;
        };
        let verdict = lifetime::judge(&samples, &rules);
        self.evidence
            .held()
            .observe(&step.id, "lifetime", Some(json!(verdict.summary)));
        let problem = verdict.problem.or_else(|| {
            overdue.then(|| {
                format!(
                    "still delivered after {} ({attempts} samples)",
                    human_duration(spec.within)
                )
            })
        });
        self.evidence.held().series.push(lifetime::Series::new(
            &step.id,
            &samples,
            &rules,
            problem.clone(),
        ));
        if let Some(problem) = problem {
            let mut f = failure_from_response(
                &step.id,
                &format!("{problem}; {}", verdict.summary),
                &last,
                None,
            );
            f.pos = spec.pos;
            return (Err(StepError::Failed(Box::new(f))), attempts);
        }
        (self.after_success(step, &last).await, attempts)
    }

    /// The declared end and margin, with the templates rendered now.
    fn sample_rules(&self, spec: &SampleSpec) -> Result<Rules, StepError> {
        let vars = self.vars_snapshot();
        let ends = match &spec.ends {
            Some((a, b)) => Some((a.render(&vars)?, b.render(&vars)?)),
            None => None,
        };
        Ok(Rules {
            ends: ends.map(|(a, b)| (a.min(b), a.max(b))),
            margin_ms: spec.margin.as_millis() as i64,
        })
    }

    /// One response as a sample: whether the item is there and its remaining lifetime.
    /// A remaining value may be missing only at the very end: from `margin` before the earliest
    /// declared end on, the item may still be listed while its remaining lifetime has reached
    /// zero (the server computed the two at different moments); it is then a sample without a
    /// value, and the series is judged on the others.
    fn reduce(
        &self,
        step: &str,
        spec: &SampleSpec,
        rules: &Rules,
        resp: &Response,
    ) -> Result<Sample, StepError> {
        let parse = |text: &str| -> Result<Path, StepError> {
            let text = self.render_text(text)?;
            Ok(Path::parse(&text)?)
        };
        let item = match parse(&spec.item)?.select(&resp.body) {
            Selected::One(v) => v,
            Selected::Many(mut vs) => (!vs.is_empty()).then(|| vs.swap_remove(0)),
        };
        let remaining_ms = match (&item, &spec.remaining) {
            (Some(item), Some(at)) => {
                let value = parse(at)?.select(item).into_value();
                let at_the_end = rules
                    .ends
                    .is_some_and(|(earliest, _)| resp.response_ms >= earliest - rules.margin_ms);
                match value.as_ref().and_then(Value::as_i64) {
                    Some(n) => Some(n),
                    None if value.is_none() && at_the_end => None,
                    None => {
                        let mut f = failure_from_response(
                            step,
                            &format!(
                                "the item has no integer remaining lifetime at `{at}` (found {})",
                                value.map_or("nothing".into(), |v| v.to_string())
                            ),
                            resp,
                            None,
                        );
                        f.pos = spec.pos;
                        return Err(StepError::Failed(Box::new(f)));
                    }
                }
            }
            _ => None,
        };
        Ok(Sample {
            sent_ms: resp.request_ms,
            received_ms: resp.response_ms,
            present: item.is_some(),
            remaining_ms,
        })
    }
}
