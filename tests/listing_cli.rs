//! `mscheck list`, `requirements` and `show` without a server: the selection flags (`--suite`,
//! `--filter`, `--partition`, `--requirement`, requirement IDs), JSON for scripts, a selection
//! matching nothing (exit 2), and a finished run shown again from its results.

mod common;

use common::{run, text};

fn lines(args: &[&str]) -> Vec<String> {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_selection_narrows_the_requirements() {
    let all = lines(&["requirements"]);
    let one = lines(&["requirements", "--filter", "fake-sticky-push-order"]);
    assert_eq!(one.len(), 2, "{one:#?}");
    assert!(
        one[0].starts_with("S-10 ")
            && one[0].ends_with("covered by federation/fake-sticky-push-order")
    );
    assert!(one[1].starts_with("S-31 ") && one[1].contains("SHOULD"));
    let federation = lines(&["requirements", "--suite", "federation"]);
    assert!(federation.len() < all.len() && federation.len() > 5);
    assert!(federation
        .iter()
        .all(|l| !l.contains("covered by msc4") && l.contains("federation/")));
    let slices: Vec<Vec<String>> = (1..=3)
        .map(|k| lines(&["requirements", "--partition", &format!("{k}/3")]))
        .collect();
    assert!(slices.iter().all(|s| s.len() < all.len()));
    let proof = lines(&[
        "requirements",
        "--proof",
        "--filter",
        "fake-sticky-push-order",
    ]);
    let headings: Vec<&String> = proof.iter().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(headings.len(), 2, "{proof:#?}");
    // The committed mutation score, per requirement, with the survivors by name.
    let scored = lines(&["requirements", "--proof", "S-27", "S-06"]);
    assert!(
        scored.iter().any(|l| l.starts_with("- mutants: killed ")),
        "{scored:#?}"
    );
    assert!(
        scored
            .iter()
            .any(|l| l.starts_with("- surviving mutant: mutant:S-06:")),
        "{scored:#?}"
    );
    let none = run(&["requirements", "--filter", "no-such-scenario"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(text(&none).contains("no scenario matches"));
}

#[test]
fn a_requirement_selects_the_scenarios_covering_it() {
    let listed = lines(&["list", "--requirement", "s-31"]);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(listed[0].starts_with("federation/fake-sticky-push-order "));
    let d07 = lines(&["list", "--requirement", "D-07"]);
    assert!(
        d07.len() >= 3 && d07.iter().all(|l| l.contains("D-07")),
        "{d07:#?}"
    );
    let one = lines(&["requirements", "D-07"]);
    assert_eq!(one.len(), 1);
    assert!(one[0].starts_with("D-07   MUST NOT"), "{one:#?}");
    let typo = run(&["list", "--requirement", "S-311"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo).contains("unknown requirement `S-311` (did you mean `S-11`?)"),
        "{}",
        text(&typo)
    );
    let none = run(&["list", "--filter", "no-such-scenario"]);
    assert_eq!(
        none.status.code(),
        Some(2),
        "an empty list is bad input, as for run"
    );
    assert!(text(&none).contains("no scenario matches"));
}

#[test]
fn list_and_requirements_speak_json() {
    let out = run(&["list", "--format", "json", "--requirement", "S-31"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["id"], "federation/fake-sticky-push-order");
    assert_eq!(v[0]["covers"], serde_json::json!(["S-10", "S-31"]));
    let out = run(&["requirements", "--format", "json", "S-50", "S-32", "S-33"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    let s50 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "S-50")
        .unwrap();
    assert_eq!(
        s50["group"],
        "MSC4480 sliding-sync extension for sticky events"
    );
    assert!(!s50["covered_by"].as_array().unwrap().is_empty());
    let id = |id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    let s32 = id("S-32");
    assert_eq!(s32["strength"], "SHOULD NOT");
    assert!(!s32["covered_by"].as_array().unwrap().is_empty());
    let s33 = id("S-33");
    assert_eq!(s33["strength"], "MAY");
    assert!(s33["not_covered"].as_str().is_some());
}

#[test]
fn show_replays_a_finished_run() {
    let results = common::root().join("tests/data/runs/new.json");
    let out = run(&["show", results.to_str().unwrap(), "--failed"]);
    assert_eq!(out.status.code(), Some(1), "the run failed: {}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        t.contains(" FAIL msc4354-sticky-events/sticky-section-timeline-limit-1"),
        "{t}"
    );
    assert!(t.contains("step `bob-gappy-sync`"), "{t}");
    assert!(
        !t.contains(" PASS "),
        "--failed shows only what did not pass: {t}"
    );
    assert!(t.contains("FAILED: "), "{t}");
    let all = run(&["show", results.to_str().unwrap()]);
    let all = String::from_utf8_lossy(&all.stdout).to_string();
    assert!(all.contains(" PASS "));
    // The per-proposal summary counts every scenario of the run, shown or not.
    let summary = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("MSC"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(summary(&t), summary(&all));
    assert!(summary(&t)[1].contains("3 passed, 1 failed"), "{t}");
    let missing = run(&["show", "/nonexistent/report"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
}

#[test]
fn faults_are_listed_with_what_they_break() {
    let all = lines(&["faults"]);
    let drop = all
        .iter()
        .find(|l| l.starts_with("drop-sticky-section "))
        .expect("drop-sticky-section is listed");
    assert!(drop.contains("S-13"), "{drop}");
    let control = all
        .iter()
        .find(|l| l.starts_with("clock-behind-20s "))
        .expect("the clock controls are listed");
    assert!(control.contains("control"), "{control}");
}

/// `list --target` / `--hs1` preview a run: what would be skipped and why, what only the server
/// can decide, with nothing installed, started or contacted.
#[test]
fn a_target_is_previewed_without_contacting_it() {
    let managed = lines(&[
        "list",
        "--target",
        "example-toml-server",
        "--filter",
        "sticky-spam-flagged",
        "--filter",
        "delayed-survives-restart",
    ]);
    let all = managed.join("\n");
    assert!(
        all.contains(
            "    skipped: profile `example-toml-server` cannot set spam_check: flag_marked: no module system for checking events"
        ),
        "{all}"
    );
    assert!(
        all.contains("0 run, 1 skipped, 1 decided when the server answers:")
            && all.contains("1: runs only if the server lists `org.matrix.msc4140`"),
        "{all}"
    );
    // Port 9 (discard) on loopback: nothing listens, and nothing is asked.
    let out = run(&[
        "list",
        "--hs1",
        "http://127.0.0.1:9",
        "--filter",
        "delayed-survives-restart",
        "--filter",
        "fake-sticky-push-order",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_id = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"].as_str().unwrap().ends_with(id))
            .unwrap()
            .clone()
    };
    let restart = by_id("delayed-survives-restart");
    assert_eq!(restart["on_target"], "skipped");
    assert!(restart["reason"]
        .as_str()
        .unwrap()
        .contains("lifecycle control"));
    let fake = by_id("fake-sticky-push-order");
    assert_eq!(fake["on_target"], "depends");
    assert!(
        fake["reason"].as_str().unwrap().contains("loopback one"),
        "{fake}"
    );
    let out = run(&["list", "--hs1", "localhost:8008"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run(&["list", "--hs2", "http://127.0.0.1:9"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--hs2 needs --hs1: {}",
        text(&out)
    );
}
