//! Predicates on JSON values, in the spirit of Complement's `match` package.
//!
//! A [`Check`] pairs a selector with a [`Predicate`]. Checking is pure: it never waits and never
//! performs I/O, so the runner can poll a check as often as it likes. A failed check returns a
//! [`Mismatch`] naming the selector, what was expected and what was found.

use super::path::{Path, Selected};
use regex::Regex;
use serde_json::Value;
use std::fmt;

/// A JSON type name, for [`Predicate::IsType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `null`
    Null,
    /// `true` / `false`
    Bool,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// Parses a type name as written in scenario files.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "bool" | "boolean" => Self::Bool,
            "integer" | "int" => Self::Integer,
            "number" => Self::Number,
            "string" => Self::String,
            "array" => Self::Array,
            "object" => Self::Object,
            _ => return None,
        })
    }

    /// The names accepted by [`JsonType::from_name`].
    pub(crate) const NAMES: &'static [&'static str] = &[
        "null", "bool", "integer", "number", "string", "array", "object",
    ];

    fn matches(self, v: &Value) -> bool {
        match self {
            Self::Null => v.is_null(),
            Self::Bool => v.is_boolean(),
            Self::Integer => v.is_i64() || v.is_u64(),
            Self::Number => v.is_number(),
            Self::String => v.is_string(),
            Self::Array => v.is_array(),
            Self::Object => v.is_object(),
        }
    }
}

/// What must hold for the selected value.
#[derive(Debug, Clone)]
pub enum Predicate {
    /// Equal to this JSON value.
    Equals(Value),
    /// Not equal to this value (an absent value counts as not equal).
    NotEquals(Value),
    /// The selector found something (for fan-out: at least one value).
    Exists,
    /// The selector found nothing (for fan-out: no values).
    Absent,
    /// An array, object or string with exactly this many elements/characters.
    Length(usize),
    /// An array, object or string whose length is within `[min, max]`.
    LengthBetween(usize, usize),
    /// An array holding an element equal to this value, an object with this key, or a string
    /// containing this substring.
    Contains(Value),
    /// The opposite of [`Predicate::Contains`]; an absent value passes.
    NotContains(Value),
    /// A number within `[lo, hi]`.
    Between(f64, f64),
    /// A number `>=` this.
    AtLeast(f64),
    /// A number `<=` this.
    AtMost(f64),
    /// A string matching this regular expression.
    Matches(Regex),
    /// Equal to one of these values.
    OneOf(Vec<Value>),
    /// Of this JSON type.
    IsType(JsonType),
    /// An array with exactly these elements, in any order (Complement's check-off).
    SetEquals(Vec<Value>),
    /// An array holding every one of these values (any order; others may be there too).
    ContainsAll(Vec<Value>),
    /// An array without repeated elements.
    Unique,
    /// An array whose elements are, as a set, the first ones of this list (as many as it has):
    /// what was delivered so far is the oldest part of what was sent, whatever the order inside.
    OldestFirstOf(Vec<Value>),
    /// An array sharing no element with the array the other selector picks from the same document.
    DisjointWith(Path),
    /// An array in which at least one element passes all nested checks.
    Any(Vec<Check>),
    /// An array (possibly empty) in which every element passes all nested checks.
    All(Vec<Check>),
    /// An array in which no element passes all nested checks.
    None(Vec<Check>),
}

/// A selector plus a predicate.
#[derive(Debug, Clone)]
pub struct Check {
    /// Where to look.
    pub at: Path,
    /// What must hold there.
    pub predicate: Predicate,
}

