//! The suites, catalogue, fixtures and snapshots built into the binary (see `build.rs`), and
//! where a run finds them: `--root DIR`, else the current folder when it has
//! `suites/requirements.yaml`, else the built-in copy, written once into the cache folder
//! (`$MSCHECK_CACHE_DIR`, default `~/.cache/mscheck`) because managed servers load fixture files
//! (templates, modules) by path.

use std::path::{Path, PathBuf};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Where a run's suites and fixtures come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--root DIR`.
    Given(PathBuf),
    /// The current folder (paths in messages stay relative: `suites/…:12:5`).
    CurrentFolder,
    /// The copy built into the binary, extracted to this folder.
    BuiltIn(PathBuf),
}

impl Source {
    /// The folder holding `suites/`, `fixtures/` and `snapshots/`.
    pub fn root(&self) -> PathBuf {
        match self {
            Source::Given(p) | Source::BuiltIn(p) => p.clone(),
            Source::CurrentFolder => PathBuf::new(),
        }
    }
}

/// The names of the built-in files under `prefix`, each up to `end`: `("suites/", "/")` gives
/// the suite folders, `("fixtures/targets/", ".yaml")` the profiles. Sorted, each once.
pub fn built_in_names(prefix: &str, end: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = generated::FILES
        .iter()
        .filter_map(|(rel, _)| {
            let rest = rel.strip_prefix(prefix)?;
            let name = &rest[..rest.find(end)?];
            (!name.is_empty() && !name.contains('/')).then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Finds the suites: `--root`, the current folder, or the built-in copy.
pub fn locate(given: Option<&Path>) -> std::io::Result<Source> {
    if let Some(p) = given {
        return Ok(Source::Given(p.to_path_buf()));
    }
    if Path::new("suites").join("requirements.yaml").exists() {
        return Ok(Source::CurrentFolder);
    }
    Ok(Source::BuiltIn(extract()?))
}

/// The cache folder for the built-in copy of this build.
fn cache_dir() -> PathBuf {
    let base = std::env::var_os("MSCHECK_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/mscheck")))
        .unwrap_or_else(|| std::env::temp_dir().join("mscheck-cache"));
    base.join(format!(
        "builtin-{}-{}",
        env!("CARGO_PKG_VERSION"),
        generated::HASH
    ))
}

/// Writes the built-in files into the cache once (into a fresh folder, then renamed, so a
/// concurrent run never sees half of them).
fn extract() -> std::io::Result<PathBuf> {
    let dir = cache_dir();
    if dir.join("suites").join("requirements.yaml").exists() {
        return Ok(dir);
    }
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    write_all(&partial, true)?;
    match std::fs::rename(&partial, &dir) {
        Ok(()) => Ok(dir),
        // Another run extracted it first.
        Err(_) if dir.join("suites").join("requirements.yaml").exists() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(dir)
        }
        Err(e) => Err(e),
    }
}

fn write_all(dir: &Path, overwrite: bool) -> std::io::Result<Exported> {
    let mut done = Exported::default();
    let files = generated::FILES
        .iter()
        .map(|(rel, bytes)| (*rel, std::borrow::Cow::Borrowed(*bytes)))
        .chain(std::iter::once((
            crate::scenario::schema::FILE,
            std::borrow::Cow::Owned(crate::scenario::schema::text().into_bytes()),
        )));
    for (rel, bytes) in files {
        let p = dir.join(rel);
        if !overwrite && p.exists() {
            match std::fs::read(&p) {
                Ok(on_disk) if on_disk == *bytes => done.unchanged += 1,
                _ => done.kept.push(rel.to_string()),
            }
            continue;
        }
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &bytes)?;
        done.written += 1;
    }
    Ok(done)
}

/// What `export` did with each built-in file.
#[derive(Debug, Default)]
pub struct Exported {
    /// Written (they were not there).
    pub written: usize,
    /// There already, the same as the built-in copy.
    pub unchanged: usize,
    /// There already and different (edited, or from another version): kept, not overwritten.
    pub kept: Vec<String>,
}

/// `mscheck suites export DIR`: the built-in files, for editing, and the scenario schema their
/// `yaml-language-server` comments point at (`docs/scenario.schema.json`); existing files are
/// kept, and said to be.
pub fn export(dir: &Path) -> std::io::Result<Exported> {
    write_all(dir, false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_and_the_synapse_fixtures_are_built_in() {
        let names: Vec<&str> = super::generated::FILES.iter().map(|(n, _)| *n).collect();
        for needed in [
            "suites/requirements.yaml",
            "fixtures/faults.yaml",
            "fixtures/synapse/homeserver.yaml",
            "fixtures/synapse/VERSION",
        ] {
            assert!(names.contains(&needed), "{needed} is not built in");
        }
        assert!(!names.iter().any(|n| n.ends_with(".new")));
    }
}
