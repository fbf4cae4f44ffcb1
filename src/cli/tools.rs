//! The commands that read finished runs (`compare`, `merge`, `baseline`, `matrix`) or print
//! reference material (`suites export`, `schema`, `completions`, `man`): no server is contacted.

use super::args::{
    BaselineArgs, Cli, CompareArgs, CompareFormat, CompletionsArgs, ManArgs, MatrixArgs, MergeArgs,
    SchemaArgs, ShowArgs, SuitesAction, SuitesArgs,
};
use crate::error::{exit, Error};
use crate::results::RunReport;
use clap::CommandFactory;
use std::path::Path;

pub(super) fn read_run(path: &Path) -> Result<RunReport, Error> {
    RunReport::load(path).map_err(|e| Error::Usage(e.to_string()))
}

pub(super) fn compare(a: CompareArgs) -> Result<i32, Error> {
    let old = read_run(&a.old)?;
    let new = read_run(&a.new)?;
    let c = crate::regress::compare::compare(&old, &new, a.allow_revision_change)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let out = match a.format {
        CompareFormat::Text => c.text(),
        CompareFormat::Markdown => c.markdown(),
        CompareFormat::Json => serde_json::to_string_pretty(&c).unwrap_or_default() + "\n",
    };
    print!("{out}");
    Ok(if c.regressed || (a.strict && c.masked > 0) {
        exit::FAILURES
    } else {
        exit::OK
    })
}

