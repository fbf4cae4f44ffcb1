//! Mutants generated from the catalogue, not written by the hand that wrote the checks: for every
//! surface a requirement declares (see [`crate::surfaces`]), each mutation operator that applies
//! to that place rewrites the server's answers there (drop, empty, duplicate or copy a list
//! element to its sibling list; drop a field; shift a number; turn a number into text; answer
//! another status). A mutant is a [`Fault`] named `mutant:<ID>:<surface>:<operator>`, injected
//! like any other (`mscheck run --inject mutant:S-27:sync.sticky/incremental:drop-first`); the
//! sweep demands each is killed by a step judging its requirement, or it survives.

use crate::catalogue::Catalogue;
use crate::fault::{Fault, Op};
use crate::matcher::Path;
use crate::surfaces::{Place, Variant};
use regex::Regex;
use serde_json::{json, Value};

mod equivalents;
mod mutant;
pub use equivalents::{fingerprint, load_equivalents, meaningful, Equivalent};
pub use mutant::{Mutant, PREFIX};

/// Where a place's answers come from, and where their items and fields sit.
struct Shape {
    method: &'static str,
    path: &'static str,
    /// The arrays of items (events, delayed events), if the place lists items.
    list: Option<&'static str>,
    /// Numbers and fields the texts define on an item (or on the object answered).
    numbers: &'static [&'static str],
    fields: &'static [&'static str],
    /// The sibling list within the same scope: (scope, this list, the other list).
    sibling: Option<(&'static str, &'static str, &'static str)>,
}

const TTL: &str = "unsigned.msc4354_sticky_duration_ttl_ms";
const SSS_EXTENSION_EVENTS: &str =
    r#"extensions["org.matrix.msc4354.sticky_events"].rooms[*].events"#;

fn shape(place: Place) -> Option<Shape> {
    let sync = "^/_matrix/client/v3/sync$";
    let sss = "simplified_msc3575/sync$";
    Some(match place {
        Place::SyncTimeline => Shape {
            method: "GET",
            path: sync,
            list: Some("rooms.join[*].timeline.events"),
            numbers: &[TTL],
            fields: &["content", "unsigned"],
            sibling: Some(("rooms.join[*]", "timeline.events", "msc4354_sticky.events")),
        },
        Place::SyncSticky => Shape {
            method: "GET",
            path: sync,
            list: Some("rooms.join[*].msc4354_sticky.events"),
            numbers: &[TTL],
            fields: &["content", "msc4354_sticky", "unsigned"],
            sibling: Some(("rooms.join[*]", "msc4354_sticky.events", "timeline.events")),
        },
        Place::SssTimeline => Shape {
            method: "POST",
            path: sss,
            list: Some("rooms[*].timeline"),
            numbers: &[TTL],
            fields: &["content", "unsigned"],
            sibling: Some((".", "rooms[*].timeline", SSS_EXTENSION_EVENTS)),
        },
        Place::SssExtension => Shape {
            method: "POST",
            path: sss,
            list: Some(SSS_EXTENSION_EVENTS),
            numbers: &[TTL],
            fields: &["content", "msc4354_sticky", "unsigned"],
            sibling: Some((".", SSS_EXTENSION_EVENTS, "rooms[*].timeline")),
        },
        Place::Messages => Shape {
            method: "GET",
            path: "/rooms/[^/]+/messages$",
            list: Some("chunk"),
            numbers: &[TTL],
            fields: &["content", "unsigned"],
            sibling: None,
        },
        Place::DelayedList => Shape {
            method: "GET",
            path: "/org.matrix.msc4140/delayed_events$",
            list: Some("delayed_events"),
            numbers: &["delay_ms", "scheduled_at"],
            fields: &["delay_id", "content"],
            sibling: None,
        },
        Place::Event => Shape {
            method: "GET",
            path: "/rooms/[^/]+/event/[^/]+$",
            list: None,
            numbers: &[TTL],
            fields: &["content", "type", "unsigned", "msc4354_sticky"],
            sibling: None,
        },
        Place::DelayedGet => Shape {
            method: "GET",
            path: "/org.matrix.msc4140/delayed_events/[^/]+$",
            list: None,
            numbers: &["delay_ms", "scheduled_at", "finalised_ts"],
            fields: &[
                "delay_id",
                "room_id",
                "type",
                "delay_ms",
                "scheduled_at",
                "content",
                "finalised_ts",
                "event_id",
                "error",
            ],
            sibling: None,
        },
        Place::DelayedAction => Shape {
            method: "POST",
            path: "/org.matrix.msc4140/delayed_events/[^/]+(/(send|cancel|restart))?$",
            list: None,
            numbers: &[],
            fields: &[],
            sibling: None,
        },
        Place::DelayedSchedule => Shape {
            method: "PUT",
            path: "/(delayed_event|send|state)/",
            list: None,
            numbers: &[],
            fields: &["delay_id"],
            sibling: None,
        },
        Place::State => Shape {
            method: "GET",
            path: "/rooms/[^/]+/state/",
            list: None,
            numbers: &[],
            fields: &[],
            sibling: None,
        },
        Place::Send
        | Place::Versions
        | Place::Capabilities
        | Place::FederationPush
        | Place::FederationFetch
        | Place::FederationReceive => return None,
    })
}

