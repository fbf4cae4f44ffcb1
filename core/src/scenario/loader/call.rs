//! A call step's body: its kind's fields, decoded by the kind's own module, and the step's own
//! keys written inside it by mistake.

use super::*;

impl<'a> Loader<'a> {
    /// The step's own keys (`capture`, `expect`, `within`…) written inside its kind's body,
    /// each reported once at the key with the fix; with the variables a misplaced
    /// `capture`/`accumulate` would define.
    pub(super) fn misplaced_step_keys(
        &mut self,
        kind: &str,
        body: &Node,
    ) -> Vec<(&'static str, Vec<String>)> {
        let (Node::Mapping(bm), Some(spec)) = (body, crate::steps::kind(kind)) else {
            return Vec::new();
        };
        let fields: Vec<&str> = crate::steps::shapes_of(spec.name)
            .iter()
            .map(|f| f.name)
            .collect();
        let mut out = Vec::new();
        for (k, v) in bm.iter() {
            let Some(key) = COMMON_KEYS.iter().copied().find(|c| *c == k.as_str()) else {
                continue;
            };
            if fields.contains(&key) {
                continue;
            }
            self.err_hint(
                yaml::scalar_pos(k),
                format!("`{key}` belongs to the step, not inside `{kind}:`"),
                format!("indent it as deep as `{kind}:` (a key of the step's own mapping)"),
            );
            let names = if matches!(key, "capture" | "accumulate") {
                let mut quiet = Vec::new();
                std::mem::swap(&mut quiet, &mut self.errors);
                let names = self.captures(v, key).into_iter().map(|c| c.name).collect();
                std::mem::swap(&mut quiet, &mut self.errors);
                names
            } else {
                Vec::new()
            };
            out.push((key, names));
        }
        out
    }

    pub(super) fn call(
        &mut self,
        kind: &str,
        body: &Node,
        users: &[String],
        scope: &Scope,
        misplaced: &[&'static str],
    ) -> Option<Action> {
        let spec = crate::steps::kind(kind)?;
        // `fake_send` builds `count` PDUs from its fields, `{{i}}` counting them.
        let counted;
        let scope = if kind == crate::steps::fake_send::KIND.name {
            let mut defined = scope.defined.clone();
            defined.insert("i".into());
            counted = Scope { defined };
            &counted
        } else {
            scope
        };
        let empty = MarkedMappingNode::new_empty(*body.span());
        let m = match body {
            Node::Mapping(m) => m,
            Node::Scalar(s) if s.as_str().is_empty() => &empty,
            other => {
                self.err(
                    yaml::pos(other),
                    format!(
                        "`{kind}` takes a mapping of fields, found {}",
                        yaml::shape(other)
                    ),
                );
                return None;
            }
        };
        let mut actor = None;
        if let Some(v) = m.get_node("as") {
            let who = self.string(v, "`as`").unwrap_or_default();
            if users.contains(&who) {
                actor = Some(who);
            } else if who != "nobody" {
                self.unknown_key(
                    yaml::pos(v),
                    "user",
                    &who,
                    &users.iter().map(String::as_str).collect::<Vec<_>>(),
                );
            }
        }
        let mpos = yaml::mapping_pos(m);
        if spec.needs_user && m.get_node("as").is_none() {
            self.err_hint(
                mpos,
                format!("`{kind}` needs `as:` (which user makes the call)"),
                "use `as: nobody` for an unauthenticated request",
            );
        }
        let mut diag = StepDiagnostics {
            loader: self,
            scope,
        };
        let mut fields = crate::steps::Fields::new(&mut diag, spec.name, m, users);
        for key in misplaced {
            fields.handled(key);
        }
        let step = crate::steps::StepCall::decode(kind, &mut fields);
        fields.finish();
        Some(Action::Call(Box::new(Call { step: step?, actor })))
    }
}
