//! What the fake server knows of a room it joined: the room version, every event it has seen
//! (from send_join, from incoming transactions, and its own), the current state as it last heard
//! it, and the newest event to build on. Enough to build valid new events and to answer the
//! server under test when it asks for events the fake sent.

use super::error::FederationError;
use super::pdu;
use ruma_common::room_version_rules::RoomVersionRules;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One room, as the fake server sees it.
pub struct FakeRoom {
    /// The room ID.
    pub room_id: String,
    /// The room version (`"12"`).
    pub version: String,
    rules: RoomVersionRules,
    events: HashMap<String, Value>,
    /// Event IDs in the order the fake learnt of them.
    order: Vec<String>,
    /// (type, state_key) → event ID.
    state: BTreeMap<(String, String), String>,
    /// The event new events build on.
    latest: Option<String>,
}

impl FakeRoom {
    /// An empty room of a version.
    pub fn new(room_id: &str, version: &str) -> Result<Self, FederationError> {
        Ok(FakeRoom {
            room_id: room_id.to_string(),
            version: version.to_string(),
            rules: pdu::rules(version)?,
            events: HashMap::new(),
            order: Vec::new(),
            state: BTreeMap::new(),
            latest: None,
        })
    }

    /// The room version's rules.
    pub fn rules(&self) -> &RoomVersionRules {
        &self.rules
    }

    /// Stores an event. `current` says whether it belongs to the room's current state and
    /// timeline (send_join's state and new events) or is only history (an auth chain).
    pub fn add(&mut self, id: &str, pdu: Value, current: bool) {
        if !self.events.contains_key(id) {
            self.order.push(id.to_string());
        }
        if current {
            if let (Some(t), Some(k)) = (
                pdu.get("type").and_then(Value::as_str),
                pdu.get("state_key").and_then(Value::as_str),
            ) {
                self.state
                    .insert((t.to_string(), k.to_string()), id.to_string());
            }
            let depth = pdu.get("depth").and_then(Value::as_u64).unwrap_or(0);
            let deeper = self.latest.as_ref().is_none_or(|l| depth >= self.depth(l));
            if deeper {
                self.latest = Some(id.to_string());
            }
        }
        self.events.insert(id.to_string(), pdu);
    }

    /// The event new events build on.
    pub fn latest(&self) -> Option<String> {
        self.latest.clone()
    }

    /// Makes new events build on `id` (to fork the room on purpose).
    pub fn build_on(&mut self, id: Option<String>) {
        self.latest = id;
    }

    /// An event the fake knows.
    pub fn event(&self, id: &str) -> Option<&Value> {
        self.events.get(id)
    }

    /// The current state: event IDs of every state entry.
    pub fn state_ids(&self) -> Vec<String> {
        self.state.values().cloned().collect()
    }

    /// Every event the fake knows that is not in the current state (the auth chain, roughly).
    pub fn other_ids(&self) -> Vec<String> {
        let state: std::collections::HashSet<&String> = self.state.values().collect();
        self.order
            .iter()
            .filter(|id| !state.contains(id))
            .cloned()
            .collect()
    }

