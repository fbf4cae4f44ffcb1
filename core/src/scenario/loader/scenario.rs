//! The top level of a scenario file: name, covers, revisions, requires, users, timeout.

use super::*;

/// What the catalogue says of a scenario's covered requirements.
struct CatalogueFacts {
    merged_notes: Vec<String>,
    newest_group: &'static str,
    id_groups: std::collections::BTreeMap<String, (&'static str, &'static str)>,
    recommendations: std::collections::BTreeSet<String>,
}

impl<'a> Loader<'a> {
    pub(super) fn scenario(&mut self, root: &Node, suite: &str) -> Option<Scenario> {
        let top = self.mapping(root, "a scenario file")?;
        for (k, _) in top.iter() {
            if !TOP_KEYS.contains(&k.as_str()) {
                self.unknown_key(yaml::scalar_pos(k), "top-level key", k.as_str(), TOP_KEYS);
            }
        }
        let top_pos = yaml::mapping_pos(top);
        let name = match top.get_node("name") {
            Some(n) => self.string(n, "`name`").unwrap_or_default(),
            None => {
                self.err(
                    top_pos,
                    "missing `name` (one line saying what the scenario checks)",
                );
                String::new()
            }
        };
        let covers = self.covers(top, top_pos);
        self.covers = covers.clone();
        let proposal = self.proposal(top, &covers);
        let revisions = self.revisions(top, &covers, top_pos);
        let requires = top
            .get_node("requires")
            .map(|n| self.requires(n))
            .unwrap_or(Requires {
                homeservers: 1,
                ..Default::default()
            });
        let users = match top.get_node("users") {
            Some(n) => self.users(n, requires.homeservers),
            None => Vec::new(),
        };
        let timeout = match top.get_node("timeout") {
            Some(n) => self.duration(n, "`timeout`").unwrap_or(DEFAULT_TIMEOUT),
            None => DEFAULT_TIMEOUT,
        };
        let steps = self.scenario_steps(top, top_pos, &users, requires.homeservers);
        let stem = self
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let facts = self.catalogue_facts(&covers, proposal);
        let scenario = Scenario {
            id: format!("{suite}/{stem}"),
            suite: suite.to_string(),
            file: self.file.to_path_buf(),
            name,
            covers,
            proposal,
            revisions,
            requires,
            users,
            steps,
            timeout,
            merged_notes: facts.merged_notes,
            newest_group: facts.newest_group,
            id_groups: facts.id_groups,
            recommendations: facts.recommendations,
        };
        self.check_judged(&scenario, top, top_pos);
        Some(scenario)
    }

    /// `proposal:`, or the proposal of the first covered requirement.
    fn proposal(&mut self, top: &MarkedMappingNode, covers: &[String]) -> Proposal {
        let proposal = match top.get_node("proposal") {
            Some(n) => {
                let text = self.string(n, "`proposal`").unwrap_or_default();
                match text.parse::<Proposal>() {
                    Ok(p) => Some(p),
                    Err(e) => {
                        self.err(yaml::pos(n), e);
                        None
                    }
                }
            }
            None => covers.first().and_then(|c| Proposal::of_requirement(c)),
        };
        proposal.unwrap_or(Proposal::Msc4354)
    }

    /// `revisions:` (default both); every covered requirement must belong to one of them.
    fn revisions(
        &mut self,
        top: &MarkedMappingNode,
        covers: &[String],
        top_pos: Pos,
    ) -> Vec<Revision> {
        let revisions = match top.get_node("revisions") {
            Some(n) => {
                let mut out = Vec::new();
                for (r, p) in self.string_list(n, "a revision") {
                    match r.parse::<Revision>() {
                        Ok(r) => out.push(r),
                        Err(e) => self.err(p, e),
                    }
                }
                out
            }
            None => vec![Revision::Seed, Revision::Newest],
        };
        let covers_pos = top.get_node("covers").map(yaml::pos).unwrap_or(top_pos);
        for c in covers {
            let Some(req) = self.catalogue.get(c) else {
                continue;
            };
            if !req.revisions.iter().any(|r| revisions.contains(r)) {
                self.err(
                    covers_pos,
                    format!("`{c}` belongs to no revision this scenario runs at ({revisions:?})"),
                );
            }
        }
        revisions
    }

    /// `steps:`, with the built-in variables and the users in scope.
    fn scenario_steps(
        &mut self,
        top: &MarkedMappingNode,
        top_pos: Pos,
        users: &[UserDecl],
        homeservers: u8,
    ) -> Vec<Step> {
        let user_names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
        let mut scope = Scope {
            defined: BUILTIN_VARS.iter().map(|s| s.to_string()).collect(),
        };
        match top.get_node("steps") {
            Some(Node::Sequence(seq)) => self.steps(seq, "", &user_names, &mut scope, homeservers),
            Some(other) => {
                self.err(yaml::pos(other), "`steps` must be a list");
                Vec::new()
            }
            None => {
                self.err(top_pos, "missing `steps`");
                Vec::new()
            }
        }
    }

