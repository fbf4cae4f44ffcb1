//! Where each user's chained streams stand: the `/sync` `next_batch`, the simplified sliding
//! sync `pos` and the sticky-events extension's `next_batch`. Set by the responses that move
//! them (a step's effects), read by the next request of the same user.

use std::collections::BTreeMap;

/// A chained stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stream {
    /// `/sync`'s `next_batch`.
    Sync,
    /// Simplified sliding sync's `pos`.
    SlidingSync,
    /// The sticky-events extension's `next_batch`.
    StickyExtension,
}

/// Every user's position in every stream.
#[derive(Debug, Default)]
pub struct Positions(BTreeMap<(Stream, String), String>);

impl Positions {
    /// `user`'s position in `stream`, if a response gave one.
    pub fn get(&self, stream: Stream, user: &str) -> Option<String> {
        self.0.get(&(stream, user.to_string())).cloned()
    }

    /// Moves `user` on in `stream`.
    pub fn set(&mut self, stream: Stream, user: &str, token: String) {
        self.0.insert((stream, user.to_string()), token);
    }
}
