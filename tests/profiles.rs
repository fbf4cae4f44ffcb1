//! Implementation profiles against a real server: Synapse run through the generic command path
//! (no Synapse provisioning: a profile that names a program, as any other homeserver's would)
//! gives the same outcomes as `--target synapse` on scenarios that stop, pause and restart the
//! server, need configuration (limits, strict rate limits, fast federation retries, a spam rule),
//! act as the application service, use the fake federating server or a second server; a need
//! the profile cannot express skips its scenario with the reason; a broken profile is exit 2.

mod common;

use common::{mscheck, outcomes, results, root, text};
use std::path::Path;

const SELECTION: &[&str] = &[
    "delayed-survives-restart",
    "sticky-forked-power-levels",
    "delayed-cap-zero",
    "delayed-rate-limits",
    "fake-sticky-flood",
    "fake-sticky-survives-send-backlog",
    "sticky-spam-flagged",
    "delayed-appservice-timestamp",
    "sticky-section-timeline-limit-1",
];

fn run_with(target: &str, report: &Path) -> std::process::Output {
    let mut cmd = mscheck();
    cmd.args(["run", "--target", target, "--report-dir"])
        .arg(report);
    for f in SELECTION {
        cmd.args(["--filter", f]);
    }
    cmd.output().expect("mscheck runs")
}

fn venv_python() -> std::path::PathBuf {
    let p = mscheck::homeserver::install::cache_dir().join("synapse-1.163.2/bin/python");
    assert!(
        p.exists(),
        "the pinned Synapse is installed by earlier tests"
    );
    p
}

/// The shipped Synapse profile, rewritten to run the cached venv's Python as a plain command.
fn command_profile(dir: &Path, drop_need: Option<&str>) -> std::path::PathBuf {
    command_profile_running(dir, drop_need, &venv_python().to_string_lossy())
}

/// The same, naming `program` as the profile's command.
fn command_profile_running(
    dir: &Path,
    drop_need: Option<&str>,
    program: &str,
) -> std::path::PathBuf {
    let fixtures = root().join("fixtures");
    let shipped = std::fs::read_to_string(fixtures.join("targets/synapse.yaml")).unwrap();
    let mut text = shipped
        .replace(
            "provision: synapse-pip",
            &format!("provision: {{command: {program}}}\nversion: \"1.163.2\""),
        )
        .replace("\"{{python}}\"", "\"{{program}}\"")
        .replace("../synapse/", &format!("{}/synapse/", fixtures.display()))
        .replace("{{profile_dir}}/", "");
    if let Some(need) = drop_need {
        // The need says why the server cannot meet it; the skip quotes that.
        text = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with(need) {
                    format!("  {need}: {{unsupported: \"no spam-checker module in this build\"}}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    let p = dir.join("synapse-by-command.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The selection through the command path passes, or fails as the shipped expectations for
/// Synapse say, exactly as the managed Synapse's own control run (tests/synapse.rs) requires of
/// `--target synapse`: the same bar, without running the selection twice.
#[test]
fn synapse_through_the_generic_command_path_passes_what_the_synapse_profile_passes() {
    let work = tempfile::tempdir().unwrap();
    let profile = command_profile(work.path(), None);
    let by_command = work.path().join("command");
    let out = run_with(&profile.to_string_lossy(), &by_command);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let got = outcomes(&results(&by_command));
    assert!(
        got.iter()
            .all(|(_, o)| o == "passed" || o == "expected_failure"),
        "{got:?}"
    );
    assert_eq!(got.len(), SELECTION.len());
    let r = results(&by_command);
    assert_eq!(r["targets"][0]["implementation"], "synapse");
    assert!(r["targets"][0]["identified_by"]
        .as_str()
        .unwrap()
        .contains("synapse-by-command.yaml"));
}

#[test]
fn a_need_the_profile_cannot_express_skips_with_the_reason_and_a_broken_profile_is_bad_input() {
    let work = tempfile::tempdir().unwrap();
    // The profile names a program that is not built yet; `--program` gives the real one.
    let profile = command_profile_running(
        work.path(),
        Some("spam_check=flag_marked"),
        "./not-built-yet",
    );
    let report = work.path().join("r");
    let out = mscheck()
        .args(["run", "--target"])
        .arg(&profile)
        .args([
            "--filter",
            "sticky-spam-flagged",
            "--filter",
            "versions-advertises-sticky-events",
        ])
        .arg("--program")
        .arg(venv_python())
        .arg("--report-dir")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = results(&report);
    let spam = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "msc4354-sticky-events/sticky-spam-flagged")
        .unwrap();
    assert_eq!(spam["outcome"], "skipped");
    assert_eq!(
        spam["reason"],
        "profile `synapse` cannot set spam_check: flag_marked: no spam-checker module in this build"
    );
    assert!(
        outcomes(&r)
            .iter()
            .any(|(id, o)| id.ends_with("versions-advertises-sticky-events") && o == "passed"),
        "the server ran from --program"
    );

    let broken = work.path().join("broken.yaml");
    std::fs::write(&broken, "implementation: x\nprovision: {command: ./nowhere}\nstart: {program: x}\nstop: {signal: TERMINATE}\n").unwrap();
    let out = mscheck()
        .args(["run", "--target", &broken.to_string_lossy()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("broken.yaml:4:"), "{}", text(&out));
    let out = mscheck()
        .args(["run", "--target", "no-such-server"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no profile named `no-such-server`"),
        "{}",
        text(&out)
    );
}
