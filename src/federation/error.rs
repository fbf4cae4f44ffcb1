//! What can go wrong in the fake federating server.

/// What can go wrong in the fake server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// Key generation or signing failed.
    #[error("signing: {0}")]
    Key(String),
    /// An X-Matrix header or key document is malformed or its signature does not verify.
    #[error("federation authorisation: {0}")]
    Auth(String),
    /// The listener could not be set up.
    #[error("fake server listener: {0}")]
    Listen(String),
    /// A server name the fake may not contact (everything it talks to is on loopback).
    #[error(
        "the fake server only talks to loopback: {0} (hint: use `localhost:<port>` server names)"
    )]
    NotLoopback(String),
    /// No whole answer from another server (nothing answered, too late, too large).
    #[error(transparent)]
    Fetch(#[from] crate::client::bounded::FetchError),
    /// An answer that does not fit the protocol, or an event the fake cannot build.
    #[error("federation protocol: {0}")]
    Protocol(String),
}
