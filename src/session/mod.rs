//! A run as a library call: [`Session::start`] takes a [`RunRequest`] (what the CLI parses its
//! flags into, or what a Rust program builds), checks every input before any server is contacted,
//! boots or reaches the targets, runs the plan, emits every [`RunEvent`] to the caller and to the
//! report folder, stops the managed servers, and returns the [`RunReport`]. The CLI adds only the
//! terminal, GitHub annotations, Ctrl-C and the exit code.

mod load;
pub mod request;
mod resolve;

pub use load::{check_requirements, load, selection, Loaded};
pub use request::{
    ExpectationsFile, RegistrationMethod, RunRequest, SelectRequest, Servers, SnapshotPolicy,
};
pub use resolve::{check_server_url, target_profile};

use crate::client::Client;
use crate::error::Error;
use crate::homeserver::discover::{self, Declared};
use crate::homeserver::{Control, Homeserver, Targets};
use crate::redact::Redactor;
use crate::report::files::Files;
use crate::report::results::{RunReport, SelectionInfo};
use crate::report::Reporter;
use crate::runner::events::{EventKind, RunEvent, RunStats, TargetInfo};
use crate::runner::{self, RunContext};
use crate::snapshot::{SnapshotMode, SnapshotSettings};
use resolve::{registration_method, resolve, snapshot_policy, Settings};
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
    let http = Client::http_pool();
    let redactor = Arc::new(Redactor::new());
    let targets = match &s.request.servers {
        Servers::Managed { .. } => {
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
        Servers::External {
            hs1,
            hs2,
            registration,
            implementation,
            version,
        } => {
            let declared = Declared {
                implementation: implementation.clone(),
                version: version.clone(),
            };
            let hs1 = external("hs1", hs1, *registration, &http, &redactor, &declared).await?;
            let hs2 = match hs2 {
                // `implementation` describes hs1; hs2 is always identified by asking it.
                Some(url2) => Some(
                    external(
                        "hs2",
                        url2,
                        *registration,
                        &http,
                        &redactor,
                        &Declared::default(),
                    )
                    .await?,
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
    let policy = snapshot_policy(s.request.snapshots)?;
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
    } else if policy == SnapshotPolicy::Update {
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
        strict: policy == SnapshotPolicy::Strict,
        info: format!("{} {}", targets.hs1.implementation, targets.hs1.version),
    };
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
    let managed = matches!(s.request.servers, Servers::Managed { .. });
    let ctx = RunContext::new(runner::RunParts {
        targets: targets.clone(),
        http,
        redactor,
        faults: s.faults.clone(),
        revisions: s.selection.revisions.clone(),
        snapshots,
        run_id,
        private_servers: managed.then(|| runner::PrivateServers {
            setup: s.managed.clone(),
            dir: s.report_dir.join("homeservers"),
        }),
        bodies: Arc::new(crate::client::transcript::BodyBudget::new(
            Some(s.report_dir.join("transcripts").join("bodies")),
            s.request
                .transcript_budget
                .unwrap_or(crate::client::transcript::RUN_BODY_BUDGET),
        )),
        absences,
        windows: if managed {
            s.managed.profile.windows.clone()
        } else {
            BTreeMap::new()
        },
        windows_from: if managed {
            format!("profile {}", s.managed.profile.implementation)
        } else {
            String::new()
        },
        events: tx.clone(),
        started,
    });
    let ctx = Arc::new(ctx);
    let jobs = s.request.jobs.unwrap_or_else(|| {
        runner::schedule::default_jobs(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let (_results, mut stats) = runner::run(
        s.plan.clone(),
        ctx,
        &expectations,
        jobs,
        &s.previous_durations,
    )
    .await;
    stats.strict = s.request.strict;
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
    method: RegistrationMethod,
    http: &reqwest::Client,
    redactor: &Arc<Redactor>,
    declared: &Declared,
) -> Result<Homeserver, Error> {
    let registration = registration_method(name, method)?;
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
