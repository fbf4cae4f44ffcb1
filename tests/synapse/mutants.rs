//! The mutants generated from the catalogue's surfaces (`mscheck faults --mutants`), each run
//! against the scenarios that judge its requirement on its surface and judged like a fault of
//! the sweep: *killed* when a check judging the requirement fails where the unfaulted control did
//! not; *masked* when the control fails at that step too; *not exercised* when it never changed
//! an answer (no step makes the request it rewrites, in the state it needs); else it *survives*.
//!
//! `cargo test` runs a fixed share (of one mutant per requirement that declares surfaces, on its
//! last declared surface, every n-th: 18 at most) and demands each is killed or masked; `cargo test --test synapse mutation_score --
//! --ignored` runs every mutant and prints the score per requirement (what the notes quote).

use super::controls;
use super::sweep::{run_job_seen, shipped, Job, Verdict};
use mscheck::catalogue::{Catalogue, Revision};
use mscheck::mutants::{generate, load_equivalents, Equivalent, Mutant};
use mscheck::scenario::Scenario;
use mscheck::surface_coverage::Coverage;
use std::collections::BTreeMap;

/// What became of one mutant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fate {
    Killed,
    Masked,
    Survived(String),
    NotExercised,
    NoTarget,
}

/// Whether a mutant's requirement exists only at the seed revisions: its scenarios run there.
fn seed_only(m: &Mutant, catalogue: &Catalogue) -> bool {
    catalogue
        .get(&m.requirement)
        .is_some_and(|r| !r.revisions.contains(&Revision::Newest))
}

/// The scenarios that judge a mutant's requirement on its surface (at the newest revision, or
/// at the seed for a requirement only the seed texts have).
fn targets<'a>(
    m: &Mutant,
    scenarios: &'a [Scenario],
    catalogue: &Catalogue,
    coverage: &[Coverage],
) -> Vec<&'a Scenario> {
    let revision = if seed_only(m, catalogue) {
        Revision::Seed
    } else {
        Revision::Newest
    };
    let by: Vec<&String> = coverage
        .iter()
        .filter(|c| c.id == m.requirement)
        .flat_map(|c| c.declared.iter())
        .filter(|j| j.surface == m.surface)
        .flat_map(|j| j.by.iter())
        .collect();
    scenarios
        .iter()
        .filter(|s| s.revisions.contains(&revision))
        .filter(|s| {
            by.iter()
                .any(|b| b.split(':').next() == Some(s.id.as_str()))
        })
        .collect()
}

fn catalogue() -> Catalogue {
    Catalogue::load(&crate::common::root().join("suites/requirements.yaml")).unwrap()
}

/// Runs the mutants, `workers` at a time, and says what became of each.
pub fn run(mutants: &[Mutant], workers: usize) -> Vec<(Mutant, Fate)> {
    let (scenarios, _, _) = shipped();
    let catalogue = catalogue();
    let coverage = mscheck::surface_coverage::coverage(&catalogue, &scenarios);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let fates = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(m) = mutants.get(i) else { break };
                let t = targets(m, &scenarios, &catalogue, &coverage);
                let fate = if t.is_empty() {
                    Fate::NoTarget
                } else {
                    let seed = seed_only(m, &catalogue);
                    let control = if seed {
                        controls::seed()
                    } else {
                        controls::newest()
                    };
                    let job = Job {
                        fault: &m.name,
                        targets: t,
                        seed,
                        repair: None,
                    };
                    let (verdicts, exercised) = run_job_seen(&job, &m.fault, control);
                    fate_of(&verdicts, exercised)
                };
                fates.lock().unwrap().push((m.clone(), fate));
            });
        }
    });
    let mut fates = fates.into_inner().unwrap();
    fates.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    fates
}

