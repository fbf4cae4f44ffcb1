//! `mscheck matrix`: several runs side by side, requirement by requirement. Rows are the
//! requirements of every run (grouped by the proposal they are reported under, MSC4480 apart),
//! columns the runs in the order given; each cell is the run's roll-up status for that ID, with the
//! scenarios that failed it. Rendered as Markdown here and as HTML in [`super::matrix_html`].

use crate::catalogue::{Proposal, Revision};
use crate::results::rollup::{verdict_in, Status};
use crate::results::Outcome;
use crate::results::RunReport;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The most of one failure message a cell carries (the report folder has the rest).
const MESSAGE_CHARS: usize = 240;

/// One run: a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// `synapse 1.163.2`: hs1's implementation and version.
    pub server: String,
    /// `newest`, `seed`, or per proposal (`msc4354 seed, msc4140 newest`).
    pub revision: String,
    /// When it ran (`2026-12-05`), if the results say.
    pub date: Option<String>,
    /// Faults it ran with (`--inject`), which make it no server's real result.
    pub faults: Vec<String>,
    /// The file or folder it was read from.
    pub source: PathBuf,
    /// Scenario outcomes per report group (MSC4480 apart from MSC4354), for the counts table.
    pub outcomes: BTreeMap<String, BTreeMap<Outcome, usize>>,
    /// `PASSED` / `FAILED` and the wall time.
    pub verdict: String,
}

/// A covering scenario that did not pass, for a cell's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Culprit {
    /// Scenario id.
    pub scenario: String,
    /// What the scenario says of the requirement.
    pub verdict: Status,
    /// Its failure message (trimmed) or reason.
    pub message: String,
}

/// One requirement in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The run's status for the requirement; `None` when the run's revision has no such
    /// requirement.
    pub status: Option<Status>,
    /// The scenarios behind a status other than pass.
    pub culprits: Vec<Culprit>,
}

/// One requirement: a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `S-13`.
    pub id: String,
    /// The report group it is listed under.
    pub group: String,
    /// MUST, SHOULD, …
    pub strength: crate::catalogue::Strength,
    /// One line.
    pub summary: String,
    /// One per column.
    pub cells: Vec<Cell>,
}

impl Row {
    /// Whether the runs disagree about it (cells of runs whose revision lacks it left out).
    pub fn differs(&self) -> bool {
        let mut known = self.cells.iter().filter(|c| c.status.is_some());
        match known.next() {
            Some(first) => known.any(|c| c.status != first.status),
            None => false,
        }
    }
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The runs.
    pub columns: Vec<Column>,
    /// The requirements, by group (MSC4354, MSC4480, MSC4140), then by ID.
    pub rows: Vec<Row>,
}

impl Matrix {
    /// Builds it from runs read with [`RunReport::load`] (the path they came from, the report).
    pub fn build(runs: &[(PathBuf, RunReport)]) -> Matrix {
        let columns = runs.iter().map(|(p, r)| column(p, r)).collect();
        let mut rows: Vec<Row> = Vec::new();
        for (i, (_, run)) in runs.iter().enumerate() {
            for req in &run.requirements {
                let row = match rows.iter_mut().position(|r| r.id == req.id) {
                    Some(k) => &mut rows[k],
                    None => {
                        rows.push(Row {
                            id: req.id.clone(),
                            group: req.group_title().to_string(),
                            strength: req.strength,
                            summary: req.summary.clone(),
                            cells: vec![absent(); runs.len()],
                        });
                        rows.last_mut().expect("just pushed")
                    }
                };
                // A newest-revision run names the group the requirement is reported under now
                // (the sliding-sync extension moved to MSC4480).
                if run.revisions.get(&req.proposal) == Some(&Revision::Newest) {
                    row.group = req.group_title().to_string();
                }
                row.cells[i] = Cell {
                    status: Some(req.status),
                    culprits: culprits(run, &req.id, req.status),
                };
            }
        }
        rows.sort_by_key(|r| (group_rank(&r.group), id_key(&r.id)));
        Matrix { columns, rows }
    }

