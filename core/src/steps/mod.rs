//! The step vocabulary: one module per step kind.
//!
//! A module holds everything about its kind: the typed fields (decoded once at load time, with
//! file positions for every mistake), the sample requests a fault's `when` is matched against,
//! the request it makes (a pure function of the fields and a [`BuildCx`], unit-tested without a
//! server) and what a response changes for later steps. Steps of the fake federating server
//! (`fake_*`) run against it instead of building an HTTP request.
//!
//! # Adding a step kind
//! 1. Write `core/src/steps/<kind>.rs` with its `KIND` (name, summary, whether it needs `as:`,
//!    sample requests), a `Step`
//!    struct with `fn decode(f: &mut Fields) -> Option<Step>`, and `impl HttpStep for Step`
//!    (or `impl FakeStep`), with unit tests of its request.
//! 2. Add one line `Variant => module` to the `kinds!` list below.
//!
//! Every match over step kinds is generated from that list, so a kind without a module (or a
//! module without a line) does not compile.

pub mod fields;
pub mod kind;
pub mod paths;

pub mod build;
mod error;
pub mod fake_support;

pub mod capabilities;
pub mod create_room;
pub mod deactivate;
pub mod delayed_action;
pub mod delayed_get;
pub mod delayed_list;
pub mod fake_join;
pub mod fake_received;
pub mod fake_request;
pub mod fake_script;
pub mod fake_send;
pub mod get_event;
pub mod ignore;
pub mod invite;
pub mod join;
pub mod leave;
pub mod messages;
pub mod power_levels;
pub mod redact;
pub mod request;
pub mod schedule;
pub mod send;
pub mod sliding_sync;
pub mod state;
pub mod sync;
pub mod versions;

pub use build::{BuildCx, Effect, HttpCall, UserState};
pub use error::HarnessError;
pub use fields::{Diagnose, Fields, Int, Json, Text};
pub use kind::{HttpStep, Kind};
pub use paths::SSS_PATH;

/// How a step kind is carried out.
pub enum Execution<'a> {
    /// One client-server request.
    Http(&'a dyn HttpStep),
    /// Against the scenario's fake federating server (carried out by the runner).
    Fake(FakeCall<'a>),
}

/// A fake-server step's data, for the runner to carry out.
#[derive(Debug, Clone, Copy)]
pub enum FakeCall<'a> {
    /// `fake_join`.
    FakeJoin(&'a fake_join::Step),
    /// `fake_send`.
    FakeSend(&'a fake_send::Step),
    /// `fake_script`.
    FakeScript(&'a fake_script::Step),
    /// `fake_received`.
    FakeReceived(&'a fake_received::Step),
    /// `fake_request`.
    FakeRequest(&'a fake_request::Step),
}

/// A kind's [`Execution`]: its request builder, or its data for the runner's fake-server code.
macro_rules! execution {
    (Http, $variant:ident, $s:ident) => {
        Execution::Http($s)
    };
    (Fake, $variant:ident, $s:ident) => {
        Execution::Fake(FakeCall::$variant($s))
    };
}

macro_rules! kinds {
    ($($variant:ident => $module:ident : $exec:ident),* $(,)?) => {
        /// One decoded step call.
        #[derive(Debug, Clone)]
        pub enum StepCall {
            $(
                #[allow(missing_docs)]
                $variant($module::Step),
            )*
        }

        /// Every step kind.
        pub const KINDS: &[Kind] = &[
            $($module::KIND,)*
        ];

        impl StepCall {
            /// Decodes the fields of a `kind` step; `None` after reporting what was wrong (or
            /// when `kind` is not a step kind).
            pub fn decode(kind: &str, f: &mut Fields) -> Option<StepCall> {
                $(
                    if kind == $module::KIND.name {
                        return $module::Step::decode(f).map(StepCall::$variant);
                    }
                )*
                None
            }

            /// What the kind is.
            pub fn kind(&self) -> &'static Kind {
                match self {
                    $(StepCall::$variant(_) => &$module::KIND,)*
                }
            }

            /// How it is carried out.
            pub fn execution(&self) -> Execution<'_> {
                match self {
                    $(StepCall::$variant(s) => execution!($exec, $variant, s),)*
                }
            }
        }
    };
}

kinds! {
    CreateRoom => create_room: Http,
    Join => join: Http,
    Invite => invite: Http,
    Leave => leave: Http,
    Deactivate => deactivate: Http,
    Send => send: Http,
    State => state: Http,
    Redact => redact: Http,
    PowerLevels => power_levels: Http,
    Ignore => ignore: Http,
    Sync => sync: Http,
    SlidingSync => sliding_sync: Http,
    Schedule => schedule: Http,
    DelayedList => delayed_list: Http,
    DelayedGet => delayed_get: Http,
    DelayedAction => delayed_action: Http,
    GetEvent => get_event: Http,
    Messages => messages: Http,
    Capabilities => capabilities: Http,
    Versions => versions: Http,
    Request => request: Http,
    FakeJoin => fake_join: Fake,
    FakeSend => fake_send: Fake,
    FakeScript => fake_script: Fake,
    FakeReceived => fake_received: Fake,
    FakeRequest => fake_request: Fake,
}

impl StepCall {
    /// Whether it drives the fake federating server.
    pub(crate) fn is_fake(&self) -> bool {
        matches!(self.execution(), Execution::Fake(_))
    }
}

/// The fields of a step kind, found by decoding an empty step of that kind and noting what its
/// decoder asks for (every decoder reads all its fields before giving up on a missing one).
pub fn shapes_of(kind: &'static str) -> Vec<fields::FieldShape> {
    struct Quiet;
    impl Diagnose for Quiet {
        fn error(&mut self, _: crate::yaml::Pos, _: String, _: Option<String>) {}
        fn unknown(&mut self, _: crate::yaml::Pos, _: &str, _: &str, _: &[&str]) {}
        fn references(&mut self, _: &serde_json::Value, _: crate::yaml::Pos) {}
    }
    let empty = marked_yaml::types::MarkedMappingNode::new_empty(marked_yaml::Span::new_blank());
    let mut quiet = Quiet;
    let mut f = Fields::new(&mut quiet, kind, &empty, &[]);
    let _ = StepCall::decode(kind, &mut f);
    f.into_shapes()
}

/// A kind by its YAML name.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The sticky-duration query parameter at a revision of MSC4354.
pub use crate::catalogue::sticky_duration_param as sticky_param;
