//! `compare`, `merge` and `baseline` on committed example results (tests/data/runs: a small real
//! run, and a newer one with a regression, a fix, a scenario that now runs, a changed observation
//! and a slowdown; the newer one also split into three slices), with every rendered output
//! snapshotted. The round trips against a real server are in tests/synapse.rs.

mod common;

use common::{root, run, text};
use std::path::PathBuf;

fn data(p: &str) -> String {
    root()
        .join("tests/data/runs")
        .join(p)
        .to_string_lossy()
        .to_string()
}

#[test]
fn compare_reports_regressions_fixes_skips_observations_and_slowdowns() {
    let out = run(&["compare", &data("old.json"), &data("new.json")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a regression exits 1: {}",
        text(&out)
    );
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    for needle in [
        "old: hs1: synapse 1.163.2, hs2: synapse 1.163.2 — new: hs1: synapse 1.164.0, hs2: synapse 1.163.2 (different implementations or versions)",
        "Regressions (scenarios):",
        "msc4354-sticky-events/sticky-section-timeline-limit-1",
        "passed → failed",
        "Newly passing (scenarios):",
        "expected_failure → unexpected_pass",
        "Skipped before, run now (scenarios):",
        "Changed observations:",
        "Much slower",
        "REGRESSED",
    ] {
        assert!(t.contains(needle), "missing `{needle}` in\n{t}");
    }
    insta::assert_snapshot!("compare_text", t);
    let md = run(&[
        "compare",
        &data("old.json"),
        &data("new.json"),
        "--format",
        "markdown",
    ]);
    insta::assert_snapshot!("compare_markdown", String::from_utf8_lossy(&md.stdout));
    let json = run(&[
        "compare",
        &data("old.json"),
        &data("new.json"),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["regressed"], true);
    insta::assert_json_snapshot!("compare_json", v);
}

#[test]
fn compare_without_regression_exits_0_and_refuses_other_revisions() {
    let out = run(&["compare", &data("new.json"), &data("new.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("NO REGRESSION"));

    let dir = tempfile::tempdir().unwrap();
    let mut seed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("new.json")).unwrap()).unwrap();
    seed["revisions"]["msc4354"] = "seed".into();
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).unwrap();
    let seed_path = seed_path.to_string_lossy().to_string();
    let out = run(&["compare", &data("new.json"), &seed_path]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("different revisions")
            && text(&out).contains("--allow-revision-change"),
        "{}",
        text(&out)
    );
    let out = run(&[
        "compare",
        &data("new.json"),
        &seed_path,
        "--allow-revision-change",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out)
        .contains("revisions: msc4354=newest, msc4140=newest → msc4354=seed, msc4140=newest"));

    let out = run(&["compare", &data("new.json"), "/nonexistent/results.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot read results from /nonexistent/results.json"));
    let out = run(&[
        "compare",
        &data("new.json"),
        &data("new.json"),
        "--format",
        "yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn merged_slices_give_the_unsplit_results_and_every_report_file() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "merge",
        &data("slice-2"),
        &data("slice-1"),
        &data("slice-3"),
        "--out",
        &out_dir.path().to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let merged = common::results(out_dir.path());
    let whole: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("new.json")).unwrap()).unwrap();
    assert_eq!(
        common::requirement_statuses(&merged),
        common::requirement_statuses(&whole)
    );
    assert_eq!(merged["stats"]["planned"], 6);
    assert_eq!(merged["partition"], serde_json::Value::Null);
    for f in ["junit.xml", "summary.md", "report.html"] {
        assert!(out_dir.path().join(f).exists(), "{f}");
    }
    insta::assert_snapshot!(
        "merged_summary_md",
        std::fs::read_to_string(out_dir.path().join("summary.md")).unwrap()
    );
    insta::assert_snapshot!(
        "merged_junit_xml",
        std::fs::read_to_string(out_dir.path().join("junit.xml")).unwrap()
    );
    insta::assert_snapshot!(
        "merged_report_html",
        std::fs::read_to_string(out_dir.path().join("report.html")).unwrap()
    );
}

#[test]
fn merge_refuses_missing_duplicated_and_foreign_slices() {
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().to_string_lossy().to_string();
    let out = run(&["merge", &data("slice-1"), &data("slice-3"), "--out", &o]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("slice 2/3 is missing"),
        "{}",
        text(&out)
    );
    let out = run(&[
        "merge",
        &data("slice-1"),
        &data("slice-1"),
        &data("slice-2"),
        "--out",
        &o,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("slice 1/3 is given twice"),
        "{}",
        text(&out)
    );
    let out = run(&["merge", &data("slice-1"), &data("new.json"), "--out", &o]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("is not a slice of a partitioned run"),
        "{}",
        text(&out)
    );

    let foreign = tempfile::tempdir().unwrap();
    let mut r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(PathBuf::from(data("slice-2")).join("results.json")).unwrap(),
    )
    .unwrap();
    r["selection"]["filters"] = serde_json::json!(["sticky"]);
    std::fs::write(foreign.path().join("results.json"), r.to_string()).unwrap();
    let out = run(&[
        "merge",
        &data("slice-1"),
        &foreign.path().to_string_lossy(),
        &data("slice-3"),
        "--out",
        &o,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("(slice 2/3) is from another selection")
            && text(&out).contains("--suite/--filter/--requirement differ"),
        "{}",
        text(&out)
    );
}

#[test]
fn baseline_lists_every_failure_with_its_message() {
    let out = run(&["baseline", &data("new.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(t.contains("scenario: msc4354-sticky-events/sticky-section-timeline-limit-1"));
    assert!(t.contains("reason: \"step `bob-gappy-sync`: still not true after 15.0s"));
    insta::assert_snapshot!("baseline", t);
}

/// A run on a server lacking proposals (Synapse 1.116.0: neither MSC4354 nor MSC4480) gives a
/// baseline with one `not_implemented` entry per absent proposal, and none of their scenarios
/// listed one by one; the file loads back as an expectations file, which then expects every
/// failure of that run.
#[test]
fn baseline_of_a_run_with_absent_proposals_lists_them_once_and_loads_back() {
    let compat = root().join("docs/compat/synapse-1.116.0.json");
    let out = run(&["baseline", compat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        t.contains("not_implemented:\n  - proposal: MSC4354\n"),
        "{t}"
    );
    assert!(t.contains("  - proposal: MSC4480\n"), "{t}");
    assert!(!t.contains("scenario: msc4354-sticky-events/"), "{t}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.yaml");
    std::fs::write(&file, &t).unwrap();
    let catalogue =
        mscheck::catalogue::Catalogue::load(&root().join("suites/requirements.yaml")).unwrap();
    let scenarios = mscheck::scenario::load_suites(&root().join("suites"), &catalogue).unwrap();
    let ids: Vec<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
    let known = mscheck::expectations::Expectations::load(&file, &catalogue, &ids)
        .unwrap_or_else(|e| panic!("{e}\n{t}"));
    assert_eq!(
        known.not_implemented.keys().collect::<Vec<_>>(),
        ["MSC4354", "MSC4480"]
    );
    // Every scenario of the run that did not pass is expected now: absent or listed.
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&compat).unwrap()).unwrap();
    let absent: Vec<&str> = r["stats"]["absent"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["scenarios"].as_array().unwrap())
        .filter_map(|s| s.as_str())
        .collect();
    for s in r["scenarios"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        if s["outcome"] == "passed" || s["outcome"] == "skipped" || absent.contains(&id) {
            continue;
        }
        let scenario = scenarios.iter().find(|x| x.id == id).unwrap();
        assert!(
            known
                .reason_for(scenario, mscheck::catalogue::Revision::Newest)
                .is_some(),
            "{id} ({}) is not expected by the baseline",
            s["outcome"]
        );
    }
}

/// Synapse 1.157.0 → 1.163.2: `delayed-max-delay` passed, then failed as the shipped
/// expectations file says. That is a masked regression: its own section and a count in the
/// verdict line; exit 0, and exit 1 under `--strict`.
#[test]
fn compare_flags_a_regression_hidden_by_the_expectations_file() {
    let old = root().join("docs/compat/synapse-1.157.0.json");
    let new = root().join("docs/compat/synapse-1.163.2.json");
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let out = run(&["compare", old, new]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    let section = t
        .split("Masked regressions")
        .nth(2)
        .expect("a section of masked scenarios");
    assert!(
        section.contains("msc4140-delayed-events/delayed-max-delay")
            && section.contains("passed → expected_failure"),
        "{t}"
    );
    assert!(t.contains("masked by the expectations file"), "{t}");
    let strict = run(&["compare", "--strict", old, new]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
}
