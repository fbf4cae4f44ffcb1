//! `sample:`: a step asked again and again across an item's lifetime, with the item, its
//! remaining lifetime, the declared end and the margin its series is judged by.

use super::waits::moment;
use super::*;

impl<'a> Loader<'a> {
    /// `sample: {every, within, item, remaining?, ends?, margin}`.
    pub(super) fn sample(&mut self, node: &Node, scope: &Scope) -> Option<SampleSpec> {
        const KEYS: &[&str] = &["every", "within", "item", "remaining", "ends", "margin"];
        let m = self.mapping(node, "`sample`")?;
        let pos = yaml::mapping_pos(m);
        for (k, _) in m.iter() {
            if !KEYS.contains(&k.as_str()) {
                self.unknown_key(yaml::scalar_pos(k), "key in `sample`", k.as_str(), KEYS);
            }
        }
        let need = |this: &mut Self, key: &str, hint: &str| {
            let n = m.get_node(key);
            if n.is_none() {
                this.err_hint(pos, format!("`sample` needs `{key}`"), hint.to_string());
            }
            n
        };
        let every = need(self, "every", "how long between samples, e.g. `every: 1s`")
            .and_then(|n| self.duration(n, "`every`"));
        let within = need(
            self,
            "within",
            "how long the item may stay, e.g. `within: 30s`",
        )
        .and_then(|n| self.duration(n, "`within`"));
        let margin = need(
            self,
            "margin",
            "how far a comparison may be off, e.g. `margin: 2s` (1.5 s or 20 % of the lifetime, whichever is larger)",
        )
        .and_then(|n| self.duration(n, "`margin`"));
        let item = need(
            self,
            "item",
            "a selector that finds the item, e.g. `events[?event_id == \"{{e}}\"]`",
        )
        .and_then(|n| self.selector(n, "`item`", scope));
        let remaining = m
            .get_node("remaining")
            .and_then(|n| self.selector(n, "`remaining`", scope));
        let ends = m.get_node("ends").and_then(|n| {
            let v = yaml::to_json(n);
            self.check_refs(&v, yaml::pos(n), scope);
            let pair = match &v {
                Value::Array(a) if a.len() == 2 => moment(&a[0]).zip(moment(&a[1])),
                one => moment(one).map(|m| (m.clone(), m)),
            };
            match pair {
                Some(p) => Some(p),
                None => {
                    self.err_hint(
                        yaml::pos(n),
                        "`ends` is one moment or a list of the earliest and latest",
                        "local milliseconds, e.g. \"{{t_sent + 10000}}\"",
                    );
                    None
                }
            }
        });
        if let (Some(every), Some(within)) = (every, within) {
            if every.is_zero() || every >= within {
                self.err(pos, "`every` must be above zero and below `within`");
            }
        }
        Some(SampleSpec {
            pos,
            every: every?,
            within: within?,
            item: item?,
            remaining,
            ends,
            margin: margin?,
        })
    }
}
