//! What a step checks and keeps: `expect` (status, errcode, headers, JSON checks), `capture`,
//! `accumulate`, `observe` and `snapshot`.

use super::*;

impl<'a> Loader<'a> {
    pub(super) fn expect(&mut self, node: &Node, scope: &Scope) -> Expect {
        let mut e = Expect::default();
        let Some(m) = self.mapping(node, "`expect`") else {
            return e;
        };
        for (k, v) in m.iter() {
            match k.as_str() {
                "status" => {
                    let list: Vec<Value> = match yaml::to_json(v) {
                        Value::Array(a) => a,
                        x => vec![x],
                    };
                    let codes: Option<Vec<u16>> = list
                        .iter()
                        .map(|x| x.as_u64().and_then(|n| u16::try_from(n).ok()))
                        .collect();
                    match codes {
                        Some(c) if !c.is_empty() => e.status = Some(c),
                        _ => self.err(
                            yaml::pos(v),
                            "`status` must be an HTTP status or a list of them",
                        ),
                    }
                }
                "errcode" => {
                    e.errcode = Some(
                        self.string_list(v, "an errcode")
                            .into_iter()
                            .map(|(s, _)| s)
                            .collect(),
                    )
                }
                "json" => {
                    let Node::Sequence(seq) = v else {
                        self.err(
                            yaml::pos(v),
                            "`json` is a list of checks like `- {at: room_id, exists: true}`",
                        );
                        continue;
                    };
                    for item in seq.iter() {
                        e.json.extend(self.check_specs(item, None, scope));
                    }
                }
                "headers" => {
                    let Some(hm) = self.mapping(v, "`headers`") else {
                        continue;
                    };
                    for (hk, hv) in hm.iter() {
                        e.headers.extend(self.check_specs(
                            hv,
                            Some(hk.as_str().to_ascii_lowercase()),
                            scope,
                        ));
                    }
                }
                other => self.unknown_key(
                    yaml::scalar_pos(k),
                    "key in `expect`",
                    other,
                    &["status", "errcode", "json", "headers"],
                ),
            }
        }
        e
    }

    pub(super) fn check_specs(
        &mut self,
        node: &Node,
        header: Option<String>,
        scope: &Scope,
    ) -> Vec<CheckSpec> {
        let Some(m) = self.mapping(node, "a check") else {
            return Vec::new();
        };
        let pos = yaml::mapping_pos(m);
        let at = match (&header, m.get_node("at")) {
            (Some(h), _) => Some(h.clone()),
            (None, Some(n)) => self.string(n, "`at`"),
            (None, None) => {
                self.err_hint(
                    pos,
                    "a check needs `at:` (a selector into the response)",
                    "use `at: .` for the whole body",
                );
                None
            }
        };
        let Some(at) = at else { return Vec::new() };
        self.check_refs(&Value::String(at.clone()), pos, scope);
        let body_at = self.body_selector(&at, pos, scope);
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let key = k.as_str();
            if key == "at" {
                continue;
            }
            let arg = yaml::to_json(v);
            self.check_refs(&arg, yaml::pos(v), scope);
            let has_template = arg.to_string().contains("{{") || at.contains("{{");
            let probe_at = if header.is_some() {
                "header"
            } else {
                body_at.as_str()
            };
            let kind = checks::PredicateKind::parse(key);
            let mut ready = None;
            if !has_template {
                match checks::build_check(probe_at, key, &arg) {
                    Ok(check) => ready = Some(check.predicate),
                    Err(msg) => {
                        self.err(yaml::scalar_pos(k), msg);
                        continue;
                    }
                }
            } else if kind.is_none() {
                self.unknown_key(yaml::scalar_pos(k), "predicate", key, &checks::PREDICATES);
                continue;
            }
            // A check that built has a known key.
            let Some(predicate) = kind else { continue };
            out.push(CheckSpec {
                pos: yaml::scalar_pos(k),
                at: at.clone(),
                predicate,
                arg,
                ready,
            });
        }
        if out.is_empty() && m.len() == 1 {
            self.err_hint(
                pos,
                format!("check at `{at}` has no predicate"),
                format!("add one of: {}", checks::PREDICATES.join(", ")),
            );
        }
        out
    }

    /// The selector into the body, or for `@vars.<name>…` (a check of a variable, typically an
    /// accumulated list) the selector into that variable, which must be defined by then.
    fn body_selector(&mut self, at: &str, pos: Pos, scope: &Scope) -> String {
        match at.strip_prefix(VARS_ROOT) {
            Some(rest) => {
                let name = rest
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !scope.defined.contains(&name) {
                    let msg = format!("unknown variable `{name}` in `{at}` (no earlier step or `accumulate` defines it)");
                    match did_you_mean(&name, scope.defined.iter().map(String::as_str)) {
                        Some(h) => self.err_hint(pos, msg, format!("did you mean `{h}`?")),
                        None => self.err(pos, msg),
                    }
                }
                rest[name.len()..].trim_start_matches('.').to_string()
            }
            None => at.to_string(),
        }
    }

    /// `capture`, `accumulate` or `observe`: a mapping of names to sources.
    pub(super) fn captures(&mut self, node: &Node, what: &str) -> Vec<Capture> {
        let Some(m) = self.mapping(node, &format!("`{what}`")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let Some(from) = self.string(v, &format!("a source for `{what}`")) else {
                continue;
            };
            let source = Source::parse(&from);
            match &source {
                Some(Source::Selector(sel)) => {
                    if let Err(e) = crate::matcher::Path::parse(sel) {
                        self.err(yaml::pos(v), e.to_string());
                    }
                }
                Some(_) => {}
                None => self.unknown_key(
                    yaml::pos(v),
                    &format!("`{what}` source"),
                    &from,
                    Source::SPECIAL,
                ),
            }
            let Some(from) = source else { continue };
            out.push(Capture {
                name: k.as_str().to_string(),
                from,
            });
        }
        out
    }

    pub(super) fn snapshot(&mut self, node: &Node) -> Option<SnapshotSpec> {
        match node {
            Node::Scalar(s) => Some(SnapshotSpec {
                name: s.as_str().to_string(),
                at: None,
            }),
            Node::Mapping(m) => {
                let name = m.get_scalar("name").map(|s| s.as_str().to_string());
                let at = m.get_scalar("at").map(|s| s.as_str().to_string());
                if name.is_none() {
                    self.err(yaml::mapping_pos(m), "`snapshot` needs `name:`");
                }
                Some(SnapshotSpec { name: name?, at })
            }
            other => {
                self.err(
                    yaml::pos(other),
                    "`snapshot` is a name, or `{name: …, at: selector}`",
                );
                None
            }
        }
    }
}
