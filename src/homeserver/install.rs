//! Provisioning the pinned Synapse into a cached virtualenv.
//!
//! The venv lives under `$MSCHECK_CACHE_DIR` (default `$XDG_CACHE_HOME/mscheck` or
//! `~/.cache/mscheck`) in `synapse-<version>/`, and is reused once a marker file says the install
//! completed. A file lock keeps concurrent mscheck processes (parallel tests) from installing
//! twice.

use super::error::HomeserverError;
use super::pip::{run_logged, FileLock, InstallLog};
use std::path::{Path, PathBuf};

/// An installed Synapse.
#[derive(Debug, Clone)]
pub struct SynapseInstall {
    /// The venv's python.
    pub python: PathBuf,
    /// The pinned version.
    pub version: String,
}

/// The cache folder.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MSCHECK_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("mscheck");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("mscheck")
}

/// The pinned version from `fixtures/synapse/VERSION`.
pub fn pinned_version(fixtures: &Path) -> Result<String, HomeserverError> {
    let p = fixtures.join("synapse").join("VERSION");
    std::fs::read_to_string(&p)
        .map(|s| s.trim().to_string())
        .map_err(|e| {
            HomeserverError::Setup(format!(
                "cannot read the pinned Synapse version from {}: {e}",
                p.display()
            ))
        })
}

/// Makes sure the pinned Synapse is installed; reports progress lines through `progress`.
/// Which Synapse a managed run uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SynapseSource {
    /// The version pinned in `fixtures/synapse/VERSION` (`--target synapse`).
    #[default]
    Pinned,
    /// A release from PyPI (`--target synapse@1.157.0`), in a venv of its own.
    Release(String),
    /// A checkout or a wheel (`--synapse-from PATH`), in a venv keyed by its content.
    Local(PathBuf),
}

impl SynapseSource {
    /// Reads `--target` (`synapse` or `synapse@X.Y.Z`) and `--synapse-from`.
    pub fn from_flags(target: &str, from: Option<&Path>) -> Result<Self, String> {
        let release = match target.split_once('@') {
            None if target == "synapse" => None,
            Some(("synapse", v)) if valid_release(v) => Some(v.to_string()),
            Some(("synapse", v)) => {
                return Err(format!(
                    "`synapse@{v}`: a Synapse release is written like 1.157.0 (or 1.158.0rc1)"
                ))
            }
            _ => {
                return Err(format!(
                    "unknown target `{target}` (expected `synapse` or `synapse@<version>`)"
                ))
            }
        };
        match (release, from) {
            (Some(_), Some(_)) => Err(
                "`--synapse-from` and `--target synapse@<version>` contradict each other".into(),
            ),
            (Some(v), None) => Ok(SynapseSource::Release(v)),
            (None, Some(p)) if p.exists() => Ok(SynapseSource::Local(p.to_path_buf())),
            (None, Some(p)) => Err(format!(
                "`--synapse-from {}`: no such file or folder",
                p.display()
            )),
            (None, None) => Ok(SynapseSource::Pinned),
        }
    }
}