    /// The report groups in order.
    pub fn groups(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.group.as_str()) {
                out.push(&r.group);
            }
        }
        out
    }

    /// Per group and column: (passing, failing, expected failures, other) requirement counts.
    pub fn rollup(&self, group: &str, column: usize) -> [usize; 4] {
        let mut n = [0; 4];
        for r in self.rows.iter().filter(|r| r.group == group) {
            match r.cells[column].status {
                None => continue,
                Some(s) if s.is_pass() => n[0] += 1,
                Some(s) if s.is_failure() => n[1] += 1,
                Some(Status::ExpectedFailure) => n[2] += 1,
                Some(_) => n[3] += 1,
            }
        }
        n
    }

    /// `matrix.md`: roll-ups per group, then one table per group.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# mscheck compatibility matrix\n\n");
        for (i, c) in self.columns.iter().enumerate() {
            s.push_str(&format!(
                "{}. **{}**, revision {}{}{}: {} (`{}`)\n",
                i + 1,
                md(&c.server),
                c.revision,
                c.date
                    .as_deref()
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default(),
                if c.faults.is_empty() {
                    String::new()
                } else {
                    format!(", faults injected: {}", md(&c.faults.join(", ")))
                },
                c.verdict,
                md(&c.source.display().to_string())
            ));
        }
        let head = |first: &str| {
            let mut h = format!("| {first} |");
            let mut rule = String::from("|---|");
            for i in 0..self.columns.len() {
                h.push_str(&format!(" {} |", i + 1));
                rule.push_str("---|");
            }
            format!("{h}\n{rule}\n")
        };
        s.push_str("\n## Roll-up (requirements: passing / failing / expected failures / other: not reached, skipped, not run, client-only)\n\n");
        s.push_str(&head("proposal"));
        for g in self.groups() {
            s.push_str(&format!("| {g} |"));
            for i in 0..self.columns.len() {
                let [p, f, x, o] = self.rollup(g, i);
                s.push_str(&format!(" {p} / {f} / {x} / {o} |"));
            }
            s.push('\n');
        }
        let differing = self.rows.iter().filter(|r| r.differs()).count();
        s.push_str(&format!(
            "\n{differing} of {} requirements differ between the runs (marked ◆).\n",
            self.rows.len()
        ));
        for g in self.groups() {
            s.push_str(&format!("\n## {g}\n\n"));
            s.push_str(&head("requirement"));
            for r in self.rows.iter().filter(|r| r.group == g) {
                s.push_str(&format!(
                    "| {}{} {} — {} |",
                    if r.differs() { "◆ " } else { "" },
                    r.id,
                    r.strength,
                    md(&r.summary)
                ));
                for c in &r.cells {
                    s.push_str(&format!(" {} |", md_cell(c)));
                }
                s.push('\n');
            }
        }
        s
    }

    /// Scenario counts per run and proposal, as in the README's compatibility table.
    pub fn counts_table(&self) -> String {
        let mut s = String::from(
            "| server | revision | proposal | passed | failed | errors | skipped | expected failures | not implemented | run |\n|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for c in &self.columns {
            let mut groups: Vec<&String> = c.outcomes.keys().collect();
            groups.sort_by_key(|g| group_rank(g));
            for g in groups {
                let n = |o: Outcome| {
                    c.outcomes
                        .get(g)
                        .and_then(|m| m.get(&o))
                        .copied()
                        .unwrap_or(0)
                };
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    md(&c.server),
                    c.revision,
                    g,
                    n(Outcome::Passed) + n(Outcome::UnexpectedPass),
                    n(Outcome::Failed),
                    n(Outcome::Errored),
                    n(Outcome::Skipped),
                    n(Outcome::ExpectedFailure),
                    n(Outcome::NotImplemented),
                    c.verdict
                ));
            }
        }
        s
    }
}

fn absent() -> Cell {
    Cell {
        status: None,
        culprits: Vec::new(),
    }
}

fn column(path: &std::path::Path, r: &RunReport) -> Column {
    let server = match r.targets.first() {
        Some(t) => format!("{} {}", t.implementation, t.version),
        None => "no server".into(),
    };
    let revs: Vec<Revision> = r.revisions.values().copied().collect();
    let revision = if !revs.is_empty() && revs.iter().all(|v| *v == revs[0]) {
        revs[0].to_string()
    } else {
        r.revisions
            .iter()
            .map(|(p, v)| format!("{p} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut outcomes: BTreeMap<String, BTreeMap<Outcome, usize>> = BTreeMap::new();
    for s in &r.scenarios {
        let group = crate::catalogue::group_or_title(&s.group, s.proposal).to_string();
        *outcomes
            .entry(group)
            .or_default()
            .entry(s.outcome)
            .or_default() += 1;
    }
    let failed = r.stats.failed + r.stats.errored + r.stats.not_implemented > 0;
    Column {
        server: crate::escape::escape_control(&server),
        revision,
        date: r.started_at.as_ref().map(|t| t.chars().take(10).collect()),
        faults: r.faults.clone(),
        source: path.to_path_buf(),
        outcomes,
        verdict: format!(
            "{}, {:.0} s",
            if failed { "FAILED" } else { "PASSED" },
            r.stats.duration_ms as f64 / 1000.0
        ),
    }
}

/// The covering scenarios whose verdict on `id` is not a pass, when the cell is not one.
fn culprits(run: &RunReport, id: &str, status: Status) -> Vec<Culprit> {
    if status.is_pass() {
        return Vec::new();
    }
    run.scenarios
        .iter()
        .filter(|s| s.covers.iter().any(|c| c == id))
        .filter_map(|s| {
            let verdict = verdict_in(s, id);
            (verdict != Status::Pass).then(|| Culprit {
                scenario: s.id.clone(),
                verdict,
                message: crate::text::trim_text(
                    &crate::escape::escape_control(
                        s.failure
                            .as_ref()
                            .map(|f| f.message.as_str())
                            .or(s.reason.as_deref())
                            .unwrap_or_default(),
                    ),
                    MESSAGE_CHARS,
                ),
            })
        })
        .collect()
}

fn group_rank(group: &str) -> usize {
    let titles = [
        Proposal::Msc4354.title(),
        crate::catalogue::moved_title("msc4480").unwrap_or_default(),
        Proposal::Msc4140.title(),
    ];
    titles
        .iter()
        .position(|t| *t == group)
        .unwrap_or(titles.len())
}

/// `S-07` before `S-50` before `S-101`.
fn id_key(id: &str) -> (String, u32) {
    let (prefix, n) = id.rsplit_once('-').unwrap_or((id, ""));
    (prefix.to_string(), n.parse().unwrap_or(u32::MAX))
}

/// Text for a Markdown table cell: no line breaks, no column separators, no control characters.
fn md(s: &str) -> String {
    crate::escape::escape_control(s)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn md_cell(c: &Cell) -> String {
    let Some(status) = c.status else {
        return "—".into();
    };
    let label = crate::report::words::markdown(status);
    match c.culprits.first() {
        Some(first) if c.culprits.len() == 1 => format!("{label} ({})", md(&first.scenario)),
        Some(_) => format!("{label} ({} scenarios)", c.culprits.len()),
        None => label.to_string(),
    }
}

#[cfg(test)]
#[path = "matrix_tests.rs"]
mod tests;
