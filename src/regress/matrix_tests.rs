//! The matrix of two recorded runs (tests/data/runs: Synapse 1.163.2 and a later build).

use super::*;
use std::path::Path;

fn runs() -> Vec<(PathBuf, RunReport)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/runs");
    ["old.json", "new.json"]
        .iter()
        .map(|f| {
            let p = data.join(f);
            let r = RunReport::load(&p).expect("recorded run");
            (PathBuf::from("tests/data/runs").join(f), r)
        })
        .collect()
}

#[test]
fn rows_are_requirements_and_cells_their_status_per_run() {
    let m = Matrix::build(&runs());
    assert_eq!(m.columns.len(), 2);
    assert_eq!(m.columns[0].server, "synapse 1.163.2");
    assert_eq!(m.columns[1].server, "synapse 1.164.0");
    let row = |id: &str| m.rows.iter().find(|r| r.id == id).expect(id);
    let s13 = row("S-13");
    assert_eq!(s13.cells[0].status, Some(Status::Pass));
    assert_eq!(s13.cells[1].status, Some(Status::Fail));
    assert!(s13.differs());
    assert_eq!(s13.cells[1].culprits.len(), 1);
    assert_eq!(
        s13.cells[1].culprits[0].scenario,
        "msc4354-sticky-events/sticky-section-timeline-limit-1"
    );
    assert!(!row("S-02").differs());
    // Grouped by proposal, MSC4354 first, IDs in numeric order.
    let ids: Vec<&str> = m.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["S-02", "S-08", "S-13", "S-17", "S-24", "S-25", "D-18", "D-22", "D-23", "D-24"]
    );
    assert_eq!(m.rollup("MSC4354 sticky events", 0), [5, 0, 0, 1]);
    assert_eq!(m.rollup("MSC4354 sticky events", 1), [5, 1, 0, 0]);
    assert_eq!(m.rollup("MSC4140 delayed events", 0), [2, 0, 2, 0]);
}

#[test]
fn a_requirement_missing_from_a_run_is_absent_there_and_not_a_difference() {
    let mut rs = runs();
    rs[1].1.requirements.retain(|r| r.id != "S-02");
    let m = Matrix::build(&rs);
    let s02 = m.rows.iter().find(|r| r.id == "S-02").unwrap();
    assert_eq!(s02.cells[1].status, None);
    assert!(!s02.differs());
}

#[test]
fn server_text_is_escaped_in_both_renderings() {
    let mut rs = runs();
    let failing = rs[1]
        .1
        .scenarios
        .iter_mut()
        .find(|s| s.failure.is_some())
        .unwrap();
    failing.failure.as_mut().unwrap().message =
        "<script>alert(1)</script> | \u{1b}]0;pwned\u{7}".into();
    let m = Matrix::build(&rs);
    let html = super::super::matrix_html::render(&m);
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(!html.contains('\u{1b}'));
    assert!(!m.markdown().contains('\u{1b}'));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(Matrix::build(&runs()).markdown());
}

#[test]
fn counts_snapshot() {
    insta::assert_snapshot!(Matrix::build(&runs()).counts_table());
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(super::super::matrix_html::render(&Matrix::build(&runs())));
}
