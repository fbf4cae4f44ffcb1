//! The regression tools on real runs against managed Synapse: a baseline round trip, a
//! comparison of a run with an injected fault against a clean one, report.html in a real headless
//! browser, GitHub Actions annotations, and the binary run from an empty folder.

mod common;

use common::{mscheck, outcomes, results, root, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

static ONE_SYNAPSE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

const SCENARIOS: &[&str] = &[
    "sticky-section-timeline-limit-1",
    "sticky-late-joiner",
    "delayed-txn-idempotent",
];

fn run_selected(report: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = mscheck();
    cmd.arg("run").args(extra).arg("--report-dir").arg(report);
    for s in SCENARIOS {
        cmd.args(["--filter", s]);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("mscheck runs")
}

fn outcome(report: &Path, id: &str) -> String {
    outcomes(&results(report))
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, o)| o)
        .unwrap_or_else(|| panic!("{id} in {}", report.display()))
}

const BROKEN: &str = "msc4354-sticky-events/sticky-section-timeline-limit-1";

#[test]
fn baseline_round_trip_compare_html_and_github_annotations_on_real_runs() {
    let _g = ONE_SYNAPSE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let faulty = work.path().join("faulty");
    let step_summary = work.path().join("step-summary.md");

    // A server with the sticky section dropped, as GitHub Actions would run it.
    let out = run_selected(
        &faulty,
        &["--expectations", "none", "--inject", "drop-sticky-section"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", &step_summary.to_string_lossy()),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert_eq!(outcome(&faulty, BROKEN), "failed");
    assert!(
        all.contains(
            "::error file=suites/msc4354-sticky-events/sticky-section-timeline-limit-1.yaml,line="
        ),
        "{all}"
    );
    let summary = std::fs::read_to_string(&step_summary).expect("step summary appended");
    assert!(summary.contains("# mscheck compliance report"), "{summary}");

    // Baseline: the written file makes the same broken server pass…
    let baseline = work.path().join("baseline.yaml");
    let out = mscheck()
        .args(["baseline"])
        .arg(&faulty)
        .arg("--out")
        .arg(&baseline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(&baseline).unwrap();
    assert!(written.contains(BROKEN), "{written}");
    let known = work.path().join("known");
    let out = run_selected(
        &known,
        &[
            "--expectations",
            &baseline.to_string_lossy(),
            "--inject",
            "drop-sticky-section",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(outcome(&known, BROKEN), "expected_failure");
    // …and a fixed server turns its entries into unexpected passes.
    let clean = work.path().join("clean");
    let out = run_selected(
        &clean,
        &["--expectations", &baseline.to_string_lossy()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(outcome(&clean, BROKEN), "unexpected_pass");

    // Compare: the clean run against the broken one is a regression of S-13.
    let out = mscheck()
        .arg("compare")
        .arg(&clean)
        .arg(&faulty)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("Regressions (requirements):") && t.contains("S-13"),
        "{t}"
    );

    // report.html in headless Chromium: the matrix, a failure, the filter, a screenshot.
    let html = faulty.join("report.html");
    let page = std::fs::read_to_string(&html).unwrap();
    for needle in ["http://", "https://", "<link", "src=\""] {
        assert!(
            !page.contains(needle),
            "report.html refers outside itself: {needle}"
        );
    }
    let url = format!("file://{}#filter=fail", html.display());
    let dom = chromium(work.path(), &["--dump-dom", &url]);
    assert!(
        dom.contains("id=\"matrix\""),
        "no matrix in the rendered page"
    );
    assert!(
        dom.contains("class=\"failure\""),
        "no failure in the rendered page"
    );
    assert!(dom.contains(BROKEN));
    // The filter ran: passing rows are hidden, failing ones shown.
    assert!(
        dom.contains("data-status=\"pass\" class=\"pass\" style=\"display: none;\""),
        "the filter did not hide passing rows"
    );
    assert!(dom.contains("data-status=\"fail\" class=\"fail\""));
    assert!(!dom.contains("data-status=\"fail\" class=\"fail\" style=\"display: none;\""));
    let shot = work.path().join("report.png");
    chromium(
        work.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
            &format!("file://{}", html.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    if let Ok(keep) = std::env::var("MSCHECK_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    // The run timeline is drawn inline: one bar per scenario that ran.
    assert!(dom.contains("id=\"timeline\""), "no run timeline");
    assert!(dom.contains("aria-label=\"run timeline\""));

    // The matrix of the clean and the faulty run, rendered the same way.
    let matrix = work.path().join("matrix");
    let out = mscheck()
        .arg("matrix")
        .arg(&clean)
        .arg(&faulty)
        .arg("--out")
        .arg(&matrix)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let md = std::fs::read_to_string(matrix.join("matrix.md")).unwrap();
    assert!(
        md.contains("◆ S-13"),
        "S-13 differs between the runs:\n{md}"
    );
    let page = std::fs::read_to_string(matrix.join("matrix.html")).unwrap();
    for needle in ["http://", "https://", "<link", "src=\"", "<script"] {
        assert!(
            !page.contains(needle),
            "matrix.html refers outside itself: {needle}"
        );
    }
    let url = format!("file://{}", matrix.join("matrix.html").display());
    let dom = chromium(work.path(), &["--dump-dom", &url]);
    assert!(dom.contains("<tr class=\"differs\" id=\"S-13\">"), "{dom}");
    assert!(
        dom.contains("id=\"differ\""),
        "the 'rows that differ' filter"
    );
    let shot = work.path().join("matrix.png");
    chromium(
        work.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,900",
            &url,
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot of the matrix");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
}

/// Debian's Chromium, headless, with a fresh profile and no background traffic.
fn chromium(work: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir_in(work).unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium is installed (.ci/run installs Debian's chromium)");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn the_installed_binary_runs_from_an_empty_folder() {
    let _g = ONE_SYNAPSE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let bin: PathBuf = dir.path().join("mscheck");
    std::fs::copy(env!("CARGO_BIN_EXE_mscheck"), &bin).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let go = |args: &[&str]| {
        Command::new(&bin)
            .args(args)
            .current_dir(cwd.path())
            .env("CI", "1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = go(&["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("msc4354-sticky-events/sticky-section-timeline-limit-1"));

    let out = go(&["run", "--filter", "versions-advertises-sticky-events"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(cwd.path().join("mscheck-report/results.json").exists());

    let out = go(&["suites", "export", "exported"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for f in [
        "suites/requirements.yaml",
        "fixtures/faults.yaml",
        "fixtures/synapse/homeserver.yaml",
    ] {
        let a = std::fs::read(cwd.path().join("exported").join(f)).unwrap();
        let b = std::fs::read(root().join(f)).unwrap();
        assert_eq!(a, b, "{f} exported as built in");
    }
    // The schema the scenarios' yaml-language-server comments point at comes along.
    let schema = std::fs::read(cwd.path().join("exported/docs/scenario.schema.json")).unwrap();
    assert_eq!(
        schema,
        std::fs::read(root().join("docs/scenario.schema.json")).unwrap()
    );
    // Files on disk win: an edited copy in the current folder is what runs.
    let edited = cwd
        .path()
        .join("exported/suites/msc4354-sticky-events/versions-advertises-sticky-events.yaml");
    let original = std::fs::read_to_string(&edited).unwrap();
    let title = original
        .lines()
        .find(|l| l.starts_with("name: "))
        .expect("a name line")
        .to_string();
    std::fs::write(
        &edited,
        original.replacen(&title, "name: an edited title only the copy on disk has", 1),
    )
    .unwrap();
    let out = Command::new(&bin)
        .args(["list", "--filter", "versions-advertises-sticky-events"])
        .current_dir(cwd.path().join("exported"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("an edited title only the copy on disk has"),
        "{}",
        text(&out)
    );
    // Exporting again keeps the edited file, and says so by name.
    let out = go(&["suites", "export", "exported"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("wrote 0 files")
            && text(&out).contains("kept 1 files that differ from the built-in copy")
            && text(&out)
                .contains("suites/msc4354-sticky-events/versions-advertises-sticky-events.yaml"),
        "{}",
        text(&out)
    );
}
