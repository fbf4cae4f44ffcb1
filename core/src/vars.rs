//! Scenario variables and `{{…}}` templates.
//!
//! Captures store JSON values under a name. Strings in a scenario may refer to them as
//! `{{name}}`, `{{name.field}}` or `{{name + 5000}}` (integer arithmetic with `+`/`-`). A string
//! that is exactly one template keeps the variable's JSON type (`"{{count}}"` → `3`); a template
//! inside a longer string is inserted as text. `{{now_ms}}` is mscheck's clock, read by the
//! caller and passed in ([`Vars::at`]): rendering a template never reads a clock itself.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{{x}}` where `x` was never captured.
    #[error("unknown variable `{name}` (known: {known})")]
    Unknown {
        /// The missing name.
        name: String,
        /// The names that exist, for the message.
        known: String,
    },
    /// `{{` without `}}`, or an expression that is not `name`, `name.path` or `name ± int`.
    #[error("bad template `{text}`: {reason}")]
    Syntax {
        /// The template text.
        text: String,
        /// What was wrong.
        reason: String,
    },
}

/// The variables of one scenario run.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, Value>,
    /// What `{{now_ms}}` reads: the moment these variables were taken, by mscheck's clock.
    now_ms: Option<i64>,
}

impl Vars {
    /// The same variables, taken at `now_ms` (what `{{now_ms}}` reads).
    pub fn at(mut self, now_ms: i64) -> Self {
        self.now_ms = Some(now_ms);
        self
    }

    /// The moment the variables were taken, when it was given.
    pub fn now_ms(&self) -> Option<i64> {
        self.now_ms
    }

    /// Stores a value.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }

    /// Looks a value up by `name` or `name.field.field`. In a list, a part is an index: a
    /// number, or the name of a variable holding one (`ids.i` inside a `repeat`); `length` is
    /// the list's length (`{{ids.length - 1}}`).
    pub fn get(&self, dotted: &str) -> Option<Value> {
        if dotted == "now_ms" {
            return self.now_ms.map(Value::from);
        }
        let mut parts = dotted.split('.');
        let mut v = self.values.get(parts.next()?)?;
        for p in parts {
            v = match v {
                Value::Object(o) => o.get(p)?,
                Value::Array(a) if p == "length" => return Some(Value::from(a.len())),
                Value::Array(a) => {
                    let index = match p.parse::<usize>() {
                        Ok(n) => n,
                        Err(_) => usize::try_from(self.values.get(p)?.as_u64()?).ok()?,
                    };
                    a.get(index)?
                }
                _ => return None,
            };
        }
        Some(v.clone())
    }

    /// Every variable name, for messages.
    pub fn names(&self) -> Vec<&str> {
        self.values.keys().map(String::as_str).collect()
    }