    /// What the catalogue says of the covered requirements.
    fn catalogue_facts(&self, covers: &[String], proposal: Proposal) -> CatalogueFacts {
        let merged_notes = covers
            .iter()
            .filter_map(|c| {
                let req = self.catalogue.get(c)?;
                Some(format!("{c}: {}", req.merged.as_ref()?))
            })
            .collect();
        // A scenario belongs to a group when every requirement it covers does.
        let groups: Vec<&'static str> = covers
            .iter()
            .filter_map(|c| self.catalogue.get(c))
            .map(|r| r.reported_under(Revision::Newest))
            .collect();
        let newest_group = match groups.first() {
            Some(g) if groups.iter().all(|x| x == g) => *g,
            _ => proposal.title(),
        };
        let id_groups = covers
            .iter()
            .filter_map(|c| {
                let r = self.catalogue.get(c)?;
                let groups = (
                    r.reported_under(Revision::Seed),
                    r.reported_under(Revision::Newest),
                );
                Some((c.clone(), groups))
            })
            .collect();
        let recommendations = covers
            .iter()
            .filter(|c| {
                self.catalogue
                    .get(c)
                    .is_some_and(|r| r.strength.is_recommendation())
            })
            .cloned()
            .collect();
        CatalogueFacts {
            merged_notes,
            newest_group,
            id_groups,
            recommendations,
        }
    }

    /// A covered ID no step judges would be reported "pass" without any check looking at it.
    fn check_judged(&mut self, scenario: &Scenario, top: &MarkedMappingNode, top_pos: Pos) {
        let order = scenario.judging_order();
        for c in &scenario.covers {
            if !order.iter().any(|(_, judged)| judged.contains(&c.as_str())) {
                let pos = top.get_node("covers").map(yaml::pos).unwrap_or(top_pos);
                self.err_hint(
                    pos,
                    format!("the scenario covers {c}, but no step judges it"),
                    format!("name {c} in the `judges` of the step that checks it, or drop it from `covers`"),
                );
            }
        }
    }

    pub(super) fn covers(&mut self, top: &MarkedMappingNode, top_pos: Pos) -> Vec<String> {
        let Some(node) = top.get_node("covers") else {
            self.err_hint(
                top_pos,
                "missing `covers`",
                "list the requirement IDs this scenario checks, e.g. `covers: [S-13]`",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (id, p) in self.string_list(node, "a requirement ID") {
            if self.catalogue.get(&id).is_none() {
                let d = Diagnostic::new(
                    self.file,
                    self.source,
                    p,
                    format!("unknown requirement ID `{id}`"),
                );
                let d = match did_you_mean(&id, self.catalogue.ids()) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(
                        "IDs are listed in suites/requirements.yaml and by `mscheck requirements`",
                    ),
                };
                self.errors.push(d);
            } else {
                out.push(id);
            }
        }
        if out.is_empty() && self.errors.is_empty() {
            self.err(
                yaml::pos(node),
                "`covers` must name at least one requirement",
            );
        }
        out
    }

    pub(super) fn users(&mut self, node: &Node, homeservers: u8) -> Vec<UserDecl> {
        let Some(m) = self.mapping(node, "`users`") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let name = k.as_str().to_string();
            if name == "nobody"
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                self.err(yaml::scalar_pos(k), format!("user name `{name}` must be lower-case letters, digits or `_` (and not `nobody`)"));
            }
            let mut u = UserDecl {
                name,
                hs: Hs::Hs1,
                guest: false,
                appservice: false,
            };
            if let Node::Mapping(um) = v {
                for (uk, uv) in um.iter() {
                    match uk.as_str() {
                        "hs" => {
                            let named = self.string(uv, "`hs`").unwrap_or_default();
                            match Hs::parse(&named) {
                                None => self.err(
                                    yaml::pos(uv),
                                    format!("`hs` must be `hs1` or `hs2`, found `{named}`"),
                                ),
                                Some(hs) if !hs.within(homeservers) => self.err_hint(
                                    yaml::pos(uv),
                                    "a user on `hs2` needs two homeservers",
                                    "add `requires: {homeservers: 2}`",
                                ),
                                Some(hs) => u.hs = hs,
                            }
                        }
                        "guest" => {
                            u.guest = uv.as_scalar().and_then(|s| s.as_bool()).unwrap_or(false)
                        }
                        "appservice" => {
                            u.appservice = uv.as_scalar().and_then(|s| s.as_bool()).unwrap_or(false)
                        }
                        other => self.unknown_key(
                            yaml::scalar_pos(uk),
                            "user option",
                            other,
                            &["hs", "guest", "appservice"],
                        ),
                    }
                }
                if u.guest && u.appservice {
                    self.err(
                        yaml::mapping_pos(um),
                        "a user is a guest or the application service, not both",
                    );
                }
            } else if !matches!(v, Node::Scalar(s) if s.as_str().is_empty()) {
                self.err(
                    yaml::pos(v),
                    "a user is `name: {}` or `name: {hs: hs2, guest: true}`",
                );
            }
            out.push(u);
        }
        out
    }
}
