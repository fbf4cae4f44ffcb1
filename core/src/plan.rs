//! From loaded scenarios to the list a run executes: `--suite`, `--filter`, `--revision`
//! applicability, and `--partition k/n`.

use crate::catalogue::{Proposal, Revision, RevisionOf};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// `--partition k/n`: this machine runs the k-th of n slices (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Which slice, from 1.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl FromStr for Partition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a partition; write it as k/n, e.g. 1/3"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("`{k}` in `{s}` is not a whole number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` in `{s}` is not a whole number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("partition `{s}` must have 1 <= k <= n"));
        }
        Ok(Partition { index, count })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--revision msc4354=seed`.
pub fn parse_revision_flag(s: &str) -> Result<(Proposal, Revision), String> {
    let (p, r) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not `proposal=revision` (e.g. msc4354=seed)"))?;
    Ok((p.trim().parse()?, r.trim().parse()?))
}

/// What to select.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these suites (folder names).
    pub suites: Vec<String>,
    /// Substrings of the scenario id or name (any matches).
    pub filters: Vec<String>,
    /// Requirement IDs: only scenarios covering one of them (any matches).
    pub requirements: Vec<String>,
    /// Revision per proposal (missing = newest).
    pub revisions: BTreeMap<Proposal, Revision>,
    /// This machine's slice.
    pub partition: Option<Partition>,
}

impl Selection {
    /// The revision chosen for a proposal.
    pub fn revision(&self, p: Proposal) -> Revision {
        self.revisions.revision_of(p)
    }
}

/// Selects scenarios, in id order. Scenarios that do not apply to the chosen revision of their
/// proposal are left out (they are not part of that revision's conformance).
pub fn select<'a>(all: &'a [Scenario], sel: &Selection) -> Vec<&'a Scenario> {
    let mut picked: Vec<&Scenario> = all
        .iter()
        .filter(|s| sel.suites.is_empty() || sel.suites.contains(&s.suite))
        .filter(|s| {
            sel.filters.is_empty()
                || sel
                    .filters
                    .iter()
                    .any(|f| s.id.contains(f.as_str()) || s.name.contains(f.as_str()))
        })
        .filter(|s| {
            sel.requirements.is_empty() || s.covers.iter().any(|c| sel.requirements.contains(c))
        })
        .filter(|s| s.revisions.contains(&sel.revision(s.proposal)))
        .collect();
    picked.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(p) = sel.partition {
        picked = picked
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % p.count == p.index - 1)
            .map(|(_, s)| s)
            .collect();
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        let table = [
            ("1/3", Ok((1, 3))),
            ("3/3", Ok((3, 3))),
            ("0/3", Err(())),
            ("4/3", Err(())),
            ("x/3", Err(())),
            ("1", Err(())),
            ("1/0", Err(())),
        ];
        for (input, want) in table {
            let got = input
                .parse::<Partition>()
                .map(|p| (p.index, p.count))
                .map_err(|_| ());
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn revision_flags() {
        assert_eq!(
            parse_revision_flag("msc4354=seed").unwrap(),
            (Proposal::Msc4354, Revision::Seed)
        );
        assert_eq!(
            parse_revision_flag("msc4140=latest").unwrap(),
            (Proposal::Msc4140, Revision::Newest)
        );
        assert!(parse_revision_flag("msc9999=seed").is_err());
        assert!(parse_revision_flag("msc4354").is_err());
    }
}
