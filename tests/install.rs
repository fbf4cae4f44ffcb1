//! What a homeserver CI installs and runs besides scenarios: `--version`, shell completions and
//! man pages (each checked by the tool that reads it, where that tool is installed).

mod common;

use common::{run, text};
use std::process::Command;

#[test]
fn the_version_names_the_proposal_texts_the_suites_check() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let v = text(&out);
    assert!(
        v.starts_with(&format!("mscheck {}", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    for commit in ["02f7686c", "b44ccaa4", "cd878d21", "3efecea1", "147a4a3f"] {
        assert!(v.contains(commit), "{commit} missing from {v}");
    }
}

/// Parses a completion script with its shell (`-n`: read, do not run), if the shell is here.
fn parsed_by(shell: &str, flag: &str, script: &str) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("completion");
    std::fs::write(&file, script).unwrap();
    let out = Command::new(shell).arg(flag).arg(&file).output().ok()?;
    Some(out.status.success())
}

#[test]
fn completions_are_generated_for_each_shell_and_parse() {
    for (shell, flag) in [("bash", "-n"), ("zsh", "-n"), ("fish", "--no-execute")] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        // Commands and flags, and the built-in names offered for --suite and --target.
        for word in [
            "mscheck",
            "matrix",
            "compare",
            "report-dir",
            "revision",
            "msc4354-sticky-events",
            "synapse-postgres",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        if let Some(ok) = parsed_by(shell, flag, &script) {
            assert!(ok, "{shell} does not parse its completion script");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_pages_cover_every_command() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.contains(".TH mscheck 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("matrix"));
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    for cmd in [
        "run", "list", "compare", "merge", "baseline", "matrix", "schema",
    ] {
        let page = std::fs::read_to_string(dir.path().join(format!("mscheck-{cmd}.1")))
            .unwrap_or_else(|e| panic!("mscheck-{cmd}.1: {e}"));
        assert!(page.contains(".TH mscheck-"), "{cmd}");
    }
    // Every page a page refers to is written; the main page says how mscheck ends and what it
    // reads from the environment; the footer is the plain version.
    let main = std::fs::read_to_string(dir.path().join("mscheck.1")).unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for name in text.split("mscheck\\-").skip(1) {
            let Some(page) = name
                .split("(1)")
                .next()
                .filter(|p| !p.contains(char::is_whitespace))
                .map(|p| p.replace("\\-", "-"))
            else {
                continue;
            };
            assert!(
                dir.path().join(format!("mscheck-{page}.1")).exists(),
                "a page refers to mscheck-{page}(1), which is not written"
            );
        }
    }
    assert!(main.contains(".SH \"EXIT STATUS\"") && main.contains(".SH ENVIRONMENT"));
    assert!(main.contains("MSCHECK_SHARED_SECRET") && main.contains("\n130\n"));
    let title = main.lines().find(|l| l.starts_with(".TH")).unwrap();
    assert_eq!(
        title.trim_end(),
        format!(".TH mscheck 1  \"mscheck {}\"", env!("CARGO_PKG_VERSION"))
    );
    // `man` itself reads it, where it is installed.
    if let Ok(o) = Command::new("man")
        .arg("-l")
        .arg(dir.path().join("mscheck-run.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
    {
        if o.status.success() {
            assert!(String::from_utf8_lossy(&o.stdout).contains("--report-dir"));
        }
    }
}
