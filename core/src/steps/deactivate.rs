//! `deactivate`: POST /account/deactivate, authenticated with the user's password (user-
//! interactive auth in one round), optionally erasing the account (`erase: true`).

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::Fields;
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use serde_json::json;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "deactivate",
    summary: "POST /account/deactivate with the user's password (`erase: true` asks the server to forget what the user sent)",
    needs_user: true,
    samples: &[("POST", "/_matrix/client/v3/account/deactivate")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    erase: bool,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            erase: f.flag("erase").unwrap_or(false),
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let actor = cx
            .actor
            .as_ref()
            .ok_or_else(|| HarnessError::harness("`deactivate` needs `as:`"))?;
        // Guests and application-service users were given no password.
        let password = actor.password.as_ref().ok_or_else(|| {
            HarnessError::harness(format!(
                "`{}` has no password to deactivate with (a guest or an application service user)",
                actor.name
            ))
        })?;
        Ok(
            HttpCall::new(Method::Post, format!("{V3}/account/deactivate")).body(json!({
                "erase": self.erase,
                "auth": {
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": actor.user_id},
                    "password": password,
                },
            })),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::cx;

    #[test]
    fn authenticates_with_the_actors_password_and_asks_for_erasure() {
        let call = Step { erase: true }.build(&cx()).unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/account/deactivate");
        let body = call.body.unwrap();
        assert_eq!(body["erase"], true);
        assert_eq!(body["auth"]["type"], "m.login.password");
        assert_eq!(body["auth"]["identifier"]["user"], "@alice:hs1.test");
        assert_eq!(body["auth"]["password"], "pw-alice");
        let mut guest = cx();
        guest.actor.as_mut().unwrap().password = None;
        let e = Step { erase: true }.build(&guest).unwrap_err();
        assert!(e.to_string().contains("no password"), "{e}");
    }
}
