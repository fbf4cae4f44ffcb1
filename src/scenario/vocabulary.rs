//! The step vocabulary: every HTTP-backed step kind, its fields and what each field means.
//!
//! Adding a step kind: add a [`StepKind`] to [`STEP_KINDS`], then teach
//! `runner::request::build` how to turn it into a request. The loader validates field names and
//! required fields from this table, so suites get "unknown field" and "did you mean" messages
//! without extra code.

/// How a field's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string (templates allowed).
    Text,
    /// An integer (or a template that renders to one).
    Int,
    /// true / false.
    Bool,
    /// Any JSON (templates allowed in strings).
    Json,
    /// A declared user name.
    User,
    /// A list of declared user names.
    Users,
}

/// One field of a step kind.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Key in the YAML.
    pub name: &'static str,
    /// Must be present.
    pub required: bool,
    /// How the value is read.
    pub kind: FieldKind,
}

const fn req(name: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        required: true,
        kind,
    }
}

const fn opt(name: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        required: false,
        kind,
    }
}

/// One HTTP-backed step kind.
#[derive(Debug)]
pub struct StepKind {
    /// Key in the YAML (`send`, `sync`, …).
    pub name: &'static str,
    /// One line for `mscheck steps` and the README.
    pub summary: &'static str,
    /// Whether `as:` is required (otherwise the call may be unauthenticated).
    pub needs_user: bool,
    /// Fields besides `as`.
    pub fields: &'static [Field],
}

use FieldKind::*;

/// Every HTTP-backed step kind.
pub static STEP_KINDS: &[StepKind] = &[
    StepKind {
        name: "create_room",
        summary: "POST /createRoom; capture `room_id`",
        needs_user: true,
        fields: &[
            opt("preset", Text),
            opt("visibility", Text),
            opt("name", Text),
            opt("invite", Users),
            opt("initial_state", Json),
            opt("power_levels", Json),
            opt("history_visibility", Text),
            opt("room_version", Text),
            opt("body", Json),
        ],
    },
    StepKind {
        name: "join",
        summary: "POST /join/{room} (with `via` servers for another homeserver's room)",
        needs_user: true,
        fields: &[req("room", Text), opt("via", Json)],
    },
    StepKind {
        name: "invite",
        summary: "POST /rooms/{room}/invite",
        needs_user: true,
        fields: &[req("room", Text), req("user", User)],
    },
    StepKind {
        name: "leave",
        summary: "POST /rooms/{room}/leave",
        needs_user: true,
        fields: &[req("room", Text)],
    },
    StepKind {
        name: "send",
        summary: "PUT /rooms/{room}/send/{type}/{txn}, optionally sticky (`sticky_ms`, parameter name per MSC4354 revision)",
        needs_user: true,
        fields: &[
            req("room", Text),
            opt("type", Text),
            opt("content", Json),
            opt("txn", Text),
            opt("sticky_ms", Json),
            opt("query", Json),
        ],
    },
    StepKind {
        name: "state",
        summary: "PUT /rooms/{room}/state/{type}/{state_key}, optionally sticky (seed revision)",
        needs_user: true,
        fields: &[
            req("room", Text),
            req("type", Text),
            opt("state_key", Text),
            opt("content", Json),
            opt("sticky_ms", Json),
            opt("query", Json),
        ],
    },
    StepKind {
        name: "redact",
        summary: "PUT /rooms/{room}/redact/{event}/{txn}",
        needs_user: true,
        fields: &[req("room", Text), req("event", Text), opt("reason", Text)],
    },
    StepKind {
        name: "power_levels",
        summary: "read m.room.power_levels, change it (user names → levels, event types → levels, other keys) and write it back",
        needs_user: true,
        fields: &[req("room", Text), opt("users", Json), opt("events", Json), opt("set", Json)],
    },
    StepKind {
        name: "ignore",
        summary: "PUT the m.ignored_user_list account data",
        needs_user: true,
        fields: &[req("users", Users)],
    },
    StepKind {
        name: "sync",
        summary: "GET /sync; `since: last` chains the user's previous next_batch (every response updates it)",
        needs_user: true,
        fields: &[opt("filter", Json), opt("since", Text), opt("timeout_ms", Int), opt("full_state", Bool)],
    },
    StepKind {
        name: "sliding_sync",
        summary: "POST simplified sliding sync; `pos: last` chains the user's previous pos",
        needs_user: true,
        fields: &[opt("body", Json), opt("pos", Text), opt("timeout_ms", Int)],
    },
    StepKind {
        name: "schedule",
        summary: "schedule a delayed event (message, or state with `state_key`); API per MSC4140 revision unless `via` says `query` or `endpoint`",
        needs_user: true,
        fields: &[
            req("room", Text),
            opt("type", Text),
            opt("state_key", Text),
            opt("content", Json),
            req("delay_ms", Json),
            opt("sticky_ms", Json),
            opt("txn", Text),
            opt("via", Text),
        ],
    },
    StepKind {
        name: "delayed_list",
        summary: "GET the caller's delayed events",
        needs_user: false,
        fields: &[opt("query", Json)],
    },
    StepKind {
        name: "delayed_get",
        summary: "GET one delayed event",
        needs_user: false,
        fields: &[req("id", Text)],
    },
    StepKind {
        name: "delayed_action",
        summary: "send, cancel or restart a delayed event (action in the path, or in the body for the seed revision)",
        needs_user: false,
        fields: &[req("id", Text), req("action", Text), opt("form", Text)],
    },
    StepKind {
        name: "get_event",
        summary: "GET /rooms/{room}/event/{event}",
        needs_user: true,
        fields: &[req("room", Text), req("event", Text)],
    },
    StepKind {
        name: "messages",
        summary: "GET /rooms/{room}/messages",
        needs_user: true,
        fields: &[req("room", Text), opt("dir", Text), opt("limit", Int), opt("from", Text), opt("filter", Json)],
    },
    StepKind {
        name: "capabilities",
        summary: "GET /capabilities",
        needs_user: true,
        fields: &[],
    },
    StepKind {
        name: "versions",
        summary: "GET /versions",
        needs_user: false,
        fields: &[],
    },
    StepKind {
        name: "request",
        summary: "any client-server request: method, path (templates allowed), query, body",
        needs_user: false,
        fields: &[req("method", Text), req("path", Text), opt("query", Json), opt("body", Json)],
    },
    StepKind {
        name: "fake_join",
        summary: "the fake federating server joins a room through `via` (make_join, send_join) as `@<user>:<fake>`",
        needs_user: false,
        fields: &[req("room", Text), opt("user", Text), opt("via", Text)],
    },
    StepKind {
        name: "fake_send",
        summary: "the fake federating server sends its own signed PDUs (`count` of them, `{{i}}` in content) in /send transactions to `to`, retrying refused ones",
        needs_user: false,
        fields: &[
            req("room", Text),
            opt("user", Text),
            opt("type", Text),
            opt("state_key", Text),
            opt("content", Json),
            opt("sticky_ms", Json),
            opt("sticky", Json),
            opt("extra", Json),
            opt("origin_server_ts", Json),
            opt("count", Int),
            opt("per_txn", Int),
            opt("parallel", Bool),
            opt("to", Text),
            opt("retry_within", Text),
        ],
    },
    StepKind {
        name: "fake_script",
        summary: "how the fake federating server answers the next incoming /send transactions (`answers`), and after them (`then`)",
        needs_user: false,
        fields: &[opt("answers", Json), opt("then", Json)],
    },
    StepKind {
        name: "fake_received",
        summary: "what the fake federating server has received: transactions, statuses, intervals, PDUs and whether they verify",
        needs_user: false,
        fields: &[],
    },
    StepKind {
        name: "fake_request",
        summary: "a federation request signed by the fake federating server (method, path, query, body) to `to`",
        needs_user: false,
        fields: &[req("method", Text), req("path", Text), opt("query", Json), opt("body", Json), opt("to", Text)],
    },
];

