//! The terminal view: a progress bar on a TTY (plain lines otherwise), one line per finished
//! scenario, failure details, and a per-proposal summary. Colour only on a TTY without NO_COLOR.

use super::Reporter;
use crate::catalogue::{Proposal, Revision};
use crate::report::words::Label;
use crate::results::{Absence, Outcome, RunStats, ScenarioResult, TargetInfo};
use crate::runner::events::{EventKind, RunEvent};
use crate::units::human_duration;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Writes to stderr (progress) and stdout (results).
pub struct Console {
    bar: Option<ProgressBar>,
    color: bool,
    results: Vec<ScenarioResult>,
    report_dir: String,
    verbose: bool,
}

impl Console {
    /// A console reporter; `report_dir` is shown in failure details.
    pub fn new(report_dir: &std::path::Path, verbose: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let color = tty && std::env::var_os("NO_COLOR").is_none();
        Console {
            bar: None,
            color,
            results: Vec::new(),
            report_dir: report_dir.display().to_string(),
            verbose,
        }
    }

    /// Counts a finished scenario in the per-proposal summary without printing it (`mscheck show
    /// --failed` hides the ones that passed, but the summary counts every scenario of the run).
    pub fn count_only(&mut self, result: &ScenarioResult) {
        self.results.push(result.clone());
    }

    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(b) => b.println(text),
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{text}");
            }
        }
    }

    fn label(&self, o: Outcome) -> String {
        let code = match o {
            Outcome::Passed => "32",
            Outcome::Failed | Outcome::Errored | Outcome::NotImplemented => "31;1",
            Outcome::Skipped => "33",
            Outcome::ExpectedFailure => "36",
            Outcome::UnexpectedPass => "35;1",
            Outcome::Warned => "33;1",
        };
        self.paint(&format!("{:>5}", o.label()), code)
    }

    fn details(&self, r: &ScenarioResult) -> String {
        let base = format!("{}/", self.report_dir);
        super::failure::lines(r, &base)
            .into_iter()
            .map(|l| format!("        {l}\n"))
            .collect()
    }
}

impl Reporter for Console {
    fn event(&mut self, ev: &RunEvent) {
        match &ev.kind {
            EventKind::RunStarted {
                planned, revisions, ..
            } => self.run_started(*planned, revisions),
            EventKind::Progress { message } => match &self.bar {
                Some(b) => b.set_message(message.clone()),
                None => eprintln!("mscheck: {message}"),
            },
            EventKind::ProposalAbsent { absence } => self.proposal_absent(absence),
            EventKind::TargetReady { target } => self.target_ready(target),
            EventKind::ScenarioStarted { id } => {
                if let Some(b) = &self.bar {
                    b.set_message(id.clone());
                }
            }
            EventKind::StepFinished { .. } => {}
            EventKind::ScenarioFinished { result, .. } => self.scenario_finished(result),
            EventKind::RunFinished { stats } => self.run_finished(stats),
        }
    }
}

impl Console {
    /// The plan, and a progress bar when stderr is a terminal.
    fn run_started(&mut self, planned: usize, revisions: &BTreeMap<Proposal, Revision>) {
        let revs: Vec<String> = revisions.iter().map(|(p, r)| format!("{p}={r}")).collect();
        self.line(&format!(
            "mscheck: {planned} scenarios ({})",
            revs.join(", ")
        ));
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(planned as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}")
                    .expect("static template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            self.bar = Some(bar);
        }
    }

    /// One finding instead of a failure per scenario: the scenarios are counted, not listed
    /// (results.json and junit.xml list them).
    fn proposal_absent(&mut self, absence: &Absence) {
        let known = match &absence.known {
            Some(reason) => format!(" (expected: {reason})"),
            None => String::new(),
        };
        let word = if absence.known.is_some() {
            self.paint("ABSENT", "36")
        } else {
            self.paint("ABSENT", "31;1")
        };
        let taken = match absence.scenarios.len() {
            // Only some IDs of other proposals' scenarios are its: those steps end
            // "not implemented" when they fail.
            0 => "the steps judging its requirements in other scenarios end not implemented"
                .to_string(),
            n => format!("its {n} scenarios are not run"),
        };
        self.line(&format!("{word} {}; {taken}{known}", absence.finding()));
    }

    fn target_ready(&mut self, target: &TargetInfo) {
        self.line(&format!(
            "target {}: {} {} at {} ({}), {}",
            target.name,
            target.implementation,
            target.version,
            target.url,
            target.server_name,
            if target.managed {
                "managed".to_string()
            } else {
                format!("identified by {}", target.identified_by)
            }
        ));
    }

    /// A scenario's line, what it observed, its new snapshots, and its failure in full.
    fn scenario_finished(&mut self, result: &ScenarioResult) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        self.results.push(result.clone());
        // Part of a proposal's one finding, said once before the scenarios; counted below.
        if result.outcome == Outcome::NotImplemented
            || (result.outcome == Outcome::ExpectedFailure && result.failure.is_none())
        {
            return;
        }
        let mut line = format!(
            "{} {} ({})",
            self.label(result.outcome),
            result.id,
            human_duration(Duration::from_millis(result.duration_ms))
        );
        if let Some(reason) = &result.reason {
            line.push_str(&format!(": {reason}"));
        }
        self.line(&line);
        for o in &result.observations {
            self.line(&format!("      observed {}", o.display()));
        }
        for snap in &result.snapshots {
            if !snap.status.is_news() {
                continue;
            }
            self.line(&format!("      {}", snap.line()));
            if let Some(diff) = &snap.diff {
                self.line(diff.trim_end());
            }
        }
        if result.outcome.is_bad()
            || result.outcome == Outcome::Warned
            || (self.verbose && result.failure.is_some())
        {
            self.line(self.details(result).trim_end());
        } else if result.outcome == Outcome::ExpectedFailure {
            // The details (with these notes) are shown for failures only; an expected
            // failure still says when the checked text has since moved.
            for note in &result.spec_moved {
                self.line(&format!("      changed since the checked text: {note}"));
            }
        }
    }

    /// The counts per proposal, the verdict, snapshots, transcripts and where the reports are.
    fn run_finished(&mut self, stats: &RunStats) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        let mut by_proposal: std::collections::BTreeMap<String, RunStats> = Default::default();
        for r in &self.results {
            by_proposal
                .entry(r.group_title().to_string())
                .or_default()
                .add(r);
        }
        self.line("");
        for (p, c) in by_proposal {
            self.line(&format!("{p}: {}", c.counts()));
        }
        let verdict = if stats.success() {
            self.paint("PASSED", "32;1")
        } else {
            self.paint("FAILED", "31;1")
        };
        self.line(&format!(
            "{verdict}: {} in {}",
            stats.counts(),
            human_duration(Duration::from_millis(stats.duration_ms))
        ));
        if let Some(counts) = stats.snapshots.sentence() {
            // Snapshots sit beside the verdict: they record how this implementation
            // answers and decide nothing unless `--snapshots strict` is given.
            let strict = if stats.snapshots_strict && stats.snapshots.changed > 0 {
                " (--snapshots strict: changed snapshots fail the run)"
            } else {
                ""
            };
            self.line(&format!("snapshots: {counts}{strict}"));
        }
        if let Some(note) = stats.transcripts_note() {
            self.line(&format!("transcripts: {note}"));
        }
        if stats.unexpected_passes > 0 {
            self.line("hint: unexpected passes mean the expectations file is out of date; remove those entries");
        }
        self.line(&format!("reports: {}", self.report_dir));
    }
}
