//! Fault injection at the client seam (`--inject NAME`).
//!
//! A fault rewrites requests before they leave, or responses before any check sees them, so that
//! the harness can be shown to detect a server that breaks a requirement. Faults are data, in
//! `fixtures/faults.yaml`; each names the requirements it breaks.

use crate::held::Held;
use crate::matcher::Path;
use serde_json::Value;

/// The fields in which a server answers with its own wall clock (Unix milliseconds): events'
/// `origin_server_ts`, and the timestamps of a delayed event under each name the proposal's
/// revisions and its merged text give them.
pub(crate) const SERVER_CLOCK_FIELDS: &[&str] = &[
    "origin_server_ts",
    "scheduled_at",
    "running_since",
    "delayed_since_ts",
    "finalised_ts",
];

/// Moves every server wall-clock timestamp anywhere in `v` by `by` milliseconds.
fn shift_timestamps(v: &mut Value, by: i64) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                match x.as_i64() {
                    Some(ts) if SERVER_CLOCK_FIELDS.contains(&k.as_str()) => {
                        *x = Value::from(ts + by)
                    }
                    _ => shift_timestamps(x, by),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_timestamps(x, by)),
        _ => {}
    }
}

impl Fault {
    /// Whether it is a control (see [`Fault::control`]).
    pub fn is_control(&self) -> bool {
        self.control
    }

    /// How far this fault puts the server's clock off (its request-side `shift_clock`): a
    /// timestamp a scenario hands the server through another way than a client request (a PDU
    /// of the fake federating server) moves back by it too.
    pub fn clock_shift_ms(&self) -> i64 {
        self.request
            .iter()
            .map(|op| match op {
                Op::ShiftClock(by) => *by,
                _ => 0,
            })
            .sum()
    }

    /// Whether a request with this method and path is one the fault rewrites.
    pub fn matches(&self, req: &RequestParts) -> bool {
        self.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
            && self.path.is_match(&req.path)
            && self
                .with_query
                .iter()
                .all(|q| req.query.iter().any(|(k, _)| k == q))
            && !self
                .without_query
                .iter()
                .any(|q| req.query.iter().any(|(k, _)| k == q))
    }

    /// Rewrites a request; returns whether the fault applied.
    pub fn apply_request(&self, req: &mut RequestParts) -> bool {
        if !self.matches(req) {
            return false;
        }
        if self.repeats_only {
            let first = self.memory.held().paths_seen.insert(req.path.clone());
            if first {
                return false;
            }
        }
        for op in &self.request {
            match op {
                Op::DropQuery(name) => req.query.retain(|(k, _)| k != name),
                Op::ReplaceQuery(name, value) => req
                    .query
                    .iter_mut()
                    .filter(|(k, _)| k == name)
                    .for_each(|(_, v)| *v = value.clone()),
                Op::RewritePath(re, with) => {
                    req.path = re.replace(&req.path, with.as_str()).into_owned()
                }
                Op::Method(m) => req.method = m.clone(),
                Op::ShiftClock(by) => {
                    for (_, v) in req.query.iter_mut().filter(|(k, _)| k == "ts") {
                        if let Ok(ts) = v.parse::<i64>() {
                            *v = (ts - by).to_string();
                        }
                    }
                }
                Op::ReplaceBody(p, v) => {
                    if let Some(body) = req.body.as_mut() {
                        if p.select(body).into_value().is_some() {
                            p.set(body, v);
                        }
                    }
                }
                _ => {}
            }
        }
        true
    }

    /// Rewrites a response to a request the fault matched (checked on the original request);
    /// returns whether the answer changed (a fault that found nothing to rewrite did not apply).
    pub fn apply_response(&self, req: &RequestParts, resp: &mut ResponseParts) -> bool {
        if !self.matches(req) || self.response.is_empty() {
            return false;
        }
        let before = (resp.status, resp.body.clone(), resp.hold);
        self.rewrite_response(resp);
        (resp.status, &resp.body, resp.hold) != (before.0, &before.1, before.2)
    }

