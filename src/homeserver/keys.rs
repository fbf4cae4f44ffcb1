//! Key material for managed homeservers: the TLS certificate of the federation listener, the
//! Synapse signing key and the registration shared secret. Generated per run, never printed.

use super::HomeserverError;
use base64::Engine;
use std::path::Path;

pub use crate::util::{random_bytes, random_hex};

/// Writes `tls.crt` / `tls.key`: a self-signed certificate for `localhost` and `127.0.0.1`.
pub fn write_tls(dir: &Path) -> Result<(), HomeserverError> {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(|e| {
                HomeserverError::Setup(format!("cannot generate a TLS certificate: {e}"))
            })?;
    write(dir, "tls.crt", &cert.cert.pem())?;
    write(dir, "tls.key", &cert.key_pair.serialize_pem())
}

/// Writes `signing.key` in Synapse's format: `ed25519 <key id> <unpadded base64 seed>`.
pub fn write_signing_key(dir: &Path) -> Result<(), HomeserverError> {
    let seed = random_bytes::<32>();
    let id = &random_hex::<3>()[..4];
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(seed);
    write(dir, "signing.key", &format!("ed25519 a_{id} {b64}\n"))
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), HomeserverError> {
    let p = dir.join(name);
    std::fs::write(&p, text)
        .map_err(|e| HomeserverError::Setup(format!("cannot write {}: {e}", p.display())))
}