/// Why a check failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The selector (relative to the nested element for `any`/`all`/`none`).
    pub at: String,
    /// What the check wanted, in words.
    pub expected: String,
    /// What was found (`None`: nothing at that selector).
    pub actual: Option<Value>,
    /// For list comparisons: what is missing, unexpected or repeated (long lists are hard to
    /// compare by eye).
    pub detail: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at `{}`: expected {}, got ", self.at, self.expected)?;
        match &self.actual {
            None => f.write_str("nothing")?,
            Some(v) => f.write_str(&crate::text::trim_json(v, 300))?,
        }
        match &self.detail {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Equals(v) => write!(f, "{v}"),
            Predicate::NotEquals(v) => write!(f, "anything but {v}"),
            Predicate::Exists => f.write_str("a value"),
            Predicate::Absent => f.write_str("no value"),
            Predicate::Length(n) => write!(f, "length {n}"),
            Predicate::LengthBetween(a, b) => write!(f, "length between {a} and {b}"),
            Predicate::Contains(v) => write!(f, "something containing {v}"),
            Predicate::NotContains(v) => write!(f, "nothing containing {v}"),
            Predicate::Between(a, b) => write!(f, "a number between {a} and {b}"),
            Predicate::AtLeast(a) => write!(f, "a number >= {a}"),
            Predicate::AtMost(a) => write!(f, "a number <= {a}"),
            Predicate::Matches(r) => write!(f, "a string matching /{}/", r.as_str()),
            Predicate::OneOf(vs) => write!(f, "one of {}", Value::Array(vs.clone())),
            Predicate::IsType(t) => write!(f, "a value of type {t:?}"),
            Predicate::SetEquals(vs) => write!(
                f,
                "exactly the {} elements {} (any order)",
                vs.len(),
                crate::text::trim_json(&Value::Array(vs.clone()), 200)
            ),
            Predicate::ContainsAll(vs) => write!(
                f,
                "every one of the {} elements {}",
                vs.len(),
                crate::text::trim_json(&Value::Array(vs.clone()), 200)
            ),
            Predicate::Unique => f.write_str("an array without repeated elements"),
            Predicate::OldestFirstOf(vs) => write!(
                f,
                "the oldest elements of {} (as many as delivered, any order)",
                crate::text::trim_json(&Value::Array(vs.clone()), 200)
            ),
            Predicate::DisjointWith(p) => write!(f, "no element also found at `{p}`"),
            Predicate::Any(cs) => write!(f, "at least one element where {}", describe_all(cs)),
            Predicate::All(cs) => write!(f, "every element to have {}", describe_all(cs)),
            Predicate::None(cs) => write!(f, "no element where {}", describe_all(cs)),
        }
    }
}

/// What differs between a found list and a wanted one: missing, unexpected and repeated elements.
fn list_detail(pred: &Predicate, actual: &Value) -> Option<String> {
    let got = actual.as_array()?;
    let repeated = || -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for (i, x) in got.iter().enumerate() {
            if got[..i].iter().any(|y| json_eq(x, y)) && !out.iter().any(|o| json_eq(o, x)) {
                out.push(x.clone());
            }
        }
        out
    };
    let missing = |want: &[Value]| -> Vec<Value> {
        want.iter()
            .filter(|w| !got.iter().any(|g| json_eq(g, w)))
            .cloned()
            .collect()
    };
    let show = |label: &str, vs: Vec<Value>| -> Option<String> {
        (!vs.is_empty()).then(|| {
            format!(
                "{label} {}: {}",
                vs.len(),
                crate::text::trim_json(&Value::Array(vs), 200)
            )
        })
    };
    let parts: Vec<String> = match pred {
        Predicate::Unique => vec![show("repeated", repeated())],
        Predicate::ContainsAll(want) => vec![show("missing", missing(want))],
        Predicate::OldestFirstOf(order) => {
            let n = got.len().min(order.len());
            vec![show("older ones still undelivered", missing(&order[..n]))]
        }
        Predicate::SetEquals(want) => {
            let unexpected: Vec<Value> = got
                .iter()
                .filter(|g| !want.iter().any(|w| json_eq(g, w)))
                .cloned()
                .collect();
            vec![
                show("missing", missing(want)),
                show("unexpected", unexpected),
                show("repeated", repeated()),
            ]
        }
        _ => return None,
    }
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn describe_all(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| format!("`{}` is {}", c.at, c.predicate))
        .collect::<Vec<_>>()
        .join(" and ")
}

impl Check {
    /// Evaluates the check against a document.
    // A mismatch is rare and read at once; boxing it would only add noise at every call site.
    #[allow(clippy::result_large_err)]
    pub fn evaluate(&self, doc: &Value) -> Result<(), Mismatch> {
        let selected = self.at.select(doc);
        let fail = |actual: Option<Value>| Mismatch {
            at: self.at.to_string(),
            expected: self.predicate.to_string(),
            detail: actual
                .as_ref()
                .and_then(|a| list_detail(&self.predicate, a)),
            actual,
        };
        match (&self.predicate, selected) {
            (Predicate::Exists, Selected::One(v)) => v.map(|_| ()).ok_or_else(|| fail(None)),
            (Predicate::Exists, Selected::Many(vs)) => {
                if vs.is_empty() {
                    Err(fail(Some(Value::Array(vs))))
                } else {
                    Ok(())
                }
            }
            (Predicate::Absent, Selected::One(v)) => match v {
                None => Ok(()),
                Some(v) => Err(fail(Some(v))),
            },
            (Predicate::Absent, Selected::Many(vs)) => {
                if vs.is_empty() {
                    Ok(())
                } else {
                    Err(fail(Some(Value::Array(vs))))
                }
            }
            (Predicate::NotEquals(want), Selected::One(None)) => {
                let _ = want;
                Ok(())
            }
            (Predicate::NotContains(_), Selected::One(None)) => Ok(()),
            (pred, selected) => {
                let Some(v) = selected.into_value() else {
                    return Err(fail(None));
                };
                if self.holds(pred, &v, doc) {
                    Ok(())
                } else {
                    Err(fail(Some(v)))
                }
            }
        }
    }

