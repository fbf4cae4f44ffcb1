//! What a request builder may know, what it produces, and what a response may change.

use super::error::HarnessError;
use super::fields::{Json, Text};
use crate::catalogue::{Proposal, Revision, RevisionOf};
use crate::http::encode;
use crate::http::Method;
use crate::vars::Vars;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// A registered scenario user.
#[derive(Debug, Clone)]
pub struct UserState {
    /// Name in the scenario.
    pub name: String,
    /// Its homeserver.
    pub hs: crate::hs::Hs,
    /// Matrix user ID.
    pub user_id: String,
    /// Access token.
    pub access_token: String,
    /// The password mscheck registered it with (none for guests and application services):
    /// what `deactivate` authenticates with.
    pub password: Option<String>,
}

/// Everything a request builder reads: the variables, the users, the revisions, and the state
/// earlier responses left (chained tokens). Plain data, so builders are pure functions that
/// unit tests call with a hand-made context.
#[derive(Debug, Clone, Default)]
pub struct BuildCx {
    /// The scenario's variables, for rendering templates.
    pub vars: Vars,
    /// Who makes the call (`None`: unauthenticated).
    pub actor: Option<UserState>,
    /// Every registered user of the scenario, by name.
    pub users: BTreeMap<String, UserState>,
    /// Homeserver names (`hs1`) → server names.
    pub servers: BTreeMap<String, String>,
    /// The revision checked per proposal.
    pub revisions: BTreeMap<Proposal, Revision>,
    /// A fresh transaction ID, for steps that need one and name none.
    pub txn: String,
    /// The actor's last `/sync` `next_batch`.
    pub sync_token: Option<String>,
    /// The actor's last sliding-sync `pos`.
    pub sss_pos: Option<String>,
    /// The actor's last `next_batch` of the sticky-events extension.
    pub sticky_next: Option<String>,
    /// The actor's homeserver answered the newest MSC4140 scheduling endpoint "unrecognised".
    pub schedule_endpoint_unknown: bool,
    /// How long the step may still wait (chained syncs long-poll within it).
    pub poll: Option<Duration>,
    /// The room's current `m.room.power_levels` content, for steps that change it.
    pub power_levels: Option<Value>,
}

impl BuildCx {
    /// A rendered string.
    pub fn text(&self, t: &Text) -> Result<String, HarnessError> {
        t.render(&self.vars)
    }

    /// A rendered string, percent-encoded for a path segment.
    pub fn segment(&self, t: &Text) -> Result<String, HarnessError> {
        Ok(encode(&self.text(t)?))
    }

    /// Rendered JSON.
    pub fn json(&self, j: &Json) -> Result<Value, HarnessError> {
        j.render(&self.vars)
    }

    /// The revision checked for a proposal.
    pub fn revision(&self, p: Proposal) -> Revision {
        self.revisions.revision_of(p)
    }

    /// A scenario user's Matrix ID.
    pub fn user_id(&self, name: &str) -> Result<String, HarnessError> {
        self.users
            .get(name)
            .map(|u| u.user_id.clone())
            .ok_or_else(|| HarnessError::harness(format!("user `{name}` is not registered")))
    }

    /// The actor's Matrix ID (empty when unauthenticated).
    pub fn me(&self) -> String {
        self.actor
            .as_ref()
            .map(|u| u.user_id.clone())
            .unwrap_or_default()
    }

    /// A server name for `hs1`/`hs2`, or the text itself when it is not one of ours.
    pub fn server_name(&self, hs: &str) -> String {
        self.servers
            .get(hs)
            .cloned()
            .unwrap_or_else(|| hs.to_string())
    }

    /// How long a sync request waits server-side: `timeout_ms` when the step gives one; else a
    /// chained sync long-polls for what is left of the step's wait (at most 2 s) and any other
    /// answers at once.
    pub(crate) fn wait_ms(
        &self,
        timeout_ms: Option<&super::fields::Int>,
        chained: bool,
    ) -> Result<u64, HarnessError> {
        Ok(match timeout_ms {
            Some(ms) => ms.render(&self.vars)?.max(0) as u64,
            None if chained => self.poll.map_or(0, |p| p.as_millis().min(2000) as u64),
            None => 0,
        })
    }

