//! `delayed_action`: send, cancel or restart a delayed event: the action in the path (newest
//! revision), or in the body (seed revision), unless `form` pins one.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Text};
use super::kind::HttpStep;
use super::paths::MSC4140_PREFIX;
use crate::catalogue::{Proposal, Revision};
use crate::http::Method;
use serde_json::json;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "delayed_action",
    summary: "send, cancel or restart a delayed event (action in the path, or in the body for the seed revision)",
    // `as:` may be left out (an unauthenticated request).
    needs_user: false,
    // Its requests, in both forms.
    samples: &[
    (
        "POST",
        "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d/send",
    ),
    (
        "POST",
        "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d/cancel",
    ),
    (
        "POST",
        "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d/restart",
    ),
    (
        "POST",
        "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d",
    ),
],
};

/// What to do with the delayed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send it now.
    Send,
    /// Never send it.
    Cancel,
    /// Start its delay again.
    Restart,
}

impl Action {
    fn word(self) -> &'static str {
        match self {
            Action::Send => "send",
            Action::Cancel => "cancel",
            Action::Restart => "restart",
        }
    }
}

/// Where the action goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// By revision: the path at the newest, the body at the seed.
    Auto,
    /// `POST …/delayed_events/{id}/{action}`.
    Path,
    /// `POST …/delayed_events/{id}` with `{"action": …}`.
    Body,
}

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    id: Text,
    action: Action,
    form: Form,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let id = f.need_text("id");
        let action = f.need_choice(
            "action",
            &[
                ("send", Action::Send),
                ("cancel", Action::Cancel),
                ("restart", Action::Restart),
            ],
        );
        let form = f
            .choice(
                "form",
                &[
                    ("auto", Form::Auto),
                    ("path", Form::Path),
                    ("body", Form::Body),
                ],
            )
            .unwrap_or(Form::Auto);
        Some(Step {
            id: id?,
            action: action?,
            form,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let in_body = match self.form {
            Form::Path => false,
            Form::Body => true,
            Form::Auto => cx.revision(Proposal::Msc4140) == Revision::Seed,
        };
        let base = format!("{MSC4140_PREFIX}/delayed_events/{}", cx.segment(&self.id)?);
        Ok(if in_body {
            HttpCall::new(Method::Post, base).body(json!({"action": self.action.word()}))
        } else {
            HttpCall::new(Method::Post, format!("{base}/{}", self.action.word())).body(json!({}))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, seed, text};

    #[test]
    fn the_action_goes_in_the_path_or_the_body_by_revision() {
        let step = Step {
            id: text("d1"),
            action: Action::Restart,
            form: Form::Auto,
        };
        let newest = step.build(&cx()).unwrap();
        assert_eq!(
            newest.path,
            "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d1/restart"
        );
        let old = step.build(&seed(cx())).unwrap();
        assert_eq!(
            old.path,
            "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d1"
        );
        assert_eq!(old.body, Some(json!({"action": "restart"})));
        let pinned = Step {
            form: Form::Path,
            ..step
        }
        .build(&seed(cx()))
        .unwrap();
        assert!(pinned.path.ends_with("/d1/restart"));
    }
}
