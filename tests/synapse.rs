//! The harness against a real managed Synapse (installed into the cache on first use).
//!
//! These tests share the machine's two cores with Synapse, so they take a lock and run one at a
//! time: timing-sensitive scenarios (holds of a few seconds) stay meaningful.

mod common;
#[path = "synapse/controls.rs"]
mod controls;
#[path = "synapse/mutants.rs"]
mod mutants;
#[path = "synapse/repairs.rs"]
mod repairs;
#[path = "synapse/sweep.rs"]
mod sweep;
#[path = "synapse/verdicts.rs"]
mod verdicts;

use common::{mscheck, outcomes};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_SYNAPSE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    ONE_SYNAPSE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

#[test]
fn every_scenario_passes_against_managed_synapse_and_reports_are_complete() {
    let _g = lock();
    let control = controls::newest();
    let report = control.report.as_path();
    assert_eq!(control.exit, Some(0), "{}", control.output);
    let r = &control.results;
    let got = outcomes(r);
    // Exactly what the plan holds, each once.
    let ids: Vec<&String> = got.iter().map(|(id, _)| id).collect();
    let mut planned: Vec<&String> = control.planned.iter().collect();
    planned.sort();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, planned, "the run and `mscheck list` disagree");
    assert_eq!(r["stats"]["planned"], control.planned.len());
    // Passed, or failing as fixtures/expectations/synapse-1.163.yaml says (with its reason).
    assert_outcomes_as_expected(r);
    // Every committed snapshot matched (strict), and none is missing.
    assert_eq!(r["stats"]["snapshots"]["changed"], 0, "{}", control.output);
    assert_eq!(r["stats"]["snapshots"]["new"], 0, "{}", control.output);
    assert!(r["stats"]["snapshots"]["unchanged"].as_u64() > Some(0));
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["targets"][0]["implementation"], "synapse");
    assert_eq!(
        r["targets"].as_array().unwrap().len(),
        2,
        "a two-server scenario boots the pair"
    );
    let s13 = r["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "S-13")
        .unwrap()
        .clone();
    assert_eq!(s13["status"], "pass");
    let junit = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), got.len());
    let md = std::fs::read_to_string(report.join("summary.md")).unwrap();
    assert!(
        md.contains("| S-13 | MUST |") && md.contains("✅ pass"),
        "{md}"
    );
    for (id, _) in &got {
        let t = report
            .join("transcripts")
            .join(format!("{}.txt", id.replace('/', "__")));
        let transcript =
            std::fs::read_to_string(&t).unwrap_or_else(|_| panic!("{} exists", t.display()));
        assert!(
            !transcript.contains("syt_"),
            "an access token leaked into {}",
            t.display()
        );
        for key in ["\"password\": ", "\"mac\": "] {
            assert!(
                transcript
                    .match_indices(key)
                    .all(|(i, _)| transcript[i + key.len()..].starts_with("\"[redacted]\"")),
                "{key} is not redacted in {}",
                t.display()
            );
        }
    }
    for file in ["results.json", "junit.xml", "summary.md"] {
        assert!(
            !std::fs::read_to_string(report.join(file))
                .unwrap()
                .contains("syt_"),
            "token in {file}"
        );
    }
    assert!(report.join("homeservers/hs1/homeserver.log").exists());
    assert!(report.join("homeservers/hs2/homeserver.log").exists());
    assert_report_holds_no_secret(report);
    assert!(report.join("report.html").exists());
}

/// The seed revisions unfaulted, as three slices merged: every planned scenario ran once, each
/// passed or failed as the shipped expectations say for the seed, and no snapshot changed.
#[test]
fn every_seed_scenario_passes_or_fails_as_expected_across_merged_slices() {
    let _g = lock();
    let control = controls::seed();
    assert_eq!(control.exit, Some(0), "{}", control.output);
    let r = &control.results;
    let mut ids: Vec<String> = outcomes(r).into_iter().map(|(id, _)| id).collect();
    ids.sort();
    let mut planned = control.planned.clone();
    planned.sort();
    assert_eq!(
        ids, planned,
        "the merged slices and `mscheck list` disagree"
    );
    assert_eq!(r["stats"]["planned"], planned.len());
    assert_eq!(r["revisions"]["msc4354"], "seed");
    assert_eq!(r["revisions"]["msc4140"], "seed");
    assert_outcomes_as_expected(r);
    assert_eq!(r["stats"]["snapshots"]["changed"], 0, "{}", control.output);
    assert_report_holds_no_secret(&control.report);
}

/// Every outcome is `passed` or an `expected_failure` with its reason.
fn assert_outcomes_as_expected(r: &serde_json::Value) {
    let got = outcomes(r);
    assert!(
        got.iter()
            .all(|(_, o)| o == "passed" || o == "expected_failure"),
        "{got:?}"
    );
    assert!(r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "expected_failure")
        .all(|s| s["reason"].as_str().is_some_and(|x| !x.is_empty())));
}

/// A correct server whose clock runs 20 s behind or ahead of mscheck's (every server timestamp
/// in its answers shifted) keeps the verdicts of the plain run on every time-judging scenario.
#[test]
fn a_skewed_server_clock_changes_no_verdict() {
    let _g = lock();
    verdicts::clock_skew_keeps_verdicts();
}

/// A recommendation not met is a warning, and fails the run only under `--strict`.
#[test]
fn a_recommendation_not_met_is_a_warning_unless_strict() {
    let _g = lock();
    verdicts::a_recommendation_not_met_warns();
}

