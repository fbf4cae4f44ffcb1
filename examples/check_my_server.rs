//! mscheck from a Rust program: the sticky-event scenarios against a homeserver you run, the way a
//! Rust homeserver's own `cargo test` can call it (start the server, hand its URL to a
//! `RunRequest`, assert on the report).
//!
//! ```sh
//! cargo run --example check_my_server -- http://127.0.0.1:8008 sticky-send-parameter
//! ```
//!
//! Users are created with open registration here; `RegistrationMethod::SharedSecret` or `Token`
//! read their secret from `MSCHECK_SHARED_SECRET` / `MSCHECK_REGISTRATION_TOKEN`.

use mscheck::error::Error;
use mscheck::report::words::Label;
use mscheck::results::{Outcome, RunReport};
use mscheck::runner::events::EventKind;
use mscheck::session::{ExpectationsFile, RegistrationMethod, RunRequest, Session};
use std::path::Path;

/// Runs the scenarios whose id or name contains `filter` against the server at `url`, printing a
/// line per scenario, and returns the report (also written to `report_dir`).
pub async fn check(url: &str, filter: &str, report_dir: &Path) -> Result<RunReport, Error> {
    let request = RunRequest::external(url)
        .filter(filter)
        .registration(RegistrationMethod::Open)
        .expectations(ExpectationsFile::None)
        .report_dir(report_dir);
    let mut print = |ev: &mscheck::runner::events::RunEvent| {
        if let EventKind::ScenarioFinished { result, .. } = &ev.kind {
            println!("{:<6} {}", result.outcome.label(), result.id);
        }
    };
    Session::start(request, &mut print).await
}

#[cfg_attr(test, allow(dead_code))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), filter) = (args.next(), args.next()) else {
        eprintln!("usage: check_my_server URL [FILTER]");
        return std::process::ExitCode::from(2);
    };
    let filter = filter.unwrap_or_else(|| "sticky".into());
    match check(&url, &filter, Path::new("target/check-my-server")).await {
        Ok(report) => {
            let failed = report
                .scenarios
                .iter()
                .filter(|s| s.outcome == Outcome::Failed || s.outcome == Outcome::Errored)
                .count();
            println!(
                "{} (report in target/check-my-server)",
                report.stats.counts()
            );
            std::process::ExitCode::from(u8::from(failed > 0))
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(e.exit_code() as u8)
        }
    }
}
