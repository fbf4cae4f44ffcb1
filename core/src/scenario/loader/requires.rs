//! `requires:`: what a scenario needs from the target (advertised features, two servers,
//! lifecycle control, the server's configuration in the needs vocabulary or raw, one
//! implementation, capabilities).

use super::*;

const REQUIRES_KEYS: &[&str] = &[
    "features",
    "homeservers",
    "lifecycle",
    "homeserver_config",
    "server",
    "implementation",
    "capabilities",
];

impl<'a> Loader<'a> {
    pub(super) fn requires(&mut self, node: &Node) -> Requires {
        let mut r = Requires {
            homeservers: 1,
            ..Default::default()
        };
        let Some(m) = self.mapping(node, "`requires`") else {
            return r;
        };
        for (k, v) in m.iter() {
            match k.as_str() {
                "features" => {
                    let listed = self.string_list(v, "a feature");
                    r.features = listed.into_iter().map(|(s, _)| s).collect()
                }
                "homeservers" => match v.as_scalar().and_then(|s| s.as_u8()) {
                    Some(n @ 1..=2) => r.homeservers = n,
                    _ => self.err(yaml::pos(v), "`homeservers` must be 1 or 2"),
                },
                "lifecycle" => match v.as_scalar().and_then(|s| s.as_bool()) {
                    Some(b) => r.lifecycle = b,
                    None => self.err(yaml::pos(v), "`lifecycle` must be true or false"),
                },
                "homeserver_config" => r.homeserver_config = self.homeserver_config(v),
                "server" => r.server = self.server_needs(v),
                "implementation" => match v.as_scalar() {
                    Some(i) => r.implementation = Some(i.as_str().to_string()),
                    None => self.err(
                        yaml::pos(v),
                        "`implementation` names one implementation, e.g. synapse",
                    ),
                },
                "capabilities" => r.capabilities = self.capabilities(v),
                other => self.unknown_key(
                    yaml::scalar_pos(k),
                    "key in `requires`",
                    other,
                    REQUIRES_KEYS,
                ),
            }
        }
        if r.homeserver_config.is_some() && r.implementation.is_none() {
            let at = m
                .get_node("homeserver_config")
                .map(yaml::pos)
                .unwrap_or_default();
            self.err_hint(
                at,
                "raw `homeserver_config` is one implementation's configuration",
                "say what the scenario needs in `server:` (see the README's needs vocabulary), or mark the scenario `implementation: <name>`",
            );
        }
        r
    }

    /// Raw configuration, which may not touch the keys that keep the server on loopback.
    fn homeserver_config(&mut self, v: &Node) -> Option<Value> {
        let cm = self.mapping(v, "`homeserver_config`")?;
        for (ck, _) in cm.iter() {
            if PROTECTED_CONFIG_KEYS.contains(&ck.as_str()) {
                self.err(
                    yaml::scalar_pos(ck),
                    format!(
                        "`homeserver_config` may not change `{}`: mscheck sets it to keep the server on loopback with its own ports and data",
                        ck.as_str()
                    ),
                );
            }
        }
        Some(yaml::to_json(v))
    }

    /// `server:`: needs in the implementation-neutral vocabulary, each checked.
    fn server_needs(&mut self, v: &Node) -> Vec<crate::scenario::needs::Need> {
        let Some(sm) = self.mapping(v, "`server`") else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for (nk, nv) in sm.iter() {
            let mut one = Vec::new();
            crate::scenario::needs::flatten(nk.as_str(), &yaml::to_json(nv), &mut one);
            for need in one {
                if let Err(e) = crate::scenario::needs::check(&need.key, &need.value) {
                    self.err(yaml::scalar_pos(nk), e);
                }
                found.push(need);
            }
        }
        found
    }

    /// `capabilities:`: selectors into `/capabilities` that must find something.
    fn capabilities(&mut self, v: &Node) -> Vec<String> {
        let mut out = Vec::new();
        for (sel, pos) in self.string_list(v, "a selector into /capabilities") {
            if let Err(e) = crate::matcher::Path::parse(&sel) {
                self.err(pos, format!("bad selector `{sel}` in `capabilities`: {e}"));
            }
            out.push(sel);
        }
        out
    }
}
