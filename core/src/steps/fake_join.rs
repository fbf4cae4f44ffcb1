//! `fake_join`: the fake federating server joins a room (make_join, send_join) through `via`.
//! Its response: `{event_id, room_version, state_count, user_id, message_auth_events}`.

use super::fields::{Fields, Text};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "fake_join",
    summary: "the fake federating server joins a room through `via` (make_join, send_join) as `@<user>:<fake>`",
    // No `as:`: the fake server acts.
    needs_user: false,
    // No client-server request.
    samples: &[],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    pub room: Text,
    pub user: Option<Text>,
    pub via: Option<Text>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        Some(Step {
            user: f.text("user"),
            via: f.text("via"),
            room: room?,
        })
    }
}
