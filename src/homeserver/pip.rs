//! Running pip for an install: its output into a log file with a progress line every few
//! packages, and a file lock so that concurrent mscheck processes do not install twice.

use super::error::HomeserverError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Where an installation's output goes: every line into the log file, a count of the packages
/// pip collected for the progress lines.
pub(super) struct InstallLog {
    file: std::fs::File,
    path: PathBuf,
    pub(super) collected: usize,
}

impl InstallLog {
    pub(super) fn create(path: &Path) -> Result<Self, HomeserverError> {
        let file = std::fs::File::create(path)
            .map_err(|e| HomeserverError::Setup(format!("cannot write {}: {e}", path.display())))?;
        Ok(InstallLog {
            file,
            path: path.to_path_buf(),
            collected: 0,
        })
    }

    fn line(&mut self, line: &str) {
        use std::io::Write;
        let _ = writeln!(self.file, "{line}");
    }
}

/// Packages between two progress lines while pip collects them.
const PROGRESS_EVERY: usize = 15;

pub(super) async fn run_logged(
    program: &str,
    args: &[&str],
    progress: &(dyn Fn(&str) + Sync),
    log: &mut InstallLog,
) -> Result<(), HomeserverError> {
    log.line(&format!("$ {program} {}", args.join(" ")));
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
                Ok(Some(l)) => {
                    log.line(&l);
                    if let Some(package) = l.strip_prefix("Collecting ") {
                        log.collected += 1;
                        if log.collected.is_multiple_of(PROGRESS_EVERY) {
                            let name = package.split_whitespace().next().unwrap_or(package);
                            progress(&format!("pip: {} packages collected ({name})", log.collected));
                        }
                    }
                }
                _ => out_done = true,
            },
            line = err.next_line(), if !err_done => match line {
                Ok(Some(l)) => {
                    log.line(&l);
                    tail.push(l);
                    if tail.len() > 20 { tail.remove(0); }
                }
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
            "`{program} {}` failed ({status}); the whole output is in {}; its last lines:\n{}",
            args.join(" "),
            log.path.display(),
            tail.join("\n")
        )));
    }
    Ok(())
}

/// An exclusive `flock` on a file, released on drop.
pub(super) struct FileLock {
    file: std::fs::File,
}

impl FileLock {
    pub(super) async fn acquire(path: &Path) -> Result<Self, HomeserverError> {
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
