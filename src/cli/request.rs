//! From `run`'s flags to a typed [`RunRequest`]: words become enums, flags that cannot go
//! together are refused here (exit 2), and everything else is checked by the session.

use super::args::{RunArgs, SelectArgs};
use crate::error::Error;
use crate::session::{ExpectationsFile, RunRequest, SelectRequest, Servers, SnapshotPolicy};

/// The selection flags.
pub(super) fn select_request(sel: &SelectArgs) -> Result<SelectRequest, Error> {
    let mut revisions = std::collections::BTreeMap::new();
    for r in &sel.revision {
        let (p, rev) = crate::plan::parse_revision_flag(r).map_err(Error::Usage)?;
        revisions.insert(p, rev);
    }
    Ok(SelectRequest {
        suites: sel.suite.clone(),
        filters: sel.filter.clone(),
        requirements: sel.requirement.clone(),
        revisions,
        partition: sel
            .partition
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(Error::Usage)?,
        root: sel.root.clone(),
        last_failed: false,
    })
}

/// `--snapshots review|strict|update` (`--update-snapshots` is `update`).
fn snapshot_policy(args: &RunArgs) -> Result<SnapshotPolicy, Error> {
    match (args.snapshots, args.update_snapshots) {
        (Some(p), true) if p != SnapshotPolicy::Update => Err(Error::Usage(format!(
            "`--update-snapshots` and `--snapshots {}` contradict each other",
            p.word()
        ))),
        (_, true) => Ok(SnapshotPolicy::Update),
        (Some(p), false) => Ok(p),
        (None, false) => Ok(SnapshotPolicy::Review),
    }
}

/// The whole request.
pub(super) fn run_request(args: RunArgs) -> Result<RunRequest, Error> {
    let mut select = select_request(&args.select)?;
    select.last_failed = args.last_failed;
    let registration = args.registration;
    let servers = match (&args.hs1, &args.hs2) {
        (None, Some(_)) => {
            return Err(Error::Usage(
                "`--hs2` needs `--hs1` (both servers are external, or both managed)".into(),
            ))
        }
        (None, None) => Servers::Managed {
            target: args.target.clone(),
            synapse_from: args.synapse_from.clone(),
            program: args.program.clone(),
        },
        (Some(hs1), hs2) => {
            if args.target != "synapse" || args.synapse_from.is_some() || args.program.is_some() {
                return Err(Error::Usage(
                    "`--target`/`--synapse-from`/`--program` choose the managed server; with `--hs1` the server is yours".into(),
                ));
            }
            Servers::External {
                hs1: hs1.clone(),
                hs2: hs2.clone(),
                registration,
                implementation: args.implementation.clone(),
                version: args.impl_version.clone(),
            }
        }
    };
    let expectations = match &args.expectations {
        None => ExpectationsFile::Shipped,
        Some(p) if p.as_os_str() == "none" => ExpectationsFile::None,
        Some(p) => ExpectationsFile::Path(p.clone()),
    };
    Ok(RunRequest {
        select,
        servers,
        report_dir: args.report_dir.clone(),
        expectations,
        inject: args.inject.clone(),
        snapshots: snapshot_policy(&args)?,
        jobs: args.jobs,
        max_body: args.max_body,
        transcript_budget: args.transcript_budget,
        strict: args.strict,
        ci: std::env::var_os("CI").is_some(),
    })
}
