//! Tests of `check.rs`.

use super::*;
use serde_json::json;

fn check(at: &str, predicate: Predicate) -> Check {
    Check {
        at: Path::parse(at).unwrap(),
        predicate,
    }
}

#[test]
fn table() {
    let doc = json!({
        "n": 5, "s": "syd_abc", "arr": [1, 2, 2], "ev": [{"id": "a", "t": 1}, {"id": "b", "t": 2}],
        "tl": ["x", "y"], "st": ["z"], "o": {"k": 1}
    });
    let cases: Vec<(Check, bool)> = vec![
        (check("n", Predicate::Equals(json!(5.0))), true),
        (check("n", Predicate::Equals(json!(6))), false),
        (check("missing", Predicate::NotEquals(json!(1))), true),
        (check("n", Predicate::Exists), true),
        (check("missing", Predicate::Exists), false),
        (check("missing", Predicate::Absent), true),
        (check("ev[*].missing", Predicate::Absent), true),
        (check("ev[*].id", Predicate::Absent), false),
        (check("arr", Predicate::Length(3)), true),
        (check("s", Predicate::LengthBetween(1, 3)), false),
        (check("arr", Predicate::Contains(json!(2))), true),
        (check("s", Predicate::Contains(json!("abc"))), true),
        (check("o", Predicate::Contains(json!("k"))), true),
        (check("arr", Predicate::NotContains(json!(9))), true),
        (check("n", Predicate::Between(1.0, 5.0)), true),
        (check("n", Predicate::AtMost(4.0)), false),
        (
            check("s", Predicate::Matches(Regex::new("^syd_").unwrap())),
            true,
        ),
        (check("n", Predicate::OneOf(vec![json!(1), json!(5)])), true),
        (check("n", Predicate::IsType(JsonType::Integer)), true),
        (check("s", Predicate::IsType(JsonType::Integer)), false),
        (
            check(
                "ev[*].id",
                Predicate::SetEquals(vec![json!("b"), json!("a")]),
            ),
            true,
        ),
        (
            check("ev[*].id", Predicate::SetEquals(vec![json!("a")])),
            false,
        ),
        (check("arr", Predicate::Unique), false),
        // Delivered so far: the oldest of what was sent, in any order.
        (
            check(
                "tl",
                Predicate::OldestFirstOf(vec![json!("y"), json!("x"), json!("z")]),
            ),
            true,
        ),
        (
            check(
                "tl",
                Predicate::OldestFirstOf(vec![json!("x"), json!("z"), json!("y")]),
            ),
            false,
        ),
        (
            check("tl", Predicate::OldestFirstOf(vec![json!("x")])),
            false,
        ),
        (
            check("tl", Predicate::DisjointWith(Path::parse("st").unwrap())),
            true,
        ),
        (
            check("tl", Predicate::DisjointWith(Path::parse("tl[0]").unwrap())),
            false,
        ),
        (
            check(
                "ev",
                Predicate::Any(vec![check("id", Predicate::Equals(json!("b")))]),
            ),
            true,
        ),
        (
            check(
                "ev",
                Predicate::All(vec![check("t", Predicate::AtLeast(2.0))]),
            ),
            false,
        ),
        (
            check(
                "ev",
                Predicate::None(vec![check("id", Predicate::Equals(json!("c")))]),
            ),
            true,
        ),
    ];
    for (i, (c, want)) in cases.iter().enumerate() {
        assert_eq!(
            c.evaluate(&doc).is_ok(),
            *want,
            "case {i}: {} {}",
            c.at,
            c.predicate
        );
    }
}

#[test]
fn mismatch_names_path_expected_and_actual() {
    let doc = json!({"unsigned": {"ttl": 7200000}});
    let err = check("unsigned.ttl", Predicate::AtMost(3600000.0))
        .evaluate(&doc)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "at `unsigned.ttl`: expected a number <= 3600000, got 7200000"
    );
}

#[test]
fn list_comparisons_name_what_is_missing_unexpected_or_repeated() {
    let doc = json!({"ids": ["a", "b", "b", "x"]});
    let err = check(
        "ids",
        Predicate::SetEquals(vec![json!("a"), json!("b"), json!("c")]),
    )
    .evaluate(&doc)
    .unwrap_err()
    .to_string();
    assert!(err.contains(r#"missing 1: ["c"]"#), "{err}");
    assert!(err.contains(r#"unexpected 1: ["x"]"#), "{err}");
    assert!(err.contains(r#"repeated 1: ["b"]"#), "{err}");
    let err = check("ids", Predicate::Unique).evaluate(&doc).unwrap_err();
    assert_eq!(err.detail.as_deref(), Some(r#"repeated 1: ["b"]"#));
    assert!(
        check("ids", Predicate::ContainsAll(vec![json!("x"), json!("a")]))
            .evaluate(&doc)
            .is_ok()
    );
    let err = check("ids", Predicate::ContainsAll(vec![json!("z")]))
        .evaluate(&doc)
        .unwrap_err();
    assert_eq!(err.detail.as_deref(), Some(r#"missing 1: ["z"]"#));
}
