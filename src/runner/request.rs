//! Turning a step's fields into an HTTP request, per step kind and per proposal revision.
//!
//! Wire names that differ between revisions are chosen here and nowhere else:
//! the sticky query parameter (MSC4354) and the delayed-event API shape (MSC4140).

use super::exec::ScenarioRun;
use super::StepError;
use crate::catalogue::{Proposal, Revision};
use crate::client::fault::RequestParts;
use crate::client::{encode, Request, DEFAULT_TIMEOUT};
use crate::scenario::Call;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// MSC4140 unstable prefix.
pub const MSC4140_PREFIX: &str = "/_matrix/client/unstable/org.matrix.msc4140";
/// Simplified sliding sync (MSC4186) unstable endpoint.
pub const SSS_PATH: &str = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync";

/// The sticky-duration query parameter at a revision of MSC4354.
pub fn sticky_param(rev: Revision) -> &'static str {
    match rev {
        Revision::Seed => "msc4354_stick_duration_ms",
        Revision::Newest => "org.matrix.msc4354.sticky_duration_ms",
    }
}

/// The delay query parameter (MSC4140 seed API; what Synapse implements).
pub const DELAY_PARAM: &str = "org.matrix.msc4140.delay";

/// Rendered fields of one call.
pub struct Args {
    fields: Map<String, Value>,
}

impl Args {
    fn get(&self, k: &str) -> Option<&Value> {
        self.fields.get(k).filter(|v| !v.is_null())
    }

