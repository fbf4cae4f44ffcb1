//! The requirement catalogue (`suites/requirements.yaml`): every requirement ID, the proposal and
//! revisions it belongs to, its strength and how it can be observed.

mod parse;
mod strength;

pub use strength::Strength;

use crate::yaml::{Diagnostic, Diagnostics};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A proposal mscheck knows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Proposal {
    /// Sticky events.
    Msc4354,
    /// Delayed events.
    Msc4140,
}

impl Proposal {
    /// Every proposal.
    pub const ALL: [Proposal; 2] = [Proposal::Msc4354, Proposal::Msc4140];

    /// `msc4354` / `msc4140`.
    pub fn name(self) -> &'static str {
        match self {
            Proposal::Msc4354 => "msc4354",
            Proposal::Msc4140 => "msc4140",
        }
    }

    /// The flag a server sets in `/versions` `unstable_features` when it implements the proposal.
    pub fn unstable_flag(self) -> &'static str {
        match self {
            Proposal::Msc4354 => "org.matrix.msc4354",
            Proposal::Msc4140 => "org.matrix.msc4140",
        }
    }

    /// A human title.
    pub fn title(self) -> &'static str {
        match self {
            Proposal::Msc4354 => "MSC4354 sticky events",
            Proposal::Msc4140 => "MSC4140 delayed events",
        }
    }

    /// The proposal a requirement ID belongs to (`S-` sticky, `D-` delayed).
    pub(crate) fn of_requirement(id: &str) -> Option<Self> {
        if id.starts_with("S-") {
            Some(Proposal::Msc4354)
        } else if id.starts_with("D-") {
            Some(Proposal::Msc4140)
        } else {
            None
        }
    }
}

impl FromStr for Proposal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "msc4354" => Ok(Proposal::Msc4354),
            "msc4140" => Ok(Proposal::Msc4140),
            "msc4480" => Err(
                "MSC4480 (sliding-sync extension) has one text only: it is checked at its newest whenever MSC4354 is (the default), and at `msc4354=seed` its requirements belong to MSC4354's seed text; choose `msc4354=…`".to_string(),
            ),
            _ => Err(format!(
                "unknown proposal `{s}` (expected `msc4354` or `msc4140`)"
            )),
        }
    }
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A revision of a proposal's text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Revision {
    /// MSC4354 @ b44ccaa4 (2025-09), MSC4140 @ 3efecea1 (2025-10).
    Seed,
    /// MSC4354 @ 02f7686c, MSC4140 @ cd878d21 (2026).
    Newest,
}

impl Revision {
    /// `seed` / `newest`.
    pub fn name(self) -> &'static str {
        match self {
            Revision::Seed => "seed",
            Revision::Newest => "newest",
        }
    }

    /// The commit of the proposal text this revision names.
    pub fn commit(self, p: Proposal) -> &'static str {
        match (p, self) {
            (Proposal::Msc4354, Revision::Seed) => "b44ccaa4",
            (Proposal::Msc4354, Revision::Newest) => "02f7686c",
            (Proposal::Msc4140, Revision::Seed) => "3efecea1",
            (Proposal::Msc4140, Revision::Newest) => "cd878d21",
        }
    }
}

/// The revision chosen for each proposal, as runs, plans and reports hold it: one lookup, where a
/// proposal left out is at its newest text.
pub trait RevisionOf {
    /// The revision this choice gives a proposal.
    fn revision_of(&self, p: Proposal) -> Revision;
}

impl RevisionOf for BTreeMap<Proposal, Revision> {
    fn revision_of(&self, p: Proposal) -> Revision {
        self.get(&p).copied().unwrap_or(Revision::Newest)
    }
}

/// The MSC4480 text the newest revision's sliding-sync requirements (S-50…S-58) follow.
pub(crate) const MSC4480_COMMIT: &str = "147a4a3f";

/// What `mscheck --version` prints after the name: the crate version and the proposal texts the
/// built-in suites check (`0.1.0 (MSC4354 newest 02f7686c, seed b44ccaa4; …)`).
pub fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let rev = |p: Proposal| {
            format!(
                "{} newest {}, seed {}",
                p.name().to_uppercase(),
                Revision::Newest.commit(p),
                Revision::Seed.commit(p)
            )
        };
        format!(
            "{} (suites check {}; MSC4480 newest {MSC4480_COMMIT}; {})",
            env!("CARGO_PKG_VERSION"),
            rev(Proposal::Msc4354),
            rev(Proposal::Msc4140)
        )
    })
}

impl FromStr for Revision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Ok(Revision::Seed),
            "newest" | "latest" => Ok(Revision::Newest),
            _ => Err(format!(
                "unknown revision `{s}` (expected `seed` or `newest`)"
            )),
        }
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The keys of a requirement in `requirements.yaml`.
const REQUIREMENT_KEYS: &[&str] = &[
    "id",
    "rev",
    "strength",
    "how",
    "summary",
    "uncovered",
    "newest_in",
    "inferred",
    "merged",
    "surfaces",
    "unjudged",
];