    fn holds(&self, pred: &Predicate, v: &Value, doc: &Value) -> bool {
        match pred {
            Predicate::Equals(want) => json_eq(v, want),
            Predicate::NotEquals(want) => !json_eq(v, want),
            Predicate::Exists => true,
            Predicate::Absent => false,
            Predicate::Length(n) => length(v) == Some(*n),
            Predicate::LengthBetween(a, b) => length(v).is_some_and(|l| l >= *a && l <= *b),
            Predicate::Contains(x) => contains(v, x),
            Predicate::NotContains(x) => !contains(v, x),
            Predicate::Between(lo, hi) => v.as_f64().is_some_and(|n| n >= *lo && n <= *hi),
            Predicate::AtLeast(lo) => v.as_f64().is_some_and(|n| n >= *lo),
            Predicate::AtMost(hi) => v.as_f64().is_some_and(|n| n <= *hi),
            Predicate::Matches(re) => v.as_str().is_some_and(|s| re.is_match(s)),
            Predicate::OneOf(vs) => vs.iter().any(|w| json_eq(v, w)),
            Predicate::IsType(t) => t.matches(v),
            Predicate::ContainsAll(want) => v
                .as_array()
                .is_some_and(|got| want.iter().all(|w| got.iter().any(|g| json_eq(g, w)))),
            Predicate::SetEquals(want) => v.as_array().is_some_and(|got| {
                let mut remaining: Vec<&Value> = want.iter().collect();
                for g in got {
                    match remaining.iter().position(|w| json_eq(g, w)) {
                        Some(i) => {
                            remaining.swap_remove(i);
                        }
                        None => return false,
                    }
                }
                remaining.is_empty()
            }),
            Predicate::OldestFirstOf(order) => v.as_array().is_some_and(|got| {
                got.len() <= order.len()
                    && order[..got.len()]
                        .iter()
                        .all(|w| got.iter().any(|g| json_eq(g, w)))
            }),
            Predicate::Unique => v.as_array().is_some_and(|a| {
                a.iter()
                    .enumerate()
                    .all(|(i, x)| a[i + 1..].iter().all(|y| !json_eq(x, y)))
            }),
            Predicate::DisjointWith(other) => {
                let others = match other.select(doc).into_value() {
                    Some(Value::Array(a)) => a,
                    Some(x) => vec![x],
                    None => vec![],
                };
                v.as_array()
                    .is_some_and(|a| a.iter().all(|x| !others.iter().any(|y| json_eq(x, y))))
            }
            Predicate::Any(checks) => v.as_array().is_some_and(|a| {
                a.iter()
                    .any(|el| checks.iter().all(|c| c.evaluate(el).is_ok()))
            }),
            Predicate::All(checks) => v.as_array().is_some_and(|a| {
                a.iter()
                    .all(|el| checks.iter().all(|c| c.evaluate(el).is_ok()))
            }),
            Predicate::None(checks) => v.as_array().is_some_and(|a| {
                !a.iter()
                    .any(|el| checks.iter().all(|c| c.evaluate(el).is_ok()))
            }),
        }
    }
}

/// Equality where `1` and `1.0` are the same number.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn length(v: &Value) -> Option<usize> {
    match v {
        Value::Array(a) => Some(a.len()),
        Value::Object(o) => Some(o.len()),
        Value::String(s) => Some(s.chars().count()),
        _ => None,
    }
}

fn contains(v: &Value, x: &Value) -> bool {
    match (v, x) {
        (Value::Array(a), _) => a.iter().any(|el| json_eq(el, x)),
        (Value::Object(o), Value::String(k)) => o.contains_key(k),
        (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
        _ => false,
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
