//! The scenario model: what a suite file says, after loading and validation.
//!
//! Everything is checked at load time; step calls are typed per kind (see [`crate::steps`]), and
//! values that may hold `{{templates}}` stay templates typed by what they render to.

use crate::catalogue::{Proposal, Revision};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::yaml::Pos;

/// One scenario file.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `<suite>/<file stem>`, unique in a run.
    pub id: String,
    /// The folder under `suites/` (for example `msc4354-sticky-events`).
    pub suite: String,
    /// The file, as given to the loader.
    pub file: PathBuf,
    /// One line saying what is checked.
    pub name: String,
    /// Requirement IDs the scenario checks.
    pub covers: Vec<String>,
    /// The proposal the scenario belongs to.
    pub proposal: Proposal,
    /// The revisions of that proposal the scenario applies to.
    pub revisions: Vec<Revision>,
    /// What the target must offer.
    pub requires: Requires,
    /// Users, registered before the first step (in declaration order).
    pub users: Vec<UserDecl>,
    /// The steps.
    pub steps: Vec<Step>,
    /// Upper bound for the whole scenario.
    pub timeout: Duration,
    /// For each covered requirement whose text changed after the newest revision (the
    /// catalogue's `merged`): `"<ID>: <what changed>"`. Reported with results at the newest
    /// revision.
    pub merged_notes: Vec<String>,
    /// The report group its requirements belong to at the newest revision (MSC4480 for the
    /// sliding-sync extension's scenarios; else the proposal's title). At the seed revision a
    /// scenario is always reported under its proposal.
    pub newest_group: &'static str,
    /// The report group of each covered requirement, at the seed and at the newest revision
    /// (a scenario of one proposal may judge an ID of another: MSC4354's federation scenario
    /// judges MSC4480's extension too).
    pub id_groups: std::collections::BTreeMap<String, (&'static str, &'static str)>,
    /// The covered IDs that are recommendations or permissions (strength SHOULD, SHOULD NOT or
    /// MAY): a check judging only these that does not hold is a warning, not a failure.
    pub recommendations: std::collections::BTreeSet<String>,
}

impl Scenario {
    /// Every step in document order (nested ones after their parent) with the requirement IDs
    /// it judges: its own `judges`, else its enclosing step's, else the scenario's `covers`.
    pub fn judging_steps(&self) -> Vec<(&Step, Vec<&str>)> {
        fn walk<'s>(
            steps: &'s [Step],
            inherited: &[&'s str],
            out: &mut Vec<(&'s Step, Vec<&'s str>)>,
        ) {
            for step in steps {
                let own: Vec<&str> = if step.judges.is_empty() {
                    inherited.to_vec()
                } else {
                    step.judges.iter().map(String::as_str).collect()
                };
                out.push((step, own.clone()));
                match &step.action {
                    Action::Concurrent(branches) => {
                        branches.iter().for_each(|b| walk(b, &own, out))
                    }
                    Action::Repeat { steps, .. } => walk(steps, &own, out),
                    _ => {}
                }
            }
        }
        let all: Vec<&str> = self.covers.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        walk(&self.steps, &all, &mut out);
        out
    }

    /// [`Self::judging_steps`] by step ID.
    pub fn judging_order(&self) -> Vec<(&str, Vec<&str>)> {
        self.judging_steps()
            .into_iter()
            .map(|(step, ids)| (step.id.as_str(), ids))
            .collect()
    }

