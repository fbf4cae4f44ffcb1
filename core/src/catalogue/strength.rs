//! How strongly a requirement binds a server, in the words of RFC 2119 as the proposals use
//! them, plus the catalogue's own kinds for what is not an obligation (an API shape, a
//! description, information).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A requirement's strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Strength {
    /// MUST.
    #[serde(rename = "MUST")]
    Must,
    /// MUST NOT.
    #[serde(rename = "MUST NOT")]
    MustNot,
    /// SHOULD.
    #[serde(rename = "SHOULD")]
    Should,
    /// SHOULD NOT.
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    /// MAY.
    #[serde(rename = "MAY")]
    May,
    /// The shape of an API (an endpoint, a field).
    #[serde(rename = "API")]
    Api,
    /// A description of behaviour, not worded as an obligation.
    #[serde(rename = "DESCR")]
    Descr,
    /// Information for implementers.
    #[serde(rename = "INFO")]
    Info,
}

impl Strength {
    /// Every strength, by its word in `requirements.yaml` and the reports.
    pub const ALL: [(&'static str, Strength); 8] = [
        ("MUST", Strength::Must),
        ("MUST NOT", Strength::MustNot),
        ("SHOULD", Strength::Should),
        ("SHOULD NOT", Strength::ShouldNot),
        ("MAY", Strength::May),
        ("API", Strength::Api),
        ("DESCR", Strength::Descr),
        ("INFO", Strength::Info),
    ];

    /// The strength a word names.
    pub fn parse(word: &str) -> Option<Strength> {
        crate::text::by_word(&Self::ALL, word)
    }

    /// Its word (`MUST NOT`).
    pub fn word(self) -> &'static str {
        crate::text::word_of(&Self::ALL, self)
    }

    /// Whether it only recommends or permits (SHOULD, SHOULD NOT, MAY): a server that does
    /// otherwise is reported with a warning, not a failure (`--strict` makes it fail the run).
    pub fn is_recommendation(self) -> bool {
        matches!(self, Strength::Should | Strength::ShouldNot | Strength::May)
    }

    /// Whether it is an obligation (MUST, MUST NOT).
    pub fn is_obligation(self) -> bool {
        matches!(self, Strength::Must | Strength::MustNot)
    }
}

impl fmt::Display for Strength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_parse_and_serde() {
        for (word, s) in Strength::ALL {
            assert_eq!(Strength::parse(word), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), word);
        }
        assert_eq!(Strength::parse("must"), None);
    }
}
