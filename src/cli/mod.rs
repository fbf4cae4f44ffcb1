//! Command line: `mscheck run | list | requirements` here; the commands that read finished runs or
//! print reference material (`compare`, `merge`, `baseline`, `matrix`, `suites`, `schema`,
//! `completions`, `man`) in [`tools`]; `steps` and the flag table in [`reference`]. For `run`,
//! [`resolve`] turns the flags into checked settings, then this module boots or reaches the
//! targets, runs, and turns the outcome into an exit code.

mod args;
pub mod reference;
mod resolve;
mod tools;

pub use args::{
    BaselineArgs, Cli, Command, CompareArgs, CompletionsArgs, ManArgs, MatrixArgs, MergeArgs,
    RequirementsArgs, RunArgs, SchemaArgs, SelectArgs, SuitesAction, SuitesArgs,
};

use crate::catalogue::{Catalogue, Proposal};
use crate::client::Client;
use crate::error::{exit, Error};
use crate::homeserver::discover::{self, Declared};
use crate::homeserver::{managed, Control, Homeserver, Targets};
use crate::plan::{self, Selection};
use crate::redact::Redactor;
use crate::report::{console::Console, files::Files, FanOut};
use crate::runner::events::{EventKind, RunEvent, RunStats, TargetInfo};
use crate::runner::{self, RunContext};
use crate::scenario::{self, Scenario};
use crate::snapshot::{SnapshotMode, SnapshotSettings};
use clap::Parser;
use resolve::{registration_method, resolve, snapshot_policy, Settings};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

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

struct Loaded {
    root: PathBuf,
    source: crate::embedded::Source,
    catalogue: Catalogue,
    scenarios: Vec<Scenario>,
}

fn load(sel: &SelectArgs) -> Result<Loaded, Error> {
    let source = crate::embedded::locate(sel.root.as_deref()).map_err(|e| Error::Io {
        action: "extract the built-in suites into",
        path: std::path::PathBuf::from("the cache folder"),
        source: e,
    })?;
    let root = source.root();
    let catalogue = Catalogue::load(&root.join("suites").join("requirements.yaml"))?;
    let suites_dir = root.join("suites");
    let scenarios = scenario::load_suites(&suites_dir, &catalogue)?;
    let known: Vec<&str> = scenarios.iter().map(|s| s.suite.as_str()).collect();
    for s in &sel.suite {
        if !known.contains(&s.as_str()) {
            let hint = crate::util::did_you_mean(s, known.iter().copied())
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "unknown suite `{s}`{hint}; suites: {}",
                dedup(&known).join(", ")
            )));
        }
    }
    Ok(Loaded {
        root,
        source,
        catalogue,
        scenarios,
    })
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

fn dedup<'a>(v: &[&'a str]) -> Vec<&'a str> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

fn selection(sel: &SelectArgs) -> Result<Selection, Error> {
    let mut revisions = BTreeMap::new();
    for p in Proposal::ALL {
        revisions.insert(p, crate::catalogue::Revision::Newest);
    }
    for r in &sel.revision {
        let (p, rev) = plan::parse_revision_flag(r).map_err(Error::Usage)?;
        revisions.insert(p, rev);
    }
    let partition = sel
        .partition
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(Error::Usage)?;
    Ok(Selection {
        suites: sel.suite.clone(),
        filters: sel.filter.clone(),
        revisions,
        partition,
    })
}