    fn text(&self, k: &str) -> Option<String> {
        self.get(k).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    fn req_text(&self, k: &str) -> Result<String, StepError> {
        self.text(k)
            .ok_or_else(|| StepError::Harness(format!("`{k}` rendered to nothing")))
    }

    fn seg(&self, k: &str) -> Result<String, StepError> {
        Ok(encode(&self.req_text(k)?))
    }
}

fn query_pairs(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(Value::Object(o)) = v {
        for (k, x) in o {
            match x {
                Value::Array(a) => out.extend(a.iter().map(|e| (k.clone(), scalar_text(e)))),
                other => out.push((k.clone(), scalar_text(other))),
            }
        }
    }
    out
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The request a call makes, given how long the step may still wait (for long polls).
pub async fn build(
    run: &ScenarioRun,
    step_id: &str,
    call: &Call,
    poll: Option<Duration>,
) -> Result<Request, StepError> {
    let mut fields = Map::new();
    for (k, v) in &call.args {
        fields.insert(k.clone(), run.render(v)?);
    }
    let a = Args { fields };
    let user = match &call.actor {
        Some(name) => Some(run.user(name)?),
        None => None,
    };
    let hs_name = user
        .as_ref()
        .map(|u| u.hs.clone())
        .unwrap_or_else(|| "hs1".into());
    let hs = run.homeserver(&hs_name)?;
    let me = user.as_ref().map(|u| u.user_id.clone()).unwrap_or_default();
    let rev4354 = run.revision_of(Proposal::Msc4354);
    let rev4140 = run.revision_of(Proposal::Msc4140);
    let v3 = "/_matrix/client/v3";
    let mut timeout = DEFAULT_TIMEOUT;
    let (method, path, mut query, body): (&str, String, Vec<(String, String)>, Option<Value>) =
        match call.kind.name {
            "create_room" => {
                let mut body = a.get("body").cloned().unwrap_or_else(|| json!({}));
                let o = body
                    .as_object_mut()
                    .ok_or_else(|| StepError::Harness("`body` must be an object".into()))?;
                for k in ["preset", "visibility", "name", "room_version"] {
                    if let Some(v) = a.get(k) {
                        o.insert(k.into(), v.clone());
                    }
                }
                if let Some(pl) = a.get("power_levels") {
                    o.insert(
                        "power_level_content_override".into(),
                        run.resolve_user_keys(pl)?,
                    );
                }
                if let Some(Value::Array(names)) = a.get("invite") {
                    let ids: Result<Vec<Value>, StepError> = names
                        .iter()
                        .map(|n| run.user_id(n.as_str().unwrap_or("")).map(Value::String))
                        .collect();
                    o.insert("invite".into(), Value::Array(ids?));
                }
                let mut initial = a.get("initial_state").cloned().unwrap_or_else(|| json!([]));
                if let Some(hv) = a.get("history_visibility") {
                    if let Some(arr) = initial.as_array_mut() {
                        arr.push(json!({"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": hv}}));
                    }
                }
                if initial.as_array().is_some_and(|x| !x.is_empty()) {
                    o.insert("initial_state".into(), initial);
                }
                ("POST", format!("{v3}/createRoom"), vec![], Some(body))
            }
            "join" => {
                let mut q = Vec::new();
                if let Some(Value::Array(via)) = a.get("via") {
                    for h in via {
                        let name = h.as_str().unwrap_or("");
                        let server = run
                            .homeserver(name)
                            .map(|h| h.server_name.clone())
                            .unwrap_or_else(|_| name.to_string());
                        q.push(("via".to_string(), server.clone()));
                        q.push(("server_name".to_string(), server));
                    }
                }
                (
                    "POST",
                    format!("{v3}/join/{}", a.seg("room")?),
                    q,
                    Some(json!({})),
                )
            }
            "invite" => {
                let target = run.user_id(&a.req_text("user")?)?;
                (
                    "POST",
                    format!("{v3}/rooms/{}/invite", a.seg("room")?),
                    vec![],
                    Some(json!({"user_id": target})),
                )
            }
            "leave" => (
                "POST",
                format!("{v3}/rooms/{}/leave", a.seg("room")?),
                vec![],
                Some(json!({})),
            ),
            "send" => {
                let ty = a.text("type").unwrap_or_else(|| "m.room.message".into());
                let txn = a.text("txn").unwrap_or_else(|| run.next_txn());
                let mut q = query_pairs(a.get("query"));
                if let Some(d) = a.get("sticky_ms") {
                    q.push((sticky_param(rev4354).into(), scalar_text(d)));
                }
                let content = a
                    .get("content")
                    .cloned()
                    .unwrap_or_else(|| json!({"msgtype": "m.text", "body": "mscheck"}));
                (
                    "PUT",
                    format!(
                        "{v3}/rooms/{}/send/{}/{}",
                        a.seg("room")?,
                        encode(&ty),
                        encode(&txn)
                    ),
                    q,
                    Some(content),
                )
            }
            "state" => {
                let mut q = query_pairs(a.get("query"));
                if let Some(d) = a.get("sticky_ms") {
                    q.push((sticky_param(rev4354).into(), scalar_text(d)));
                }
                let key = a.text("state_key").unwrap_or_default();
                let content = a.get("content").cloned().unwrap_or_else(|| json!({}));
                (
                    "PUT",
                    format!(
                        "{v3}/rooms/{}/state/{}/{}",
                        a.seg("room")?,
                        a.seg("type")?,
                        encode(&key)
                    ),
                    q,
                    Some(content),
                )
            }
            "redact" => {
                let body = a
                    .get("reason")
                    .map(|r| json!({"reason": r}))
                    .unwrap_or_else(|| json!({}));
                (
                    "PUT",
                    format!(
                        "{v3}/rooms/{}/redact/{}/{}",
                        a.seg("room")?,
                        a.seg("event")?,
                        encode(&run.next_txn())
                    ),
                    vec![],
                    Some(body),
                )
            }
            "power_levels" => {
                let room = a.seg("room")?;
                let mut current = run
                    .fetch_power_levels(step_id, &hs_name, user.as_ref(), &room)
                    .await?;
                let o = current.as_object_mut().ok_or_else(|| {
                    StepError::Harness("m.room.power_levels is not an object".into())
                })?;
                if let Some(Value::Object(users)) = a.get("users") {
                    let entry = o.entry("users").or_insert_with(|| json!({}));
                    for (name, level) in users {
                        // A full user ID (a fake federating server's user) is used as it is.
                        let id = match name.starts_with('@') {
                            true => name.clone(),
                            false => run.user_id(name)?,
                        };
                        entry[id] = level.clone();
                    }
                }
                if let Some(Value::Object(events)) = a.get("events") {
                    let entry = o.entry("events").or_insert_with(|| json!({}));
                    for (ty, level) in events {
                        entry[ty] = level.clone();
                    }
                }
                if let Some(Value::Object(set)) = a.get("set") {
                    for (k, v) in set {
                        o.insert(k.clone(), v.clone());
                    }
                }
                (
                    "PUT",
                    format!("{v3}/rooms/{room}/state/m.room.power_levels/"),
                    vec![],
                    Some(current),
                )
            }
            "ignore" => {
                let mut ignored = Map::new();
                if let Some(Value::Array(names)) = a.get("users") {
                    for n in names {
                        ignored.insert(run.user_id(n.as_str().unwrap_or(""))?, json!({}));
                    }
                }
                (
                    "PUT",
                    format!("{v3}/user/{}/account_data/m.ignored_user_list", encode(&me)),
                    vec![],
                    Some(json!({"ignored_users": ignored})),
                )
            }
            "sync" => {
                let mut q = Vec::new();
                if let Some(f) = a.get("filter") {
                    q.push((
                        "filter".to_string(),
                        if f.is_string() {
                            scalar_text(f)
                        } else {
                            f.to_string()
                        },
                    ));
                }
                let since = a.text("since").unwrap_or_else(|| "none".into());
                let token = match since.as_str() {
                    "none" => None,
                    "last" => user.as_ref().and_then(|u| run.sync_token(&u.name)),
                    other => Some(other.to_string()),
                };
                if let Some(t) = &token {
                    q.push(("since".into(), t.clone()));
                }
                let wait_ms = match a.get("timeout_ms").and_then(Value::as_u64) {
                    Some(ms) => ms,
                    // Long-poll while a step is waiting on a chained sync; the deadline still rules.
                    None if token.is_some() => {
                        poll.map(|p| p.as_millis().min(2000) as u64).unwrap_or(0)
                    }
                    None => 0,
                };
                q.push(("timeout".into(), wait_ms.to_string()));
                if a.get("full_state") == Some(&Value::Bool(true)) {
                    q.push(("full_state".into(), "true".into()));
                }
                timeout = DEFAULT_TIMEOUT + Duration::from_millis(wait_ms);
                ("GET", format!("{v3}/sync"), q, None)
            }
            "sliding_sync" => {
                let mut q = Vec::new();
                let pos = a.text("pos").unwrap_or_else(|| "none".into());
                let token = match pos.as_str() {
                    "none" => None,
                    "last" => user.as_ref().and_then(|u| run.sss_pos(&u.name)),
                    other => Some(other.to_string()),
                };
                let mut body = a.get("body").cloned().unwrap_or_else(|| json!({}));
                let wait_ms =
                    a.get("timeout_ms")
                        .and_then(Value::as_u64)
                        .unwrap_or(if token.is_some() {
                            poll.map(|p| p.as_millis().min(2000) as u64).unwrap_or(0)
                        } else {
                            0
                        });
                if let Some(t) = &token {
                    q.push(("pos".into(), t.clone()));
                    body["pos"] = Value::String(t.clone());
                }
                q.push(("timeout".into(), wait_ms.to_string()));
                timeout = DEFAULT_TIMEOUT + Duration::from_millis(wait_ms);
                ("POST", SSS_PATH.to_string(), q, Some(body))
            }
            "schedule" => {
                let ty = a.text("type").unwrap_or_else(|| "m.room.message".into());
                let txn = a.text("txn").unwrap_or_else(|| run.next_txn());
                let content = a
                    .get("content")
                    .cloned()
                    .unwrap_or_else(|| json!({"msgtype": "m.text", "body": "mscheck delayed"}));
                let delay = a.get("delay_ms").cloned().unwrap_or(Value::Null);
                let via = a.text("via").unwrap_or_else(|| "auto".into());
                let use_endpoint = match via.as_str() {
                    "query" => false,
                    "endpoint" => true,
                    // The revision's own API; the older one only where the server has shown it
                    // does not know the endpoint (see `schedule_fallback`).
                    "auto" => {
                        rev4140 == Revision::Newest && !run.ctx.schedule_endpoint_unknown(&hs_name)
                    }
                    other => {
                        return Err(StepError::Harness(format!(
                            "`via: {other}` is not `auto`, `query` or `endpoint`"
                        )))
                    }
                };
                let mut q = Vec::new();
                if let Some(d) = a.get("sticky_ms") {
                    q.push((sticky_param(rev4354).into(), scalar_text(d)));
                }
                let room = a.seg("room")?;
                if use_endpoint {
                    let mut body = json!({"delay_ms": delay, "content": content});
                    if let Some(k) = a.get("state_key") {
                        body["state_key"] = k.clone();
                    }
                    (
                        "PUT",
                        format!(
                            "{MSC4140_PREFIX}/rooms/{room}/delayed_event/{}/{}",
                            encode(&ty),
                            encode(&txn)
                        ),
                        q,
                        Some(body),
                    )
                } else {
                    q.push((DELAY_PARAM.into(), scalar_text(&delay)));
                    match a.text("state_key") {
                        Some(k) => (
                            "PUT",
                            format!("{v3}/rooms/{room}/state/{}/{}", encode(&ty), encode(&k)),
                            q,
                            Some(content),
                        ),
                        None => (
                            "PUT",
                            format!("{v3}/rooms/{room}/send/{}/{}", encode(&ty), encode(&txn)),
                            q,
                            Some(content),
                        ),
                    }
                }
            }
            "delayed_list" => (
                "GET",
                format!("{MSC4140_PREFIX}/delayed_events"),
                query_pairs(a.get("query")),
                None,
            ),
            "delayed_get" => (
                "GET",
                format!("{MSC4140_PREFIX}/delayed_events/{}", a.seg("id")?),
                vec![],
                None,
            ),
            "delayed_action" => {
                let action = a.req_text("action")?;
                let form = a.text("form").unwrap_or_else(|| "auto".into());
                let in_body = match form.as_str() {
                    "path" => false,
                    "body" => true,
                    "auto" => rev4140 == Revision::Seed,
                    other => {
                        return Err(StepError::Harness(format!(
                            "`form: {other}` is not `auto`, `path` or `body`"
                        )))
                    }
                };
                if in_body {
                    (
                        "POST",
                        format!("{MSC4140_PREFIX}/delayed_events/{}", a.seg("id")?),
                        vec![],
                        Some(json!({"action": action})),
                    )
                } else {
                    (
                        "POST",
                        format!(
                            "{MSC4140_PREFIX}/delayed_events/{}/{}",
                            a.seg("id")?,
                            encode(&action)
                        ),
                        vec![],
                        Some(json!({})),
                    )
                }
            }
            "get_event" => (
                "GET",
                format!("{v3}/rooms/{}/event/{}", a.seg("room")?, a.seg("event")?),
                vec![],
                None,
            ),
            "messages" => {
                let mut q = vec![(
                    "dir".to_string(),
                    a.text("dir").unwrap_or_else(|| "b".into()),
                )];
                if let Some(l) = a.text("limit") {
                    q.push(("limit".into(), l));
                }
                if let Some(f) = a.text("from") {
                    q.push(("from".into(), f));
                }
                if let Some(f) = a.get("filter") {
                    q.push((
                        "filter".into(),
                        if f.is_string() {
                            scalar_text(f)
                        } else {
                            f.to_string()
                        },
                    ));
                }
                (
                    "GET",
                    format!("{v3}/rooms/{}/messages", a.seg("room")?),
                    q,
                    None,
                )
            }
            "capabilities" => ("GET", format!("{v3}/capabilities"), vec![], None),
            "versions" => ("GET", "/_matrix/client/versions".into(), vec![], None),
            "request" => {
                let method = a.req_text("method")?.to_ascii_uppercase();
                let method: &'static str = match method.as_str() {
                    "GET" => "GET",
                    "PUT" => "PUT",
                    "POST" => "POST",
                    "DELETE" => "DELETE",
                    other => {
                        return Err(StepError::Harness(format!("unsupported method `{other}`")))
                    }
                };
                (
                    method,
                    a.req_text("path")?,
                    query_pairs(a.get("query")),
                    a.get("body").cloned(),
                )
            }
            other => {
                return Err(StepError::Harness(format!(
                    "step kind `{other}` has no request builder"
                )))
            }
        };
    query.retain(|(k, _)| !k.is_empty());
    Ok(Request {
        hs: hs_name,
        base: hs.base_url.clone(),
        actor: call.actor.clone().unwrap_or_else(|| "nobody".into()),
        token: user.map(|u| u.access_token),
        step: step_id.to_string(),
        parts: RequestParts {
            method: method.to_string(),
            path,
            query,
            body,
        },
        timeout,
    })
}

