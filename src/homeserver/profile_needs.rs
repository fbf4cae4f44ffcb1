//! How a profile expresses the needs scenarios declare (`requires: {server: …}`): each need maps
//! to a configuration fragment deep-merged into the profile's `config:` file, or to
//! `{unsupported: "reason"}` when the server cannot be set up that way (the scenarios that need
//! it are skipped, quoting the reason).

use crate::scenario::needs::Need;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a profile cannot set a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedRefused {
    /// The need, as scenarios write it (`rate_limits.messages: strict`).
    pub need: String,
    /// The profile's reason, when it maps the need to `{unsupported: "…"}`.
    pub reason: Option<String>,
}

impl std::fmt::Display for NeedRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            Some(reason) => write!(f, "cannot set {}: {reason}", self.need),
            None => write!(f, "cannot set {} (the profile does not map it)", self.need),
        }
    }
}

/// The reason of a fragment written `{unsupported: "reason"}`.
pub fn unsupported_reason(fragment: &Value) -> Option<&str> {
    let o = fragment.as_object()?;
    (o.len() == 1).then(|| o.get("unsupported")?.as_str())?
}

/// The configuration fragment for every need, merged from a profile's `needs` map, or the first
/// need the profile cannot express.
pub fn overlay(mapped: &BTreeMap<String, Value>, needs: &[Need]) -> Result<Value, NeedRefused> {
    {
        let mut overlay = Value::Object(Default::default());
        for need in needs {
            let (fragment, value) = match (mapped.get(&need.choice_key()), mapped.get(&need.key)) {
                (Some(f), _) => (f, None),
                (None, Some(f)) => (f, Some(&need.value)),
                (None, None) => {
                    return Err(NeedRefused {
                        need: need.display(),
                        reason: None,
                    })
                }
            };
            if let Some(reason) = unsupported_reason(fragment) {
                return Err(NeedRefused {
                    need: need.display(),
                    reason: Some(reason.to_string()),
                });
            }
            let rendered = render_value(fragment, value);
            super::config_file::merge(&mut overlay, &rendered);
        }
        Ok(overlay)
    }
}

/// `{{value}}` (the need's value, keeping its type when it is the whole string) and
/// `{{value_ms}}` (a duration in milliseconds) in a fragment.
fn render_value(fragment: &Value, value: Option<&Value>) -> Value {
    let Some(value) = value else {
        return fragment.clone();
    };
    let ms = value
        .as_str()
        .and_then(crate::units::parse_duration)
        .map(|d| Value::from(d.as_millis() as u64));
    match fragment {
        Value::String(s) if s == "{{value}}" => value.clone(),
        Value::String(s) if s == "{{value_ms}}" => ms.unwrap_or(Value::Null),
        Value::String(s) => Value::String(
            s.replace(
                "{{value}}",
                &value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| value.to_string()),
            )
            .replace(
                "{{value_ms}}",
                &ms.map(|m| m.to_string()).unwrap_or_default(),
            ),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| render_value(x, Some(value))).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), render_value(x, Some(value))))
                .collect(),
        ),
        other => other.clone(),
    }
}
