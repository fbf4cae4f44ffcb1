//! Command line: `mscheck run | list | requirements` here; the commands that read finished runs or
//! print reference material (`compare`, `merge`, `baseline`, `matrix`, `suites`, `schema`,
//! `completions`, `man`) in [`tools`]; `steps` and the flag table in [`reference`]. For `run`,
//! [`resolve`] turns the flags into checked settings, then this module boots or reaches the
//! targets, runs, and turns the outcome into an exit code.

mod args;
pub mod reference;
mod request;
mod tools;

pub use args::{
    BaselineArgs, Cli, Command, CompareArgs, CompletionsArgs, ManArgs, MatrixArgs, MergeArgs,
    RequirementsArgs, RunArgs, SchemaArgs, SelectArgs, SuitesAction, SuitesArgs,
};

use crate::error::{exit, Error};
use crate::homeserver::managed;
use crate::plan;
use crate::report::{console::Console, Reporter};
use crate::runner::events::{EventKind, RunEvent};
use crate::session::{self, Loaded, Session};
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
        Command::List(a) => list(a).map(|_| exit::OK),
        Command::Requirements(a) => requirements(a).map(|_| exit::OK),
        Command::Compare(a) => tools::compare(a),
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
fn load_selected(sel: &SelectArgs) -> Result<(Loaded, crate::plan::Selection), Error> {
    let req = request::select_request(sel)?;
    let loaded = session::load(req.root.as_deref(), &req.suites)?;
    Ok((loaded, session::selection(&req)))
}

fn list(a: SelectArgs) -> Result<(), Error> {
    let (loaded, sel) = load_selected(&a)?;
    let mut out = std::io::stdout().lock();
    for s in plan::select(&loaded.scenarios, &sel) {
        let revs: Vec<&str> = s.revisions.iter().map(|r| r.name()).collect();
        if writeln!(
            out,
            "{:<60} [{}] {} ({})",
            s.id,
            s.covers.join(", "),
            s.name,
            revs.join("/")
        )
        .is_err()
        {
            break;
        }
    }
    Ok(())
}

fn requirements(args: RequirementsArgs) -> Result<(), Error> {
    let (loaded, sel) = load_selected(&args.select)?;
    let mut out = std::io::stdout().lock();
    // `--suite`, `--filter` and `--partition` narrow the listing to the requirements the selected
    // scenarios cover, each with those scenarios only; without them, the whole catalogue.
    let narrowed = !sel.suites.is_empty() || !sel.filters.is_empty() || sel.partition.is_some();
    let selected: Vec<crate::scenario::Scenario> = plan::select(&loaded.scenarios, &sel)
        .into_iter()
        .cloned()
        .collect();
    if narrowed && selected.is_empty() {
        return Err(Error::Usage(
            "no scenario matches the given --suite/--filter/--revision/--partition".into(),
        ));
    }
    if args.proof {
        let fixtures = loaded.root.join("fixtures");
        let faults = crate::fault::load_faults(&fixtures.join("faults.yaml"))?;
        let exemptions = crate::proof::load_exemptions(
            &fixtures.join("proof-exemptions.yaml"),
            &loaded.scenarios,
        )?;
        let pairs = crate::proof::pairs(&selected, &faults, &exemptions);
        let text = crate::proof::render(&loaded.catalogue, &pairs, |p| sel.revision(p));
        let _ = out.write_all(text.as_bytes());
        return Ok(());
    }
    for req in loaded.catalogue.all() {
        let rev = sel.revision(req.proposal);
        if !req.revisions.contains(&rev) {
            continue;
        }
        let covering: Vec<&str> = selected
            .iter()
            .filter(|s| s.covers.contains(&req.id) && s.revisions.contains(&rev))
            .map(|s| s.id.as_str())
            .collect();
        if narrowed && covering.is_empty() {
            continue;
        }
        let status = if !covering.is_empty() {
            format!("covered by {}", covering.join(", "))
        } else if !req.testable() {
            "not testable by a server harness (client rule)".to_string()
        } else if let Some(why) = &req.uncovered {
            format!("not covered: {why}")
        } else {
            format!("not covered yet (needs {})", req.how)
        };
        let moved = match req.reported_under(rev) {
            t if t == req.proposal.title() => String::new(),
            t => format!(" [{t}]"),
        };
        let inferred = req
            .inferred
            .as_ref()
            .map(|why| format!(" (inferred: {why})"))
            .unwrap_or_default();
        let inferred = match (&req.merged, rev) {
            (Some(what), crate::catalogue::Revision::Newest) => {
                format!("{inferred} (changed since the checked text: {what})")
            }
            _ => inferred,
        };
        if writeln!(
            out,
            "{:<6} {:<10} {:<8} {}{moved}{inferred} — {}",
            req.id,
            req.strength,
            rev.name(),
            req.summary,
            status
        )
        .is_err()
        {
            break;
        }
    }
    Ok(())
}

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
