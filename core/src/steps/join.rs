//! `join`: POST /join/{room}, with `via` servers for a room on another homeserver.

use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Json, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;
use serde_json::{json, Value};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "join",
    summary: "POST /join/{room} (with `via` servers for another homeserver's room)",
    needs_user: true,
    samples: &[("POST", "/_matrix/client/v3/join/%21r")],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    /// Homeserver names (`hs1`) or server names.
    via: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        let via = f.json("via");
        Some(Step { room: room?, via })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let mut query = Vec::new();
        if let Some(via) = &self.via {
            if let Value::Array(list) = cx.json(via)? {
                for h in list {
                    let server = cx.server_name(h.as_str().unwrap_or(""));
                    query.push(("via".to_string(), server.clone()));
                    query.push(("server_name".to_string(), server));
                }
            }
        }
        Ok(HttpCall::new(
            Method::Post,
            format!("{V3}/join/{}", cx.segment(&self.room)?),
        )
        .query(query)
        .body(json!({})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, json, text};

    #[test]
    fn via_names_our_servers_by_their_server_names() {
        let step = Step {
            room: text("{{room}}"),
            via: Some(json(json!(["hs2", "other.example"]))),
        };
        let call = step.build(&cx()).unwrap();
        assert_eq!(call.path, "/_matrix/client/v3/join/%21r%3Ahs1.test");
        assert_eq!(
            call.query,
            [
                ("via", "hs2.test"),
                ("server_name", "hs2.test"),
                ("via", "other.example"),
                ("server_name", "other.example")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
