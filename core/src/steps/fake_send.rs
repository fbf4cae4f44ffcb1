//! `fake_send`: the fake federating server builds, signs and sends its own PDUs (`count` of
//! them, `{{i}}` counting from 0 in every field) in /send transactions to `to`, retrying refused
//! ones. Its response: the status of the last attempt; `{event_ids, event_id (the last),
//! transactions: [{txn_id, event_ids, attempts: [{at_ms, status, body}]}], statuses, results}`,
//! `results` merging the per-PDU answers of accepted transactions.

use super::error::HarnessError;
use super::fields::{Fields, Int, Json, Text};
use crate::fake::NewPdu;
use crate::vars::Vars;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "fake_send",
    summary: "the fake federating server sends its own signed PDUs (`count` of them, `{{i}}` in content) in /send transactions to `to`, retrying refused ones",
    // No `as:`: the fake server acts.
    needs_user: false,
    // No client-server request.
    samples: &[],
};

/// The fields of one PDU (rendered once per PDU, `{{i}}` counting).
#[derive(Debug, Clone, Default)]
pub struct Pdu {
    pub user: Option<Text>,
    pub event_type: Option<Text>,
    pub state_key: Option<Text>,
    pub content: Option<Json>,
    pub sticky_ms: Option<Json>,
    /// The sticky object exactly as given (malformed ones too).
    pub sticky: Option<Json>,
    /// Further top-level keys (prev_events, auth_events, odd values).
    pub extra: Option<Json>,
    pub origin_server_ts: Option<Int>,
}

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    pub room: Text,
    pub pdu: Pdu,
    pub count: Option<Int>,
    pub per_txn: Option<Int>,
    pub parallel: bool,
    pub to: Option<Text>,
    pub retry_within: Duration,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let pdu = Pdu {
            user: f.text("user"),
            event_type: f.text("type"),
            state_key: f.text("state_key"),
            content: f.json("content"),
            sticky_ms: f.json("sticky_ms"),
            sticky: f.json("sticky"),
            extra: f.mapping("extra"),
            origin_server_ts: f.int("origin_server_ts"),
        };
        Some(Step {
            pdu,
            count: f.int("count"),
            per_txn: f.int("per_txn"),
            parallel: f.flag("parallel").unwrap_or(false),
            to: f.text("to"),
            retry_within: f
                .duration("retry_within")
                .unwrap_or(Duration::from_secs(60)),
            room: room?,
        })
    }
}

impl Pdu {
    /// The PDU for one value of `{{i}}` (in `vars`).
    pub fn render(&self, vars: &Vars) -> Result<NewPdu, HarnessError> {
        let mut extra: Map<String, Value> = match &self.extra {
            Some(e) => match e.render(vars)? {
                Value::Object(o) => o,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        // The unstable key follows the newest MSC4354 text and Synapse.
        if let Some(s) = &self.sticky {
            extra.insert("msc4354_sticky".into(), s.render(vars)?);
        } else if let Some(ms) = &self.sticky_ms {
            extra.insert(
                "msc4354_sticky".into(),
                json!({"duration_ms": ms.render(vars)?}),
            );
        }
        Ok(NewPdu {
            sender_localpart: super::fake_support::user(self.user.as_ref(), vars)?,
            kind: match &self.event_type {
                Some(t) => t.render(vars)?,
                None => "m.room.message".into(),
            },
            state_key: self
                .state_key
                .as_ref()
                .map(|k| k.render(vars))
                .transpose()?,
            content: match &self.content {
                Some(c) => c.render(vars)?,
                None => json!({"msgtype": "m.text", "body": "from the fake server"}),
            },
            extra,
            origin_server_ts: match &self.origin_server_ts {
                Some(ts) => ts.render(vars)?,
                // Now, by the clock the variables were taken at.
                None => match vars.now_ms() {
                    Some(now) => now,
                    None => {
                        return Err(HarnessError::Other(
                            "no clock reading for `origin_server_ts`".into(),
                        ))
                    }
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{json as j, text};

    #[test]
    fn a_sticky_shorthand_and_a_raw_sticky_object_become_top_level_keys() {
        let vars = Vars::default().at(1_000);
        let pdu = Pdu {
            event_type: Some(text("org.example.sticky")),
            sticky_ms: Some(j(json!(600000))),
            origin_server_ts: Some(Int::Fixed(5)),
            ..Default::default()
        };
        let p = pdu.render(&vars).unwrap();
        assert_eq!(p.extra["msc4354_sticky"], json!({"duration_ms": 600000}));
        assert_eq!(p.origin_server_ts, 5);
        assert_eq!(p.sender_localpart, "fake");
        let raw = Pdu {
            sticky: Some(j(json!({"duration_ms": "60000"}))),
            ..Default::default()
        };
        let p = raw.render(&vars).unwrap();
        assert_eq!(p.extra["msc4354_sticky"], json!({"duration_ms": "60000"}));
        assert_eq!(p.kind, "m.room.message");
    }

    #[test]
    fn i_counts_the_pdus() {
        let mut vars = Vars::default();
        vars.set("i", json!(3));
        let pdu = Pdu {
            content: Some(j(json!({"body": "n{{i}}"}))),
            ..Default::default()
        };
        // The timestamp is the clock reading the variables carry, never read here.
        assert!(pdu.render(&vars).is_err());
        let p = pdu.render(&vars.at(1_000)).unwrap();
        assert_eq!(
            (p.content, p.origin_server_ts),
            (json!({"body": "n3"}), 1_000)
        );
    }
}
