//! Reporters: each consumes [`RunEvent`]s and nothing else.
//!
//! Adding a report: implement [`Reporter`], render from the events (and the data they carry),
//! add it to the fan-out in `cli::run`, and snapshot its output in a test.

pub mod charts;
pub mod console;
pub mod failure;
pub mod files;
pub mod github;
pub mod html;
pub mod results;
pub use mscheck_core::results::rollup;

use crate::runner::events::RunEvent;

/// A consumer of run events.
pub trait Reporter {
    /// Called for every event, in order.
    fn event(&mut self, ev: &RunEvent);
}

/// Sends every event to several reporters.
#[derive(Default)]
pub struct FanOut<'a> {
    reporters: Vec<&'a mut dyn Reporter>,
}

impl<'a> FanOut<'a> {
    /// Adds a reporter.
    pub fn add(&mut self, r: &'a mut dyn Reporter) {
        self.reporters.push(r);
    }

    /// Dispatches one event.
    pub fn event(&mut self, ev: &RunEvent) {
        for r in self.reporters.iter_mut() {
            r.event(ev);
        }
    }
}