/// `mscheck show`: the run replayed through the terminal reporter; exit 0 if the run passed,
/// 1 if it did not (as `run` exited).
pub(super) fn show(a: ShowArgs) -> Result<i32, Error> {
    use crate::report::{console::Console, Reporter};
    use crate::results::Outcome;
    use crate::runner::events::{EventKind, RunEvent};
    let run = read_run(&a.report)?;
    let dir = if a.report.is_dir() {
        a.report.clone()
    } else {
        a.report.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let mut console = Console::new(&dir, a.verbose);
    let mut emit = |kind| {
        console.event(&RunEvent {
            elapsed: std::time::Duration::ZERO,
            kind,
        })
    };
    for target in &run.targets {
        emit(EventKind::TargetReady {
            target: target.clone(),
        });
    }
    for absence in &run.stats.absent {
        emit(EventKind::ProposalAbsent {
            absence: absence.clone(),
        });
    }
    let mut hidden = Vec::new();
    for r in &run.scenarios {
        let shown = !a.failed
            || r.outcome.is_bad()
            || r.outcome == Outcome::Warned
            || (a.verbose && r.outcome == Outcome::ExpectedFailure);
        if shown {
            emit(EventKind::ScenarioFinished {
                result: Box::new(r.clone()),
                transcript: String::new(),
            });
        } else {
            hidden.push(r);
        }
    }
    for r in hidden {
        console.count_only(r);
    }
    console.event(&RunEvent {
        elapsed: std::time::Duration::ZERO,
        kind: EventKind::RunFinished {
            stats: run.stats.clone(),
        },
    });
    Ok(if run.stats.success() {
        exit::OK
    } else {
        exit::FAILURES
    })
}

pub(super) fn merge(a: MergeArgs) -> Result<(), Error> {
    let merged = crate::regress::merge::merge(&a.dirs).map_err(|e| Error::Usage(e.to_string()))?;
    let io = |e: std::io::Error| Error::Io {
        action: "write",
        path: a.out.clone(),
        source: e,
    };
    std::fs::create_dir_all(&a.out).map_err(io)?;
    crate::regress::merge::copy_artifacts(&a.dirs, &a.out).map_err(io)?;
    crate::report::files::write_report(&merged, &a.out).map_err(|e| Error::Io {
        action: "write",
        path: a.out.clone(),
        source: std::io::Error::other(e),
    })?;
    println!(
        "merged {} slices: {} ({} scenarios) into {}",
        a.dirs.len(),
        merged.stats.counts(),
        merged.scenarios.len(),
        a.out.display()
    );
    Ok(())
}

pub(super) fn baseline(a: BaselineArgs) -> Result<(), Error> {
    let run = read_run(&a.results)?;
    to_file_or_stdout(a.out.as_deref(), &crate::regress::baseline::baseline(&run))
}

/// `--out FILE` or standard output.
fn to_file_or_stdout(out: Option<&Path>, text: &str) -> Result<(), Error> {
    match out {
        Some(p) => std::fs::write(p, text).map_err(|e| Error::Io {
            action: "write",
            path: p.to_path_buf(),
            source: e,
        }),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Writes `files` (name, contents) into `dir`, creating it; a failure is a report error (exit 5).
fn write_into(dir: &Path, files: Vec<(String, Vec<u8>)>) -> Result<(), Error> {
    let report = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| Error::Report {
            action: "write",
            path,
            source: e,
        }
    };
    std::fs::create_dir_all(dir).map_err(report(dir))?;
    for (name, bytes) in files {
        let p = dir.join(name);
        std::fs::write(&p, bytes).map_err(report(&p))?;
    }
    Ok(())
}

pub(super) fn suites(a: SuitesArgs) -> Result<(), Error> {
    match a.action {
        SuitesAction::Export { dir } => {
            let done = crate::embedded::export(&dir).map_err(|e| Error::Io {
                action: "write",
                path: dir.clone(),
                source: e,
            })?;
            println!("wrote {} files into {}", done.written, dir.display());
            if done.unchanged > 0 {
                println!(
                    "{} files were there already, the same as the built-in copy",
                    done.unchanged
                );
            }
            if !done.kept.is_empty() {
                println!(
                    "kept {} files that differ from the built-in copy (edited, or from another mscheck version; remove one to get the built-in copy back):",
                    done.kept.len()
                );
                for f in &done.kept {
                    println!("  {f}");
                }
            }
            Ok(())
        }
    }
}

pub(super) fn matrix(a: MatrixArgs) -> Result<(), Error> {
    let runs = a
        .runs
        .iter()
        .map(|p| read_run(p).map(|r| (p.clone(), r)))
        .collect::<Result<Vec<_>, _>>()?;
    let m = crate::regress::matrix::Matrix::build(&runs);
    if a.stdout {
        print!(
            "{}",
            if a.counts {
                m.counts_table()
            } else {
                m.markdown()
            }
        );
        return Ok(());
    }
    write_into(
        &a.out,
        vec![
            ("matrix.md".into(), m.markdown().into_bytes()),
            (
                "matrix.html".into(),
                crate::regress::matrix_html::render(&m).into_bytes(),
            ),
        ],
    )?;
    println!(
        "matrix of {} runs × {} requirements in {}",
        m.columns.len(),
        m.rows.len(),
        a.out.display()
    );
    Ok(())
}

pub(super) fn schema(a: SchemaArgs) -> Result<(), Error> {
    to_file_or_stdout(a.out.as_deref(), &crate::scenario::schema::text())
}

pub(super) fn completions(a: CompletionsArgs) -> Result<(), Error> {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "mscheck", &mut std::io::stdout());
    Ok(())
}

pub(super) fn man(a: ManArgs) -> Result<(), Error> {
    // The footer takes the plain version (the proposal texts get a section of their own), and no
    // page is referred to that is not written (clap's `help` subcommand has none).
    let cmd = Cli::command()
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    let Some(dir) = a.out_dir else {
        let mut out = Vec::new();
        render_man(cmd, &mut out, true)?;
        use std::io::Write;
        return std::io::stdout().write_all(&out).map_err(|e| Error::Io {
            action: "write",
            path: "standard output".into(),
            source: e,
        });
    };
    // A page per command and per nested command (`mscheck-suites-export.1`), as each page's
    // SUBCOMMANDS section refers to them.
    fn pages_of(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{prefix}-{}", sub.get_name());
            let page = sub
                .clone()
                .display_name(name.clone())
                .bin_name(name.clone())
                .disable_help_subcommand(true);
            pages_of(&page, &name, out);
            out.push((format!("{name}.1"), page));
        }
    }
    let mut pages = vec![("mscheck.1".to_string(), cmd.clone())];
    pages_of(&cmd, "mscheck", &mut pages);
    let written = pages.len();
    let mut files = Vec::new();
    for (i, (file, page)) in pages.into_iter().enumerate() {
        let mut out = Vec::new();
        render_man(page, &mut out, i == 0)?;
        files.push((file, out));
    }
    write_into(&dir, files)?;
    println!("wrote {written} man pages into {}", dir.display());
    Ok(())
}