fn path(text: &str) -> Path {
    Path::parse(text).expect("the mutation selectors are valid")
}

/// Each operator that applies to a place: its name and its response rewrites.
fn operators(place: Place) -> Vec<(String, Vec<Op>)> {
    let Some(shape) = shape(place) else {
        return Vec::new();
    };
    let mut ops: Vec<(String, Vec<Op>)> = Vec::new();
    // Where the fields live: on every listed item, or on the answer itself.
    let at = |field: &str| match shape.list {
        Some(list) => path(&format!("{list}[*].{field}")),
        None => path(field),
    };
    if let Some(list) = shape.list {
        ops.push((
            "drop-first".into(),
            vec![Op::Delete(path(&format!("{list}[0]")))],
        ));
        ops.push(("empty".into(), vec![Op::Set(path(list), json!([]))]));
        ops.push(("duplicate-first".into(), vec![Op::Duplicate(path(list))]));
        if let Some((within, from, to)) = shape.sibling {
            ops.push((
                "copy-to-sibling".into(),
                vec![Op::Copy {
                    within: path(within),
                    from: path(from),
                    to: path(to),
                }],
            ));
        }
    }
    for field in shape.fields {
        ops.push((
            format!("drop-{}", short(field)),
            vec![Op::Delete(at(field))],
        ));
    }
    for number in shape.numbers {
        // A value where the text may want none (a remaining lifetime after expiry).
        ops.push((
            format!("set-{}", short(number)),
            vec![Op::Set(at(number), json!(1000))],
        ));
        ops.push((
            format!("shift-{}", short(number)),
            vec![Op::Shift(at(number), 7_200_000)],
        ));
        ops.push((
            format!("stringify-{}", short(number)),
            vec![Op::Stringify(at(number))],
        ));
    }
    // Another status: a success where the text wants a refusal (an action acknowledged and not
    // done), a refusal where it wants a success.
    if matches!(
        place,
        Place::DelayedAction
            | Place::DelayedSchedule
            | Place::DelayedGet
            | Place::DelayedList
            | Place::Event
            | Place::State
    ) {
        ops.push((
            "answer-200".into(),
            vec![Op::Status(200), Op::Set(path("."), json!({}))],
        ));
        ops.push((
            "answer-404".into(),
            vec![
                Op::Status(404),
                Op::Set(
                    path("."),
                    json!({"errcode": "M_NOT_FOUND", "error": "mutant"}),
                ),
            ],
        ));
    }
    ops
}

/// `unsigned.msc4354_sticky_duration_ttl_ms` → `ttl`; other field names as they are.
fn short(field: &str) -> &str {
    if field == TTL {
        "ttl"
    } else {
        field
    }
}

/// The query parameter that tells a variant apart, and whether it is present.
fn variant_query(v: Option<Variant>) -> (Vec<String>, Vec<String>) {
    match v {
        Some(Variant::Initial) => (vec![], vec!["since".into()]),
        Some(Variant::Incremental) => (vec!["since".into()], vec![]),
        Some(Variant::New) => (vec![], vec!["pos".into()]),
        Some(Variant::Continued) => (vec!["pos".into()], vec![]),
        None => (vec![], vec![]),
    }
}

