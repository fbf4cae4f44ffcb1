//! Tests of `path.rs`.

use super::*;
use serde_json::json;

#[test]
fn parses_and_prints() {
    let cases = [
        ("a.b.c", "a.b.c"),
        (
            "rooms.join[\"!x:y\"].timeline",
            "rooms.join[\"!x:y\"].timeline",
        ),
        ("events[*].event_id", "events[*].event_id"),
        ("events.*.id", "events[*].id"),
        (
            "extensions[\"org.matrix.msc4354.sticky_events\"]",
            "extensions[\"org.matrix.msc4354.sticky_events\"]",
        ),
        ("a[-1]", "a[-1]"),
        ("", "."),
        (".", "."),
    ];
    for (input, shown) in cases {
        assert_eq!(Path::parse(input).unwrap().to_string(), shown, "{input}");
    }
}

#[test]
fn rejects_bad_selectors() {
    for bad in ["a..b", "a[", "a[x]", "a.", "a[\"x", "a]b"] {
        assert!(Path::parse(bad).is_err(), "{bad} should not parse");
    }
}

#[test]
fn selects_one_and_many() {
    let doc = json!({"rooms": {"join": {"!r": {"events": [{"id": 1}, {"id": 2}, {"x": 0}]}}}});
    let one = Path::parse("rooms.join[\"!r\"].events[1].id").unwrap();
    assert_eq!(one.select(&doc), Selected::One(Some(json!(2))));
    let last = Path::parse("rooms.join[\"!r\"].events[-1]").unwrap();
    assert_eq!(last.select(&doc), Selected::One(Some(json!({"x": 0}))));
    let many = Path::parse("rooms.join.*.events[*].id").unwrap();
    assert_eq!(many.select(&doc), Selected::Many(vec![json!(1), json!(2)]));
    let missing = Path::parse("rooms.leave").unwrap();
    assert_eq!(missing.select(&doc), Selected::One(None));
}

#[test]
fn filters_elements_by_a_value_inside_them() {
    let doc = json!({"events": [
        {"event_id": "$a", "content": {"body": "x]y"}},
        {"event_id": "$b", "content": {"body": "hi"}, "n": 2},
    ]});
    let by_id = Path::parse(r#"events[?event_id == "$b"].n"#).unwrap();
    assert!(by_id.fans_out());
    assert_eq!(by_id.select(&doc), Selected::Many(vec![json!(2)]));
    let by_body = Path::parse(r#"events[?content.body=="x]y"].event_id"#).unwrap();
    assert_eq!(by_body.select(&doc), Selected::Many(vec![json!("$a")]));
    let bare = Path::parse("events[?n == 2].event_id").unwrap();
    assert_eq!(bare.select(&doc), Selected::Many(vec![json!("$b")]));
    assert_eq!(
        bare.to_string(),
        r#"events[?n == 2].event_id"#,
        "prints back"
    );
    let none = Path::parse(r#"events[?event_id == "$zz"]"#).unwrap();
    assert_eq!(none.select(&doc), Selected::Many(vec![]));
    let mut d = doc.clone();
    assert_eq!(
        Path::parse(r#"events[?event_id == "$a"]"#)
            .unwrap()
            .delete(&mut d),
        1
    );
    assert_eq!(d["events"].as_array().unwrap().len(), 1);
    for bad in [
        "events[?]",
        "events[?event_id]",
        "events[?== 1]",
        "events[?a == 1",
    ] {
        assert!(Path::parse(bad).is_err(), "{bad} should not parse");
    }
}

#[test]
fn deletes_and_sets() {
    let mut doc = json!({"r": {"a": {"s": 1, "t": 2}, "b": {"s": 3}}});
    assert_eq!(Path::parse("r.*.s").unwrap().delete(&mut doc), 2);
    assert_eq!(doc, json!({"r": {"a": {"t": 2}, "b": {}}}));
    assert_eq!(Path::parse("r.*.t").unwrap().set(&mut doc, &json!(9)), 2);
    assert_eq!(doc, json!({"r": {"a": {"t": 9}, "b": {"t": 9}}}));
}
