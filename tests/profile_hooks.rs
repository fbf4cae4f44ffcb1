//! A profile's per-instance setup and teardown, its placeholders, and nothing left behind: against
//! a real Synapse booted from a copy of the shipped profile with hooks that leave marks. Each
//! instance (the shared one and a scenario's private ones) runs its setup once and its teardown
//! once, also when its start fails, its setup fails, or the run is interrupted with Ctrl-C; the
//! working folders (keys included) are gone afterwards.

mod common;

use common::{assert_no_working_files, mscheck, results, root, text};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The shipped Synapse profile, its templates found from a temporary folder, with `extra` YAML
/// appended and each `(from, to)` replacement made.
fn profile(dir: &Path, extra: &str, replace: &[(&str, &str)]) -> PathBuf {
    let fixtures = root().join("fixtures");
    let mut text = std::fs::read_to_string(fixtures.join("targets/synapse.yaml")).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    text.push_str(extra);
    let text = text
        .replace("../synapse/", &format!("{}/synapse/", fixtures.display()))
        .replace("{{profile_dir}}/", "");
    let p = dir.join("hooked.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Setup and teardown that append `<instance_id> <extra port>` to files in `$MARKS`, check the
/// three key files exist, and (setup) write a file into a subfolder the profile also renders to.
const HOOKS: &str = r#"
setup:
  - run: [sh, -c, 'echo "{{instance_id}} {{port.sidecar}}" >> "$MARKS/setup" && test -s "{{signing_key}}" && test -s "{{signing_key_seed}}" && grep -q "BEGIN PRIVATE KEY" "{{signing_key_pem}}" && test -s sub/dir/extra.yaml']
    within: 20s
teardown:
  - run: [sh, -c, 'echo "{{instance_id}}" >> "$MARKS/teardown"']
"#;

/// A setup whose second command fails.
const FAILING_SETUP: &str = r#"
setup:
  - run: [sh, -c, 'echo "{{instance_id}} 0" >> "$MARKS/setup"']
  - run: [sh, -c, 'echo no database server >&2; exit 4']
teardown:
  - run: [sh, -c, 'echo "{{instance_id}}" >> "$MARKS/teardown"']
"#;

const EXTRA_FILE: (&str, &str) = (
    "  - {template: ../synapse/appservice.yaml, to: appservice.yaml}",
    "  - {template: ../synapse/appservice.yaml, to: appservice.yaml}\n  - {template: ../synapse/log.yaml, to: sub/dir/extra.yaml}",
);

struct Marks {
    dir: tempfile::TempDir,
}

impl Marks {
    fn new() -> Marks {
        Marks {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn lines(&self, hook: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join(hook))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
    /// The instance IDs that ran `hook`, sorted.
    fn ids(&self, hook: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .lines(hook)
            .iter()
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect();
        ids.sort();
        ids
    }
}

fn run(
    profile: &Path,
    marks: &Marks,
    work: &Path,
    report: &Path,
    filters: &[&str],
) -> std::process::Command {
    let mut cmd = mscheck();
    cmd.env("MARKS", marks.dir.path())
        .env("MSCHECK_WORK_DIR", work)
        .args(["run", "--target"])
        .arg(profile)
        .arg("--report-dir")
        .arg(report);
    for f in filters {
        cmd.args(["--filter", f]);
    }
    cmd
}

#[test]
fn every_instance_runs_its_setup_and_teardown_once_with_its_own_placeholders() {
    let tmp = tempfile::tempdir().unwrap();
    let (marks, work, report) = (Marks::new(), tmp.path().join("work"), tmp.path().join("r"));
    std::fs::create_dir(&work).unwrap();
    let p = profile(tmp.path(), HOOKS, &[EXTRA_FILE]);
    // One scenario on the shared server, one on a private server of its own (it restarts it).
    let out = run(
        &p,
        &marks,
        &work,
        &report,
        &[
            "versions-advertises-sticky-events",
            "delayed-survives-restart",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let setup = marks.ids("setup");
    assert_eq!(setup.len(), 2, "shared hs1 and the private one: {setup:?}");
    assert_ne!(setup[0], setup[1]);
    assert!(setup.iter().all(|id| id.starts_with("hs1_")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
    assert_eq!(
        marks.ids("teardown"),
        setup,
        "each teardown once, after the last stop"
    );
    assert!(
        marks.lines("setup").iter().all(|l| l
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u16>().ok())
            .is_some()),
        "{{{{port.sidecar}}}} is a port: {:?}",
        marks.lines("setup")
    );
    let console = std::fs::read_to_string(report.join("homeservers/hs1/console.log")).unwrap();
    assert!(console.contains("mscheck: setup: sh -c"), "{console}");
    // The command is logged as the profile wrote it: a secret handed to it stays out.
    assert!(
        console.contains("echo \"{{instance_id}} {{port.sidecar}}\""),
        "{console}"
    );
    assert!(console.contains("mscheck: teardown: sh -c"), "{console}");
    assert!(report.join("homeservers/hs1/sub/dir/extra.yaml").exists());
    assert_no_working_files(&work);
    assert_eq!(results(&report)["stats"]["passed"], 2);
}

/// A way for a managed start to fail: its name, the profile, its templates, what the error says.
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, &'a str);

#[test]
fn a_failed_setup_start_or_file_leaves_nothing_behind_and_says_what_failed() {
    let tmp = tempfile::tempdir().unwrap();
    // (what fails, the profile, files it writes from, what the message says)
    let cases: [Case; 3] = [
        (
            "setup",
            FAILING_SETUP.to_string(),
            vec![],
            "the profile's setup command `sh` failed",
        ),
        (
            "start",
            HOOKS.to_string(),
            vec![
                EXTRA_FILE,
                ("program: \"{{python}}\"", "program: /bin/false"),
            ],
            "exited",
        ),
        (
            "file",
            HOOKS.to_string(),
            // `media` is a folder mscheck makes: a file cannot be written there.
            vec![(
                "  - {template: ../synapse/log.yaml, to: log.yaml}",
                "  - {template: ../synapse/log.yaml, to: media}",
            )],
            "media` of the profile",
        ),
    ];
    for (what, extra, replace, says) in cases {
        let marks = Marks::new();
        let work = tmp.path().join(format!("work-{what}"));
        std::fs::create_dir(&work).unwrap();
        let dir = tmp.path().join(what);
        std::fs::create_dir(&dir).unwrap();
        let p = profile(&dir, &extra, &replace);
        let out = run(
            &p,
            &marks,
            &work,
            &dir.join("r"),
            &["versions-advertises-sticky-events"],
        )
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(3), "{what}: {}", text(&out));
        assert!(text(&out).contains(says), "{what}: {}", text(&out));
        assert_eq!(
            marks.ids("teardown"),
            marks.ids("setup"),
            "{what}: a setup that began is torn down"
        );
        assert_no_working_files(&work);
    }
}

#[test]
fn ctrl_c_during_a_setup_runs_the_teardown_and_removes_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (marks, work) = (Marks::new(), tmp.path().join("work"));
    std::fs::create_dir(&work).unwrap();
    let slow = HOOKS.replacen(
        "    within: 20s\n",
        "    within: 20s\n  - {run: [sh, -c, 'touch \"$MARKS/slow\"; sleep 60']}\n",
        1,
    );
    let p = profile(tmp.path(), &slow, &[EXTRA_FILE]);
    let mut child = run(
        &p,
        &marks,
        &work,
        &tmp.path().join("r"),
        &["versions-advertises-sticky-events"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marks.dir.path().join("slow").exists() {
        assert!(
            Instant::now() < deadline,
            "the setup never reached its slow command"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let interrupted = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(
        interrupted.elapsed() < Duration::from_secs(20),
        "Ctrl-C did not wait out the setup"
    );
    assert_eq!(marks.ids("teardown").len(), 1, "torn down");
    assert_no_working_files(&work);
}

#[test]
fn a_readiness_path_that_never_answers_2xx_is_described() {
    let tmp = tempfile::tempdir().unwrap();
    let (marks, work) = (Marks::new(), tmp.path().join("work"));
    std::fs::create_dir(&work).unwrap();
    let p = profile(
        tmp.path(),
        "",
        &[(
            "ready: {path: /_matrix/client/versions, within: 90s}",
            "ready: {path: /_matrix/client/versionz, within: 8s}",
        )],
    );
    let out = run(
        &p,
        &marks,
        &work,
        &tmp.path().join("r"),
        &["versions-advertises-sticky-events"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("/_matrix/client/versionz, every 100 ms for 8.0s, never answered 2xx")
            && all.contains("answered 404 ×"),
        "{all}"
    );
    assert_no_working_files(&work);
}
