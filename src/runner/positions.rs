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

    /// `user`'s positions in every stream, to be put back with [`Positions::restore`].
    pub fn of(&self, user: &str) -> Vec<(Stream, Option<String>)> {
        [Stream::Sync, Stream::SlidingSync, Stream::StickyExtension]
            .into_iter()
            .map(|s| (s, self.get(s, user)))
            .collect()
    }

    /// Puts `user`'s positions back where [`Positions::of`] found them.
    pub fn restore(&mut self, user: &str, saved: Vec<(Stream, Option<String>)>) {
        for (stream, token) in saved {
            let key = (stream, user.to_string());
            match token {
                Some(t) => self.0.insert(key, t),
                None => self.0.remove(&key),
            };
        }
    }
}
