//! Tests of `compare.rs`.

use super::*;

#[test]
fn moves_are_classified() {
    use Class::*;
    assert_eq!(classify(Good, Bad), Change::Regressed);
    assert_eq!(classify(ExpectedToFail, Bad), Change::Regressed);
    assert_eq!(classify(Bad, Good), Change::Fixed);
    assert_eq!(classify(ExpectedToFail, Good), Change::Fixed);
    assert_eq!(classify(Skipped, Bad), Change::NowRun);
    assert_eq!(classify(Good, Skipped), Change::NowSkipped);
    // A regression the new run's expectations file hides.
    assert_eq!(classify(Good, ExpectedToFail), Change::Masked);
    assert_eq!(classify(Warned, ExpectedToFail), Change::Masked);
    assert_eq!(classify(Bad, ExpectedToFail), Change::Changed);
    assert_eq!(classify(Good, Warned), Change::Changed);
}
