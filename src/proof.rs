//! The evidence behind a verdict: for every (scenario, covered requirement) pair, the steps that
//! judge it, the faults in `fixtures/faults.yaml` that claim to break it and reach the scenario,
//! or the reason no server can break it (`fixtures/proof-exemptions.yaml`).
//!
//! The fault sweep (tests/synapse.rs) runs these faults and demands that every pair that is not
//! exempt is shown failing at a check judging it; `mscheck requirements --proof` prints the map.

use crate::catalogue::{Catalogue, Revision};
use crate::fault::Fault;
use crate::scenario::Scenario;
use crate::yaml::{Diagnostic, Diagnostics, Pos};
use std::collections::BTreeMap;
use std::path::Path;

/// A (scenario, requirement) pair no fault can break, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// `suite/stem`.
    pub scenario: String,
    /// The covered requirement ID.
    pub requirement: String,
    /// Why no server behaviour can make its check fail (e.g. a permission the server may use).
    pub reason: String,
}

/// Reads `fixtures/proof-exemptions.yaml`: `exemptions: [{scenario, requirement, reason}]`, each
/// naming a scenario that exists and covers the requirement.
pub fn load_exemptions(path: &Path, scenarios: &[Scenario]) -> Result<Vec<Exemption>, Diagnostics> {
    use crate::yaml;
    let (source, root) = yaml::read_file(path, yaml::FileKind::Exemptions)?;
    let fail = |pos: Pos, msg: String| Diagnostics(vec![Diagnostic::new(path, &source, pos, msg)]);
    let Some(list) = root.as_mapping().and_then(|m| m.get_sequence("exemptions")) else {
        return Err(fail(
            yaml::pos(&root),
            "expected a top-level `exemptions:` list".into(),
        ));
    };
    let mut out = Vec::new();
    for item in list.iter() {
        let pos = yaml::pos(item);
        let Some(m) = item.as_mapping() else {
            return Err(fail(
                pos,
                "an exemption is a mapping {scenario, requirement, reason}".into(),
            ));
        };
        let unknown = yaml::unknown_keys(
            path,
            &source,
            m,
            "key of an exemption",
            &["scenario", "requirement", "reason"],
        );
        if !unknown.is_empty() {
            return Err(Diagnostics(unknown));
        }
        let text = |key: &str| -> Result<String, Diagnostics> {
            m.get_scalar(key)
                .map(|s| s.as_str().trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| fail(pos, format!("an exemption needs a non-empty `{key}`")))
        };
        let e = Exemption {
            scenario: text("scenario")?,
            requirement: text("requirement")?,
            reason: text("reason")?,
        };
        match scenarios.iter().find(|s| s.id == e.scenario) {
            None => return Err(fail(pos, format!("no scenario `{}`", e.scenario))),
            Some(s) if !s.covers.contains(&e.requirement) => {
                return Err(fail(
                    pos,
                    format!("`{}` does not cover {}", e.scenario, e.requirement),
                ))
            }
            Some(_) => {}
        }
        out.push(e);
    }
    Ok(out)
}

/// One (scenario, covered requirement) pair and its evidence.
#[derive(Debug, Clone)]
pub struct Pair<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The covered requirement ID.
    pub requirement: String,
    /// The steps judging it, in document order.
    pub judging_steps: Vec<String>,
    /// Faults that claim to break it and reach the scenario.
    pub faults: Vec<String>,
    /// Why it needs no fault, when it is exempt.
    pub exemption: Option<String>,
}

