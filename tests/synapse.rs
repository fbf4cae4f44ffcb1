//! The harness against a real managed Synapse (installed into the cache on first use).
//!
//! These tests share the machine's two cores with Synapse, so they take a lock and run one at a
//! time: timing-sensitive scenarios (holds of a few seconds) stay meaningful.

mod common;

use common::{mscheck, outcomes, results, root, run, text};
use mscheck::catalogue::{Catalogue, Revision};
use mscheck::client::fault::load_faults;
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
    let report = tempfile::tempdir().unwrap();
    let out = run(&["run", "--report-dir", &report.path().to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = results(report.path());
    let got = outcomes(&r);
    assert!(got.len() >= 10, "{got:?}");
    // Passed, or failing as fixtures/expectations/synapse-1.163.yaml says (with its reason).
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
    let junit = std::fs::read_to_string(report.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), got.len());
    let md = std::fs::read_to_string(report.path().join("summary.md")).unwrap();
    assert!(
        md.contains("| S-13 | MUST |") && md.contains("✅ pass"),
        "{md}"
    );
    for (id, _) in &got {
        let t = report
            .path()
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
            !std::fs::read_to_string(report.path().join(file))
                .unwrap()
                .contains("syt_"),
            "token in {file}"
        );
    }
    assert!(report
        .path()
        .join("homeservers/hs1/homeserver.log")
        .exists());
    assert_report_holds_no_secret(report.path());
    assert!(report.path().join("report.html").exists());

    // The same selection split three ways and merged gives the same requirement results.
    let slices: Vec<tempfile::TempDir> = (1..=3)
        .map(|k| {
            let dir = tempfile::tempdir().unwrap();
            let out = run(&[
                "run",
                "--partition",
                &format!("{k}/3"),
                "--report-dir",
                &dir.path().to_string_lossy(),
            ]);
            assert_eq!(out.status.code(), Some(0), "slice {k}/3: {}", text(&out));
            dir
        })
        .collect();
    let merged = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(
        slices
            .iter()
            .map(|d| d.path().to_string_lossy().to_string()),
    );
    args.extend(["--out".into(), merged.path().to_string_lossy().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let m = results(merged.path());
    assert_eq!(
        common::requirement_statuses(&m),
        common::requirement_statuses(&r),
        "merged slices differ from the unsplit run"
    );
    assert_eq!(outcomes(&m).len(), got.len());
    assert!(report
        .path()
        .join("homeservers/hs2/homeserver.log")
        .exists());
}

/// Every fault in fixtures/faults.yaml must make every scenario covering what it breaks fail.
/// Scenarios that run at the newest revision are run there; seed-only scenarios at the seed.
#[test]
fn every_fault_makes_the_scenarios_covering_its_requirements_fail() {
    let _g = lock();
    let root = root();
    let catalogue = Catalogue::load(&root.join("suites/requirements.yaml")).unwrap();
    let scenarios = mscheck::scenario::load_suites(&root.join("suites"), &catalogue).unwrap();
    let faults = load_faults(&root.join("fixtures/faults.yaml")).unwrap();
    // (fault, scenarios, extra flags): newest-capable scenarios at the newest revision, seed-only
    // ones at the seed.
    let mut jobs: Vec<(&str, Vec<&str>, &[&str])> = Vec::new();
    const SEED: &[&str] = &["--revision", "msc4354=seed", "--revision", "msc4140=seed"];
    for (name, fault) in &faults {
        let covering = |s: &&mscheck::scenario::Scenario| {
            s.covers.iter().any(|c| fault.breaks.contains(c)) && fault.reaches(s)
        };
        let newest: Vec<&str> = scenarios
            .iter()
            .filter(covering)
            .filter(|s| s.revisions.contains(&Revision::Newest))
            .map(|s| s.id.as_str())
            .collect();
        let seed_only: Vec<&str> = scenarios
            .iter()
            .filter(covering)
            .filter(|s| !s.revisions.contains(&Revision::Newest))
            .map(|s| s.id.as_str())
            .collect();
        assert!(
            !newest.is_empty() || !seed_only.is_empty(),
            "fault `{name}` breaks {:?}, which no scenario covers",
            fault.breaks
        );
        if !newest.is_empty() {
            jobs.push((name.as_str(), newest, &[]));
        }
        if !seed_only.is_empty() {
            jobs.push((name.as_str(), seed_only, SEED));
        }
    }
    // Each job boots its own Synapse, which mostly waits: three at a time keep two cores busy
    // without starving the timing checks.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let problems = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((name, targets, extra)) = jobs.get(i) else {
                    break;
                };
                let found = run_under_fault(name, targets, extra);
                problems.lock().unwrap().extend(found);
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs the given scenarios with one fault injected and no expectations file (a scenario Synapse
/// already fails must still fail under the fault); returns what did not fail.
fn run_under_fault(name: &str, targets: &[&str], extra: &[&str]) -> Vec<String> {
    let report = tempfile::tempdir().unwrap();
    let mut cmd = mscheck();
    cmd.args(["run", "--expectations", "none", "--inject", name])
        .args(extra)
        .arg("--report-dir")
        .arg(report.path());
    for t in targets {
        cmd.args(["--filter", t]);
    }
    let out = cmd.output().unwrap();
    if out.status.code() != Some(1) {
        return vec![format!(
            "`{name}`: exit {:?}, expected 1\n{}",
            out.status.code(),
            text(&out)
        )];
    }
    outcomes(&results(report.path()))
        .into_iter()
        .filter(|(id, outcome)| targets.contains(&id.as_str()) && outcome != "failed")
        .map(|(id, outcome)| format!("`{name}`: {id} was `{outcome}`, expected `failed`"))
        .collect()
}

#[test]
fn every_scenario_is_broken_by_some_fault() {
    let root = root();
    let catalogue = Catalogue::load(&root.join("suites/requirements.yaml")).unwrap();
    let scenarios = mscheck::scenario::load_suites(&root.join("suites"), &catalogue).unwrap();
    let faults = load_faults(&root.join("fixtures/faults.yaml")).unwrap();
    for s in &scenarios {
        assert!(
            faults
                .values()
                .any(|f| s.covers.iter().any(|c| f.breaks.contains(c)) && f.reaches(s)),
            "no fault in fixtures/faults.yaml breaks what {} covers ({:?})",
            s.id,
            s.covers
        );
    }
}

/// Every file of a report folder: no access token, private key, signing key, registration
/// secret or application-service token, no server database; and the whole folder under 5 MB.
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
    assert!(
        total < 5 * 1024 * 1024,
        "the report folder holds {total} bytes"
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
