//! Which scenario starts when, and how many run at once.
//!
//! A run lasts at least as long as its longest scenario, and scenarios mostly wait on timers
//! (holds, delays, lifetimes), so the run's critical path is what matters: the longest scenarios
//! start first, and many run at once. What actually loads the machine is limited instead:
//! booting managed servers (a private pair for a lifecycle scenario costs seconds of CPU), which
//! takes one of a few boot slots.

use crate::held::Held;
use crate::scenario::{Action, Scenario, Step, Times, Wait};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The job slots of a run, so the report can draw which scenario ran on which: a scenario takes
/// the lowest free slot when it starts and gives it back when it ends.
#[derive(Debug, Default)]
pub struct Slots(std::sync::Mutex<Vec<bool>>);

/// A slot held by a running scenario; given back on drop.
pub struct Slot<'a> {
    slots: &'a Slots,
    /// Its number.
    pub number: u32,
}

impl Slots {
    /// Takes the lowest free slot.
    pub fn take(&self) -> Slot<'_> {
        let mut busy = self.0.held();
        let k = match busy.iter().position(|b| !b) {
            Some(k) => k,
            None => {
                busy.push(false);
                busy.len() - 1
            }
        };
        busy[k] = true;
        Slot {
            slots: self,
            number: k as u32,
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut busy = self.slots.0.held();
        busy[self.number as usize] = false;
    }
}

/// What booting a scenario's private servers adds to its expected duration.
const BOOT: Duration = Duration::from_secs(6);

/// Scenarios running at once when `--jobs` is not given: they mostly wait, so several per core.
pub fn default_jobs(cores: usize) -> usize {
    (cores * 6).clamp(4, 32)
}

