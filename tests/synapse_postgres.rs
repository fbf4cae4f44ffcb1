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

#[test]
fn a_server_that_fails_to_start_on_postgresql_leaves_no_cluster_and_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let fixtures = root().join("fixtures");
    let profile = std::fs::read_to_string(fixtures.join("targets/synapse-postgres.yaml"))
        .unwrap()
        .replace("program: \"{{python}}\"", "program: /bin/false")
        .replace("{{profile_dir}}/../", &format!("{}/", fixtures.display()))
        .replace("../synapse", &format!("{}/synapse", fixtures.display()));
    let p = tmp.path().join("broken-start.yaml");
    std::fs::write(&p, profile).unwrap();
    let out = mscheck()
        .env("MSCHECK_WORK_DIR", &work)
        .args([
            "run",
            "--filter",
            "versions-advertises-sticky-events",
            "--target",
        ])
        .arg(&p)
        .arg("--report-dir")
        .arg(tmp.path().join("r"))
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
