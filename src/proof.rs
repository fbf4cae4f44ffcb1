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
    mutants: &MutationScore,
) -> String {
    let mut out = String::from(
        "# What each verdict rests on\n\nPer requirement: each scenario covering it, the steps \
         judging it, and the faults (fixtures/faults.yaml) the sweep in tests/synapse.rs runs to \
         show those steps failing, or why no fault can (fixtures/proof-exemptions.yaml); then the \
         mutants generated from its declared surfaces, as the last full run scored them \
         (fixtures/mutation-score.txt).\n",
    );
    if let Some(total) = &mutants.total {
        out.push_str(&format!("\nMutants in all: {total}\n"));
    }
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
        if let Some(score) = mutants.per_requirement.get(&req.id) {
            out.push_str(&format!("- mutants: {score}\n"));
        }
        for name in mutants.survivors.get(&req.id).into_iter().flatten() {
            out.push_str(&format!("- surviving mutant: {name}\n"));
        }
    }
    out
}

/// The committed full mutation score (`fixtures/mutation-score.txt`, written by the ignored
/// `mutation_score` test), read for `requirements --proof`.
#[derive(Debug, Default)]
pub struct MutationScore {
    /// `killed 162, masked 92, survived 2, not exercised 0, no target 3: 97%`.
    pub total: Option<String>,
    /// The same, per requirement.
    pub per_requirement: BTreeMap<String, String>,
    /// Surviving mutants' names, per requirement.
    pub survivors: BTreeMap<String, Vec<String>>,
}

/// Reads the score table (`ID killed masked survived not-exercised no-target NN%` rows and
/// `survived: NAME (why)` lines); a missing or unreadable file gives an empty score.
pub fn read_mutation_score(path: &Path) -> MutationScore {
    let Ok(text) = std::fs::read_to_string(path) else {
        return MutationScore::default();
    };
    let mut score = MutationScore::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("survived: ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            if let Some(id) = name.split(':').nth(1) {
                score
                    .survivors
                    .entry(id.to_string())
                    .or_default()
                    .push(name.to_string());
            }
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        let [id, k, m, s, n, t, pct] = cells[..] else {
            continue;
        };
        if [k, m, s, n, t].iter().any(|c| c.parse::<u32>().is_err()) || !pct.ends_with('%') {
            continue;
        }
        let words = format!(
            "killed {k}, masked {m}, survived {s}, not exercised {n}, no target {t}: {pct} killed of those not masked"
        );
        if id == "total" {
            score.total = Some(words);
        } else {
            score.per_requirement.insert(id.to_string(), words);
        }
    }
    score
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

#[cfg(test)]
mod score_tests {
    use super::*;

    #[test]
    fn the_score_table_is_read_by_requirement_with_its_survivors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("score.txt");
        std::fs::write(
            &path,
            "mutants: 3 run; fingerprint 00\n\nrequirement  killed  masked  survived  not-exercised  no-target  score\n\
             S-06              6       0         1              0          0  86%\n\
             total             6       0         1              0          0  86%\n\
             survived: mutant:S-06:sync.sticky:copy-to-sibling (why)\n",
        )
        .unwrap();
        let s = read_mutation_score(&path);
        assert_eq!(
            s.per_requirement["S-06"],
            "killed 6, masked 0, survived 1, not exercised 0, no target 0: 86% killed of those not masked"
        );
        assert!(s.total.is_some());
        assert_eq!(
            s.survivors["S-06"],
            ["mutant:S-06:sync.sticky:copy-to-sibling"]
        );
        assert!(read_mutation_score(&dir.path().join("none"))
            .total
            .is_none());
    }
}
