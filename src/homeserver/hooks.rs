//! A profile's per-instance `setup` and `teardown` commands: what a server needs around it that
//! is not its own process (a database created before the first start and dropped after the last
//! stop, a cache, a schema). Setup runs once per managed instance, after its files are written
//! and before it first starts; teardown once, after it last stops, whenever setup began, also
//! after a failed start or setup, a panic or Ctrl-C. Each command has a time limit; what it
//! prints goes to the instance's `console.log`, which the report keeps.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Process groups of hook commands running now, for [`kill_running`].
static RUNNING: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Kills every hook command still running, with whatever it started (Ctrl-C, panic): its
/// teardown follows and must not race it.
pub fn kill_running() {
    use crate::held::Held;
    for group in std::mem::take(&mut *RUNNING.held()) {
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
}

/// How long a hook command may run unless the profile says otherwise.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(60);

/// One command of a hook, as the profile wrote it (placeholders not yet filled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCommand {
    /// The program, then its arguments.
    pub argv: Vec<String>,
    /// Its time limit.
    pub within: Duration,
}

/// Reads `setup:` / `teardown:`: a list of `{run: [program, args…], within: 30s}`.
pub fn parse(v: Option<&Value>, key: &str) -> Result<Vec<HookCommand>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let shape = || {
        format!(
            "`{key}` is a list of commands, each `{{run: [program, arg, …], within: 30s}}` (`within` optional, default 60s)"
        )
    };
    let list = v.as_array().ok_or_else(shape)?;
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let map = item.as_object().ok_or_else(shape)?;
        if let Some(k) = map.keys().find(|k| *k != "run" && *k != "within") {
            return Err(format!(
                "`{key}[{i}].{k}`: unknown key (a command has `run` and `within`)"
            ));
        }
        let argv: Vec<String> = match map.get("run").and_then(Value::as_array) {
            Some(a) if !a.is_empty() => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect(),
            _ => {
                return Err(format!(
                    "`{key}[{i}].run` must list the program and its arguments"
                ))
            }
        };
        let within = match map.get("within") {
            None => DEFAULT_WITHIN,
            Some(w) => w
                .as_str()
                .and_then(crate::units::parse_duration)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("`{key}[{i}].within` must be a duration such as 30s"))?,
        };
        out.push(HookCommand { argv, within });
    }
    Ok(out)
}

/// A hook command ready to run: placeholders filled, environment and folder set.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Prepared {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// The command as the profile wrote it, placeholders unfilled: what the log shows, so that a
    /// secret handed to a command (`{{shared_secret}}`) never reaches the report.
    pub shown: String,
    /// Extra environment (the profile's `start.env`).
    pub env: BTreeMap<String, String>,
    /// The instance's working folder, where it runs.
    pub dir: PathBuf,
    /// Its time limit.
    pub within: Duration,
}

/// Why a hook command failed.
#[derive(Debug)]
pub struct HookFailed {
    /// `setup` or `teardown`.
    pub hook: &'static str,
    /// The program.
    pub program: String,
    /// What happened.
    pub detail: String,
}

impl std::fmt::Display for HookFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the profile's {} command `{}` {}",
            self.hook, self.program, self.detail
        )
    }
}

/// Runs the commands in order, each to its end or its time limit, appending what they print to
/// `log`. Stops at the first that fails (setup) or runs them all and reports the first failure
/// (teardown: undo as much as can be undone).
pub fn run(hook: &'static str, commands: &[Prepared], log: &Path) -> Result<(), HookFailed> {
    let mut first_failure = None;
    for c in commands {
        if let Err(e) = run_one(hook, c, log) {
            if hook == "setup" {
                return Err(e);
            }
            first_failure.get_or_insert(e);
        }
    }
    first_failure.map_or(Ok(()), Err)
}

fn run_one(hook: &'static str, c: &Prepared, log: &Path) -> Result<(), HookFailed> {
    let program = c.argv[0].clone();
    let failed = |detail: String| HookFailed {
        hook,
        program: program.clone(),
        detail,
    };
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| failed(format!("has no log: cannot open {}: {e}", log.display())))?;
    let _ = writeln!(out, "mscheck: {hook}: {}", c.shown);
    let err = out.try_clone().map_err(|e| failed(e.to_string()))?;
    // Output straight into the log, not through a pipe: a command that leaves a daemon behind
    // (`pg_ctl start`) would otherwise hold the pipe open after it exits.
    let mut cmd = Command::new(&program);
    cmd.args(&c.argv[1..])
        .envs(&c.env)
        .current_dir(&c.dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().map_err(|e| failed(e.to_string()))?)
        .stderr(err)
        .process_group(0);
    // SAFETY: prctl is async-signal-safe. A command still running when mscheck dies (Ctrl-C
    // during a setup) is killed with it; the teardown then undoes what it began.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| failed(format!("cannot start: {e}")))?;
    let group = child.id() as i32;
    {
        use crate::held::Held;
        RUNNING.held().push(group);
    }
    let result = wait(hook, &mut child, c, log, &mut out, &failed);
    {
        use crate::held::Held;
        RUNNING.held().retain(|g| *g != group);
    }
    result
}

