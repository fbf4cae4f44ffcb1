//! `report.html`: the whole report in one self-contained file (no network, no external script or
//! style sheet): the compliance matrix per proposal with a filter by result, every failure with
//! its source line, expected and actual JSON, the observations, the charts ([`super::charts`]:
//! lifetimes, retry schedules, the run timeline), timings, and each scenario's transcript folded
//! away.

use crate::report::words::Label;
use crate::results::rollup::{RequirementStatus, Status};
use crate::results::RunReport;
use crate::results::{Outcome, ScenarioResult};
use std::fmt::Write;
use std::path::Path;

/// How much of one scenario's transcript the page carries; the full one is in `transcripts/`.
const TRANSCRIPT_BYTES: usize = 4_000;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f23;max-width:1200px}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.pass{background:#e6ffed}.fail,.error{background:#ffeef0}.expected_failure{background:#fff8c5}.warning,.warned{background:#fff1e0}
.unexpected_pass{background:#fff1e5}.skip,.not_run,.not_testable,.uncovered{color:#6a737d}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.filters button{margin:0 4px 4px 0;padding:4px 10px;border:1px solid #ccc;background:#fff;cursor:pointer}
.filters button.on{background:#0366d6;color:#fff}
.verdict-PASSED{color:#22863a}.verdict-FAILED{color:#cb2431}
code{background:#f3f4f6;padding:0 3px}
";

/// Shows only the matrix rows whose result matches the pressed button.
const SCRIPT: &str = "
function show(status){
  document.querySelectorAll('.filters button').forEach(function(b){b.classList.toggle('on',b.dataset.status===status)});
  document.querySelectorAll('tr[data-status]').forEach(function(r){
    r.style.display=(status==='all'||r.dataset.status===status)?'':'none';
  });
}
// `report.html#filter=fail` opens the page filtered, for links from CI.
document.addEventListener('DOMContentLoaded',function(){
  var m=location.hash.match(/^#filter=([a-z_]+)$/);
  if(m){show(m[1]);}
});
";

pub(crate) use crate::escape::escape_html as esc;

/// The page for a run; transcripts are read from `dir` (the report folder) where present.
pub fn render(report: &RunReport, dir: &Path) -> String {
    let mut h = String::new();
    header(&mut h, report);
    matrix(&mut h, report);
    failures(&mut h, &report.scenarios);
    observations(&mut h, &report.scenarios);
    h.push_str(&super::charts::sections(
        &report.scenarios,
        report.stats.duration_ms,
    ));
    scenarios(&mut h, &report.scenarios, dir);
    h.push_str("</body></html>\n");
    h
}

/// The page's head, the servers, revisions, partition and faults, and the verdict.
fn header(h: &mut String, report: &RunReport) {
    let verdict = if report.stats.success() {
        "PASSED"
    } else {
        "FAILED"
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mscheck report</title><style>{STYLE}</style><script>{SCRIPT}</script></head><body>\n<h1>mscheck compliance report</h1>\n<ul>"
    );
    for t in &report.targets {
        let _ = write!(
            h,
            "<li><b>{}</b>: {} {} (<code>{}</code>), {}</li>",
            esc(&t.name),
            esc(&t.implementation),
            esc(&t.version),
            esc(&t.server_name),
            if t.managed {
                "managed".to_string()
            } else {
                format!("identified by {}", esc(&t.identified_by))
            }
        );
    }
    for (p, r) in &report.revisions {
        let _ = write!(
            h,
            "<li><b>{}</b> at revision <code>{}</code> ({})</li>",
            esc(p.title()),
            r,
            esc(r.commit(*p))
        );
    }
    if let Some(p) = &report.partition {
        let _ = write!(h, "<li>partition <code>{}</code></li>", esc(p));
    }
    if !report.faults.is_empty() {
        let _ = write!(
            h,
            "<li>injected faults: <code>{}</code></li>",
            esc(&report.faults.join(", "))
        );
    }
    let _ = write!(
        h,
        "</ul>\n<p id=\"verdict\" class=\"verdict-{verdict}\"><b>{verdict}</b>: {} in {:.1} s</p>\n",
        esc(&report.stats.counts()),
        report.stats.duration_ms as f64 / 1000.0
    );
}

/// The compliance matrix: a filter by result, a verdict per proposal, absent proposals, and a
/// table per proposal with a row per requirement.
fn matrix(h: &mut String, report: &RunReport) {
    h.push_str("<h2 id=\"matrix\">Compliance matrix</h2>\n<div class=\"filters\">");
    let filters = [
        Status::Pass,
        Status::Fail,
        Status::Error,
        Status::NotImplemented,
        Status::ExpectedFailure,
        Status::UnexpectedPass,
        Status::Skip,
        Status::NotRun,
        Status::NotReached,
        Status::Uncovered,
    ]
    .map(|s| (s.word(), s.label().to_lowercase()));
    for (status, label) in std::iter::once(("all", "all".to_string())).chain(filters) {
        let n = report
            .requirements
            .iter()
            .filter(|r| status == "all" || r.status.word() == status)
            .count();
        let _ = write!(
            h,
            "<button data-status=\"{status}\" class=\"{}\" onclick=\"show('{status}')\">{label} ({n})</button>",
            if status == "all" { "on" } else { "" }
        );
    }
    h.push_str("</div>\n");
    let groups = crate::results::rollup::by_group(&report.requirements);
    h.push_str("<table class=\"verdicts\"><tr><th>proposal</th><th>pass</th><th>fail</th><th>expected failures</th><th>not run</th><th>verdict</th></tr>\n");
    for (group, rows) in &groups {
        let v = crate::results::rollup::GroupVerdict::of(rows);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(group),
            v.pass,
            v.fail,
            v.expected,
            v.other + v.absent,
            v.word()
        );
    }
    h.push_str("</table>\n");
    for a in &report.stats.absent {
        let _ = writeln!(
            h,
            "<p class=\"absent\"><b>{} is not implemented</b>: {}; its {} scenarios were not run{}.</p>",
            esc(&a.group),
            esc(&a.why),
            a.scenarios.len(),
            a.known
                .as_ref()
                .map(|k| format!(" (expected: {})", esc(k)))
                .unwrap_or_default()
        );
    }
    for (group, rows) in groups {
        requirement_table(h, group, rows);
    }
}

fn requirement_table(h: &mut String, group: &str, rows: Vec<&RequirementStatus>) {
    let _ = write!(
            h,
            "<h3>{}</h3>\n<table class=\"matrix\"><tr><th>ID</th><th>strength</th><th>requirement</th><th>result</th><th>scenarios</th></tr>\n",
            esc(group)
        );
    for r in rows {
        let scenarios: Vec<String> = r
            .scenarios
            .iter()
            .map(|(id, o)| format!("<a href=\"#{}\">{}</a> {}", anchor(id), esc(id), o.label()))
            .collect();
        let inferred = r
            .inferred
            .as_ref()
            .map(|why| format!(" <em>(inferred: {})</em>", esc(why)))
            .unwrap_or_default();
        let inferred = match &r.merged {
            Some(what) => format!(
                "{inferred} <em class=\"moved\">(changed since the checked text: {})</em>",
                esc(what)
            ),
            None => inferred,
        };
        let _ = writeln!(
                h,
                "<tr data-status=\"{s}\" class=\"{s}\"><td>{}</td><td>{}</td><td>{}{inferred}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                r.strength,
                esc(&r.summary),
                r.status.label(),
                scenarios.join("<br>"),
                s = r.status.word(),
            );
    }
    h.push_str("</table>\n");
}

/// Every scenario that did not simply pass: its source line, message, request, expected and
/// actual JSON.
fn failures(h: &mut String, scenarios: &[ScenarioResult]) {
    let bad: Vec<&ScenarioResult> = scenarios
        .iter()
        .filter(|r| {
            r.outcome.is_bad() || matches!(r.outcome, Outcome::ExpectedFailure | Outcome::Warned)
        })
        .collect();
    if !bad.is_empty() {
        h.push_str("<h2 id=\"failures\">Failures</h2>\n");
        for r in bad {
            let _ = write!(
                h,
                "<div class=\"failure\"><h3>{} <code>{}</code></h3>",
                r.outcome.label(),
                esc(&r.id)
            );
            if let Some(reason) = &r.reason {
                let _ = write!(h, "<p>Known: {}</p>", esc(reason));
            }
            if let Some(f) = &r.failure {
                let _ = write!(
                    h,
                    "<p><code>{}:{}:{}</code> step <code>{}</code>: <span class=\"kind\">{}</span></p>",
                    esc(&r.file),
                    f.pos.line,
                    f.pos.column,
                    esc(&f.step),
                    crate::report::words::failure_kind(f)
                );
                if let Some(src) = &f.source {
                    let _ = write!(h, "<pre class=\"source\">{}</pre>", esc(src));
                }
                let _ = write!(h, "<pre class=\"message\">{}</pre>", esc(&f.message));
                if let Some(req) = &f.request {
                    let _ = write!(
                        h,
                        "<p>request: <code>{}</code> → {}</p>",
                        esc(req),
                        f.status.map(|s| s.to_string()).unwrap_or_default()
                    );
                }
                if let Some(e) = &f.expected {
                    let _ = write!(h, "<p>expected</p><pre class=\"expected\">{}</pre>", esc(e));
                }
                if let Some(a) = &f.actual {
                    let _ = write!(h, "<p>actual</p><pre class=\"actual\">{}</pre>", esc(a));
                }
            }
            h.push_str("</div>\n");
        }
    }
}

/// What the server did where the text allows several behaviours.
fn observations(h: &mut String, scenarios: &[ScenarioResult]) {
    let observed: Vec<&ScenarioResult> = scenarios
        .iter()
        .filter(|r| !r.observations.is_empty())
        .collect();
    if !observed.is_empty() {
        h.push_str("<h2 id=\"observations\">Observed behaviour</h2>\n<table><tr><th>scenario</th><th>step</th><th>observed</th></tr>\n");
        for r in observed {
            for o in &r.observations {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    esc(&r.id),
                    esc(&o.step),
                    esc(&o.display())
                );
            }
        }
        h.push_str("</table>\n");
    }
}

/// Scenarios and timings, slowest first, each with its transcript folded away.
fn scenarios(h: &mut String, scenarios: &[ScenarioResult], dir: &Path) {
    let mut by_time: Vec<&ScenarioResult> = scenarios.iter().collect();
    by_time.sort_by(|a, b| b.duration_ms.cmp(&a.duration_ms).then(a.id.cmp(&b.id)));
    h.push_str("<h2 id=\"scenarios\">Scenarios and timings</h2>\n<table><tr><th>scenario</th><th>result</th><th>time</th><th>transcript</th></tr>\n");
    for r in by_time {
        let transcript = r.transcript.as_ref().and_then(|t| {
            std::fs::read_to_string(dir.join(t))
                .ok()
                .map(|text| (t, text))
        });
        let folded = match transcript {
            Some((path, text)) if !text.is_empty() => {
                let shown = if text.len() > TRANSCRIPT_BYTES {
                    let mut end = TRANSCRIPT_BYTES;
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    format!("{}\n… (cut; the whole transcript is {path})", &text[..end])
                } else {
                    text
                };
                format!(
                    "<details><summary>{}</summary><pre>{}</pre></details>",
                    esc(path),
                    esc(&shown)
                )
            }
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr id=\"{}\"><td>{}<br><small>{}</small></td><td>{}{}</td><td>{:.1} s</td><td>{}</td></tr>",
            anchor(&r.id),
            esc(&r.id),
            esc(&r.name),
            r.outcome.label(),
            r.reason
                .as_ref()
                .map(|x| format!("<br><small>{}</small>", esc(x)))
                .unwrap_or_default(),
            r.duration_ms as f64 / 1000.0,
            folded
        );
    }
    h.push_str("</table>\n");
}

fn anchor(id: &str) -> String {
    format!("s-{}", id.replace(['/', '.'], "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
