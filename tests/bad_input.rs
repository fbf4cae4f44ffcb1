//! Bad input gets a precise message and exit code 2 (3 for an unreachable target), quickly.
//! Broken suites are golden files: `tests/broken/<case>.yaml` and the expected `<case>.err`.
//! Set `UPDATE_GOLDEN=1` to rewrite the `.err` files after a deliberate change.

mod common;

use common::{mscheck, run, temp_root, text};
use std::time::{Duration, Instant};

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
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let golden = case.with_extension("err");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &stderr).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != stderr {
            mismatches.push(format!("--- {name}: expected\n{want}\n--- got\n{stderr}"));
        }
    }
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
        (&["run", "--hs1", "ftp://example"], "is not an http(s) URL"),
        (&["run", "--jobs", "0"], "`--jobs` must be at least 1"),
        (
            &[
                "run",
                "--hs1",
                "http://127.0.0.1:9",
                "--registration",
                "magic",
            ],
            "unknown registration method `magic` (expected `shared-secret`, `token` or `open`)",
        ),
        (
            &["run", "--snapshots", "lenient"],
            "unknown snapshot policy `lenient` (expected `review`, `strict` or `update`)",
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
