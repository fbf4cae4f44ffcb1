//! Surfaces: every surface the catalogue declares for a requirement (the endpoints and variants
//! the texts name) is judged by a step, or says why not; and steps are read as observing the
//! surfaces their kind, fields and selectors name.

mod common;

use common::{root, run, text};
use mscheck::surface_coverage::{coverage, observed_by};
use mscheck::surfaces::Surface;

fn shipped() -> (
    mscheck::catalogue::Catalogue,
    Vec<mscheck::scenario::Scenario>,
) {
    let catalogue =
        mscheck::catalogue::Catalogue::load(&root().join("suites/requirements.yaml")).unwrap();
    let scenarios = mscheck::scenario::load_suites(&root().join("suites"), &catalogue).unwrap();
    (catalogue, scenarios)
}

#[test]
fn every_declared_surface_is_judged_or_explained() {
    let (catalogue, scenarios) = shipped();
    let all = coverage(&catalogue, &scenarios);
    assert!(all.len() >= 13, "declarations: {}", all.len());
    let gaps: Vec<String> = all
        .iter()
        .flat_map(|c| c.gaps().map(move |j| format!("{} {}", c.id, j.surface)))
        .collect();
    assert!(
        gaps.is_empty(),
        "judged by no step, not explained: {gaps:?}"
    );
}

/// The texts' obligations name where they are observable: every MUST and MUST NOT a scenario
/// covers declares its surfaces (and the test above has each judged or explained).
#[test]
fn every_covered_obligation_declares_its_surfaces() {
    let (catalogue, scenarios) = shipped();
    let undeclared: Vec<&str> = catalogue
        .all()
        .into_iter()
        .filter(|r| r.strength.is_obligation())
        .filter(|r| scenarios.iter().any(|s| s.covers.contains(&r.id)))
        .filter(|r| r.surfaces.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        undeclared.is_empty(),
        "covered MUSTs that declare no surface: {undeclared:?}"
    );
}

#[test]
fn steps_observe_what_their_kind_fields_and_selectors_name() {
    let (_, scenarios) = shipped();
    let step = |scenario: &str, id: &str| -> Vec<String> {
        let s = scenarios.iter().find(|s| s.id.ends_with(scenario)).unwrap();
        let step = s.steps.iter().find(|x| x.id == id).unwrap();
        observed_by(step).iter().map(Surface::to_string).collect()
    };
    // A check comparing the timeline with the sticky section observes both.
    assert_eq!(
        step(
            "sticky-not-duplicated",
            "bob-initial-sync-with-room-for-everything"
        ),
        ["sync.sticky/initial", "sync.timeline/initial"]
    );
    assert_eq!(
        step(
            "sticky-not-duplicated",
            "bob-syncs-with-room-for-everything"
        ),
        ["sync.sticky/incremental", "sync.timeline/incremental"]
    );
    assert_eq!(
        step("sticky-sss-no-repeat-of-timeline", "bob-continues"),
        ["sss.extension/continued", "sss.timeline/continued"]
    );
    // Accumulated selectors count; a step that judges nothing observes nothing.
    assert_eq!(
        step(
            "sticky-joiner-in-a-sync-chain",
            "bob-gets-all-three-incrementally"
        ),
        ["sync.sticky/incremental"]
    );
    assert!(step("sticky-joiner-in-a-sync-chain", "filler").is_empty());
    // A room's every section, named by room; the server's answer to the fake's transactions.
    assert_eq!(
        step("fake-sticky-flood", "every-sticky-event-reaches-alice"),
        ["sync.sticky/incremental", "sync.timeline/incremental"]
    );
    assert_eq!(step("fake-sticky-flood", "flood"), ["federation.receive"]);
}

/// A covered requirement declaring no surface is listed with what its steps judge, as the start
/// of its declaration; one of another revision is not listed.
#[test]
fn requirements_surfaces_lists_undeclared_ones_with_what_judges_them() {
    let out = run(&["requirements", "--surfaces", "S-17", "D-105"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("S-17  (declares no surface)\n"), "{t}");
    assert!(
        t.contains("sync.sticky/initial          judged by msc4354-sticky-events/sticky-expires:"),
        "{t}"
    );
    assert!(
        !t.contains("D-105"),
        "a seed-only ID at the newest revision: {t}"
    );
    assert!(t.contains("0 requirements declare 0 surfaces; 0 judged by no step and not explained; 1 judged but declaring none"), "{t}");
}

#[test]
fn requirements_surfaces_lists_each_variant_with_its_steps() {
    let out = run(&["requirements", "--surfaces", "S-27"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("sync.sticky/incremental      judged by msc4354-sticky-events/sticky-joiner-in-a-sync-chain:bob-gets-all-three-incrementally"),
        "{t}"
    );
    assert!(
        t.contains("1 requirements declare 2 surfaces; 0 judged by no step"),
        "{t}"
    );
}

/// Every declared equivalent covers a generated mutant (none is stale) and says why.
#[test]
fn equivalent_mutants_are_declared_with_reasons_and_none_is_stale() {
    let (catalogue, _) = shipped();
    let eq = mscheck::mutants::load_equivalents(&root().join("fixtures/mutant-equivalents.yaml"))
        .unwrap();
    let all = mscheck::mutants::generate(&catalogue);
    for e in &eq {
        assert!(
            all.iter().any(|m| e.covers(m)),
            "{} {:?} covers no generated mutant",
            e.requirement,
            e.operators
        );
        assert!(e.reason.len() > 20, "{}: say why", e.requirement);
    }
    let out = run(&["faults", "--mutants"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("mutant:S-19:sync.sticky/initial:copy-to-sibling"));
    assert!(
        listing.contains("mutant:S-19:sync.sticky/initial:drop-first")
            && listing.contains("(equivalent: S-19 forbids")
    );
}

/// The committed full mutation score (`fixtures/mutation-score.txt`, written by the ignored
/// `mutation_score` test, minutes long) was measured on the mutants the catalogue and the
/// equivalents generate now: a changed surface, operator or equivalent makes it stale.
#[test]
fn the_committed_mutation_score_is_of_the_current_mutants() {
    let (catalogue, _) = shipped();
    let eq = mscheck::mutants::load_equivalents(&root().join("fixtures/mutant-equivalents.yaml"))
        .unwrap();
    let meaningful = mscheck::mutants::meaningful(mscheck::mutants::generate(&catalogue), &eq);
    let now = mscheck::mutants::fingerprint(&meaningful);
    let committed = std::fs::read_to_string(root().join("fixtures/mutation-score.txt"))
        .expect("fixtures/mutation-score.txt is committed");
    let first = committed.lines().next().unwrap_or("");
    assert!(
        first.ends_with(&format!("fingerprint {now}")),
        "the committed mutation score is stale ({first}; the {} mutants now: fingerprint {now}): \
         run `cargo test --test synapse mutation_score -- --ignored --nocapture` and commit \
         fixtures/mutation-score.txt",
        meaningful.len()
    );
}
