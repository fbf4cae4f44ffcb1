//! `sliding_sync`: POST simplified sliding sync. `pos: last` continues the user's connection.

use super::build::{BuildCx, Effect, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Int, Json};
use super::kind::HttpStep;
use super::paths::SSS_PATH;
use super::sync::Since;
use crate::http::Method;
use crate::http::Response;
use serde_json::{json, Value};
use std::time::Duration;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "sliding_sync",
    summary: "POST simplified sliding sync; `pos: last` chains the user's previous pos, `sticky_since: last` the sticky-events extension's previous next_batch",
    needs_user: true,
    samples: &[(
    "POST",
    "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync",
)],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    body: Option<Json>,
    pos: Since,
    /// The sticky-events extension's `since`: `last` chains the user's previous `next_batch`.
    sticky_since: Since,
    timeout_ms: Option<Int>,
}

/// The sticky-events extension's key.
const STICKY_EXTENSION: &str = "org.matrix.msc4354.sticky_events";

impl Step {
    /// Whether it continues a connection (`pos` given) rather than opening one.
    pub fn continues(&self) -> bool {
        !matches!(self.pos, Since::Initial)
    }

    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            body: f.mapping("body"),
            pos: Since::decode(f.text("pos")),
            sticky_since: Since::decode(f.text("sticky_since")),
            timeout_ms: f.int("timeout_ms"),
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let token = self.pos.token(cx, cx.sss_pos.as_ref())?;
        let mut body = match &self.body {
            Some(b) => cx.json(b)?,
            None => json!({}),
        };
        let wait_ms = cx.wait_ms(self.timeout_ms.as_ref(), token.is_some())?;
        let mut query = Vec::new();
        if let Some(t) = &token {
            query.push(("pos".into(), t.clone()));
            body["pos"] = Value::String(t.clone());
        }
        if let Some(since) = self.sticky_since.token(cx, cx.sticky_next.as_ref())? {
            body["extensions"][STICKY_EXTENSION]["since"] = Value::String(since);
        }
        query.push(("timeout".into(), wait_ms.to_string()));
        let mut call = HttpCall::new(Method::Post, SSS_PATH.to_string())
            .query(query)
            .body(body);
        call.timeout += Duration::from_millis(wait_ms);
        Ok(call)
    }

    fn effects(&self, _cx: &BuildCx, resp: &Response) -> Vec<Effect> {
        if resp.status != 200 {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(p) = resp.body.get("pos").and_then(Value::as_str) {
            out.push(Effect::SssPos(p.to_string()));
        }
        // Left out when nothing changed (S-57): the last one stays.
        if let Some(t) = resp.body["extensions"][STICKY_EXTENSION]
            .get("next_batch")
            .and_then(Value::as_str)
        {
            out.push(Effect::StickyNext(t.to_string()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json};

    #[test]
    fn a_new_connection_or_the_last_one() {
        let step = Step {
            body: Some(json(json!({"lists": {}}))),
            pos: Since::Last,
            sticky_since: Since::Initial,
            timeout_ms: None,
        };
        let fresh = step.build(&cx()).unwrap();
        assert_eq!(fresh.query, vec![("timeout".to_string(), "0".to_string())]);
        assert_eq!(fresh.body, Some(json!({"lists": {}})));
        let mut c = cx();
        c.sss_pos = Some("p7".into());
        let chained = step.build(&c).unwrap();
        assert_eq!(chained.query[0], ("pos".to_string(), "p7".to_string()));
        assert_eq!(chained.body, Some(json!({"lists": {}, "pos": "p7"})));
    }

    #[test]
    fn the_sticky_extension_chains_its_next_batch() {
        let step = Step {
            body: Some(json(
                json!({"extensions": {STICKY_EXTENSION: {"enabled": true, "limit": 10}}}),
            )),
            pos: Since::Initial,
            sticky_since: Since::Last,
            timeout_ms: None,
        };
        assert_eq!(
            step.build(&cx()).unwrap().body.unwrap()["extensions"][STICKY_EXTENSION],
            json!({"enabled": true, "limit": 10})
        );
        let mut c = cx();
        c.sticky_next = Some("n3".into());
        assert_eq!(
            step.build(&c).unwrap().body.unwrap()["extensions"][STICKY_EXTENSION]["since"],
            "n3"
        );
    }
}
