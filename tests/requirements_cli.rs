//! `mscheck requirements` honours the selection flags `run` and `list` take: `--suite`,
//! `--filter` and `--partition` narrow it to the requirements the selected scenarios cover, each
//! with those scenarios only (also under `--proof`); a selection matching nothing is exit 2.

mod common;

use common::{run, text};

fn lines(args: &[&str]) -> Vec<String> {
    let out = run(args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_selection_narrows_the_requirements() {
    let all = lines(&["requirements"]);
    let one = lines(&["requirements", "--filter", "fake-sticky-push-order"]);
    assert_eq!(one.len(), 2, "{one:#?}");
    assert!(one[0].starts_with("S-10 ") && one[0].ends_with("covered by federation/fake-sticky-push-order"));
    assert!(one[1].starts_with("S-31 ") && one[1].contains("SHOULD"));
    let federation = lines(&["requirements", "--suite", "federation"]);
    assert!(federation.len() < all.len() && federation.len() > 5);
    assert!(federation
        .iter()
        .all(|l| !l.contains("covered by msc4") && l.contains("federation/")));
    let slices: Vec<Vec<String>> = (1..=3)
        .map(|k| lines(&["requirements", "--partition", &format!("{k}/3")]))
        .collect();
    assert!(slices.iter().all(|s| s.len() < all.len()));
    let proof = lines(&["requirements", "--proof", "--filter", "fake-sticky-push-order"]);
    let headings: Vec<&String> = proof.iter().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(headings.len(), 2, "{proof:#?}");
    let none = run(&["requirements", "--filter", "no-such-scenario"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(text(&none).contains("no scenario matches"));
}
