//! The results schema: what a run records (`results.json`) and what the reports, the regression
//! tools and the matrix read back, with the pure judgements behind it: which requirement a
//! failure blames ([`blame`]), how a sampled lifetime is judged ([`lifetime`]) and how
//! scenario outcomes roll up per requirement ([`rollup`]).

pub mod blame;
mod failure;
pub mod lifetime;
pub mod records;
pub mod report;
pub mod rollup;
pub mod snapshot;

pub use blame::Judged;
pub use failure::{Failure, FailureKind};
pub use records::*;
pub use report::{ReadError, RunReport, SelectionInfo, MAX_RESULTS_FILE, SCHEMA_VERSION};
pub use snapshot::{SnapshotRecord, SnapshotStatus};