    /// The report group it belongs to at a revision (see `newest_group`).
    pub fn group(&self, rev: crate::catalogue::Revision) -> &'static str {
        match rev {
            crate::catalogue::Revision::Newest => self.newest_group,
            crate::catalogue::Revision::Seed => self.proposal.title(),
        }
    }

    /// The report group of a covered requirement at `rev` (the scenario's own group for an ID
    /// the catalogue does not know).
    pub fn group_of(&self, id: &str, rev: crate::catalogue::Revision) -> &'static str {
        match (self.id_groups.get(id), rev) {
            (Some((seed, _)), crate::catalogue::Revision::Seed) => seed,
            (Some((_, newest)), crate::catalogue::Revision::Newest) => newest,
            (None, _) => self.group(rev),
        }
    }

    /// Whether a step drives the fake federating server (the run then starts one for it).
    pub fn uses_fake_server(&self) -> bool {
        fn any(steps: &[Step]) -> bool {
            steps.iter().any(|s| match &s.action {
                Action::Call(c) => c.step.is_fake(),
                Action::Concurrent(branches) => branches.iter().any(|b| any(b)),
                Action::Repeat { steps, .. } => any(steps),
                Action::Homeserver { .. } => false,
            })
        }
        any(&self.steps)
    }

    /// The kinds of every call step, nested ones included.
    pub fn call_kinds(&self) -> Vec<&'static crate::steps::Kind> {
        fn walk(steps: &[Step], out: &mut Vec<&'static crate::steps::Kind>) {
            for s in steps {
                match &s.action {
                    Action::Call(c) => out.push(c.step.kind()),
                    Action::Concurrent(branches) => branches.iter().for_each(|b| walk(b, out)),
                    Action::Repeat { steps, .. } => walk(steps, out),
                    Action::Homeserver { .. } => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, &mut out);
        out
    }
}

/// What a scenario needs from the target; unmet needs skip it with a reason.
#[derive(Debug, Clone, Default)]
pub struct Requires {
    /// `/versions` `unstable_features` that must be advertised as `true`.
    pub features: Vec<String>,
    /// Number of homeservers (1 or 2).
    pub homeservers: u8,
    /// Whether the scenario stops, restarts or pauses a homeserver (managed targets only; such a
    /// scenario gets private servers of its own).
    pub lifecycle: bool,
    /// Settings merged into the managed homeserver's configuration (for example a lower limit or
    /// strict rate limits): managed targets only, on private servers of the scenario's own.
    pub homeserver_config: Option<Value>,
    /// What the scenario needs from the server's configuration, in the implementation-neutral
    /// words of [`super::needs::VOCABULARY`]; managed targets only, on private servers.
    pub server: Vec<super::needs::Need>,
    /// The one implementation a scenario is written for (it carries raw `homeserver_config`);
    /// other implementations skip it.
    pub implementation: Option<String>,
    /// Selectors into hs1's `GET /capabilities` answer that must find something (a limit the
    /// scenario tests, say): where one finds nothing, the server does not advertise what the
    /// scenario checks, and it is skipped as "not advertised".
    pub capabilities: Vec<String>,
}

impl Requires {
    /// Whether the scenario needs managed servers of its own rather than the shared ones.
    pub fn private_servers(&self) -> bool {
        self.lifecycle || self.homeserver_config.is_some() || !self.server.is_empty()
    }
}

/// Top-level configuration keys a scenario may not change: they keep every managed server on
/// loopback, on its own ports and data, and registrable by the harness.
pub(crate) const PROTECTED_CONFIG_KEYS: &[&str] = &[
    "server_name",
    "listeners",
    "database",
    "pid_file",
    "public_baseurl",
    "signing_key_path",
    "media_store_path",
    "log_config",
    "tls_certificate_path",
    "tls_private_key_path",
    "registration_shared_secret",
    "ip_range_whitelist",
    "federation_ip_range_blacklist",
];

/// A user of a scenario.
#[derive(Debug, Clone)]
pub struct UserDecl {
    /// The name used in steps (`as: alice`).
    pub name: String,
    /// Its homeserver.
    pub hs: crate::hs::Hs,
    /// Register as a guest.
    pub guest: bool,
    /// Act as the application service registered with the (managed) server, not a new user.
    pub appservice: bool,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Stable id (given, or `step-<n>`), used in reports and snapshot names.
    pub id: String,
    /// Where the step starts.
    pub pos: Pos,
    /// What the step does.
    pub action: Action,
    /// What must hold for the response.
    pub expect: Expect,
    /// Values to capture from the response into variables.
    pub capture: Vec<Capture>,
    /// Values appended to list variables from every response of the step (any status), before
    /// the checks run: how a polled step gathers what arrives spread over several responses.
    pub accumulate: Vec<Capture>,
    /// Values recorded in the report without being judged: which of several allowed behaviours
    /// the server chose, or informational requirements.
    pub observe: Vec<Capture>,
    /// Once, poll until the checks pass, or hold them for a duration.
    pub wait: Wait,
    /// Snapshot the (normalised) response.
    pub snapshot: Option<SnapshotSpec>,
    /// Sample the response across an item's lifetime instead of waiting once (`wait` is then
    /// [`Wait::Once`]).
    pub sample: Option<SampleSpec>,
    /// The requirement IDs this step judges (`judges:`), a subset of the scenario's `covers`;
    /// empty: the enclosing step's, else every ID the scenario covers.
    pub judges: Vec<String>,
}

