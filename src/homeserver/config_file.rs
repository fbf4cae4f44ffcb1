//! Homeserver configuration files in a profile's format (YAML, JSON, TOML): read, deep-merged
//! with a scenario's needs, written back, and copied into the report with every secret value
//! redacted.

use super::error::HomeserverError;
use std::path::Path;

/// A configuration file format needs can be merged into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (written back as JSON, which YAML readers take as it is).
    Yaml,
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

/// A configuration file with every secret value replaced, in its own format (YAML as JSON).
pub(super) fn redacted_config(path: &Path, format: Format) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut config = parse_config(&text, format).ok()?;
    redact_config(&mut config);
    write_config(&config, format).ok()
}

fn parse_config(text: &str, format: Format) -> Result<serde_json::Value, String> {
    match format {
        Format::Yaml | Format::Json => crate::yaml::parse(text)
            .map(|n| crate::yaml::to_json(&n))
            .map_err(|e| e.to_string()),
        Format::Toml => toml::from_str::<serde_json::Value>(text).map_err(|e| e.to_string()),
    }
}

fn write_config(v: &serde_json::Value, format: Format) -> Result<String, String> {
    match format {
        Format::Yaml | Format::Json => serde_json::to_string_pretty(v).map_err(|e| e.to_string()),
        Format::Toml => toml::to_string(v).map_err(|e| e.to_string()),
    }
}

/// Replaces the value of every configuration key that names a secret (`…secret…`, `…token…`,
/// `…password…`, `…_key` other than paths) with `[redacted]`.
pub fn redact_config(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                let k = k.to_ascii_lowercase();
                let secret = k.contains("secret")
                    || k.contains("token")
                    || k.contains("password")
                    || (k.ends_with("_key") && !k.ends_with("_path"));
                if secret && !x.is_object() && !x.is_array() {
                    *x = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_config(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_config),
        _ => {}
    }
}

/// Merges a scenario's needs (already mapped to this implementation's keys) into a rendered
/// configuration file of the given format. YAML comes back as JSON, which YAML readers take as it
/// is.
pub fn overlay_config(
    rendered: &str,
    overlay: &serde_json::Value,
    format: Format,
) -> Result<String, HomeserverError> {
    let mut config = parse_config(rendered, format).map_err(|e| {
        HomeserverError::Setup(format!("the rendered configuration does not parse: {e}"))
    })?;
    merge(&mut config, overlay);
    write_config(&config, format).map_err(HomeserverError::Setup)
}

/// Deep merge: objects merge key by key, anything else replaces.
pub fn merge(base: &mut serde_json::Value, overlay: &serde_json::Value) {
    match (base, overlay) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}
