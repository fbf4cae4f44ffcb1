//! The harness against a mock homeserver (wiremock): a conforming mock passes, a mock that breaks
//! S-13 fails with the failing step, the expectation, the actual JSON and a transcript, and the
//! access token never appears in any output. wiremock proves detection here; the real checks run
//! against Synapse in `tests/synapse.rs`.

mod common;

use common::{mscheck, outcomes, results, text};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "syt_mock_secret_token_0123456789";
const STICKY: &str = "$sticky-event:mock";
const ROOM: &str = "!room:mock";

async fn mock_homeserver(sync_room: Value) -> MockServer {
    mock_advertising(json!({"org.matrix.msc4354": true}), sync_room).await
}

/// A mock advertising `features`, whose /sync shows `sync_room` in the room.
async fn mock_advertising(features: Value, sync_room: Value) -> MockServer {
    let server = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("GET"))
        .and(path("/_matrix/client/versions"))
        .respond_with(ok(
            json!({"versions": ["v1.11"], "unstable_features": features}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/_matrix/client/v3/register"))
        .respond_with(ok(
            json!({"user_id": "@someone:mock", "access_token": TOKEN, "device_id": "DEV"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/_matrix/client/v3/createRoom"))
        .respond_with(ok(json!({"room_id": ROOM})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/_matrix/client/v3/join/"))
        .respond_with(ok(json!({"room_id": ROOM})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex("/send/"))
        .respond_with(ok(json!({"event_id": STICKY})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/_matrix/client/v3/sync"))
        .respond_with(ok(
            json!({"next_batch": "s2", "rooms": {"join": {ROOM: sync_room}}}),
        ))
        .mount(&server)
        .await;
    server
}

async fn run_against(server: &MockServer, report: &std::path::Path) -> std::process::Output {
    let url = server.uri();
    let report = report.to_path_buf();
    tokio::task::spawn_blocking(move || {
        mscheck()
            .args([
                "run",
                "--hs1",
                &url,
                "--registration",
                "open",
                "--filter",
                "sticky-section-timeline-limit-1",
                "--report-dir",
            ])
            .arg(&report)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn timeline() -> Value {
    json!({"events": [{"event_id": "$filler:mock", "type": "m.room.message", "content": {"body": "filler 9"}}], "limited": true})
}

/// A room as /sync shows it on a server that keeps the sticky section.
fn conforming_room() -> Value {
    json!({
        "timeline": timeline(),
        "msc4354_sticky": {"events": [{"event_id": STICKY, "type": "org.example.sticky", "content": {"msc4354_sticky_key": "k"}, "msc4354_sticky": {"duration_ms": 600000}}]}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conforming_mock_passes() {
    let server = mock_homeserver(conforming_room()).await;
    let report = tempfile::tempdir().unwrap();
    let out = run_against(&server, report.path()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = results(report.path());
    assert_eq!(
        outcomes(&r),
        vec![(
            "msc4354-sticky-events/sticky-section-timeline-limit-1".to_string(),
            "passed".to_string()
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mock_without_the_sticky_section_fails_with_the_evidence() {
    let server = mock_homeserver(json!({"timeline": timeline()})).await;
    let report = tempfile::tempdir().unwrap();
    let out = run_against(&server, report.path()).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    for needle in [
        "FAIL msc4354-sticky-events/sticky-section-timeline-limit-1",
        "suites/msc4354-sticky-events/sticky-section-timeline-limit-1.yaml:37:11 (step `bob-gappy-sync`, check failed)",
        "still not true after 15.0s",
        &format!("expected: something containing \"{STICKY}\""),
        "request: GET /_matrix/client/v3/sync",
        "transcript: ",
    ] {
        assert!(all.contains(needle), "missing `{needle}` in:\n{all}");
    }
    let r = results(report.path());
    assert_eq!(r["scenarios"][0]["failure"]["step"], "bob-gappy-sync");
    assert_eq!(
        r["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == "S-13")
            .unwrap()["status"],
        "fail"
    );
    // The token was used on every request but appears nowhere.
    let transcript = std::fs::read_to_string(
        report
            .path()
            .join("transcripts/msc4354-sticky-events__sticky-section-timeline-limit-1.txt"),
    )
    .unwrap();
    assert!(transcript.contains("GET /_matrix/client/v3/sync"));
    for (name, content) in [
        ("output", all.as_str()),
        ("transcript", transcript.as_str()),
        ("results", &r.to_string()),
    ] {
        assert!(
            !content.contains(TOKEN),
            "the access token leaked into the {name}"
        );
    }
    assert!(
        transcript.contains("\"access_token\": \"[redacted]\""),
        "registration response is redacted"
    );
    // Every rendering of the failure, pinned: the terminal (not a TTY, so no colours), JUnit
    // and Markdown.
    let stable = |t: &str| common::stable(t, report.path());
    insta::assert_snapshot!(
        "failing_run_console",
        stable(&String::from_utf8_lossy(&out.stdout))
    );
    let read = |f: &str| std::fs::read_to_string(report.path().join(f)).unwrap();
    insta::assert_snapshot!("failing_run_junit", stable(&read("junit.xml")));
    // The summary's head and its failure section (the requirement matrix between them follows
    // the catalogue and is covered by tests/regress.rs).
    let summary = read("summary.md");
    let head = summary.split("\n## ").next().unwrap_or_default();
    let failures = summary.split("\n## Failures").nth(1).unwrap_or_default();
    insta::assert_snapshot!(
        "failing_run_summary",
        stable(&format!("{head}\n[…]\n## Failures{failures}"))
    );
}

/// Runs the binary against `url` with `args`, the report in `dir`.
async fn run_args(url: &str, args: &[&str], dir: &std::path::Path) -> std::process::Output {
    let mut cmd = mscheck();
    cmd.args(["run", "--hs1", url, "--registration", "open"])
        .args(args)
        .arg("--report-dir")
        .arg(dir);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_target_skips_what_it_cannot_run_and_a_missing_proposal_is_one_finding() {
    // Advertises sticky events only: no MSC4140, no lifecycle control, no second server.
    let server = mock_homeserver(json!({"timeline": timeline()})).await;
    let report = tempfile::tempdir().unwrap();
    let filters = [
        "--filter",
        "survives-restart",
        "--filter",
        "crosses-servers",
        "--filter",
        "delayed-cancel",
    ];
    let out = run_args(&server.uri(), &filters, report.path()).await;
    // MSC4140 is absent: one finding, and the run fails (no expectations file says so).
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let finding = "MSC4140 delayed events is not implemented: hs1 does not advertise `org.matrix.msc4140` in /versions";
    assert_eq!(
        text(&out).matches(finding).count(),
        1,
        "one line for the whole proposal:\n{}",
        text(&out)
    );
    let r = results(report.path());
    let reason = |id: &str| {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| {
                (
                    s["outcome"].as_str().unwrap().to_string(),
                    s["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .unwrap()
    };
    for id in [
        "msc4140-delayed-events/delayed-survives-restart",
        "msc4140-delayed-events/delayed-cancel",
    ] {
        let (o, why) = reason(id);
        assert_eq!(o, "not_implemented", "{id}");
        assert!(why.contains(finding), "{why}");
    }
    let (o, why) = reason("federation/sticky-crosses-servers");
    assert_eq!(o, "skipped");
    assert!(why.contains("needs two homeservers"), "{why}");
    // delayed-cancel, delayed-survives-restart and federation/delayed-crosses-servers.
    assert_eq!(r["stats"]["not_implemented"], 3);
    let summary = std::fs::read_to_string(report.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("**MSC4140 delayed events is not implemented**"),
        "{summary}"
    );
    assert!(summary.contains("| not implemented |"), "{summary}");
    let junit = std::fs::read_to_string(report.path().join("junit.xml")).unwrap();
    assert_eq!(
        junit.matches("type=\"not_implemented\"").count(),
        3,
        "{junit}"
    );

    // Known to be absent: the expectations file says so, and the run passes.
    let known = report.path().join("known.yaml");
    std::fs::write(
        &known,
        "not_implemented:\n  - proposal: MSC4140\n    reason: this server does sticky events only\n",
    )
    .unwrap();
    let report2 = tempfile::tempdir().unwrap();
    let mut args = filters.to_vec();
    let known_text = known.to_string_lossy().to_string();
    args.extend(["--expectations", known_text.as_str()]);
    let out = run_args(&server.uri(), &args, report2.path()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("(expected: this server does sticky events only)"),
        "{}",
        text(&out)
    );
    let r = results(report2.path());
    assert!(common::outcomes(&r)
        .iter()
        .filter(|(id, _)| id.starts_with("msc4140"))
        .all(|(_, o)| o == "expected_failure"));
}

/// A server with sticky events and sliding sync but without MSC4480's extension: its absence is
/// found by trying the extension once, and is one finding for every MSC4480 scenario.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_the_sliding_sync_extension_is_one_msc4480_finding() {
    let server = mock_advertising(
        json!({"org.matrix.msc4354": true, "org.matrix.simplified_msc3575": true}),
        json!({}),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(
            "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"pos": "1", "lists": {}, "rooms": {}})),
        )
        .mount(&server)
        .await;
    let report = tempfile::tempdir().unwrap();
    let out = run_args(&server.uri(), &["--filter", "sss"], report.path()).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let finding = "MSC4480 sliding-sync extension for sticky events is not implemented: no `org.matrix.msc4354.sticky_events` extension";
    assert_eq!(text(&out).matches(finding).count(), 1, "{}", text(&out));
    let r = results(report.path());
    let got = outcomes(&r);
    assert!(got.len() >= 5, "{got:?}");
    // A scenario an external target cannot be set up for (a configured spam checker) is skipped
    // before anything is judged; every other one is part of the finding.
    assert!(
        got.iter()
            .filter(|(_, o)| o != "skipped")
            .all(|(_, o)| o == "not_implemented"),
        "every MSC4480 scenario is part of the one finding: {got:?}"
    );
    // Counted apart, under MSC4480, on the terminal too (a scenario of MSC4354's that also judges
    // the extension is counted under MSC4354).
    let under_msc4480 = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["group"]
                .as_str()
                .is_some_and(|g| g.starts_with("MSC4480"))
        })
        .count();
    assert!(under_msc4480 >= 5);
    assert!(
        text(&out).contains(&format!(
            "MSC4480 sliding-sync extension for sticky events: 0 passed, 0 failed, 0 errors, 0 skipped, 0 expected failures, 0 unexpected passes, {under_msc4480} not implemented"
        )),
        "{}",
        text(&out)
    );
}

/// `--last-failed` reruns what did not pass in the report folder's last run, and nothing when
/// everything passed.
#[tokio::test(flavor = "multi_thread")]
async fn last_failed_reruns_only_what_failed() {
    let broken = mock_homeserver(json!({"timeline": timeline()})).await;
    let report = tempfile::tempdir().unwrap();
    let args = [
        "--filter",
        "sticky-section-timeline-limit-1",
        "--filter",
        "versions-advertises-sticky-events",
    ];
    let out = run_args(&broken.uri(), &args, report.path()).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(outcomes(&results(report.path())).len(), 2);

    let fixed = mock_homeserver(conforming_room()).await;
    let out = run_args(&fixed.uri(), &["--last-failed"], report.path()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        outcomes(&results(report.path())),
        vec![(
            "msc4354-sticky-events/sticky-section-timeline-limit-1".to_string(),
            "passed".to_string()
        )],
        "only the failed scenario ran"
    );

    let out = run_args(&fixed.uri(), &["--last-failed"], report.path()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("nothing to rerun"), "{}", text(&out));
}
