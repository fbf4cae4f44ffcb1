//! Why a step's request could not be built: a template naming nothing, a selector that does not
//! parse once rendered, or another problem said in words. The runner reports it as a harness
//! error (a problem of the scenario or of mscheck, not of the server).

use crate::matcher::PathError;
use crate::vars::TemplateError;

/// mscheck could not carry out the step.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HarnessError {
    /// A template could not be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A rendered selector does not parse.
    #[error(transparent)]
    Selector(#[from] PathError),
    /// Anything else, said in words.
    #[error("{0}")]
    Other(String),
}

impl HarnessError {
    /// A problem said in words.
    pub fn harness(message: impl Into<String>) -> Self {
        HarnessError::Other(message.into())
    }
}
