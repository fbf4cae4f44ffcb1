//! Private managed servers: a scenario that stops, restarts or pauses a server, or configures
//! it, gets servers of its own so that it disturbs no other scenario and runs alongside them.
//! When every selected scenario is such a one, the run boots no shared servers at all: the
//! first scenario's private servers are booted before the run and identify the target (see
//! [`Prebooted`]).

use crate::held::Held;
use crate::homeserver::{HomeserverError, ManagedSetup, Targets};
use crate::scenario::Scenario;
use std::sync::Mutex;

/// How to boot a private managed server for a scenario.
#[derive(Debug, Clone)]
pub struct PrivateServers {
    /// The profile and provisioning of the run's managed servers.
    pub setup: ManagedSetup,
    /// Parent folder of the servers' data and logs (`<report>/homeservers/`).
    pub dir: std::path::PathBuf,
}

impl PrivateServers {
    /// Boots `s`'s servers: its needs in the implementation's configuration keys (the skip
    /// rules made sure the profile can express them), plus its raw configuration. Their logs
    /// go under `<dir>/<scenario id>/`.
    pub async fn boot(
        &self,
        s: &Scenario,
        http: &reqwest::Client,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Targets, HomeserverError> {
        let dir = self.dir.join(s.id.replace('/', "__"));
        let mut overlay = self
            .setup
            .profile
            .overlay_for(&s.requires.server)
            .unwrap_or_default();
        if let Some(raw) = &s.requires.homeserver_config {
            crate::homeserver::config_file::merge(&mut overlay, raw);
        }
        Targets::boot_managed(
            &self.setup,
            &dir,
            s.requires.homeservers,
            Some(&overlay),
            http,
            progress,
        )
        .await
    }

    /// The scenario whose private servers may stand for the target before the run, when no
    /// selected scenario uses shared servers: the first of `order` whose needs the profile can
    /// express (one it cannot is skipped, and its servers would never be used).
    pub fn first_bootable<'a>(
        &self,
        order: &'a [std::sync::Arc<Scenario>],
    ) -> Option<&'a Scenario> {
        order
            .iter()
            .map(|s| &**s)
            .find(|s| self.setup.profile.overlay_for(&s.requires.server).is_ok())
    }
}

/// How many shared managed servers the planned scenarios use: 0 when every one boots private
/// servers, 2 when one of the others needs a second server, else 1.
pub fn shared_servers_needed(plan: &[std::sync::Arc<Scenario>]) -> u8 {
    let shared = plan.iter().filter(|s| !s.requires.private_servers());
    shared
        .map(|s| s.requires.homeservers.min(2))
        .max()
        .unwrap_or(0)
}

/// One scenario's private servers booted before the run (they identify the target when no
/// shared ones are booted); the scenario takes them instead of booting its own.
#[derive(Default)]
pub struct Prebooted(Mutex<Option<(String, Targets)>>);

impl Prebooted {
    /// Servers booted for the scenario `id`.
    pub fn new(id: &str, targets: Targets) -> Self {
        Prebooted(Mutex::new(Some((id.to_string(), targets))))
    }

    /// The servers booted for `id`, once.
    pub fn take(&self, id: &str) -> Option<Targets> {
        let mut held = self.0.held();
        if held.as_ref().is_some_and(|(mine, _)| mine == id) {
            return held.take().map(|(_, t)| t);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn scenario(requires: &str) -> Arc<Scenario> {
        let cat = crate::catalogue::Catalogue::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/requirements.yaml"),
        )
        .unwrap();
        let yaml = format!(
            "name: n\ncovers: [S-13]\nrequires: {requires}\nusers: {{a: {{}}}}\nsteps:\n  - sync: {{as: a}}\n"
        );
        let path = std::path::PathBuf::from("suites/t/s.yaml");
        Arc::new(crate::scenario::loader::load_str(&path, "t", &yaml, &cat).unwrap())
    }

    #[test]
    fn shared_servers_are_counted_from_the_scenarios_that_use_them() {
        let shared_one = scenario("{homeservers: 1}");
        let shared_two = scenario("{homeservers: 2}");
        let private_two = scenario("{homeservers: 2, lifecycle: true}");
        assert_eq!(shared_servers_needed(&[]), 0);
        assert_eq!(shared_servers_needed(std::slice::from_ref(&private_two)), 0);
        assert_eq!(
            shared_servers_needed(&[private_two.clone(), shared_one.clone()]),
            1
        );
        assert_eq!(shared_servers_needed(&[shared_one, shared_two]), 2);
    }
}
