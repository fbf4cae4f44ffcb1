//! Tests of `routes.rs`.

use super::query_param;
use crate::federation::state::percent_decode;

#[test]
fn path_segments_and_query_values_are_decoded() {
    assert_eq!(percent_decode("%24abc%3Adef"), "$abc:def");
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(
        query_param("/x?v=%24a&limit=5&v=%24b", "v"),
        vec!["$a".to_string(), "$b".to_string()]
    );
}