/// One man page; `main` (mscheck.1) also gets EXIT STATUS, ENVIRONMENT and the proposal texts
/// the suites check.
fn render_man(cmd: clap::Command, out: &mut Vec<u8>, main: bool) -> Result<(), Error> {
    let err = |e| Error::Io {
        action: "render",
        path: "the man page".into(),
        source: e,
    };
    let man = clap_mangen::Man::new(cmd);
    if !main {
        return man.render(out).map_err(err);
    }
    man.render_title(out).map_err(err)?;
    man.render_name_section(out).map_err(err)?;
    man.render_synopsis_section(out).map_err(err)?;
    man.render_description_section(out).map_err(err)?;
    man.render_options_section(out).map_err(err)?;
    man.render_subcommands_section(out).map_err(err)?;
    out.extend_from_slice(MAN_EXIT_STATUS.as_bytes());
    out.extend_from_slice(MAN_ENVIRONMENT.as_bytes());
    out.extend_from_slice(
        format!(
            ".SH \"PROPOSAL TEXTS\"\n{}\n",
            crate::catalogue::version_line().replace('-', "\\-")
        )
        .as_bytes(),
    );
    man.render_version_section(out).map_err(err)
}

/// The exit codes (src/error.rs), in roff.
const MAN_EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
0
Every scenario passed (skips, expected failures and recommendations not met allowed).
.TP
1
A scenario failed or errored, a proposal of the plan is not implemented (unless the expectations file says so), a snapshot changed under \fB\-\-snapshots strict\fR, or a recommendation was not met under \fB\-\-strict\fR; for \fBcompare\fR, something regressed.
.TP
2
Bad input: a flag, a suite file, the catalogue, a profile, an expectations or faults file, a results file; checked before any server is contacted.
.TP
3
A homeserver could not be started or reached, or did not answer as a Matrix server.
.TP
4
mscheck itself crashed (a bug); managed servers were stopped.
.TP
5
The report folder could not be prepared or written.
.TP
130
Interrupted by Ctrl\-C; managed servers were stopped.
"#;

/// The environment variables mscheck reads, in roff.
const MAN_ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBMSCHECK_SHARED_SECRET\fR, \fBMSCHECK_HS2_SHARED_SECRET\fR
Synapse's registration shared secret for an external hs1 (hs2), with \fB\-\-registration shared\-secret\fR.
.TP
\fBMSCHECK_REGISTRATION_TOKEN\fR, \fBMSCHECK_HS2_REGISTRATION_TOKEN\fR
A registration token for an external hs1 (hs2), with \fB\-\-registration token\fR.
.TP
\fBMSCHECK_CACHE_DIR\fR
Where Synapse virtualenvs and the unpacked built\-in suites are kept (default: $XDG_CACHE_HOME/mscheck or ~/.cache/mscheck).
.TP
\fBMSCHECK_WORK_DIR\fR
Where managed servers' working folders are made (default: the system's temporary folder); removed after each run.
.TP
\fBMSCHECK_PYTHON\fR
The Python that creates Synapse's virtualenv (default: python3).
.TP
\fBCI\fR
Set: snapshots are never written in place (pending copies go to the report folder).
.TP
\fBGITHUB_ACTIONS\fR, \fBGITHUB_STEP_SUMMARY\fR
Under GitHub Actions: failures as annotations, and summary.md appended to the step summary.
.TP
\fBNO_COLOR\fR
Set: no colour on the terminal.
"#;
