//! A run as a library call: [`Session::start`] takes a [`RunRequest`] (what the CLI parses its
//! flags into, or what a Rust program builds), checks every input before any server is contacted,
//! boots or reaches the targets, runs the plan, emits every [`RunEvent`] to the caller and to the
//! report folder, stops the managed servers, and returns the [`RunReport`]. The CLI adds only the
//! terminal, GitHub annotations, Ctrl-C and the exit code.

mod load;
pub mod request;
mod resolve;
mod targets;

pub use load::{check_requirements, load, selection, Loaded};
pub use request::{
    ExpectationsFile, RegistrationMethod, RunRequest, SelectRequest, Servers, SnapshotPolicy,
};
pub use resolve::{check_server_url, target_profile};

use crate::client::Client;
use crate::error::Error;
use crate::homeserver::Homeserver;
use crate::redact::Redactor;
use crate::report::files::Files;
use crate::report::Reporter;
use crate::results::RunStats;
use crate::results::{RunReport, SelectionInfo};
use crate::runner::events::{EventKind, RunEvent};
use crate::runner::{self, RunContext};
use crate::snapshot::{SnapshotMode, SnapshotSettings};
use resolve::{resolve, Settings};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// One run of mscheck.
pub struct Session;

impl Session {
    /// Carries out `request`: every event goes to `on_event` (in order, as it happens) and to the
    /// report folder, which is written whatever the outcome; the report is returned. Bad input is
    /// an error before any server is contacted; managed servers are stopped before this returns.
    pub async fn start(
        request: RunRequest,
        on_event: &mut dyn FnMut(&RunEvent),
    ) -> Result<RunReport, Error> {
        if let Some(limit) = request.max_body {
            crate::client::bounded::set_body_limit(limit);
        }
        let mut settings = resolve(request)?;
        // The last run's timings (before this run replaces them) order the scenarios, longest
        // first.
        settings.previous_durations = runner::schedule::previous_durations(&settings.report_dir);
        // No earlier verdict survives this run, however it ends; a folder that takes no files
        // is found now (exit 5), before any server is contacted.
        crate::report::results::clear_run_files(&settings.report_dir)?;
        let mut files = files_reporter(&settings);
        let (tx, mut rx) = unbounded_channel::<RunEvent>();
        let job = tokio::spawn(execute(settings, tx));
        // Stops the run (and its managed servers) when this future is dropped, e.g. on Ctrl-C.
        let guard = AbortOnDrop(job.abort_handle());
        while let Some(ev) = rx.recv().await {
            files.event(&ev);
            on_event(&ev);
        }
        let finished = job.await;
        drop(guard);
        finished.map_err(|e| {
            crate::homeserver::managed::kill_all_managed();
            Error::Crash(e.to_string())
        })??;
        if let Some(e) = files.error.take() {
            return Err(e.into());
        }
        files
            .report
            .take()
            .ok_or_else(|| Error::Crash("the run ended without its report".into()))
    }
}

