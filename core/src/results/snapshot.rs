//! A snapshot comparison as a scenario's result records it: how the answer compared with the
//! stored one (reported beside the verdict, never deciding it).

/// How a snapshot compared, as the reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotStatus {
    /// None was stored for this implementation.
    New,
    /// The stored body differs.
    Changed,
    /// The stored body is the same.
    Unchanged,
    /// Written in place (`--snapshots update`).
    Accepted,
    /// Not compared: the implementation has no name, so there is no folder to compare with.
    NotCompared,
}

impl SnapshotStatus {
    /// Whether a scenario's report lists it: new, changed and accepted ones are news; unchanged
    /// and not compared ones are only counted.
    pub fn is_news(self) -> bool {
        matches!(
            self,
            SnapshotStatus::New | SnapshotStatus::Changed | SnapshotStatus::Accepted
        )
    }

    /// Lower-case word for reports.
    pub fn word(self) -> &'static str {
        match self {
            SnapshotStatus::New => "new",
            SnapshotStatus::Changed => "changed",
            SnapshotStatus::Unchanged => "unchanged",
            SnapshotStatus::Accepted => "accepted",
            SnapshotStatus::NotCompared => "not compared",
        }
    }
}

/// One snapshot comparison of a scenario.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SnapshotRecord {
    /// The step that took it.
    pub step: String,
    /// Its name in the scenario.
    pub name: String,
    /// How it compared.
    pub status: SnapshotStatus,
    /// The pending copy written for review (`….snap.new`), if any.
    pub pending: Option<String>,
    /// Unified diff stored → received, for changed ones.
    pub diff: Option<String>,
}

impl SnapshotRecord {
    /// One line for the terminal and the summary.
    pub fn line(&self) -> String {
        let hint = match (self.status, &self.pending) {
            (SnapshotStatus::New | SnapshotStatus::Changed, Some(p)) => {
                format!(" (pending copy {p}; accept with --snapshots update)")
            }
            (SnapshotStatus::Accepted, Some(p)) => format!(" (written to {p})"),
            _ => String::new(),
        };
        format!("snapshot `{}` {}{hint}", self.name, self.status.word())
    }
}