fn list(a: SelectArgs) -> Result<(), Error> {
    let loaded = load(&a)?;
    let sel = selection(&a)?;
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
    let a = args.select;
    let loaded = load(&a)?;
    let sel = selection(&a)?;
    let mut out = std::io::stdout().lock();
    if args.proof {
        let fixtures = loaded.root.join("fixtures");
        let faults = crate::client::fault::load_faults(&fixtures.join("faults.yaml"))?;
        let exemptions = crate::proof::load_exemptions(
            &fixtures.join("proof-exemptions.yaml"),
            &loaded.scenarios,
        )?;
        let pairs = crate::proof::pairs(&loaded.scenarios, &faults, &exemptions);
        let text = crate::proof::render(&loaded.catalogue, &pairs, |p| sel.revision(p));
        let _ = out.write_all(text.as_bytes());
        return Ok(());
    }
    for req in loaded.catalogue.all() {
        let rev = sel.revision(req.proposal);
        if !req.revisions.contains(&rev) {
            continue;
        }
        let covering: Vec<&str> = loaded
            .scenarios
            .iter()
            .filter(|s| s.covers.contains(&req.id) && s.revisions.contains(&rev))
            .map(|s| s.id.as_str())
            .collect();
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
    if let Some(limit) = args.max_body {
        crate::client::bounded::set_body_limit(limit);
    }
    let mut settings = resolve(args)?;
    // The last run's timings (before this run replaces them) order the scenarios, longest first.
    settings.previous_durations = runner::schedule::previous_durations(&settings.report_dir);
    let report_dir = settings.report_dir.clone();
    // No earlier verdict survives this run, however it ends; a folder that takes no files is
    // found now (exit 5), before any server is contacted.
    crate::report::results::clear_run_files(&settings.report_dir)?;
    let mut console = Console::new(&settings.report_dir, settings.args.verbose);
    let covering: BTreeMap<String, Vec<String>> = {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &settings.loaded.scenarios {
            for c in &s.covers {
                m.entry(c.clone()).or_default().push(s.id.clone());
            }
        }
        m
    };
    let mut files = Files::new(
        settings.report_dir.clone(),
        settings.loaded.catalogue.clone(),
        settings.selection.revisions.clone(),
        covering,
        settings.selection.partition.map(|p| p.to_string()),
        crate::report::results::SelectionInfo {
            suites: sorted(&settings.selection.suites),
            filters: sorted(&settings.selection.filters),
        },
        settings.faults.iter().map(|f| f.name.clone()).collect(),
    );
    let (tx, mut rx) = unbounded_channel::<RunEvent>();
    let job = tokio::spawn(execute(settings, tx));
    let mut fan = FanOut::default();
    let github = std::env::var_os("GITHUB_ACTIONS").is_some();
    let mut annotations = crate::report::github::GithubAnnotations;
    fan.add(&mut console);
    fan.add(&mut files);
    if github {
        fan.add(&mut annotations);
    }
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => fan.event(&ev),
                None => break,
            },
            _ = &mut ctrl_c => {
                managed::kill_all_managed();
                job.abort();
                let _ = job.await;
                managed::kill_all_managed();
                return Err(Error::Interrupted);
            }
        }
    }
    drop(fan);
    let stats = job.await.map_err(|e| {
        managed::kill_all_managed();
        Error::Crash(e.to_string())
    })??;
    if let Some(e) = files.error.take() {
        return Err(e.into());
    }
    if let (true, Some(summary)) = (github, std::env::var_os("GITHUB_STEP_SUMMARY")) {
        append_step_summary(
            &report_dir.join("summary.md"),
            std::path::Path::new(&summary),
        );
    }
    Ok(if stats.success() {
        exit::OK
    } else {
        exit::FAILURES
    })
}

