//! Charts for `report.html`, as inline SVG (no script, no font or style from the network): every
//! sampled lifetime, the federation retry schedules a scenario observed, and the run's timeline.
//! Each chart is a pure function of the results, snapshot-tested as text.

use crate::escape::escape_html as esc;
use crate::report::words::Label;
use crate::results::lifetime::Series;
use crate::results::{Outcome, ScenarioResult};
use serde_json::Value;
use std::fmt::Write;

/// Chart width in SVG units (the page scales it to fit).
const WIDTH: f64 = 720.0;
/// Left margin for the y axis labels.
const LEFT: f64 = 56.0;
/// Right margin.
const RIGHT: f64 = 16.0;

/// Observation labels a scenario gives the fake server's retry record (`fake_received` reports
/// them as `send_statuses` and `send_intervals_ms`) to have it drawn.
pub const RETRY_LABELS: (&str, &str) = ("send_statuses", "send_intervals_ms");

/// The charts sections of the page for a run's scenarios and wall time: lifetimes, retry
/// schedules, the run timeline (each only when the run has something to draw).
pub fn sections(scenarios: &[ScenarioResult], run_ms: u64) -> String {
    let mut h = String::new();
    let sampled: Vec<(&ScenarioResult, &Series)> = scenarios
        .iter()
        .flat_map(|r| r.series.iter().map(move |s| (r, s)))
        .collect();
    if !sampled.is_empty() {
        h.push_str("<h2 id=\"lifetimes\">Sampled lifetimes</h2>\n<p>Remaining lifetime the server reported (dots) against time since the first sample; the dashed line is what a server counting down to the declared end would report, the band the margin; the red line marks the first sample without the item.</p>\n");
        for (r, s) in sampled {
            let _ = writeln!(
                h,
                "<figure><figcaption><code>{}</code> step <code>{}</code>{}</figcaption>{}</figure>",
                esc(&r.id),
                esc(&s.step),
                s.problem
                    .as_ref()
                    .map(|p| format!(": <b>{}</b>", esc(p)))
                    .unwrap_or_default(),
                lifetime(s)
            );
        }
    }
    let retries: Vec<(&ScenarioResult, Vec<u16>, Vec<i64>)> = scenarios
        .iter()
        .filter_map(|r| retry_record(r).map(|(st, iv)| (r, st, iv)))
        .collect();
    if !retries.is_empty() {
        h.push_str("<h2 id=\"retries\">Federation retry schedules</h2>\n<p>Each transaction the fake server received from the homeserver, at the time it arrived, with the status the fake answered.</p>\n");
        for (r, statuses, intervals) in retries {
            let _ = writeln!(
                h,
                "<figure><figcaption><code>{}</code></figcaption>{}</figure>",
                esc(&r.id),
                retry_schedule(&statuses, &intervals)
            );
        }
    }
    if scenarios.iter().any(|r| r.timing.is_some()) {
        h.push_str("<h2 id=\"timeline\">Run timeline</h2>\n<p>One bar per scenario on the job slot it ran on (darker: booting its private servers). The outlined bars are the path to the end of the run: the scenario that finished last and those that ran before it on its slot.</p>\n");
        h.push_str(&timeline(scenarios, run_ms));
    }
    h
}

/// The statuses and intervals a scenario observed under [`RETRY_LABELS`], if it did.
fn retry_record(r: &ScenarioResult) -> Option<(Vec<u16>, Vec<i64>)> {
    let find = |label: &str| {
        r.observations
            .iter()
            .find(|o| o.label == label)
            .and_then(|o| o.value.as_ref())
            .and_then(Value::as_array)
    };
    let statuses: Vec<u16> = find(RETRY_LABELS.0)?
        .iter()
        .filter_map(|v| v.as_u64().and_then(|n| u16::try_from(n).ok()))
        .collect();
    let intervals: Vec<i64> = find(RETRY_LABELS.1)?
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    (!statuses.is_empty()).then_some((statuses, intervals))
}

/// A linear map from data to SVG units.
#[derive(Debug, Clone, Copy)]
struct Scale {
    from: (f64, f64),
    to: (f64, f64),
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        let span = (self.from.1 - self.from.0).max(1.0);
        self.to.0 + (v - self.from.0) / span * (self.to.1 - self.to.0)
    }
}