/// Every (scenario, covered requirement) pair of `scenarios`, in scenario order.
pub fn pairs<'a>(
    scenarios: &'a [Scenario],
    faults: &BTreeMap<String, Fault>,
    exemptions: &[Exemption],
) -> Vec<Pair<'a>> {
    let mut out = Vec::new();
    for s in scenarios {
        let order = s.judging_order();
        let checking = checking_steps(s);
        for c in &s.covers {
            let judging_steps = order
                .iter()
                .filter(|(step, judged)| judged.contains(&c.as_str()) && checking.contains(step))
                .map(|(step, _)| step.to_string())
                .collect();
            let faults = faults
                .iter()
                .filter(|(_, f)| f.breaks.contains(c) && reaches(f, s))
                .map(|(name, _)| name.clone())
                .collect();
            let exemption = exemptions
                .iter()
                .find(|e| e.scenario == s.id && &e.requirement == c)
                .map(|e| e.reason.clone());
            out.push(Pair {
                scenario: s,
                requirement: c.clone(),
                judging_steps,
                faults,
                exemption,
            });
        }
    }
    out
}

/// The steps that check something beyond "the request succeeded": an `expect`, a `sample`, or
/// an explicit `judges` (setup steps, which only have to succeed, are left out of the report).
fn checking_steps(s: &Scenario) -> Vec<&str> {
    use crate::scenario::{Action, Step};
    fn walk<'s>(steps: &'s [Step], out: &mut Vec<&'s str>) {
        for step in steps {
            if !step.expect.is_default() || step.sample.is_some() || !step.judges.is_empty() {
                out.push(step.id.as_str());
            }
            match &step.action {
                Action::Concurrent(branches) => branches.iter().for_each(|b| walk(b, out)),
                Action::Repeat { steps, .. } => walk(steps, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&s.steps, &mut out);
    out
}

/// The pairs, per requirement of the catalogue at the chosen revisions, as Markdown.
pub fn render(
    catalogue: &Catalogue,
    pairs: &[Pair],
    rev_of: impl Fn(crate::catalogue::Proposal) -> Revision,
) -> String {
    let mut out = String::from(
        "# What each verdict rests on\n\nPer requirement: each scenario covering it, the steps \
         judging it, and the faults (fixtures/faults.yaml) the sweep in tests/synapse.rs runs to \
         show those steps failing, or why no fault can (fixtures/proof-exemptions.yaml).\n",
    );
    for req in catalogue.all() {
        let rev = rev_of(req.proposal);
        let mine: Vec<&Pair> = pairs
            .iter()
            .filter(|p| p.requirement == req.id && p.scenario.revisions.contains(&rev))
            .collect();
        if !req.revisions.contains(&rev) || mine.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {} ({}): {}\n",
            req.id, req.strength, req.summary
        ));
        for p in mine {
            let evidence = match (&p.exemption, p.faults.is_empty()) {
                (Some(why), _) => format!("exempt: {why}"),
                (None, true) => "NO FAULT BREAKS IT".to_string(),
                (None, false) => format!("broken by {}", p.faults.join(", ")),
            };
            out.push_str(&format!(
                "- {}: judged by {}; {}\n",
                p.scenario.id,
                p.judging_steps.join(", "),
                evidence
            ));
        }
    }
    out
}

/// Whether `fault` can make a scenario fail at all: one that misbehaves in the fake
/// federating server reaches scenarios that use it; one that rewrites client-server requests
/// or responses reaches scenarios with a step that makes a request its `when` matches. (A
/// scenario whose PDUs come from the fake never calls `/send`, so a `/send` rewrite cannot
/// touch it.)
pub fn reaches(fault: &Fault, s: &Scenario) -> bool {
    if !fault.fake.is_empty() && s.uses_fake_server() {
        return true;
    }
    if fault.request.is_empty() && fault.response.is_empty() {
        return false;
    }
    s.call_kinds().iter().any(|kind| {
        kind.samples.iter().any(|(method, path)| {
            // `("*", "*")`: a step that can make any request (`request`). A sample carries no
            // query: one a fault asks for is taken as there (a step may send it).
            *method == "*"
                || fault.matches(&crate::fault::RequestParts {
                    method: method.to_string(),
                    path: path.to_string(),
                    query: fault
                        .with_query
                        .iter()
                        .map(|q| (q.clone(), String::new()))
                        .collect(),
                    body: None,
                })
        })
    })
}