/// `sample:` on a step: run it every `every` until the item it selects is gone (at most
/// `within`), keep the step's checks on every response, record the series in the report and
/// judge it as a lifetime (see `runner::lifetime`).
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// Where it is written.
    pub pos: Pos,
    /// Pause between samples.
    pub every: Duration,
    /// How long the item may stay delivered before the step fails.
    pub within: Duration,
    /// Selector (templates allowed) that finds the item in a response; present when it finds
    /// something.
    pub item: String,
    /// Selector inside the item for the remaining lifetime in milliseconds, if the step judges
    /// one.
    pub remaining: Option<String>,
    /// The declared end as local milliseconds (templates), as one moment or as the earliest
    /// and latest allowed moments.
    pub ends: Option<(crate::steps::Int, crate::steps::Int)>,
    /// How far any comparison may be off, as stated in the scenario.
    pub margin: Duration,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// A client-server request or a fake-server action (see [`crate::steps`]).
    Call(Box<Call>),
    /// Homeserver lifecycle.
    Homeserver {
        /// Which server.
        hs: crate::hs::Hs,
        /// What to do.
        op: LifecycleOp,
        /// For `restart`: how long the server stays down between stop and start. This is the
        /// condition under test (for example delayed events falling due during an outage), not a
        /// pause to let things settle.
        down_for: Option<Duration>,
    },
    /// Branches run at the same moment; each branch runs its steps in order.
    Concurrent(Vec<Vec<Step>>),
    /// The same steps `times` times; `{{i}}` is the iteration (from 0).
    Repeat {
        /// How many times.
        times: Times,
        /// The body.
        steps: Vec<Step>,
    },
}

/// How many times a `repeat` runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Times {
    /// A number written in the scenario.
    Fixed(u32),
    /// A template read when the step runs, such as a limit the server advertised
    /// (`"{{max_scheduled}}"`): it must render to a whole number.
    Template(String),
}

/// A step of one of the kinds in [`crate::steps`].
#[derive(Debug, Clone)]
pub struct Call {
    /// The decoded step.
    pub step: crate::steps::StepCall,
    /// Who makes the call: a user name, or `None` for an unauthenticated request.
    pub actor: Option<String>,
}

/// Homeserver lifecycle operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleOp {
    /// Graceful stop.
    Stop,
    /// Start again (same data).
    Start,
    /// Stop then start.
    Restart,
    /// SIGSTOP.
    Pause,
    /// SIGCONT.
    Resume,
}

impl LifecycleOp {
    /// Names as written in suites.
    pub(crate) const NAMES: &'static [&'static str] =
        &["stop", "start", "restart", "pause", "resume"];

    /// Parses a name.
    pub(crate) fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "stop" => Self::Stop,
            "start" => Self::Start,
            "restart" => Self::Restart,
            "pause" => Self::Pause,
            "resume" => Self::Resume,
            _ => return None,
        })
    }
}

/// Expectations on a response.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Allowed statuses; `None` means any 2xx.
    pub status: Option<Vec<u16>>,
    /// Allowed `errcode`s.
    pub errcode: Option<Vec<String>>,
    /// Checks on response headers (lower-case names; the value is a JSON string).
    pub headers: Vec<CheckSpec>,
    /// Checks on the JSON body.
    pub json: Vec<CheckSpec>,
}

