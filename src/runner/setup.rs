//! Before the first step: register the scenario's users, start its fake federating server, set
//! the built-in variables, and skip the scenario when hs1 does not advertise what it needs.

use super::check::failure_from_response;
use super::error::{StepError, TransportError};
use super::exec::{ScenarioRun, UserState};
use crate::client::{Request, Response, DEFAULT_TIMEOUT};
use crate::fault::RequestParts;
use crate::held::Held;
use crate::homeserver::registration::{register, RegistrationError};
use crate::hs::Hs;
use crate::matcher::Path;
use serde_json::{json, Value};
use std::sync::Arc;

impl ScenarioRun {
    /// A GET the harness makes itself (not a step's request), as `user` when given.
    pub(super) async fn harness_get(
        &self,
        hs: Hs,
        user: Option<&UserState>,
        step: &str,
        path: String,
    ) -> Result<Response, StepError> {
        let h = self.homeserver(hs)?;
        self.client
            .send(Request {
                hs: hs.to_string(),
                base: h.base_url.clone(),
                actor: user.map(|u| u.name.clone()).unwrap_or_default(),
                token: user.map(|u| u.access_token.clone()),
                step: step.to_string(),
                parts: RequestParts {
                    method: "GET".into(),
                    path,
                    query: vec![],
                    body: None,
                },
                timeout: DEFAULT_TIMEOUT,
            })
            .await
            .map_err(StepError::from)
    }

    /// Reads the current power levels of a room.
    pub async fn fetch_power_levels(
        &self,
        step: &str,
        hs: Hs,
        user: Option<&UserState>,
        room_enc: &str,
    ) -> Result<Value, StepError> {
        let resp = self
            .harness_get(
                hs,
                user,
                step,
                format!("/_matrix/client/v3/rooms/{room_enc}/state/m.room.power_levels/"),
            )
            .await?;
        if resp.status != 200 {
            return Err(StepError::Failed(Box::new(failure_from_response(
                step,
                "reading m.room.power_levels failed",
                &resp,
                None,
            ))));
        }
        Ok(resp.body)
    }

    /// Registers the scenario's users and sets the built-in variables.
    pub async fn setup(&self) -> Result<(), StepError> {
        let mut user_ids = serde_json::Map::new();
        for u in &self.scenario.users {
            let hs = self.homeserver(u.hs)?.clone();
            if u.appservice {
                let Some(a) = &hs.appservice else {
                    return Err(StepError::harness(format!(
                        "{} has no application service registered",
                        hs.name
                    )));
                };
                user_ids.insert(u.name.clone(), Value::String(a.sender.clone()));
                self.users.held().insert(
                    u.name.clone(),
                    UserState {
                        name: u.name.clone(),
                        hs: u.hs,
                        user_id: a.sender.clone(),
                        access_token: a.token.clone(),
                        password: None,
                    },
                );
                continue;
            }
            let localpart = format!(
                "{}-{}-{}",
                u.name,
                self.ctx.run_id,
                self.ctx.next_user_serial()
            );
            let reg = register(&self.client, &hs, &localpart, u.guest)
                .await
                .map_err(|e| match e {
                    // Guest access is optional in the spec: a server that refuses guests cannot
                    // run this scenario, which says nothing about the proposals.
                    RegistrationError::Refused { status: 403, .. } if u.guest => {
                        StepError::NotAdvertised(format!(
                            "{} does not allow guest accounts: {e}",
                            hs.name
                        ))
                    }
                    e => StepError::Transport(TransportError::Homeserver(e.to_string())),
                })?;
            user_ids.insert(u.name.clone(), Value::String(reg.user_id.clone()));
            self.users.held().insert(
                u.name.clone(),
                UserState {
                    name: u.name.clone(),
                    hs: u.hs,
                    user_id: reg.user_id,
                    access_token: reg.access_token,
                    password: reg.password,
                },
            );
        }
        if self.scenario.uses_fake_server() {
            let fake = crate::federation::FakeServer::start(self.ctx.fake_misbehaviours())
                .await
                .map_err(StepError::from)?;
            fake.outbound()
                .record_into(self.client.transcript().clone(), self.ctx.redactor.clone());
            self.vars
                .held()
                .set("fake", json!({"server_name": fake.server_name}));
            *self.fake.held() = Some(Arc::new(fake));
        }
        let mut vars = self.vars.held();
        vars.set("user", Value::Object(user_ids));
        vars.set("run_id", Value::String(self.ctx.run_id.clone()));
        for h in self.ctx.targets.all() {
            vars.set(
                h.name.name(),
                json!({"server_name": h.server_name, "url": h.base_url}),
            );
        }
        Ok(())
    }

    /// Skips the scenario (as "not advertised") when hs1's `/capabilities` lacks something the
    /// scenario `requires`, asked as the scenario's first user (`/capabilities` needs a token).
    pub async fn check_capabilities(&self) -> Result<(), StepError> {
        let wanted = &self.scenario.requires.capabilities;
        if wanted.is_empty() {
            return Ok(());
        }
        let user = self
            .users
            .held()
            .values()
            .find(|u| u.hs == Hs::Hs1)
            .cloned()
            .ok_or_else(|| StepError::harness("`requires: capabilities` needs a user on hs1"))?;
        let resp = self
            .harness_get(
                Hs::Hs1,
                Some(&user),
                "setup",
                "/_matrix/client/v3/capabilities".into(),
            )
            .await?;
        if resp.status != 200 {
            return Err(StepError::Failed(Box::new(failure_from_response(
                "setup",
                &format!("GET /capabilities answered {}", resp.status),
                &resp,
                None,
            ))));
        }
        let caps = resp
            .body
            .get("capabilities")
            .cloned()
            .unwrap_or(Value::Null);
        for sel in wanted {
            let found = Path::parse(sel)
                .map_err(StepError::from)?
                .select(&caps)
                .into_value();
            if found.is_none_or(|v| v.is_null()) {
                return Err(StepError::NotAdvertised(format!(
                    "not advertised: hs1's /capabilities has nothing at `{sel}`"
                )));
            }
        }
        Ok(())
    }
}