async fn execute(s: Settings, tx: UnboundedSender<RunEvent>) -> Result<RunStats, Error> {
    let started = Instant::now();
    let emit = |kind: EventKind| {
        let _ = tx.send(RunEvent {
            elapsed: started.elapsed(),
            kind,
        });
    };
    emit(EventKind::RunStarted {
        planned: s.plan.len(),
        revisions: s.selection.revisions.clone(),
    });
    let http = Client::http_pool();
    let redactor = Arc::new(Redactor::new());
    let targets = match &s.args.hs1 {
        None => {
            // Lifecycle scenarios boot their own servers; size the shared ones for the rest.
            let count = if s
                .plan
                .iter()
                .any(|p| p.requires.homeservers > 1 && !p.requires.private_servers())
            {
                2
            } else {
                1
            };
            let progress = |m: &str| {
                let _ = tx.send(RunEvent {
                    elapsed: started.elapsed(),
                    kind: EventKind::Progress {
                        message: m.to_string(),
                    },
                });
            };
            Targets::boot_managed(
                &s.managed,
                &s.report_dir.join("homeservers"),
                count,
                None,
                &http,
                &progress,
            )
            .await?
        }
        Some(url1) => {
            let declared = Declared {
                implementation: s.args.implementation.clone(),
                version: s.args.impl_version.clone(),
            };
            let hs1 = external("hs1", url1, &s.args, &http, &redactor, &declared).await?;
            let hs2 = match &s.args.hs2 {
                // `--implementation` describes hs1; hs2 is always identified by asking it.
                Some(url2) => Some(
                    external("hs2", url2, &s.args, &http, &redactor, &Declared::default()).await?,
                ),
                None => None,
            };
            Targets { hs1, hs2 }
        }
    };
    for h in targets.all() {
        for secret in h.secrets() {
            redactor.add_secret(secret);
        }
        emit(EventKind::TargetReady {
            target: TargetInfo {
                name: h.name.clone(),
                url: h.base_url.clone(),
                server_name: h.server_name.clone(),
                implementation: h.implementation.clone(),
                version: h.version.clone(),
                identified_by: h.identified_by.clone(),
                managed: matches!(h.control, Control::Managed(_)),
                features: h
                    .features
                    .iter()
                    .filter(|(k, _)| {
                        // Feature names come from the server: only printable ones are shown.
                        !k.chars().any(char::is_control)
                            && k.len() <= 128
                            && (k.contains("msc4354")
                                || k.contains("msc4140")
                                || k.contains("simplified_msc3575"))
                    })
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
            },
        });
    }
    let expectations = s.expectations.pick(
        &s.loaded.root.join("fixtures").join("expectations"),
        &targets.hs1.implementation,
        &targets.hs1.version,
    );
    let policy = snapshot_policy(&s.args)?;
    // Snapshot folders are named by the implementation: one that could not safely name a
    // folder (discovery already refuses those) gets none.
    let snapshot_mode = if targets.hs1.implementation == "unknown"
        || !discover::valid_implementation(&targets.hs1.implementation)
    {
        SnapshotMode::Off
    } else if std::env::var_os("CI").is_some()
        || matches!(s.loaded.source, crate::embedded::Source::BuiltIn(_))
    {
        // CI never writes snapshots; nor does a run from the built-in copy (nobody reviews the
        // cache folder): pending ones go to the report.
        SnapshotMode::ReportOnly
    } else if policy == "update" {
        SnapshotMode::Update
    } else {
        SnapshotMode::Review
    };
    let snapshots = SnapshotSettings {
        dir: s
            .loaded
            .root
            .join("snapshots")
            .join(&targets.hs1.implementation),
        report_dir: s
            .report_dir
            .join("snapshots")
            .join(&targets.hs1.implementation),
        mode: snapshot_mode,
        strict: policy == "strict",
        info: format!("{} {}", targets.hs1.implementation, targets.hs1.version),
    };
    let mut ctx = RunContext::new(
        targets.clone(),
        http,
        redactor,
        s.faults.clone(),
        s.selection.revisions.clone(),
        snapshots,
        tx.clone(),
        started,
    );
    ctx.bodies = Arc::new(crate::client::transcript::BodyBudget::new(
        Some(s.report_dir.join("transcripts").join("bodies")),
        s.args
            .transcript_budget
            .unwrap_or(crate::client::transcript::RUN_BODY_BUDGET),
    ));
    // A proposal hs1 does not implement at all is one finding, decided before any scenario.
    let probe_client = Client::new(ctx.http.clone(), ctx.redactor.clone(), Arc::new(Vec::new()));
    let absences = runner::absent::find(
        &s.plan,
        &s.selection.revisions,
        &targets.hs1,
        &probe_client,
        &ctx.run_id,
        &expectations.not_implemented,
    )
    .await;
    for a in &absences {
        emit(EventKind::ProposalAbsent { absence: a.clone() });
        for id in &a.scenarios {
            ctx.absent.insert(id.clone(), a.clone());
        }
    }
    if s.args.hs1.is_none() {
        ctx.private_servers = Some(runner::PrivateServers {
            setup: s.managed.clone(),
            dir: s.report_dir.join("homeservers"),
        });
    }
    let ctx = Arc::new(ctx);
    let jobs = s.args.jobs.unwrap_or_else(|| {
        runner::schedule::default_jobs(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let (_results, stats) = runner::run(
        s.plan.clone(),
        ctx,
        &expectations,
        jobs,
        &s.previous_durations,
    )
    .await;
    targets.shutdown().await;
    emit(EventKind::RunFinished {
        stats: stats.clone(),
    });
    Ok(stats)
}

/// An external target, probed (`/versions`) and identified (server name, implementation).
async fn external(
    name: &str,
    url: &str,
    args: &RunArgs,
    http: &reqwest::Client,
    redactor: &Arc<Redactor>,
    declared: &Declared,
) -> Result<Homeserver, Error> {
    let registration = registration_method(name, &args.registration)?;
    let mut hs = Homeserver {
        name: name.into(),
        base_url: url.trim_end_matches('/').into(),
        server_name: String::new(),
        registration,
        control: Control::External,
        implementation: "unknown".into(),
        version: "unknown".into(),
        appservice: None,
        features: BTreeMap::new(),
        spec_versions: Vec::new(),
        identified_by: String::new(),
    };
    for secret in hs.secrets() {
        redactor.add_secret(secret);
    }
    let client = Client::new(http.clone(), redactor.clone(), Arc::new(Vec::new()));
    let run_id = crate::homeserver::keys::random_hex::<3>();
    // However the server answers (slowly, every round late), the probe, the first registration
    // and the federation /version question end within one stated budget.
    let identify = async {
        hs.probe(http).await?;
        discover::discover(&mut hs, &client, &run_id, declared).await
    };
    let source = tokio::time::timeout(discover::DISCOVERY_BUDGET, identify)
        .await
        .map_err(|_| crate::homeserver::HomeserverError::TooSlow {
            name: name.to_string(),
            url: crate::util::escape_control(url),
            budget: discover::DISCOVERY_BUDGET,
        })??;
    hs.identified_by = source.describe();
    Ok(hs)
}
