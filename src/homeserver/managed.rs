//! A homeserver process mscheck starts, from an implementation profile, and always stops.
//!
//! Processes run in their own process group (so a terminal's Ctrl-C reaches mscheck, which then
//! stops them in order) with `PR_SET_PDEATHSIG` (so they die with mscheck even if it is killed).
//! Every live PID is also kept in a global list that the Ctrl-C handler and `Drop` clean up.

pub use super::cleanup::kill_all_managed;
use super::cleanup::{self, config_files, track, untrack, Leftover};
use super::config_file::overlay_config;
use super::error::HomeserverError;
pub use super::instance::{Launch, ManagedConfig, APPSERVICE_SENDER};
use super::placeholders::{self, render};
use super::ports::free_port;
use super::profile::Profile;
use super::{hooks, keys};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::Child;

/// The folder under which managed servers keep their working files (database, keys, media):
/// `$MSCHECK_WORK_DIR`, else the system's temporary folder. Only their logs and a redacted copy of
/// their configuration go into the report.
pub fn work_root() -> PathBuf {
    std::env::var_os("MSCHECK_WORK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

/// A managed homeserver.
pub struct ManagedServer {
    config: ManagedConfig,
    archived: std::sync::atomic::AtomicBool,
    launch: Launch,
    child: tokio::sync::Mutex<Option<Child>>,
    paused: std::sync::atomic::AtomicBool,
}

impl ManagedServer {
    /// Prepares the working folder (the profile's files rendered, needs merged into its
    /// configuration, keys, certificate); does not run the setup or start the process. A folder
    /// that cannot be completed is removed again.
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
        // Writable by this user alone, whatever the umask: a later run trusts the teardown it
        // finds recorded here only in folders no one else could write (see `cleanup`).
        for dir in [Some(data_dir.as_path()), data_dir.parent()]
            .into_iter()
            .flatten()
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
        }
        // The server runs inside this folder and its config names files by path: make it absolute.
        let data_dir = match std::fs::canonicalize(&data_dir) {
            Ok(d) => d,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&data_dir);
                return Err(HomeserverError::Setup(format!(
                    "cannot resolve {}: {e}",
                    data_dir.display()
                )));
            }
        };
        let leftover = Leftover {
            data_dir: data_dir.clone(),
            report_dir,
            configs: config_files(&launch.profile),
            teardown: None,
        };
        // From here on, whatever happens (an error below, a panic, Ctrl-C), the folder goes.
        cleanup::register(leftover.clone());
        let made = Self::fill(name, &launch, &data_dir, overlay);
        let config = match made {
            Ok(c) => c,
            Err(e) => {
                cleanup::put_away_now(&data_dir);
                return Err(e);
            }
        };
        Ok(ManagedServer {
            config,
            archived: false.into(),
            launch,
            child: tokio::sync::Mutex::new(None),
            paused: false.into(),
        })
    }

    /// Ports, secrets, keys and the rendered files of a new working folder.
    fn fill(
        name: &str,
        launch: &Launch,
        data_dir: &Path,
        overlay: Option<&serde_json::Value>,
    ) -> Result<ManagedConfig, HomeserverError> {
        let profile = &launch.profile;
        let mut templates = Vec::new();
        for file in &profile.files {
            let template_path = profile.dir().join(&file.template);
            let template = std::fs::read_to_string(&template_path).map_err(|e| {
                HomeserverError::Setup(format!(
                    "cannot read {} (a template of the profile {}): {e}",
                    template_path.display(),
                    profile.file.display()
                ))
            })?;
            templates.push(template);
        }
        let mut ports = std::collections::BTreeMap::new();
        for port in
            placeholders::port_names(templates.iter().map(String::as_str).chain(profile.texts()))
        {
            ports.insert(port, free_port()?);
        }
        let federation_port = free_port()?;
        keys::write_tls(data_dir)?;
        let config = ManagedConfig {
            name: name.to_string(),
            client_port: free_port()?,
            federation_port,
            server_name: format!("localhost:{federation_port}"),
            data_dir: data_dir.to_path_buf(),
            shared_secret: crate::random::random_hex::<24>(),
            as_token: crate::random::random_hex::<24>(),
            hs_token: crate::random::random_hex::<24>(),
            registration_token: crate::random::random_hex::<12>(),
            instance_id: placeholders::instance_id(name),
            signing_key_id: keys::write_signing_key(data_dir)?,
            ports,
        };
        for (file, template) in profile.files.iter().zip(&templates) {
            let mut rendered = render(template, &config, launch);
            if let (Some(o), Some(format)) = (overlay, file.format) {
                rendered = overlay_config(&rendered, o, format)?;
            }
            let to = data_dir.join(&file.to);
            if let Some(parent) = to.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            std::fs::write(&to, rendered).map_err(|e| {
                HomeserverError::Setup(format!(
                    "cannot write {} (`to: {}` of the profile {}): {e}",
                    to.display(),
                    file.to,
                    profile.file.display()
                ))
            })?;
        }
        Ok(config)
    }

    /// Runs the profile's `setup` commands (once, before the first start). From the moment it
    /// begins, the server owes its `teardown`, which [`Self::archive`] runs.
    pub fn setup(&self) -> Result<(), HomeserverError> {
        let data_dir = &self.config.data_dir;
        let teardown = self.hook_commands(&self.launch.profile.teardown);
        cleanup::owe_teardown(data_dir, teardown);
        let setup = self.hook_commands(&self.launch.profile.setup);
        hooks::run("setup", &setup, &data_dir.join("console.log")).map_err(|e| {
            HomeserverError::StartFailed {
                name: self.config.name.clone(),
                detail: e.to_string(),
            }
        })
    }

    /// A hook's commands with this instance's placeholders filled.
    fn hook_commands(&self, commands: &[hooks::HookCommand]) -> Vec<hooks::Prepared> {
        let r = |t: &str| render(t, &self.config, &self.launch);
        commands
            .iter()
            .map(|c| hooks::Prepared {
                argv: c.argv.iter().map(|a| r(a)).collect(),
                shown: c.argv.join(" "),
                env: self
                    .launch
                    .profile
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), r(v)))
                    .collect(),
                dir: self.config.data_dir.clone(),
                within: c.within,
            })
            .collect()
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
        let profile = &self.launch.profile;
        let child = self.command()?.spawn().map_err(|e| {
            HomeserverError::Setup(format!(
                "cannot start `{}` (profile {}): {e}",
                render(&profile.program, &self.config, &self.launch),
                profile.file.display()
            ))
        })?;
        let pid = child.id().map(|p| p as i32).unwrap_or(0);
        track(pid);
        *guard = Some(child);
        self.wait_ready(guard, pid, http).await
    }

    /// The profile's start command with this instance's placeholders filled, writing into its
    /// console log, in a process group of its own that dies with mscheck.
    fn command(&self) -> Result<tokio::process::Command, HomeserverError> {
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
        Ok(cmd)
    }

    /// Polls the readiness path until it answers 2xx, the process exits, or the profile's
    /// `ready.within` runs out (the server is then stopped); a failure says what answered.
    async fn wait_ready(
        &self,
        mut guard: tokio::sync::MutexGuard<'_, Option<Child>>,
        pid: i32,
        http: &reqwest::Client,
    ) -> Result<(), HomeserverError> {
        let profile = &self.launch.profile;
        let started = Instant::now();
        let url = format!("{}{}", self.base_url(), profile.ready_path);
        let mut answers = ReadinessLog::default();
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
            match http.get(&url).timeout(Duration::from_secs(2)).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => answers.note(format!("answered {}", r.status().as_u16())),
                Err(e) if e.is_timeout() => answers.note("did not answer within 2 s".into()),
                Err(e) if e.is_connect() => answers.note("refused the connection".into()),
                Err(_) => answers.note("broke the connection".into()),
            }
            if started.elapsed() > profile.ready_within {
                drop(guard);
                self.stop().await;
                return Err(HomeserverError::StartFailed {
                    name: self.config.name.clone(),
                    detail: format!(
                        "not ready: GET {url}, every {} ms for {}, never answered 2xx ({}):\n{}",
                        READY_POLL.as_millis(),
                        crate::units::human_duration(profile.ready_within),
                        answers.summary(),
                        self.log_tail(15)
                    ),
                });
            }
            tokio::time::sleep(READY_POLL).await;
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

    /// Puts a stopped server away: runs the profile's teardown (if its setup began), copies its
    /// logs and its configuration, with every secret value replaced, into the report, then
    /// deletes its working files (the database holds access tokens, the folder its signing and
    /// TLS keys). Safe to call twice.
    pub fn archive(&self) {
        if self
            .archived
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        cleanup::put_away_now(&self.config.data_dir);
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

/// How often a starting server's readiness path is asked.
const READY_POLL: Duration = Duration::from_millis(100);

/// What a starting server answered its readiness path, counted by kind, in first-seen order.
#[derive(Default)]
struct ReadinessLog(Vec<(String, usize)>);

impl ReadinessLog {
    fn note(&mut self, what: String) {
        match self.0.iter_mut().find(|(w, _)| *w == what) {
            Some((_, n)) => *n += 1,
            None => self.0.push((what, 1)),
        }
    }

    /// "answered 404 ×48, refused the connection ×2".
    fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(w, n)| format!("{w} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
#[path = "managed_tests.rs"]
mod tests;
