//! Key material for managed homeservers: the TLS certificate of the federation listener, the
//! ed25519 signing key (in three forms, for servers that read different ones) and the
//! registration shared secret. Generated per server, written into its working folder (removed
//! when the server is put away), never printed.

use super::error::HomeserverError;
use base64::Engine;
use std::path::Path;

use crate::random::{random_bytes, random_hex};

/// The files a server's signing key is written to, one per form.
pub const SIGNING_KEY_FILES: &[(&str, &str)] = &[
    ("signing_key", "signing.key"),
    ("signing_key_seed", "signing.seed"),
    ("signing_key_pem", "signing.pem"),
];

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

/// Writes one fresh ed25519 signing key in three forms and returns its key ID (`a_1f2e`):
/// `signing.key`, Synapse's line (`ed25519 <key id> <unpadded base64 seed>`); `signing.seed`,
/// the 32-byte seed in padded standard base64 (one line); `signing.pem`, a PKCS#8 document.
pub fn write_signing_key(dir: &Path) -> Result<String, HomeserverError> {
    let seed = random_bytes::<32>();
    let id = format!("a_{}", &random_hex::<3>()[..4]);
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(seed);
    write(dir, "signing.key", &format!("ed25519 {id} {b64}\n"))?;
    let padded = base64::engine::general_purpose::STANDARD.encode(seed);
    write(dir, "signing.seed", &format!("{padded}\n"))?;
    write(dir, "signing.pem", &pkcs8_pem(&seed))?;
    Ok(id)
}

/// An ed25519 private key as a PKCS#8 (RFC 8410) PEM document: the fixed DER prefix of a
/// one-key `PrivateKeyInfo` (version 0, algorithm id-Ed25519 1.3.101.112, an octet string
/// holding the 32-byte seed as an octet string), then the seed.
pub fn pkcs8_pem(seed: &[u8; 32]) -> String {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(seed);
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), HomeserverError> {
    let p = dir.join(name);
    std::fs::write(&p, text)
        .map_err(|e| HomeserverError::Setup(format!("cannot write {}: {e}", p.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PEM decodes to the 48-byte DER that OpenSSL writes for an ed25519 key, seed last.
    #[test]
    fn pkcs8_document_holds_the_seed_after_the_ed25519_prefix() {
        let seed = [7u8; 32];
        let pem = pkcs8_pem(&seed);
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert_eq!(der.len(), 48);
        assert_eq!(&der[..2], &[0x30, 0x2e]);
        assert_eq!(&der[9..12], &[0x2b, 0x65, 0x70], "OID 1.3.101.112");
        assert_eq!(&der[16..], &seed);
    }

    #[test]
    fn the_three_forms_hold_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let id = write_signing_key(dir.path()).unwrap();
        let line = std::fs::read_to_string(dir.path().join("signing.key")).unwrap();
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts[..2], ["ed25519", id.as_str()]);
        let seed = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[2])
            .unwrap();
        let seed2 = std::fs::read_to_string(dir.path().join("signing.seed")).unwrap();
        let seed2 = base64::engine::general_purpose::STANDARD
            .decode(seed2.trim())
            .unwrap();
        assert_eq!(seed, seed2);
        let pem = std::fs::read_to_string(dir.path().join("signing.pem")).unwrap();
        assert_eq!(pem, pkcs8_pem(&seed.try_into().unwrap()));
    }
}
