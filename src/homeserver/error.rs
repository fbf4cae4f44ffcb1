//! Why a target could not be set up or used.

use std::time::Duration;

/// Why a target could not be set up or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HomeserverError {
    /// Installing or preparing a managed server failed.
    #[error("cannot set up the managed homeserver: {0}")]
    Setup(String),
    /// A managed server did not come up.
    #[error("managed homeserver `{name}` did not start: {detail}")]
    StartFailed {
        /// `hs1` / `hs2`.
        name: String,
        /// Log tail or reason.
        detail: String,
    },
    /// A lifecycle operation on a server that is not running.
    #[error("homeserver `{0}` is not running")]
    NotRunning(String),
    /// An external server did not answer `/versions`.
    #[error("homeserver `{name}` at {url} is unreachable: {detail} (hint: check the URL and that the server is up)")]
    Unreachable {
        /// `hs1` / `hs2`.
        name: String,
        /// Its base URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// Something answered `/versions`, but not the way a Matrix server does (an HTML page, a
    /// redirect, an error status).
    #[error("homeserver `{name}` at {url} answered, but not as a Matrix server: {detail} (hint: check the URL points at the client-server API)")]
    NotMatrix {
        /// `hs1` / `hs2`.
        name: String,
        /// Its base URL.
        url: String,
        /// What it answered.
        detail: String,
    },
    /// Probing and identifying an external server took longer than its budget.
    #[error("homeserver `{name}` at {url} answered too slowly: reading /versions, registering a first user and identifying it did not finish within {} (hint: the server is up but slow; its logs say why)", crate::units::human_duration(*budget))]
    TooSlow {
        /// `hs1` / `hs2`.
        name: String,
        /// Its base URL.
        url: String,
        /// The budget.
        budget: Duration,
    },
    /// mscheck cannot create users on a server (checked once, before any scenario).
    #[error("cannot register users on homeserver `{name}`: {detail}")]
    RegistrationRefused {
        /// `hs1` / `hs2`.
        name: String,
        /// The server's answer, redacted.
        detail: String,
    },
    /// Lifecycle control asked of an external server.
    #[error("homeserver `{0}` is external: mscheck cannot stop, start or pause it")]
    NoLifecycle(String),
}
