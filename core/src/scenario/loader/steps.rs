//! Steps: their kind (a call decoded by its module in `crate::steps`, or a control step),
//! id, waits (`within`, `hold`, `sample`) and what they keep.

use super::*;

impl<'a> Loader<'a> {
    pub(super) fn steps(
        &mut self,
        seq: &[Node],
        prefix: &str,
        users: &[String],
        scope: &mut Scope,
        homeservers: u8,
    ) -> Vec<Step> {
        let mut out: Vec<Step> = Vec::new();
        for (i, node) in seq.iter().enumerate() {
            let default_id = if prefix.is_empty() {
                format!("step-{}", i + 1)
            } else {
                format!("{prefix}.{}", i + 1)
            };
            if let Some(step) = self.step(node, default_id, users, scope, homeservers) {
                if out.iter().any(|s| s.id == step.id) {
                    self.err(step.pos, format!("duplicate step id `{}`", step.id));
                }
                out.push(step);
            }
        }
        out
    }

    pub(super) fn step(
        &mut self,
        node: &Node,
        default_id: String,
        users: &[String],
        scope: &mut Scope,
        homeservers: u8,
    ) -> Option<Step> {
        let m = self.mapping(node, "a step")?;
        let pos = yaml::mapping_pos(m);
        let (kind, body) = self.kind_of(m, pos)?;
        let id = match m.get_node("id") {
            Some(n) => self.string(n, "`id`").unwrap_or(default_id),
            None => default_id,
        };
        // A step's own key indented into its kind's body (`capture:` under `sync:`) is one
        // mistake: said once, with the fix, and what it captures is known afterwards (no cascade
        // of "unknown variable" errors).
        let misplaced = self.misplaced_step_keys(&kind, body);
        for (_, names) in &misplaced {
            scope.defined.extend(names.iter().cloned());
        }
        let action = match kind.as_str() {
            "homeserver" => self.lifecycle(body, homeservers),
            "concurrent" => self.concurrent(body, &id, users, scope, homeservers),
            "repeat" => self.repeat(body, &id, users, scope, homeservers),
            _ => self.call(
                &kind,
                body,
                users,
                scope,
                &misplaced.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ),
        };
        let action = action?;
        let accumulate = self.captures_at(m, "accumulate");
        // Accumulated lists exist (empty) from the start of the step, so its own checks can read
        // them with `@vars.<name>`.
        for a in &accumulate {
            scope.defined.insert(a.name.clone());
        }
        let expect = match m.get_node("expect") {
            Some(n) => self.expect(n, scope),
            None => Expect::default(),
        };
        let capture = self.captures_at(m, "capture");
        let observe = self.captures_at(m, "observe");
        let wait = self.wait(m, scope);
        let sample = m.get_node("sample").and_then(|n| self.sample(n, scope));
        let snapshot = m.get_node("snapshot").and_then(|n| self.snapshot(n));
        let judges = m
            .get_node("judges")
            .map(|n| self.judges(n))
            .unwrap_or_default();
        for c in &capture {
            scope.defined.insert(c.name.clone());
        }
        let step = Step {
            id,
            pos,
            action,
            expect,
            capture,
            accumulate,
            observe,
            wait,
            snapshot,
            sample,
            judges,
        };
        self.check_step(&step, &kind);
        Some(step)
    }

    /// `capture`, `accumulate` or `observe`, when the step has it.
    fn captures_at(&mut self, m: &MarkedMappingNode, key: &str) -> Vec<Capture> {
        match m.get_node(key) {
            Some(n) => self.captures(n, key),
            None => Vec::new(),
        }
    }

    /// What a step may not combine: sampling with waiting, a hold that checks nothing, and a
    /// control or lifecycle step with anything a call has.
    fn check_step(&mut self, step: &Step, kind: &str) {
        if let Some(sp) = &step.sample {
            if step.wait != Wait::Once {
                self.err(
                    sp.pos,
                    "a step either `sample`s an item across its lifetime or waits with `within`/`hold`; not both",
                );
            }
        }
        let holds = matches!(step.wait, Wait::Hold { .. } | Wait::HoldUntil { .. });
        if holds && step.expect.is_default() {
            self.err_hint(
                step.pos,
                "`hold` with no `expect` checks nothing",
                "state what must stay true, e.g. an `absent` check",
            );
        }
        let plain = step.expect.is_default()
            && step.capture.is_empty()
            && step.accumulate.is_empty()
            && step.observe.is_empty()
            && step.sample.is_none()
            && step.wait == Wait::Once;
        if !matches!(step.action, Action::Call(_)) && !plain {
            self.err(
                step.pos,
                format!(
                    "`{kind}` steps take no `expect`, `capture`, `accumulate`, `observe`, `within`, `hold` or `sample`"
                ),
            );
        }
    }

