//! Which steps judge a requirement on each surface the catalogue declares for it: each step
//! observes the surfaces its kind, its fields and its checks' selectors say (see
//! [`observed_by`]). A declared surface no step judging the requirement observes is a gap: a
//! variant or an endpoint the text names that nothing checks.

use crate::catalogue::Catalogue;
use crate::scenario::{Action, Scenario, Step};
use crate::surfaces::{Place, Surface, Variant};
use std::collections::BTreeMap;

/// The surfaces a step observes: its endpoint (and, for sync and sliding sync, the parts of the
/// answer its checks and accumulations select) in its variant. Steps whose answers are neither
/// judged (nothing expected beyond 2xx) nor kept for a later check observe nothing.
pub fn observed_by(step: &Step) -> Vec<Surface> {
    let Action::Call(call) = &step.action else {
        return Vec::new();
    };
    // What a step accumulates is judged later (`@vars.…` in a check): it observes that too.
    if step.expect.is_default() && step.sample.is_none() && step.accumulate.is_empty() {
        return Vec::new();
    }
    let selectors = judged_selectors(step);
    let selects = |needle: &str| selectors.iter().any(|s| s.contains(needle));
    // `rooms.join[*][*].events`, `rooms.join["{{room}}"][*].events`: every section of a room,
    // the sticky one and the timeline alike.
    let every_section = selects("][*].events");
    let one = |place| {
        vec![Surface {
            place,
            variant: None,
        }]
    };
    use crate::steps::StepCall as K;
    match &call.step {
        K::Sync(s) => sections(
            if s.is_incremental() {
                Variant::Incremental
            } else {
                Variant::Initial
            },
            [
                (
                    Place::SyncSticky,
                    selects("msc4354_sticky") || every_section,
                ),
                (Place::SyncTimeline, selects("timeline") || every_section),
            ],
        ),
        K::SlidingSync(s) => sections(
            if s.continues() {
                Variant::Continued
            } else {
                Variant::New
            },
            [
                (Place::SssExtension, selects("extensions")),
                (Place::SssTimeline, selects("timeline")),
            ],
        ),
        K::GetEvent(_) => one(Place::Event),
        K::Messages(_) => one(Place::Messages),
        K::Send(_) | K::State(_) => one(Place::Send),
        K::Schedule(_) => one(Place::DelayedSchedule),
        K::DelayedList(_) => one(Place::DelayedList),
        K::DelayedGet(_) => one(Place::DelayedGet),
        K::DelayedAction(_) => one(Place::DelayedAction),
        K::Versions(_) => one(Place::Versions),
        K::Capabilities(_) => one(Place::Capabilities),
        K::FakeReceived(_) => one(Place::FederationPush),
        K::FakeRequest(_) => one(Place::FederationFetch),
        K::FakeSend(_) => one(Place::FederationReceive),
        K::Request(r) if r.reads_state() => one(Place::State),
        _ => Vec::new(),
    }
}

/// Where a step's checks, samples and accumulations look in its answer.
fn judged_selectors(step: &Step) -> Vec<&str> {
    step.expect
        .json
        .iter()
        .map(|c| c.at.as_str())
        // A check comparing two parts of the answer names the second in its argument.
        .chain(
            step.expect
                .json
                .iter()
                .filter(|c| c.predicate == crate::scenario::checks::PredicateKind::DisjointWith)
                .filter_map(|c| c.arg.as_str()),
        )
        .chain(step.sample.iter().map(|x| x.item.as_str()))
        .chain(step.accumulate.iter().filter_map(|a| match &a.from {
            crate::scenario::Source::Selector(s) => Some(s.as_str()),
            _ => None,
        }))
        .collect()
}

/// The parts of a (sliding) sync answer a step selects, in the request's variant.
fn sections(variant: Variant, parts: [(Place, bool); 2]) -> Vec<Surface> {
    parts
        .into_iter()
        .filter(|(_, selected)| *selected)
        .map(|(place, _)| Surface {
            place,
            variant: Some(variant),
        })
        .collect()
}

/// One declared surface of a requirement and what judges it.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The declared surface.
    pub surface: Surface,
    /// `scenario-id:step-id` of every step judging the requirement there.
    pub by: Vec<String>,
    /// Why nothing judges it, when that is declared.
    pub unjudged: Option<String>,
}

/// A requirement's declared surfaces, each with the steps that judge it.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The requirement.
    pub id: String,
    /// Its declared surfaces, in catalogue order.
    pub declared: Vec<Judged>,
    /// Surfaces steps judge it on that the catalogue does not declare.
    pub undeclared: Vec<(Surface, Vec<String>)>,
}

impl Coverage {
    /// Declared surfaces nothing judges and no reason explains.
    pub fn gaps(&self) -> impl Iterator<Item = &Judged> {
        self.declared
            .iter()
            .filter(|j| j.by.is_empty() && j.unjudged.is_none())
    }
}

/// For each requirement that declares surfaces or that a step judges: which steps judge it on
/// each declared surface, and on which others (all of them, for one that declares none).
pub fn coverage(catalogue: &Catalogue, scenarios: &[Scenario]) -> Vec<Coverage> {
    let mut seen: BTreeMap<&str, Vec<(Surface, String)>> = BTreeMap::new();
    for s in scenarios {
        for (step, ids) in s.judging_steps() {
            let observed = observed_by(step);
            for id in ids {
                for o in &observed {
                    seen.entry(id)
                        .or_default()
                        .push((*o, format!("{}:{}", s.id, step.id)));
                }
            }
        }
    }
    catalogue
        .all()
        .into_iter()
        .filter(|r| !r.surfaces.is_empty() || seen.contains_key(r.id.as_str()))
        .map(|r| {
            let observed = seen.get(r.id.as_str()).cloned().unwrap_or_default();
            let declared = r
                .surfaces
                .iter()
                .map(|d| Judged {
                    surface: *d,
                    by: observed
                        .iter()
                        .filter(|(o, _)| d.met_by(o))
                        .map(|(_, by)| by.clone())
                        .collect(),
                    unjudged: r.unjudged.get(&d.to_string()).cloned(),
                })
                .collect();
            let mut undeclared: BTreeMap<Surface, Vec<String>> = BTreeMap::new();
            for (o, by) in &observed {
                if !r.surfaces.iter().any(|d| d.met_by(o)) {
                    undeclared.entry(*o).or_default().push(by.clone());
                }
            }
            Coverage {
                id: r.id.clone(),
                declared,
                undeclared: undeclared.into_iter().collect(),
            }
        })
        .collect()
}
