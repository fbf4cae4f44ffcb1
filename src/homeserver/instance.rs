//! What mscheck makes for one managed instance (ports, secrets, names, its working folder) and
//! what it runs it with: the values [`super::placeholders`] fills into a profile.

use super::profile::Profile;
use std::path::PathBuf;

/// Ports and names of one managed server.
#[derive(Debug, Clone)]
pub struct ManagedConfig {
    /// `hs1` / `hs2`.
    pub name: String,
    /// Client-server port (plain HTTP).
    pub client_port: u16,
    /// Federation port (TLS).
    pub federation_port: u16,
    /// `localhost:<federation_port>`.
    pub server_name: String,
    /// Data, config and logs.
    pub data_dir: PathBuf,
    /// Registration shared secret.
    pub shared_secret: String,
    /// The registered application service's `as_token` (its `hs_token` is never used by mscheck
    /// and stays in the data folder).
    pub as_token: String,
    /// The application service's `hs_token`.
    pub hs_token: String,
    /// A registration token, for profiles whose servers register users by token.
    pub registration_token: String,
    /// `{{instance_id}}`: short, unique per run, `[a-z0-9_]` (a database or schema name).
    pub instance_id: String,
    /// The signing key's ID (`a_1f2e`), `{{signing_key_id}}`.
    pub signing_key_id: String,
    /// `{{port.NAME}}`: further loopback ports the profile asks for, by name.
    pub ports: std::collections::BTreeMap<String, u16>,
}

/// The localpart of the application service's own user on managed servers.
pub const APPSERVICE_SENDER: &str = "mscheck-appservice";

/// What a profile's `start` runs: the provisioned program (`{{python}}` for pip-provisioned
/// Synapse, `{{program}}` for a command) and the version it reports.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The profile.
    pub profile: std::sync::Arc<Profile>,
    /// `{{python}}`: the virtualenv's interpreter (pip provisioning).
    pub python: Option<PathBuf>,
    /// `{{program}}`: the server's program (command provisioning).
    pub program: Option<PathBuf>,
    /// The implementation's version, for reports and expectations, when known.
    pub version: Option<String>,
}
