//! `fake_join`: the fake federating server joins a room (make_join, send_join) through `via`.
//! Its response: `{event_id, room_version, state_count, user_id, message_auth_events}`.

use super::fake_support::{target, user};
use super::{FakeOutcome, FakeStep, Fields, StepError, Text};
use crate::federation::FakeServer;
use crate::runner::exec::ScenarioRun;
use futures_util::future::BoxFuture;
use serde_json::json;

/// Key in the YAML.
pub const NAME: &str = "fake_join";
/// One line for the README.
pub const SUMMARY: &str = "the fake federating server joins a room through `via` (make_join, send_join) as `@<user>:<fake>`";
/// No `as:`: the fake server acts.
pub const NEEDS_USER: bool = false;
/// No client-server request.
pub const SAMPLES: &[(&str, &str)] = &[];

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    user: Option<Text>,
    via: Option<Text>,
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

impl FakeStep for Step {
    fn run<'a>(
        &'a self,
        run: &'a ScenarioRun,
        fake: &'a FakeServer,
        step_id: &'a str,
    ) -> BoxFuture<'a, Result<FakeOutcome, StepError>> {
        Box::pin(async move {
            let vars = run.vars_snapshot();
            let room = self.room.render(&vars)?;
            let via = target(run, self.via.as_ref(), &vars)?;
            let user = user(self.user.as_ref(), &vars)?;
            let (joined, _) = fake.join(step_id, &via, &room, &user).await?;
            let body = json!({
                "event_id": joined.event_id, "room_version": joined.room_version,
                "state_count": joined.state_count, "user_id": fake.user_id(&user),
                "message_auth_events": joined.message_auth_events,
            });
            Ok(FakeOutcome {
                line: format!("FAKE join {room} via {via}"),
                status: 200,
                body,
            })
        })
    }
}
