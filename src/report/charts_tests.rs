//! The charts as SVG text: snapshots, and what each must show.

use super::*;
use crate::results::lifetime::Sample;
use crate::results::Timing;

/// A lifetime sampled every second from t=0: delivered with a countdown to 10 s, gone at 10.1 s.
fn series() -> Series {
    let samples = (0..12)
        .map(|k| {
            let t = k * 1000;
            Sample {
                sent_ms: t,
                received_ms: t + 100,
                present: t < 10_000,
                remaining_ms: (t < 10_000).then_some(10_000 - t - 50),
            }
        })
        .collect();
    Series {
        step: "lifetime".into(),
        samples,
        ends: Some((10_000, 10_000)),
        margin_ms: 2_000,
        problem: None,
    }
}

#[test]
fn a_lifetime_draws_every_sample_the_declared_end_and_the_disappearance() {
    let svg = lifetime(&series());
    assert_eq!(
        svg.matches("<circle").count(),
        10,
        "one dot per sample with the item"
    );
    assert!(svg.contains("declared end"));
    assert!(svg.contains("gone by +10.1s"));
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert!(!svg.contains("http"), "an inline chart names no address");
    insta::assert_snapshot!(svg);
}

#[test]
fn a_retry_schedule_marks_each_transaction_at_its_time() {
    let svg = retry_schedule(&[200, 429, 500, 200], &[384, 5589, 15824]);
    assert_eq!(svg.matches("<circle").count(), 4);
    assert!(
        svg.contains("transaction 3 at +6.0s: answered 500"),
        "{svg}"
    );
    insta::assert_snapshot!(svg);
}

fn result(id: &str, started: u64, ms: u64, slot: u32, outcome: Outcome) -> ScenarioResult {
    let mut r: ScenarioResult = serde_json::from_value(serde_json::json!({
        "id": id, "suite": "s", "name": id, "file": "f", "covers": [], "proposal": "msc4354",
        "revision": "newest", "outcome": "passed", "reason": null, "failure": null, "steps": [],
        "duration_ms": ms, "transcript": null, "snapshots_written": [], "observations": []
    }))
    .unwrap();
    r.outcome = outcome;
    r.timing = Some(Timing {
        started_ms: started,
        slot,
        boot_ms: None,
    });
    r
}

#[test]
fn the_timeline_outlines_the_path_to_the_end_of_the_run() {
    let mut rs = vec![
        result("s/long", 0, 30_000, 0, Outcome::Passed),
        result("s/first", 0, 10_000, 1, Outcome::Passed),
        result("s/then-last", 10_000, 25_000, 1, Outcome::Failed),
        result("s/<b>", 0, 5_000, 2, Outcome::ExpectedFailure),
    ];
    rs[0].timing.as_mut().unwrap().boot_ms = Some(4_000);
    let svg = timeline(&rs, 36_000);
    // The path: s/then-last ends last (35 s), s/first ran before it on slot 1.
    let outlined: Vec<&str> = svg
        .split("<rect")
        .filter(|r| r.contains("stroke=\"#24292e\""))
        .collect();
    assert_eq!(outlined.len(), 2, "{svg}");
    assert!(outlined.iter().any(|r| r.contains("s/then-last")));
    assert!(outlined.iter().any(|r| r.contains("s/first")));
    assert!(svg.contains("booting its servers: 4s"));
    assert!(!svg.contains("<b>"), "ids are escaped");
    insta::assert_snapshot!(svg);
}

#[test]
fn sections_appear_only_for_what_the_run_has() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runs/new.json");
    let mut report = crate::results::RunReport::load(&data).unwrap();
    let draw = |r: &crate::results::RunReport| sections(&r.scenarios, r.stats.duration_ms);
    assert_eq!(
        draw(&report),
        "",
        "a run without timings, series or retries draws nothing"
    );
    report.scenarios[0].series.push(series());
    report.scenarios[0].timing = Some(Timing {
        started_ms: 0,
        slot: 0,
        boot_ms: None,
    });
    report.scenarios[1]
        .observations
        .push(crate::results::Observation {
            step: "x".into(),
            label: RETRY_LABELS.0.into(),
            value: Some(serde_json::json!([429, 200])),
        });
    report.scenarios[1]
        .observations
        .push(crate::results::Observation {
            step: "x".into(),
            label: RETRY_LABELS.1.into(),
            value: Some(serde_json::json!([4000])),
        });
    let html = draw(&report);
    for id in ["lifetimes", "retries", "timeline"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
}
