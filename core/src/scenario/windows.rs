//! Waits the proposal texts do not bound, by name (`within: {window: federation_retry}`).
//!
//! Where a text fixes a time (D-08's 30 s batching allowance), a scenario writes it down. Where it
//! fixes none (how soon a server sends again to a destination that failed), a deadline written in
//! a scenario would be one implementation's schedule. Such a wait names a window instead: an
//! implementation profile may set it (`windows: {federation_retry: 90s}` in Synapse's, from its
//! backoff), and every other target gets the default below, long enough for any server that
//! retries at all within the run. The report records which window was used and where it came
//! from.

use std::time::Duration;

/// One named window.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Its name in scenarios and profiles.
    pub name: &'static str,
    /// The deadline when the profile sets none.
    pub default: Duration,
    /// What it bounds, for the README and hints.
    pub meaning: &'static str,
}

/// Every window a scenario may name.
pub const WINDOWS: &[Window] = &[Window {
    name: "federation_retry",
    default: Duration::from_secs(120),
    meaning: "how soon a server sends again to a destination whose transaction failed (5xx, 429) or that was down; the texts fix no retry schedule (S-10, S-11, S-30)",
}];

/// The window called `name`.
pub fn find(name: &str) -> Option<&'static Window> {
    WINDOWS.iter().find(|w| w.name == name)
}
