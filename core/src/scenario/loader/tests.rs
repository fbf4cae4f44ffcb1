//! Loader unit tests.

use super::*;

fn catalogue() -> Catalogue {
    Catalogue::parse(
        Path::new("r.yaml"),
        "requirements:\n  - {id: S-13, rev: [seed, newest], strength: MUST}\n  - {id: S-19, rev: [newest], strength: SHOULD}\n",
    )
    .unwrap()
}

fn load(src: &str) -> Result<Scenario, Vec<Diagnostic>> {
    load_str(Path::new("suites/x/t.yaml"), "x", src, &catalogue())
}

const GOOD: &str = "name: t\ncovers: [S-13]\nusers: {alice: {}, bob: {}}\nsteps:\n  - create_room: {as: alice, preset: public_chat}\n    capture: {room: room_id}\n  - join: {as: bob, room: \"{{room}}\"}\n  - sync: {as: bob, since: last}\n    within: 5s\n    expect:\n      json:\n        - {at: \"rooms.join[\\\"{{room}}\\\"]\", exists: true}\n";

#[test]
fn loads_a_good_scenario() {
    let s = load(GOOD).unwrap();
    assert_eq!(s.id, "x/t");
    assert_eq!(s.steps.len(), 3);
    assert_eq!(
        s.steps[2].wait,
        Wait::Until {
            within: Duration::from_secs(5),
            window: None,
            every: DEFAULT_EVERY
        }
    );
    assert_eq!(s.proposal, Proposal::Msc4354);
}

#[test]
fn a_wait_may_name_a_window_or_hold_until_a_moment() {
    let src = GOOD.replace("within: 5s", "within: {window: federation_retry}");
    assert_ne!(src, GOOD, "the test scenario has `within: 5s`");
    let s = load(&src).unwrap();
    assert!(matches!(
        s.steps[2].wait,
        Wait::Until { window: Some("federation_retry"), within, .. } if within == Duration::from_secs(120)
    ));
    let e = first_error(&GOOD.replace("within: 5s", "within: {window: federation_rety}"));
    assert!(
        e.to_string().contains("did you mean `federation_retry`"),
        "{e}"
    );
    let e = first_error(&GOOD.replace("within: 5s", "within: 5s\n    hold_until: 7"));
    assert!(e.to_string().contains("only one of them"), "{e}");
}

fn first_error(src: &str) -> Diagnostic {
    load(src).unwrap_err().remove(0)
}

#[test]
fn bad_inputs_point_at_the_problem() {
    let cases: &[(&str, &str, (usize, usize))] = &[
        ("name: t\ncovers: [S-99]\nsteps: []\n", "unknown requirement ID `S-99`", (2, 10)),
        ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - snd: {as: a}\n", "unknown step `snd`", (5, 5)),
        ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - send: {as: a, rom: x}\n", "unknown field of `send` `rom`", (5, 19)),
        ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - send: {as: b, room: x}\n", "unknown user `b`", (5, 16)),
        ("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - send: {as: a, room: \"{{r}}\"}\n", "unknown variable `r`", (5, 25)),
        ("name: t\ncovers: [S-13]\nsteps:\n  - versions: {}\n    within: soon\n", "`within` `soon` is not a duration", (5, 13)),
        ("name: t\ncovers: [S-13]\nsteps:\n  - versions: {}\n    expect: {json: [{at: a, equal: 1}]}\n", "unknown predicate `equal`", (5, 29)),
        ("name: t\ncovers: [S-13]\nsteps:\n  - versions: {}\n    expect: {json: [{at: a, matches: \"(\"}]}\n", "bad regular expression", (5, 29)),
        ("name: t\ncovers: [S-13\n", "YAML syntax error", (3, 1)),
        ("name: t\nname: u\ncovers: [S-13]\nsteps: []\n", "duplicate key `name`", (2, 1)),
        ("name: t\ncovers: [S-13]\nstepz: []\n", "unknown top-level key `stepz`", (3, 1)),
        ("name: t\ncovers: [S-19]\nrevisions: [seed]\nsteps: []\n", "belongs to no revision", (2, 9)),
    ];
    for (src, msg, (line, col)) in cases {
        let d = first_error(src);
        assert!(
            d.message.contains(msg),
            "expected `{msg}`, got `{}`",
            d.message
        );
        assert_eq!(
            (d.pos.line, d.pos.column),
            (*line, *col),
            "position for `{msg}`"
        );
    }
}

#[test]
fn quoted_scalars_stay_strings() {
    let s = load("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - state: {as: a, room: r, type: t, state_key: \"\", content: {n: \"12\", m: 12}}\n").unwrap();
    let Action::Call(c) = &s.steps[0].action else {
        panic!()
    };
    let crate::steps::Execution::Http(http) = c.step.execution() else {
        panic!("`state` is a client-server request")
    };
    let call = http.build(&crate::steps::build::testing::cx()).unwrap();
    assert_eq!(call.path, "/_matrix/client/v3/rooms/r/state/t/");
    assert_eq!(call.body, Some(serde_json::json!({"n": "12", "m": 12})));
}

#[test]
fn suggests_close_names() {
    let d = first_error("name: t\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - snd: {as: a}\n");
    assert_eq!(d.hint.as_deref(), Some("did you mean `send`?"));
}

#[test]
fn steps_name_the_requirements_they_judge() {
    let src = "name: t\ncovers: [S-13, S-19]\nusers: {alice: {}}\nsteps:\n  - create_room: {as: alice}\n    capture: {room: room_id}\n  - id: first\n    judges: [S-19]\n    sync: {as: alice}\n  - id: second\n    sync: {as: alice}\n";
    let s = load(src).unwrap();
    let order = s.judging_order();
    assert_eq!(order[1], ("first", vec!["S-19"]));
    assert_eq!(order[2], ("second", vec!["S-13", "S-19"]));
    assert!(order.iter().any(|(_, j)| j.len() < s.covers.len()));
    let bad = src.replace("judges: [S-19]", "judges: [S-91]");
    let d = first_error(&bad);
    assert_eq!(
        d.message,
        "`judges` names S-91, which the scenario does not cover"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `S-19`?"));
    assert_eq!((d.pos.line, d.pos.column), (8, 14));
}

#[test]
fn a_covered_requirement_no_step_judges_is_refused() {
    let src = "name: t\ncovers: [S-13, S-19]\nusers: {alice: {}}\nsteps:\n  - id: first\n    judges: [S-19]\n    sync: {as: alice}\n";
    let d = first_error(src);
    assert_eq!(d.message, "the scenario covers S-13, but no step judges it");
    assert_eq!((d.pos.line, d.pos.column), (2, 9));
}
