//! Which profile file `--target NAME` means: a path, or a name in `fixtures/targets/`; an unknown
//! name is answered with the profiles there are.

use super::error::HomeserverError;
use std::path::{Path, PathBuf};

/// Finds a profile by `--target`: a path to a profile file, or a name in `fixtures/targets/`.
pub fn find(fixtures: &Path, target: &str) -> Result<PathBuf, HomeserverError> {
    let as_path = PathBuf::from(target);
    if target.ends_with(".yaml") || target.ends_with(".yml") || target.contains('/') {
        return if as_path.exists() {
            Ok(as_path)
        } else {
            Err(HomeserverError::Setup(format!("no profile at {target}")))
        };
    }
    let named = fixtures.join("targets").join(format!("{target}.yaml"));
    if named.exists() {
        return Ok(named);
    }
    // Name what there is, not where it is looked for (the built-in copy sits in a cache).
    let mut profiles: Vec<String> = std::fs::read_dir(fixtures.join("targets"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".yaml").map(str::to_string)
        })
        .collect();
    profiles.sort();
    let hint = crate::text::did_you_mean(target, profiles.iter().map(String::as_str))
        .map(|h| format!("did you mean `{h}`? "))
        .unwrap_or_default();
    Err(HomeserverError::Setup(format!(
        "no profile named `{target}`; {hint}profiles: {}, `synapse@X.Y.Z` (a Synapse release), or the path of your own profile file (see the README, \"Write a profile for your homeserver\")",
        profiles.join(", ")
    )))
}
