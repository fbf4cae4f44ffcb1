//! Committed files generated from the code that is their truth: the README's flag table of
//! `run` (from clap) and docs/steps.md (from the step kinds' table and decoders). Regenerate
//! with `UPDATE_GOLDEN=1 cargo test --test generated_docs`.

mod common;

use common::{root, run};

fn check(path: &str, current: &str, what: &str) {
    let p = root().join(path);
    let committed = std::fs::read_to_string(&p).unwrap_or_default();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&p, current).unwrap();
        return;
    }
    assert!(
        committed == current,
        "{what} in {path} is stale: UPDATE_GOLDEN=1 cargo test --test generated_docs"
    );
}

#[test]
fn the_step_reference_is_current_and_is_what_mscheck_steps_prints() {
    let out = run(&["steps"]);
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed, mscheck::cli::reference::steps_reference());
    // Every kind is there with its summary, read from the kinds table.
    for kind in mscheck::steps::KINDS {
        assert!(printed.contains(&format!("## `{}`\n\n{}", kind.name, kind.summary)));
    }
    check(
        mscheck::cli::reference::STEPS_FILE,
        &printed,
        "the step reference",
    );
}

#[test]
fn the_readme_flag_table_of_run_is_current() {
    const START: &str = "<!-- flags of run: generated from clap, do not edit -->\n";
    const END: &str = "<!-- flags of run end -->";
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let a = readme.find(START).expect("the table's start marker") + START.len();
    let b = a + readme[a..].find(END).expect("the table's end marker");
    let table = mscheck::cli::reference::flag_table("run");
    assert!(table.contains("| `--report-dir DIR` |"), "{table}");
    let current = format!("{}{table}{}", &readme[..a], &readme[b..]);
    check("README.md", &current, "the flag table of `run`");
}
