//! Turning a written check (`at:` plus a predicate key) into a [`matcher::Check`].
//!
//! Used twice: at load time on the raw values (to reject a bad regex or a non-list `between`
//! early), and at run time after templates are rendered.

use crate::matcher::{Check, JsonType, Path, Predicate};
use regex::Regex;
use serde_json::Value;

/// A check's predicate key (`equals`, `contains`, …): what a written check asks of the values
/// its selector finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredicateKind {
    /// `equals`.
    Equals,
    /// `not_equals`.
    NotEquals,
    /// `exists`.
    Exists,
    /// `absent`.
    Absent,
    /// `length`.
    Length,
    /// `length_between`.
    LengthBetween,
    /// `contains`.
    Contains,
    /// `not_contains`.
    NotContains,
    /// `between`.
    Between,
    /// `at_least`.
    AtLeast,
    /// `at_most`.
    AtMost,
    /// `matches`.
    Matches,
    /// `one_of`.
    OneOf,
    /// `type`.
    Type,
    /// `set_equals`.
    SetEquals,
    /// `oldest_first_of`.
    OldestFirstOf,
    /// `contains_all`.
    ContainsAll,
    /// `unique`.
    Unique,
    /// `disjoint_with`.
    DisjointWith,
    /// `any`.
    Any,
    /// `all`.
    All,
    /// `none`.
    None,
}

/// Every predicate key a check may use (the words of [`PredicateKind::ALL`]).
pub(crate) const PREDICATES: [&str; PredicateKind::ALL.len()] = {
    let mut words = [""; PredicateKind::ALL.len()];
    let mut i = 0;
    while i < words.len() {
        words[i] = PredicateKind::ALL[i].0;
        i += 1;
    }
    words
};

impl PredicateKind {
    /// Every predicate key, by its word.
    pub const ALL: [(&'static str, PredicateKind); 22] = [
        ("equals", PredicateKind::Equals),
        ("not_equals", PredicateKind::NotEquals),
        ("exists", PredicateKind::Exists),
        ("absent", PredicateKind::Absent),
        ("length", PredicateKind::Length),
        ("length_between", PredicateKind::LengthBetween),
        ("contains", PredicateKind::Contains),
        ("not_contains", PredicateKind::NotContains),
        ("between", PredicateKind::Between),
        ("at_least", PredicateKind::AtLeast),
        ("at_most", PredicateKind::AtMost),
        ("matches", PredicateKind::Matches),
        ("one_of", PredicateKind::OneOf),
        ("type", PredicateKind::Type),
        ("set_equals", PredicateKind::SetEquals),
        ("oldest_first_of", PredicateKind::OldestFirstOf),
        ("contains_all", PredicateKind::ContainsAll),
        ("unique", PredicateKind::Unique),
        ("disjoint_with", PredicateKind::DisjointWith),
        ("any", PredicateKind::Any),
        ("all", PredicateKind::All),
        ("none", PredicateKind::None),
    ];

    /// The predicate a key names, if it names one.
    pub fn parse(word: &str) -> Option<PredicateKind> {
        crate::text::by_word(&Self::ALL, word)
    }

    /// Its key.
    pub fn word(self) -> &'static str {
        crate::text::word_of(&Self::ALL, self)
    }
}

/// Builds one check.
pub(crate) fn build_check(at: &str, predicate: &str, arg: &Value) -> Result<Check, String> {
    let at = Path::parse(at).map_err(|e| e.to_string())?;
    Ok(Check {
        at,
        predicate: build_predicate(predicate, arg)?,
    })
}

fn number(name: &str, v: &Value) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("`{name}` needs a number, found {v}"))
}

fn pair(name: &str, v: &Value) -> Result<(f64, f64), String> {
    match v.as_array().map(Vec::as_slice) {
        Some([a, b]) => Ok((number(name, a)?, number(name, b)?)),
        _ => Err(format!(
            "`{name}` needs a list of two numbers `[low, high]`, found {v}"
        )),
    }
}

fn list(name: &str, v: &Value) -> Result<Vec<Value>, String> {
    v.as_array()
        .cloned()
        .ok_or_else(|| format!("`{name}` needs a list, found {v}"))
}

