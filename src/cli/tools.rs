//! The commands that read finished runs (`compare`, `merge`, `baseline`, `matrix`) or print
//! reference material (`suites export`, `schema`, `completions`, `man`): no server is contacted.

use super::args::{
    BaselineArgs, Cli, CompareArgs, CompletionsArgs, ManArgs, MatrixArgs, MergeArgs, SchemaArgs,
    SuitesAction, SuitesArgs,
};
use crate::error::{exit, Error};
use crate::report::results::RunReport;
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
    let out = match a.format.as_str() {
        "text" => c.text(),
        "markdown" => c.markdown(),
        "json" => serde_json::to_string_pretty(&c).unwrap_or_default() + "\n",
        other => {
            return Err(Error::Usage(format!(
                "unknown format `{other}` (expected `text`, `markdown` or `json`)"
            )))
        }
    };
    print!("{out}");
    Ok(if c.regressed || (a.strict && c.masked > 0) {
        exit::FAILURES
    } else {
        exit::OK
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
            let written = crate::embedded::export(&dir).map_err(|e| Error::Io {
                action: "write",
                path: dir.clone(),
                source: e,
            })?;
            println!("wrote {written} files into {}", dir.display());
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
    let cmd = Cli::command();
    let Some(dir) = a.out_dir else {
        let mut out = Vec::new();
        render_man(cmd, &mut out)?;
        use std::io::Write;
        return std::io::stdout().write_all(&out).map_err(|e| Error::Io {
            action: "write",
            path: "standard output".into(),
            source: e,
        });
    };
    let mut pages = vec![("mscheck.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("mscheck-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.clone());
        pages.push((format!("{name}.1"), page));
    }
    let mut files = Vec::new();
    for (file, page) in pages {
        let mut out = Vec::new();
        render_man(page, &mut out)?;
        files.push((file, out));
    }
    write_into(&dir, files)?;
    println!(
        "wrote {} man pages into {}",
        cmd.get_subcommands().count() + 1,
        dir.display()
    );
    Ok(())
}

fn render_man(cmd: clap::Command, out: &mut Vec<u8>) -> Result<(), Error> {
    clap_mangen::Man::new(cmd)
        .render(out)
        .map_err(|e| Error::Io {
            action: "render",
            path: "the man page".into(),
            source: e,
        })
}
