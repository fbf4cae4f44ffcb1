//! The servers a run checks: managed ones booted by the profile (only as many shared servers as
//! the selected scenarios use), or external ones probed and identified.

use super::request::{RegistrationMethod, Servers};
use super::resolve::{registration_method, Settings};
use crate::client::Client;
use crate::error::Error;
use crate::homeserver::discover::{self, Declared};
use crate::homeserver::{Control, Homeserver, Targets};
use crate::hs::Hs;
use crate::redact::Redactor;
use crate::results::TargetInfo;
use crate::runner::events::EventKind;
use crate::runner::{schedule, shared_servers_needed, Prebooted, PrivateServers};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The run's servers, and one scenario's private servers when those stand for the target.
pub(super) async fn reach(
    s: &Settings,
    http: &reqwest::Client,
    redactor: &Arc<Redactor>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Targets, Prebooted), Error> {
    match &s.request.servers {
        Servers::Managed { .. } => managed(s, http, progress).await,
        Servers::External {
            hs1,
            hs2,
            registration,
            implementation,
            version,
        } => {
            let declared = Declared {
                implementation: implementation.clone(),
                version: version.clone(),
            };
            let hs1 = external(Hs::Hs1, hs1, *registration, http, redactor, &declared).await?;
            let hs2 = match hs2 {
                // `implementation` describes hs1; hs2 is always identified by asking it.
                Some(url2) => {
                    let undeclared = Declared::default();
                    Some(external(Hs::Hs2, url2, *registration, http, redactor, &undeclared).await?)
                }
                None => None,
            };
            Ok((Targets { hs1, hs2 }, Prebooted::default()))
        }
    }
}

/// Shared managed servers for the scenarios that use them. When every selected scenario boots
/// servers of its own, none are: the first scenario's are booted now instead, identify the
/// target (implementation, version, features) and are handed to that scenario.
async fn managed(
    s: &Settings,
    http: &reqwest::Client,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Targets, Prebooted), Error> {
    let dir = s.report_dir.join("homeservers");
    let count = shared_servers_needed(&s.plan);
    if count == 0 {
        let private = PrivateServers {
            setup: s.managed.clone(),
            dir: dir.clone(),
        };
        let order = schedule::longest_first(&s.plan, &s.previous_durations, &|_| false);
        if let Some(first) = private.first_bootable(&order) {
            progress(&format!(
                "every selected scenario boots servers of its own: no shared ones; {} boots first",
                first.id
            ));
            let targets = private.boot(first, http, progress).await?;
            let prebooted = Prebooted::new(&first.id, targets.clone());
            return Ok((targets, prebooted));
        }
    }
    let targets =
        Targets::boot_managed(&s.managed, &dir, count.max(1), None, http, progress).await?;
    Ok((targets, Prebooted::default()))
}

/// Each server's secrets go to the redactor, its description to the report.
pub(super) fn announce(targets: &Targets, redactor: &Redactor, emit: &dyn Fn(EventKind)) {
    for h in targets.all() {
        for secret in h.secrets() {
            redactor.add_secret(secret);
        }
        emit(EventKind::TargetReady { target: info(h) });
    }
}

/// How a server is described in the report.
fn info(h: &Homeserver) -> TargetInfo {
    TargetInfo {
        name: h.name.to_string(),
        url: h.base_url.clone(),
        server_name: h.server_name.clone(),
        // results.json says `unknown` for what could not be identified.
        implementation: h.implementation.clone().unwrap_or_else(|| "unknown".into()),
        version: h.version.clone().unwrap_or_else(|| "unknown".into()),
        identified_by: h.identified_by.clone(),
        managed: matches!(h.control, Control::Managed(_)),
        features: h
            .features
            .iter()
            .filter(|(k, _)| {
                // Feature names come from the server: only printable ones are shown.
                !k.chars().any(char::is_control)
                    && k.len() <= 128
                    && (k.contains("msc4354")
                        || k.contains("msc4140")
                        || k.contains("simplified_msc3575"))
            })
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
    }
}

/// An external target, probed (`/versions`) and identified (server name, implementation).
async fn external(
    name: Hs,
    url: &str,
    method: RegistrationMethod,
    http: &reqwest::Client,
    redactor: &Arc<Redactor>,
    declared: &Declared,
) -> Result<Homeserver, Error> {
    let registration = registration_method(name, method)?;
    let mut hs = Homeserver {
        name,
        base_url: url.trim_end_matches('/').into(),
        server_name: String::new(),
        registration,
        control: Control::External,
        implementation: None,
        version: None,
        appservice: None,
        features: BTreeMap::new(),
        spec_versions: Vec::new(),
        identified_by: String::new(),
    };
    for secret in hs.secrets() {
        redactor.add_secret(secret);
    }
    let client = Client::new(http.clone(), redactor.clone(), Arc::new(Vec::new()));
    let run_id = crate::random::random_hex::<3>();
    // However the server answers (slowly, every round late), the probe, the first registration
    // and the federation /version question end within one stated budget.
    let identify = async {
        hs.probe(http).await?;
        discover::discover(&mut hs, &client, &run_id, declared).await
    };
    let source = tokio::time::timeout(discover::DISCOVERY_BUDGET, identify)
        .await
        .map_err(|_| crate::homeserver::HomeserverError::TooSlow {
            name: name.to_string(),
            url: crate::escape::escape_control(url),
            budget: discover::DISCOVERY_BUDGET,
        })??;
    hs.identified_by = source.describe();
    Ok(hs)
}