/// Round tick steps for an axis of `span` milliseconds (about six ticks).
fn tick_ms(span: f64) -> f64 {
    let raw = (span / 6.0).max(1.0);
    let mut step = 1.0;
    for s in [
        1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 3e4, 6e4,
        12e4, 3e5, 6e5, 12e5,
    ] {
        step = s;
        if s >= raw {
            break;
        }
    }
    step
}

fn secs(ms: f64) -> String {
    let s = ms / 1000.0;
    if (s - s.round()).abs() < 1e-9 {
        format!("{s:.0}s")
    } else {
        format!("{s:.1}s")
    }
}

/// Opens an inline SVG (inside HTML it needs no namespace, and the page names no address).
fn svg_open(h: &mut String, height: f64, label: &str) {
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">",
        esc(label)
    );
}

/// An x axis of milliseconds along `y`, with ticks and labels.
fn x_axis(h: &mut String, x: Scale, y: f64, span_ms: f64) {
    let _ = write!(
        h,
        "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#888\"/>",
        x.to.0, x.to.1
    );
    let step = tick_ms(span_ms);
    let mut t = (x.from.0 / step).ceil() * step;
    while t <= x.from.1 + 1e-6 {
        let px = x.at(t);
        let _ = write!(
            h,
            "<line x1=\"{px:.1}\" y1=\"{y:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#888\"/><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            y + 4.0,
            y + 15.0,
            secs(t)
        );
        t += step;
    }
}

/// One sampled lifetime: remaining lifetime against elapsed time.
pub fn lifetime(s: &Series) -> String {
    let height = 220.0;
    let (top, bottom) = (12.0, height - 40.0);
    let last = s.samples.iter().map(|p| p.received_ms).max().unwrap_or(0);
    let end_hi = s.ends.map(|(_, b)| b + s.margin_ms).unwrap_or(0);
    let x_max = last.max(end_hi).max(1000) as f64;
    let y_max = s
        .samples
        .iter()
        .filter_map(|p| p.remaining_ms)
        .chain(s.ends.map(|(_, b)| b))
        .max()
        .unwrap_or(1000)
        .max(1000) as f64
        * 1.05;
    let x = Scale {
        from: (0.0, x_max),
        to: (LEFT, WIDTH - RIGHT),
    };
    let y = Scale {
        from: (0.0, y_max),
        to: (bottom, top),
    };
    let mut h = String::new();
    svg_open(&mut h, height, &format!("lifetime of step {}", s.step));
    remaining_axis(&mut h, y, y_max, top, bottom);
    if let Some(ends) = s.ends {
        declared_end(&mut h, ends, s.margin_ms, x, y, (top, bottom));
    }
    sample_marks(&mut h, s, x, y, (top, bottom));
    x_axis(&mut h, x, bottom, x_max);
    let _ = write!(
        h,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">time since the first sample</text></svg>",
        (LEFT + WIDTH - RIGHT) / 2.0,
        height - 6.0
    );
    h
}