/// Whether a `schedule` step that chose its API by revision (`via` left out or `auto`) was
/// answered "unknown endpoint" by the newest MSC4140 scheduling route: 404 or 405 with
/// `M_UNRECOGNIZED` or without any Matrix error (catalogue ). The step is then sent
/// again through the older query parameter, and the run records the fallback.
pub fn schedule_fallback(call: &Call, resp: &crate::client::Response) -> bool {
    schedules_by_revision(call)
        && resp.request_line.contains("/delayed_event/")
        && matches!(resp.status, 404 | 405)
        && resp.errcode().is_none_or(|c| c == "M_UNRECOGNIZED")
}

/// Whether a `schedule` step that should have used the newest MSC4140 endpoint went through the
/// query parameter instead (this step, or an earlier one on the same server, fell back).
pub fn scheduled_by_fallback(call: &Call, resp: &crate::client::Response, rev: Revision) -> bool {
    schedules_by_revision(call)
        && rev == Revision::Newest
        && !resp.request_line.contains("/delayed_event/")
}

/// A `schedule` step whose API follows the revision (`via` left out or `auto`).
fn schedules_by_revision(call: &Call) -> bool {
    call.kind.name == "schedule"
        && call
            .args
            .get("via")
            .and_then(Value::as_str)
            .is_none_or(|v| v == "auto")
}
