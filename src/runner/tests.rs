//! Tests of the runner (`mod.rs`).

use super::*;
use crate::catalogue::Revision;
use crate::results::Outcome;

#[tokio::test]
async fn a_panicking_scenario_is_an_error_with_the_panic_message() {
    let (_, scenarios) = crate::shipped_suites();
    let e = tokio::spawn(async { panic!("boom at step 3") })
        .await
        .unwrap_err();
    let r = panicked(&scenarios[0], Revision::Newest, e);
    assert_eq!(r.outcome, Outcome::Errored);
    assert!(r.outcome.is_bad(), "the run fails");
    let f = r.failure.unwrap();
    assert!(f.message.contains("boom at step 3"), "{}", f.message);
    assert!(!f.is_check_failure());
}
