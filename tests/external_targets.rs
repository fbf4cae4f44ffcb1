//! External targets against a real Synapse that mscheck did not start for the run: booted here
//! through the library (as a user would start their own server), then given to the binary with
//! `--hs1`. Covers discovery (server name, implementation from federation /version), the
//! registration flows (open with the dummy stage, registration token, guests, a refusal), the
//! schedule-API fallback, and snapshot verdicts for an implementation named for the first time.

mod common;

use common::{copy_dir, mscheck, outcomes, results, root, text};
use mscheck::homeserver::{Control, Targets};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// One Synapse at a time: these tests share two cores with it.
static ONE_SERVER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn boot(overlay: Value, dir: &Path) -> Targets {
    let http = mscheck::client::Client::http_pool();
    let setup = common::synapse_setup();
    Targets::boot_managed(&setup, dir, 1, Some(&overlay), &http, &|_| {})
        .await
        .expect("Synapse boots")
}

async fn mscheck_against(url: &str, args: &[&str], envs: &[(&str, &str)], report: &Path) -> Output {
    let mut cmd = mscheck();
    cmd.args(["run", "--hs1", url])
        .args(args)
        .arg("--report-dir")
        .arg(report);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("mscheck runs"))
        .await
        .unwrap()
}

fn outcome_of<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} in results"))
}

/// Open registration (`enable_registration` without verification): the dummy stage.
#[tokio::test(flavor = "multi_thread")]
async fn an_open_registration_server_is_discovered_and_runs_fake_federation_guests_and_snapshots() {
    let _g = ONE_SERVER_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().unwrap();
    let targets = boot(
        json!({"enable_registration": true, "enable_registration_without_verification": true}),
        data.path(),
    )
    .await;
    let url = targets.hs1.base_url.clone();

    // 1. Discovered: server name from the first registration, implementation and version from
    //    the federation listener; the fake federating server reaches it; guests register through
    //    the interactive flow; scheduling falls back to the query parameter and says so.
    let report = tempfile::tempdir().unwrap();
    let out = mscheck_against(
        &url,
        &[
            "--registration",
            "open",
            "--filter",
            "fake-receives-sticky-pdu",
            "--filter",
            "delayed-guest",
            "--filter",
            "delayed-message-arrives-after-delay",
        ],
        &[],
        report.path(),
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let r = results(report.path());
    assert_eq!(r["targets"][0]["implementation"], "synapse", "{all}");
    assert_eq!(r["targets"][0]["version"], "1.163.2");
    assert_eq!(
        r["targets"][0]["identified_by"],
        "GET /_matrix/federation/v1/version"
    );
    assert_eq!(
        r["targets"][0]["server_name"],
        targets.hs1.server_name.as_str()
    );
    assert!(
        all.contains("identified by GET /_matrix/federation/v1/version"),
        "{all}"
    );
    let fake = outcome_of(&r, "federation/fake-receives-sticky-pdu");
    assert_eq!(fake["outcome"], "passed", "{fake}");
    // Guests registered and scheduled; Synapse then refuses them the list (a known failure).
    let guest = outcome_of(&r, "msc4140-delayed-events/delayed-guest");
    assert_eq!(guest["outcome"], "expected_failure", "{guest}");
    assert_eq!(guest["failure"]["step"], "guest-lists", "{guest}");
    let delayed = outcome_of(
        &r,
        "msc4140-delayed-events/delayed-message-arrives-after-delay",
    );
    assert_eq!(delayed["outcome"], "passed", "{delayed}");
    assert!(
        delayed["observations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["label"] == "scheduling API"
                && o["value"]
                    .as_str()
                    .unwrap()
                    .contains("older query parameter")),
        "{delayed}"
    );

    // 2. An implementation named for the first time: no snapshots and no expectations, yet no
    //    scenario fails because of snapshots; they are written as new into the report folder.
    let report = tempfile::tempdir().unwrap();
    let out = mscheck_against(
        &url,
        &[
            "--registration",
            "open",
            "--implementation",
            "brand-new-server",
            "--filter",
            "sticky-section-timeline-limit-1",
            "--filter",
            "delayed-advertised-limits",
        ],
        &[],
        report.path(),
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let r = results(report.path());
    assert!(
        outcomes(&r).iter().all(|(_, o)| o == "passed"),
        "{:?}",
        outcomes(&r)
    );
    assert_eq!(r["stats"]["snapshots"]["new"], 2, "{all}");
    assert!(all.contains("snapshots: 2 new"), "{all}");
    let pending_dir = report.path().join("snapshots/brand-new-server");
    let pending: Vec<_> = std::fs::read_dir(&pending_dir)
        .expect("pending snapshots in the report folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(
        !root().join("snapshots/brand-new-server").exists(),
        "CI never writes into snapshots/"
    );

    // 3. A changed snapshot: reported, the scenario still passes; `--snapshots strict` makes
    //    the run fail on it.
    let project = tempfile::tempdir().unwrap();
    copy_dir(&root().join("suites"), &project.path().join("suites"));
    copy_dir(&root().join("fixtures"), &project.path().join("fixtures"));
    let stored = project.path().join("snapshots/brand-new-server");
    std::fs::create_dir_all(&stored).unwrap();
    for p in &pending {
        let name = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".snap.new", ".snap");
        let text = std::fs::read_to_string(p).unwrap();
        // Change the stored body of the capability snapshot only.
        let text = if name.contains("delayed-advertised-limits") {
            text.replace("\"max_scheduled\"", "\"max_scheduled_was\"")
        } else {
            text
        };
        std::fs::write(stored.join(name), text).unwrap();
    }
    let root_arg = project.path().to_string_lossy().to_string();
    for (strict, code) in [(false, 0), (true, 1)] {
        let report = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--root",
            root_arg.as_str(),
            "--registration",
            "open",
            "--implementation",
            "brand-new-server",
            "--filter",
            "sticky-section-timeline-limit-1",
            "--filter",
            "delayed-advertised-limits",
        ];
        if strict {
            args.extend(["--snapshots", "strict"]);
        }
        let out = mscheck_against(&url, &args, &[], report.path()).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(code), "strict={strict}: {all}");
        let r = results(report.path());
        assert!(outcomes(&r).iter().all(|(_, o)| o == "passed"), "{all}");
        assert_eq!(r["stats"]["snapshots"]["changed"], 1, "{all}");
        assert_eq!(r["stats"]["snapshots"]["unchanged"], 1, "{all}");
        assert!(all.contains("snapshot `capability` changed"), "{all}");
    }
    targets.shutdown().await;
}