/// [`default_jobs`] for this machine's cores.
pub fn jobs_for_this_machine() -> usize {
    default_jobs(std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// Private-server boots at once: a boot keeps a core busy for seconds.
pub fn boot_slots(cores: usize) -> usize {
    cores.div_ceil(2).max(1)
}

/// The plan in the order to start it: longest expected first (ties keep plan order).
/// `previous` holds each scenario's duration in the last run's results, when there is one;
/// `expected_to_fail` says which scenarios the expectations file lists.
pub fn longest_first(
    plan: &[Arc<Scenario>],
    previous: &BTreeMap<String, u64>,
    expected_to_fail: &dyn Fn(&Scenario) -> bool,
) -> Vec<Arc<Scenario>> {
    let mut order: Vec<(u64, usize)> = plan
        .iter()
        .enumerate()
        .map(|(i, s)| (expected_ms(s, previous, expected_to_fail(s)), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    order.into_iter().map(|(_, i)| plan[i].clone()).collect()
}

/// How long a scenario is expected to take: the last run's time, or an estimate from its waits
/// (for a scenario expected to fail, its longest deadline too: a failing wait runs it out).
pub fn expected_ms(s: &Scenario, previous: &BTreeMap<String, u64>, expected_to_fail: bool) -> u64 {
    previous.get(&s.id).copied().unwrap_or_else(|| {
        let deadline = if expected_to_fail {
            longest_deadline(&s.steps)
        } else {
            Duration::ZERO
        };
        (estimate(s) + deadline).as_millis() as u64
    })
}

/// The longest `within` or `sample` deadline among the steps, nested ones included.
fn longest_deadline(steps: &[Step]) -> Duration {
    steps
        .iter()
        .map(|s| {
            let own = match &s.wait {
                Wait::Until { within, .. } => *within,
                _ => Duration::ZERO,
            };
            let sampled = s.sample.as_ref().map_or(Duration::ZERO, |sp| sp.within);
            let nested = match &s.action {
                Action::Concurrent(branches) => branches
                    .iter()
                    .map(|b| longest_deadline(b))
                    .max()
                    .unwrap_or_default(),
                Action::Repeat { steps, .. } => longest_deadline(steps),
                _ => Duration::ZERO,
            };
            own.max(sampled).max(nested)
        })
        .max()
        .unwrap_or_default()
}

/// How far past its anchor a `hold_until` moment lies: the integers a template adds
/// (`{{t0 + 5000}}` → 5 s), the anchor being a moment just before the hold starts.
fn offset_of(until: &crate::steps::Int) -> Duration {
    let crate::steps::Int::Template(t) = until else {
        return Duration::ZERO;
    };
    let added: i64 = t
        .split("+ ")
        .skip(1)
        .filter_map(|term| {
            let digits: String = term.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<i64>().ok()
        })
        .sum();
    Duration::from_millis(added.max(0) as u64)
}

/// What a scenario's own steps make it wait at least: holds, outages, sampled lifetimes (half
/// their deadline), repeated bodies, plus a boot for private servers.
pub fn estimate(s: &Scenario) -> Duration {
    fn steps(list: &[Step]) -> Duration {
        list.iter().map(step).sum()
    }
    fn step(s: &Step) -> Duration {
        let waited = match &s.wait {
            Wait::Hold { duration, .. } => *duration,
            Wait::HoldUntil { until, .. } => offset_of(until),
            Wait::Once | Wait::Until { .. } => Duration::ZERO,
        };
        let sampled = s.sample.as_ref().map_or(Duration::ZERO, |sp| sp.within / 2);
        let action = match &s.action {
            Action::Homeserver { down_for, .. } => down_for.unwrap_or(Duration::ZERO),
            Action::Concurrent(branches) => {
                branches.iter().map(|b| steps(b)).max().unwrap_or_default()
            }
            Action::Repeat { times, steps: body } => {
                let n = match times {
                    Times::Fixed(n) => *n,
                    Times::Template(_) => 1,
                };
                steps(body) * n
            }
            Action::Call(_) => Duration::ZERO,
        };
        waited + sampled + action
    }
    let boot = if s.requires.private_servers() {
        BOOT
    } else {
        Duration::ZERO
    };
    steps(&s.steps) + boot
}

/// The last run's duration per scenario, from `results.json` in the report folder (none when
/// there is no readable file: the estimates are used).
pub fn previous_durations(report_dir: &std::path::Path) -> BTreeMap<String, u64> {
    let Ok(text) = crate::limits::read_text_capped(
        &report_dir.join("results.json"),
        crate::limits::MAX_RESULTS_FILE,
    ) else {
        return BTreeMap::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeMap::new();
    };
    v["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["id"].as_str()?.to_string(), s["duration_ms"].as_u64()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_takes_the_lowest_free_slot() {
        let slots = Slots::default();
        let a = slots.take();
        let b = slots.take();
        assert_eq!((a.number, b.number), (0, 1));
        drop(a);
        let c = slots.take();
        let d = slots.take();
        assert_eq!((c.number, d.number), (0, 2));
        drop((b, c));
        assert_eq!(slots.take().number, 0);
    }
    use crate::catalogue::Catalogue;

    fn load(id: &str, yaml: &str) -> Arc<Scenario> {
        let cat = Catalogue::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/requirements.yaml"),
        )
        .unwrap();
        let path = std::path::PathBuf::from(format!("suites/t/{id}.yaml"));
        Arc::new(crate::scenario::loader::load_str(&path, "t", yaml, &cat).unwrap())
    }

    #[test]
    fn a_hold_until_a_moment_is_expected_to_last_what_its_template_adds() {
        let held = load(
            "held",
            "name: h\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - sync: {as: a}\n    capture: {t0: '@request_ms'}\n  - sync: {as: a}\n    hold_until: \"{{t0 + 33000}}\"\n    expect: {status: 200}\n",
        );
        assert_eq!(estimate(&held), Duration::from_secs(33));
    }

    #[test]
    fn the_longest_start_first_by_the_last_run_or_by_their_waits() {
        let quick = load(
            "quick",
            "name: q\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - sync: {as: a}\n",
        );
        let holds = load(
            "holds",
            "name: h\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - repeat:\n      times: 3\n      steps:\n        - sync: {as: a}\n          hold: 2s\n          expect: {status: 200}\n",
        );
        assert_eq!(estimate(&holds), Duration::from_secs(6));
        let plan = vec![quick.clone(), holds.clone()];
        let none = |_: &Scenario| false;
        let order = longest_first(&plan, &BTreeMap::new(), &none);
        assert_eq!(order[0].id, "t/holds");
        let mut previous = BTreeMap::new();
        previous.insert("t/quick".to_string(), 30_000);
        assert_eq!(longest_first(&plan, &previous, &none)[0].id, "t/quick");
        // A scenario expected to fail waits out its deadline.
        let waits = load(
            "waits",
            "name: w\ncovers: [S-13]\nusers: {a: {}}\nsteps:\n  - sync: {as: a}\n    within: 30s\n    expect: {status: 200}\n",
        );
        let plan = vec![holds.clone(), waits.clone()];
        assert_eq!(
            longest_first(&plan, &BTreeMap::new(), &none)[0].id,
            "t/holds"
        );
        let failing = |s: &Scenario| s.id == "t/waits";
        assert_eq!(
            longest_first(&plan, &BTreeMap::new(), &failing)[0].id,
            "t/waits"
        );
    }

    #[test]
    fn concurrency_follows_the_machine() {
        assert_eq!(default_jobs(2), 12);
        assert_eq!(default_jobs(64), 32);
        assert_eq!(boot_slots(2), 1);
        assert_eq!(boot_slots(8), 4);
    }
}
