//! How the reports say the core's verdicts to people: the terminal's and JUnit's short labels,
//! report.html's words and the Markdown summary's symbols. The core keeps only the words
//! `results.json` stores; presentation lives here, beside the reporters.

use crate::results::rollup::Status;
use crate::results::{Failure, FailureKind, Outcome};

/// A verdict's label in a report.
pub trait Label {
    /// The label.
    fn label(self) -> &'static str;
}

impl Label for Outcome {
    /// `PASS`, `FAIL`, `XFAIL`, …
    fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "PASS",
            Outcome::Failed => "FAIL",
            Outcome::Errored => "ERROR",
            Outcome::Skipped => "SKIP",
            Outcome::ExpectedFailure => "XFAIL",
            Outcome::UnexpectedPass => "XPASS",
            Outcome::NotImplemented => "ABSENT",
            Outcome::Warned => "WARN",
        }
    }
}

impl Label for Status {
    /// How report.html and the terminal say a requirement's status.
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::NotImplemented => "NOT IMPLEMENTED",
            Status::Warning => "WARNING (recommendation not met)",
            Status::ExpectedFailure => "expected failure",
            Status::UnexpectedPass => "unexpected pass",
            Status::Skip => "skipped",
            Status::NotRun => "not run",
            Status::NotReached => "not reached",
            Status::NotTestable => "client-only",
            Status::Uncovered => "uncovered",
        }
    }
}

/// How Markdown reports say a requirement's status.
pub fn markdown(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅ pass",
        Status::Fail => "❌ fail",
        Status::Error => "💥 error",
        Status::NotImplemented => "🚫 not implemented",
        Status::Warning => "🔶 recommendation not met",
        Status::ExpectedFailure => "⚠️ expected failure",
        Status::UnexpectedPass => "❗ unexpected pass",
        Status::Skip => "⏭️ skipped",
        Status::NotRun => "· not run",
        Status::NotReached => "⤼ not reached",
        Status::NotTestable => "· client-only",
        Status::Uncovered => "· uncovered",
    }
}

/// What kind of problem a failure is, in words: `check failed`, `transport error`, `harness
/// error`, or `error` in results written before mscheck recorded the kind.
pub fn failure_kind(f: &Failure) -> &'static str {
    match f.known_kind() {
        Some(FailureKind::Check) => "check failed",
        Some(FailureKind::Transport) => "transport error",
        Some(FailureKind::Harness) => "harness error",
        None => "error",
    }
}