/// Registers an admin through Synapse's shared-secret API and makes a registration token.
async fn make_registration_token(targets: &Targets) -> String {
    let Control::Managed(m) = &targets.hs1.control else {
        unreachable!("booted here")
    };
    let secret = m.config().shared_secret.clone();
    let base = targets.hs1.base_url.clone();
    let http = reqwest::Client::new();
    let nonce: Value = http
        .get(format!("{base}/_synapse/admin/v1/register"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = nonce["nonce"].as_str().unwrap().to_string();
    let mac = mscheck::homeserver::registration::shared_secret_mac(
        &secret,
        &nonce,
        "token-admin",
        "admin-password",
        true,
    );
    let admin: Value = http
        .post(format!("{base}/_synapse/admin/v1/register"))
        .json(&json!({"nonce": nonce, "username": "token-admin", "password": "admin-password", "admin": true, "mac": mac}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = admin["access_token"].as_str().unwrap();
    let made: Value = http
        .post(format!("{base}/_synapse/admin/v1/registration_tokens/new"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    made["token"]
        .as_str()
        .expect("a registration token")
        .to_string()
}

/// `registration_requires_token`: the `m.login.registration_token` stage; a wrong token and the
/// wrong method are refused with exit 3 within seconds, quoting the server.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_registration_server_takes_the_token_and_refuses_without_it() {
    let _g = ONE_SERVER_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().unwrap();
    let targets = boot(
        json!({
            "enable_registration": true,
            "enable_registration_without_verification": true,
            "registration_requires_token": true,
        }),
        data.path(),
    )
    .await;
    let url = targets.hs1.base_url.clone();
    let token = make_registration_token(&targets).await;

    let report = tempfile::tempdir().unwrap();
    let out = mscheck_against(
        &url,
        &[
            "--registration",
            "token",
            "--filter",
            "sticky-section-timeline-limit-1",
            "--filter",
            "delayed-guest",
        ],
        &[("MSCHECK_REGISTRATION_TOKEN", &token)],
        report.path(),
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        !all.contains(&token),
        "the registration token leaked: {all}"
    );
    let r = results(report.path());
    assert_eq!(
        outcome_of(&r, "msc4354-sticky-events/sticky-section-timeline-limit-1")["outcome"],
        "passed"
    );
    // Guests need no token.
    assert_eq!(
        outcome_of(&r, "msc4140-delayed-events/delayed-guest")["failure"]["step"],
        "guest-lists"
    );
    for f in walk(report.path()) {
        let content = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&content).contains(&token),
            "the registration token is in {}",
            f.display()
        );
    }

    for (method, env, needle) in [
        ("token", "not-the-token", "m.login.registration_token"),
        ("open", "", "--registration token"),
    ] {
        let report = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = mscheck_against(
            &url,
            &[
                "--registration",
                method,
                "--filter",
                "sticky-section-timeline-limit-1",
            ],
            &[("MSCHECK_REGISTRATION_TOKEN", env)],
            report.path(),
        )
        .await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(3), "{method}: {all}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{method}: slow refusal"
        );
        assert!(
            all.contains("cannot register users on homeserver `hs1`") && all.contains(needle),
            "{method}: {all}"
        );
    }
    targets.shutdown().await;
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A full run against one external server (open registration, federation on loopback TLS): the
/// only skips left are scenarios that need lifecycle control, a second server, a configuration
/// the target cannot be given, or mscheck's application service.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_external_run_skips_only_what_an_external_server_cannot_offer() {
    let _g = ONE_SERVER_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().unwrap();
    let targets = boot(
        json!({"enable_registration": true, "enable_registration_without_verification": true}),
        data.path(),
    )
    .await;
    let report = tempfile::tempdir().unwrap();
    let out = mscheck_against(
        &targets.hs1.base_url,
        &["--registration", "open"],
        &[],
        report.path(),
    )
    .await;
    let all = text(&out);
    targets.shutdown().await;
    assert_eq!(out.status.code(), Some(0), "{all}");
    let r = results(report.path());
    let allowed = [
        "needs lifecycle control",
        "needs two homeservers",
        "needs a managed homeserver with its own configuration",
        "needs a managed homeserver configured for it",
        "acts as an application service",
    ];
    for s in r["scenarios"].as_array().unwrap() {
        if s["outcome"] == "skipped" {
            let why = s["reason"].as_str().unwrap_or("");
            assert!(
                allowed.iter().any(|a| why.contains(a)),
                "{} skipped for another reason: {why}",
                s["id"]
            );
        }
    }
    println!("external full run: {}", r["stats"]);
    let ran = outcomes(&r).iter().filter(|(_, o)| o != "skipped").count();
    assert!(ran >= 50, "only {ran} scenarios ran:\n{all}");
}

/// The library entry point, as `examples/check_my_server.rs` uses it: a selection against a URL
/// from a Rust program, every event seen, the report returned and written.
#[path = "../examples/check_my_server.rs"]
mod example;

#[tokio::test(flavor = "multi_thread")]
async fn the_example_runs_a_selection_against_a_url_from_rust() {
    let _g = ONE_SERVER_AT_A_TIME.lock().await;
    let data = tempfile::tempdir().unwrap();
    let targets = boot(
        json!({"enable_registration": true, "enable_registration_without_verification": true}),
        data.path(),
    )
    .await;
    let report_dir = tempfile::tempdir().unwrap();
    let report = example::check(
        &targets.hs1.base_url,
        "sticky-send-parameter",
        report_dir.path(),
    )
    .await
    .expect("the session runs");
    targets.shutdown().await;
    let ran: Vec<(&str, mscheck::results::Outcome)> = report
        .scenarios
        .iter()
        .map(|s| (s.id.as_str(), s.outcome))
        .collect();
    assert_eq!(
        ran,
        [(
            "msc4354-sticky-events/sticky-send-parameter",
            mscheck::results::Outcome::Passed
        )]
    );
    assert_eq!(report.targets[0].implementation, "synapse");
    // The same report is in the folder, as the CLI writes it.
    let written = results(report_dir.path());
    assert_eq!(
        outcomes(&written),
        vec![(
            "msc4354-sticky-events/sticky-send-parameter".to_string(),
            "passed".to_string()
        )]
    );
    // Bad input is an error before any server is contacted, as on the command line.
    let bad = mscheck::session::RunRequest::external("ftp://example.org");
    let err = mscheck::session::Session::start(bad, &mut |_| {})
        .await
        .expect_err("not an http(s) URL");
    assert_eq!(err.exit_code(), 2, "{err}");
}
