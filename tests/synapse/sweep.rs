//! The fault sweep: every fault of fixtures/faults.yaml is run against the scenarios covering
//! what it breaks (where it reaches them), and each (scenario, requirement) pair must be seen
//! failing at a check that judges it while the unfaulted control did not fail there.

use super::controls::{self, Control, SEED};
use crate::common::{mscheck, results, root, text};
use mscheck::catalogue::{Catalogue, Revision};
use mscheck::fault::{load_faults, Fault};
use mscheck::proof::{load_exemptions, pairs, Exemption};
use mscheck::scenario::Scenario;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One faulted run: a fault, the scenarios it targets, at one revision.
pub struct Job<'a> {
    pub fault: &'a str,
    pub targets: Vec<&'a Scenario>,
    pub seed: bool,
    /// A repair (fixtures/repairs.yaml) injected before the fault, so the fault rewrites the
    /// repaired answers.
    pub repair: Option<&'a str>,
}

/// What became of one (fault, scenario) under the fault.
#[derive(Debug)]
pub enum Verdict {
    /// Failed at a check judging these IDs of what the fault breaks; the control did not fail
    /// at that step.
    Proven(Vec<String>),
    /// Failed at a check judging them, but the control failed at the same step.
    Masked(Vec<String>, String),
    /// Anything else (passed, failed elsewhere, errored): the fault is not seen here.
    NotCaught(String),
}

/// Scenarios a fault job runs at once: fixed rather than the machine-dependent default (12 on two
/// cores), so that how loaded a faulted run is does not depend on the machine; that a timeout
/// under load is not taken for a catch is the control's and the check-judging rule's job.
const FAULT_JOBS: &str = "8";

/// Faulted runs at once.
const SWEEP_WORKERS: usize = 6;

/// The shipped scenarios, faults and proof exemptions.
pub fn shipped() -> (Vec<Scenario>, BTreeMap<String, Fault>, Vec<Exemption>) {
    let root = root();
    let catalogue = Catalogue::load(&root.join("suites/requirements.yaml")).unwrap();
    let scenarios = mscheck::scenario::load_suites(&root.join("suites"), &catalogue).unwrap();
    let faults = load_faults(&root.join("fixtures/faults.yaml")).unwrap();
    let exemptions =
        load_exemptions(&root.join("fixtures/proof-exemptions.yaml"), &scenarios).unwrap();
    (scenarios, faults, exemptions)
}

