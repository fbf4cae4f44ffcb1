//! The `{{placeholders}}` of a profile: what mscheck made for one managed instance (ports, keys,
//! secrets, its working folder and identifier), filled into the profile's templates, program,
//! arguments, environment and hook commands. The README's "Write a profile" section lists them
//! with their types.

use super::instance::{Launch, ManagedConfig, APPSERVICE_SENDER};
use super::keys::SIGNING_KEY_FILES;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The names `NAME` of every `{{port.NAME}}` in the texts: each gets a free loopback port of its
/// own per instance (for what a server needs beside it: a database, a cache).
pub fn port_names<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for text in texts {
        let mut rest = text;
        while let Some(i) = rest.find("{{port.") {
            rest = &rest[i + "{{port.".len()..];
            let Some(end) = rest.find("}}") else { break };
            let name = &rest[..end];
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                names.insert(name.to_string());
            }
            rest = &rest[end..];
        }
    }
    names
}

/// Fills the placeholders of one text for one instance.
pub fn render(template: &str, c: &ManagedConfig, launch: &Launch) -> String {
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    let in_dir = |name: &str| c.data_dir.join(name).to_string_lossy().to_string();
    let mut out = template
        .replace("{{server_name}}", &c.server_name)
        .replace("{{client_port}}", &c.client_port.to_string())
        .replace("{{federation_port}}", &c.federation_port.to_string())
        .replace("{{data_dir}}", &c.data_dir.to_string_lossy())
        .replace("{{instance_id}}", &c.instance_id)
        .replace("{{tls_cert}}", &in_dir("tls.crt"))
        .replace("{{tls_key}}", &in_dir("tls.key"))
        .replace("{{signing_key_id}}", &c.signing_key_id)
        .replace("{{shared_secret}}", &c.shared_secret)
        .replace("{{registration_token}}", &c.registration_token)
        .replace("{{as_token}}", &c.as_token)
        .replace("{{hs_token}}", &c.hs_token)
        .replace("{{appservice_sender}}", APPSERVICE_SENDER)
        .replace("{{python}}", &path(&launch.python))
        .replace("{{program}}", &path(&launch.program))
        .replace("{{profile_dir}}", &launch.profile.dir().to_string_lossy());
    for (placeholder, file) in SIGNING_KEY_FILES {
        out = out.replace(&format!("{{{{{placeholder}}}}}"), &in_dir(file));
    }
    for (name, port) in &c.ports {
        out = out.replace(&format!("{{{{port.{name}}}}}"), &port.to_string());
    }
    out
}

/// A short identifier for one instance, unique per run and usable as a database, schema or user
/// name and in URL paths: `hs1_3fa9c2` (`[a-z0-9_]`, starting with a letter).
pub fn instance_id(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("{name}_{}", crate::random::random_hex::<3>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_are_found_once_each() {
        let names = port_names([
            "port = {{port.postgres}}",
            "{{port.postgres}} {{port.redis}} {{port.}} {{port.bad name}}",
        ]);
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["postgres", "redis"]);
    }

    #[test]
    fn instance_ids_name_a_database() {
        let id = instance_id("hs1");
        assert!(id.starts_with("hs1_") && id.len() == 10, "{id}");
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        assert_ne!(id, instance_id("hs1"));
    }
}
