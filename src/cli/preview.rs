//! `mscheck list --target PROFILE` / `--hs1 URL [--hs2 URL]`: what a run on that target would
//! run and skip, and why, without installing, starting or contacting anything. What only the
//! server can tell (its features, an external server's name and implementation) is listed as
//! "decided when the server answers".

use super::args::ListArgs;
use crate::error::Error;
use crate::homeserver::profile::Profile;
use crate::hs::Hs;
use crate::runner::applicable::{Applicable, Offer};
use crate::scenario::Scenario;
use crate::session::{self, Loaded};
use std::sync::Arc;

/// The target a listing previews.
pub(super) enum Preview {
    /// A managed target (`--target` as given) and the profile it would boot.
    Managed(String, Arc<Profile>),
    /// External servers, not contacted.
    External {
        /// Whether a second server was given.
        hs2: bool,
    },
}

impl Preview {
    /// The preview the flags ask for, if any.
    pub(super) fn from_args(a: &ListArgs, loaded: &Loaded) -> Result<Option<Preview>, Error> {
        if let Some(target) = &a.target {
            let profile = session::target_profile(&loaded.root.join("fixtures"), target)?;
            return Ok(Some(Preview::Managed(target.clone(), profile)));
        }
        let Some(hs1) = &a.hs1 else { return Ok(None) };
        session::check_server_url(Hs::Hs1.name(), hs1)?;
        if let Some(hs2) = &a.hs2 {
            session::check_server_url(Hs::Hs2.name(), hs2)?;
        }
        Ok(Some(Preview::External {
            hs2: a.hs2.is_some(),
        }))
    }

    fn offer(&self) -> Offer<'_> {
        match self {
            Preview::Managed(_, profile) => Offer {
                implementation: Some(profile.implementation.clone()),
                managed: true,
                // Booted on demand, each on a loopback name of its own.
                second_server: true,
                profile: Some(profile),
                appservice: profile.appservice,
                server_names: vec![Some("localhost:1".into()), Some("localhost:2".into())],
                features: None,
            },
            Preview::External { hs2 } => Offer {
                implementation: None,
                managed: false,
                second_server: *hs2,
                profile: None,
                appservice: false,
                server_names: vec![None; 1 + usize::from(*hs2)],
                features: None,
            },
        }
    }

    /// Whether a scenario would run.
    pub(super) fn judge(&self, s: &Scenario) -> Applicable {
        self.offer().judge(s)
    }

    /// "managed target synapse@1.150.0 (implementation synapse, profile synapse.yaml)".
    pub(super) fn describe(&self) -> String {
        match self {
            Preview::Managed(target, p) => format!(
                "managed target {target} (implementation {}, profile {})",
                p.implementation,
                p.file
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default()
            ),
            Preview::External { hs2: false } => "external target (--hs1)".into(),
            Preview::External { hs2: true } => "external targets (--hs1, --hs2)".into(),
        }
    }
}
