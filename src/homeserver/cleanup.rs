//! Putting managed servers away, whatever happens: every live server process and every working
//! folder not yet put away is known here, so that a normal stop, a failed start or setup, a panic
//! and Ctrl-C all end the same way: processes killed, the profile's teardown run (when setup
//! began), logs and redacted configuration copied into the report, working files (keys,
//! database) deleted.

use super::config_file::redacted_config;
use super::hooks;
use super::profile::{Format, Profile};
use crate::held::Held;
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

/// The record, in an instance's working folder, of the teardown it owes: a later run that finds
/// the folder left by a killed mscheck runs it before deleting the folder.
const OWED_TEARDOWN: &str = "owed-teardown.json";

/// From now on, putting this folder away runs the teardown first. The teardown is also written
/// into the folder, for the case where mscheck is killed before it can run it.
pub(super) fn owe_teardown(data_dir: &std::path::Path, teardown: Vec<hooks::Prepared>) {
    if !teardown.is_empty() {
        let record = serde_json::to_vec(&teardown).unwrap_or_default();
        let _ = write_private(&data_dir.join(OWED_TEARDOWN), &record);
    }
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
        if alive || !e.path().is_dir() {
            continue;
        }
        run_owed_teardowns(&e.path());
        if std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Runs the teardowns the instances under a dead run's folder still owe (a PostgreSQL cluster
/// they started, say). Only from folders and records this user owns and nobody else may write:
/// anyone can create folders in a shared temporary folder, and a planted record would otherwise
/// be a command mscheck runs.
fn run_owed_teardowns(run_dir: &std::path::Path) {
    if !owned_by_me_and_closed(run_dir) {
        return;
    }
    let Ok(instances) = std::fs::read_dir(run_dir) else {
        return;
    };
    for instance in instances.flatten() {
        let dir = instance.path();
        let record = dir.join(OWED_TEARDOWN);
        if !owned_by_me_and_closed(&dir) || !owned_by_me_and_closed(&record) {
            continue;
        }
        let Ok(text) = crate::limits::read_text_capped(&record, 1 << 20) else {
            continue;
        };
        if let Ok(teardown) = serde_json::from_str::<Vec<hooks::Prepared>>(&text) {
            // The folder goes next: what the teardown printed is not kept.
            let _ = hooks::run("teardown", &teardown, &dir.join("console.log"));
        }
    }
}

/// Writes a file only this user may read or write.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    std::io::Write::write_all(&mut f, bytes)
}

/// Whether `path` (not a symbolic link) belongs to this user and no one else may write to it.
fn owned_by_me_and_closed(path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    !meta.file_type().is_symlink()
        && meta.uid() == unsafe { libc::geteuid() }
        && meta.mode() & 0o022 == 0
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

    /// A dead run's folder whose instance owes `sh -c 'touch MARKER'`, with `mode` on the run
    /// folder.
    fn dead_run_owing_a_touch(root: &std::path::Path, hex: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let run = root.join(format!("mscheck-999999999-{hex}"));
        let instance = run.join("hs1");
        std::fs::create_dir_all(&instance).unwrap();
        let marker = root.join(format!("ran-{hex}"));
        let teardown = vec![hooks::Prepared {
            argv: vec![
                "sh".into(),
                "-c".into(),
                format!("touch '{}'", marker.display()),
            ],
            shown: "touch".into(),
            env: Default::default(),
            dir: instance.clone(),
            within: std::time::Duration::from_secs(10),
        }];
        let record = serde_json::to_vec(&teardown).unwrap();
        write_private(&instance.join(OWED_TEARDOWN), &record).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(mode)).unwrap();
        marker
    }

    #[test]
    fn a_dead_runs_owed_teardown_runs_only_from_a_folder_no_one_else_could_write() {
        let root = tempfile::tempdir().unwrap();
        let mine = dead_run_owing_a_touch(root.path(), "0000000a", 0o755);
        let planted = dead_run_owing_a_touch(root.path(), "0000000b", 0o777);
        assert_eq!(remove_stale(root.path()), 2);
        assert!(mine.exists(), "the owed teardown ran");
        assert!(
            !planted.exists(),
            "a record anyone could have written is not run"
        );
    }
}
