//! Tests of `profile.rs`.

use super::*;
use crate::scenario::needs::Need;
use serde_json::json;

fn shipped(name: &str) -> Profile {
    Profile::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/targets/{name}.yaml")),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_synapse_profile_maps_every_need_the_suites_use() {
    let p = shipped("synapse");
    assert_eq!(p.implementation, "synapse");
    assert_eq!(p.provision, Provision::SynapsePip { extras: vec![] });
    let needs = vec![
        Need::new("max_delayed_events_per_user", json!(0)),
        Need::new("rate_limits.messages", json!("strict")),
        Need::new("rate_limits.delayed_event_management", json!("strict")),
        Need::new("max_delay", json!("10s")),
    ];
    let o = p.overlay_for(&needs).unwrap();
    assert_eq!(
        o["experimental_features"]["msc4140_max_delayed_events_per_user"],
        0
    );
    assert!(o["rc_message"]["per_second"].as_f64().unwrap() < 1.0);
    assert!(o["rc_delayed_event_mgmt"].is_object());
    assert_eq!(o["max_event_delay_duration"], "10s");
}

#[test]
fn the_toml_example_loads_and_says_what_it_cannot_set() {
    let p = shipped("example-toml-server");
    assert_eq!(
        p.files.iter().find(|f| f.format.is_some()).unwrap().format,
        Some(Format::Toml)
    );
    let refused = p
        .overlay_for(&[Need::new("spam_check", json!("flag_marked"))])
        .unwrap_err();
    assert_eq!(refused.need, "spam_check: flag_marked");
    assert!(
        refused.to_string().contains(": no module system"),
        "the profile's own reason is quoted: {refused}"
    );
    let unmapped = p
        .overlay_for(&[Need::new("rate_limits.federation", json!("strict"))])
        .unwrap_err();
    assert_eq!(
        unmapped.to_string(),
        "cannot set rate_limits.federation: strict (the profile does not map it)"
    );
}

fn load_text(text: &str) -> Result<Profile, String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, text).unwrap();
    Profile::load(&f).map_err(|e| e.to_string())
}

const MINIMAL: &str = "implementation: x\nprovision: {command: ./x}\nstart: {program: x}\n";

#[test]
fn hooks_load_with_their_limits_and_placeholders_are_collected() {
    let p = load_text(&format!(
        "{MINIMAL}setup:\n  - {{run: [createdb, \"db_{{{{instance_id}}}}\", -p, \"{{{{port.postgres}}}}\"], within: 20s}}\nteardown:\n  - {{run: [dropdb, x]}}\n"
    ))
    .unwrap();
    assert_eq!(p.setup[0].argv[0], "createdb");
    assert_eq!(p.setup[0].within, std::time::Duration::from_secs(20));
    assert_eq!(
        p.teardown[0].within,
        crate::homeserver::hooks::DEFAULT_WITHIN
    );
    assert!(p.texts().any(|t| t == "{{port.postgres}}"));
    let e = load_text(&format!("{MINIMAL}setup: createdb x\n")).unwrap_err();
    assert!(
        e.contains("p.yaml:4:") && e.contains("list of commands"),
        "{e}"
    );
}

#[test]
fn files_stay_inside_the_working_folder_and_unsupported_needs_give_a_reason() {
    let p = load_text(&format!(
        "{MINIMAL}files:\n  - {{template: a, to: appservices/mscheck.yaml}}\n"
    ))
    .unwrap();
    assert_eq!(p.files[0].to, "appservices/mscheck.yaml");
    for to in ["../escape.yaml", "/etc/x.yaml"] {
        let e =
            load_text(&format!("{MINIMAL}files:\n  - {{template: a, to: {to}}}\n")).unwrap_err();
        assert!(e.contains("inside the working folder"), "{e}");
    }
    let e = load_text(&format!(
        "{MINIMAL}files:\n  - {{template: a, to: c.yaml, config: yaml}}\nneeds:\n  max_delay: {{unsupported: 3}}\n"
    ))
    .unwrap_err();
    assert!(e.contains("gives the reason as text"), "{e}");
}

#[test]
fn profile_mistakes_have_positions() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(
        &f,
        "implementation: x\nprovision: {command: ./x}\nstart: {program: x}\nstop: {signal: TERMINATE}\nregistraton: open\n",
    )
    .unwrap();
    let e = Profile::load(&f).unwrap_err().to_string();
    assert!(e.contains("p.yaml:4:"), "{e}");
    assert!(e.contains("TERMINATE"), "{e}");
    assert!(e.contains("did you mean `registration`?"), "{e}");
}