    /// Renders every string (and object key) inside a JSON value.
    pub fn render(&self, v: &Value) -> Result<Value, TemplateError> {
        Ok(match v {
            Value::String(s) => self.render_str(s)?,
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.render(x)).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => {
                let mut out = Map::new();
                for (k, x) in o {
                    out.insert(self.render_text(k)?, self.render(x)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Renders a string; a string that is exactly one template keeps the value's JSON type.
    pub(crate) fn render_str(&self, s: &str) -> Result<Value, TemplateError> {
        let t = s.trim();
        if t.starts_with("{{")
            && t.ends_with("}}")
            && t[2..].find("{{").is_none()
            && t.matches("}}").count() == 1
        {
            return self.eval(&t[2..t.len() - 2], s);
        }
        Ok(Value::String(self.render_text(s)?))
    }

    /// Renders a string, inserting every template as text.
    pub fn render_text(&self, s: &str) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| TemplateError::Syntax {
                text: s.to_string(),
                reason: "`{{` without a closing `}}`".into(),
            })?;
            match self.eval(&after[..end], s)? {
                Value::String(x) => out.push_str(&x),
                other => out.push_str(&other.to_string()),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Evaluates `name`, `name.path`, or a sum of variables and integers written with spaced
    /// operators (`t0 + 5000`, `sent - due`, `a - b + 1`).
    fn eval(&self, expr: &str, whole: &str) -> Result<Value, TemplateError> {
        let syntax = |reason: String| TemplateError::Syntax {
            text: whole.to_string(),
            reason,
        };
        let terms = split_terms(expr.trim());
        if terms.len() == 1 {
            let name = terms[0].1;
            if name.is_empty() {
                return Err(syntax("empty `{{ }}`".into()));
            }
            return self.lookup(name);
        }
        let mut total: i64 = 0;
        for (sign, term) in terms {
            if term.is_empty() {
                return Err(syntax(
                    "expected a name or an integer around `+`/`-`".into(),
                ));
            }
            let n = match term.parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    let v = self.lookup(term)?;
                    v.as_i64().ok_or_else(|| {
                        syntax(format!(
                            "`{term}` is {v}, not an integer, so it cannot take `+`/`-`"
                        ))
                    })?
                }
            };
            total += sign * n;
        }
        Ok(Value::from(total))
    }

    fn lookup(&self, name: &str) -> Result<Value, TemplateError> {
        self.get(name).ok_or_else(|| TemplateError::Unknown {
            name: name.to_string(),
            known: self.names().join(", "),
        })
    }
}

/// Splits `a + b - 3` into signed terms; an operator counts only with a space before it, so
/// names with dashes stay whole.
fn split_terms(expr: &str) -> Vec<(i64, &str)> {
    let mut out = Vec::new();
    let mut sign = 1;
    let mut start = 0;
    let bytes = expr.as_bytes();
    for i in 1..bytes.len() {
        if (bytes[i] == b'+' || bytes[i] == b'-') && bytes[i - 1] == b' ' {
            out.push((sign, expr[start..i].trim()));
            sign = if bytes[i] == b'-' { -1 } else { 1 };
            start = i + 1;
        }
    }
    out.push((sign, expr[start..].trim()));
    out
}

/// Collects the variable names a string refers to (for load-time validation).
pub(crate) fn referenced_names(s: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        for (_, term) in split_terms(after[..end].trim()) {
            let root = term.split('.').next().unwrap_or("");
            if !root.is_empty() && root.parse::<i64>().is_err() {
                names.push(root.to_string());
            }
        }
        rest = &after[end + 2..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("room", json!("!abc"));
        v.set("t0", json!(1000));
        v.set("user", json!({"alice": {"id": "@alice:hs"}}));
        v
    }

    #[test]
    fn renders() {
        let v = vars();
        assert_eq!(v.render_str("{{room}}").unwrap(), json!("!abc"));
        assert_eq!(v.render_str("{{t0}}").unwrap(), json!(1000));
        assert_eq!(v.render_str("{{ t0 + 500 }}").unwrap(), json!(1500));
        assert_eq!(v.render_str("{{t0 - 1}}").unwrap(), json!(999));
        assert_eq!(v.render_str("{{t0 - t0 + 7}}").unwrap(), json!(7));
        assert_eq!(
            v.render_str("in {{room}} at {{t0}}").unwrap(),
            json!("in !abc at 1000")
        );
        assert_eq!(
            v.render_str("{{user.alice.id}}").unwrap(),
            json!("@alice:hs")
        );
        assert_eq!(
            v.render(&json!({"{{room}}": ["{{t0}}"]})).unwrap(),
            json!({"!abc": [1000]})
        );
    }

    #[test]
    fn lists_give_their_length_and_take_an_index_from_a_variable() {
        let mut v = vars();
        v.set("ids", json!(["a", "b", "c"]));
        v.set("i", json!(1));
        assert_eq!(v.render_str("{{ids.length}}").unwrap(), json!(3));
        assert_eq!(v.render_str("{{ids.length - 1}}").unwrap(), json!(2));
        assert_eq!(v.render_str("{{ids.i}}").unwrap(), json!("b"));
        assert_eq!(v.render_str("{{ids.2}}").unwrap(), json!("c"));
        v.set("i", json!(7));
        assert!(v.render_str("{{ids.i}}").is_err(), "out of range");
    }

    #[test]
    fn errors() {
        let v = vars();
        assert!(matches!(
            v.render_str("{{nope}}"),
            Err(TemplateError::Unknown { .. })
        ));
        assert!(matches!(
            v.render_str("{{room + 1}}"),
            Err(TemplateError::Syntax { .. })
        ));
        assert!(matches!(
            v.render_text("{{room"),
            Err(TemplateError::Syntax { .. })
        ));
        assert_eq!(referenced_names("a {{x.y}} {{ z + 1 }}"), vec!["x", "z"]);
        assert_eq!(referenced_names("{{a - b.0 + 5}}"), vec!["a", "b"]);
    }
}