/// Keys that every step may have besides its kind.
pub const COMMON_KEYS: &[&str] = &[
    "id",
    "note",
    "expect",
    "capture",
    "accumulate",
    "observe",
    "within",
    "every",
    "hold",
    "snapshot",
    "sample",
];

/// Step kinds that are not HTTP calls.
pub const CONTROL_KINDS: &[&str] = &["homeserver", "concurrent", "repeat"];

/// The client-server requests a step kind can make, as (method, path) examples with made-up
/// IDs, so a fault's `when` can be matched against a scenario without running it. `None`: any
/// request (`request` steps name their own).
pub fn sample_requests(kind: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match kind {
        "create_room" => &[("POST", "/_matrix/client/v3/createRoom")],
        "join" => &[("POST", "/_matrix/client/v3/join/%21r")],
        "invite" => &[("POST", "/_matrix/client/v3/rooms/%21r/invite")],
        "leave" => &[("POST", "/_matrix/client/v3/rooms/%21r/leave")],
        "send" => &[("PUT", "/_matrix/client/v3/rooms/%21r/send/t/x")],
        "state" => &[("PUT", "/_matrix/client/v3/rooms/%21r/state/t/k")],
        "redact" => &[("PUT", "/_matrix/client/v3/rooms/%21r/redact/%24e/x")],
        "power_levels" => &[
            (
                "GET",
                "/_matrix/client/v3/rooms/%21r/state/m.room.power_levels/",
            ),
            (
                "PUT",
                "/_matrix/client/v3/rooms/%21r/state/m.room.power_levels/",
            ),
        ],
        "ignore" => &[(
            "PUT",
            "/_matrix/client/v3/user/%40u/account_data/m.ignored_user_list",
        )],
        "sync" => &[("GET", "/_matrix/client/v3/sync")],
        "sliding_sync" => &[(
            "POST",
            "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync",
        )],
        "schedule" => &[
            ("PUT", "/_matrix/client/v3/rooms/%21r/send/t/x"),
            ("PUT", "/_matrix/client/v3/rooms/%21r/state/t/k"),
            (
                "PUT",
                "/_matrix/client/unstable/org.matrix.msc4140/rooms/%21r/delayed_event/t/x",
            ),
        ],
        "delayed_list" => &[(
            "GET",
            "/_matrix/client/unstable/org.matrix.msc4140/delayed_events",
        )],
        "delayed_get" => &[(
            "GET",
            "/_matrix/client/unstable/org.matrix.msc4140/delayed_events/d",
        )],
        "delayed_action" => &[
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
        "get_event" => &[("GET", "/_matrix/client/v3/rooms/%21r/event/%24e")],
        "messages" => &[("GET", "/_matrix/client/v3/rooms/%21r/messages")],
        "capabilities" => &[("GET", "/_matrix/client/v3/capabilities")],
        "versions" => &[("GET", "/_matrix/client/versions")],
        k if k.starts_with("fake_") => &[],
        _ => return None,
    })
}

/// Finds a step kind by name.
pub fn step_kind(name: &str) -> Option<&'static StepKind> {
    STEP_KINDS.iter().find(|k| k.name == name)
}

/// Every step kind name, HTTP and control.
pub fn all_step_names() -> impl Iterator<Item = &'static str> {
    STEP_KINDS
        .iter()
        .map(|k| k.name)
        .chain(CONTROL_KINDS.iter().copied())
}