/// Every fault in fixtures/faults.yaml against the scenarios covering what it breaks, each
/// compared with its unfaulted control (see `sweep`).
#[test]
fn every_covered_requirement_is_seen_failing_under_a_fault_that_breaks_it() {
    let _g = lock();
    sweep::sweep();
}

/// Positive controls: each repair (fixtures/repairs.yaml) makes a masked check pass, and the
/// faults breaking its requirements then make it fail (see `repairs`).
#[test]
fn every_repaired_check_is_seen_passing_and_failing() {
    let _g = lock();
    repairs::repairs_hold();
}

/// A fixed share of the mutants generated from the catalogue's surfaces (one per requirement
/// that declares surfaces), each killed by a check judging its requirement (see `mutants`).
#[test]
fn generated_mutants_of_every_declared_surface_are_killed() {
    let _g = lock();
    mutants::sweep_share();
}

/// Every generated mutant, with the score per requirement: run by hand for the notes
/// (`cargo test --test synapse mutation_score -- --ignored --nocapture`).
#[test]
#[ignore = "runs every generated mutant (minutes); the share above runs in cargo test"]
fn mutation_score() {
    let _g = lock();
    mutants::full_score();
}

/// Without running anything: every (scenario, covered requirement) pair has a fault that claims
/// to break it and reaches the scenario, or a reasoned exemption.
#[test]
fn every_covered_requirement_has_a_breaking_fault_or_an_exemption() {
    let (scenarios, faults, exemptions) = sweep::shipped();
    let pairs = mscheck::proof::pairs(&scenarios, &faults, &exemptions);
    let gaps: Vec<String> = pairs
        .iter()
        .filter(|p| p.faults.is_empty() && p.exemption.is_none())
        .map(|p| format!("{} {}", p.scenario.id, p.requirement))
        .collect();
    assert!(gaps.is_empty(), "no fault breaks: {gaps:?}");
    assert!(pairs.iter().all(|p| !p.judging_steps.is_empty()));
    assert!(!exemptions.is_empty());
}

/// Every file of a report folder: no access token, private key, signing key, registration
/// secret or application-service token, no server database; and the whole folder under 96 KiB
/// per scenario on average (5.5 MB for the 84 scenarios at the newest revision: transcripts and
/// server logs grow with the suite, not without bound).
fn assert_report_holds_no_secret(report: &std::path::Path) {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    let mut files = Vec::new();
    walk(report, &mut files);
    let mut total = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        total += bytes.len();
        let text = String::from_utf8_lossy(&bytes);
        let name = f.display();
        assert!(
            !name.to_string().ends_with(".db"),
            "a database in the report: {name}"
        );
        for (what, needle) in [
            ("an access token", "syt_"),
            ("a PEM private key", "PRIVATE KEY"),
            ("a signing key", "ed25519 a_"),
        ] {
            assert!(!text.contains(needle), "{what} in {name}");
        }
        for key in [
            "registration_shared_secret",
            "as_token",
            "hs_token",
            "macaroon_secret_key",
            "form_secret",
        ] {
            for (i, _) in text.match_indices(&format!("\"{key}\": ")) {
                assert!(
                    text[i..].starts_with(&format!("\"{key}\": \"[redacted]\"")),
                    "{key} is not redacted in {name}"
                );
            }
        }
    }
    let scenarios = crate::common::results(report)["scenarios"]
        .as_array()
        .map_or(1, Vec::len)
        .max(1);
    assert!(
        total < scenarios * 96 * 1024,
        "the report folder holds {total} bytes for {scenarios} scenarios"
    );
}

fn synapse_processes_under(dir: &std::path::Path) -> Vec<String> {
    let needle = dir.to_string_lossy().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains("synapse.app.homeserver") && cmd.contains(&needle) {
                found.push(format!("{}: {cmd}", e.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[test]
fn ctrl_c_during_a_run_leaves_no_synapse_behind() {
    let _g = lock();
    let report = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut child = mscheck()
        .env("MSCHECK_WORK_DIR", work.path())
        .args(["run", "--filter", "delayed-restart", "--report-dir"])
        .arg(report.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // Wait (deadline 120 s: a cold cache installs Synapse first) until the server is up.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = lines
            .next()
            .expect("mscheck prints the target line")
            .unwrap();
        if line.starts_with("target hs1") {
            break;
        }
        assert!(Instant::now() < deadline, "no target line within 120 s");
    }
    assert_eq!(
        synapse_processes_under(work.path()).len(),
        1,
        "Synapse is running"
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !synapse_processes_under(work.path()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "still running: {:?}",
            synapse_processes_under(work.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The server's working files (database, keys) went with it; its logs are in the report.
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "working files left behind"
    );
    assert!(report.path().join("homeservers/hs1/console.log").exists());
}

#[test]
fn a_run_of_scenarios_with_servers_of_their_own_boots_no_shared_server() {
    let _g = lock();
    let report = tempfile::tempdir().unwrap();
    let out = mscheck()
        .args([
            "run",
            "--filter",
            "delayed-survives-restart",
            "--report-dir",
        ])
        .arg(report.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(
        outcomes(&r),
        vec![(
            "msc4140-delayed-events/delayed-survives-restart".to_string(),
            "passed".to_string()
        )]
    );
    // The scenario's own server identified the target, and no other server was booted.
    assert_eq!(r["targets"][0]["implementation"], "synapse");
    let booted: Vec<String> = std::fs::read_dir(report.path().join("homeservers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        booted,
        vec!["msc4140-delayed-events__delayed-survives-restart"],
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no shared ones"), "{stderr}");
}