pub fn sweep() {
    let (scenarios, faults, exemptions) = shipped();
    let newest = controls::newest();
    let seed = controls::seed();

    // Newest-capable scenarios at the newest revision; seed-only ones at the seed.
    let mut jobs = Vec::new();
    for (name, fault) in faults.iter().filter(|(_, f)| !f.is_control()) {
        let covering: Vec<&Scenario> = scenarios
            .iter()
            .filter(|s| {
                s.covers.iter().any(|c| fault.breaks.contains(c))
                    && mscheck::proof::reaches(fault, s)
            })
            .collect();
        assert!(
            !covering.is_empty(),
            "fault `{name}` breaks {:?}, which no scenario it reaches covers",
            fault.breaks
        );
        for seed in [false, true] {
            let targets: Vec<&Scenario> = covering
                .iter()
                .copied()
                .filter(|s| s.revisions.contains(&Revision::Newest) != seed)
                .collect();
            if !targets.is_empty() {
                jobs.push(Job {
                    fault: name,
                    targets,
                    seed,
                    repair: None,
                });
            }
        }
    }
    // Longest first (by the controls' durations), so that no long job starts last.
    let took = |job: &Job| -> u64 {
        let control = if job.seed { seed } else { newest };
        job.targets
            .iter()
            .filter_map(|t| control.scenario(&t.id)?["duration_ms"].as_u64())
            .max()
            .unwrap_or(0)
    };
    jobs.sort_by_key(|j| std::cmp::Reverse(took(j)));
    // Each job boots its own servers, which mostly wait: six at a time keep two cores busy
    // (measured: 4 at a time 267 s, CPU 0.9 cores on average).
    let started = std::time::Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let verdicts = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..SWEEP_WORKERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(job) = jobs.get(i) else { break };
                let control = if job.seed { seed } else { newest };
                let found = run_job(job, &faults[job.fault], control);
                verdicts.lock().unwrap().extend(found);
            });
        }
    });
    let verdicts = verdicts.into_inner().unwrap();

    let mut proven: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    let mut masked: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut log = Vec::new();
    for (fault, scenario, verdict) in &verdicts {
        match verdict {
            Verdict::Proven(ids) => {
                for id in ids {
                    proven
                        .entry((scenario.clone(), id.clone()))
                        .or_default()
                        .push(fault);
                }
            }
            Verdict::Masked(ids, step) => {
                for id in ids {
                    masked
                        .entry((scenario.clone(), id.clone()))
                        .or_default()
                        .push(format!("`{fault}` (control fails at `{step}` too)"));
                }
            }
            Verdict::NotCaught(why) if why.starts_with("missing") => {
                problems.push(format!("`{fault}`: {scenario} {why}"));
            }
            Verdict::NotCaught(why) => {
                log.push(format!("  `{fault}` not seen in {scenario}: {why}"))
            }
        }
    }
    for (name, _) in faults.iter().filter(|(_, f)| !f.is_control()) {
        let useful = verdicts
            .iter()
            .any(|(f, _, v)| f == name && !matches!(v, Verdict::NotCaught(_)));
        if !useful {
            problems.push(format!(
                "fault `{name}` makes no check judging what it breaks fail"
            ));
        }
    }
    let all = pairs(&scenarios, &faults, &exemptions);
    let mut unproven = Vec::new();
    // Each masked pair is repaired (a positive control, see `repairs`) or listed unreachable,
    // and each pair listed there is still masked.
    let accounted = super::repairs::accounted_for();
    for p in &all {
        let key = (p.scenario.id.clone(), p.requirement.clone());
        if proven.contains_key(&key) && accounted.contains_key(&key) {
            problems.push(format!(
                "{} {}: proven, but fixtures/repairs.yaml still lists it ({})",
                key.0, key.1, accounted[&key]
            ));
        }
        if p.exemption.is_some() || proven.contains_key(&key) {
            continue;
        }
        match masked.get(&key) {
            Some(by) => {
                let how = accounted.get(&key).cloned().unwrap_or_else(|| {
                    problems.push(format!(
                        "{} {}: masked, and fixtures/repairs.yaml neither repairs it nor says why no repair can reach it",
                        key.0, key.1
                    ));
                    "-".into()
                });
                unproven.push(format!("  {} {}: {}; {how}", key.0, key.1, by.join(", ")))
            }
            None => problems.push(format!(
                "{} {}: no fault makes a check judging it fail (candidates: {:?})",
                key.0, key.1, p.faults
            )),
        }
    }
    eprintln!(
        "fault sweep: {} jobs in {:.0?}; {} of {} (scenario, requirement) pairs proven, {} exempt, {} unproven because the control fails at the same step:\n{}\nfaults not seen in a scenario they reach (another fault proves those pairs):\n{}",
        jobs.len(),
        started.elapsed(),
        proven.len(),
        all.len(),
        all.iter().filter(|p| p.exemption.is_some()).count(),
        unproven.len(),
        unproven.join("\n"),
        log.join("\n"),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs one job and judges each target against its control.
pub fn run_job(job: &Job, fault: &Fault, control: &Control) -> Vec<(String, String, Verdict)> {
    run_job_seen(job, fault, control).0
}

/// The same, and whether the fault changed any answer (a transcript names it).
pub fn run_job_seen(
    job: &Job,
    fault: &Fault,
    control: &Control,
) -> (Vec<(String, String, Verdict)>, bool) {
    let report = tempfile::tempdir().unwrap();
    let verdicts = run_job_in(job, fault, control, report.path());
    let marker = format!(" {}", job.fault);
    let exercised = std::fs::read_dir(report.path().join("transcripts"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            std::fs::read_to_string(e.path()).is_ok_and(|t| {
                t.lines()
                    .filter(|l| l.contains("faults:"))
                    .any(|l| l.contains(&marker))
            })
        });
    (verdicts, exercised)
}

fn run_job_in(
    job: &Job,
    fault: &Fault,
    control: &Control,
    report: &std::path::Path,
) -> Vec<(String, String, Verdict)> {
    let mut cmd = mscheck();
    cmd.arg("run");
    if let Some(repair) = job.repair {
        cmd.args(["--inject", repair]);
    }
    cmd.args([
        "--expectations",
        "none",
        "--jobs",
        FAULT_JOBS,
        "--inject",
        job.fault,
        // A recommendation (SHOULD, MAY) broken by the fault ends "warned": --strict makes it
        // fail the run as a broken MUST does.
        "--strict",
    ]);
    if job.seed {
        cmd.args(SEED);
    }
    cmd.arg("--report-dir").arg(report);
    for t in &job.targets {
        cmd.args(["--filter", &t.id]);
    }
    let out = cmd.output().unwrap();
    let verdict_of = |why: String| {
        job.targets
            .iter()
            .map(|t| {
                (
                    job.fault.to_string(),
                    t.id.clone(),
                    Verdict::NotCaught(why.clone()),
                )
            })
            .collect()
    };
    if out.status.code() != Some(1) {
        return verdict_of(format!(
            "missing: exit {:?}, expected 1\n{}",
            out.status.code(),
            text(&out)
        ));
    }
    let r = results(report);
    let ran: BTreeSet<&str> = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    job.targets
        .iter()
        .map(|t| {
            let got = r["scenarios"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == t.id.as_str());
            let verdict = match got {
                None => Verdict::NotCaught(format!("missing from the results (ran: {ran:?})")),
                Some(s) => judge(s, t, fault, control),
            };
            (job.fault.to_string(), t.id.clone(), verdict)
        })
        .collect()
}

/// Whether a scenario's result under a fault proves the IDs the fault breaks.
pub fn judge(s: &Value, scenario: &Scenario, fault: &Fault, control: &Control) -> Verdict {
    let outcome = s["outcome"].as_str().unwrap_or("");
    let failure = &s["failure"];
    if outcome != "failed" && outcome != "warned" {
        return Verdict::NotCaught(format!("outcome `{outcome}`"));
    }
    let step = failure["step"].as_str().unwrap_or("").to_string();
    if failure["is_check"] != true {
        return Verdict::NotCaught(format!(
            "failed at `{step}` without a check failing: {}",
            failure["message"]
        ));
    }
    let covered: Vec<String> = scenario
        .covers
        .iter()
        .filter(|c| fault.breaks.contains(c))
        .cloned()
        .collect();
    // The control stops at the same step: on this server neither run gets past it, so every
    // pair the fault could break here is masked, also those judged only by later steps.
    let control = control.scenario(&scenario.id);
    if control.is_some_and(|c| c["failure"]["step"].as_str() == Some(step.as_str()))
        && !covered.is_empty()
    {
        return Verdict::Masked(covered, step);
    }
    // `judged` is empty when the failing step judges everything the scenario covers.
    let judged = s["judged"].as_object();
    let ids: Vec<String> = covered
        .into_iter()
        .filter(|c| {
            judged.is_none_or(|j| j.is_empty() || j.get(c.as_str()) == Some(&"broken".into()))
        })
        .collect();
    if ids.is_empty() {
        return Verdict::NotCaught(format!(
            "failed at `{step}`, which judges none of {:?}",
            fault.breaks
        ));
    }
    match control {
        None => Verdict::NotCaught(format!("missing from the control run at {}", step)),
        Some(c) if c["outcome"] == "passed" => Verdict::Proven(ids),
        Some(c)
            if c["outcome"] == "expected_failure"
                || c["outcome"] == "failed"
                || c["outcome"] == "warned" =>
        {
            Verdict::Proven(ids)
        }
        Some(c) => Verdict::NotCaught(format!("the control was `{}`", c["outcome"])),
    }
}