    /// The one key of a step that says what it does (a call's kind or a control step), and its
    /// body; an unknown key, a second kind or none is a diagnostic.
    fn kind_of<'n>(&mut self, m: &'n MarkedMappingNode, pos: Pos) -> Option<(String, &'n Node)> {
        let mut kind_key = None;
        for (k, v) in m.iter() {
            let key = k.as_str();
            if COMMON_KEYS.contains(&key) {
                continue;
            }
            if crate::steps::kind(key).is_some() || CONTROL_KINDS.contains(&key) {
                if let Some((prev, _)) = &kind_key {
                    self.err(
                        yaml::scalar_pos(k),
                        format!("a step does one thing: found both `{prev}` and `{key}`"),
                    );
                } else {
                    kind_key = Some((key.to_string(), v));
                }
                continue;
            }
            let names: Vec<&str> = vocabulary::all_step_names()
                .chain(COMMON_KEYS.iter().copied())
                .collect();
            let d = Diagnostic::new(
                self.file,
                self.source,
                yaml::scalar_pos(k),
                format!("unknown step `{key}`"),
            );
            let d = match did_you_mean(key, names.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!(
                    "step kinds: {}",
                    vocabulary::all_step_names().collect::<Vec<_>>().join(", ")
                )),
            };
            self.errors.push(d);
        }
        let Some((kind, body)) = kind_key else {
            if self.errors.is_empty() {
                self.err_hint(
                    pos,
                    "a step needs a kind",
                    format!(
                        "one of: {}",
                        vocabulary::all_step_names().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            return None;
        };
        Some((kind, body))
    }

    /// `judges: [IDs]`: which of the scenario's covered requirements a step judges, so that its
    /// failure blames only those.
    fn judges(&mut self, node: &Node) -> Vec<String> {
        let Node::Sequence(list) = node else {
            self.err(
                yaml::pos(node),
                "`judges` is a list of requirement IDs the scenario covers, e.g. [D-11]",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in list.iter() {
            let Some(id) = item.as_scalar().map(|s| s.as_str().to_string()) else {
                self.err(yaml::pos(item), "a requirement ID is a text such as D-11");
                continue;
            };
            if !self.covers.contains(&id) {
                let hint = did_you_mean(&id, self.covers.iter().map(String::as_str))
                    .map(|h| format!("did you mean `{h}`?"))
                    .unwrap_or_else(|| format!("the scenario covers {}", self.covers.join(", ")));
                self.err_hint(
                    yaml::pos(item),
                    format!("`judges` names {id}, which the scenario does not cover"),
                    hint,
                );
                continue;
            }
            out.push(id);
        }
        out
    }

    /// A selector that may hold templates: parsed now (templates stand in for quoted keys or
    /// filter values) and its variables checked against the scope.
    pub(super) fn selector(&mut self, node: &Node, what: &str, scope: &Scope) -> Option<String> {
        let text = self.string(node, what)?;
        if let Err(e) = crate::matcher::Path::parse(&text) {
            self.err(yaml::pos(node), e.to_string());
            return None;
        }
        self.check_refs(&Value::String(text.clone()), yaml::pos(node), scope);
        Some(text)
    }

    pub(super) fn lifecycle(&mut self, body: &Node, homeservers: u8) -> Option<Action> {
        let m = self.mapping(body, "`homeserver`")?;
        let named = m
            .get_node("hs")
            .and_then(|n| self.string(n, "`hs`"))
            .unwrap_or_else(|| Hs::Hs1.name().into());
        let hs = Hs::parse(&named).filter(|h| h.within(homeservers));
        if hs.is_none() {
            self.err(
                yaml::mapping_pos(m),
                format!("`hs: {named}` is not a homeserver of this scenario"),
            );
        }
        let hs = hs.unwrap_or_default();
        let Some(op_node) = m.get_node("do") else {
            self.err_hint(
                yaml::mapping_pos(m),
                "`homeserver` needs `do:`",
                format!("one of: {}", LifecycleOp::NAMES.join(", ")),
            );
            return None;
        };
        let op_text = self.string(op_node, "`do`")?;
        let Some(op) = LifecycleOp::from_name(&op_text) else {
            self.unknown_key(
                yaml::pos(op_node),
                "homeserver operation",
                &op_text,
                LifecycleOp::NAMES,
            );
            return None;
        };
        let down_for = match m.get_node("down_for") {
            Some(n) if op == LifecycleOp::Restart => self.duration(n, "`down_for`"),
            Some(n) => {
                self.err(yaml::pos(n), "`down_for` only goes with `do: restart`");
                None
            }
            None => None,
        };
        for (k, _) in m.iter() {
            if !["hs", "do", "down_for"].contains(&k.as_str()) {
                self.unknown_key(
                    yaml::scalar_pos(k),
                    "key in `homeserver`",
                    k.as_str(),
                    &["hs", "do", "down_for"],
                );
            }
        }
        Some(Action::Homeserver { hs, op, down_for })
    }
}
