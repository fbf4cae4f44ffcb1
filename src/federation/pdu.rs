//! Events as servers exchange them (PDUs): the fake server's own are hashed, signed and given
//! reference-hash event IDs; those other servers send are identified and checked the same way.
//! The cryptography and canonical JSON are ruma-signatures'; this module picks the room version's
//! rules and says what was wrong in words a report can show.

use super::error::FederationError;
use super::signing::{canonical_object, public_key_map, ServerKey};
use ruma_common::room_version_rules::RoomVersionRules;
use ruma_common::RoomVersionId;
use serde_json::Value;

/// The rules of a room version (`"10"`, `"11"`, `"12"`…).
pub fn rules(version: &str) -> Result<RoomVersionRules, FederationError> {
    RoomVersionId::try_from(version)
        .ok()
        .and_then(|v| v.rules())
        .ok_or_else(|| {
            FederationError::Protocol(format!("room version `{version}` is not supported"))
        })
}

/// Adds the content hash and this server's signature to an event and computes its ID. The event
/// must not carry `event_id` (room versions 3 and later derive it from the reference hash).
pub fn sign_pdu(
    key: &ServerKey,
    pdu: Value,
    rules: &RoomVersionRules,
) -> Result<(String, Value), FederationError> {
    let mut obj = canonical_object(pdu)?;
    ruma_signatures::hash_and_sign_event(&key.server_name, &key.pair, &mut obj, &rules.redaction)
        .map_err(|e| FederationError::Key(format!("cannot sign an event: {e}")))?;
    let signed = serde_json::to_value(&obj).map_err(|e| FederationError::Key(e.to_string()))?;
    let id = event_id(&signed, rules)?;
    Ok((id, signed))
}

/// The ID of an event: `$` and its reference hash.
pub fn event_id(pdu: &Value, rules: &RoomVersionRules) -> Result<String, FederationError> {
    let obj = canonical_object(pdu.clone())?;
    ruma_signatures::reference_hash(&obj, rules)
        .map(|h| format!("${h}"))
        .map_err(|e| FederationError::Protocol(format!("cannot hash an event: {e}")))
}

/// Checks a PDU's signatures (with the senders' servers' keys, unpadded base64 by key ID) and
/// its content hash.
pub fn verify_pdu(
    pdu: &Value,
    keys: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    rules: &RoomVersionRules,
) -> Result<(), String> {
    let obj = canonical_object(pdu.clone()).map_err(|e| e.to_string())?;
    let map = public_key_map(keys.iter().map(|(server, set)| (server.as_str(), set)))
        .map_err(|e| e.to_string())?;
    match ruma_signatures::verify_event(&map, &obj, rules) {
        Ok(ruma_signatures::Verified::All) => Ok(()),
        Ok(ruma_signatures::Verified::Signatures) => {
            Err("the signatures verify but the content hash does not match".into())
        }
        Err(e) => Err(format!("signature check failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "room_id": "!abc", "sender": "@zed:localhost:1111", "type": "org.example.sticky",
            "content": {"v": 1}, "msc4354_sticky": {"duration_ms": 600000},
            "origin_server_ts": 1_700_000_000_000u64, "depth": 5,
            "prev_events": ["$p"], "auth_events": ["$a"],
        })
    }

    #[test]
    fn a_signed_event_verifies_and_a_tampered_sticky_object_does_not() {
        let key = ServerKey::generate("localhost:1111").unwrap();
        let r = rules("12").unwrap();
        let (id, signed) = sign_pdu(&key, event(), &r).unwrap();
        assert!(
            id.starts_with('$') && !id.contains('+') && !id.contains('/'),
            "{id}"
        );
        assert_eq!(event_id(&signed, &r).unwrap(), id, "the ID is stable");
        let keys = [(
            "localhost:1111".to_string(),
            [(key.key_id(), key.public_key())].into_iter().collect(),
        )]
        .into_iter()
        .collect();
        verify_pdu(&signed, &keys, &r).unwrap();
        // The sticky object is not kept by redaction, so only the content hash covers it.
        let mut tampered = signed.clone();
        tampered["msc4354_sticky"]["duration_ms"] = json!(3_600_000);
        let e = verify_pdu(&tampered, &keys, &r).unwrap_err();
        assert!(e.contains("content hash"), "{e}");
        let mut forged = signed;
        forged["type"] = json!("m.room.message");
        assert!(verify_pdu(&forged, &keys, &r).is_err());
    }

    #[test]
    fn unknown_room_versions_are_named() {
        let e = rules("99").unwrap_err().to_string();
        assert!(e.contains("`99`"), "{e}");
    }
}
