//! Bad input gets a precise message and exit code 2 (3 for an unreachable target), quickly.
//! Broken suites are golden files: `tests/broken/<case>.yaml` and the expected `<case>.err`.
//! Set `UPDATE_GOLDEN=1` to rewrite the `.err` files after a deliberate change.

mod common;

use common::{mscheck, run, temp_root, text};
use std::time::{Duration, Instant};

/// The output's stderr against the case's `.err` golden (written instead with UPDATE_GOLDEN):
/// the mismatch, if any.
fn against_golden(
    name: &str,
    case: &std::path::Path,
    out: &std::process::Output,
) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let golden = case.with_extension("err");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &stderr).unwrap();
        return None;
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    (want != stderr).then(|| format!("--- {name}: expected\n{want}\n--- got\n{stderr}"))
}

#[test]
fn broken_suites_match_their_golden_messages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    let mut mismatches = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let root = temp_root(&[(&name, &std::fs::read_to_string(&case).unwrap())]);
        let out = mscheck()
            .current_dir(root.path())
            .args(["list"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: exit code\n{}",
            text(&out)
        );
        mismatches.extend(against_golden(&name, &case, &out));
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Where a broken file of each kind goes in a project folder, and the command that reads it.
fn place(kind: &str) -> (&'static str, &'static [&'static str]) {
    match kind {
        "catalogue" => ("suites/requirements.yaml", &["list"]),
        "faults" => ("fixtures/faults.yaml", &["requirements", "--proof"]),
        "exemptions" => (
            "fixtures/proof-exemptions.yaml",
            &["requirements", "--proof"],
        ),
        "expectations" => (
            "broken.yaml",
            &[
                "run",
                "--hs1",
                "http://127.0.0.1:9",
                "--expectations",
                "broken.yaml",
            ],
        ),
        "profile" => ("broken.yaml", &["run", "--target", "./broken.yaml"]),
        other => panic!("no place for a broken {other} file"),
    }
}

/// Every kind of file mscheck reads, broken: exit 2 and the golden message (file:line:col, the
/// kind of file named, a did-you-mean where a word is close), before any server is contacted.
#[test]
fn broken_files_of_every_kind_match_their_golden_messages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut mismatches = Vec::new();
    let mut seen = 0;
    for kind in [
        "catalogue",
        "faults",
        "exemptions",
        "expectations",
        "profile",
    ] {
        let mut cases: Vec<_> = std::fs::read_dir(dir.join(kind))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        cases.sort();
        assert!(!cases.is_empty(), "no broken {kind} file");
        for case in cases {
            seen += 1;
            // One real scenario (`t/versions`), so a run has a plan to check the file against.
            let scenario =
                std::fs::read_to_string(dir.join(
                    "../../suites/msc4354-sticky-events/versions-advertises-sticky-events.yaml",
                ))
                .unwrap();
            let root = temp_root(&[("versions.yaml", &scenario)]);
            let (at, command) = place(kind);
            std::fs::write(root.path().join(at), std::fs::read(&case).unwrap()).unwrap();
            let out = mscheck()
                .current_dir(root.path())
                .env("MSCHECK_SHARED_SECRET", "x")
                .args(command)
                .output()
                .unwrap();
            let name = format!("{kind}/{}", case.file_name().unwrap().to_string_lossy());
            assert_eq!(
                out.status.code(),
                Some(2),
                "{name}: exit code\n{}",
                text(&out)
            );
            mismatches.extend(against_golden(&name, &case, &out));
        }
    }
    assert!(seen >= 8);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn bad_flags_exit_2_with_a_reason() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["list", "--revision", "msc4354=ancient"],
            "unknown revision `ancient`",
        ),
        (
            &["list", "--revision", "msc9999=seed"],
            "unknown proposal `msc9999`",
        ),
        (
            &["list", "--root", "/nonexistent"],
            "`--root /nonexistent`: no suites/requirements.yaml there",
        ),
        (
            &["list", "--revision", "msc4480=seed"],
            "MSC4480 (sliding-sync extension) has one text only",
        ),
        (
            &["list", "--requirement", "s-311"],
            "unknown requirement `s-311` (did you mean `S-11`?)",
        ),
        (
            &["list", "--filter", "no-such-scenario"],
            "no scenario matches",
        ),
        (
            &["run", "--hs1", "localhost:8008"],
            "did you mean `--hs1 http://localhost:8008`?",
        ),
        (
            &["run", "--hs1", "127.0.0.1:8008"],
            "did you mean `--hs1 http://127.0.0.1:8008`?",
        ),
        (
            &["run", "--target", "dendrite"],
            "no profile named `dendrite`; profiles: example-toml-server, synapse, synapse-postgres, `synapse@X.Y.Z`",
        ),
        (
            &["run", "--inject", "drop-sticky"],
            "unknown fault `drop-sticky` (did you mean `drop-sticky-section`?); `mscheck faults` lists them",
        ),
        (
            &["list", "--partition", "4/3"],
            "partition `4/3` must have 1 <= k <= n",
        ),
        (
            &["list", "--suite", "msc4354-sticky-event"],
            "did you mean `msc4354-sticky-events`?",
        ),
        (
            &["run", "--inject", "drop-sticky-sectoin"],
            "unknown fault `drop-sticky-sectoin` (did you mean `drop-sticky-section`?)",
        ),
        (
            &["run", "--filter", "no-such-scenario"],
            "no scenario matches",
        ),
        (&["run", "--hs1", "ftp://example"], "not an http(s) URL"),
        (
            &["run", "--hs1", "http://"],
            "`--hs1 http://`: not a URL (empty host)",
        ),
        (
            &["run", "--hs1", "http://user:pw@127.0.0.1:9"],
            "holds credentials",
        ),
        (
            &["run", "--hs1", "http://127.0.0.1:9/?x=1"],
            "no query or fragment",
        ),
        (
            &["run", "--jobs", "0"],
            "invalid value '0' for '--jobs <N>': `0` is not a number from 1 to 256",
        ),
        (
            &["run", "--jobs", "2305843009213693952"],
            "is not a number from 1 to 256",
        ),
        (&["run", "--max-body", "12 parsecs"], "is not a size"),
        (&["run", "--max-body", "10"], "is outside 1KiB…1GiB"),
        (
            &[
                "run",
                "--hs1",
                "http://127.0.0.1:9",
                "--registration",
                "open",
                "--implementation",
                "../../x",
            ],
            "an implementation name is 1–64 characters of [a-z0-9._-]",
        ),
        (
            &["run", "--expectations", "/dev/zero"],
            "larger than 4 MiB, the most mscheck reads of such a file",
        ),
        (
            &[
                "run",
                "--hs1",
                "http://127.0.0.1:9",
                "--registration",
                "magic",
            ],
            "invalid value 'magic' for '--registration <METHOD>'\n  [possible values: shared-secret, token, open]",
        ),
        (
            &["run", "--snapshots", "lenient"],
            "invalid value 'lenient' for '--snapshots <POLICY>'\n  [possible values: review, strict, update]",
        ),
        (
            &["run", "--snapshots", "update"],
            "a CI run never does (CI is set)",
        ),
        (
            &["run", "--bogus-flag"],
            "unexpected argument '--bogus-flag'",
        ),
    ];
    for (args, msg) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", text(&out));
        assert!(
            text(&out).contains(msg),
            "{args:?}: expected `{msg}` in\n{}",
            text(&out)
        );
    }
}