fn valid_release(v: &str) -> bool {
    let (nums, rc) = match v.split_once("rc") {
        Some((n, rc)) => (n, Some(rc)),
        None => (v, None),
    };
    let parts: Vec<&str> = nums.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && rc.is_none_or(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
}

/// A short hash of a checkout's or wheel's content (paths, sizes and modification times; `.git`,
/// build output and caches left out), so that every change to a branch gets a venv of its own.
fn content_key(path: &Path) -> String {
    fn walk(p: &Path, base: &Path, h: &mut u64) {
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                *h ^= u64::from(*b);
                *h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        if let Ok(meta) = std::fs::metadata(p) {
            feed(
                p.strip_prefix(base)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .as_bytes(),
            );
            feed(&meta.len().to_le_bytes());
            if let Ok(m) = meta.modified().and_then(|m| {
                m.duration_since(std::time::UNIX_EPOCH)
                    .map_err(std::io::Error::other)
            }) {
                feed(&m.as_nanos().to_le_bytes());
            }
        }
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(p)
                .map(|r| r.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                let name = e
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                if [
                    ".git",
                    "target",
                    "__pycache__",
                    "build",
                    ".venv",
                    "node_modules",
                ]
                .contains(&name.as_str())
                {
                    continue;
                }
                walk(&e, base, h);
            }
        }
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    walk(path, path, &mut h);
    format!("{h:016x}")
}

/// What a source installs: its version (empty for a checkout, which says it once installed),
/// its virtualenv's name in the cache, and pip's requirement.
pub(super) fn what_to_install(
    fixtures: &Path,
    source: &SynapseSource,
) -> Result<(String, String, String), HomeserverError> {
    Ok(match source {
        SynapseSource::Pinned => {
            let v = pinned_version(fixtures)?;
            (
                v.clone(),
                format!("synapse-{v}"),
                format!("matrix-synapse=={v}"),
            )
        }
        SynapseSource::Release(v) => (
            v.clone(),
            format!("synapse-{v}"),
            format!("matrix-synapse=={v}"),
        ),
        SynapseSource::Local(p) => {
            let abs = std::fs::canonicalize(p).map_err(|e| {
                HomeserverError::Setup(format!("cannot resolve {}: {e}", p.display()))
            })?;
            (
                String::new(),
                format!("synapse-local-{}", content_key(&abs)),
                abs.to_string_lossy().to_string(),
            )
        }
    })
}

pub async fn ensure_synapse(
    fixtures: &Path,
    source: &SynapseSource,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SynapseInstall, HomeserverError> {
    let (version, venv_name, requirement) = what_to_install(fixtures, source)?;
    let venv = cache_dir().join(&venv_name);
    let python = venv.join("bin").join("python");
    let marker = venv.join(".mscheck-installed");
    if let Ok(installed) = std::fs::read_to_string(&marker) {
        return Ok(SynapseInstall {
            python,
            version: installed.trim().to_string(),
        });
    }
    std::fs::create_dir_all(cache_dir()).map_err(|e| {
        HomeserverError::Setup(format!("cannot create {}: {e}", cache_dir().display()))
    })?;
    let lock_path = cache_dir().join(format!("{venv_name}.lock"));
    let _lock = FileLock::acquire(&lock_path).await?;
    if let Ok(installed) = std::fs::read_to_string(&marker) {
        return Ok(SynapseInstall {
            python,
            version: installed.trim().to_string(),
        });
    }
    // pip's whole output goes to a log beside the virtualenv; the terminal gets a few lines.
    let log_path = cache_dir().join(format!("{venv_name}.install.log"));
    let mut log = InstallLog::create(&log_path)?;
    progress(&format!(
        "installing Synapse {} into {} (first run only; pip's log: {})",
        if version.is_empty() {
            &requirement
        } else {
            &version
        },
        venv.display(),
        log_path.display()
    ));
    let python3 = std::env::var("MSCHECK_PYTHON").unwrap_or_else(|_| "python3".into());
    if venv.exists() {
        let _ = std::fs::remove_dir_all(&venv);
    }
    run_logged(
        &python3,
        &["-m", "venv", &venv.to_string_lossy()],
        progress,
        &mut log,
    )
    .await?;
    pip_install(
        &venv,
        &requirement,
        pins_for(fixtures, &version)?,
        progress,
        &mut log,
    )
    .await?;
    // A checkout or wheel says its version only once installed.
    let version = if version.is_empty() {
        installed_version(&python).await?
    } else {
        version
    };
    std::fs::write(&marker, &version)
        .map_err(|e| HomeserverError::Setup(format!("cannot write {}: {e}", marker.display())))?;
    progress(&format!(
        "Synapse {version} installed ({} packages)",
        log.collected
    ));
    Ok(SynapseInstall { python, version })
}

/// Adds optional dependencies (pip extras such as `postgres`) to an installed Synapse, once per
/// virtualenv: what a profile's `provision: {synapse-pip: {extras: […]}}` asks for.
pub async fn ensure_extras(
    fixtures: &Path,
    source: &SynapseSource,
    extras: &[String],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(), HomeserverError> {
    if extras.is_empty() {
        return Ok(());
    }
    let (version, venv_name, requirement) = what_to_install(fixtures, source)?;
    let venv = cache_dir().join(&venv_name);
    let marker = venv.join(format!(".mscheck-extras-{}", extras.join("-")));
    if marker.exists() {
        return Ok(());
    }
    let _lock = FileLock::acquire(&cache_dir().join(format!("{venv_name}.lock"))).await?;
    if marker.exists() {
        return Ok(());
    }
    let log_path = cache_dir().join(format!("{venv_name}.extras.log"));
    let mut log = InstallLog::create(&log_path)?;
    let list = extras.join(",");
    progress(&format!(
        "installing Synapse's optional dependencies [{list}] into {} (first use only; pip's log: {})",
        venv.display(),
        log_path.display()
    ));
    // `matrix-synapse==1.163.2` → `matrix-synapse[postgres]==1.163.2`; a path gets `[postgres]`.
    let with_extras = match requirement.split_once("==") {
        Some((name, v)) => format!("{name}[{list}]=={v}"),
        None => format!("{requirement}[{list}]"),
    };
    pip_install(
        &venv,
        &with_extras,
        pins_for(fixtures, &version)?,
        progress,
        &mut log,
    )
    .await?;
    std::fs::write(&marker, &list)
        .map_err(|e| HomeserverError::Setup(format!("cannot write {}: {e}", marker.display())))
}

/// `pip install` of a requirement into a virtualenv, plus the pins of its time for old releases.
async fn pip_install(
    venv: &Path,
    requirement: &str,
    pins: Vec<String>,
    progress: &(dyn Fn(&str) + Sync),
    log: &mut InstallLog,
) -> Result<(), HomeserverError> {
    let pip = venv.join("bin").join("pip");
    let mut args = vec![
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        requirement,
    ];
    args.extend(pins.iter().map(String::as_str));
    run_logged(&pip.to_string_lossy(), &args, progress, log).await
}

/// `1.116.0` → `(1, 116, 0)`; release candidates count as their release.
fn release_key(v: &str) -> Option<(u32, u32, u32)> {
    let v = v.split("rc").next()?;
    let mut it = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// The pins of `fixtures/synapse/constraints.yaml` that apply to a release (none for a checkout,
/// whose own lock file decides).
fn pins_for(fixtures: &Path, version: &str) -> Result<Vec<String>, HomeserverError> {
    let Some(release) = release_key(version) else {
        return Ok(Vec::new());
    };
    let path = fixtures.join("synapse").join("constraints.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let bad = |why: String| HomeserverError::Setup(format!("{}: {why}", path.display()));
    let node = crate::yaml::parse(&text).map_err(|e| bad(e.to_string()))?;
    let entries = crate::yaml::to_json(&node);
    let mut pins = Vec::new();
    let entries = entries.get("pins").cloned().unwrap_or_default();
    for e in entries.as_array().into_iter().flatten() {
        let below = e
            .get("below")
            .and_then(|b| b.as_str())
            .and_then(release_key)
            .ok_or_else(|| bad("every entry needs `below: \"X.Y.Z\"`".into()))?;
        if release < below {
            pins.extend(
                e.get("pins")
                    .and_then(|p| p.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_string)),
            );
        }
    }
    Ok(pins)
}

/// `synapse.__version__` of an installed venv.
async fn installed_version(python: &Path) -> Result<String, HomeserverError> {
    let out = tokio::process::Command::new(python)
        .args(["-c", "import synapse; print(synapse.__version__)"])
        .output()
        .await
        .map_err(|e| {
            HomeserverError::Setup(format!("cannot ask the installed Synapse its version: {e}"))
        })?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || v.is_empty() {
        return Err(HomeserverError::Setup(format!(
            "the installed Synapse does not say its version: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod source_tests {
    use super::*;

    #[test]
    fn old_releases_get_the_pins_of_their_time() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        assert!(pins_for(&fixtures, "1.116.0")
            .unwrap()
            .iter()
            .any(|p| p.starts_with("Twisted")));
        assert!(pins_for(&fixtures, "1.163.2").unwrap().is_empty());
        assert!(pins_for(&fixtures, "").unwrap().is_empty());
        assert_eq!(release_key("1.158.0rc1"), Some((1, 158, 0)));
    }

    #[test]
    fn targets_and_releases_are_read() {
        assert_eq!(
            SynapseSource::from_flags("synapse", None),
            Ok(SynapseSource::Pinned)
        );
        assert_eq!(
            SynapseSource::from_flags("synapse@1.157.0", None),
            Ok(SynapseSource::Release("1.157.0".into()))
        );
        assert!(SynapseSource::from_flags("synapse@1.158.0rc1", None).is_ok());
        assert!(SynapseSource::from_flags("synapse@latest", None)
            .unwrap_err()
            .contains("written like 1.157.0"));
        assert!(SynapseSource::from_flags("dendrite", None)
            .unwrap_err()
            .contains("unknown target `dendrite`"));
        assert!(
            SynapseSource::from_flags("synapse", Some(Path::new("/no/such/checkout")))
                .unwrap_err()
                .contains("no such file or folder")
        );
    }
}
