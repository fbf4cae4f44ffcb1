//! Reading a profile's values with positions: text, durations and signals, each mistake kept
//! as a diagnostic at file:line:column (see [`super::profile::Profile::load`]).

use crate::yaml::{Diagnostic, Pos};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

pub(super) fn signal(name: &str) -> Option<i32> {
    Some(match name.trim_start_matches("SIG") {
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "STOP" => libc::SIGSTOP,
        "CONT" => libc::SIGCONT,
        "TSTP" => libc::SIGTSTP,
        "HUP" => libc::SIGHUP,
        _ => return None,
    })
}

pub(super) struct Reader<'a> {
    pub(super) file: &'a Path,
    pub(super) source: &'a str,
    pub(super) errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    pub(super) fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, self.source, pos, msg.into()));
    }

    pub(super) fn text(&mut self, v: &Value, pos: Pos, what: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.err(pos, format!("`{what}` must be text"));
                None
            }
        }
    }

    pub(super) fn duration(
        &mut self,
        v: Option<&Value>,
        pos: Pos,
        what: &str,
        default: Duration,
    ) -> Duration {
        match v {
            None => default,
            Some(v) => match v.as_str().and_then(crate::units::parse_duration) {
                Some(d) => d,
                None => {
                    self.err(pos, format!("`{what}` must be a duration such as 10s"));
                    default
                }
            },
        }
    }

    pub(super) fn signal(&mut self, v: Option<&Value>, pos: Pos, what: &str, default: i32) -> i32 {
        match v.and_then(|v| v.get("signal")).and_then(Value::as_str) {
            None => default,
            Some(s) => signal(s).unwrap_or_else(|| {
                self.err(
                    pos,
                    format!("`{what}.signal: {s}` is not a signal mscheck sends (TERM, INT, QUIT, KILL, HUP, STOP, CONT, TSTP)"),
                );
                default
            }),
        }
    }
}
