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
    assert_eq!(p.provision, Provision::SynapsePip);
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
    let missing = p
        .overlay_for(&[Need::new("spam_check", json!("flag_marked"))])
        .unwrap_err();
    assert_eq!(missing, "spam_check: flag_marked");
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