fn flag(name: &str, v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("`{name}` needs true or false, found {v}"))
}

/// Builds a predicate from its key and argument; an unknown key is an error naming the nearest.
pub fn build_predicate(name: &str, arg: &Value) -> Result<Predicate, String> {
    match PredicateKind::parse(name) {
        Some(kind) => predicate(kind, arg),
        None => {
            let hint = crate::text::did_you_mean(name, PREDICATES)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Err(format!("unknown predicate `{name}`{hint}"))
        }
    }
}

/// Builds a predicate of a known kind from its argument.
pub fn predicate(kind: PredicateKind, arg: &Value) -> Result<Predicate, String> {
    use PredicateKind as K;
    let name = kind.word();
    Ok(match kind {
        K::Equals => Predicate::Equals(arg.clone()),
        K::NotEquals => Predicate::NotEquals(arg.clone()),
        K::Exists => {
            if flag(name, arg)? {
                Predicate::Exists
            } else {
                Predicate::Absent
            }
        }
        K::Absent => {
            if flag(name, arg)? {
                Predicate::Absent
            } else {
                Predicate::Exists
            }
        }
        K::Length => Predicate::Length(
            arg.as_u64()
                .ok_or_else(|| format!("`length` needs a whole number, found {arg}"))?
                as usize,
        ),
        K::LengthBetween => {
            let (a, b) = pair(name, arg)?;
            Predicate::LengthBetween(a as usize, b as usize)
        }
        K::Contains => Predicate::Contains(arg.clone()),
        K::NotContains => Predicate::NotContains(arg.clone()),
        K::Between => {
            let (a, b) = pair(name, arg)?;
            Predicate::Between(a, b)
        }
        K::AtLeast => Predicate::AtLeast(number(name, arg)?),
        K::AtMost => Predicate::AtMost(number(name, arg)?),
        K::Matches => {
            let s = arg.as_str().ok_or_else(|| {
                format!("`matches` needs a regular expression string, found {arg}")
            })?;
            Predicate::Matches(Regex::new(s).map_err(|e| format!("bad regular expression: {e}"))?)
        }
        K::OneOf => Predicate::OneOf(list(name, arg)?),
        K::Type => {
            let s = arg.as_str().unwrap_or("");
            Predicate::IsType(JsonType::from_name(s).ok_or_else(|| {
                format!(
                    "unknown type `{s}` (expected one of: {})",
                    JsonType::NAMES.join(", ")
                )
            })?)
        }
        K::SetEquals => Predicate::SetEquals(list(name, arg)?),
        K::OldestFirstOf => Predicate::OldestFirstOf(list(name, arg)?),
        K::ContainsAll => Predicate::ContainsAll(list(name, arg)?),
        K::Unique => {
            if !flag(name, arg)? {
                return Err("`unique: false` checks nothing; leave it out".into());
            }
            Predicate::Unique
        }
        K::DisjointWith => Predicate::DisjointWith(
            Path::parse(
                arg.as_str()
                    .ok_or_else(|| format!("`disjoint_with` needs a selector, found {arg}"))?,
            )
            .map_err(|e| e.to_string())?,
        ),
        K::Any | K::All | K::None => {
            let mut nested = Vec::new();
            for item in list(name, arg)? {
                nested.extend(build_nested(&item)?);
            }
            match kind {
                K::Any => Predicate::Any(nested),
                K::All => Predicate::All(nested),
                _ => Predicate::None(nested),
            }
        }
    })
}

/// A nested check map `{at?: selector, <predicate>: arg, …}` (for `any`/`all`/`none`).
pub(crate) fn build_nested(item: &Value) -> Result<Vec<Check>, String> {
    let obj = item.as_object().ok_or_else(|| {
        format!("expected a check like `{{at: key, equals: value}}`, found {item}")
    })?;
    let at = obj.get("at").and_then(Value::as_str).unwrap_or("");
    let mut out = Vec::new();
    for (k, v) in obj {
        if k != "at" {
            out.push(build_check(at, k, v)?);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "check at `{at}` has no predicate (one of: {})",
            PREDICATES.join(", ")
        ));
    }
    Ok(out)
}
