//! Reporters: each consumes [`RunEvent`]s and nothing else.
//!
//! Adding a report: implement [`Reporter`], render from the events (and the data they carry),
//! feed it from the session's event callback (`cli::run` feeds the terminal and the GitHub
//! annotations; the session itself feeds the report folder), and snapshot its output in a test.

pub mod charts;
pub mod console;
pub mod failure;
pub mod files;
pub mod github;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod results;
pub mod words;

use crate::runner::events::RunEvent;

/// A consumer of run events.
pub trait Reporter {
    /// Called for every event, in order.
    fn event(&mut self, ev: &RunEvent);
}