impl Expect {
    /// Whether anything beyond the default (2xx) is expected.
    pub fn is_default(&self) -> bool {
        self.status.is_none()
            && self.errcode.is_none()
            && self.headers.is_empty()
            && self.json.is_empty()
    }
}

/// A check as written: selector and predicate arguments may hold templates.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Where it is written.
    pub pos: Pos,
    /// The selector text (may hold templates); `@vars.<name>…` selects from a variable instead of
    /// the response body.
    pub at: String,
    /// Its predicate key (`equals`, `contains`, …).
    pub predicate: super::checks::PredicateKind,
    /// Predicate argument (may hold templates).
    pub arg: Value,
    /// The predicate, built once at load time when its argument holds no template (otherwise
    /// it is built from the rendered argument when the step runs).
    pub ready: Option<crate::matcher::Predicate>,
}

/// `capture: {name: source}` (also `accumulate` and `observe`).
#[derive(Debug, Clone)]
pub struct Capture {
    /// Variable name.
    pub name: String,
    /// Where the value comes from.
    pub from: Source,
}

/// Where a captured, accumulated or observed value comes from (read at load time).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `@status`: the HTTP status.
    Status,
    /// `@request_ms`: the local clock when the request was sent.
    RequestMs,
    /// `@response_ms`: the local clock when the response arrived.
    ResponseMs,
    /// `@header.<name>`: a response header (lower-case name).
    Header(String),
    /// `"{{a - b}}"`: a template, rendered after the step's captures.
    Template(String),
    /// A JSON selector into the body (templates allowed).
    Selector(String),
}

impl Source {
    /// The special sources, for messages.
    pub(crate) const SPECIAL: &'static [&'static str] =
        &["@status", "@request_ms", "@response_ms", "@header.<name>"];

    /// Reads a source as written; `None` for an unknown `@…` word.
    pub fn parse(text: &str) -> Option<Source> {
        Some(match text {
            "@status" => Source::Status,
            "@request_ms" => Source::RequestMs,
            "@response_ms" => Source::ResponseMs,
            h if h.starts_with("@header.") => {
                Source::Header(h["@header.".len()..].to_ascii_lowercase())
            }
            t if t.trim_start().starts_with("{{") => Source::Template(t.to_string()),
            s if s.starts_with('@') => return None,
            s => Source::Selector(s.to_string()),
        })
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Status => f.write_str("@status"),
            Source::RequestMs => f.write_str("@request_ms"),
            Source::ResponseMs => f.write_str("@response_ms"),
            Source::Header(h) => write!(f, "@header.{h}"),
            Source::Template(t) | Source::Selector(t) => f.write_str(t),
        }
    }
}

/// How often a step runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    /// Once.
    Once,
    /// Again and again until the expectations pass, failing after `within`.
    Until {
        /// Deadline (a named window's default, when `window` names one).
        within: Duration,
        /// The named window (see [`crate::scenario::windows`]) the deadline comes from, when the
        /// text fixes none: the target's profile may set it.
        window: Option<&'static str>,
        /// Pause between attempts.
        every: Duration,
    },
    /// Again and again for `duration`; every attempt must pass (negative checks).
    Hold {
        /// How long the expectations must keep holding.
        duration: Duration,
        /// Pause between attempts.
        every: Duration,
    },
    /// Again and again until a moment on mscheck's clock (`hold_until`, local milliseconds,
    /// usually the earliest moment something may legitimately happen, derived from when the
    /// request that scheduled it left); every answer that arrived before that moment must pass,
    /// and one that arrived at or after it is not judged (it may rightly show the change).
    HoldUntil {
        /// The moment, as local Unix milliseconds (templates).
        until: crate::steps::Int,
        /// Pause between attempts.
        every: Duration,
    },
}

/// `snapshot:` on a step.
#[derive(Debug, Clone)]
pub struct SnapshotSpec {
    /// Name, unique in the scenario.
    pub name: String,
    /// Part of the body to snapshot (the whole body by default).
    pub at: Option<String>,
}
