//! Positive controls for the pairs the fault sweep finds masked (fixtures/repairs.yaml): where
//! the reference server fails a check unfaulted, a *repair* rewrites its answers into what the
//! text requires. The repaired scenario must get past the step where the unrepaired one stopped
//! (the check is seen passing), and each fault breaking a repaired requirement, injected on top
//! of the repair, must make a check judging it fail (the check is seen failing). Pairs no rewrite
//! can reach are listed in the same file with the reason; `sweep` demands every masked pair is
//! one or the other.

use super::controls::{self, Control};
use super::sweep::{run_job_seen, shipped, Job, Verdict};
use crate::common::{mscheck, results, root, text};
use serde_json::Value;
use std::collections::BTreeMap;

/// One repair: the rewrite's name, the scenario, the pairs it makes reachable.
#[derive(Debug, Clone)]
pub struct Repair {
    pub repair: String,
    pub scenario: String,
    pub requirements: Vec<String>,
    pub seed: bool,
}

fn file() -> Value {
    let path = root().join("fixtures/repairs.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let node = mscheck::yaml::parse(&text).unwrap();
    mscheck::yaml::to_json(&node)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The repairs listed in fixtures/repairs.yaml.
pub fn repairs() -> Vec<Repair> {
    repairs_in(&file())
}

fn repairs_in(f: &Value) -> Vec<Repair> {
    f["repairs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Repair {
            repair: r["repair"].as_str().unwrap().to_string(),
            scenario: r["scenario"].as_str().unwrap().to_string(),
            requirements: strings(&r["requirements"]),
            seed: r["revision"] == "seed",
        })
        .collect()
}

/// Every (scenario, requirement) the file accounts for, with how: "repaired by NAME" or
/// "unreachable: reason".
pub fn accounted_for() -> BTreeMap<(String, String), String> {
    let f = file();
    let mut out = BTreeMap::new();
    for r in repairs_in(&f) {
        for id in &r.requirements {
            out.insert(
                (r.scenario.clone(), id.clone()),
                format!("repaired by `{}`", r.repair),
            );
        }
    }
    for u in f["unreachable"].as_array().into_iter().flatten() {
        let scenario = u["scenario"].as_str().unwrap().to_string();
        let reason = u["reason"].as_str().unwrap_or("");
        assert!(
            reason.len() > 20,
            "{scenario}: say why no repair reaches it"
        );
        for id in strings(&u["requirements"]) {
            out.insert(
                (scenario.clone(), id),
                format!("no repair reaches it: {reason}"),
            );
        }
    }
    out
}

/// Runs one scenario with the repair alone; its result file, as a control for the faulted runs.
fn repaired_control(r: &Repair) -> Control {
    let report = tempfile::tempdir().unwrap().keep();
    let mut cmd = mscheck();
    cmd.args([
        "run",
        "--inject",
        &r.repair,
        "--expectations",
        "none",
        "--strict",
    ]);
    if r.seed {
        cmd.args(controls::SEED);
    }
    let out = cmd
        .args(["--filter", &r.scenario])
        .arg("--report-dir")
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        report.join("results.json").exists(),
        "{}: the repaired run wrote no results:\n{}",
        r.repair,
        text(&out)
    );
    Control {
        results: results(&report),
        report,
        planned: vec![r.scenario.clone()],
        exit: out.status.code(),
        output: text(&out),
    }
}

/// Each repair gets its scenario past the step the reference server fails at, and each fault
/// breaking a repaired requirement then fails a check judging it. The repairs run at once.
pub fn repairs_hold() {
    let all = repairs();
    let outcomes: Vec<Result<usize, Vec<String>>> = std::thread::scope(|scope| {
        let running: Vec<_> = all.iter().map(|r| scope.spawn(|| check(r))).collect();
        running.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let proven: usize = outcomes.iter().filter_map(|o| o.as_ref().ok()).sum();
    let problems: Vec<String> = outcomes
        .into_iter()
        .filter_map(Result::err)
        .flatten()
        .collect();
    eprintln!(
        "repairs: {proven} masked pairs seen passing when repaired and failing under a fault"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One repair: how many of its pairs it proves, or what went wrong.
fn check(r: &Repair) -> Result<usize, Vec<String>> {
    let (scenarios, faults, _) = shipped();
    let unrepaired = if r.seed {
        controls::seed()
    } else {
        controls::newest()
    };
    let Some(stopped_at) = unrepaired
        .scenario(&r.scenario)
        .and_then(|s| s["failure"]["step"].as_str())
        .map(str::to_string)
    else {
        return Err(vec![format!(
            "{} {:?}: the unrepaired control does not fail, nothing to repair",
            r.scenario, r.requirements
        )]);
    };
    let control = repaired_control(r);
    let repaired = control.scenario(&r.scenario).cloned().unwrap_or_default();
    if repaired["failure"]["step"].as_str() == Some(stopped_at.as_str()) {
        return Err(vec![format!(
            "`{}` does not get {} past `{stopped_at}`: {}",
            r.repair, r.scenario, repaired["failure"]["message"]
        )]);
    }
    let scenario = scenarios.iter().find(|s| s.id == r.scenario).unwrap();
    let mut seen: Vec<String> = Vec::new();
    for (name, fault) in faults.iter().filter(|(_, f)| !f.is_control()) {
        if !fault.breaks.iter().any(|b| r.requirements.contains(b)) {
            continue;
        }
        let job = Job {
            fault: name,
            targets: vec![scenario],
            seed: r.seed,
            repair: Some(&r.repair),
        };
        let (verdicts, _) = run_job_seen(&job, fault, &control);
        for (_, _, v) in verdicts {
            if let Verdict::Proven(ids) = v {
                seen.extend(ids);
            }
        }
    }
    let unseen: Vec<String> = r
        .requirements
        .iter()
        .filter(|id| !seen.contains(id))
        .map(|id| {
            format!(
                "{} {id}: repaired by `{}`, but no fault breaking it then fails a check judging it",
                r.scenario, r.repair
            )
        })
        .collect();
    if unseen.is_empty() {
        Ok(r.requirements.len())
    } else {
        Err(unseen)
    }
}
