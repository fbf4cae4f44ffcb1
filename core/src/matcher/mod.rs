//! Pure JSON matching: selectors ([`Path`]) and predicates ([`Check`]). Nothing here waits or
//! performs I/O; the runner polls these.

mod check;
mod path;

pub use check::{json_eq, Check, JsonType, Mismatch, Predicate};
pub use path::{Path, PathError, Segment, Selected};
