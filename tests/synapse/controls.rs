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

/// Every scenario at the newest revisions in one run, snapshots strict.
pub fn newest() -> &'static Control {
    static C: OnceLock<Control> = OnceLock::new();
    C.get_or_init(|| {
        let t0 = std::time::Instant::now();
        let report = folder("newest");
        let out = mscheck()
            .args(["run", "--snapshots", "strict", "--report-dir"])
            .arg(&report)
            .output()
            .unwrap();
        eprintln!("control at the newest revisions: {:.0?}", t0.elapsed());
        Control {
            results: results(&report),
            report,
            planned: planned(&[]),
            exit: out.status.code(),
            output: text(&out),
        }
    })
}

/// Every scenario at the seed revisions, run as three slices (`--partition k/3`) and merged: the
/// merged report is the control, so the slicing and the merge are checked on live results too.
pub fn seed() -> &'static Control {
    static C: OnceLock<Control> = OnceLock::new();
    C.get_or_init(|| {
        let t0 = std::time::Instant::now();
        // The slices run at once: each boots its own servers, and they mostly wait.
        let slices: Vec<PathBuf> = (1..=3).map(|k| folder(&format!("seed-{k}"))).collect();
        let children: Vec<_> = slices
            .iter()
            .enumerate()
            .map(|(i, dir)| {
                mscheck()
                    .arg("run")
                    .args(SEED)
                    .args([
                        "--snapshots",
                        "strict",
                        "--partition",
                        &format!("{}/3", i + 1),
                    ])
                    .arg("--report-dir")
                    .arg(dir)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut outputs = String::new();
        for (i, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "seed slice {}/3: {}",
                i + 1,
                text(&out)
            );
            outputs.push_str(&text(&out));
        }
        eprintln!(
            "control at the seed revisions (3 slices): {:.0?}",
            t0.elapsed()
        );
        let report = folder("seed");
        let out = mscheck()
            .arg("merge")
            .args(&slices)
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
