//! Putting managed servers away, whatever happens: every live server process and every working
//! folder not yet put away is known here, so that a normal stop, a failed start or setup, a panic
//! and Ctrl-C all end the same way: processes killed, the profile's teardown run (when setup
//! began), logs and redacted configuration copied into the report, working files (keys,
//! database) deleted.

use super::config_file::redacted_config;
use super::hooks;
use super::profile::{Format, Profile};
use crate::util::Held;
use std::path::PathBuf;
use std::sync::Mutex;

static LIVE_PIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// A server's files not yet put away: its working folder, where its logs go, its configuration
/// files, and the teardown it owes once its setup has begun.
#[derive(Debug, Clone)]
pub(super) struct Leftover {
    pub(super) data_dir: PathBuf,
    pub(super) report_dir: PathBuf,
    pub(super) configs: Vec<(String, Format)>,
    pub(super) teardown: Option<Vec<hooks::Prepared>>,
}
static NOT_ARCHIVED: Mutex<Vec<Leftover>> = Mutex::new(Vec::new());

/// Kills every managed process still alive (Ctrl-C, panic) and puts their files away (teardown
/// run, logs into the report, working files deleted). Safe to call twice.
pub fn kill_all_managed() {
    hooks::kill_running();
    let pids: Vec<i32> = std::mem::take(&mut *LIVE_PIDS.held());
    for pid in pids {
        unsafe {
            libc::kill(pid, libc::SIGCONT);
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let left: Vec<Leftover> = std::mem::take(&mut *NOT_ARCHIVED.held());
    for l in left {
        put_away(&l);
    }
}

pub(super) fn track(pid: i32) {
    LIVE_PIDS.held().push(pid);
}

pub(super) fn untrack(pid: i32) {
    LIVE_PIDS.held().retain(|p| *p != pid);
}

/// Remembers a working folder until it is put away.
pub(super) fn register(l: Leftover) {
    NOT_ARCHIVED.held().push(l);
}

/// From now on, putting this folder away runs the teardown first.
pub(super) fn owe_teardown(data_dir: &std::path::Path, teardown: Vec<hooks::Prepared>) {
    for l in NOT_ARCHIVED.held().iter_mut() {
        if l.data_dir == data_dir {
            l.teardown = Some(teardown.clone());
        }
    }
}

/// Puts one folder away now, if it has not been.
pub(super) fn put_away_now(data_dir: &std::path::Path) {
    let mut left = NOT_ARCHIVED.held();
    let mine = left.iter().position(|l| l.data_dir == data_dir);
    let leftover = mine.map(|i| left.remove(i));
    drop(left);
    if let Some(l) = leftover {
        put_away(&l);
    }
}

/// The profile's files that hold configuration, with their formats (for redacted copies).
pub(super) fn config_files(profile: &Profile) -> Vec<(String, Format)> {
    profile
        .files
        .iter()
        .filter_map(|f| {
            let format = f.format.or_else(|| {
                (f.to.ends_with(".yaml") || f.to.ends_with(".yml")).then_some(Format::Yaml)
            })?;
            Some((f.to.clone(), format))
        })
        .collect()
}

/// Runs a server's teardown (when its setup began), copies its logs and redacted configuration
/// from its working folder into its report folder, then deletes the working folder (and the
/// run's work folder once it is empty).
fn put_away(l: &Leftover) {
    let data_dir = &l.data_dir;
    if let Some(teardown) = &l.teardown {
        // A failure is in the log the report keeps; the folder goes regardless.
        if let Err(e) = hooks::run("teardown", teardown, &data_dir.join("console.log")) {
            let _ = std::fs::OpenOptions::new()
                .append(true)
                .open(data_dir.join("console.log"))
                .and_then(|mut f| {
                    std::io::Write::write_all(&mut f, format!("mscheck: {e}\n").as_bytes())
                });
        }
    }
    let _ = std::fs::create_dir_all(&l.report_dir);
    for log in ["console.log", "homeserver.log"] {
        let _ = std::fs::copy(data_dir.join(log), l.report_dir.join(log));
    }
    for (name, format) in &l.configs {
        if let Some(text) = redacted_config(&data_dir.join(name), *format) {
            let to = l.report_dir.join(name);
            if let Some(parent) = to.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(to, text);
        }
    }
    let _ = std::fs::remove_dir_all(data_dir);
    if let Some(parent) = data_dir.parent() {
        let _ = std::fs::remove_dir(parent);
    }
}

/// Removes the working folders (`mscheck-<pid>-<hex>`) that an mscheck process which no longer
/// runs left under `root`: one killed outright (SIGKILL, a power cut) cannot put its servers
/// away, and their folders hold keys and databases. Folders of live mscheck processes are kept.
/// Returns how many were removed.
pub(super) fn remove_stale(root: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = stale_candidate(&name) else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let alive = !cmdline.is_empty() && String::from_utf8_lossy(&cmdline).contains("mscheck");
        if !alive && e.path().is_dir() && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// `mscheck-1234-0a1b2c3d` → 1234 (the folder name [`super::Targets::boot_managed`] gives).
fn stale_candidate(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("mscheck-")?;
    let (pid, hex) = rest.split_once('-')?;
    (hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| pid.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_of_dead_runs_go_and_others_stay() {
        let root = tempfile::tempdir().unwrap();
        // A PID above the kernel's limit is never alive.
        let dead = root.path().join("mscheck-999999999-0a1b2c3d");
        let mine = root
            .path()
            .join(format!("mscheck-{}-0a1b2c3d", std::process::id()));
        let other = root.path().join("mscheck-unreachable");
        for d in [&dead, &mine, &other] {
            std::fs::create_dir_all(d.join("hs1")).unwrap();
            std::fs::write(d.join("hs1/signing.key"), "k").unwrap();
        }
        assert_eq!(remove_stale(root.path()), 1);
        assert!(!dead.exists());
        assert!(other.exists(), "not a name mscheck gives");
        // This test binary's name contains "mscheck": its own folder is a live run's.
        assert!(mine.exists());
    }
}
