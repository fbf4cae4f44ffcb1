//! `sync`: GET /sync. `since: last` continues the user's chain; every answer moves it on.

use super::build::scalar_text;
use super::build::{BuildCx, Effect, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Int, Json, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use crate::http::Response;
use serde_json::Value;
use std::time::Duration;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "sync",
    summary:
        "GET /sync; `since: last` chains the user's previous next_batch (every response updates it)",
    needs_user: true,
    samples: &[("GET", "/_matrix/client/v3/sync")],
};

/// Where a sync starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Since {
    /// An initial sync (`since` left out, or `none`).
    Initial,
    /// The user's last `next_batch` (initial if there is none yet).
    Last,
    /// A token written in the scenario (usually a captured variable).
    Token(Text),
}

impl Since {
    /// `none`, `last`, or a token.
    pub(crate) fn decode(t: Option<Text>) -> Since {
        match t {
            None => Since::Initial,
            Some(t) if t.0 == "none" => Since::Initial,
            Some(t) if t.0 == "last" => Since::Last,
            Some(t) => Since::Token(t),
        }
    }

    /// The token to send, if any.
    pub(crate) fn token(
        &self,
        cx: &BuildCx,
        last: Option<&String>,
    ) -> Result<Option<String>, HarnessError> {
        Ok(match self {
            Since::Initial => None,
            Since::Last => last.cloned(),
            Since::Token(t) => Some(cx.text(t)?),
        })
    }
}

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    filter: Option<Json>,
    since: Since,
    timeout_ms: Option<Int>,
    full_state: bool,
}

impl Step {
    /// Whether it continues a sync chain (`since` given) rather than starting one.
    pub(crate) fn is_incremental(&self) -> bool {
        !matches!(self.since, Since::Initial)
    }

    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            filter: f.json("filter"),
            since: Since::decode(f.text("since")),
            timeout_ms: f.int("timeout_ms"),
            full_state: f.flag("full_state").unwrap_or(false),
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let mut query = Vec::new();
        if let Some(f) = &self.filter {
            query.push(("filter".to_string(), scalar_text(&cx.json(f)?)));
        }
        let token = self.since.token(cx, cx.sync_token.as_ref())?;
        if let Some(t) = &token {
            query.push(("since".into(), t.clone()));
        }
        let wait_ms = cx.wait_ms(self.timeout_ms.as_ref(), token.is_some())?;
        query.push(("timeout".into(), wait_ms.to_string()));
        if self.full_state {
            query.push(("full_state".into(), "true".into()));
        }
        let mut call = HttpCall::new(Method::Get, format!("{V3}/sync")).query(query);
        call.timeout += Duration::from_millis(wait_ms);
        Ok(call)
    }

    fn effects(&self, _cx: &BuildCx, resp: &Response) -> Vec<Effect> {
        match resp.body.get("next_batch").and_then(Value::as_str) {
            Some(t) if resp.status == 200 => vec![Effect::SyncToken(t.to_string())],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json};
    use serde_json::json;

    fn step(since: Since) -> Step {
        Step {
            filter: Some(json(json!({"room": {"timeline": {"limit": 1}}}))),
            since,
            timeout_ms: None,
            full_state: false,
        }
    }

    #[test]
    fn an_initial_sync_does_not_wait() {
        let call = step(Since::Initial).build(&cx()).unwrap();
        assert_eq!(
            call.query,
            vec![
                (
                    "filter".to_string(),
                    r#"{"room":{"timeline":{"limit":1}}}"#.to_string()
                ),
                ("timeout".to_string(), "0".to_string())
            ]
        );
    }

    #[test]
    fn a_chained_sync_long_polls_within_the_step_deadline() {
        let mut c = cx();
        c.sync_token = Some("s1".into());
        c.poll = Some(Duration::from_secs(10));
        let call = step(Since::Last).build(&c).unwrap();
        assert!(call
            .query
            .contains(&("since".to_string(), "s1".to_string())));
        assert!(call
            .query
            .contains(&("timeout".to_string(), "2000".to_string())));
        // Without an earlier token, `last` is an initial sync.
        let call = step(Since::Last).build(&cx()).unwrap();
        assert!(!call.query.iter().any(|(k, _)| k == "since"));
    }

    #[test]
    fn every_answer_moves_the_chain_on() {
        let resp = Response {
            status: 200,
            headers: Default::default(),
            body: json!({"next_batch": "s2"}),
            request_ms: 0,
            response_ms: 0,
            request_line: String::new(),
        };
        assert_eq!(
            step(Since::Initial).effects(&cx(), &resp),
            vec![Effect::SyncToken("s2".into())]
        );
    }
}
