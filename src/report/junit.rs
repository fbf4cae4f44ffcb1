//! `junit.xml`: one test suite per suite folder, one test case per scenario, for CI systems that
//! show test results. Expected failures and recommendations not met (without `--strict`) pass,
//! saying so in the case's output.

use crate::results::{Outcome, RunStats, ScenarioResult};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;

/// The JUnit XML of a run.
pub fn render(results: &[ScenarioResult], stats: &RunStats) -> String {
    let mut report = Report::new("mscheck");
    report.set_time(std::time::Duration::from_millis(stats.duration_ms));
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in results {
        suites
            .entry(r.suite.as_str())
            .or_insert_with(|| TestSuite::new(r.suite.clone()))
            .add_test_case(case(r, stats.strict));
    }
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}

/// One scenario's test case.
fn case(r: &ScenarioResult, strict: bool) -> TestCase {
    let mut tc = TestCase::new(r.id.clone(), status(r, strict));
    tc.set_classname(format!("{}.{}", r.proposal, r.revision));
    tc.set_time(std::time::Duration::from_millis(r.duration_ms));
    let out = system_out(r, strict);
    if !out.is_empty() {
        tc.set_system_out(out);
    }
    tc.properties
        .push(Property::new("covers", r.covers.join(",")));
    for note in &r.spec_moved {
        tc.properties
            .push(Property::new("changed_since_checked_text", note.as_str()));
    }
    tc
}

/// Passed, skipped, or a failure or error with its kind, first line and whole text.
fn status(r: &ScenarioResult, strict: bool) -> TestCaseStatus {
    match r.outcome {
        Outcome::Passed | Outcome::ExpectedFailure => TestCaseStatus::success(),
        Outcome::Skipped => {
            let mut s = TestCaseStatus::skipped();
            if let Some(reason) = &r.reason {
                s.set_message(reason.clone());
            }
            s
        }
        // A recommendation not met: a failure only under --strict; else a pass that says so.
        Outcome::Warned if strict => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("recommendation_not_met");
            s.set_message(warned_message(r));
            s
        }
        Outcome::Warned => TestCaseStatus::success(),
        Outcome::NotImplemented => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("not_implemented");
            s.set_message(r.reason.clone().unwrap_or_default());
            s
        }
        Outcome::Failed | Outcome::Errored | Outcome::UnexpectedPass => failure(r),
    }
}

fn failure(r: &ScenarioResult) -> TestCaseStatus {
    let kind = if r.outcome == Outcome::Errored {
        NonSuccessKind::Error
    } else {
        NonSuccessKind::Failure
    };
    let mut s = TestCaseStatus::non_success(kind);
    let msg = match (&r.failure, r.outcome) {
        (_, Outcome::UnexpectedPass) => format!(
            "unexpected pass: the expectations file says `{}`",
            r.reason.clone().unwrap_or_default()
        ),
        (Some(f), _) => f.message.lines().next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    s.set_message(msg);
    if let Some(kind) = r.failure.as_ref().and_then(|f| f.kind) {
        s.set_type(kind.word());
    }
    s.set_description(super::failure::text(r, ""));
    s
}

/// What a passing case says besides: why it was expected to fail, the recommendation not met,
/// new and changed snapshots.
fn system_out(r: &ScenarioResult, strict: bool) -> String {
    let mut out = String::new();
    if r.outcome == Outcome::ExpectedFailure {
        out.push_str(&format!(
            "expected failure: {}\n{}",
            r.reason.clone().unwrap_or_default(),
            super::failure::text(r, "")
        ));
    }
    if r.outcome == Outcome::Warned && !strict {
        out.push_str(&format!(
            "{}\n{}",
            warned_message(r),
            super::failure::text(r, "")
        ));
    }
    for snap in &r.snapshots {
        if snap.status.is_news() {
            out.push_str(&format!("{}\n", snap.line()));
        }
    }
    out
}

/// What a scenario that ended with a recommendation not met says, in one line.
fn warned_message(r: &ScenarioResult) -> String {
    format!(
        "recommendation not met (SHOULD, SHOULD NOT or MAY): {}",
        r.failure
            .as_ref()
            .and_then(|f| f.message.lines().next())
            .unwrap_or("")
    )
}