#[test]
fn an_unreachable_homeserver_exits_3_within_seconds() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let started = Instant::now();
    let out = run(&[
        "run",
        "--hs1",
        "http://127.0.0.1:9",
        "--registration",
        "open",
        "--report-dir",
        &std::env::temp_dir()
            .join("mscheck-unreachable")
            .to_string_lossy(),
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("homeserver `hs1` at http://127.0.0.1:9 is unreachable"),
        "{}",
        text(&out)
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[test]
fn shared_secret_registration_without_a_secret_is_a_usage_error() {
    let out = mscheck()
        .env_remove("MSCHECK_SHARED_SECRET")
        .args(["run", "--hs1", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("$MSCHECK_SHARED_SECRET"),
        "{}",
        text(&out)
    );
}

#[test]
fn token_registration_without_a_token_is_a_usage_error() {
    let out = mscheck()
        .env_remove("MSCHECK_REGISTRATION_TOKEN")
        .args([
            "run",
            "--hs1",
            "http://127.0.0.1:9",
            "--registration",
            "token",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("$MSCHECK_REGISTRATION_TOKEN, which is not set"),
        "{}",
        text(&out)
    );
}

/// A listener that counts the connections made to it, to show a refusal came before contact.
fn counting_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (url, count)
}

#[test]
fn input_files_of_the_wrong_shape_are_refused_before_any_server_is_contacted() {
    let (url, contacted) = counting_listener();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "shape.yaml",
            "expected_failures: 42\n",
            "`expected_failures` is a list of entries",
        ),
        (
            "typo.yaml",
            "expected_failures:\n  - scenario: delayed-cancel\n    reasn: x\n",
            "did you mean `reason`?",
        ),
        (
            "top.yaml",
            "- a\n",
            "an expectations file must be a mapping (`implementation:`, `version:`, `expected_failures:` …)",
        ),
        (
            "deep.yaml",
            &format!("expected_failures: {}\n", "[".repeat(30_000)),
            "nested more than 64 levels deep",
        ),
    ];
    for (name, body, msg) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let out = mscheck()
            .env("MSCHECK_SHARED_SECRET", "x")
            .args(["run", "--hs1", &url, "--expectations"])
            .arg(&p)
            .args(["--report-dir"])
            .arg(dir.path().join("report"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}\n{}", text(&out));
        assert!(
            text(&out).contains(msg),
            "{name}: `{msg}` in\n{}",
            text(&out)
        );
        assert!(
            text(&out).contains(&format!("{name}:")),
            "{name}: file:line:col in\n{}",
            text(&out)
        );
    }
    assert_eq!(
        contacted.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the server was contacted before the input was refused"
    );
}