    fn depth(&self, id: &str) -> u64 {
        self.events
            .get(id)
            .and_then(|e| e.get("depth"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    /// The state event for (type, state_key), if known.
    pub fn state_event(&self, kind: &str, state_key: &str) -> Option<&String> {
        self.state.get(&(kind.to_string(), state_key.to_string()))
    }

    /// A new, unsigned event from `sender` that builds on the newest known event, with the auth
    /// events the spec's selection rules name (the create event only before room version 12).
    /// `extra` holds further top-level keys (the sticky object, or deliberately odd values).
    pub fn build(
        &self,
        sender: &str,
        kind: &str,
        state_key: Option<&str>,
        content: Value,
        extra: &Map<String, Value>,
        origin_server_ts: i64,
    ) -> Value {
        let mut auth = Vec::new();
        if !self.rules.authorization.room_create_event_id_as_room_id {
            auth.extend(self.state_event("m.room.create", ""));
        }
        auth.extend(self.state_event("m.room.power_levels", ""));
        auth.extend(self.state_event("m.room.member", sender));
        if kind == "m.room.member" {
            if let Some(target) = state_key.filter(|t| *t != sender) {
                auth.extend(self.state_event("m.room.member", target));
            }
            auth.extend(self.state_event("m.room.join_rules", ""));
        }
        auth.sort();
        auth.dedup();
        let prev: Vec<&String> = self.latest.iter().collect();
        let depth = self.latest.as_ref().map(|l| self.depth(l)).unwrap_or(0) + 1;
        let mut e = json!({
            "room_id": self.room_id,
            "sender": sender,
            "type": kind,
            "content": content,
            "origin_server_ts": origin_server_ts,
            "depth": depth,
            "prev_events": prev,
            "auth_events": auth,
        });
        if let Some(k) = state_key {
            e["state_key"] = json!(k);
        }
        if let Some(o) = e.as_object_mut() {
            for (k, v) in extra {
                o.insert(k.clone(), v.clone());
            }
        }
        e
    }

    /// Events between `earliest` (exclusive) and `latest`, walking back along `prev_events`,
    /// oldest first, at most `limit` (the answer to `/get_missing_events`).
    pub fn missing_events(
        &self,
        earliest: &[String],
        latest: &[String],
        limit: usize,
    ) -> Vec<Value> {
        let start = latest.iter().flat_map(|l| prev_events(self.events.get(l)));
        let mut out = self.walk_back(start, earliest, limit);
        out.sort_by_key(|e| e.get("depth").and_then(Value::as_u64).unwrap_or(0));
        out
    }

    /// `limit` events from `from` backwards, newest first (the answer to `/backfill`).
    pub fn backfill(&self, from: &[String], limit: usize) -> Vec<Value> {
        self.walk_back(from.iter().cloned(), &[], limit)
    }

    /// Known events reached from `start` along `prev_events`, breadth first, stopping at `stop`.
    fn walk_back(
        &self,
        start: impl IntoIterator<Item = String>,
        stop: &[String],
        limit: usize,
    ) -> Vec<Value> {
        let mut out = Vec::new();
        let mut seen: std::collections::HashSet<String> = stop.iter().cloned().collect();
        let mut queue: std::collections::VecDeque<String> = start.into_iter().collect();
        while let Some(id) = queue.pop_front() {
            if out.len() >= limit || !seen.insert(id.clone()) {
                continue;
            }
            if let Some(e) = self.events.get(&id) {
                out.push(e.clone());
                queue.extend(prev_events(Some(e)));
            }
        }
        out
    }
}

fn prev_events(e: Option<&Value>) -> Vec<String> {
    string_list(e.and_then(|e| e.get("prev_events")))
}

/// The strings of a JSON array (event ID lists); nothing for anything else.
pub(super) fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(kind: &str, key: &str, depth: u64, prev: &[&str]) -> Value {
        json!({"type": kind, "state_key": key, "depth": depth, "prev_events": prev, "content": {}})
    }

    #[test]
    fn new_events_cite_the_selected_auth_events_and_build_on_the_deepest() {
        let mut r = FakeRoom::new("!r", "12").unwrap();
        r.add("$create", state("m.room.create", "", 1, &[]), true);
        r.add(
            "$pl",
            state("m.room.power_levels", "", 3, &["$create"]),
            true,
        );
        r.add("$jr", state("m.room.join_rules", "", 4, &["$pl"]), true);
        r.add("$me", state("m.room.member", "@zed:f", 6, &["$jr"]), true);
        r.add("$old", state("m.room.topic", "", 2, &[]), false);
        let e = r.build(
            "@zed:f",
            "org.example.sticky",
            None,
            json!({}),
            &Map::new(),
            5,
        );
        assert_eq!(e["prev_events"], json!(["$me"]));
        assert_eq!(e["depth"], 7);
        // Room version 12: the create event is the room ID, never an auth event.
        assert_eq!(e["auth_events"], json!(["$me", "$pl"]));
        let r11 = {
            let mut r = FakeRoom::new("!r", "11").unwrap();
            r.add("$create", state("m.room.create", "", 1, &[]), true);
            r
        };
        let e = r11.build("@zed:f", "m.room.message", None, json!({}), &Map::new(), 5);
        assert_eq!(e["auth_events"], json!(["$create"]));
        assert_eq!(
            r.missing_events(&["$pl".into()], &["$me".into()], 10).len(),
            1
        );
        assert_eq!(r.backfill(&["$me".into()], 2).len(), 2);
    }
}
