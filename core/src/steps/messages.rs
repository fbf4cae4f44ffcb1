//! `messages`: GET /rooms/{room}/messages.

use super::build::scalar_text;
use super::build::{BuildCx, HttpCall};
use super::error::HarnessError;
use super::fields::{Fields, Int, Json, Text};
use super::kind::HttpStep;
use super::paths::V3;
use crate::http::Method;

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "messages",
    summary: "GET /rooms/{room}/messages",
    needs_user: true,
    samples: &[("GET", "/_matrix/client/v3/rooms/%21r/messages")],
};

/// Which way to page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Backwards from the newest (the default).
    Backwards,
    /// Forwards.
    Forwards,
}

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    room: Text,
    dir: Dir,
    limit: Option<Int>,
    from: Option<Text>,
    filter: Option<Json>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let room = f.need_text("room");
        Some(Step {
            dir: f
                .choice("dir", &[("b", Dir::Backwards), ("f", Dir::Forwards)])
                .unwrap_or(Dir::Backwards),
            limit: f.int("limit"),
            from: f.text("from"),
            filter: f.json("filter"),
            room: room?,
        })
    }
}

impl HttpStep for Step {
    fn build(&self, cx: &BuildCx) -> Result<HttpCall, HarnessError> {
        let dir = match self.dir {
            Dir::Backwards => "b",
            Dir::Forwards => "f",
        };
        let mut query = vec![("dir".to_string(), dir.to_string())];
        if let Some(l) = &self.limit {
            query.push(("limit".into(), l.render(&cx.vars)?.to_string()));
        }
        if let Some(f) = &self.from {
            query.push(("from".into(), cx.text(f)?));
        }
        if let Some(f) = &self.filter {
            query.push(("filter".into(), scalar_text(&cx.json(f)?)));
        }
        Ok(HttpCall::new(
            Method::Get,
            format!("{V3}/rooms/{}/messages", cx.segment(&self.room)?),
        )
        .query(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::build::testing::{cx, text};

    #[test]
    fn backwards_by_default() {
        let call = Step {
            room: text("!r"),
            dir: Dir::Backwards,
            limit: Some(Int::Fixed(20)),
            from: None,
            filter: None,
        }
        .build(&cx())
        .unwrap();
        assert_eq!(
            call.query,
            [("dir", "b"), ("limit", "20")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }
}
