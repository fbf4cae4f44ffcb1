//! Reading the catalogue (`suites/requirements.yaml`): each requirement's ID, proposal,
//! revisions, surfaces and the surfaces it leaves unjudged, checked; every problem is a
//! diagnostic at `file:line:column`, all of them reported at once.

use super::{Catalogue, Proposal, Requirement, Revision, Strength, MOVED_TO, REQUIREMENT_KEYS};
use crate::surfaces::Surface;
use crate::yaml::{self, Diagnostic, Diagnostics, Pos};
use marked_yaml::Node;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

impl Catalogue {
    /// Parses catalogue text.
    pub fn parse(path: &Path, source: &str) -> Result<Self, Diagnostics> {
        let root = yaml::parse(source).map_err(|e| {
            Diagnostics(vec![crate::yaml::load_error(
                path,
                source,
                &e,
                crate::yaml::FileKind::Catalogue,
            )])
        })?;
        let list = root
            .as_mapping()
            .and_then(|m| m.get_sequence("requirements"));
        let Some(list) = list else {
            let message = "expected a top-level `requirements:` list";
            let d = Diagnostic::new(path, source, yaml::pos(&root), message);
            return Err(Diagnostics(vec![d]));
        };
        let mut r = Reader {
            path,
            source,
            errors: Vec::new(),
        };
        let mut by_id = BTreeMap::new();
        for item in list.iter() {
            let Some(req) = r.requirement(item) else {
                continue;
            };
            let id = req.id.clone();
            if by_id.insert(id.clone(), req).is_some() {
                r.err(yaml::pos(item), format!("duplicate requirement `{id}`"));
            }
        }
        if r.errors.is_empty() {
            Ok(Catalogue { by_id })
        } else {
            Err(Diagnostics(r.errors))
        }
    }
}

/// The catalogue being read, and the mistakes found so far.
struct Reader<'a> {
    path: &'a Path,
    source: &'a str,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn err(&mut self, at: Pos, message: String) {
        let d = Diagnostic::new(self.path, self.source, at, message);
        self.errors.push(d);
    }

    /// One requirement; `None` when it has unknown keys, no ID or an ID of no proposal.
    fn requirement(&mut self, item: &Node) -> Option<Requirement> {
        if let Some(m) = item.as_mapping() {
            let unknown = yaml::unknown_keys(
                self.path,
                self.source,
                m,
                "key of a requirement",
                REQUIREMENT_KEYS,
            );
            if !unknown.is_empty() {
                self.errors.extend(unknown);
                return None;
            }
        }
        let v = yaml::to_json(item);
        let at = yaml::pos(item);
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let Some(id) = field("id") else {
            self.err(at, "requirement without an `id`".into());
            return None;
        };
        let Some(proposal) = Proposal::of_requirement(&id) else {
            self.err(at, format!("`{id}` is neither an S- nor a D- requirement"));
            return None;
        };
        let strength = self.strength(&id, field("strength"), at);
        let revisions = self.revisions(&id, &v, at);
        let surfaces = self.surfaces(&id, &v, at);
        let unjudged = self.unjudged(&id, &v, at, &surfaces);
        let newest_in = field("newest_in");
        if let Some(to) = &newest_in {
            if !MOVED_TO.iter().any(|(k, _)| k == to) {
                let message =
                    format!("{id}: `newest_in: {to}` is not a proposal mscheck reports (msc4480)");
                self.err(at, message);
            }
        }
        Some(Requirement {
            proposal,
            surfaces,
            unjudged,
            revisions,
            strength,
            how: field("how").unwrap_or_default(),
            summary: field("summary").unwrap_or_default(),
            uncovered: field("uncovered"),
            newest_in,
            inferred: field("inferred"),
            merged: field("merged"),
            id,
        })
    }

    /// `strength:`, one of the known words.
    fn strength(&mut self, id: &str, word: Option<String>, at: Pos) -> Strength {
        let word = word.unwrap_or_default();
        Strength::parse(&word).unwrap_or_else(|| {
            let known: Vec<&str> = Strength::ALL.iter().map(|(w, _)| *w).collect();
            self.err(
                at,
                format!(
                    "{id}: `strength: {word}` is not one of {}",
                    known.join(", ")
                ),
            );
            Strength::Info
        })
    }

    /// `rev: [seed, newest]`: at least one, each a known revision.
    fn revisions(&mut self, id: &str, v: &Value, at: Pos) -> Vec<Revision> {
        let mut revisions = Vec::new();
        let errors_before = self.errors.len();
        let listed = v.get("rev").and_then(Value::as_array).into_iter().flatten();
        for r in listed {
            match r.as_str().unwrap_or("").parse::<Revision>() {
                Ok(r) => revisions.push(r),
                Err(e) => self.err(at, format!("{id}: {e}")),
            }
        }
        if revisions.is_empty() && self.errors.len() == errors_before {
            self.err(at, format!("{id}: `rev` must list at least one revision"));
        }
        revisions
    }

    /// `surfaces:`: where the requirement is observable.
    fn surfaces(&mut self, id: &str, v: &Value, at: Pos) -> Vec<Surface> {
        let mut surfaces = Vec::new();
        let listed = v
            .get("surfaces")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for x in listed {
            match Surface::parse(x.as_str().unwrap_or("")) {
                Ok(s) => surfaces.push(s),
                Err(e) => self.err(at, format!("{id}: surfaces: {e}")),
            }
        }
        surfaces
    }

    /// `unjudged: {surface: why}`: declared surfaces no step judges, each with the reason.
    fn unjudged(
        &mut self,
        id: &str,
        v: &Value,
        at: Pos,
        surfaces: &[Surface],
    ) -> BTreeMap<String, String> {
        let mut unjudged = BTreeMap::new();
        let listed = v
            .get("unjudged")
            .and_then(Value::as_object)
            .into_iter()
            .flatten();
        for (k, why) in listed {
            let declared = Surface::parse(k).is_ok_and(|s| surfaces.contains(&s));
            let reason = why.as_str().filter(|w| !w.trim().is_empty());
            match reason {
                Some(reason) if declared => {
                    unjudged.insert(k.clone(), reason.to_string());
                }
                _ => self.err(
                    at,
                    format!("{id}: `unjudged.{k}` must name a declared surface and give the reason as text"),
                ),
            }
        }
        unjudged
    }
}
