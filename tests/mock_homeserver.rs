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
    let server = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("GET"))
        .and(path("/_matrix/client/versions"))
        .respond_with(ok(
            json!({"versions": ["v1.11"], "unstable_features": {"org.matrix.msc4354": true}}),
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

#[tokio::test(flavor = "multi_thread")]
async fn a_conforming_mock_passes() {
    let server = mock_homeserver(json!({
        "timeline": timeline(),
        "msc4354_sticky": {"events": [{"event_id": STICKY, "type": "org.example.sticky", "msc4354_sticky": {"duration_ms": 600000}}]}
    }))
    .await;
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
        "suites/msc4354-sticky-events/sticky-section-timeline-limit-1.yaml:36:11 (step `bob-gappy-sync`)",
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

#[tokio::test(flavor = "multi_thread")]
async fn an_external_target_skips_what_it_cannot_run_with_the_reason() {
    // Advertises sticky events only: no MSC4140, no lifecycle control, no second server.
    let server = mock_homeserver(json!({"timeline": timeline()})).await;
    let report = tempfile::tempdir().unwrap();
    let url = server.uri();
    let dir = report.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        mscheck()
            .args([
                "run",
                "--hs1",
                &url,
                "--registration",
                "open",
                "--filter",
                "survives-restart",
                "--filter",
                "crosses-servers",
                "--filter",
                "delayed-cancel",
                "--report-dir",
            ])
            .arg(&dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
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
    let (o, why) = reason("msc4140-delayed-events/delayed-survives-restart");
    assert_eq!(o, "skipped");
    assert!(why.contains("needs lifecycle control"), "{why}");
    let (o, why) = reason("federation/sticky-crosses-servers");
    assert_eq!(o, "skipped");
    assert!(why.contains("needs two homeservers"), "{why}");
    let (o, why) = reason("msc4140-delayed-events/delayed-cancel");
    assert_eq!(o, "skipped");
    assert!(
        why.contains("not advertised: hs1 does not list `org.matrix.msc4140`"),
        "{why}"
    );
}