/// One requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// `S-13`, `D-107`, …
    pub id: String,
    /// Its proposal.
    pub proposal: Proposal,
    /// The revisions it belongs to.
    pub revisions: Vec<Revision>,
    /// MUST, SHOULD, MAY, API, …
    pub strength: Strength,
    /// How it can be observed (C1, C2, F2, FF, R, T, X).
    pub how: String,
    /// One line, in mscheck's words.
    pub summary: String,
    /// Why no scenario covers it (a permission the suites tolerate, or what is still missing).
    pub uncovered: Option<String>,
    /// The proposal a requirement belongs to at the newest revision when that is not its own
    /// (`msc4480`: the sliding-sync extension left MSC4354 for MSC4480, REQUIREMENTS.md N-S3).
    pub newest_in: Option<String>,
    /// Why the check is inferred rather than stated by the text (an ambiguity of the catalogue,
    /// e.g. A-16); reports show it beside the requirement.
    pub inferred: Option<String>,
    /// What changed for this requirement when the proposal was merged after the newest text
    /// mscheck checks, with the public source (MSC4140, merged 2026-09-08). Reports show it
    /// beside the requirement at the newest revision, so a failure against that text is not read
    /// as a failure against the merged one.
    pub merged: Option<String>,
    /// Where the texts say it is observable (see [`crate::surfaces`]); empty when not declared.
    #[serde(skip)]
    pub surfaces: Vec<crate::surfaces::Surface>,
    /// Declared surfaces no step judges on purpose, with the reason (a surface the reference
    /// server does not serve, a variant no client can reach).
    #[serde(skip)]
    pub unjudged: BTreeMap<String, String>,
}

/// Proposals a requirement can move to, with their report titles.
pub(crate) const MOVED_TO: &[(&str, &str)] = &[(
    "msc4480",
    "MSC4480 sliding-sync extension for sticky events",
)];

/// The title of the proposal a requirement moved to (`msc4480` → its title), if mscheck knows it.
pub fn moved_title(key: &str) -> Option<&'static str> {
    MOVED_TO.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

/// A report group as stored (`group`), or the proposal's title where none was stored (results
/// written before groups existed).
pub fn group_or_title(group: &str, proposal: Proposal) -> &str {
    if group.is_empty() {
        proposal.title()
    } else {
        group
    }
}

/// The sticky-duration query parameter of `send` at a revision of MSC4354.
pub fn sticky_duration_param(rev: Revision) -> &'static str {
    match rev {
        Revision::Seed => "msc4354_stick_duration_ms",
        Revision::Newest => "org.matrix.msc4354.sticky_duration_ms",
    }
}

impl Requirement {
    /// The title of the proposal the requirement is reported under at `rev`.
    pub fn reported_under(&self, rev: Revision) -> &'static str {
        match (&self.newest_in, rev) {
            (Some(to), Revision::Newest) => moved_title(to).unwrap_or(self.proposal.title()),
            _ => self.proposal.title(),
        }
    }

    /// Whether a server harness can observe it at all (X = client-only).
    pub fn testable(&self) -> bool {
        self.how != "X"
    }
}

/// All requirements, by ID.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    by_id: BTreeMap<String, Requirement>,
}

impl Catalogue {
    /// Loads `requirements.yaml`.
    pub fn load(path: &Path) -> Result<Self, Diagnostics> {
        let source =
            crate::limits::read_text_capped(path, crate::limits::MAX_INPUT_FILE).map_err(|e| {
                Diagnostics(vec![Diagnostic::new(
                    path,
                    "",
                    Default::default(),
                    format!(
                        "cannot read {}: {e}",
                        crate::yaml::FileKind::Catalogue.name()
                    ),
                )])
            })?;
        Self::parse(path, &source)
    }

    /// Looks an ID up.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.by_id.get(id)
    }

    /// Every requirement, ordered by proposal then number.
    pub fn all(&self) -> Vec<&Requirement> {
        let mut v: Vec<&Requirement> = self.by_id.values().collect();
        v.sort_by_key(|r| (r.proposal, r.id[2..].parse::<u32>().unwrap_or(0)));
        v
    }

    /// Every ID, for "did you mean".
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_loads() {
        let cat = Catalogue::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../suites/requirements.yaml"
        )))
        .unwrap();
        assert_eq!(cat.get("S-13").unwrap().proposal, Proposal::Msc4354);
        assert_eq!(cat.get("D-107").unwrap().revisions, vec![Revision::Seed]);
        assert!(cat.all().len() > 100);
    }

    #[test]
    fn reports_bad_entries_with_positions() {
        let src = "requirements:\n  - {id: X-1, rev: [seed]}\n  - {id: S-1, rev: [sometime], strength: MUST}\n  - {id: S-2, rev: [seed], strength: SHALL}\n";
        let err = Catalogue::parse(Path::new("r.yaml"), src).unwrap_err();
        assert_eq!(err.0.len(), 3);
        assert_eq!(err.0[0].pos.line, 2);
        assert!(err.0[1].message.contains("unknown revision `sometime`"));
        assert!(err.0[2]
            .message
            .contains("`strength: SHALL` is not one of MUST, MUST NOT"));
    }
}
