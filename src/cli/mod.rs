//! Command line: `mscheck run` here; `list` and `requirements` in [`listing`]; the commands that
//! read finished runs or print reference material (`compare`, `merge`, `baseline`, `matrix`,
//! `suites`, `schema`, `completions`, `man`) in [`tools`]; `steps` and the flag table in
//! [`reference`]. For `run`,
//! [`crate::session`] (its `resolve`) turns the flags into checked settings, then this module boots or reaches the
//! targets, runs, and turns the outcome into an exit code.

mod args;
mod listing;
mod preview;
pub mod reference;
mod request;
mod tools;

pub use args::{
    BaselineArgs, Cli, Command, CompareArgs, CompletionsArgs, ManArgs, MatrixArgs, MergeArgs,
    RequirementsArgs, RunArgs, SchemaArgs, SelectArgs, ShowArgs, SuitesAction, SuitesArgs,
};

use crate::error::{exit, Error};
use crate::homeserver::managed;
use crate::report::{console::Console, Reporter};
use crate::runner::events::{EventKind, RunEvent};
use crate::session::Session;
use clap::Parser;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Entry point used by `main.rs`; returns the exit code.
pub async fn main() -> i32 {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        managed::kill_all_managed();
        default_hook(info);
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run(*a).await,
        Command::List(a) => listing::list(a).map(|_| exit::OK),
        Command::Requirements(a) => listing::requirements(a).map(|_| exit::OK),
        Command::Faults(a) => listing::faults(a).map(|_| exit::OK),
        Command::Compare(a) => tools::compare(a),
        Command::Show(a) => tools::show(a),
        Command::Merge(a) => tools::merge(a).map(|_| exit::OK),
        Command::Baseline(a) => tools::baseline(a).map(|_| exit::OK),
        Command::Suites(a) => tools::suites(a).map(|_| exit::OK),
        Command::Matrix(a) => tools::matrix(a).map(|_| exit::OK),
        Command::Schema(a) => tools::schema(a).map(|_| exit::OK),
        Command::Completions(a) => tools::completions(a).map(|_| exit::OK),
        Command::Man(a) => tools::man(a).map(|_| exit::OK),
        Command::Steps => {
            print!("{}", reference::steps_reference());
            Ok(exit::OK)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

/// The suites and the selection the selection flags name.
/// GitHub Actions shows what a step appends to `$GITHUB_STEP_SUMMARY` on the run's page.
fn append_step_summary(summary_md: &Path, step_summary: &Path) {
    let Ok(text) = std::fs::read_to_string(summary_md) else {
        return;
    };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(step_summary)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = appended {
        eprintln!(
            "warning: cannot append to $GITHUB_STEP_SUMMARY ({}): {e}",
            step_summary.display()
        );
    }
}

async fn run(args: RunArgs) -> Result<i32, Error> {
    let verbose = args.verbose;
    let request = request::run_request(args)?;
    let github = std::env::var_os("GITHUB_ACTIONS").is_some();
    let mut console: Option<Console> = None;
    let mut report_dir: Option<PathBuf> = None;
    let mut annotations = crate::report::github::GithubAnnotations;
    let mut on_event = |ev: &RunEvent| {
        if let EventKind::RunStarted { report_dir: d, .. } = &ev.kind {
            report_dir = Some(d.clone());
            console = Some(Console::new(d, verbose));
        }
        if let Some(c) = console.as_mut() {
            c.event(ev);
        }
        if github {
            annotations.event(ev);
        }
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let report = tokio::select! {
        r = Session::start(request, &mut on_event) => r?,
        _ = &mut ctrl_c => {
            // Dropping the session aborts the run; the managed servers are stopped here.
            managed::kill_all_managed();
            return Err(Error::Interrupted);
        }
    };
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY");
    if let (true, Some(summary), Some(dir)) = (github, summary, &report_dir) {
        append_step_summary(&dir.join("summary.md"), Path::new(&summary));
    }
    Ok(if report.stats.success() {
        exit::OK
    } else {
        exit::FAILURES
    })
}
