//! Why a scenario did not pass, as every report shows it: where (step, file position, source
//! line), what kind of problem (a check, transport, the harness), and the evidence (selector,
//! expected and actual JSON, the request and the answer).

use crate::yaml::Pos;
use serde::{Deserialize, Serialize};

/// Why a scenario did not pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    /// The step.
    pub step: String,
    /// Where the step (or the failing check) is written.
    pub pos: Pos,
    /// `kind == check`, written for readers of earlier results; mscheck itself reads
    /// [`Failure::known_kind`].
    pub is_check: bool,
    /// What kind of problem it is; absent in results written before mscheck recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FailureKind>,
    /// One paragraph.
    pub message: String,
    /// The selector of the failed check.
    pub at: Option<String>,
    /// What the check wanted.
    pub expected: Option<String>,
    /// What was found (trimmed JSON).
    pub actual: Option<String>,
    /// `METHOD /path` of the last request of the step.
    pub request: Option<String>,
    /// Its status.
    pub status: Option<u16>,
    /// Its body (redacted, trimmed).
    pub body: Option<String>,
    /// The scenario file's line at `pos`, with a caret under the column.
    #[serde(default)]
    pub source: Option<String>,
}

/// What kind of problem stopped a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The server failed a check: it broke a requirement.
    Check,
    /// No usable answer: no response, a timeout, a server that would not start or stop.
    Transport,
    /// mscheck could not carry out a step (a template, a selector), or crashed.
    Harness,
}

impl FailureKind {
    /// `check`, `transport`, `harness`: JUnit's `type` attribute.
    pub fn word(self) -> &'static str {
        match self {
            FailureKind::Check => "check",
            FailureKind::Transport => "transport",
            FailureKind::Harness => "harness",
        }
    }
}

impl Failure {
    /// What kind of problem it is: its `kind`, or in results written before mscheck recorded
    /// it, a check when `is_check` says so (else unknown).
    pub fn known_kind(&self) -> Option<FailureKind> {
        self.kind.or(self.is_check.then_some(FailureKind::Check))
    }

    /// Whether the server failed a check (rather than not answering, or mscheck failing).
    pub fn is_check_failure(&self) -> bool {
        self.known_kind() == Some(FailureKind::Check)
    }

    /// A failure that is not a check: no response, a timeout, a harness problem.
    pub fn error(kind: FailureKind, step: &str, pos: Pos, message: String) -> Self {
        Failure {
            step: step.to_string(),
            pos,
            is_check: kind == FailureKind::Check,
            kind: Some(kind),
            message,
            at: None,
            expected: None,
            actual: None,
            request: None,
            status: None,
            body: None,
            source: None,
        }
    }
}
