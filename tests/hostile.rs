//! mscheck against servers that misbehave on purpose: a small hostile HTTP server of the test's
//! own (raw TCP, so it can do what a real server never would: answer gigabytes, trickle bytes,
//! never answer, speak no HTTP, redirect elsewhere, name itself `../../x` with terminal escapes).
//! Each case checks the exit code, the wall time against the stated bound, mscheck's own peak
//! memory (VmHWM of its process, read from /proc while it runs), what reached the terminal and
//! what was written where.

mod common;

use common::{mscheck, text};
use serde_json::{json, Value};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "hostile/server.rs"]
mod server;
use server::*;

/// The result of running mscheck: its output, wall time, and its own peak resident memory.
struct Measured {
    out: Output,
    took: Duration,
    peak_kib: u64,
}

/// Runs `mscheck run --hs1 URL --registration open ARGS` with the report in `report`, reading
/// the process's VmHWM from /proc while it runs (the last value read before it exits).
async fn run_against(url: &str, args: &[&str], report: &std::path::Path) -> Measured {
    let mut cmd = mscheck();
    cmd.args(["run", "--hs1", url, "--registration", "open"])
        .args(args)
        .arg("--report-dir")
        .arg(report)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let child = cmd.spawn().expect("mscheck starts");
        let status_file = format!("/proc/{}/status", child.id());
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let p = peak.clone();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = done.clone();
        let watcher = std::thread::spawn(move || {
            while !d.load(Ordering::SeqCst) {
                if let Ok(s) = std::fs::read_to_string(&status_file) {
                    if let Some(kib) = s
                        .lines()
                        .find(|l| l.starts_with("VmHWM:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|n| n.parse::<u64>().ok())
                    {
                        p.fetch_max(kib, Ordering::SeqCst);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let out = child.wait_with_output().expect("mscheck ends");
        done.store(true, Ordering::SeqCst);
        watcher.join().unwrap();
        Measured {
            out,
            took: started.elapsed(),
            peak_kib: peak.load(Ordering::SeqCst),
        }
    })
    .await
    .unwrap()
}

fn assert_printable(m: &Measured) {
    let all = text(&m.out);
    assert!(
        !all.contains('\u{1b}'),
        "a raw escape reached the terminal:\n{all}"
    );
    assert!(all.len() < 32 * 1024, "{} bytes of output", all.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_larger_than_the_cap_fail_without_taking_the_memory() {
    for (name, answer) in [
        ("200 MB with a length", Answer::Huge(200 * 1024 * 1024)),
        ("endless, no length", Answer::Endless),
    ] {
        let (url, _) = hostile(register_answers(answer)).await;
        let report = tempfile::tempdir().unwrap();
        let m = run_against(&url, &["--filter", "versions-and"], report.path()).await;
        eprintln!(
            "{name}: exit {:?} in {:?}, mscheck peak {} MiB",
            m.out.status.code(),
            m.took,
            m.peak_kib / 1024
        );
        assert_eq!(m.out.status.code(), Some(3), "{name}\n{}", text(&m.out));
        assert!(
            text(&m.out).contains("answer larger than 16 MiB"),
            "{name}\n{}",
            text(&m.out)
        );
        assert_printable(&m);
        assert!(m.took < Duration::from_secs(30), "{name}: {:?}", m.took);
        // 16 MiB of body at most, in a debug build: far from the 800 MB this used to take.
        assert!(m.peak_kib < 120 * 1024, "{name}: peak {} KiB", m.peak_kib);
    }
    // The cap is the user's to raise.
    let (url, _) = hostile(register_answers(Answer::Huge(20 * 1024 * 1024))).await;
    let report = tempfile::tempdir().unwrap();
    let m = run_against(
        &url,
        &["--filter", "versions-and", "--max-body", "32MiB"],
        report.path(),
    )
    .await;
    assert!(
        !text(&m.out).contains("answer larger than"),
        "{}",
        text(&m.out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_slow_and_late_servers_end_within_the_stated_bounds() {
    let cases: Vec<(&str, Handler, &str, Duration)> = vec![
        (
            "never answers /versions",
            versions_answers(Answer::Never),
            "no answer from",
            Duration::from_secs(12),
        ),
        (
            "trickles /versions",
            versions_answers(Answer::Trickle),
            "body did not arrive within 5.0s",
            Duration::from_secs(12),
        ),
        (
            // Each interactive-auth round answered 12 s late: without a budget, four rounds
            // would hold the run for 48 s.
            "answers every registration round late",
            register_answers(Answer::Late(
                Duration::from_secs(12),
                Box::new(Answer::Json(
                    401,
                    json!({"flows": [{"stages": ["m.login.dummy"]}], "session": "s"}),
                )),
            )),
            "did not finish within 30.0s",
            Duration::from_secs(40),
        ),
    ];
    for (name, handler, msg, bound) in cases {
        let (url, _) = hostile(handler).await;
        let report = tempfile::tempdir().unwrap();
        let m = run_against(&url, &["--filter", "versions-and"], report.path()).await;
        eprintln!("{name}: exit {:?} in {:?}", m.out.status.code(), m.took);
        assert_eq!(m.out.status.code(), Some(3), "{name}\n{}", text(&m.out));
        assert!(
            text(&m.out).contains(msg),
            "{name}: `{msg}` in\n{}",
            text(&m.out)
        );
        assert!(m.took < bound, "{name}: took {:?}", m.took);
        assert_printable(&m);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_answered_is_named_with_its_cause() {
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        url
    };
    let (garbage, _) = hostile(versions_answers(Answer::Raw(
        b"SSH-2.0-OpenSSH_9.2\r\n\x1b[2J".to_vec(),
    )))
    .await;
    let (html, _) = hostile(versions_answers(Answer::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 21\r\nConnection: close\r\n\r\n<html>debug page</html"
            .to_vec(),
    )))
    .await;
    let cases = [
        (refused.as_str(), "is unreachable", "Connection refused"),
        (garbage.as_str(), "is unreachable", "invalid HTTP"),
        (
            html.as_str(),
            "answered, but not as a Matrix server",
            "text/html",
        ),
    ];
    for (url, what, cause) in cases {
        let report = tempfile::tempdir().unwrap();
        let m = run_against(url, &[], report.path()).await;
        assert_eq!(m.out.status.code(), Some(3), "{}", text(&m.out));
        let all = text(&m.out);
        assert!(all.contains(what), "`{what}` in\n{all}");
        assert!(
            all.to_lowercase().contains(&cause.to_lowercase()),
            "`{cause}` in\n{all}"
        );
        assert_printable(&m);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_redirect_is_followed() {
    // The second listener is where the redirects point: nothing may reach it.
    let (elsewhere, reached) = hostile(register_answers(Answer::Json(
        200,
        json!({"user_id": "@stolen:elsewhere", "access_token": "t"}),
    )))
    .await;
    let (url, _) = hostile(register_answers(Answer::Redirect(
        307,
        format!("{elsewhere}/_matrix/client/v3/register"),
    )))
    .await;
    let report = tempfile::tempdir().unwrap();
    let m = run_against(&url, &["--filter", "versions-and"], report.path()).await;
    assert_eq!(m.out.status.code(), Some(3), "{}", text(&m.out));
    assert!(text(&m.out).contains("307"), "{}", text(&m.out));
    let (probe, _) = hostile(versions_answers(Answer::Redirect(
        302,
        format!("{elsewhere}/_matrix/client/versions"),
    )))
    .await;
    let m = run_against(&probe, &[], report.path()).await;
    assert_eq!(m.out.status.code(), Some(3), "{}", text(&m.out));
    assert!(
        text(&m.out).contains(&format!(
            "302 with Location {elsewhere}/_matrix/client/versions"
        )),
        "{}",
        text(&m.out)
    );
    assert_eq!(reached.load(Ordering::SeqCst), 0, "a redirect was followed");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_supplied_names_are_neither_paths_nor_escapes() {
    let fed = hostile_tls(Arc::new(|_, _| {
        Answer::Json(
            200,
            json!({"server": {"name": "../../../../escaped\u{1b}]0;pwned\u{7}", "version": "/tmp/x"}}),
        )
    }))
    .await;
    let user = format!("@probe:localhost:{fed}");
    let (url, _) = hostile(Arc::new(move |_, path| {
        if path.starts_with("/_matrix/client/versions") {
            versions()
        } else if path.starts_with("/_matrix/client/v3/register") {
            Answer::Json(
                200,
                json!({"user_id": user, "access_token": "t", "device_id": "D"}),
            )
        } else {
            Answer::Json(200, json!({"event_id": "$e", "room_id": "!r:localhost"}))
        }
    }))
    .await;
    let outer = tempfile::tempdir().unwrap();
    let report = outer.path().join("report");
    let m = run_against(&url, &["--filter", "versions-and"], &report).await;
    let all = text(&m.out);
    assert!(
        all.contains("which is not a short name of [a-z0-9._-]; treated as unknown"),
        "{all}"
    );
    assert_printable(&m);
    // Nothing beside the report folder, and the project's snapshot folders untouched.
    let beside: Vec<_> = std::fs::read_dir(outer.path()).unwrap().flatten().collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert!(!common::root().join("snapshots/escaped").exists());
    assert!(results_text(&report).contains("unknown"));
}

fn results_text(report: &std::path::Path) -> String {
    std::fs::read_to_string(report.join("results.json")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_folder_never_shows_an_earlier_verdict() {
    // An earlier run's verdict, then a run that cannot reach its server: nothing of it is left.
    let report = tempfile::tempdir().unwrap();
    for f in ["results.json", "summary.md", "junit.xml", "report.html"] {
        std::fs::write(report.path().join(f), "PASSED").unwrap();
    }
    std::fs::create_dir_all(report.path().join("transcripts/x")).unwrap();
    let (url, _) = hostile(versions_answers(Answer::Never)).await;
    let m = run_against(&url, &[], report.path()).await;
    assert_eq!(m.out.status.code(), Some(3), "{}", text(&m.out));
    let left: Vec<String> = std::fs::read_dir(report.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // A report folder that cannot be made: exit 5 naming the path and the OS error, before
    // the server is contacted.
    let (url, contacted) = hostile(versions_answers(versions())).await;
    let file = report.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let m = run_against(&url, &[], &file.join("report")).await;
    assert_eq!(m.out.status.code(), Some(5), "{}", text(&m.out));
    assert!(
        text(&m.out).contains(&format!(
            "cannot write the report: cannot create {}",
            file.join("report").display()
        )),
        "{}",
        text(&m.out)
    );
    assert!(text(&m.out).contains("Not a directory"), "{}", text(&m.out));
    assert_eq!(contacted.load(Ordering::SeqCst), 0);
}

/// One object that looks like a good answer to anything: every field a scenario might capture
/// (event, room, user, delay IDs, tokens, sync positions) and every feature advertised.
fn junk() -> Value {
    json!({
        "versions": ["v1.11", "v1.12"],
        "unstable_features": {"org.matrix.msc4354": true, "org.matrix.msc4140": true,
            "org.matrix.simplified_msc3575": true, "org.matrix.msc4140.delayed_events": true},
        "capabilities": {"m.change_password": {"enabled": true}},
        "user_id": "@junk:localhost", "access_token": "junk-token", "device_id": "JUNK",
        "event_id": "$junk", "room_id": "!junk:localhost", "delay_id": "junk-delay",
        "next_batch": "s1", "pos": "1", "rooms": {}, "lists": {}, "extensions": {},
        "delayed_events": [], "chunk": [], "start": "t0", "end": "t1",
        "type": "m.room.message", "content": {}, "sender": "@junk:localhost",
        "origin_server_ts": 0, "unsigned": {}
    })
}

/// The control of the fault sweep: a server that answers every request with a plausible 200
/// makes every scenario it reaches fail or skip. A scenario passing here judges nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_answering_junk_to_everything_passes_no_scenario() {
    let (url, _) = hostile(Arc::new(|_, _| Answer::Json(200, junk()))).await;
    let report = tempfile::tempdir().unwrap();
    let m = run_against(
        &url,
        &["--expectations", "none", "--jobs", "64"],
        report.path(),
    )
    .await;
    let results = common::results(report.path());
    // These judge only the /versions and /capabilities answers, which the junk gets right (it
    // advertises every feature, so that the other scenarios are reached at all).
    let judges_the_advertisement = [
        "msc4354-sticky-events/versions-advertises-sticky-events",
        "msc4140-delayed-events/versions-and-capabilities",
        "msc4140-delayed-events/delayed-advertised-limits",
    ];
    let passed: Vec<String> = common::outcomes(&results)
        .into_iter()
        .filter(|(id, o)| o == "passed" && !judges_the_advertisement.contains(&id.as_str()))
        .map(|(id, _)| id)
        .collect();
    eprintln!("junk: exit {:?} in {:?}", m.out.status.code(), m.took);
    assert!(passed.is_empty(), "passed against junk: {passed:?}");
    assert_eq!(m.out.status.code(), Some(1), "{}", text(&m.out));
}

/// Answers of 1 MB that differ every time: the report folder stays within the transcripts'
/// budget and mscheck's memory stays small (this used to give a 0.75–1.6 GB report folder).
#[tokio::test(flavor = "multi_thread")]
async fn megabyte_answers_that_differ_every_time_stay_within_the_budget() {
    let serial = Arc::new(AtomicUsize::new(0));
    let (url, _) = hostile(Arc::new(move |_, _| {
        let mut v = junk();
        let n = serial.fetch_add(1, Ordering::SeqCst);
        v["padding"] = Value::String(format!("{n:08}{}", "p".repeat(1024 * 1024)));
        Answer::Json(200, v)
    }))
    .await;
    let report = tempfile::tempdir().unwrap();
    let m = run_against(
        &url,
        &[
            "--expectations",
            "none",
            "--filter",
            "delayed-cancel",
            "--transcript-budget",
            "4MiB",
        ],
        report.path(),
    )
    .await;
    let size = folder_size(report.path());
    eprintln!(
        "megabyte answers: exit {:?} in {:?}, report folder {} MiB, mscheck peak {} MiB",
        m.out.status.code(),
        m.took,
        size / (1024 * 1024),
        m.peak_kib / 1024
    );
    assert_eq!(m.out.status.code(), Some(1), "{}", text(&m.out));
    // 4 MiB of large bodies, and every transcript's head of each answer beyond that.
    assert!(size < 12 * 1024 * 1024, "report folder of {size} bytes");
    assert!(
        text(&m.out).contains("kept as their first 4 KB only"),
        "{}",
        text(&m.out)
    );
    let summary = std::fs::read_to_string(report.path().join("summary.md")).unwrap();
    assert!(summary.contains("## Transcripts"), "{summary}");
    assert!(m.peak_kib < 200 * 1024, "peak {} KiB", m.peak_kib);
}

fn folder_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                folder_size(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

/// The fake federating server is on the receiving end of the server under test: what it is sent
/// is bounded like every answer mscheck reads (a 17 MiB transaction is refused with 413).
#[tokio::test(flavor = "multi_thread")]
async fn the_fake_server_reads_a_bounded_request() {
    let fake = mscheck::federation::FakeServer::start(vec![])
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let url = format!(
        "https://127.0.0.1:{}/_matrix/federation/v1/send/huge",
        fake.port
    );
    let big = vec![b' '; 17 * 1024 * 1024];
    // Refused with 413 as soon as the cap is passed; the client may see the 413 or, still
    // sending, the connection closed under it.
    match http.put(&url).body(big).send().await {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    assert!(fake.recorded().is_empty(), "the oversized request was kept");
    // A new client: the fake closes the connection it refused the big body on, and a pooled
    // client could try to reuse it.
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let small = http.put(&url).body("{}").send().await.unwrap();
    assert_ne!(small.status().as_u16(), 413);
    assert_eq!(fake.recorded().len(), 1);
}
