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
                    kind_key = Some((key.to_string(), (k, v)));
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
        let Some((kind, (_, body))) = kind_key else {
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
            "concurrent" => {
                let Node::Sequence(branches) = body else {
                    self.err(
                        yaml::pos(body),
                        "`concurrent` takes a list of branches, each a list of steps",
                    );
                    return None;
                };
                let mut out = Vec::new();
                let mut captured = BTreeSet::new();
                for (b, branch) in branches.iter().enumerate() {
                    let Node::Sequence(steps) = branch else {
                        self.err(
                            yaml::pos(branch),
                            "each `concurrent` branch is a list of steps",
                        );
                        continue;
                    };
                    let mut branch_scope = Scope {
                        defined: scope.defined.clone(),
                    };
                    out.push(self.steps(
                        steps,
                        &format!("{id}.{}", b + 1),
                        users,
                        &mut branch_scope,
                        homeservers,
                    ));
                    captured.extend(branch_scope.defined);
                }
                scope.defined.extend(captured);
                Some(Action::Concurrent(out))
            }
            "repeat" => {
                let rm = self.mapping(body, "`repeat`")?;
                let times = match rm.get_node("times") {
                    Some(n) => match n.as_scalar() {
                        Some(t) if t.as_u32().is_some() => t.as_u32().map(Times::Fixed),
                        Some(t) if !referenced_names(t.as_str()).is_empty() => {
                            self.check_refs(
                                &Value::String(t.as_str().to_string()),
                                yaml::pos(n),
                                scope,
                            );
                            Some(Times::Template(t.as_str().to_string()))
                        }
                        _ => {
                            self.err(
                                yaml::pos(n),
                                "`times` must be a whole number or a template such as \"{{max}}\"",
                            );
                            None
                        }
                    },
                    None => {
                        self.err(
                            yaml::mapping_pos(rm),
                            "`repeat` needs `times:` (a whole number)",
                        );
                        None
                    }
                };
                for (k, _) in rm.iter() {
                    if !["times", "steps"].contains(&k.as_str()) {
                        self.unknown_key(
                            yaml::scalar_pos(k),
                            "key in `repeat`",
                            k.as_str(),
                            &["times", "steps"],
                        );
                    }
                }
                let Some(steps) = rm.get_sequence("steps") else {
                    self.err(yaml::mapping_pos(rm), "`repeat` needs `steps:` (a list)");
                    return None;
                };
                scope.defined.insert("i".into());
                let steps = self.steps(steps, &id, users, scope, homeservers);
                Some(Action::Repeat {
                    times: times.unwrap_or(Times::Fixed(0)),
                    steps,
                })
            }
            _ => self.call(
                &kind,
                body,
                users,
                scope,
                &misplaced.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ),
        };
        let action = action?;
        let accumulate = match m.get_node("accumulate") {
            Some(n) => self.captures(n, "accumulate"),
            None => Vec::new(),
        };
        // Accumulated lists exist (empty) from the start of the step, so its own checks can read
        // them with `@vars.<name>`.
        for a in &accumulate {
            scope.defined.insert(a.name.clone());
        }
        let expect = match m.get_node("expect") {
            Some(n) => self.expect(n, scope),
            None => Expect::default(),
        };
        let capture = match m.get_node("capture") {
            Some(n) => self.captures(n, "capture"),
            None => Vec::new(),
        };
        let observe = match m.get_node("observe") {
            Some(n) => self.captures(n, "observe"),
            None => Vec::new(),
        };
        let every = match m.get_node("every") {
            Some(n) => self.duration(n, "`every`").unwrap_or(DEFAULT_EVERY),
            None => DEFAULT_EVERY,
        };
        let waits: Vec<(&str, &Node)> = ["within", "hold", "hold_until"]
            .into_iter()
            .filter_map(|k| m.get_node(k).map(|n| (k, n)))
            .collect();
        let wait = match waits.as_slice() {
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
        };
        let sample = m.get_node("sample").and_then(|n| self.sample(n, scope));
        if let Some(sp) = &sample {
            if wait != Wait::Once {
                self.err(
                    sp.pos,
                    "a step either `sample`s an item across its lifetime or waits with `within`/`hold`; not both",
                );
            }
        }
        if matches!(wait, Wait::Hold { .. } | Wait::HoldUntil { .. }) && expect.is_default() {
            self.err_hint(
                pos,
                "`hold` with no `expect` checks nothing",
                "state what must stay true, e.g. an `absent` check",
            );
        }
        if !matches!(action, Action::Call(_))
            && (!expect.is_default()
                || !capture.is_empty()
                || !accumulate.is_empty()
                || !observe.is_empty()
                || sample.is_some()
                || wait != Wait::Once)
        {
            self.err(
                pos,
                format!(
                    "`{kind}` steps take no `expect`, `capture`, `accumulate`, `observe`, `within`, `hold` or `sample`"
                ),
            );
        }
        let snapshot = m.get_node("snapshot").and_then(|n| self.snapshot(n));
        let judges = m
            .get_node("judges")
            .map(|n| self.judges(n))
            .unwrap_or_default();
        for c in &capture {
            scope.defined.insert(c.name.clone());
        }
        Some(Step {
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
        })
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
