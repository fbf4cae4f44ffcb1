//! Whether the server implements each proposal at all, decided once before the scenarios run,
//! so that a proposal it lacks is one finding rather than a failure per scenario.
//!
//! MSC4354 and MSC4140 have a flag in `/versions`; a server that does not set it does not
//! implement the proposal. MSC4480 (the sliding-sync extension) has none: its smallest
//! observable use is tried instead. A user creates a room, sends a sticky event and a message
//! after it, and opens a sliding-sync connection with the extension enabled and a one-event
//! timeline: a server implementing MSC4480 must deliver the sticky event in the extension (it is
//! not in the timeline), so an answer without the extension's key means it is absent.

use crate::catalogue::{Proposal, Revision, RevisionOf};
use crate::client::{encode, Client, Request};
use crate::fault::RequestParts;
use crate::homeserver::Homeserver;
use crate::results::Absence;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The sliding-sync extension's key in requests and answers.
const EXTENSION: &str = "org.matrix.msc4354.sticky_events";
/// Simplified sliding sync's flag and endpoint.
const SSS_FLAG: &str = "org.matrix.simplified_msc3575";
const SSS_PATH: &str = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync";

/// The report group of MSC4480.
fn msc4480_group() -> &'static str {
    crate::catalogue::moved_title("msc4480").unwrap_or("MSC4480")
}

/// What makes a group absent on `hs`, if it is: for a proposal, its flag not being set.
pub fn by_flag(hs: &Homeserver, group: &str) -> Option<String> {
    Proposal::ALL
        .into_iter()
        .find(|p| p.title() == group)
        .filter(|p| !hs.advertises(p.unstable_flag()))
        .map(|p| {
            format!(
                "{} does not advertise `{}` in /versions",
                hs.name,
                p.unstable_flag()
            )
        })
}

/// Tries MSC4480's smallest use on `hs` (see the module); `Some(why)` when the extension is
/// absent, `None` when it answered or when the probe could not be made (then the scenarios run
/// and say what is wrong themselves).
pub async fn probe_msc4480(client: &Client, hs: &Homeserver, run_id: &str) -> Option<String> {
    if !hs.advertises(Proposal::Msc4354.unstable_flag()) {
        return Some(format!(
            "it extends MSC4354, which {} does not advertise",
            hs.name
        ));
    }
    if !hs.advertises(SSS_FLAG) {
        // Sliding sync itself is missing: its scenarios are skipped as not advertised.
        return None;
    }
    let user = crate::homeserver::registration::register(
        client,
        hs,
        &format!("mscheck-msc4480-probe-{run_id}"),
        false,
    )
    .await
    .ok()?;
    let probe = Probe {
        client,
        hs,
        token: user.access_token,
    };
    if !probe.sticky_event_outside_the_timeline().await? {
        return None;
    }
    let answer = probe
        .call(
            "POST",
            SSS_PATH.into(),
            vec![("timeout".into(), "0".into())],
            json!({
                "lists": {"all": {"ranges": [[0, 10]], "timeline_limit": 1, "required_state": []}},
                "extensions": {EXTENSION: {"enabled": true}}
            }),
        )
        .await?;
    if answer.status != 200 {
        return None;
    }
    let present = answer
        .body
        .get("extensions")
        .and_then(|e| e.get(EXTENSION))
        .is_some();
    (!present).then(|| {
        format!(
            "no `{EXTENSION}` extension in the answer to a sliding-sync request that enabled it, with a sticky event waiting outside the timeline"
        )
    })
}

/// The requests of the MSC4480 probe, as one user of hs1.
struct Probe<'a> {
    client: &'a Client,
    hs: &'a Homeserver,
    token: String,
}

impl Probe<'_> {
    /// One request; `None` when it got no answer.
    async fn call(
        &self,
        method: &str,
        path: String,
        query: Vec<(String, String)>,
        body: Value,
    ) -> Option<crate::http::Response> {
        let request = Request {
            hs: self.hs.name.to_string(),
            base: self.hs.base_url.clone(),
            actor: "harness".into(),
            token: Some(self.token.clone()),
            step: "msc4480-probe".into(),
            parts: RequestParts {
                method: method.into(),
                path,
                query,
                body: Some(body),
            },
            timeout: Duration::from_secs(10),
        };
        self.client.send(request).await.ok()
    }

    /// A room with a sticky event and, after it, a message: with a timeline of one, the sticky
    /// event is outside it. Whether the server took the sticky event (`None`: no answer).
    async fn sticky_event_outside_the_timeline(&self) -> Option<bool> {
        let created = self
            .call(
                "POST",
                "/_matrix/client/v3/createRoom".into(),
                vec![],
                json!({"preset": "private_chat"}),
            )
            .await?;
        let room = encode(created.body.get("room_id")?.as_str()?);
        let send = |kind: &str, txn: &str, query: Vec<(String, String)>, content: Value| {
            let path = format!(
                "/_matrix/client/v3/rooms/{room}/send/{}/{}",
                encode(kind),
                encode(txn)
            );
            self.call("PUT", path, query, content)
        };
        let sticky_param = crate::catalogue::sticky_duration_param(Revision::Newest).to_string();
        let sent = send(
            "org.example.sticky",
            "probe-sticky",
            vec![(sticky_param, "600000".into())],
            json!({"msc4354_sticky_key": "probe"}),
        )
        .await?;
        if sent.status != 200 {
            return Some(false);
        }
        let body = json!({"msgtype": "m.text", "body": "after"});
        send("m.room.message", "probe-after", vec![], body).await?;
        Some(true)
    }
}

/// The plan's scenarios by report group.
pub fn groups_of<'a>(
    plan: &'a [std::sync::Arc<crate::scenario::Scenario>],
    revisions: &BTreeMap<Proposal, Revision>,
) -> BTreeMap<&'static str, Vec<&'a str>> {
    let mut out: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    for s in plan {
        let rev = revisions.revision_of(s.proposal);
        out.entry(s.group(rev)).or_default().push(s.id.as_str());
        // A group the scenario only judges some IDs of is probed too (it takes no scenario).
        for id in &s.covers {
            out.entry(s.group_of(id, rev)).or_default();
        }
    }
    out
}

/// The absences of a run: every group of the plan that hs1 does not implement, with the
/// expectations file's reason when it lists the group as not implemented.
pub async fn find(
    plan: &[std::sync::Arc<crate::scenario::Scenario>],
    revisions: &BTreeMap<Proposal, Revision>,
    hs1: &Homeserver,
    client: &Client,
    run_id: &str,
    known: &BTreeMap<String, String>,
) -> Vec<Absence> {
    let mut out = Vec::new();
    for (group, scenarios) in groups_of(plan, revisions) {
        let why = if group == msc4480_group() {
            probe_msc4480(client, hs1, run_id).await
        } else {
            by_flag(hs1, group)
        };
        if let Some(why) = why {
            out.push(Absence {
                group: group.to_string(),
                why,
                scenarios: scenarios.iter().map(|s| s.to_string()).collect(),
                known: known_reason(known, group),
            });
        }
    }
    out
}

/// The expectations file's reason for a group, matched by its proposal name (`MSC4480`).
fn known_reason(known: &BTreeMap<String, String>, group: &str) -> Option<String> {
    known
        .iter()
        .find(|(p, _)| {
            group
                .to_ascii_lowercase()
                .starts_with(&p.to_ascii_lowercase())
        })
        .map(|(_, r)| r.clone())
}
