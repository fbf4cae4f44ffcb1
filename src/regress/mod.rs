//! Commands over finished runs' `results.json` files, for CI pipelines and release managers:
//! [`compare`] two runs, [`merge`] the slices of a partitioned run, write a [`baseline`]
//! expectations file from a run, put any number of runs side by side in a [`matrix`].

pub mod baseline;
pub mod compare;
pub mod matrix;
pub mod matrix_html;
pub mod merge;
