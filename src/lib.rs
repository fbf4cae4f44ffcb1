//! mscheck: a conformance harness for Matrix homeservers.
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

pub mod catalogue;
pub mod cli;
pub mod client;
pub mod embedded;
pub mod error;
pub mod expectations;
pub mod fake;
pub mod fault;
pub mod federation;
pub mod homeserver;
pub mod http;
pub mod matcher;
pub mod plan;
pub mod proof;
pub mod redact;
pub mod regress;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod session;
pub mod snapshot;
pub mod steps;
pub mod util;
pub mod vars;
pub mod yaml;
