//! `matrix.html`: the compatibility matrix as one self-contained page (no script, style or font
//! from the network). A cell that did not pass opens on click to list the scenarios behind it and
//! their failure messages (also on hover); a checkbox keeps only the rows where the runs differ,
//! with CSS alone.

use super::matrix::{Cell, Matrix};
use crate::escape::escape_html as esc;
use crate::report::words::Label;
use std::fmt::Write;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f23}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.req{max-width:38em}
.pass,.unexpected_pass{background:#e6ffed}.fail,.error,.not_implemented,.not_reached{background:#ffeef0}
.expected_failure{background:#fff8c5}.warning{background:#fff1e0}.skip,.not_run,.not_testable,.uncovered,.absent{color:#6a737d}
details summary{cursor:pointer}details ul{margin:.3em 0;padding-left:1.2em;max-width:28em}
#differ:checked~section tr.same{display:none}
label{user-select:none}
td span{white-space:nowrap}
";

/// The page.
pub fn render(m: &Matrix) -> String {
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mscheck compatibility matrix</title><style>{STYLE}</style></head><body>\n<h1>mscheck compatibility matrix</h1>\n"
    );
    h.push_str("<table><tr><th>#</th><th>server</th><th>revision</th><th>date</th><th>run</th><th>from</th></tr>\n");
    for (i, c) in m.columns.iter().enumerate() {
        let faults = if c.faults.is_empty() {
            String::new()
        } else {
            format!(" (faults injected: {})", esc(&c.faults.join(", ")))
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}{faults}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            i + 1,
            esc(&c.server),
            esc(&c.revision),
            esc(c.date.as_deref().unwrap_or("—")),
            esc(&c.verdict),
            esc(&c.source.display().to_string())
        );
    }
    h.push_str("</table>\n<h2>Roll-up</h2>\n<table><tr><th>proposal</th>");
    header_cells(&mut h, m);
    for g in m.groups() {
        let _ = write!(h, "<tr><td>{}</td>", esc(g));
        for i in 0..m.columns.len() {
            let [p, f, x, o] = m.rollup(g, i);
            let _ = write!(
                h,
                "<td><span class=\"pass\">{p} pass</span> · <span class=\"fail\">{f} fail</span> · <span class=\"expected_failure\">{x} expected</span> · <span class=\"not_run\">{o} other</span></td>"
            );
        }
        h.push_str("</tr>\n");
    }
    let differing = m.rows.iter().filter(|r| r.differs()).count();
    let _ = writeln!(
        h,
        "</table>\n<input type=\"checkbox\" id=\"differ\"> <label for=\"differ\">only the {differing} of {} requirements where the runs differ</label>",
        m.rows.len()
    );
    for g in m.groups() {
        let _ = write!(
            h,
            "<section>\n<h2>{}</h2>\n<table><tr><th>requirement</th>",
            esc(g)
        );
        header_cells(&mut h, m);
        for r in m.rows.iter().filter(|r| r.group == g) {
            let _ = write!(
                h,
                "<tr class=\"{}\" id=\"{}\"><td class=\"req\"><b>{}</b> {} — {}</td>",
                if r.differs() { "differs" } else { "same" },
                esc(&r.id),
                esc(&r.id),
                r.strength,
                esc(&r.summary)
            );
            for c in &r.cells {
                cell(&mut h, c);
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n</section>\n");
    }
    h.push_str("</body></html>\n");
    h
}

fn header_cells(h: &mut String, m: &Matrix) {
    for (i, c) in m.columns.iter().enumerate() {
        let _ = write!(
            h,
            "<th>{} {}<br><small>{}</small></th>",
            i + 1,
            esc(&c.server),
            esc(&c.revision)
        );
    }
    h.push_str("</tr>\n");
}

fn cell(h: &mut String, c: &Cell) {
    let Some(status) = c.status else {
        h.push_str(
            "<td class=\"absent\" title=\"not a requirement of this run's revision\">—</td>",
        );
        return;
    };
    let label = status.label();
    if c.culprits.is_empty() {
        let _ = write!(h, "<td class=\"{status}\">{label}</td>");
        return;
    }
    let title: Vec<String> = c
        .culprits
        .iter()
        .map(|k| format!("{} ({})", k.scenario, k.verdict))
        .collect();
    let _ = write!(
        h,
        "<td class=\"{status}\" title=\"{}\"><details><summary>{label}</summary><ul>",
        esc(&title.join("; "))
    );
    for k in &c.culprits {
        let _ = write!(
            h,
            "<li><code>{}</code> {}{}</li>",
            esc(&k.scenario),
            k.verdict.label(),
            if k.message.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&k.message))
            }
        );
    }
    h.push_str("</ul></details></td>");
}
