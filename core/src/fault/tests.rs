//! Tests of the fault model and its loader.

use super::*;
use serde_json::json;

#[test]
fn fake_misbehaviours_need_no_when_and_unknown_ones_are_named() {
    let f = parse_fault(
        "x",
        &json!({"breaks": ["S-10"], "fake": ["drop_sticky_pdus"]}),
    )
    .unwrap();
    assert_eq!(f.fake, vec![Misbehaviour::DropStickyPdus]);
    assert!(
        !f.matches(&req("/_matrix/client/v3/sync")),
        "it rewrites no request"
    );
    let e = parse_fault("x", &json!({"fake": ["lose_everything"]})).unwrap_err();
    assert!(
        e.contains("lose_everything") && e.contains("drop_sticky_pdus"),
        "{e}"
    );
    let e = parse_fault("x", &json!({"breaks": []})).unwrap_err();
    assert!(e.contains("when"), "{e}");
}

fn req(path: &str) -> RequestParts {
    RequestParts {
        method: "GET".into(),
        path: path.into(),
        query: vec![("a".into(), "1".into())],
        body: None,
    }
}

#[test]
fn rewrites_matching_responses_only() {
    let f = parse_fault(
        "x",
        &json!({"when": {"method": "GET", "path": "^/sync$"}, "response": [
            {"copy": {"within": "rooms.join[*]", "from": "sticky.events", "to": "timeline.events"}},
            {"delete": "drop"}, {"status": 500}
        ]}),
    )
    .unwrap();
    let body = json!({"drop": 1, "rooms": {"join": {"!r": {"sticky": {"events": [1]}, "timeline": {"events": [0]}}}}});
    let mut resp = ResponseParts {
        status: 200,
        headers: Default::default(),
        body: body.clone(),
        hold: Default::default(),
    };
    assert!(f.apply_response(&req("/sync"), &mut resp));
    assert_eq!(resp.status, 500);
    assert_eq!(
        resp.body,
        json!({"rooms": {"join": {"!r": {"sticky": {"events": [1]}, "timeline": {"events": [0, 1]}}}}})
    );
    let mut other = ResponseParts {
        status: 200,
        headers: Default::default(),
        body: body.clone(),
        hold: Default::default(),
    };
    assert!(!f.apply_response(&req("/versions"), &mut other));
    assert_eq!(other.body, body);
}

#[test]
fn stateful_rewrites_freeze_values_and_forget_items() {
    let f = parse_fault(
        "x",
        &json!({"when": {"path": "^/sync$"}, "response": [
            {"freeze": {"items": "events[*]", "key": "id", "at": "ttl"}},
            {"forget_after": {"items": "events[*]", "key": "id", "after": "0s"}}
        ]}),
    )
    .unwrap();
    let resp = |ttl: i64| ResponseParts {
        status: 200,
        headers: Default::default(),
        body: json!({"events": [{"id": "a", "ttl": ttl}]}),
        hold: Default::default(),
    };
    let mut first = resp(900);
    f.apply_response(&req("/sync"), &mut first);
    assert_eq!(first.body, json!({"events": [{"id": "a", "ttl": 900}]}));
    // Later: the value stays frozen at 900, and the item is dropped (seen more than 0 s ago).
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut later = resp(500);
    let f2 = Fault {
        response: vec![f.response[0].clone()],
        ..f.clone()
    };
    f2.apply_response(&req("/sync"), &mut later);
    assert_eq!(later.body, json!({"events": [{"id": "a", "ttl": 900}]}));
    f.apply_response(&req("/sync"), &mut later);
    assert_eq!(later.body, json!({"events": []}));
    assert!(parse_fault(
        "x",
        &json!({"when": {"path": "x"}, "response": [{"forget_after": {"items": "events", "key": "id", "after": "1s"}}]})
    )
    .is_err());
}

#[test]
fn repeats_only_lets_the_first_request_to_a_path_through() {
    let f = parse_fault(
        "x",
        &json!({"when": {"path": "/restart$", "repeats_only": true}, "request": [{"method": "get"}]}),
    )
    .unwrap();
    let mut a = req("/e1/restart");
    assert!(!f.apply_request(&mut a));
    let mut b = req("/e1/restart");
    b.method = "POST".into();
    assert!(f.apply_request(&mut b));
    assert_eq!(b.method, "GET");
    let mut c = req("/e2/restart");
    assert!(
        !f.apply_request(&mut c),
        "another event's first restart passes"
    );
}

