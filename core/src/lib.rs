//! mscheck-core: what mscheck knows before it contacts any server. Pure data and checking, no
//! I/O beyond reading files: the requirement [`catalogue`], scenario files and their [`scenario`]
//! loader, the step kinds with their typed fields and request builders ([`steps`]), the
//! [`matcher`], templates ([`vars`]), the [`fault`] model, [`expectations`], the [`plan`], the
//! data of HTTP answers ([`http`]) and of the fake server's steps ([`fake`]), the [`results`]
//! schema with its judgements, and the one [`yaml`] reader with file:line:col diagnostics. The
//! engine (the `mscheck` crate) runs it.

#![warn(unreachable_pub)]

pub mod catalogue;
pub mod expectations;
pub mod fake;
pub mod fault;
pub mod held;
pub mod hs;
pub mod http;
pub mod limits;
pub mod matcher;
pub mod mutants;
pub mod names;
pub mod plan;
pub mod results;
pub mod scenario;
pub mod steps;
pub mod surface_coverage;
pub mod surfaces;
pub mod text;
pub mod units;
pub mod vars;
pub mod yaml;