/// Waits for a hook command to its end or its time limit.
fn wait(
    hook: &'static str,
    child: &mut std::process::Child,
    c: &Prepared,
    log: &Path,
    out: &mut std::fs::File,
    failed: &dyn Fn(String) -> HookFailed,
) -> Result<(), HookFailed> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => {
                let _ = writeln!(
                    out,
                    "mscheck: {hook}: done in {}",
                    crate::units::human_duration(started.elapsed())
                );
                return Ok(());
            }
            Ok(Some(status)) => {
                return Err(failed(format!(
                    "failed ({status}); its output is in the instance's console.log:\n{}",
                    tail(log, 10)
                )))
            }
            Ok(None) if started.elapsed() >= c.within => {
                // The whole group: the command and anything it started.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                return Err(failed(format!(
                    "did not finish within {} and was killed",
                    crate::units::human_duration(c.within)
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(failed(format!("cannot be waited for: {e}"))),
        }
    }
}

fn tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Tests that run hook commands, and the one that kills them all, take turns.
#[cfg(test)]
pub(crate) static RUNS_HOOKS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn turn() -> std::sync::MutexGuard<'static, ()> {
        RUNS_HOOKS.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn prepared(dir: &Path, argv: &[&str], within: Duration) -> Prepared {
        Prepared {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            shown: argv.join(" "),
            env: BTreeMap::from([("GREETING".into(), "hello".into())]),
            dir: dir.to_path_buf(),
            within,
        }
    }

    #[test]
    fn parses_commands_with_limits_and_names_mistakes() {
        let hooks = parse(
            Some(&json!([{"run": ["createdb", "x"]}, {"run": ["true"], "within": "5s"}])),
            "setup",
        )
        .unwrap();
        assert_eq!(hooks[0].within, DEFAULT_WITHIN);
        assert_eq!(hooks[1].within, Duration::from_secs(5));
        let e = parse(Some(&json!([{"run": []}])), "setup").unwrap_err();
        assert!(e.contains("`setup[0].run`"), "{e}");
        let e = parse(Some(&json!([{"run": ["x"], "timeout": "5s"}])), "teardown").unwrap_err();
        assert!(e.contains("`teardown[0].timeout`: unknown key"), "{e}");
        let e = parse(Some(&json!("createdb x")), "setup").unwrap_err();
        assert!(e.contains("list of commands"), "{e}");
    }

    #[test]
    fn output_goes_to_the_log_and_a_failure_quotes_it() {
        let _turn = turn();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("console.log");
        let ok = prepared(
            dir.path(),
            &["sh", "-c", "echo $GREETING; pwd"],
            DEFAULT_WITHIN,
        );
        run("setup", &[ok], &log).unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("hello\n"), "{text}");
        assert!(
            text.contains(&dir.path().display().to_string()),
            "runs in the folder"
        );
        let bad = prepared(
            dir.path(),
            &["sh", "-c", "echo nope >&2; exit 3"],
            DEFAULT_WITHIN,
        );
        let e = run("setup", &[bad], &log).unwrap_err().to_string();
        assert!(
            e.contains("setup command `sh` failed") && e.contains("nope"),
            "{e}"
        );
    }

    #[test]
    fn a_command_over_its_limit_is_killed_with_what_it_started() {
        let _turn = turn();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("console.log");
        let slow = prepared(
            dir.path(),
            &["sh", "-c", "sleep 30 & sleep 30"],
            Duration::from_millis(300),
        );
        let started = Instant::now();
        let e = run("teardown", &[slow], &log).unwrap_err().to_string();
        assert!(e.contains("did not finish within"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn teardown_runs_every_command_even_after_one_fails() {
        let _turn = turn();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("console.log");
        let marker = dir.path().join("second-ran");
        let cmds = [
            prepared(dir.path(), &["false"], DEFAULT_WITHIN),
            prepared(dir.path(), &["touch", "second-ran"], DEFAULT_WITHIN),
        ];
        assert!(run("teardown", &cmds, &log).is_err());
        assert!(marker.exists());
        let _ = std::fs::remove_file(&marker);
        assert!(run("setup", &cmds, &log).is_err());
        assert!(!marker.exists(), "setup stops at the first failure");
    }
}