/// The y axis of a lifetime chart: remaining lifetime, in round steps.
fn remaining_axis(h: &mut String, y: Scale, y_max: f64, top: f64, bottom: f64) {
    // y axis: remaining lifetime.
    let step = tick_ms(y_max);
    let mut v = 0.0;
    while v <= y_max {
        let py = y.at(v);
        let _ = write!(
            h,
            "<line x1=\"{LEFT}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"#eee\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 4.0,
            py + 4.0,
            secs(v)
        );
        v += step;
    }
    let _ = write!(
        h,
        "<text x=\"4\" y=\"{:.1}\" fill=\"#555\" transform=\"rotate(-90 10 {:.1})\">left</text>",
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
}

/// The declared end `(a, b)` with its margin, and the countdown to it.
fn declared_end(
    h: &mut String,
    (a, b): (i64, i64),
    margin_ms: i64,
    x: Scale,
    y: Scale,
    (top, bottom): (f64, f64),
) {
    let m = margin_ms;
    // The declared end with its margin, and the countdown to it.
    let _ = write!(
        h,
        "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#0366d6\" fill-opacity=\"0.10\"><title>declared end {}–{} (margin {})</title></rect>",
        x.at((a - m).max(0) as f64),
        x.at((b + m) as f64) - x.at((a - m).max(0) as f64),
        bottom - top,
        secs(a as f64),
        secs(b as f64),
        secs(m as f64)
    );
    for end in [a, b] {
        let _ = write!(
            h,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#0366d6\" stroke-dasharray=\"4 3\"/>",
            x.at(0.0),
            y.at(end.max(0) as f64),
            x.at(end.max(0) as f64),
            y.at(0.0)
        );
    }
    let _ = write!(
        h,
        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#0366d6\">declared end</text>",
        x.at(b as f64) + 4.0,
        top + 10.0
    );
}

/// One mark per sample: its remaining lifetime, or delivered without one; where it was first
/// gone, a line.
fn sample_marks(h: &mut String, s: &Series, x: Scale, y: Scale, (top, bottom): (f64, f64)) {
    let mut gone_drawn = false;
    for p in &s.samples {
        let px = x.at(p.sent_ms as f64);
        match (p.present, p.remaining_ms) {
            (true, Some(r)) => {
                let _ = write!(
                    h,
                    "<circle cx=\"{px:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#22863a\"><title>+{} : {} left</title></circle>",
                    y.at(r as f64),
                    secs(p.sent_ms as f64),
                    secs(r as f64)
                );
            }
            (true, None) => {
                let _ = write!(
                    h,
                    "<circle cx=\"{px:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"none\" stroke=\"#22863a\"><title>+{} : delivered, no remaining value</title></circle>",
                    bottom - 6.0,
                    secs(p.sent_ms as f64)
                );
            }
            (false, _) if !gone_drawn => {
                gone_drawn = true;
                let gx = x.at(p.received_ms as f64);
                let _ = write!(
                    h,
                    "<line x1=\"{gx:.1}\" y1=\"{top}\" x2=\"{gx:.1}\" y2=\"{bottom}\" stroke=\"#cb2431\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#cb2431\" text-anchor=\"end\">gone by +{}</text>",
                    gx - 4.0,
                    top + 24.0,
                    secs(p.received_ms as f64)
                );
            }
            (false, _) => {}
        }
    }
}

/// A retry schedule: one mark per transaction at the time it arrived, coloured by the answer.
pub fn retry_schedule(statuses: &[u16], intervals_ms: &[i64]) -> String {
    let height = 90.0;
    let line = 36.0;
    // The first transaction is at 0; each interval separates one from the next.
    let mut at = vec![0i64];
    for i in intervals_ms {
        at.push(at.last().copied().unwrap_or(0) + i);
    }
    let x_max = at.last().copied().unwrap_or(0).max(1000) as f64;
    let x = Scale {
        from: (0.0, x_max),
        to: (LEFT, WIDTH - RIGHT),
    };
    let mut h = String::new();
    svg_open(&mut h, height, "federation retry schedule");
    for (k, status) in statuses.iter().enumerate() {
        let Some(t) = at.get(k) else { break };
        let px = x.at(*t as f64);
        let colour = if (200..300).contains(status) {
            "#22863a"
        } else {
            "#cb2431"
        };
        // Status labels alternate in height so that close transactions stay readable.
        let _ = write!(
            h,
            "<circle cx=\"{px:.1}\" cy=\"{line}\" r=\"6\" fill=\"{colour}\"><title>transaction {} at +{}: answered {status}</title></circle><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{status}</text>",
            k + 1,
            secs(*t as f64),
            line - if k % 2 == 0 { 10.0 } else { 22.0 }
        );
        if let Some(prev) = k.checked_sub(1).and_then(|p| at.get(p)) {
            // The gap, where there is room for it (its mark's title says it too).
            let from = x.at(*prev as f64);
            if px - from > 44.0 {
                let _ = write!(
                    h,
                    "<line x1=\"{:.1}\" y1=\"{line}\" x2=\"{:.1}\" y2=\"{line}\" stroke=\"#bbb\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">+{}</text>",
                    from + 8.0,
                    px - 8.0,
                    (from + px) / 2.0,
                    line - 4.0,
                    secs((t - prev) as f64)
                );
            }
        }
    }
    x_axis(&mut h, x, line + 20.0, x_max);
    h.push_str("</svg>");
    h
}

/// The run timeline: a row per job slot, a bar per scenario.
pub fn timeline(scenarios: &[ScenarioResult], run_ms: u64) -> String {
    let ran: Vec<(&ScenarioResult, crate::results::Timing)> = scenarios
        .iter()
        .filter_map(|r| r.timing.map(|t| (r, t)))
        .collect();
    let slots = ran.iter().map(|(_, t)| t.slot + 1).max().unwrap_or(1) as f64;
    let row = 14.0;
    let top = 6.0;
    let height = top + slots * row + 30.0;
    let end = |r: &ScenarioResult, t: &crate::results::Timing| t.started_ms + r.duration_ms;
    let x_max = ran
        .iter()
        .map(|(r, t)| end(r, t))
        .max()
        .unwrap_or(0)
        .max(run_ms)
        .max(1000) as f64;
    let x = Scale {
        from: (0.0, x_max),
        to: (LEFT, WIDTH - RIGHT),
    };
    let path = critical_path(&ran);
    let mut h = String::new();
    svg_open(&mut h, height, "run timeline");
    // Before the first scenario: booting (or reaching) the run's homeservers.
    if let Some(first) = ran
        .iter()
        .map(|(_, t)| t.started_ms)
        .min()
        .filter(|f| *f > 0)
    {
        let _ = write!(
            h,
            "<rect x=\"{LEFT}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#24292e\" fill-opacity=\"0.12\"><title>before the first scenario (booting the homeservers): {}</title></rect>",
            (x.at(first as f64) - LEFT).max(1.0),
            slots * row - 3.0,
            secs(first as f64)
        );
    }
    for k in 0..slots as u32 {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{k}</text>",
            LEFT - 4.0,
            top + k as f64 * row + 10.0
        );
    }
    for (r, t) in &ran {
        let on_path = path.contains(&r.id.as_str());
        scenario_bar(&mut h, r, t, x, top + t.slot as f64 * row, row, on_path);
    }
    x_axis(&mut h, x, top + slots * row + 2.0, x_max);
    h.push_str("</svg>");
    h
}

