//! `power_levels`: read the room's m.room.power_levels, change it, write it back.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Json, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use serde_json::{json, Value};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "power_levels",
    summary: "read m.room.power_levels, change it (user names → levels, event types → levels, other keys) and write it back",
    needs_user: true,
    // Its requests (the read and the write).
    samples: &[
    (
        "GET",
        "/_matrix/client/v3/rooms/%21r/state/m.room.power_levels/",
    ),
    (
        "PUT",
        "/_matrix/client/v3/rooms/%21r/state/m.room.power_levels/",
    ),
],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    /// User names (or full user IDs) → levels.
    users: Option<Json>,
    /// Event types → levels.
    events: Option<Json>,
    /// Other top-level keys, set as given.
    set: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        Some(Step {
            users: f.mapping("users"),
            events: f.mapping("events"),
            set: f.mapping("set"),
            room: room?,
        })
    }
}

impl HttpStep for Step {
    fn reads_power_levels(&self) -> Option<&Text> {
        Some(&self.room)
    }

    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let mut current = cx
            .power_levels
            .clone()
            .ok_or_else(|| HarnessError::harness("the room's power levels were not read"))?;
        let o = current
            .as_object_mut()
            .ok_or_else(|| HarnessError::harness("m.room.power_levels is not an object"))?;
        if let Some(Value::Object(users)) = self.users.as_ref().map(|u| cx.json(u)).transpose()? {
            let entry = o.entry("users").or_insert_with(|| json!({}));
            for (name, level) in users {
                // A full user ID (a fake federating server's user) is used as it is.
                let id = if name.starts_with('@') {
                    name
                } else {
                    cx.user_id(&name)?
                };
                entry[id] = level;
            }
        }
        if let Some(Value::Object(events)) = self.events.as_ref().map(|e| cx.json(e)).transpose()? {
            let entry = o.entry("events").or_insert_with(|| json!({}));
            for (event_type, level) in events {
                entry[event_type] = level;
            }
        }
        if let Some(Value::Object(set)) = self.set.as_ref().map(|s| cx.json(s)).transpose()? {
            o.extend(set);
        }
        Ok(HttpCall::new(
            Method::Put,
            format!(
                "{V3}/rooms/{}/state/m.room.power_levels/",
                cx.segment(&self.room)?
            ),
        )
        .body(current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json, text};

    #[test]
    fn changes_the_current_levels() {
        let step = Step {
            room: text("!r"),
            users: Some(json(json!({"bob": 50, "@zed:fake": -1}))),
            events: Some(json(json!({"org.example": 10}))),
            set: Some(json(json!({"events_default": 0}))),
        };
        let mut c = cx();
        assert!(step.build(&c).is_err(), "the levels must be read first");
        c.power_levels = Some(json!({"users": {"@alice:hs1.test": 100}, "events_default": 50}));
        let call = step.build(&c).unwrap();
        assert_eq!(call.method, Method::Put);
        assert_eq!(
            call.body.unwrap(),
            json!({"users": {"@alice:hs1.test": 100, "@bob:hs1.test": 50, "@zed:fake": -1}, "events_default": 0, "events": {"org.example": 10}})
        );
    }
}
