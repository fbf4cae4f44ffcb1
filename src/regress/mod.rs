//! Commands over finished runs' `results.json` files, for CI pipelines and release managers:
//! [`compare`] two runs, [`merge`] the slices of a partitioned run, write a [`baseline`]
//! expectations file from a run.

pub mod baseline;
pub mod compare;
pub mod merge;