    fn rewrite_response(&self, resp: &mut ResponseParts) {
        for op in &self.response {
            match op {
                Op::Delete(p) => {
                    p.delete(&mut resp.body);
                }
                Op::Set(p, v) => {
                    p.set(&mut resp.body, v);
                }
                Op::Rename { from, to } => {
                    if let Some(v) = from.select(&resp.body).into_value() {
                        from.delete(&mut resp.body);
                        to.set(&mut resp.body, &v);
                    }
                }
                Op::Duplicate(p) => p.for_each_mut(&mut resp.body, &mut |v| {
                    if let Some(a) = v.as_array_mut() {
                        if let Some(first) = a.first().cloned() {
                            a.push(first);
                        }
                    }
                }),
                Op::Append(p, x) => p.for_each_mut(&mut resp.body, &mut |v| {
                    if let Some(a) = v.as_array_mut() {
                        a.push(x.clone());
                    }
                }),
                Op::Copy { within, from, to } => copy_items(&mut resp.body, within, from, to),
                Op::Shift(p, by) => p.for_each_mut(&mut resp.body, &mut |v| {
                    if let Some(n) = v.as_i64() {
                        *v = Value::from(n + by);
                    }
                }),
                Op::Stringify(p) => p.for_each_mut(&mut resp.body, &mut |v| {
                    if v.is_number() {
                        *v = Value::String(v.to_string());
                    }
                }),
                Op::Status(s) => resp.status = *s,
                Op::Errcode(e) => {
                    if let Some(o) = resp.body.as_object_mut() {
                        o.insert("errcode".into(), Value::String(e.clone()));
                    } else {
                        resp.body = serde_json::json!({"errcode": e, "error": "injected"});
                    }
                }
                // Simulates a slow server: the client holds the answer back this long.
                Op::Delay(d) => resp.hold += *d,
                Op::ShiftClock(by) => shift_timestamps(&mut resp.body, *by),
                Op::Freeze { items, key, at } => self.freeze(&mut resp.body, items, key, at),
                Op::ForgetAfter { arrays, key, after } => {
                    self.forget_after(&mut resp.body, arrays, key, *after)
                }
                _ => {}
            }
        }
    }

    /// `freeze`: each item's value at `at` stays what it was the first time its `key` was seen.
    fn freeze(&self, body: &mut Value, items: &Path, key: &Path, at: &Path) {
        let mut memory = self.memory.held();
        items.for_each_mut(body, &mut |item| {
            let Some(id) = key.select(item).into_value() else {
                return;
            };
            let Some(now) = at.select(item).into_value() else {
                return;
            };
            let kept = memory.frozen.entry(id.to_string()).or_insert(now).clone();
            at.set(item, &kept);
        });
    }

    /// `forget_after`: an item of the arrays is left out once its `key` was first seen longer
    /// than `after` ago.
    fn forget_after(
        &self,
        body: &mut Value,
        arrays: &Path,
        key: &Path,
        after: std::time::Duration,
    ) {
        let mut memory = self.memory.held();
        let now = std::time::Instant::now();
        arrays.for_each_mut(body, &mut |list| {
            if let Some(a) = list.as_array_mut() {
                a.retain(|item| match key.select(item).into_value() {
                    Some(id) => {
                        let seen = *memory.first_seen.entry(id.to_string()).or_insert(now);
                        now.duration_since(seen) <= after
                    }
                    None => true,
                });
            }
        });
    }
}

/// `copy`: within each `within`, the items `from` selects (a fan-out source gives the elements
/// of every array it reaches, one list) appended to the array at `to`, created where missing.
fn copy_items(body: &mut Value, within: &Path, from: &Path, to: &Path) {
    within.for_each_mut(body, &mut |scope| {
        // A fan-out source (`rooms[*].timeline`) gives the elements of every
        // array it reaches, one list.
        let items: Vec<Value> = match from.select(scope) {
            crate::matcher::Selected::One(Some(Value::Array(a))) => a,
            crate::matcher::Selected::Many(found) => found
                .into_iter()
                .flat_map(|v| match v {
                    Value::Array(a) => a,
                    other => vec![other],
                })
                .collect(),
            _ => return,
        };
        if items.is_empty() {
            return;
        }
        ensure_array(scope, to);
        to.for_each_mut(scope, &mut |target| {
            if let Some(a) = target.as_array_mut() {
                a.extend(items.iter().cloned());
            }
        });
    });
}

/// Creates the objects and the final array along a key-only path, where missing.
fn ensure_array(doc: &mut Value, path: &Path) {
    use crate::matcher::Segment;
    let mut cur = doc;
    let segs = path.segments();
    for (i, seg) in segs.iter().enumerate() {
        let Segment::Key(k) = seg else { return };
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        let last = i + 1 == segs.len();
        cur = obj.entry(k.clone()).or_insert_with(|| {
            if last {
                Value::Array(vec![])
            } else {
                Value::Object(Default::default())
            }
        });
    }
}

mod load;
mod misbehaviour;
mod model;
pub use load::load_faults;
#[cfg(test)]
use load::parse_fault;
pub use misbehaviour::Misbehaviour;
pub use model::{Fault, Memory, Op, RequestParts, ResponseParts};

#[cfg(test)]
mod tests;
