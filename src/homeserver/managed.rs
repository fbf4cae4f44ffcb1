//! A homeserver process mscheck starts, from an implementation profile, and always stops.
//!
//! Processes run in their own process group (so a terminal's Ctrl-C reaches mscheck, which then
//! stops them in order) with `PR_SET_PDEATHSIG` (so they die with mscheck even if it is killed).
//! Every live PID is also kept in a global list that the Ctrl-C handler and `Drop` clean up.

use super::config_file::{overlay_config, redacted_config};
use super::ports::free_port;
use super::profile::{Format, Profile};
use super::{keys, HomeserverError};
use crate::util::Held;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::process::Child;

static LIVE_PIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Servers prepared and not yet put away: (working folder, report folder, configuration files).
type Unarchived = (PathBuf, PathBuf, Vec<(String, Format)>);
static NOT_ARCHIVED: Mutex<Vec<Unarchived>> = Mutex::new(Vec::new());

/// Kills every managed process still alive (Ctrl-C, panic) and puts their files away (logs into
/// the report, working files deleted). Safe to call twice.
pub fn kill_all_managed() {
    let pids: Vec<i32> = std::mem::take(&mut *LIVE_PIDS.held());
    for pid in pids {
        unsafe {
            libc::kill(pid, libc::SIGCONT);
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let left: Vec<Unarchived> = std::mem::take(&mut *NOT_ARCHIVED.held());
    for (data, report, configs) in left {
        archive_files(&data, &report, &configs);
    }
}

fn track(pid: i32) {
    LIVE_PIDS.held().push(pid);
}

fn untrack(pid: i32) {
    LIVE_PIDS.held().retain(|p| *p != pid);
}

/// Ports and names of one managed server.
#[derive(Debug, Clone)]
pub struct ManagedConfig {
    /// `hs1` / `hs2`.
    pub name: String,
    /// Client-server port (plain HTTP).
    pub client_port: u16,
    /// Federation port (TLS).
    pub federation_port: u16,
    /// `localhost:<federation_port>`.
    pub server_name: String,
    /// Data, config and logs.
    pub data_dir: PathBuf,
    /// Registration shared secret.
    pub shared_secret: String,
    /// The registered application service's `as_token` (its `hs_token` is never used by mscheck
    /// and stays in the data folder).
    pub as_token: String,
    /// The application service's `hs_token`.
    pub hs_token: String,
    /// A registration token, for profiles whose servers register users by token.
    pub registration_token: String,
}

/// The localpart of the application service's own user on managed servers.
pub const APPSERVICE_SENDER: &str = "mscheck-appservice";

/// The folder under which managed servers keep their working files (database, keys, media):
/// `$MSCHECK_WORK_DIR`, else the system's temporary folder. Only their logs and a redacted copy of
/// their configuration go into the report.
pub fn work_root() -> PathBuf {
    std::env::var_os("MSCHECK_WORK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

/// What a profile's `start` runs: the provisioned program (`{{python}}` for pip-provisioned
/// Synapse, `{{program}}` for a command) and the version it reports.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The profile.
    pub profile: std::sync::Arc<Profile>,
    /// `{{python}}`: the virtualenv's interpreter (pip provisioning).
    pub python: Option<PathBuf>,
    /// `{{program}}`: the server's program (command provisioning).
    pub program: Option<PathBuf>,
    /// The implementation's version, for reports and expectations.
    pub version: String,
}

/// A managed homeserver.
pub struct ManagedServer {
    config: ManagedConfig,
    /// Where its logs and redacted configuration are copied when it is put away.
    report_dir: PathBuf,
    archived: std::sync::atomic::AtomicBool,
    launch: Launch,
    child: tokio::sync::Mutex<Option<Child>>,
    paused: std::sync::atomic::AtomicBool,
}

impl ManagedServer {
    /// Prepares the working folder (the profile's files rendered, needs merged into its
    /// configuration, keys, certificate); does not start the process.
    pub fn prepare(
        name: &str,
        launch: Launch,
        data_dir: PathBuf,
        report_dir: PathBuf,
        overlay: Option<&serde_json::Value>,
    ) -> Result<Self, HomeserverError> {
        std::fs::create_dir_all(data_dir.join("media")).map_err(|e| {
            HomeserverError::Setup(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        // The server runs inside this folder and its config names files by path: make it absolute.
        let data_dir = std::fs::canonicalize(&data_dir).map_err(|e| {
            HomeserverError::Setup(format!("cannot resolve {}: {e}", data_dir.display()))
        })?;
        let client_port = free_port()?;
        let federation_port = free_port()?;
        let config = ManagedConfig {
            name: name.to_string(),
            client_port,
            federation_port,
            server_name: format!("localhost:{federation_port}"),
            data_dir: data_dir.clone(),
            shared_secret: keys::random_hex::<24>(),
            as_token: keys::random_hex::<24>(),
            hs_token: keys::random_hex::<24>(),
            registration_token: keys::random_hex::<12>(),
        };
        keys::write_tls(&data_dir)?;
        keys::write_signing_key(&data_dir)?;
        let profile = &launch.profile;
        for file in &profile.files {
            let template_path = profile.dir().join(&file.template);
            let template = std::fs::read_to_string(&template_path).map_err(|e| {
                HomeserverError::Setup(format!(
                    "cannot read {} (a template of the profile {}): {e}",
                    template_path.display(),
                    profile.file.display()
                ))
            })?;
            let mut rendered = render(&template, &config, &launch);
            if let (Some(o), Some(format)) = (overlay, file.format) {
                rendered = overlay_config(&rendered, o, format)?;
            }
            std::fs::write(data_dir.join(&file.to), rendered).map_err(|e| {
                HomeserverError::Setup(format!(
                    "cannot write config into {}: {e}",
                    data_dir.display()
                ))
            })?;
        }
        let server = ManagedServer {
            config,
            report_dir,
            archived: false.into(),
            launch,
            child: tokio::sync::Mutex::new(None),
            paused: false.into(),
        };
        NOT_ARCHIVED.held().push((
            server.config.data_dir.clone(),
            server.report_dir.clone(),
            server.config_files(),
        ));
        Ok(server)
    }

    /// The profile this server runs from.
    pub fn profile(&self) -> &Profile {
        &self.launch.profile
    }

    /// Names and ports.
    pub fn config(&self) -> &ManagedConfig {
        &self.config
    }

    /// The client-server base URL.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.config.client_port)
    }

    /// Starts the process and waits until `/versions` answers.
    pub async fn start(&self, http: &reqwest::Client) -> Result<(), HomeserverError> {
        let mut guard = self.child.lock().await;
        if guard.is_some() {
            return Ok(());
        }
        let console = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.config.data_dir.join("console.log"))
            .map_err(|e| HomeserverError::Setup(format!("cannot open console log: {e}")))?;
        let console2 = console
            .try_clone()
            .map_err(|e| HomeserverError::Setup(e.to_string()))?;
        let profile = &self.launch.profile;
        let r = |t: &str| render(t, &self.config, &self.launch);
        let mut cmd = tokio::process::Command::new(r(&profile.program));
        cmd.args(profile.args.iter().map(|a| r(a)))
            .envs(profile.env.iter().map(|(k, v)| (k.clone(), r(v))))
            .current_dir(&self.config.data_dir)
            .stdin(std::process::Stdio::null())
            .stdout(console)
            .stderr(console2)
            .kill_on_drop(true)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to SIGKILL the child when
        // the thread that spawned it dies, so a crashed or killed mscheck leaves no server behind.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| {
            HomeserverError::Setup(format!(
                "cannot start `{}` (profile {}): {e}",
                r(&profile.program),
                profile.file.display()
            ))
        })?;
        let pid = child.id().map(|p| p as i32).unwrap_or(0);
        track(pid);
        *guard = Some(child);
        let started = Instant::now();
        let url = format!("{}{}", self.base_url(), profile.ready_path);
        loop {
            if let Some(child) = guard.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    untrack(pid);
                    *guard = None;
                    return Err(HomeserverError::StartFailed {
                        name: self.config.name.clone(),
                        detail: format!(
                            "the server exited ({status}) before it was ready:\n{}",
                            self.log_tail(15)
                        ),
                    });
                }
            }
            if let Ok(r) = http.get(&url).timeout(Duration::from_secs(2)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if started.elapsed() > profile.ready_within {
                drop(guard);
                self.stop().await;
                return Err(HomeserverError::StartFailed {
                    name: self.config.name.clone(),
                    detail: format!(
                        "no answer on {url} within {}s:\n{}",
                        profile.ready_within.as_secs(),
                        self.log_tail(15)
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the process: the profile's stop signal, then SIGKILL after its grace period.
    pub async fn stop(&self) {
        let mut guard = self.child.lock().await;
        let Some(mut child) = guard.take() else {
            return;
        };
        let pid = child.id().map(|p| p as i32).unwrap_or(0);
        if pid > 0 {
            unsafe {
                libc::kill(pid, self.launch.profile.resume_signal);
                libc::kill(pid, self.launch.profile.stop_signal);
            }
        }
        self.paused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if tokio::time::timeout(self.launch.profile.stop_grace, child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
        untrack(pid);
    }

    /// Stops and starts again with the same data.
    pub async fn restart(&self, http: &reqwest::Client) -> Result<(), HomeserverError> {
        self.stop().await;
        self.start(http).await
    }

    /// The profile's pause signal (SIGSTOP: the server keeps its sockets but answers nothing).
    pub async fn pause(&self) -> Result<(), HomeserverError> {
        self.signal(self.launch.profile.pause_signal).await?;
        self.paused.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// The profile's resume signal.
    pub async fn resume(&self) -> Result<(), HomeserverError> {
        self.signal(self.launch.profile.resume_signal).await?;
        self.paused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    async fn signal(&self, sig: i32) -> Result<(), HomeserverError> {
        let guard = self.child.lock().await;
        let pid = guard
            .as_ref()
            .and_then(|c| c.id())
            .ok_or_else(|| HomeserverError::NotRunning(self.config.name.clone()))?;
        unsafe { libc::kill(pid as i32, sig) };
        Ok(())
    }

    /// Puts a stopped server away: copies its logs and its configuration, with every secret
    /// value replaced, into the report, then deletes its working files (the database holds access
    /// tokens, the folder its signing and TLS keys). Safe to call twice.
    pub fn archive(&self) {
        if self
            .archived
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        NOT_ARCHIVED
            .held()
            .retain(|(d, _, _)| *d != self.config.data_dir);
        archive_files(
            &self.config.data_dir,
            &self.report_dir,
            &self.config_files(),
        );
    }

    /// The profile's files that hold configuration, with their formats (for redacted copies).
    fn config_files(&self) -> Vec<(String, Format)> {
        self.launch
            .profile
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

    /// The last lines of the server's logs, for error messages.
    pub fn log_tail(&self, n: usize) -> String {
        let mut lines = Vec::new();
        for f in ["console.log", "homeserver.log"] {
            if let Ok(text) = std::fs::read_to_string(self.config.data_dir.join(f)) {
                lines.extend(text.lines().map(str::to_string));
            }
        }
        let start = lines.len().saturating_sub(n);
        lines[start..].join("\n")
    }
}

impl Drop for ManagedServer {
    fn drop(&mut self) {
        // Last line of defence (panic, early return): signal and reap synchronously.
        if let Some(mut child) = self.child.get_mut().take() {
            if let Some(pid) = child.id() {
                let pid = pid as i32;
                unsafe {
                    libc::kill(pid, self.launch.profile.resume_signal);
                    libc::kill(pid, self.launch.profile.stop_signal);
                }
                let deadline = Instant::now() + Duration::from_secs(5);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        untrack(pid);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                unsafe { libc::kill(pid, libc::SIGKILL) };
                untrack(pid);
            }
        }
        self.archive();
    }
}

/// Copies a server's logs and redacted configuration from its working folder into its report
/// folder, then deletes the working folder (and the run's work folder once it is empty).
fn archive_files(data_dir: &Path, report_dir: &Path, configs: &[(String, Format)]) {
    let _ = std::fs::create_dir_all(report_dir);
    for log in ["console.log", "homeserver.log"] {
        let _ = std::fs::copy(data_dir.join(log), report_dir.join(log));
    }
    for (name, format) in configs {
        if let Some(text) = redacted_config(&data_dir.join(name), *format) {
            let _ = std::fs::write(report_dir.join(name), text);
        }
    }
    let _ = std::fs::remove_dir_all(data_dir);
    if let Some(parent) = data_dir.parent() {
        let _ = std::fs::remove_dir(parent);
    }
}

/// Fills the `{{placeholders}}` of a profile's templates, program, arguments and environment.
pub fn render(template: &str, c: &ManagedConfig, launch: &Launch) -> String {
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    template
        .replace("{{server_name}}", &c.server_name)
        .replace("{{client_port}}", &c.client_port.to_string())
        .replace("{{federation_port}}", &c.federation_port.to_string())
        .replace("{{data_dir}}", &c.data_dir.to_string_lossy())
        .replace(
            "{{tls_cert}}",
            &c.data_dir.join("tls.crt").to_string_lossy(),
        )
        .replace("{{tls_key}}", &c.data_dir.join("tls.key").to_string_lossy())
        .replace(
            "{{signing_key}}",
            &c.data_dir.join("signing.key").to_string_lossy(),
        )
        .replace("{{shared_secret}}", &c.shared_secret)
        .replace("{{registration_token}}", &c.registration_token)
        .replace("{{as_token}}", &c.as_token)
        .replace("{{hs_token}}", &c.hs_token)
        .replace("{{appservice_sender}}", APPSERVICE_SENDER)
        .replace("{{python}}", &path(&launch.python))
        .replace("{{program}}", &path(&launch.program))
        .replace("{{profile_dir}}", &launch.profile.dir().to_string_lossy())
}

#[cfg(test)]
#[path = "managed_tests.rs"]
mod tests;
