//! `schedule`: schedule a delayed event (a message, or state with `state_key`).
//!
//! The API follows the MSC4140 revision: at the newest revision the dedicated `delayed_event`
//! endpoint with `delay_ms` in the body; at the seed the `org.matrix.msc4140.delay` query
//! parameter on /send and /state. Where a server answers the endpoint "unrecognised" (404/405
//! with `M_UNRECOGNIZED` or no Matrix error), the step is sent again through the query parameter
//! and that server keeps using it for the rest of the run; the report records it as the
//! observation "scheduling API". `via: query|endpoint` pins one API for scenarios that check it.

use super::build::{event_query, scalar_text};
use super::build::{BuildCx, Effect, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Int, Json, Text};
use super::kind::HttpStep;
use super::paths::{DELAY_PARAM, MSC4140_PREFIX, V3};
use crate::catalogue::{Proposal, Revision};
use crate::http::Method;
use crate::http::{encode, Response};
use serde_json::{json, Value};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "schedule",
    summary: "schedule a delayed event (message, or state with `state_key`); API per MSC4140 revision unless `via` says `query` or `endpoint`",
    needs_user: true,
    // Its requests, through either API.
    samples: &[
    ("PUT", "/_matrix/client/v3/rooms/%21r/send/t/x"),
    ("PUT", "/_matrix/client/v3/rooms/%21r/state/t/k"),
    (
        "PUT",
        "/_matrix/client/unstable/org.matrix.msc4140/rooms/%21r/delayed_event/t/x",
    ),
],
};

