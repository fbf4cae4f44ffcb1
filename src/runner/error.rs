//! Why a step did not pass, as types to the end: a located failure (a check the server failed,
//! or a transport or harness problem once it is placed at its step), a transport problem (no
//! answer, a server that would not start), a harness problem (a template that cannot be
//! rendered, a bad selector), or a capability the server does not advertise (a skip). Their
//! kinds are the report's [`FailureKind`]: one vocabulary from the step to the report.

use crate::client::ClientError;
use crate::federation::FederationError;
use crate::matcher::PathError;
use crate::results::{Failure, FailureKind};
use crate::vars::TemplateError;
use std::sync::Arc;

/// Why a step did not pass.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// A failure placed at its step, with its kind ([`FailureKind::Check`] when the server
    /// failed a check) and evidence.
    #[error("{}", .0.message)]
    Failed(Box<Failure>),
    /// No response, or a server that would not start or stop: the target's (or the network's)
    /// fault.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// mscheck could not do what the step says (a template naming nothing, a selector that
    /// does not parse once rendered): a problem of the scenario or of mscheck.
    #[error("harness error: {0}")]
    Harness(#[from] HarnessError),
    /// The server does not advertise what the scenario checks (found once it runs, such as a
    /// limit missing from `/capabilities`): the scenario is skipped with this reason.
    #[error("{0}")]
    NotAdvertised(String),
}

/// Why a scenario is skipped once it runs: the server does not advertise what it checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAdvertised(pub String);

/// No usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// A client-server request got no response.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The fake federating server could not do what the step asked.
    #[error(transparent)]
    Federation(Arc<FederationError>),
    /// A managed homeserver would not stop, start, pause or resume, or registration failed.
    #[error("{0}")]
    Homeserver(String),
    /// The scenario did not finish within its timeout.
    #[error("{0}")]
    Timeout(String),
}

pub use crate::steps::HarnessError;

impl StepError {
    /// A harness problem, said in words.
    pub fn harness(message: impl Into<String>) -> Self {
        StepError::Harness(HarnessError::Other(message.into()))
    }

    /// What kind of failure it is; `None` for a skip.
    pub fn kind(&self) -> Option<FailureKind> {
        match self {
            StepError::Failed(f) => f.known_kind(),
            StepError::Transport(_) => Some(FailureKind::Transport),
            StepError::Harness(_) => Some(FailureKind::Harness),
            StepError::NotAdvertised(_) => None,
        }
    }

    /// The failure this error stands for, placed at `step` (unless a check already placed it
    /// more precisely), or the skip reason when the server does not advertise what the scenario
    /// needs.
    pub(super) fn into_failure_at(
        self,
        step: &str,
        pos: crate::scenario::Pos,
    ) -> Result<Failure, NotAdvertised> {
        let error = |kind: FailureKind, e: &dyn std::fmt::Display| {
            Ok(Failure::error(kind, step, pos, e.to_string()))
        };
        match self {
            StepError::Failed(mut f) => {
                if f.pos == crate::scenario::Pos::default() {
                    f.pos = pos;
                }
                Ok(*f)
            }
            e @ StepError::Transport(_) => error(FailureKind::Transport, &e),
            e @ StepError::Harness(_) => error(FailureKind::Harness, &e),
            StepError::NotAdvertised(why) => Err(NotAdvertised(why)),
        }
    }
}

impl From<FederationError> for StepError {
    fn from(e: FederationError) -> Self {
        StepError::Transport(TransportError::Federation(Arc::new(e)))
    }
}

impl From<ClientError> for StepError {
    fn from(e: ClientError) -> Self {
        StepError::Transport(TransportError::Client(e))
    }
}

impl From<TemplateError> for StepError {
    fn from(e: TemplateError) -> Self {
        StepError::Harness(HarnessError::Template(e))
    }
}

impl From<PathError> for StepError {
    fn from(e: PathError) -> Self {
        StepError::Harness(HarnessError::Selector(e))
    }
}

impl StepError {
    pub(super) fn waited(self, context: String) -> Self {
        match self {
            StepError::Failed(mut f) => {
                f.message = format!("{context}: {}", f.message);
                StepError::Failed(f)
            }
            other => other,
        }
    }

    pub(super) fn at_step(self, step: &crate::scenario::Step) -> Self {
        self.located(&step.id, step.pos)
    }

    pub(super) fn located(self, step: &str, pos: crate::scenario::Pos) -> Self {
        match self.into_failure_at(step, pos) {
            Ok(f) => StepError::Failed(Box::new(f)),
            Err(NotAdvertised(why)) => StepError::NotAdvertised(why),
        }
    }

    /// The failure this error stands for (placed at the set-up when no step placed it), or the
    /// skip reason when the server does not advertise what the scenario needs.
    pub(super) fn into_failure(self) -> Result<Failure, NotAdvertised> {
        self.into_failure_at("setup", Default::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_type_and_say_what_they_are() {
        let e: StepError = crate::matcher::Path::parse("a[").unwrap_err().into();
        assert_eq!(e.kind(), Some(FailureKind::Harness));
        assert!(matches!(e, StepError::Harness(HarnessError::Selector(_))));
        assert!(e
            .to_string()
            .starts_with("harness error: invalid selector `a[`"));
        let e: StepError = FederationError::NotLoopback("example.org".into()).into();
        assert_eq!(e.kind(), Some(FailureKind::Transport));
        assert!(e.to_string().contains("only talks to loopback"));
    }
}
