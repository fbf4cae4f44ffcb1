//! `create_room`: POST /createRoom.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Json, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use serde_json::{json, Value};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "create_room",
    summary: "POST /createRoom; capture `room_id`",
    needs_user: true,
    samples: &[("POST", "/_matrix/client/v3/createRoom")],
};

/// The fields.
#[derive(Debug, Clone, Default)]
pub struct Step {
    preset: Option<Text>,
    visibility: Option<Text>,
    name: Option<Text>,
    invite: Option<Vec<String>>,
    initial_state: Option<Json>,
    power_levels: Option<Json>,
    history_visibility: Option<Text>,
    room_version: Option<Text>,
    body: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            preset: f.text("preset"),
            visibility: f.text("visibility"),
            name: f.text("name"),
            invite: f.users("invite"),
            initial_state: f.json("initial_state"),
            power_levels: f.mapping("power_levels"),
            history_visibility: f.text("history_visibility"),
            room_version: f.text("room_version"),
            body: f.mapping("body"),
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let mut body = match &self.body {
            Some(b) => cx.json(b)?,
            None => json!({}),
        };
        let o = body
            .as_object_mut()
            .ok_or_else(|| HarnessError::harness("`body` must be an object"))?;
        for (key, value) in [
            ("preset", &self.preset),
            ("visibility", &self.visibility),
            ("name", &self.name),
            ("room_version", &self.room_version),
        ] {
            if let Some(v) = value {
                o.insert(key.into(), Value::String(cx.text(v)?));
            }
        }
        if let Some(pl) = &self.power_levels {
            o.insert(
                "power_level_content_override".into(),
                cx.user_keys(cx.json(pl)?),
            );
        }
        if let Some(names) = &self.invite {
            let ids = names
                .iter()
                .map(|n| cx.user_id(n).map(Value::String))
                .collect::<Result<Vec<_>, _>>()?;
            o.insert("invite".into(), Value::Array(ids));
        }
        let mut initial = match &self.initial_state {
            Some(s) => cx.json(s)?,
            None => json!([]),
        };
        if let (Some(hv), Some(list)) = (&self.history_visibility, initial.as_array_mut()) {
            list.push(json!({"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": cx.text(hv)?}}));
        }
        if initial.as_array().is_some_and(|x| !x.is_empty()) {
            o.insert("initial_state".into(), initial);
        }
        Ok(HttpCall::new(Method::Post, format!("{V3}/createRoom")).body(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn builds_the_room_with_invites_power_levels_and_history_visibility() {
        let step = Step {
            preset: Some(text("public_chat")),
            invite: Some(vec!["bob".into()]),
            power_levels: Some(Json(json!({"users": {"bob": 50}}))),
            history_visibility: Some(text("joined")),
            ..Default::default()
        };
        let call = step.build(&cx()).unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/createRoom");
        assert_eq!(
            call.body.unwrap(),
            json!({
                "preset": "public_chat",
                "power_level_content_override": {"users": {"@bob:hs1.test": 50}},
                "invite": ["@bob:hs1.test"],
                "initial_state": [{"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": "joined"}}],
            })
        );
    }
}
