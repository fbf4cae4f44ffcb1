//! A comparison as text (the terminal) and as Markdown (a CI comment): the headline, both runs'
//! servers, then each kind of change with its items.

use super::*;

fn value_text(v: &Option<Value>) -> String {
    match v {
        None => "(nothing)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => crate::text::trim_json(v, 120),
    }
}

fn arrow(m: &Moved) -> String {
    format!(
        "{} → {}",
        m.old.as_deref().unwrap_or("(absent)"),
        m.new.as_deref().unwrap_or("(absent)")
    )
}

/// Groups moved items by their kind of change, in a fixed order.
fn groups(items: &[Moved]) -> Vec<(Change, Vec<&Moved>)> {
    let mut out: Vec<(Change, Vec<&Moved>)> = Vec::new();
    for m in items {
        match out.last_mut() {
            Some((c, v)) if *c == m.change => v.push(m),
            _ => out.push((m.change, vec![m])),
        }
    }
    out
}

impl Comparison {
    fn headline(&self) -> String {
        let regressions = self
            .scenarios
            .iter()
            .filter(|m| m.change == Change::Regressed)
            .count();
        let fixed = self
            .scenarios
            .iter()
            .filter(|m| m.change == Change::Fixed)
            .count();
        let masked = if self.masked > 0 {
            format!(
                ", {} masked by the expectations file (--strict counts them as regressions)",
                self.masked
            )
        } else {
            String::new()
        };
        format!(
            "{}: {regressions} scenario regressions, {fixed} newly passing, {} requirement changes{masked}",
            if self.regressed {
                "REGRESSED"
            } else {
                "NO REGRESSION"
            },
            self.requirements.len()
        )
    }

    fn targets_line(&self) -> String {
        if self.old.target == self.new.target {
            format!("both runs: {}", self.old.target)
        } else {
            format!(
                "old: {} — new: {} (different implementations or versions)",
                self.old.target, self.new.target
            )
        }
    }

    /// For a terminal.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.targets_line());
        if self.old.revisions != self.new.revisions {
            let _ = writeln!(
                s,
                "revisions: {} → {}",
                self.old.revisions, self.new.revisions
            );
        }
        for (what, items) in [
            ("requirements", &self.requirements),
            ("scenarios", &self.scenarios),
        ] {
            for (change, list) in groups(items) {
                let _ = writeln!(s, "\n{} ({what}):", change.title());
                for m in list {
                    let _ = writeln!(s, "  {:<62} {}", m.id, arrow(m));
                    if let Some(d) = &m.detail {
                        let _ = writeln!(s, "      {d}");
                    }
                }
            }
        }
        if !self.observations.is_empty() {
            let _ = writeln!(s, "\nChanged observations:");
            for o in &self.observations {
                let _ = writeln!(
                    s,
                    "  {} {}: {} → {}",
                    o.scenario,
                    o.label,
                    value_text(&o.old),
                    value_text(&o.new)
                );
            }
        }
        if !self.slower.is_empty() {
            let _ = writeln!(s, "\nMuch slower (more than 2× and 1 s):");
            for x in &self.slower {
                let _ = writeln!(
                    s,
                    "  {} {:.1} s → {:.1} s",
                    x.scenario,
                    x.old_ms as f64 / 1000.0,
                    x.new_ms as f64 / 1000.0
                );
            }
        }
        let _ = writeln!(s, "\n{}", self.headline());
        s
    }

    /// For a CI comment.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# mscheck: comparison of two runs\n\n");
        let _ = writeln!(s, "- {}", self.targets_line());
        let _ = writeln!(
            s,
            "- revisions: {} → {}",
            self.old.revisions, self.new.revisions
        );
        let _ = writeln!(s, "\n**{}**", self.headline());
        for (what, items) in [
            ("Requirements", &self.requirements),
            ("Scenarios", &self.scenarios),
        ] {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "\n## {what}\n\n| change | ID | before → after | detail |\n|---|---|---|---|"
            );
            for m in items {
                let _ = writeln!(
                    s,
                    "| {} | `{}` | {} | {} |",
                    m.change.title(),
                    m.id,
                    arrow(m),
                    m.detail.as_deref().unwrap_or("").replace('|', "\\|")
                );
            }
        }
        if !self.observations.is_empty() {
            let _ = writeln!(s, "\n## Changed observations\n\n| scenario | label | before | after |\n|---|---|---|---|");
            for o in &self.observations {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | `{}` | `{}` |",
                    o.scenario,
                    o.label,
                    value_text(&o.old).replace('|', "\\|"),
                    value_text(&o.new).replace('|', "\\|")
                );
            }
        }
        if !self.slower.is_empty() {
            let _ = writeln!(
                s,
                "\n## Much slower\n\n| scenario | before | after |\n|---|---|---|"
            );
            for x in &self.slower {
                let _ = writeln!(
                    s,
                    "| `{}` | {} ms | {} ms |",
                    x.scenario, x.old_ms, x.new_ms
                );
            }
        }
        s
    }
}
