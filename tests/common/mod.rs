//! Helpers for the integration tests: run the built binary from the project folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `mscheck` with CI set (never writes snapshots) and the project folder as working directory.
pub fn mscheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mscheck"));
    c.current_dir(root()).env("CI", "1").env("NO_COLOR", "1");
    c
}

/// Runs and returns the output.
pub fn run(args: &[&str]) -> Output {
    mscheck().args(args).output().expect("mscheck runs")
}

/// stdout + stderr as text.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A temporary project root holding the real catalogue and fixtures plus the given suite files.
pub fn temp_root(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(suites.join("t")).unwrap();
    std::fs::copy(
        root().join("suites/requirements.yaml"),
        suites.join("requirements.yaml"),
    )
    .unwrap();
    copy_dir(&root().join("fixtures"), &dir.path().join("fixtures"));
    for (name, text) in files {
        std::fs::write(suites.join("t").join(name), text).unwrap();
    }
    dir
}

/// Copies a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Reads `results.json` of a report folder.
pub fn results(report: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(report.join("results.json")).expect("results.json written");
    serde_json::from_str(&text).expect("results.json is JSON")
}

/// Outcome of each scenario in a results file, by id.
pub fn outcomes(results: &serde_json::Value) -> Vec<(String, String)> {
    results["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `(requirement ID, status)` of every requirement in a results file.
pub fn requirement_statuses(results: &serde_json::Value) -> Vec<(String, String)> {
    results["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["id"].as_str().unwrap().to_string(),
                q["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What `--target synapse` boots: the shipped Synapse profile, the pinned release.
pub fn synapse_setup() -> mscheck::homeserver::ManagedSetup {
    mscheck::homeserver::ManagedSetup {
        profile: std::sync::Arc::new(
            mscheck::homeserver::profile::Profile::load(
                &root().join("fixtures/targets/synapse.yaml"),
            )
            .expect("the Synapse profile loads"),
        ),
        fixtures: root().join("fixtures"),
        synapse: Default::default(),
    }
}

/// Rendered output with what changes from run to run replaced: the report folder, ports,
/// durations, timestamps, run IDs in user names and transaction IDs, sync tokens.
#[allow(dead_code)]
pub fn stable(text: &str, report: &Path) -> String {
    let mut s = text.replace(&report.display().to_string(), "[report]");
    let rules: &[(&str, &str)] = &[
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"\b\d+(\.\d+)? ?(ms|s)\b", "[duration]"),
        (r#"(time|timestamp)="[^"]*""#, "$1=\"[time]\""),
        (r"\b1[0-9]{12}\b", "[ms]"),
        (r"-[0-9a-f]{6}-\d+", "-[run]"),
        (r"\bm[0-9a-f]{6}\.\d+\b", "[txn]"),
        (r"mscheck [0-9]+\.[0-9]+\.[0-9]+", "mscheck [version]"),
        (r"\(\d+ attempts\)", "([n] attempts)"),
        (r"timeout=\d+", "timeout=[ms]"),
    ];
    for (pattern, with) in rules {
        s = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&s, *with)
            .into_owned();
    }
    s
}

/// The managed servers' work folder (`MSCHECK_WORK_DIR`) holds nothing after a run: every
/// working folder, keys and database included, was removed.
pub fn assert_no_working_files(work: &Path) {
    let left: Vec<_> = std::fs::read_dir(work)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "working files left behind: {left:?}");
}