/// Every mutant of the catalogue, in catalogue order.
pub fn generate(catalogue: &Catalogue) -> Vec<Mutant> {
    let mut out = Vec::new();
    for r in catalogue.all() {
        for surface in &r.surfaces {
            let Some(shape) = shape(surface.place) else {
                continue;
            };
            for (operator, response) in operators(surface.place) {
                let name = format!("{PREFIX}{}:{surface}:{operator}", r.id);
                let (with_query, without_query) = variant_query(surface.variant);
                let fault = Fault {
                    name: name.clone(),
                    summary: format!("{operator} in the answers of {surface} (aimed at {})", r.id),
                    breaks: vec![r.id.clone()],
                    control: false,
                    method: Some(shape.method.into()),
                    path: Regex::new(shape.path).expect("the mutation paths are valid"),
                    request: Vec::new(),
                    response,
                    fake: Vec::new(),
                    repeats_only: false,
                    with_query,
                    without_query,
                    memory: Default::default(),
                };
                out.push(Mutant {
                    name,
                    requirement: r.id.clone(),
                    surface: *surface,
                    operator,
                    fault,
                });
            }
        }
    }
    out
}

/// The mutant of this name, if the catalogue generates it.
pub fn find(catalogue: &Catalogue, name: &str) -> Option<Fault> {
    generate(catalogue)
        .into_iter()
        .find(|m| m.name == name)
        .map(|m| m.fault)
}

/// The JSON a mutant list prints: name, requirement, surface, operator.
pub fn describe(m: &Mutant) -> Value {
    json!({
        "name": m.name,
        "requirement": m.requirement,
        "surface": m.surface.to_string(),
        "operator": m.operator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{RequestParts, ResponseParts};

    fn catalogue() -> Catalogue {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
        Catalogue::load(&root.join("requirements.yaml")).unwrap()
    }

    #[test]
    fn every_declared_surface_with_a_shape_gets_mutants_named_after_it() {
        let all = generate(&catalogue());
        assert!(all.len() > 50, "{}", all.len());
        let names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
        assert!(names.contains(&"mutant:S-27:sync.sticky/incremental:drop-first"));
        assert!(names.contains(&"mutant:S-19:sync.sticky/initial:copy-to-sibling"));
        assert!(names.contains(&"mutant:D-29:delayed.get:drop-scheduled_at"));
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "names are unique");
        assert!(find(
            &catalogue(),
            "mutant:S-27:sync.sticky/incremental:drop-first"
        )
        .is_some());
    }

    #[test]
    fn a_variant_mutant_rewrites_only_its_variant_and_says_when_it_changed_something() {
        let m = find(
            &catalogue(),
            "mutant:S-27:sync.sticky/incremental:drop-first",
        )
        .unwrap();
        let req = |query: Vec<(String, String)>| RequestParts {
            method: "GET".into(),
            path: "/_matrix/client/v3/sync".into(),
            query,
            body: None,
        };
        let answer = || ResponseParts {
            status: 200,
            headers: Default::default(),
            body: json!({"rooms": {"join": {"!r": {"msc4354_sticky": {"events": [{"event_id": "$a"}, {"event_id": "$b"}]}}}}}),
            hold: Default::default(),
        };
        let mut initial = answer();
        assert!(
            !m.apply_response(&req(vec![]), &mut initial),
            "an initial sync is left alone"
        );
        let mut incremental = answer();
        let since = vec![("since".to_string(), "s1".to_string())];
        assert!(m.apply_response(&req(since.clone()), &mut incremental));
        assert_eq!(
            incremental.body["rooms"]["join"]["!r"]["msc4354_sticky"]["events"],
            json!([{"event_id": "$b"}])
        );
        // Nothing to drop: the answer is unchanged, and the mutant did not apply.
        let mut empty = answer();
        empty.body = json!({"rooms": {"join": {}}});
        assert!(!m.apply_response(&req(since), &mut empty));
    }

    #[test]
    fn numbers_shift_and_turn_into_text() {
        let shift = find(&catalogue(), "mutant:D-29:delayed.get:shift-scheduled_at").unwrap();
        let text = find(&catalogue(), "mutant:D-29:delayed.get:stringify-delay_ms").unwrap();
        let req = RequestParts {
            method: "GET".into(),
            path: "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/syd_x".into(),
            query: vec![],
            body: None,
        };
        let mut r = ResponseParts {
            status: 200,
            headers: Default::default(),
            body: json!({"scheduled_at": 1000, "delay_ms": 5000}),
            hold: Default::default(),
        };
        assert!(shift.apply_response(&req, &mut r) && text.apply_response(&req, &mut r));
        assert_eq!(
            r.body,
            json!({"scheduled_at": 7_201_000, "delay_ms": "5000"})
        );
    }
}
