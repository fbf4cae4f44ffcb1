//! `fake_script`: how the fake federating server answers the next incoming /send transactions
//! (`answers`, in order) and after them (`then`). Answers are checked at load time.

use super::fields::Fields;
use crate::fake::SendAnswer;
use serde_json::{json, Value};

/// What the kind is (see [`super::Kind`]).
pub const KIND: super::kind::Kind = super::kind::Kind {
    name: "fake_script",
    summary: "how the fake federating server answers the next incoming /send transactions (`answers`), and after them (`then`)",
    // No `as:`: the fake server acts.
    needs_user: false,
    // No client-server request.
    samples: &[],
};

/// The fields.
#[derive(Debug, Clone)]
pub struct Step {
    pub answers: Vec<SendAnswer>,
    pub then: Option<SendAnswer>,
}

impl Step {
    /// Reads the fields.
    pub fn decode(f: &mut Fields) -> Option<Self> {
        let mut ok = true;
        let mut read = |f: &mut Fields, name: &'static str| -> Vec<SendAnswer> {
            let Some(node) = f.raw(name) else {
                return Vec::new();
            };
            let list = match crate::yaml::to_json(node) {
                Value::Array(list) => list,
                one => vec![one],
            };
            let mut out = Vec::new();
            for v in list {
                match answer(&v) {
                    Ok(a) => out.push(a),
                    Err(e) => {
                        f.report(node, e);
                        ok = false;
                    }
                }
            }
            out
        };
        let answers = read(f, "answers");
        let then = read(f, "then").into_iter().next();
        ok.then_some(Step { answers, then })
    }
}

/// One scripted `/send` answer: `accept` (or a 2xx), a status, `{status, retry_after_ms?,
/// errcode?}`, or `{stall: 30s}`.
pub fn answer(v: &Value) -> Result<SendAnswer, String> {
    let bad = || {
        format!(
            "a /send answer is `accept`, a status, {{status, retry_after_ms?, errcode?}} or {{stall: <duration>}}; found {v}"
        )
    };
    let reply = |status: u16, retry: Option<u64>, errcode: Option<&str>| {
        if (200..300).contains(&status) {
            return SendAnswer::Accept;
        }
        let code = errcode.unwrap_or(if status == 429 {
            "M_LIMIT_EXCEEDED"
        } else {
            "M_UNKNOWN"
        });
        let mut body = json!({"errcode": code, "error": "scripted by mscheck's fake server"});
        if let Some(r) = retry {
            body["retry_after_ms"] = json!(r);
        }
        SendAnswer::Reply(status, body)
    };
    match v {
        Value::String(s) if s == "accept" => Ok(SendAnswer::Accept),
        Value::Number(n) => {
            let status = n
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(bad)?;
            Ok(reply(status, None, None))
        }
        Value::Object(o) => {
            if let Some(d) = o.get("stall") {
                let d =
                    crate::units::parse_duration(d.as_str().unwrap_or_default()).ok_or_else(bad)?;
                return Ok(SendAnswer::Stall(d));
            }
            let status = o
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .ok_or_else(bad)?;
            Ok(reply(
                status,
                o.get("retry_after_ms").and_then(Value::as_u64),
                o.get("errcode").and_then(Value::as_str),
            ))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_answers_read_as_written() {
        assert_eq!(answer(&json!("accept")).unwrap(), SendAnswer::Accept);
        assert_eq!(answer(&json!(200)).unwrap(), SendAnswer::Accept);
        let SendAnswer::Reply(429, body) =
            answer(&json!({"status": 429, "retry_after_ms": 1500})).unwrap()
        else {
            panic!("expected a 429 reply")
        };
        assert_eq!(body["errcode"], "M_LIMIT_EXCEEDED");
        assert_eq!(body["retry_after_ms"], 1500);
        assert_eq!(
            answer(&json!({"stall": "30s"})).unwrap(),
            SendAnswer::Stall(std::time::Duration::from_secs(30))
        );
        assert!(answer(&json!("sometimes")).is_err());
        assert!(answer(&json!({"stall": "a while"})).is_err());
    }
}
