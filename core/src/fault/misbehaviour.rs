//! What a fault can make mscheck's own fake federating server do wrong (a fault's `fake:`), to
//! show that scenarios which read its records notice.

/// Ways the fake can be told to misbehave, to show that scenarios notice (faults with `fake:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Misbehaviour {
    /// Answer 200 to `/send` but lose every sticky PDU of the transaction.
    DropStickyPdus,
    /// Change the sticky duration of every incoming sticky PDU before recording it (a mutated
    /// transaction: its hashes no longer match).
    TamperStickyPdus,
    /// Empty the content of events the fake fetches with `/event` (as a server that applies
    /// history visibility to them would answer).
    RedactFetchedEvents,
    /// Ignore every PDU of a transaction the fake refused once when it comes again: to the
    /// scenario it is as if the sender gave up after the refusal instead of retrying.
    ForgetRefusedPdus,
    /// Read every 200 answer to the fake's own `/send` as naming each of its PDUs refused (as a
    /// server that accepts a transaction but drops its PDUs one by one would answer).
    RefusedPdusInAcceptedAnswers,
    /// Report the sticky PDUs received in the reverse of the order they arrived in (as a
    /// server that pushes them out of creation order would be seen).
    ReverseStickyArrivalOrder,
}

impl Misbehaviour {
    /// Names as written in `fixtures/faults.yaml`.
    pub(crate) const NAMES: &'static [&'static str] = &[
        "drop_sticky_pdus",
        "tamper_sticky_pdus",
        "redact_fetched_events",
        "forget_refused_pdus",
        "refused_pdus_in_accepted_answers",
        "reverse_sticky_arrival_order",
    ];

    /// Parses a name.
    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "drop_sticky_pdus" => Some(Self::DropStickyPdus),
            "tamper_sticky_pdus" => Some(Self::TamperStickyPdus),
            "redact_fetched_events" => Some(Self::RedactFetchedEvents),
            "forget_refused_pdus" => Some(Self::ForgetRefusedPdus),
            "refused_pdus_in_accepted_answers" => Some(Self::RefusedPdusInAcceptedAnswers),
            "reverse_sticky_arrival_order" => Some(Self::ReverseStickyArrivalOrder),
            _ => None,
        }
    }
}
