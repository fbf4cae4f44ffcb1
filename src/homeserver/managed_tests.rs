//! Tests of `managed.rs`.

use super::*;
use crate::homeserver::config_file::redact_config;
use crate::homeserver::profile::Format;

#[test]
fn secrets_in_a_configuration_are_redacted_and_paths_kept() {
    let mut c = serde_json::json!({
        "registration_shared_secret": "s3cret",
        "signing_key_path": "/x/signing.key",
        "tls_private_key_path": "/x/tls.key",
        "macaroon_secret_key": "m",
        "experimental_features": {"msc4354_enabled": true},
        "app_services": [{"as_token": "a", "url": "http://127.0.0.1"}]
    });
    redact_config(&mut c);
    assert_eq!(c["registration_shared_secret"], "[redacted]");
    assert_eq!(c["macaroon_secret_key"], "[redacted]");
    assert_eq!(c["app_services"][0]["as_token"], "[redacted]");
    assert_eq!(c["signing_key_path"], "/x/signing.key");
    assert_eq!(c["tls_private_key_path"], "/x/tls.key");
    assert_eq!(c["experimental_features"]["msc4354_enabled"], true);
}

#[test]
fn free_ports_come_from_below_the_ephemeral_range_and_bind() {
    for _ in 0..20 {
        let p = free_port().unwrap();
        assert!(p >= 10_000, "{p}");
        std::net::TcpListener::bind(("127.0.0.1", p)).unwrap();
    }
}

#[test]
fn a_port_once_handed_out_is_never_handed_out_again() {
    // Even when it is free again (its server stopped for a restart).
    let picked: std::collections::BTreeSet<u16> = (0..200).map(|_| free_port().unwrap()).collect();
    assert_eq!(picked.len(), 200, "a reserved port came back");
}

fn test_launch(profile: &str) -> Launch {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/targets")
        .join(format!("{profile}.yaml"));
    Launch {
        profile: std::sync::Arc::new(Profile::load(&file).unwrap()),
        python: Some("/venv/bin/python".into()),
        program: Some("/opt/server".into()),
        version: Some("1".into()),
    }
}

fn test_config() -> ManagedConfig {
    ManagedConfig {
        name: "hs1".into(),
        client_port: 18008,
        federation_port: 18448,
        server_name: "localhost:18448".into(),
        data_dir: "/tmp/x".into(),
        shared_secret: "s3cr3t".into(),
        as_token: "t0k3n".into(),
        hs_token: "h0k3n".into(),
        registration_token: "r3g".into(),
        instance_id: "hs1_0a1b2c".into(),
        signing_key_id: "a_1f2e".into(),
        ports: [("postgres".to_string(), 15432)].into(),
    }
}

#[test]
fn renders_the_shipped_templates_on_loopback_only() {
    for (profile, bind) in [
        ("synapse", "bind_addresses"),
        ("example-toml-server", "address"),
    ] {
        let launch = test_launch(profile);
        for f in &launch.profile.files {
            let t = std::fs::read_to_string(launch.profile.dir().join(&f.template)).unwrap();
            let out = render(&t, &test_config(), &launch);
            assert!(
                !out.contains("{{"),
                "{profile}: every placeholder is filled"
            );
            if f.format.is_some() {
                assert!(out.contains("localhost:18448"), "{profile}");
                let binds: Vec<&str> = out.lines().filter(|l| l.contains(bind)).collect();
                assert!(!binds.is_empty(), "{profile}");
                assert!(
                    binds
                        .iter()
                        .all(|l| l.contains("127.0.0.1") && !l.contains("0.0.0.0")),
                    "{profile}: {binds:?}"
                );
            }
        }
    }
    let launch = test_launch("synapse");
    assert_eq!(
        render("{{python}} {{program}}", &test_config(), &launch),
        "/venv/bin/python /opt/server"
    );
}

#[test]
fn needs_merge_into_a_toml_configuration() {
    let out = overlay_config(
        "[global]\nport = 1\n[delayed_events]\nenabled = true\n",
        &serde_json::json!({"delayed_events": {"max_per_user": 0}}),
        Format::Toml,
    )
    .unwrap();
    let v: serde_json::Value = toml::from_str(&out).unwrap();
    assert_eq!(v["delayed_events"]["max_per_user"], 0);
    assert_eq!(v["delayed_events"]["enabled"], true);
    assert_eq!(v["global"]["port"], 1);
}

#[test]
fn a_scenario_overlay_merges_into_the_rendered_config() {
    let rendered = "a: 1\nexperimental_features:\n  x: true\n  y: 100\nlisteners: [{port: 1}]\n";
    let out = overlay_config(
        rendered,
        &serde_json::json!({"experimental_features": {"y": 0}, "rc_message": {"per_second": 0.1}}),
        Format::Yaml,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"a": 1, "experimental_features": {"x": true, "y": 0},
            "listeners": [{"port": 1}], "rc_message": {"per_second": 0.1}})
    );
}

/// What a panic (and Ctrl-C) runs: every server not yet put away has its teardown run and its
/// working folder removed, keys included.
#[test]
fn kill_all_managed_runs_owed_teardowns_and_removes_the_folders() {
    let _turn = crate::homeserver::hooks::RUNS_HOOKS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("marks");
    let profile = dir.path().join("p.yaml");
    std::fs::write(
        &profile,
        format!(
            "implementation: x\nprovision: {{command: /bin/true}}\nstart: {{program: /bin/true}}\nteardown:\n  - {{run: [sh, -c, 'echo {{{{instance_id}}}} >> {}']}}\n",
            marks.display()
        ),
    )
    .unwrap();
    let launch = Launch {
        profile: std::sync::Arc::new(Profile::load(&profile).unwrap()),
        python: None,
        program: Some("/bin/true".into()),
        version: Some("1".into()),
    };
    let data = dir.path().join("work/hs1");
    let server = ManagedServer::prepare(
        "hs1",
        launch,
        data.clone(),
        dir.path().join("report/hs1"),
        None,
    )
    .unwrap();
    for f in ["signing.key", "signing.seed", "signing.pem", "tls.key"] {
        assert!(data.join(f).exists(), "{f}");
    }
    server.setup().unwrap();
    kill_all_managed();
    assert!(!data.exists(), "the working folder is gone");
    let torn_down = std::fs::read_to_string(&marks).unwrap();
    assert_eq!(torn_down.trim(), server.config().instance_id);
    // Dropping the server later finds nothing left to do.
    drop(server);
    assert_eq!(std::fs::read_to_string(&marks).unwrap(), torn_down);
}
