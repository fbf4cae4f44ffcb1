//! GitHub Actions conventions, on when `GITHUB_ACTIONS` is set: every failing or erroring
//! scenario becomes an `::error file=…,line=…::` workflow command (an annotation on the scenario
//! file's line), and `cli::run` appends `summary.md` to `$GITHUB_STEP_SUMMARY`.

use super::Reporter;
use crate::report::words::Label;
use crate::results::{Outcome, ScenarioResult};
use crate::runner::events::{EventKind, RunEvent};
use std::io::Write;

/// Prints workflow commands to standard output.
#[derive(Default)]
pub struct GithubAnnotations;

/// Escapes a workflow command's message (`%`, CR and LF are encoded) or property (also `:` and
/// `,`).
fn escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// The `::error` line for a failed scenario (`::warning` for a recommendation not met), if it
/// did not pass.
pub fn annotation(r: &ScenarioResult) -> Option<String> {
    let level = match r.outcome {
        Outcome::Warned => "warning",
        o if o.is_bad() => "error",
        _ => return None,
    };
    let f = r.failure.as_ref()?;
    let mut message = format!(
        "{} {} (step `{}`): {}",
        r.outcome.label(),
        r.id,
        f.step,
        f.message
    );
    if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
        message.push_str(&format!("\nexpected: {e}\nactual: {a}"));
    }
    Some(format!(
        "::{level} file={},line={},col={},title={}::{}",
        escape(&r.file, true),
        f.pos.line.max(1),
        f.pos.column.max(1),
        escape(&format!("mscheck {}", r.id), true),
        escape(&message, false)
    ))
}

impl Reporter for GithubAnnotations {
    fn event(&mut self, ev: &RunEvent) {
        if let EventKind::ScenarioFinished { result, .. } = &ev.kind {
            if let Some(line) = annotation(result) {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        assert_eq!(escape("a%b\nc", false), "a%25b%0Ac");
        assert_eq!(escape("x:y,z", true), "x%3Ay%2Cz");
    }
}