fn fate_of(verdicts: &[(String, String, Verdict)], exercised: bool) -> Fate {
    if verdicts
        .iter()
        .any(|(_, _, v)| matches!(v, Verdict::Proven(_)))
    {
        return Fate::Killed;
    }
    if verdicts
        .iter()
        .any(|(_, _, v)| matches!(v, Verdict::Masked(..)))
    {
        return Fate::Masked;
    }
    if !exercised {
        return Fate::NotExercised;
    }
    let why = verdicts
        .iter()
        .map(|(_, s, v)| match v {
            Verdict::NotCaught(w) => format!("{s}: {}", w.lines().next().unwrap_or("")),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Fate::Survived(why)
}

/// Per requirement: killed / masked / survived / not exercised, and the total.
pub fn score(fates: &[(Mutant, Fate)]) -> String {
    let mut per: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    for (m, f) in fates {
        let slot = match f {
            Fate::Killed => 0,
            Fate::Masked => 1,
            Fate::Survived(_) => 2,
            Fate::NotExercised => 3,
            Fate::NoTarget => 4,
        };
        per.entry(&m.requirement).or_default()[slot] += 1;
    }
    let mut text = String::from(
        "requirement  killed  masked  survived  not-exercised  no-target  score (killed / all but masked)\n",
    );
    let mut total = [0usize; 5];
    for (id, c) in &per {
        for i in 0..5 {
            total[i] += c[i];
        }
        text.push_str(&row(id, c));
    }
    text.push_str(&row("total", &total));
    for (m, f) in fates {
        if let Fate::Survived(why) = f {
            text.push_str(&format!("survived: {} ({why})\n", m.name));
        }
        if *f == Fate::NotExercised {
            text.push_str(&format!("not exercised: {}\n", m.name));
        }
    }
    text
}

fn row(id: &str, c: &[usize; 5]) -> String {
    let judged = c[0] + c[2] + c[3] + c[4];
    let pct = if judged == 0 {
        0.0
    } else {
        100.0 * c[0] as f64 / judged as f64
    };
    format!(
        "{id:<12} {:>6}  {:>6}  {:>8}  {:>13}  {:>9}  {pct:.0}%\n",
        c[0], c[1], c[2], c[3], c[4]
    )
}

fn equivalents() -> Vec<Equivalent> {
    load_equivalents(&crate::common::root().join("fixtures/mutant-equivalents.yaml")).unwrap()
}

/// The generated mutants that can break their requirement (the others are declared equivalent).
fn meaningful() -> (Vec<Mutant>, usize) {
    let catalogue = catalogue();
    let all = generate(&catalogue);
    let total = all.len();
    let kept = mscheck::mutants::meaningful(all, &equivalents());
    let equivalent = total - kept.len();
    (kept, equivalent)
}

/// How many mutants `cargo test` runs: a fixed share, spread over the catalogue (each is a run
/// of the scenarios judging its requirement; all of them together take minutes).
const SHARE: usize = 18;

/// The share: of the one mutant per requirement (the first operator that can break it, on the
/// last declared surface that has one and is judged here: the variant a declaration adds last,
/// incremental or continued), every n-th in catalogue order, [`SHARE`] at most.
pub fn share() -> Vec<Mutant> {
    let catalogue = catalogue();
    let meaningful = meaningful().0;
    let mut picked = Vec::new();
    for r in catalogue.all() {
        // A surface judged elsewhere on purpose (`unjudged`) has no scenario to run.
        let judged = r
            .surfaces
            .iter()
            .filter(|s| !r.unjudged.contains_key(&s.to_string()));
        let pick = judged.rev().find_map(|s| {
            meaningful
                .iter()
                .find(|m| m.requirement == r.id && m.surface == *s)
        });
        if let Some(m) = pick {
            picked.push(m.clone());
        }
    }
    let every = picked.len().div_ceil(SHARE).max(1);
    picked.into_iter().step_by(every).collect()
}

/// The share: each killed or masked.
pub fn sweep_share() {
    let started = std::time::Instant::now();
    let fates = run(&share(), 6);
    let text = score(&fates);
    eprintln!(
        "mutant share: {} mutants in {:.0?}\n{text}",
        fates.len(),
        started.elapsed()
    );
    let bad: Vec<String> = fates
        .iter()
        .filter(|(_, f)| !matches!(f, Fate::Killed | Fate::Masked))
        .map(|(m, f)| format!("{}: {f:?}", m.name))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Where the full score is committed; its first line names the mutant set it was measured on
/// (`tests/surfaces.rs` fails when that set has changed since).
pub const SCORE_FILE: &str = "fixtures/mutation-score.txt";

/// Every mutant; the score goes to stderr and to [`SCORE_FILE`].
pub fn full_score() {
    let (all, equivalent) = meaningful();
    let started = std::time::Instant::now();
    let fates = run(&all, 6);
    let text = format!(
        "mutants: {} run, {equivalent} declared equivalent; fingerprint {}\n\
         measured against the managed Synapse of the shipped profile in {:.0?}, by \
         `cargo test --test synapse mutation_score -- --ignored --nocapture`\n\n{}",
        fates.len(),
        mscheck::mutants::fingerprint(&all),
        started.elapsed(),
        score(&fates)
    );
    let out = crate::common::root().join(SCORE_FILE);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &text).unwrap();
    eprintln!("{text}\n(written to {})", out.display());
}