#[test]
fn rewrites_requests() {
    let f = parse_fault(
        "x",
        &json!({"when": {"path": "/cancel$"}, "request": [
            {"rewrite_path": {"pattern": "/cancel$", "with": ""}}, {"method": "get"}, {"drop_query": "a"}
        ]}),
    )
    .unwrap();
    let mut r = req("/delayed_events/d1/cancel");
    r.method = "POST".into();
    assert!(f.apply_request(&mut r));
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.len()),
        ("GET", "/delayed_events/d1", 0)
    );
}

#[test]
fn the_shipped_faults_load() {
    let faults = load_faults(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/faults.yaml"
    )))
    .unwrap();
    assert!(
        faults.values().all(|f| f.control == f.breaks.is_empty()),
        "every fault names what it breaks, or is a control"
    );
}

#[test]
fn every_operation_parse_op_knows_is_listed_for_the_key_check() {
    for op in super::load::OPS {
        let e = super::load::parse_op(&json!({*op: null}))
            .err()
            .unwrap_or_default();
        assert!(!e.contains("unknown operation"), "{op}: {e}");
    }
    let e = super::load::parse_op(&json!({"delte": "a"})).unwrap_err();
    assert!(e.contains("unknown operation"), "{e}");
}

#[test]
fn a_delay_is_held_by_the_client_not_slept_in_the_model() {
    let f = parse_fault(
        "slow",
        &json!({"breaks": ["S-13"], "when": {"path": "/sync"}, "response": [{"delay": "2s"}]}),
    )
    .unwrap();
    let mut resp = ResponseParts {
        status: 200,
        headers: Default::default(),
        body: json!({}),
        hold: Default::default(),
    };
    assert!(f.apply_response(&req("/sync"), &mut resp));
    assert_eq!(resp.hold, std::time::Duration::from_secs(2));
}

#[test]
fn a_shifted_clock_moves_every_server_timestamp_and_the_appservice_ts_back() {
    let f = parse_fault(
        "x",
        &json!({"control": true, "when": {"path": "^/"}, "request": [{"shift_clock": "-20s"}], "response": [{"shift_clock": "-20s"}]}),
    )
    .unwrap();
    let mut r = req("/send");
    r.query.push(("ts".into(), "1000000".into()));
    assert!(f.apply_request(&mut r));
    assert_eq!(r.query[1], ("ts".into(), "1020000".into()));
    assert_eq!(
        r.query[0],
        ("a".into(), "1".into()),
        "other parameters stay"
    );
    let mut resp = ResponseParts {
        status: 200,
        headers: Default::default(),
        body: json!({"chunk": [{"origin_server_ts": 50000, "unsigned": {"age": 7}}],
                     "delayed_events": [{"scheduled_at": 40000, "delay": 5000, "finalised_ts": 45000}]}),
        hold: Default::default(),
    };
    assert!(f.apply_response(&r, &mut resp));
    assert_eq!(
        resp.body,
        json!({"chunk": [{"origin_server_ts": 30000, "unsigned": {"age": 7}}],
               "delayed_events": [{"scheduled_at": 20000, "delay": 5000, "finalised_ts": 25000}]}),
        "timestamps move, durations and ages do not"
    );
    assert!(f.is_control() && f.clock_shift_ms() == -20_000);
    let e = parse_fault(
        "x",
        &json!({"control": true, "when": {"path": "^/"}, "response": [{"shift_clock": "soon"}]}),
    )
    .unwrap_err();
    assert!(e.contains("-20s"), "{e}");
    let e = parse_fault(
        "x",
        &json!({"control": true, "breaks": ["D-07"], "when": {"path": "^/"}, "response": [{"status": 500}]}),
    )
    .unwrap_err();
    assert!(e.contains("breaks nothing"), "{e}");
}

#[test]
fn rename_moves_a_field_only_where_it_is() {
    let f = parse_fault(
        "x",
        &json!({"control": true, "when": {"path": "^/d$"}, "response": [
            {"rename": {"from": "delayed_since_ts", "to": "scheduled_at"}}
        ]}),
    )
    .unwrap();
    let mut resp = ResponseParts {
        status: 200,
        headers: Default::default(),
        body: json!({"delay_id": "a", "delayed_since_ts": 5}),
        hold: Default::default(),
    };
    assert!(f.apply_response(&req("/d"), &mut resp));
    assert_eq!(resp.body, json!({"delay_id": "a", "scheduled_at": 5}));
    // Nothing to move: the answer is left as it was.
    let before = json!({"errcode": "M_NOT_FOUND"});
    let mut missing = ResponseParts {
        status: 404,
        headers: Default::default(),
        body: before.clone(),
        hold: Default::default(),
    };
    assert!(!f.apply_response(&req("/d"), &mut missing));
    assert_eq!(missing.body, before);
}
