//! Control steps: `concurrent` (branches of steps run at once) and `repeat` (steps run a number
//! of times, `{{i}}` counting).

use super::*;

impl<'a> Loader<'a> {
    /// `concurrent: [[steps], [steps]]`: what any branch captures is known after the step.
    pub(super) fn concurrent(
        &mut self,
        body: &Node,
        id: &str,
        users: &[String],
        scope: &mut Scope,
        homeservers: u8,
    ) -> Option<Action> {
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

    /// `repeat: {times: N or "{{template}}", steps: [...]}`.
    pub(super) fn repeat(
        &mut self,
        body: &Node,
        id: &str,
        users: &[String],
        scope: &mut Scope,
        homeservers: u8,
    ) -> Option<Action> {
        let rm = self.mapping(body, "`repeat`")?;
        let times = match rm.get_node("times") {
            Some(n) => match n.as_scalar() {
                Some(t) if t.as_u32().is_some() => t.as_u32().map(Times::Fixed),
                Some(t) if !referenced_names(t.as_str()).is_empty() => {
                    self.check_refs(&Value::String(t.as_str().to_string()), yaml::pos(n), scope);
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
        let steps = self.steps(steps, id, users, scope, homeservers);
        Some(Action::Repeat {
            times: times.unwrap_or(Times::Fixed(0)),
            steps,
        })
    }
}
