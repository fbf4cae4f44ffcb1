//! mscheck: a conformance harness for Matrix homeservers. This crate is the engine (targets,
//! client, fake federating server, runner, session, reports, CLI); what it runs is described by
//! the `mscheck-core` crate, re-exported here under the same paths.
//!
//! Data flows one way. Suite files under `suites/` are loaded into [`scenario::Scenario`]s
//! (with `file:line:column` diagnostics), checked against the requirement [`catalogue`], and
//! narrowed by a [`plan::Selection`] (suites, filters, revisions, partitions) and the
//! expectations; each
//! step is decoded once into a typed [`steps::StepCall`] whose module builds its request. The
//! [`session`] (the library entry point: `Session::start(RunRequest)`, which the CLI calls too)
//! checks every input, the [`runner`] boots or reaches the [`homeserver`] targets, runs scenarios concurrently through the
//! [`client`] (every exchange recorded, redacted and passed through the fault seam), checks
//! responses with the pure [`matcher`], and emits [`runner::events::RunEvent`]s. The [`report`]ers
//! (terminal, JSON, JUnit, Markdown, transcripts) consume those events and nothing else.

pub mod cli;
pub mod client;
pub mod clock;
pub mod embedded;
pub mod error;
pub mod escape;
pub mod federation;
pub mod homeserver;
pub mod proof;
pub mod random;
pub mod redact;
pub mod regress;
pub mod report;
pub mod runner;
pub mod session;
pub mod snapshot;

// The data and checking live in the core crate; the engine reaches them by the same paths.
pub use mscheck_core::{
    catalogue, expectations, fake, fault, held, hs, http, limits, matcher, mutants, names, plan,
    results, scenario, steps, surface_coverage, surfaces, text, units, vars, yaml,
};

/// The shipped catalogue and suites of this source tree, for unit tests.
#[cfg(test)]
pub(crate) fn shipped_suites() -> (catalogue::Catalogue, Vec<scenario::Scenario>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalogue = catalogue::Catalogue::load(&root.join("suites").join("requirements.yaml"))
        .expect("the shipped catalogue loads");
    let scenarios =
        scenario::load_suites(&root.join("suites"), &catalogue).expect("the shipped suites load");
    (catalogue, scenarios)
}