/// The path to the end of a run: the last scenario to finish, and those before it on its slot.
fn critical_path<'a>(ran: &[(&'a ScenarioResult, crate::results::Timing)]) -> Vec<&'a str> {
    let end = |r: &ScenarioResult, t: &crate::results::Timing| t.started_ms + r.duration_ms;
    let mut path: Vec<&str> = Vec::new();
    if let Some((last, lt)) = ran.iter().max_by_key(|(r, t)| end(r, t)) {
        path.push(&last.id);
        let mut start = lt.started_ms;
        while let Some((prev, pt)) = ran
            .iter()
            .filter(|(r, t)| t.slot == lt.slot && end(r, t) <= start && r.id != last.id)
            .max_by_key(|(r, t)| end(r, t))
        {
            path.push(&prev.id);
            start = pt.started_ms;
        }
    }
    path
}

/// One scenario's bar on its slot's row, coloured by its outcome, outlined on the critical
/// path, named where the name fits, its boot time shaded.
fn scenario_bar(
    h: &mut String,
    r: &ScenarioResult,
    t: &crate::results::Timing,
    x: Scale,
    y: f64,
    row: f64,
    on_path: bool,
) {
    let end = t.started_ms + r.duration_ms;
    let (x0, x1) = (x.at(t.started_ms as f64), x.at(end as f64));
    let colour = match r.outcome {
        Outcome::Passed | Outcome::UnexpectedPass => "#85e89d",
        Outcome::ExpectedFailure => "#ffdf5d",
        Outcome::Skipped => "#d1d5da",
        _ => "#f97583",
    };
    let outline = if on_path {
        " stroke=\"#24292e\" stroke-width=\"1.5\""
    } else {
        ""
    };
    let _ = write!(
        h,
        "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"{outline}><title>{} ({}): +{} to +{}</title></rect>",
        (x1 - x0).max(1.0),
        row - 3.0,
        esc(&r.id),
        r.outcome.label(),
        secs(t.started_ms as f64),
        secs(end as f64)
    );
    // The name inside the bar where it fits (about 6 units a character).
    let name = r.id.rsplit('/').next().unwrap_or(&r.id);
    if x1 - x0 > name.len() as f64 * 6.0 + 8.0 {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"#24292e\">{}</text>",
            x0 + 3.0,
            y + row - 6.0,
            esc(name)
        );
    }
    if let Some(boot) = t.boot_ms {
        let _ = write!(
            h,
            "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#24292e\" fill-opacity=\"0.35\"><title>booting its servers: {}</title></rect>",
            (x.at((t.started_ms + boot) as f64) - x0).max(1.0),
            row - 3.0,
            secs(boot as f64)
        );
    }
}

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;
