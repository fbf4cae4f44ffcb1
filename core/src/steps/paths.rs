//! The client-server API paths and parameters step kinds share.

/// The client-server API version prefix most steps use.
pub(crate) const V3: &str = "/_matrix/client/v3";
/// MSC4140 unstable prefix.
pub(crate) const MSC4140_PREFIX: &str = "/_matrix/client/unstable/org.matrix.msc4140";
/// Simplified sliding sync (MSC4186) unstable endpoint.
pub const SSS_PATH: &str = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync";
/// The delay query parameter (MSC4140 seed API; what Synapse implements).
pub(crate) const DELAY_PARAM: &str = "org.matrix.msc4140.delay";
