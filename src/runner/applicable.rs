//! Whether a scenario can run on a target, and if not why: decided from what the target offers
//! (lifecycle control, a second server, configuration by a profile, an application service,
//! loopback server names, advertised features). Before a run (`mscheck list --target …`) some of
//! that is not known yet; the scenario is then listed with what it depends on.

use crate::homeserver::profile::Profile;
use crate::homeserver::{Control, Targets};
use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// What a target offers, as far as it is known.
pub struct Offer<'a> {
    /// hs1's implementation, when known.
    pub implementation: Option<String>,
    /// Every server is managed by mscheck (stop, start, pause; private servers per scenario).
    pub managed: bool,
    /// A second server is there (or is booted on demand, for managed targets).
    pub second_server: bool,
    /// The profile of managed servers (it maps needs to configuration).
    pub profile: Option<&'a Profile>,
    /// Every server registers mscheck's application service.
    pub appservice: bool,
    /// Each server's name, when known (`None` before an external server answered).
    pub server_names: Vec<Option<String>>,
    /// Each server's advertised unstable features, when known.
    pub features: Option<Vec<BTreeMap<String, bool>>>,
}

/// Whether a scenario runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicable {
    /// It runs.
    Runs,
    /// It is skipped, with the reason.
    Skipped(String),
    /// Decided when the server answers: what it depends on.
    Depends(String),
}

impl<'a> Offer<'a> {
    /// What a booted set of servers offers.
    pub fn of(targets: &Targets, profile: Option<&'a Profile>) -> Offer<'a> {
        let all = targets.all();
        Offer {
            // A booted server that could not be identified is not the one a scenario is for.
            implementation: Some(
                targets
                    .hs1
                    .implementation
                    .clone()
                    .unwrap_or_else(|| "an unknown implementation".into()),
            ),
            managed: all.iter().all(|h| matches!(h.control, Control::Managed(_))),
            second_server: targets.hs2.is_some(),
            profile,
            appservice: all.iter().all(|h| h.appservice.is_some()),
            server_names: all.iter().map(|h| Some(h.server_name.clone())).collect(),
            features: Some(all.iter().map(|h| h.features.clone()).collect()),
        }
    }

    /// Whether `s` runs on what is offered.
    pub fn judge(&self, s: &Scenario) -> Applicable {
        if let Some(only) = &s.requires.implementation {
            match &self.implementation {
                Some(i) if i != only => {
                    return Applicable::Skipped(format!(
                        "written for {only} only (it sets {only}'s own configuration); hs1 is {i}"
                    ))
                }
                None => {
                    return Applicable::Depends(format!("runs only if hs1 is {only}"));
                }
                Some(_) => {}
            }
        }
        if !s.requires.server.is_empty() {
            match self.profile {
                None => {
                    return Applicable::Skipped(format!(
                        "needs a managed homeserver configured for it ({}), which external targets do not offer",
                        s.requires
                            .server
                            .iter()
                            .map(|n| n.display())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
                Some(p) => {
                    if let Err(refused) = p.overlay_for(&s.requires.server) {
                        return Applicable::Skipped(format!(
                            "profile `{}` {refused}",
                            p.implementation
                        ));
                    }
                }
            }
        }
        // Managed targets boot a private pair for such a scenario, whatever the shared set holds.
        let private_pair = s.requires.private_servers() && self.managed;
        if s.requires.homeservers > 1 && !self.second_server && !private_pair {
            return Applicable::Skipped(
                "needs two homeservers (give --hs2, or use managed servers)".into(),
            );
        }
        if s.requires.lifecycle && !self.managed {
            return Applicable::Skipped(
                "needs lifecycle control (stop/start/pause), which external targets do not offer"
                    .into(),
            );
        }
        if s.requires.homeserver_config.is_some() && !self.managed {
            return Applicable::Skipped(
                "needs a managed homeserver with its own configuration (`homeserver_config`), which external targets do not offer"
                    .into(),
            );
        }
        if s.users.iter().any(|u| u.appservice) && !self.appservice {
            return Applicable::Skipped(
                "acts as an application service, which only managed homeservers register".into(),
            );
        }
        if let Some(a) = self.fake_server(s) {
            return a;
        }
        self.features(s)
    }

    /// The fake federating server reaches loopback server names only.
    fn fake_server(&self, s: &Scenario) -> Option<Applicable> {
        if !s.uses_fake_server() {
            return None;
        }
        let needed = if s.requires.homeservers > 1 { 2 } else { 1 };
        for (i, name) in self.server_names.iter().take(needed).enumerate() {
            let hs = format!("hs{}", i + 1);
            match name {
                Some(n) if crate::federation::client::loopback_address(n).is_err() => {
                    return Some(Applicable::Skipped(format!(
                        "uses the fake federating server, which only reaches loopback server names (`localhost:<port>`); {hs} is `{n}`"
                    )))
                }
                None => {
                    return Some(Applicable::Depends(format!(
                        "uses the fake federating server: runs only if {hs}'s server name is a loopback one (`localhost:<port>`)"
                    )))
                }
                Some(_) => {}
            }
        }
        None
    }

    fn features(&self, s: &Scenario) -> Applicable {
        if s.requires.features.is_empty() {
            return Applicable::Runs;
        }
        let Some(features) = &self.features else {
            return Applicable::Depends(format!(
                "runs only if the server lists {} in /versions unstable_features",
                s.requires
                    .features
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        for f in &s.requires.features {
            if let Some(i) = features
                .iter()
                .position(|m| !m.get(f).copied().unwrap_or(false))
            {
                return Applicable::Skipped(format!(
                    "not advertised: hs{} does not list `{f}` in /versions unstable_features",
                    i + 1
                ));
            }
        }
        Applicable::Runs
    }
}

/// Why a scenario cannot run on these servers, if it cannot .
pub fn skip_reason(
    s: &Scenario,
    targets: &Targets,
    profile: Option<&crate::homeserver::profile::Profile>,
) -> Option<String> {
    match Offer::of(targets, profile).judge(s) {
        Applicable::Skipped(reason) => Some(reason),
        // Booted servers have answered: nothing is left undecided.
        Applicable::Runs | Applicable::Depends(_) => None,
    }
}
