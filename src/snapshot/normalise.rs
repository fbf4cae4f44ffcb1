//! Normalisation: volatile values become stable placeholders so a snapshot only changes when the
//! shape or the meaningful content of a response changes.
//!
//! Rules, applied to keys and values alike:
//! * known user IDs → `@alice:[hs1]`; server names → `[hs1]`;
//! * event IDs (`$…`) → `[event_id_N]`, room IDs (`!…`) → `[room_id_N]`, delay IDs → `[delay_id_N]`,
//!   numbered by first appearance (maps are walked in sorted key order);
//! * timestamps, ages, TTLs, retry times → `[ts]`, `[age]`, `[ttl_ms]`, `[ms]`;
//! * sync tokens (`next_batch`, `prev_batch`, `pos`, `since`) → `[token]`;
//! * object keys are sorted.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

const TOKEN_KEYS: &[&str] = &[
    "next_batch",
    "prev_batch",
    "pos",
    "since",
    "start",
    "end",
    "from",
    "device_id",
];

struct Ids {
    table: BTreeMap<String, String>,
    counters: BTreeMap<&'static str, usize>,
}

impl Ids {
    fn placeholder(&mut self, kind: &'static str, raw: &str) -> String {
        if let Some(p) = self.table.get(raw) {
            return p.clone();
        }
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("[{kind}_{n}]");
        self.table.insert(raw.to_string(), p.clone());
        p
    }

    fn string(&mut self, s: &str, known: &[(String, String)]) -> String {
        if s.starts_with('$') && s.len() > 8 {
            return self.placeholder("event_id", s);
        }
        if s.starts_with('!') && s.len() > 8 {
            return self.placeholder("room_id", s);
        }
        if s.starts_with("syd_") {
            return self.placeholder("delay_id", s);
        }
        normalise_text(s, known)
    }
}

/// Replaces known IDs inside a text (longest first so user IDs win over server names).
pub fn normalise_text(s: &str, known: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = known.iter().collect();
    pairs.sort_by_key(|(raw, _)| std::cmp::Reverse(raw.len()));
    let mut out = s.to_string();
    for (raw, placeholder) in pairs {
        if !raw.is_empty() {
            out = out.replace(raw.as_str(), placeholder);
        }
    }
    out
}

/// A request line for a snapshot header: query dropped, encoded room and event IDs replaced.
pub fn normalise_request_line(line: &str, known: &[(String, String)]) -> String {
    let without_query = line.split('?').next().unwrap_or(line);
    let ids = regex::Regex::new(r"%21[^/]+|%24[^/]+").expect("static regex");
    let replaced = ids.replace_all(without_query, |c: &regex::Captures| {
        if c[0].starts_with("%21") {
            "[room_id]"
        } else {
            "[event_id]"
        }
    });
    // Delay IDs are chosen by the server per run (D-04).
    let delay_ids = regex::Regex::new(r"(/delayed_events/)[^/]+").expect("static regex");
    let replaced = delay_ids.replace_all(&replaced, "${1}[delay_id]");
    normalise_text(&replaced, known)
}

fn key_placeholder(key: &str, v: &Value) -> Option<Value> {
    if !(v.is_number() || v.is_string()) {
        return None;
    }
    let p = match key {
        "origin_server_ts" | "ts" | "delayed_since_ts" | "running_since" | "scheduled_at"
        | "finalised_ts" | "last_active_ago" => "[ts]",
        "age" => "[age]",
        "msc4354_sticky_duration_ttl_ms" | "sticky_duration_remaining_ms" => "[ttl_ms]",
        "retry_after_ms" => "[ms]",
        k if TOKEN_KEYS.contains(&k) => "[token]",
        k if k.ends_with("_ts") => "[ts]",
        "delay_id" | "org.matrix.msc4140.delay_id" => return None,
        _ => return None,
    };
    Some(Value::String(p.into()))
}

/// Normalises a JSON value.
pub fn normalise(v: &Value, known: &[(String, String)]) -> Value {
    let mut ids = Ids {
        table: BTreeMap::new(),
        counters: BTreeMap::new(),
    };
    walk(v, known, &mut ids)
}

fn walk(v: &Value, known: &[(String, String)], ids: &mut Ids) -> Value {
    match v {
        Value::String(s) => Value::String(ids.string(s, known)),
        Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, known, ids)).collect()),
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut sorted: Vec<(String, Value)> = Vec::new();
            for k in keys {
                let x = &o[k];
                let value = key_placeholder(k, x).unwrap_or_else(|| walk(x, known, ids));
                sorted.push((ids.string(k, known), value));
            }
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(sorted.into_iter().collect::<Map<_, _>>())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_volatile_values_stably() {
        let known = vec![
            (
                "@alice-ab12-0:localhost:4242".to_string(),
                "@alice:[hs1]".to_string(),
            ),
            ("localhost:4242".to_string(), "[hs1]".to_string()),
        ];
        let v = json!({
            "rooms": {"join": {"!AbCdEfGhIjK": {"events": [
                {"event_id": "$first-event-id", "sender": "@alice-ab12-0:localhost:4242", "origin_server_ts": 1795300337457_i64,
                 "unsigned": {"age": 12, "msc4354_sticky_duration_ttl_ms": 598000}},
                {"event_id": "$second-event-id", "redacts": "$first-event-id"}
            ]}}},
            "next_batch": "s120_39_0",
            "delay_id": "syd_MvuObbmzJpqrAyFVBSQp"
        });
        let n = normalise(&v, &known);
        assert_eq!(
            n,
            json!({
                "delay_id": "[delay_id_1]",
                "next_batch": "[token]",
                "rooms": {"join": {"[room_id_1]": {"events": [
                    {"event_id": "[event_id_1]", "origin_server_ts": "[ts]", "sender": "@alice:[hs1]",
                     "unsigned": {"age": "[age]", "msc4354_sticky_duration_ttl_ms": "[ttl_ms]"}},
                    {"event_id": "[event_id_2]", "redacts": "[event_id_1]"}
                ]}}}
            })
        );
    }

    #[test]
    fn request_lines_lose_room_event_and_delay_ids_and_the_query() {
        let line =
            "get: GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events/syd_Abc/send?x=1";
        assert_eq!(
            normalise_request_line(line, &[]),
            "get: GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events/[delay_id]/send"
        );
        assert_eq!(
            normalise_request_line("e: GET /rooms/%21r/event/%24e", &[]),
            "e: GET /rooms/[room_id]/event/[event_id]"
        );
    }
}
