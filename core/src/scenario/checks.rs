//! Turning a written check (`at:` plus a predicate key) into a [`matcher::Check`].
//!
//! Used twice: at load time on the raw values (to reject a bad regex or a non-list `between`
//! early), and at run time after templates are rendered.

use crate::matcher::{Check, JsonType, Path, Predicate};
use regex::Regex;
use serde_json::Value;

/// Every predicate key a check may use.
pub(crate) const PREDICATES: &[&str] = &[
    "equals",
    "not_equals",
    "exists",
    "absent",
    "length",
    "length_between",
    "contains",
    "not_contains",
    "between",
    "at_least",
    "at_most",
    "matches",
    "one_of",
    "type",
    "set_equals",
    "oldest_first_of",
    "contains_all",
    "unique",
    "disjoint_with",
    "any",
    "all",
    "none",
];

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

/// Builds a predicate from its key and argument.
pub fn build_predicate(name: &str, arg: &Value) -> Result<Predicate, String> {
    Ok(match name {
        "equals" => Predicate::Equals(arg.clone()),
        "not_equals" => Predicate::NotEquals(arg.clone()),
        "exists" => {
            if flag(name, arg)? {
                Predicate::Exists
            } else {
                Predicate::Absent
            }
        }
        "absent" => {
            if flag(name, arg)? {
                Predicate::Absent
            } else {
                Predicate::Exists
            }
        }
        "length" => Predicate::Length(
            arg.as_u64()
                .ok_or_else(|| format!("`length` needs a whole number, found {arg}"))?
                as usize,
        ),
        "length_between" => {
            let (a, b) = pair(name, arg)?;
            Predicate::LengthBetween(a as usize, b as usize)
        }
        "contains" => Predicate::Contains(arg.clone()),
        "not_contains" => Predicate::NotContains(arg.clone()),
        "between" => {
            let (a, b) = pair(name, arg)?;
            Predicate::Between(a, b)
        }
        "at_least" => Predicate::AtLeast(number(name, arg)?),
        "at_most" => Predicate::AtMost(number(name, arg)?),
        "matches" => {
            let s = arg.as_str().ok_or_else(|| {
                format!("`matches` needs a regular expression string, found {arg}")
            })?;
            Predicate::Matches(Regex::new(s).map_err(|e| format!("bad regular expression: {e}"))?)
        }
        "one_of" => Predicate::OneOf(list(name, arg)?),
        "type" => {
            let s = arg.as_str().unwrap_or("");
            Predicate::IsType(JsonType::from_name(s).ok_or_else(|| {
                format!(
                    "unknown type `{s}` (expected one of: {})",
                    JsonType::NAMES.join(", ")
                )
            })?)
        }
        "set_equals" => Predicate::SetEquals(list(name, arg)?),
        "oldest_first_of" => Predicate::OldestFirstOf(list(name, arg)?),
        "contains_all" => Predicate::ContainsAll(list(name, arg)?),
        "unique" => {
            if !flag(name, arg)? {
                return Err("`unique: false` checks nothing; leave it out".into());
            }
            Predicate::Unique
        }
        "disjoint_with" => Predicate::DisjointWith(
            Path::parse(
                arg.as_str()
                    .ok_or_else(|| format!("`disjoint_with` needs a selector, found {arg}"))?,
            )
            .map_err(|e| e.to_string())?,
        ),
        "any" | "all" | "none" => {
            let mut nested = Vec::new();
            for item in list(name, arg)? {
                nested.extend(build_nested(&item)?);
            }
            match name {
                "any" => Predicate::Any(nested),
                "all" => Predicate::All(nested),
                _ => Predicate::None(nested),
            }
        }
        other => {
            let hint = crate::text::did_you_mean(other, PREDICATES.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!("unknown predicate `{other}`{hint}"));
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