    /// Replaces scenario user names used as keys of `users` (power levels) by their IDs; other
    /// keys (full user IDs) stay as they are.
    pub(crate) fn user_keys(&self, mut content: Value) -> Value {
        if let Some(Value::Object(users)) = content.get_mut("users") {
            let names: Vec<String> = users.keys().cloned().collect();
            for n in names {
                if let Ok(id) = self.user_id(&n) {
                    let level = users.shift_remove(&n).unwrap_or(Value::Null);
                    users.insert(id, level);
                }
            }
        }
        content
    }
}

/// A request, before the executor adds the server, the token and the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCall {
    /// HTTP method.
    pub method: Method,
    /// Path, percent-encoded, without query.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
    /// How long to wait for the answer (longer for long polls).
    pub timeout: Duration,
}

impl HttpCall {
    /// A request with the default timeout.
    pub fn new(method: Method, path: String) -> Self {
        HttpCall {
            method,
            path,
            query: Vec::new(),
            body: None,
            timeout: crate::http::DEFAULT_TIMEOUT,
        }
    }

    /// With a JSON body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With query parameters.
    pub fn query(mut self, query: Vec<(String, String)>) -> Self {
        self.query = query;
        self
    }
}

/// What a response changes for later steps of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The actor's `/sync` chain continues from this `next_batch`.
    SyncToken(String),
    /// The actor's sliding-sync connection continues from this `pos`.
    SssPos(String),
    /// The actor's sticky-events extension continues from this `next_batch`.
    StickyNext(String),
    /// The actor's homeserver does not know the newest MSC4140 scheduling endpoint: note it and
    /// send this step again (it then uses the older query parameter).
    ScheduleEndpointUnknown,
    /// Record an observation once per scenario.
    ObserveOnce(&'static str, String),
}

/// The query of an event-sending step: its `query` mapping, then the sticky-duration parameter
/// (named per MSC4354 revision) when `sticky_ms` is given.
pub(crate) fn event_query(
    cx: &BuildCx,
    query: Option<&Json>,
    sticky_ms: Option<&Json>,
) -> Result<Vec<(String, String)>, HarnessError> {
    let mut out = match query {
        Some(q) => query_pairs(Some(&cx.json(q)?)),
        None => Vec::new(),
    };
    if let Some(d) = sticky_ms {
        out.push((
            crate::catalogue::sticky_duration_param(cx.revision(Proposal::Msc4354)).into(),
            scalar_text(&cx.json(d)?),
        ));
    }
    Ok(out)
}

/// Query parameters from a JSON mapping (a list value repeats the parameter).
pub(crate) fn query_pairs(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(Value::Object(o)) = v {
        for (k, x) in o {
            match x {
                Value::Array(a) => out.extend(a.iter().map(|e| (k.clone(), scalar_text(e)))),
                other => out.push((k.clone(), scalar_text(other))),
            }
        }
    }
    out.retain(|(k, _)| !k.is_empty());
    out
}

/// A JSON value as query text: a string as it is, anything else as JSON text (a filter object,
/// a number).
pub(crate) fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub mod testing {
    //! A context for builder unit tests: alice and bob on hs1, newest revisions.
    use super::*;

    pub fn cx() -> BuildCx {
        let user = |name: &str| UserState {
            name: name.into(),
            hs: crate::hs::Hs::Hs1,
            user_id: format!("@{name}:hs1.test"),
            access_token: "secret".into(),
            password: Some(format!("pw-{name}")),
        };
        let mut vars = Vars::default();
        vars.set("room", serde_json::json!("!r:hs1.test"));
        vars.set("e", serde_json::json!("$e"));
        BuildCx {
            vars,
            actor: Some(user("alice")),
            users: [("alice".into(), user("alice")), ("bob".into(), user("bob"))].into(),
            servers: [
                ("hs1".into(), "hs1.test".into()),
                ("hs2".into(), "hs2.test".into()),
            ]
            .into(),
            revisions: [
                (Proposal::Msc4354, Revision::Newest),
                (Proposal::Msc4140, Revision::Newest),
            ]
            .into(),
            txn: "t1".into(),
            ..Default::default()
        }
    }

    pub fn seed(mut cx: BuildCx) -> BuildCx {
        cx.revisions = [
            (Proposal::Msc4354, Revision::Seed),
            (Proposal::Msc4140, Revision::Seed),
        ]
        .into();
        cx
    }

    pub fn text(s: &str) -> Text {
        Text(s.into())
    }

    pub fn json(v: Value) -> Json {
        Json(v)
    }
}
