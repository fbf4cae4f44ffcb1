//! `ignore`: PUT the caller's m.ignored_user_list account data.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::Fields;
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::encode;
use crate::http::Method;
use serde_json::{json, Map};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "ignore",
    summary: "PUT the m.ignored_user_list account data",
    needs_user: true,
    samples: &[(
        "PUT",
        "/_matrix/client/v3/user/%40u/account_data/m.ignored_user_list",
    )],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    users: Vec<String>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        Some(Step {
            users: f.need_users("users")?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let mut ignored = Map::new();
        for n in &self.users {
            ignored.insert(cx.user_id(n)?, json!({}));
        }
        Ok(HttpCall::new(
            Method::Put,
            format!(
                "{V3}/user/{}/account_data/m.ignored_user_list",
                encode(&cx.me())
            ),
        )
        .body(json!({"ignored_users": ignored})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::cx;

    #[test]
    fn ignores_by_user_id() {
        let call = Step {
            users: vec!["bob".into()],
        }
        .build(&cx())
        .unwrap();
        assert_eq!(
            call.path,
            "/_matrix/client/v3/user/%40alice%3Ahs1.test/account_data/m.ignored_user_list"
        );
        assert_eq!(
            call.body,
            Some(json!({"ignored_users": {"@bob:hs1.test": {}}}))
        );
    }
}
