//! The waits' own values: a named window (`within: {window: federation_retry}`) and a moment on
//! mscheck's clock (`hold_until: "{{t0 + 5000}}"`).

use super::*;

impl<'a> Loader<'a> {
    /// `within: {window: NAME}`: a named window (`None` for a plain duration, which
    /// [`Loader::duration`] reads; a bad name is reported here and reads as the default).
    pub(super) fn window(
        &mut self,
        node: &Node,
    ) -> Option<&'static crate::scenario::windows::Window> {
        let m = node.as_mapping()?;
        let names = || {
            crate::scenario::windows::WINDOWS
                .iter()
                .map(|w| w.name)
                .collect::<Vec<_>>()
        };
        let name = m.get_scalar("window").map(|s| s.as_str().to_string());
        if m.len() != 1 || name.is_none() {
            self.err_hint(
                yaml::mapping_pos(m),
                "`within` is a duration (`20s`) or one named window, e.g. `{window: federation_retry}`",
                format!("windows: {}", names().join(", ")),
            );
            return Some(&crate::scenario::windows::WINDOWS[0]);
        }
        let name = name.unwrap_or_default();
        match crate::scenario::windows::find(&name) {
            Some(w) => Some(w),
            None => {
                let hint = did_you_mean(&name, names())
                    .map(|h| format!("did you mean `{h}`?"))
                    .unwrap_or_else(|| format!("windows: {}", names().join(", ")));
                self.err_hint(
                    yaml::mapping_pos(m),
                    format!("no window is called `{name}`"),
                    hint,
                );
                Some(&crate::scenario::windows::WINDOWS[0])
            }
        }
    }
}

/// A moment written as local milliseconds: a number, or a template such as `"{{t0 + 4000}}"`.
pub(super) fn moment(x: &Value) -> Option<crate::steps::Int> {
    match x {
        Value::Number(n) => n.as_i64().map(crate::steps::Int::Fixed),
        Value::String(s) if s.contains("{{") => Some(crate::steps::Int::Template(s.clone())),
        _ => None,
    }
}

impl<'a> Loader<'a> {
    /// `hold_until:` one moment on mscheck's clock.
    pub(super) fn moment(&mut self, node: &Node, scope: &Scope) -> Option<crate::steps::Int> {
        let v = yaml::to_json(node);
        self.check_refs(&v, yaml::pos(node), scope);
        let m = moment(&v);
        if m.is_none() {
            self.err_hint(
                yaml::pos(node),
                "`hold_until` is one moment on mscheck's clock",
                "local milliseconds from a capture, e.g. \"{{t_scheduled + 4000}}\" with `t_scheduled: \"@request_ms\"`",
            );
        }
        m
    }

    /// How a step waits: once, `within` a deadline (a duration or a named window), `hold`ing
    /// for a while or `hold_until` a moment, polling `every` so often; more than one is a
    /// diagnostic.
    pub(super) fn wait(&mut self, m: &MarkedMappingNode, scope: &Scope) -> Wait {
        let every = match m.get_node("every") {
            Some(n) => self.duration(n, "`every`").unwrap_or(DEFAULT_EVERY),
            None => DEFAULT_EVERY,
        };
        let waits: Vec<(&str, &Node)> = ["within", "hold", "hold_until"]
            .into_iter()
            .filter_map(|k| m.get_node(k).map(|n| (k, n)))
            .collect();
        match waits.as_slice() {
            [] => Wait::Once,
            [("within", w)] => match self.window(w) {
                Some(window) => Wait::Until {
                    within: window.default,
                    window: Some(window.name),
                    every,
                },
                None => Wait::Until {
                    within: self.duration(w, "`within`").unwrap_or_default(),
                    window: None,
                    every,
                },
            },
            [("hold", h)] => Wait::Hold {
                duration: self.duration(h, "`hold`").unwrap_or_default(),
                every,
            },
            [(_, u)] => match self.moment(u, scope) {
                Some(until) => Wait::HoldUntil { until, every },
                None => Wait::Once,
            },
            [_, (_, second), ..] => {
                self.err(yaml::pos(second), "a step either waits `within` a deadline for its checks to pass, `hold`s them for a while or holds them `hold_until` a moment; only one of them");
                Wait::Once
            }
        }
    }
}
