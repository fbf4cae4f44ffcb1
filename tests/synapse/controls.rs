//! The unfaulted runs of every scenario at each revision, with the shipped expectations: what the
//! baseline test checks and what the fault sweep compares each faulted run with (a scenario that
//! fails without the fault proves nothing by failing with it at the same step).
//!
//! Each is run once per test binary and kept under cargo's target tmp folder for the tests that
//! read it.

use crate::common::{mscheck, results, text};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The seed revision of both proposals.
pub const SEED: &[&str] = &["--revision", "msc4354=seed", "--revision", "msc4140=seed"];

/// One control run: its report folder, results, and what `mscheck list` planned.
pub struct Control {
    pub report: PathBuf,
    pub results: Value,
    pub planned: Vec<String>,
    /// The run's exit code and output (merged slices: the merge's).
    pub exit: Option<i32>,
    pub output: String,
}

impl Control {
    /// A scenario's result.
    pub fn scenario(&self, id: &str) -> Option<&Value> {
        self.results["scenarios"]
            .as_array()?
            .iter()
            .find(|s| s["id"] == id)
    }
}

/// The scenario IDs a selection plans, from `mscheck list`.
pub fn planned(extra: &[&str]) -> Vec<String> {
    let out = mscheck().arg("list").args(extra).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.contains('/'))
        .map(str::to_string)
        .collect()
}

fn folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("synapse-controls")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A control run under way: its process and report folder.
struct Started {
    child: std::process::Child,
    report: PathBuf,
    /// What it was started with, to start it again (see [`finish`]).
    args: Vec<String>,
}

/// Every control run, started together the first time any is needed: they mostly wait on
/// servers, so run at once they take about as long as the longest (measured: 76 s for all six,
/// 162 s one after the other). Each is taken out once, by the control that waits for it.
struct AllStarted {
    newest: Option<Started>,
    seed: Option<Vec<Started>>,
    skewed: Option<Vec<(&'static str, Started)>>,
}

fn start(args: &[&str], report: PathBuf) -> Started {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let child = mscheck()
        .args(&args)
        .arg("--report-dir")
        .arg(&report)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    Started {
        child,
        report,
        args,
    }
}

fn all_started() -> &'static std::sync::Mutex<AllStarted> {
    static ALL: OnceLock<std::sync::Mutex<AllStarted>> = OnceLock::new();
    ALL.get_or_init(|| {
        let newest = start(&["run", "--snapshots", "strict"], folder("newest"));
        let seed = (1..=3)
            .map(|k| {
                let part = format!("{k}/3");
                let mut args = vec!["run"];
                args.extend_from_slice(SEED);
                args.extend_from_slice(&["--snapshots", "strict", "--partition", &part]);
                start(&args, folder(&format!("seed-{k}")))
            })
            .collect();
        let ids = super::verdicts::time_scenarios();
        let skewed = SKEWS
            .iter()
            .map(|fault| {
                let mut args = vec!["run", "--inject", fault];
                for id in &ids {
                    args.extend_from_slice(&["--filter", id]);
                }
                (*fault, start(&args, folder(fault)))
            })
            .collect();
        std::sync::Mutex::new(AllStarted {
            newest: Some(newest),
            seed: Some(seed),
            skewed: Some(skewed),
        })
    })
}

/// The clock controls: the time-judging scenarios seen through a clock 20 s behind and ahead.
pub const SKEWS: &[&str] = &["clock-behind-20s", "clock-ahead-20s"];

/// Waits for a control run; its results, exit code and output.
///
/// Six runs boot their servers at once on a shared machine: a run whose server could not be
/// started in time (exit 3, no verdict given) is started once more, alone, and says so. Any other
/// run that wrote no results fails here with what it printed.
fn finish(name: &str, run: Started) -> (Value, Option<i32>, String) {
    let out = run.child.wait_with_output().unwrap();
    let (report, args) = (run.report, run.args);
    let out = if !report.join("results.json").exists() && out.status.code() == Some(3) {
        eprintln!(
            "control {name}: no server could be started (exit 3); starting it again alone:\n{}",
            text(&out)
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let again = start(&args, report.clone());
        again.child.wait_with_output().unwrap()
    } else {
        out
    };
    assert!(
        report.join("results.json").exists(),
        "{name}: the run wrote no results (exit {:?}):\n{}",
        out.status.code(),
        text(&out)
    );
    (results(&report), out.status.code(), text(&out))
}

fn take<T>(pick: impl FnOnce(&mut AllStarted) -> Option<T>) -> T {
    let mut all = all_started().lock().unwrap_or_else(|e| e.into_inner());
    pick(&mut all).expect("each control is waited for once")
}

/// Every scenario at the newest revisions in one run, snapshots strict.
pub fn newest() -> &'static Control {
    static C: OnceLock<Control> = OnceLock::new();
    C.get_or_init(|| {
        let t0 = std::time::Instant::now();
        let run = take(|a| a.newest.take());
        let report = run.report.clone();
        let (results, exit, output) = finish("newest", run);
        eprintln!(
            "control at the newest revisions: waited {:.0?}",
            t0.elapsed()
        );
        Control {
            results,
            report,
            planned: planned(&[]),
            exit,
            output,
        }
    })
}

/// Every scenario at the seed revisions, run as three slices (`--partition k/3`) and merged: the
/// merged report is the control, so the slicing and the merge are checked on live results too.
pub fn seed() -> &'static Control {
    static C: OnceLock<Control> = OnceLock::new();
    C.get_or_init(|| {
        let t0 = std::time::Instant::now();
        let slices = take(|a| a.seed.take());
        let mut outputs = String::new();
        let mut folders = Vec::new();
        for (i, run) in slices.into_iter().enumerate() {
            let name = format!("seed slice {}/3", i + 1);
            let report = run.report.clone();
            let (_, exit, output) = finish(&name, run);
            assert_eq!(exit, Some(0), "{name}: {output}");
            outputs.push_str(&output);
            folders.push(report);
        }
        eprintln!(
            "control at the seed revisions (3 slices): waited {:.0?}",
            t0.elapsed()
        );
        let report = folder("seed");
        let out = mscheck()
            .arg("merge")
            .args(&folders)
            .arg("--out")
            .arg(&report)
            .output()
            .unwrap();
        outputs.push_str(&text(&out));
        Control {
            results: results(&report),
            report,
            planned: planned(SEED),
            exit: out.status.code(),
            output: outputs,
        }
    })
}

/// The clock-skew runs: (fault, results, exit code, output) each.
pub fn skewed() -> Vec<(&'static str, Value, Option<i32>, String)> {
    take(|a| a.skewed.take())
        .into_iter()
        .map(|(fault, run)| {
            let (results, exit, output) = finish(fault, run);
            (fault, results, exit, output)
        })
        .collect()
}
