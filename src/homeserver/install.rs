//! Provisioning the pinned Synapse into a cached virtualenv.
//!
//! The venv lives under `$MSCHECK_CACHE_DIR` (default `$XDG_CACHE_HOME/mscheck` or
//! `~/.cache/mscheck`) in `synapse-<version>/`, and is reused once a marker file says the install
//! completed. A file lock keeps concurrent mscheck processes (parallel tests) from installing
//! twice.

use super::HomeserverError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

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
pub async fn ensure_synapse(
    fixtures: &Path,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SynapseInstall, HomeserverError> {
    let version = pinned_version(fixtures)?;
    let venv = cache_dir().join(format!("synapse-{version}"));
    let python = venv.join("bin").join("python");
    let marker = venv.join(".mscheck-installed");
    if marker.exists() {
        return Ok(SynapseInstall { python, version });
    }
    std::fs::create_dir_all(cache_dir()).map_err(|e| {
        HomeserverError::Setup(format!("cannot create {}: {e}", cache_dir().display()))
    })?;
    let lock_path = cache_dir().join(format!("synapse-{version}.lock"));
    let _lock = FileLock::acquire(&lock_path).await?;
    if marker.exists() {
        return Ok(SynapseInstall { python, version });
    }
    progress(&format!(
        "installing Synapse {version} into {} (first run only)",
        venv.display()
    ));
    let python3 = std::env::var("MSCHECK_PYTHON").unwrap_or_else(|_| "python3".into());
    if venv.exists() {
        let _ = std::fs::remove_dir_all(&venv);
    }
    run_logged(&python3, &["-m", "venv", &venv.to_string_lossy()], progress).await?;
    let pip = venv.join("bin").join("pip");
    let pip = pip.to_string_lossy();
    run_logged(
        &pip,
        &[
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            &format!("matrix-synapse=={version}"),
        ],
        progress,
    )
    .await?;
    std::fs::write(&marker, &version)
        .map_err(|e| HomeserverError::Setup(format!("cannot write {}: {e}", marker.display())))?;
    progress(&format!("Synapse {version} installed"));
    Ok(SynapseInstall { python, version })
}

async fn run_logged(
    program: &str,
    args: &[&str],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(), HomeserverError> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            HomeserverError::Setup(format!(
                "cannot run `{program}`: {e} (hint: install Python 3 with venv support)"
            ))
        })?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let mut tail: Vec<String> = Vec::new();
    let mut out = BufReader::new(stdout).lines();
    let mut err = BufReader::new(stderr).lines();
    let (mut out_done, mut err_done) = (false, false);
    while !(out_done && err_done) {
        tokio::select! {
            line = out.next_line(), if !out_done => match line {
                Ok(Some(l)) => { if l.starts_with("Collecting") || l.starts_with("Successfully") { progress(&l) } }
                _ => out_done = true,
            },
            line = err.next_line(), if !err_done => match line {
                Ok(Some(l)) => { tail.push(l); if tail.len() > 20 { tail.remove(0); } }
                _ => err_done = true,
            },
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| HomeserverError::Setup(format!("`{program}` failed: {e}")))?;
    if !status.success() {
        return Err(HomeserverError::Setup(format!(
            "`{program} {}` failed ({status}):\n{}",
            args.join(" "),
            tail.join("\n")
        )));
    }
    Ok(())
}

/// An exclusive `flock` on a file, released on drop.
struct FileLock {
    file: std::fs::File,
}

impl FileLock {
    async fn acquire(path: &Path) -> Result<Self, HomeserverError> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| {
                HomeserverError::Setup(format!("cannot open lock {}: {e}", path.display()))
            })?;
        let fd = file.as_raw_fd();
        // flock blocks; run it off the async workers. Another mscheck installing holds it for ~30 s.
        let ok =
            tokio::task::spawn_blocking(move || unsafe { libc::flock(fd, libc::LOCK_EX) } == 0)
                .await
                .unwrap_or(false);
        if !ok {
            return Err(HomeserverError::Setup(format!(
                "cannot lock {}",
                path.display()
            )));
        }
        Ok(FileLock { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}
