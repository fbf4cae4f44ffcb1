//! Where a requirement is observable: the endpoint and part of its answer (a *place*), and the
//! variant of the request (initial or incremental sync, new or continued sliding-sync
//! connection). The catalogue declares, per requirement, the surfaces the texts name
//! (`surfaces: [sync.sticky/initial, sync.sticky/incremental, sss.extension/new]`);
//! [`crate::surface_coverage`] finds the steps judging each.

/// An endpoint, and the part of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// `/sync`: a joined room's timeline.
    SyncTimeline,
    /// `/sync`: a joined room's sticky section.
    SyncSticky,
    /// Sliding sync: a room's timeline.
    SssTimeline,
    /// Sliding sync: the sticky-events extension.
    SssExtension,
    /// `GET /rooms/{room}/event/{event}`.
    Event,
    /// `GET /rooms/{room}/messages`.
    Messages,
    /// `GET /rooms/{room}/state/…`.
    State,
    /// The answer to `PUT …/send/…` or `…/state/…`.
    Send,
    /// Scheduling a delayed event.
    DelayedSchedule,
    /// Listing delayed events.
    DelayedList,
    /// Reading one delayed event.
    DelayedGet,
    /// `send` / `cancel` / `restart` of a delayed event.
    DelayedAction,
    /// `/versions`.
    Versions,
    /// `/capabilities`.
    Capabilities,
    /// PDUs the server pushes to the fake federating server.
    FederationPush,
    /// A federation request the fake server makes (event fetch, backfill).
    FederationFetch,
    /// The server's answer to a transaction the fake server sends it (`PUT /send/{txnId}`).
    FederationReceive,
}

/// Every place with its name in the catalogue.
pub(crate) const PLACES: &[(Place, &str)] = &[
    (Place::SyncTimeline, "sync.timeline"),
    (Place::SyncSticky, "sync.sticky"),
    (Place::SssTimeline, "sss.timeline"),
    (Place::SssExtension, "sss.extension"),
    (Place::Event, "event"),
    (Place::Messages, "messages"),
    (Place::State, "state"),
    (Place::Send, "send"),
    (Place::DelayedSchedule, "delayed.schedule"),
    (Place::DelayedList, "delayed.list"),
    (Place::DelayedGet, "delayed.get"),
    (Place::DelayedAction, "delayed.action"),
    (Place::Versions, "versions"),
    (Place::Capabilities, "capabilities"),
    (Place::FederationPush, "federation.push"),
    (Place::FederationFetch, "federation.fetch"),
    (Place::FederationReceive, "federation.receive"),
];

/// The variant of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// A sync without `since`.
    Initial,
    /// A sync continuing a chain.
    Incremental,
    /// A sliding-sync request without `pos`.
    New,
    /// A sliding-sync request continuing a connection.
    Continued,
}

/// Every variant with its name.
pub(crate) const VARIANTS: &[(Variant, &str)] = &[
    (Variant::Initial, "initial"),
    (Variant::Incremental, "incremental"),
    (Variant::New, "new"),
    (Variant::Continued, "continued"),
];

/// A place, in a variant or in any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Surface {
    /// Where.
    pub place: Place,
    /// Which request; `None` in a declaration: any.
    pub variant: Option<Variant>,
}

impl Surface {
    /// Reads `sync.sticky/incremental` or `event`.
    pub fn parse(text: &str) -> Result<Surface, String> {
        let (place, variant) = match text.split_once('/') {
            Some((p, v)) => (p, Some(v)),
            None => (text, None),
        };
        let place = PLACES
            .iter()
            .find(|(_, n)| *n == place)
            .map(|(p, _)| *p)
            .ok_or_else(|| {
                let names: Vec<&str> = PLACES.iter().map(|(_, n)| *n).collect();
                format!("`{place}` is not a place ({})", names.join(", "))
            })?;
        let variant = match variant {
            None => None,
            Some(v) => Some(
                VARIANTS
                    .iter()
                    .find(|(_, n)| *n == v)
                    .map(|(x, _)| *x)
                    .ok_or_else(|| {
                        format!("`{v}` is not a variant (initial, incremental, new, continued)")
                    })?,
            ),
        };
        Ok(Surface { place, variant })
    }

    /// Whether a step observing `seen` observes this declared surface.
    pub(crate) fn met_by(&self, seen: &Surface) -> bool {
        self.place == seen.place && (self.variant.is_none() || self.variant == seen.variant)
    }
}

impl std::fmt::Display for Surface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = PLACES
            .iter()
            .find(|(p, _)| *p == self.place)
            .map_or("?", |(_, n)| *n);
        match self
            .variant
            .and_then(|v| VARIANTS.iter().find(|(x, _)| *x == v))
        {
            Some((_, v)) => write!(f, "{place}/{v}"),
            None => f.write_str(place),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces_read_and_print_back() {
        for text in [
            "sync.sticky/incremental",
            "event",
            "sss.extension/continued",
        ] {
            assert_eq!(Surface::parse(text).unwrap().to_string(), text);
        }
        assert!(Surface::parse("sync.stiky")
            .unwrap_err()
            .contains("not a place"));
        assert!(Surface::parse("sync.sticky/later")
            .unwrap_err()
            .contains("not a variant"));
        let any = Surface::parse("sync.sticky").unwrap();
        let initial = Surface::parse("sync.sticky/initial").unwrap();
        let incremental = Surface::parse("sync.sticky/incremental").unwrap();
        assert!(any.met_by(&initial) && initial.met_by(&initial));
        assert!(!initial.met_by(&incremental));
    }
}
