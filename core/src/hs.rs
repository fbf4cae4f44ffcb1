//! The homeservers a scenario names: `hs1` (every scenario's) and `hs2` (the second server of a
//! federation scenario). A type, so that a third name cannot slip in through a string.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One of a scenario's homeservers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Hs {
    /// The first server: every scenario has it.
    #[default]
    Hs1,
    /// The second server, federating with the first.
    Hs2,
}

impl Hs {
    /// Both, in order.
    pub const ALL: [Hs; 2] = [Hs::Hs1, Hs::Hs2];

    /// `hs1` or `hs2`: the name scenarios, flags and reports use.
    pub fn name(self) -> &'static str {
        match self {
            Hs::Hs1 => "hs1",
            Hs::Hs2 => "hs2",
        }
    }

    /// The server a name means, if it is one.
    pub fn parse(name: &str) -> Option<Hs> {
        Hs::ALL.into_iter().find(|h| h.name() == name)
    }

    /// Whether a scenario with `homeservers` servers has this one.
    pub fn within(self, homeservers: u8) -> bool {
        self == Hs::Hs1 || homeservers >= 2
    }
}

impl fmt::Display for Hs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<str> for Hs {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for h in Hs::ALL {
            assert_eq!(Hs::parse(h.name()), Some(h));
        }
        assert_eq!(Hs::parse("hs3"), None);
        assert!(Hs::Hs2.within(2) && !Hs::Hs2.within(1) && Hs::Hs1.within(1));
    }
}
