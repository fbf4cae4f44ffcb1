//! Equivalent mutants (declared with the reason in `fixtures/mutant-equivalents.yaml`), the
//! meaningful rest, and a fingerprint of a mutant set for committed scores.

use super::mutant::Mutant;
use serde_json::Value;

/// Mutants that cannot break their requirement (equivalent mutants), declared with the reason
/// in `fixtures/mutant-equivalents.yaml`: not run, and counted apart in the score.
#[derive(Debug, Clone)]
pub struct Equivalent {
    /// The requirement.
    pub requirement: String,
    /// Operator names, or prefixes ending in `*` (`drop-*`).
    pub operators: Vec<String>,
    /// Why these rewrites cannot break it.
    pub reason: String,
}

impl Equivalent {
    /// Whether this declaration covers a mutant.
    pub fn covers(&self, m: &Mutant) -> bool {
        self.requirement == m.requirement
            && self.operators.iter().any(|o| match o.strip_suffix('*') {
                Some(prefix) => m.operator.starts_with(prefix),
                None => *o == m.operator,
            })
    }
}

/// The mutants no declaration calls equivalent: the ones that can break their requirement.
pub fn meaningful(all: Vec<Mutant>, equivalents: &[Equivalent]) -> Vec<Mutant> {
    all.into_iter()
        .filter(|m| !equivalents.iter().any(|e| e.covers(m)))
        .collect()
}

/// A fingerprint of a set of mutants (their names, in any order). A committed mutation score
/// names the set it was measured on, so a test can tell when the catalogue's surfaces or the
/// equivalents have changed since. FNV-1a over the sorted names: stable across Rust versions,
/// which std's hasher is not.
pub fn fingerprint(mutants: &[Mutant]) -> String {
    let mut names: Vec<&str> = mutants.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in names
        .iter()
        .flat_map(|n| n.bytes().chain(std::iter::once(b'\n')))
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Reads the equivalent mutants' declarations.
pub fn load_equivalents(path: &std::path::Path) -> Result<Vec<Equivalent>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let node = crate::yaml::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let v = crate::yaml::to_json(&node);
    let mut out = Vec::new();
    for (i, e) in v["equivalents"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(requirement), Some(reason)) = (field("requirement"), field("reason")) else {
            return Err(format!(
                "{}: equivalents[{i}] needs `requirement` and `reason`",
                path.display()
            ));
        };
        let operators: Vec<String> = e["operators"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o.as_str().map(str::to_string))
            .collect();
        if operators.is_empty() {
            return Err(format!(
                "{}: equivalents[{i}] lists no `operators`",
                path.display()
            ));
        }
        out.push(Equivalent {
            requirement,
            operators,
            reason,
        });
    }
    Ok(out)
}
