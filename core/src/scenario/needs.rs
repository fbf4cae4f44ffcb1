//! What a scenario needs from the server's configuration, in implementation-neutral words
//! (`requires: {server: {max_delayed_events_per_user: 0, rate_limits: {messages: strict}}}`).
//! Each implementation profile maps the needs it can express to its own configuration; a need a
//! profile cannot express skips the scenario with the reason, never a wrong result.

use serde_json::Value;

/// The kind of value a need takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedKind {
    /// A whole number ≥ 0 (`{{value}}` in the profile's fragment).
    Count,
    /// A duration such as `10s` (`{{value}}` as written, `{{value_ms}}` in milliseconds).
    Duration,
    /// One of a few words; the profile maps each (`rate_limits.messages=strict`).
    Choice(&'static [&'static str]),
}

/// One need of the vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct NeedSpec {
    /// Dotted key (`rate_limits.messages`).
    pub key: &'static str,
    /// Its values.
    pub kind: NeedKind,
    /// What it means, for the README and hints.
    pub meaning: &'static str,
}

/// Every need a scenario may state.
pub(crate) const VOCABULARY: &[NeedSpec] = &[
    NeedSpec {
        key: "max_delayed_events_per_user",
        kind: NeedKind::Count,
        meaning: "the per-user cap on scheduled delayed events (MSC4140); 0 turns scheduling off",
    },
    NeedSpec {
        key: "max_delay",
        kind: NeedKind::Duration,
        meaning: "the longest delay a delayed event may have",
    },
    NeedSpec {
        key: "rate_limits.messages",
        kind: NeedKind::Choice(&["strict"]),
        meaning: "strict: a user may send a burst of about 3 events, then about one every 100 s",
    },
    NeedSpec {
        key: "rate_limits.delayed_event_management",
        kind: NeedKind::Choice(&["strict"]),
        meaning: "strict: a burst of about 3 delayed-event requests, then about one every 100 s",
    },
    NeedSpec {
        key: "rate_limits.federation",
        kind: NeedKind::Choice(&["strict"]),
        meaning: "strict: incoming federation transactions beyond one at a time are refused (429)",
    },
    NeedSpec {
        key: "federation_retry",
        kind: NeedKind::Choice(&["fast"]),
        meaning: "fast: a failing destination is retried within a few seconds, not minutes",
    },
    NeedSpec {
        key: "spam_check",
        kind: NeedKind::Choice(&["flag_marked"]),
        meaning: "flag_marked: events whose content has `org.mscheck.flag_as_spam: true` are flagged as spam",
    },
];

/// A need as a scenario states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// Dotted key.
    pub key: String,
    /// Its value.
    pub value: Value,
}

impl Need {
    /// A need.
    pub fn new(key: &str, value: Value) -> Self {
        Need {
            key: key.to_string(),
            value,
        }
    }

    /// `rate_limits.messages=strict`: the profile key of a chosen word.
    pub fn choice_key(&self) -> String {
        match &self.value {
            Value::String(s) => format!("{}={s}", self.key),
            other => format!("{}={other}", self.key),
        }
    }

    /// `rate_limits.messages: strict`, for skip reasons.
    pub fn display(&self) -> String {
        match &self.value {
            Value::String(s) => format!("{}: {s}", self.key),
            other => format!("{}: {other}", self.key),
        }
    }
}

/// The vocabulary entry of a key.
pub fn spec(key: &str) -> Option<&'static NeedSpec> {
    VOCABULARY.iter().find(|s| s.key == key)
}

/// Checks a need's value against the vocabulary.
pub fn check(key: &str, value: &Value) -> Result<(), String> {
    let Some(spec) = spec(key) else {
        let known: Vec<&str> = VOCABULARY.iter().map(|s| s.key).collect();
        let hint = crate::text::did_you_mean(key, known.iter().copied())
            .map(|h| format!(" (did you mean `{h}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "unknown server need `{key}`{hint}; needs: {}",
            known.join(", ")
        ));
    };
    let ok = match spec.kind {
        NeedKind::Count => value.as_u64().is_some(),
        NeedKind::Duration => value
            .as_str()
            .is_some_and(|s| crate::units::parse_duration(s).is_some()),
        NeedKind::Choice(words) => value.as_str().is_some_and(|s| words.contains(&s)),
    };
    if ok {
        return Ok(());
    }
    Err(match spec.kind {
        NeedKind::Count => format!("`{key}` takes a whole number ≥ 0"),
        NeedKind::Duration => format!("`{key}` takes a duration such as 10s"),
        NeedKind::Choice(words) => format!("`{key}` takes one of: {}", words.join(", ")),
    })
}

/// Checks a key of a profile's `needs:` (`max_delay`, or `rate_limits.messages=strict`).
pub fn check_profile_key(k: &str) -> Result<(), String> {
    match k.split_once('=') {
        Some((key, word)) => check(key, &Value::String(word.to_string())),
        None => match spec(k) {
            Some(NeedSpec {
                kind: NeedKind::Choice(words),
                ..
            }) => Err(format!(
                "name the word it maps: `{k}={}`",
                words.first().copied().unwrap_or("")
            )),
            Some(_) => Ok(()),
            None => check(k, &Value::Null),
        },
    }
}

/// Flattens `{rate_limits: {messages: strict}}` into dotted keys with their values.
pub fn flatten(prefix: &str, v: &Value, out: &mut Vec<Need>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                // A mapping is a group of needs unless the key itself is a need.
                if x.is_object() && spec(&key).is_none() {
                    flatten(&key, x, out);
                } else {
                    out.push(Need::new(&key, x.clone()));
                }
            }
        }
        other => out.push(Need::new(prefix, other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn needs_are_flattened_and_checked() {
        let mut out = Vec::new();
        flatten(
            "",
            &json!({"max_delayed_events_per_user": 0, "rate_limits": {"messages": "strict"}}),
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                Need::new("max_delayed_events_per_user", json!(0)),
                Need::new("rate_limits.messages", json!("strict")),
            ]
        );
        assert!(out.iter().all(|n| check(&n.key, &n.value).is_ok()));
        assert!(check("rate_limits.messages", &json!("lenient"))
            .unwrap_err()
            .contains("one of: strict"));
        assert!(check("max_delayed_events", &json!(1))
            .unwrap_err()
            .contains("did you mean `max_delayed_events_per_user`?"));
        assert!(check("max_delay", &json!("soon")).is_err());
        assert!(check_profile_key("rate_limits.messages").is_err());
        assert!(check_profile_key("rate_limits.messages=strict").is_ok());
        assert!(check_profile_key("max_delay").is_ok());
    }
}