/// Which scheduling API a step uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// The revision's own (with the fallback described above).
    Auto,
    /// The `delay` query parameter on /send and /state.
    Query,
    /// The dedicated `delayed_event` endpoint.
    Endpoint,
}

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    event_type: Option<Text>,
    state_key: Option<Text>,
    content: Option<Json>,
    /// Any JSON: invalid delays are sent as written.
    delay_ms: Json,
    sticky_ms: Option<Json>,
    txn: Option<Text>,
    /// An application service's timestamp for the sent event (the `ts` query parameter), through
    /// either API.
    ts: Option<Int>,
    via: Via,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let delay_ms = f.need_json("delay_ms");
        Some(Step {
            event_type: f.text("type"),
            state_key: f.text("state_key"),
            content: f.json("content"),
            sticky_ms: f.json("sticky_ms"),
            txn: f.text("txn"),
            ts: f.int("ts"),
            via: f
                .choice(
                    "via",
                    &[
                        ("auto", Via::Auto),
                        ("query", Via::Query),
                        ("endpoint", Via::Endpoint),
                    ],
                )
                .unwrap_or(Via::Auto),
            room: room?,
            delay_ms: delay_ms?,
        })
    }

    fn uses_endpoint(&self, cx: &BuildCx) -> bool {
        match self.via {
            Via::Query => false,
            Via::Endpoint => true,
            Via::Auto => {
                cx.revision(Proposal::Msc4140) == Revision::Newest && !cx.schedule_endpoint_unknown
            }
        }
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let event_type = match &self.event_type {
            Some(t) => cx.text(t)?,
            None => "m.room.message".into(),
        };
        let txn = match &self.txn {
            Some(t) => cx.text(t)?,
            None => cx.txn.clone(),
        };
        let content = match &self.content {
            Some(c) => cx.json(c)?,
            None => json!({"msgtype": "m.text", "body": "mscheck delayed"}),
        };
        let delay = cx.json(&self.delay_ms)?;
        let mut query = event_query(cx, None, self.sticky_ms.as_ref())?;
        if let Some(ts) = &self.ts {
            query.push(("ts".into(), ts.render(&cx.vars)?.to_string()));
        }
        let room = cx.segment(&self.room)?;
        let state_key = self.state_key.as_ref().map(|k| cx.text(k)).transpose()?;
        if self.uses_endpoint(cx) {
            let mut body = json!({"delay_ms": delay, "content": content});
            if let Some(k) = state_key {
                body["state_key"] = Value::String(k);
            }
            return Ok(HttpCall::new(
                Method::Put,
                format!(
                    "{MSC4140_PREFIX}/rooms/{room}/delayed_event/{}/{}",
                    encode(&event_type),
                    encode(&txn)
                ),
            )
            .query(query)
            .body(body));
        }
        query.push((DELAY_PARAM.into(), scalar_text(&delay)));
        let path = match state_key {
            Some(k) => format!(
                "{V3}/rooms/{room}/state/{}/{}",
                encode(&event_type),
                encode(&k)
            ),
            None => format!(
                "{V3}/rooms/{room}/send/{}/{}",
                encode(&event_type),
                encode(&txn)
            ),
        };
        Ok(HttpCall::new(Method::Put, path).query(query).body(content))
    }

    fn effects(&self, cx: &BuildCx, resp: &Response) -> Vec<Effect> {
        if self.via != Via::Auto {
            return Vec::new();
        }
        let through_endpoint = resp.request_line.contains("/delayed_event/");
        if through_endpoint
            && matches!(resp.status, 404 | 405)
            && resp.errcode().is_none_or(|c| c == "M_UNRECOGNIZED")
        {
            return vec![Effect::ScheduleEndpointUnknown];
        }
        if !through_endpoint && cx.revision(Proposal::Msc4140) == Revision::Newest {
            let hs = cx.actor.as_ref().map_or(crate::hs::Hs::Hs1, |u| u.hs);
            return vec![Effect::ObserveOnce(
                "scheduling API",
                format!("{hs} does not know the MSC4140 delayed_event endpoint; scheduled through the older query parameter"),
            )];
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json, seed, text};

    fn step(via: Via) -> Step {
        Step {
            room: text("!r"),
            event_type: None,
            state_key: None,
            content: Some(json(json!({"body": "later"}))),
            delay_ms: json(json!(5000)),
            sticky_ms: None,
            txn: None,
            ts: None,
            via,
        }
    }

    fn answer(line: &str, status: u16, body: Value) -> Response {
        Response {
            status,
            headers: Default::default(),
            body,
            request_ms: 0,
            response_ms: 0,
            request_line: line.into(),
        }
    }

    #[test]
    fn the_newest_revision_uses_the_endpoint_and_the_seed_the_query_parameter() {
        let newest = step(Via::Auto).build(&cx()).unwrap();
        assert_eq!(
            newest.path,
            "/_matrix/client/unstable/org.matrix.msc4140/rooms/%21r/delayed_event/m.room.message/t1"
        );
        assert_eq!(
            newest.body,
            Some(json!({"delay_ms": 5000, "content": {"body": "later"}}))
        );
        let old = step(Via::Auto).build(&seed(cx())).unwrap();
        assert_eq!(
            old.path,
            "/_matrix/client/v3/rooms/%21r/send/m.room.message/t1"
        );
        assert_eq!(
            old.query,
            vec![(DELAY_PARAM.to_string(), "5000".to_string())]
        );
        let mut known_unknown = cx();
        known_unknown.schedule_endpoint_unknown = true;
        assert!(step(Via::Auto)
            .build(&known_unknown)
            .unwrap()
            .path
            .contains("/send/"));
        assert!(step(Via::Endpoint)
            .build(&seed(cx()))
            .unwrap()
            .path
            .contains("/delayed_event/"));
    }

    #[test]
    fn an_unrecognised_endpoint_falls_back_once_and_is_recorded() {
        let c = cx();
        let unknown = answer(
            "PUT /x/delayed_event/t/1",
            404,
            json!({"errcode": "M_UNRECOGNIZED"}),
        );
        assert_eq!(
            step(Via::Auto).effects(&c, &unknown),
            vec![Effect::ScheduleEndpointUnknown]
        );
        assert!(step(Via::Endpoint).effects(&c, &unknown).is_empty());
        let forbidden = answer(
            "PUT /x/delayed_event/t/1",
            404,
            json!({"errcode": "M_NOT_FOUND"}),
        );
        assert!(step(Via::Auto).effects(&c, &forbidden).is_empty());
        let through_query = answer("PUT /x/send/t/1?org.matrix.msc4140.delay=5", 200, json!({}));
        assert!(matches!(
            step(Via::Auto).effects(&c, &through_query)[..],
            [Effect::ObserveOnce("scheduling API", _)]
        ));
        assert!(step(Via::Auto)
            .effects(&seed(cx()), &through_query)
            .is_empty());
    }
}