/// Aborts the run's task when the session is dropped before it ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The report folder's writer for a run.
fn files_reporter(s: &Settings) -> Files {
    let mut covering: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for sc in &s.loaded.scenarios {
        for c in &sc.covers {
            covering.entry(c.clone()).or_default().push(sc.id.clone());
        }
    }
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    Files::new(
        s.report_dir.clone(),
        s.loaded.catalogue.clone(),
        s.selection.revisions.clone(),
        covering,
        s.selection.partition.map(|p| p.to_string()),
        SelectionInfo {
            suites: sorted(&s.selection.suites),
            filters: sorted(&s.selection.filters),
            requirements: sorted(&s.selection.requirements),
        },
        s.faults.iter().map(|f| f.name.clone()).collect(),
    )
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
        report_dir: s.report_dir.clone(),
    });
    let (http, redactor) = (Client::http_pool(), Arc::new(Redactor::new()));
    let progress = |message: &str| {
        emit(EventKind::Progress {
            message: message.into(),
        })
    };
    let (targets, prebooted) = targets::reach(&s, &http, &redactor, &progress).await?;
    targets::announce(&targets, &redactor, &emit);
    let expectations = s.expectations.pick(
        &s.loaded.root.join("fixtures").join("expectations"),
        targets.hs1.implementation.as_deref(),
        targets.hs1.version.as_deref(),
    );
    let snapshots = snapshot_settings(&s, &targets.hs1);
    let run_id = runner::new_run_id();
    // A proposal hs1 does not implement at all is one finding, decided before any scenario.
    let probe_client = Client::new(http.clone(), redactor.clone(), Arc::new(Vec::new()));
    let absences = runner::absent::find(
        &s.plan,
        &s.selection.revisions,
        &targets.hs1,
        &probe_client,
        &run_id,
        &expectations.not_implemented,
    )
    .await;
    for a in &absences {
        emit(EventKind::ProposalAbsent { absence: a.clone() });
    }
    let (windows, windows_from) = windows(&s);
    let ctx = Arc::new(RunContext::new(runner::RunParts {
        targets: targets.clone(),
        http,
        redactor,
        faults: s.faults.clone(),
        revisions: s.selection.revisions.clone(),
        snapshots,
        run_id,
        private_servers: s.managed().then(|| runner::PrivateServers {
            setup: s.managed.clone(),
            dir: s.report_dir.join("homeservers"),
        }),
        prebooted,
        bodies: body_budget(&s),
        absences,
        windows,
        windows_from,
        events: tx.clone(),
        started,
    }));
    let jobs = s
        .request
        .jobs
        .unwrap_or_else(runner::schedule::jobs_for_this_machine);
    let plan = s.plan.clone();
    let (_, mut stats) = runner::run(plan, ctx, &expectations, jobs, &s.previous_durations).await;
    stats.strict = s.request.strict;
    targets.shutdown().await;
    emit(EventKind::RunFinished {
        stats: stats.clone(),
    });
    Ok(stats)
}

/// The run's room for large answers in the report folder.
fn body_budget(s: &Settings) -> Arc<crate::client::transcript::BodyBudget> {
    Arc::new(crate::client::transcript::BodyBudget::new(
        Some(s.report_dir.join("transcripts").join("bodies")),
        s.request
            .transcript_budget
            .unwrap_or(crate::client::transcript::RUN_BODY_BUDGET),
    ))
}

/// The managed profile's named windows and where they come from; none for external targets,
/// which get the defaults.
fn windows(s: &Settings) -> (BTreeMap<String, std::time::Duration>, String) {
    if s.managed() {
        (
            s.managed.profile.windows.clone(),
            format!("profile {}", s.managed.profile.implementation),
        )
    } else {
        (BTreeMap::new(), String::new())
    }
}

/// Where snapshots are read and written: folders named by hs1's implementation (one that could
/// not safely name a folder gets none), never written under CI or from the built-in copy.
fn snapshot_settings(s: &Settings, hs1: &Homeserver) -> SnapshotSettings {
    // `resolve` refused `update` under CI before any server was contacted.
    let policy = s.request.snapshots;
    let folder = hs1
        .implementation
        .as_deref()
        .filter(|i| crate::names::valid_implementation(i));
    let mode = if folder.is_none() {
        SnapshotMode::Off
    } else if s.request.ci || matches!(s.loaded.source, crate::embedded::Source::BuiltIn(_)) {
        // Nobody reviews the cache folder of the built-in copy: pending ones go to the report.
        SnapshotMode::ReportOnly
    } else if policy == SnapshotPolicy::Update {
        SnapshotMode::Update
    } else {
        SnapshotMode::Review
    };
    // With snapshots off the folders are never read or written.
    let folder = folder.unwrap_or_default();
    SnapshotSettings {
        dir: s.loaded.root.join("snapshots").join(folder),
        report_dir: s.report_dir.join("snapshots").join(folder),
        mode,
        strict: policy == SnapshotPolicy::Strict,
        info: crate::homeserver::described(hs1.implementation.as_deref(), hs1.version.as_deref()),
    }
}
