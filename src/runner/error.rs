//! Why a step did not pass, as types to the end: a check the server failed, a transport problem
//! (no answer, a server that would not start), a harness problem (a template that cannot be
//! rendered, a bad selector), or a capability the server does not advertise (a skip).

use super::events::Failure;
use crate::client::ClientError;
use crate::federation::FederationError;
use crate::matcher::PathError;
use crate::vars::TemplateError;
use std::sync::Arc;

/// Why a step did not pass.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// A check failed: the server's fault.
    #[error("{}", .0.message)]
    Check(Box<Failure>),
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

/// What kind of problem a [`StepError`] is, for reports and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server failed a check.
    CheckFailure,
    /// No usable answer.
    Transport,
    /// mscheck or the scenario.
    Harness,
    /// Not advertised: a skip.
    NotAdvertised,
}

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

    /// What kind of problem it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StepError::Check(_) => ErrorKind::CheckFailure,
            StepError::Transport(_) => ErrorKind::Transport,
            StepError::Harness(_) => ErrorKind::Harness,
            StepError::NotAdvertised(_) => ErrorKind::NotAdvertised,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_type_and_say_what_they_are() {
        let e: StepError = crate::matcher::Path::parse("a[").unwrap_err().into();
        assert_eq!(e.kind(), ErrorKind::Harness);
        assert!(matches!(e, StepError::Harness(HarnessError::Selector(_))));
        assert!(e
            .to_string()
            .starts_with("harness error: invalid selector `a[`"));
        let e: StepError = FederationError::NotLoopback("example.org".into()).into();
        assert_eq!(e.kind(), ErrorKind::Transport);
        assert!(e.to_string().contains("only talks to loopback"));
    }
}
