//! What a fault is: its name, what requests it applies to, and the rewrites (operations) it
//! makes of requests and answers; `fixtures/faults.yaml` holds them (read by `load.rs`).

use super::misbehaviour::Misbehaviour;
use crate::matcher::Path;
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// A request about to be sent, as the seam sees it.
#[derive(Debug, Clone)]
pub struct RequestParts {
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
}

/// A response as the seam sees it.
#[derive(Debug, Clone)]
pub struct ResponseParts {
    /// HTTP status.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// JSON body (`Null` if empty; a string if not JSON).
    pub body: Value,
    /// How long the client holds the answer back before handing it on (a `delay` rewrite
    /// simulating a slow server; the fault model itself never waits).
    pub hold: std::time::Duration,
}

/// One rewrite.
#[derive(Debug, Clone)]
pub enum Op {
    /// Request: remove a query parameter.
    DropQuery(String),
    /// Request: replace a query parameter's value, if present.
    ReplaceQuery(String, String),
    /// Request: regex replacement on the path.
    RewritePath(Regex, String),
    /// Request: change the method.
    Method(String),
    /// Request: replace a value in the JSON body, where the body has one there.
    ReplaceBody(Path, Value),
    /// Response: remove every value at a selector.
    Delete(Path),
    /// Response: set every value at a selector.
    Set(Path, Value),
    /// Response: repeat the first element of every array at a selector.
    Duplicate(Path),
    /// Response: append a value to every array at a selector.
    Append(Path, Value),
    /// Response: inside every value at `within`, append the elements of `from` to `to`.
    Copy {
        /// Scope.
        within: Path,
        /// Source array, relative to the scope.
        from: Path,
        /// Target array, relative to the scope.
        to: Path,
    },
    /// Response: move the value at one selector to another (a field named differently).
    Rename {
        /// Where the value is.
        from: Path,
        /// Where it goes.
        to: Path,
    },
    /// Response: add this to every number at a selector (a timestamp, a lifetime, a delay).
    Shift(Path, i64),
    /// Response: turn every number at a selector into a string of its digits.
    Stringify(Path),
    /// Response: change the status.
    Status(u16),
    /// Response: set `errcode`.
    Errcode(String),
    /// Response: hold it back this long.
    Delay(Duration),
    /// Both ways, a server whose clock is off by this many milliseconds (negative: behind):
    /// every wall-clock timestamp in an answer ([`super::SERVER_CLOCK_FIELDS`]) is moved by it, and a
    /// timestamp a client asks for (an appservice's `ts` query parameter) is moved back, so that
    /// what the client chose still reads the same in the answer.
    ShiftClock(i64),
    /// Response: each item keeps the value at `at` it had the first time the fault saw it
    /// (items told apart by the value at `key`): a value that never changes with time.
    Freeze {
        /// The items (a fan-out selector).
        items: Path,
        /// Inside an item: what identifies it.
        key: Path,
        /// Inside an item: the value to freeze.
        at: Path,
    },
    /// Response: an item disappears from responses once the fault first saw it more than
    /// `after` ago (items told apart by the value at `key`): delivered, then dropped early.
    ForgetAfter {
        /// The arrays holding the items (the `items` selector without its final `[*]`).
        arrays: Path,
        /// Inside an item: what identifies it.
        key: Path,
        /// How long an item stays.
        after: Duration,
    },
}

/// What stateful faults remember during a run (shared by every scenario; items are told apart
/// by their own IDs, so scenarios do not disturb each other).
#[derive(Debug, Default)]
pub struct Memory {
    pub(super) frozen: std::collections::HashMap<String, Value>,
    pub(super) first_seen: std::collections::HashMap<String, std::time::Instant>,
    pub(super) paths_seen: std::collections::HashSet<String>,
}

/// A named fault.
#[derive(Debug, Clone)]
pub struct Fault {
    /// Its name (`--inject NAME`).
    pub name: String,
    /// What misbehaviour it simulates.
    pub summary: String,
    /// Requirement IDs a conforming scenario must catch it under.
    pub breaks: Vec<String>,
    /// A control (`control: true`): it breaks nothing, and a correct server's verdicts must be
    /// the same under it (a clock that runs behind or ahead).
    pub control: bool,
    /// Only requests with this method (any if `None`).
    pub method: Option<String>,
    /// Only requests whose path matches.
    pub path: Regex,
    /// Rewrites of the request.
    pub request: Vec<Op>,
    /// Rewrites of the response.
    pub response: Vec<Op>,
    /// How the fake federating server misbehaves while this fault is active.
    pub fake: Vec<Misbehaviour>,
    /// Only a repeated request to the same path is rewritten; the first passes untouched (a
    /// server that honours an action once and ignores it afterwards).
    pub repeats_only: bool,
    /// Only requests carrying every one of these query parameters (`since`: an incremental
    /// sync; `pos`: a continued sliding-sync connection).
    pub with_query: Vec<String>,
    /// Only requests carrying none of these.
    pub without_query: Vec<String>,
    /// State of the stateful operations.
    pub memory: std::sync::Arc<std::sync::Mutex<Memory>>,
}
