//! One rendering of a failure, shared by the terminal, JUnit and summary.md: where the failing
//! step is written and what kind of problem it was (a check, transport, the harness), its source line with a caret, the message, the request, expected and actual
//! (or the body), and the transcript.

use crate::results::ScenarioResult;

/// The failure's lines (no trailing newline each), or none when the scenario did not fail.
/// `transcript_base` is prefixed to the transcript's path (the report folder on the terminal,
/// nothing in files that live in the report folder).
pub fn lines(r: &ScenarioResult, transcript_base: &str) -> Vec<String> {
    let Some(f) = &r.failure else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "--> {}:{}:{} (step `{}`, {})",
        r.file,
        f.pos.line,
        f.pos.column,
        f.step,
        crate::report::words::failure_kind(f)
    )];
    if let Some(src) = &f.source {
        out.extend(src.lines().map(str::to_string));
    }
    out.extend(f.message.lines().map(str::to_string));
    if let Some(req) = &f.request {
        out.push(format!(
            "request: {req} -> {}",
            f.status
                .map(|x| x.to_string())
                .unwrap_or_else(|| "no response".into())
        ));
    }
    if let (Some(exp), Some(act)) = (&f.expected, &f.actual) {
        out.push(format!("expected: {exp}"));
        out.push(format!("actual:   {act}"));
    } else if let Some(body) = &f.body {
        out.push(format!("body: {body}"));
    }
    if let Some(t) = &r.transcript {
        out.push(format!("transcript: {transcript_base}{t}"));
    }
    // Checked against the newest text mscheck has; the merged proposal says otherwise here.
    for note in &r.spec_moved {
        out.push(format!("changed since the checked text: {note}"));
    }
    out
}

/// The lines joined, each ending in a newline.
pub fn text(r: &ScenarioResult, transcript_base: &str) -> String {
    lines(r, transcript_base)
        .into_iter()
        .map(|l| l + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::results::{Failure, FailureKind, Outcome, ScenarioResult};

    fn errored(kind: FailureKind) -> ScenarioResult {
        let mut r: ScenarioResult = serde_json::from_value(serde_json::json!({
            "id": "s/x", "suite": "s", "name": "x", "file": "suites/s/x.yaml", "covers": [],
            "proposal": "msc4140", "revision": "newest", "outcome": "errored", "reason": null,
            "failure": null, "steps": [], "duration_ms": 1, "transcript": null,
            "snapshots_written": [], "observations": []
        }))
        .unwrap();
        r.outcome = Outcome::Errored;
        r.failure = Some(Failure::error(
            kind,
            "step-2",
            Default::default(),
            "no answer".into(),
        ));
        r
    }

    #[test]
    fn the_kind_of_failure_reaches_the_text_junit_and_the_results() {
        let r = errored(FailureKind::Transport);
        assert!(super::lines(&r, "")[0].ends_with("(step `step-2`, transport error)"));
        let junit = crate::report::junit::render(std::slice::from_ref(&r), &Default::default());
        assert!(junit.contains("type=\"transport\""), "{junit}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["failure"]["kind"], "transport");
        assert_eq!(json["failure"]["is_check"], false);
        let r = errored(FailureKind::Harness);
        assert!(super::lines(&r, "")[0].ends_with("harness error)"));
    }
}
