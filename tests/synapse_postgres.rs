//! The second shipped profile, Synapse on PostgreSQL (`--target synapse-postgres`): a selection
//! that restarts a server, federates a pair, configures a private server and acts as the
//! application service passes as on SQLite; every instance's cluster is made by the profile's
//! setup and stopped by its teardown, also when the server fails to start, and nothing (folder,
//! cluster, PostgreSQL process) is left behind. The full run is measured in the notes, not here.

mod common;

use common::{assert_no_working_files, mscheck, outcomes, results, root, text};
use std::path::Path;

const SELECTION: &[&str] = &[
    "versions-advertises-sticky-events",
    "delayed-survives-restart",
    "sticky-crosses-servers",
    "delayed-appservice-timestamp",
    "delayed-cap-zero",
];

/// PostgreSQL processes whose data folder is under `work`.
fn clusters_under(work: &Path) -> Vec<String> {
    let needle = work.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            (cmd.contains("postgres") && cmd.contains(&needle)).then_some(cmd)
        })
        .collect()
}

fn assert_nothing_left(work: &Path) {
    assert_no_working_files(work);
    assert!(
        clusters_under(work).is_empty(),
        "{:?}",
        clusters_under(work)
    );
}

#[test]
fn synapse_on_postgresql_passes_the_selection_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let report = tmp.path().join("r");
    let mut cmd = mscheck();
    cmd.env("MSCHECK_WORK_DIR", &work)
        .args(["run", "--target", "synapse-postgres", "--report-dir"])
        .arg(&report);
    for f in SELECTION {
        cmd.args(["--filter", f]);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = results(&report);
    let got = outcomes(&r);
    assert_eq!(got.len(), SELECTION.len(), "{got:?}");
    assert!(
        got.iter()
            .all(|(_, o)| o == "passed" || o == "expected_failure"),
        "{got:?}"
    );
    // Synapse ran on PostgreSQL: its log names the engine's schema files.
    let log = std::fs::read_to_string(report.join("homeservers/hs1/homeserver.log")).unwrap();
    assert!(log.contains(".sql.postgres"), "hs1 did not use PostgreSQL");
    let console = std::fs::read_to_string(report.join("homeservers/hs1/console.log")).unwrap();
    assert!(
        console.contains("mscheck: setup: done") && console.contains("mscheck: teardown: done"),
        "{console}"
    );
    assert_nothing_left(&work);
}

/// The PostgreSQL profile with its paths made absolute and `start` replaced by `start_yaml`.
fn profile_starting(tmp: &Path, name: &str, program: &str, args: &str) -> std::path::PathBuf {
    let fixtures = root().join("fixtures");
    let profile = std::fs::read_to_string(fixtures.join("targets/synapse-postgres.yaml"))
        .unwrap()
        .replace("program: \"{{python}}\"", &format!("program: {program}"))
        .replace(
            "args: [-m, synapse.app.homeserver, -c, \"{{data_dir}}/homeserver.yaml\", -c, \"{{data_dir}}/database.yaml\"]",
            &format!("args: {args}"),
        )
        .replace("{{profile_dir}}/../", &format!("{}/", fixtures.display()))
        .replace("../synapse", &format!("{}/synapse", fixtures.display()));
    let p = tmp.join(name);
    std::fs::write(&p, profile).unwrap();
    p
}

fn run_profile(profile: &Path, work: &Path, report: &Path) -> std::process::Command {
    let mut cmd = mscheck();
    cmd.env("MSCHECK_WORK_DIR", work)
        .args([
            "run",
            "--filter",
            "versions-advertises-sticky-events",
            "--target",
        ])
        .arg(profile)
        .arg("--report-dir")
        .arg(report);
    cmd
}

#[test]
fn a_server_that_fails_to_start_on_postgresql_leaves_no_cluster_and_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let p = profile_starting(tmp.path(), "broken-start.yaml", "/bin/false", "[]");
    let out = run_profile(&p, &work, &tmp.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("exited"), "{}", text(&out));
    let console =
        std::fs::read_to_string(tmp.path().join("r/homeservers/hs1/console.log")).unwrap();
    assert!(
        console.contains("mscheck: setup: done") && console.contains("mscheck: teardown: done"),
        "the cluster was made, then stopped: {console}"
    );
    assert_nothing_left(&work);
}

/// What the first instance's console log says, once a run has made its working folder.
fn console_of_first_instance(work: &Path) -> String {
    std::fs::read_dir(work)
        .ok()
        .and_then(|mut runs| runs.next())
        .and_then(|run| std::fs::read_to_string(run.ok()?.path().join("hs1/console.log")).ok())
        .unwrap_or_default()
}

#[test]
fn a_cluster_left_by_a_killed_run_is_stopped_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    // A server that never becomes ready: the run waits while its cluster is up.
    let slow = profile_starting(
        tmp.path(),
        "never-ready.yaml",
        "/bin/sh",
        "[-c, \"exec sleep 300\"]",
    );
    let mut first = run_profile(&slow, &work, &tmp.path().join("r1"));
    // A umask that leaves folders group-writable (common with per-user groups): mscheck makes
    // its working folders writable by the user alone, or the next run could not trust them.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut first, || {
            libc::umask(0o002);
            Ok(())
        });
    }
    let mut child = first
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !console_of_first_instance(&work).contains("mscheck: setup: done") {
        assert!(
            std::time::Instant::now() < deadline,
            "no setup within 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Killed outright: nothing of mscheck runs to stop the cluster.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        clusters_under(&work).len(),
        1,
        "{:?}",
        clusters_under(&work)
    );
    // The next run finds the dead run's folder, runs the teardown it owed, removes it.
    let broken = profile_starting(tmp.path(), "broken-start.yaml", "/bin/false", "[]");
    let out = run_profile(&broken, &work, &tmp.path().join("r2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("removed 1 working folder"),
        "{}",
        text(&out)
    );
    assert_nothing_left(&work);
}
