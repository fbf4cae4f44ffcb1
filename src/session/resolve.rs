//! From a [`RunRequest`] to a run's settings: every input (suites, faults, profile,
//! expectations, URLs, names) read and checked here, before any server is contacted, so that bad
//! input is exit 2 with nothing sent.

use super::load::{check_requirements, load, selection, Loaded};
use super::request::{ExpectationsFile, RegistrationMethod, RunRequest, Servers, SnapshotPolicy};
use crate::error::Error;
use crate::expectations::Expectations;
use crate::fault::{load_faults, Fault};
use crate::homeserver::Registration;
use crate::hs::Hs;
use crate::plan::{self, Selection};
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The managed servers' profile from `--target` (`synapse`, `synapse@X.Y.Z`, a profile name in
/// `fixtures/targets/`, or a profile file) and `--synapse-from`.
fn managed_setup(
    fixtures: &Path,
    servers: &Servers,
) -> Result<crate::homeserver::ManagedSetup, Error> {
    use crate::homeserver::install::SynapseSource;
    // External servers still get the pinned Synapse's setup: it is never booted for them.
    let (target, synapse_from, program) = match servers {
        Servers::Managed {
            target,
            synapse_from,
            program,
        } => (target.as_str(), synapse_from.as_deref(), program.as_ref()),
        Servers::External { .. } => ("synapse", None, None),
    };
    let synapse_target = target == "synapse" || target.starts_with("synapse@");
    let (profile_path, synapse) = if synapse_target {
        let source = SynapseSource::from_flags(target, synapse_from).map_err(Error::Usage)?;
        (fixtures.join("targets").join("synapse.yaml"), source)
    } else {
        let source = match synapse_from {
            Some(p) => SynapseSource::from_flags("synapse", Some(p)).map_err(Error::Usage)?,
            None => SynapseSource::Pinned,
        };
        let path = crate::homeserver::find_profile(fixtures, target)
            .map_err(|e| Error::Usage(format!("`--target {target}`: {e}")))?;
        (path, source)
    };
    let mut profile = crate::homeserver::profile::Profile::load(&profile_path)?;
    if let Some(program) = program {
        use crate::homeserver::profile::Provision;
        if matches!(profile.provision, Provision::SynapsePip { .. }) {
            return Err(Error::Usage(format!(
                "`--program` names the program of a profile that runs a command; {} installs Synapse with pip (use --synapse-from)",
                profile_path.display()
            )));
        }
        let absolute = std::path::absolute(program).unwrap_or_else(|_| program.clone());
        profile.provision = Provision::Command(absolute.to_string_lossy().to_string());
    }
    Ok(crate::homeserver::ManagedSetup {
        profile: Arc::new(profile),
        fixtures: fixtures.to_path_buf(),
        synapse,
    })
}

/// A run's settings, every input read and checked.
pub(super) struct Settings {
    pub(super) loaded: Loaded,
    pub(super) managed: crate::homeserver::ManagedSetup,
    pub(super) plan: Vec<Arc<Scenario>>,
    pub(super) selection: Selection,
    pub(super) faults: Vec<Fault>,
    pub(super) report_dir: PathBuf,
    pub(super) expectations: ExpectationsChoice,
    pub(super) request: RunRequest,
    /// The last run's duration per scenario (from the report folder), to start the longest first.
    pub(super) previous_durations: BTreeMap<String, u64>,
}

impl Settings {
    /// Whether mscheck boots the servers itself.
    pub(super) fn managed(&self) -> bool {
        matches!(self.request.servers, Servers::Managed { .. })
    }
}

/// Which expectations a run uses, read and checked before any server is contacted.
pub(super) enum ExpectationsChoice {
    /// `--expectations FILE` (or `none`).
    Given(Expectations),
    /// Every shipped file, by path: the one for the implementation found is picked later.
    Shipped(Vec<(PathBuf, Expectations)>),
}

impl ExpectationsChoice {
    /// The expectations for hs1's implementation and version.
    pub(super) fn pick(
        &self,
        dir: &Path,
        implementation: Option<&str>,
        version: Option<&str>,
    ) -> Expectations {
        match self {
            ExpectationsChoice::Given(e) => e.clone(),
            ExpectationsChoice::Shipped(files) => implementation
                .and_then(|i| Expectations::find(dir, i, version))
                .and_then(|p| files.iter().find(|(f, _)| *f == p))
                .map(|(_, e)| e.clone())
                .unwrap_or_default(),
        }
    }
}

pub(super) fn resolve(mut req: RunRequest) -> Result<Settings, Error> {
    let loaded = load(req.select.root.as_deref(), &req.select.suites)?;
    req.select.requirements = check_requirements(&loaded.catalogue, &req.select.requirements)?;
    let mut selection = selection(&req.select);
    let faults = injected_faults(&loaded, &req.inject)?;
    snapshot_policy(req.snapshots, req.ci)?;
    check_servers(&req.servers)?;
    let report_dir = req
        .report_dir
        .clone()
        .unwrap_or_else(|| match &loaded.source {
            // Not next to a project: the report goes into the current folder.
            crate::embedded::Source::BuiltIn(_) => PathBuf::from("mscheck-report"),
            _ => loaded.root.join("target").join("mscheck-report"),
        });
    let plan = plan_of(&loaded, &req.select, &mut selection, &report_dir)?;
    let managed = managed_setup(&loaded.root.join("fixtures"), &req.servers)?;
    let expectations = read_expectations(&req.expectations, &loaded)?;
    Ok(Settings {
        loaded,
        managed,
        plan,
        selection,
        faults,
        report_dir,
        expectations,
        request: req,
        previous_durations: BTreeMap::new(),
    })
}

/// The faults (and repairs, and generated mutants) `--inject` names; an unknown name is refused
/// with the nearest ones.
fn injected_faults(loaded: &Loaded, inject: &[String]) -> Result<Vec<Fault>, Error> {
    let mut all_faults = load_faults(&loaded.root.join("fixtures").join("faults.yaml"))?;
    // Repairs (positive controls: rewrites that make a server's answers what the text requires)
    // are injected like faults.
    let repairs = loaded.root.join("fixtures").join("repairs.yaml");
    if repairs.exists() {
        all_faults.extend(load_faults(&repairs)?);
    }
    let mut faults = Vec::new();
    for name in inject {
        let generated = name
            .starts_with(crate::mutants::PREFIX)
            .then(|| crate::mutants::find(&loaded.catalogue, name))
            .flatten();
        match all_faults.get(name).cloned().or(generated) {
            Some(f) => faults.push(f),
            None => {
                // The nearest name, else the names that contain what was typed.
                let near = crate::text::did_you_mean(name, all_faults.keys().map(String::as_str))
                    .map(|h| vec![h.to_string()])
                    .unwrap_or_else(|| {
                        all_faults
                            .keys()
                            .filter(|k| k.contains(name.as_str()))
                            .take(4)
                            .cloned()
                            .collect()
                    });
                let hint = match near.as_slice() {
                    [] => String::new(),
                    names => format!(
                        " (did you mean {}?)",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                };
                return Err(Error::Usage(format!(
                    "unknown fault `{name}`{hint}; `mscheck faults` lists them"
                )));
            }
        }
    }
    Ok(faults)
}

/// External servers' URLs, registration secrets, and declared implementation and version.
fn check_servers(servers: &Servers) -> Result<(), Error> {
    let (implementation, version) = match servers {
        Servers::External {
            hs1,
            hs2,
            registration,
            implementation,
            version,
        } => {
            for (hs, given) in [(Hs::Hs1, Some(hs1)), (Hs::Hs2, hs2.as_ref())] {
                if let Some(url) = given {
                    check_server_url(hs.name(), url)?;
                    registration_method(hs, *registration)?;
                }
            }
            (implementation.as_ref(), version.as_ref())
        }
        Servers::Managed { .. } => (None, None),
    };
    if let Some(i) = implementation {
        if !crate::names::valid_implementation(i) {
            return Err(Error::Usage(format!(
                "`--implementation {}`: an implementation name is 1–64 characters of [a-z0-9._-], starting with a letter or digit (it names the expectations file and the snapshot folder)",
                crate::escape::escape_control(i)
            )));
        }
    }
    if let Some(v) = version {
        if !crate::names::valid_version(v) {
            return Err(Error::Usage(format!(
                "`--impl-version {}`: a version is 1–64 characters of [A-Za-z0-9._+-], starting with a letter or digit",
                crate::escape::escape_control(v)
            )));
        }
    }
    Ok(())
}

/// The selected scenarios (only what did not pass last time, with `--last-failed`); none is an
/// error that says why.
fn plan_of(
    loaded: &Loaded,
    select: &super::request::SelectRequest,
    selection: &mut Selection,
    report_dir: &Path,
) -> Result<Vec<Arc<Scenario>>, Error> {
    let last_failed = if select.last_failed {
        let keep_revisions = !select.revisions.is_empty();
        Some(last_failed(report_dir, keep_revisions, selection)?)
    } else {
        None
    };
    let plan: Vec<Arc<Scenario>> = plan::select(&loaded.scenarios, selection)
        .into_iter()
        .filter(|s| last_failed.as_ref().is_none_or(|ids| ids.contains(&s.id)))
        .cloned()
        .map(Arc::new)
        .collect();
    if plan.is_empty() {
        return Err(match last_failed {
            Some(ids) if ids.is_empty() => Error::NothingToRerun(report_dir.to_path_buf()),
            _ => Error::Usage(
                "no scenario matches the given --suite/--filter/--requirement/--revision/--partition".into(),
            ),
        });
    }
    Ok(plan)
}

/// `--last-failed`: what did not pass in the report folder's last run, at that run's revisions
/// unless `--revision` says otherwise.
fn last_failed(
    report_dir: &Path,
    keep_revisions: bool,
    selection: &mut Selection,
) -> Result<std::collections::BTreeSet<String>, Error> {
    let last = crate::results::RunReport::load(report_dir).map_err(|e| {
        Error::Usage(format!(
            "`--last-failed` reruns what failed in the last run's report ({}): {}",
            report_dir.display(),
            e.to_string().trim_start_matches("error: ")
        ))
    })?;
    if !keep_revisions {
        selection.revisions = last.revisions.clone();
    }
    Ok(last
        .scenarios
        .iter()
        .filter(|r| r.outcome.is_bad())
        .map(|r| r.id.clone())
        .collect())
}

/// Every expectations file this run could use, read and checked now: the one given, or every
/// shipped one (the implementation is learnt later).
fn read_expectations(
    file: &ExpectationsFile,
    loaded: &Loaded,
) -> Result<ExpectationsChoice, Error> {
    let ids = scenario_ids(&loaded.scenarios);
    Ok(match file {
        ExpectationsFile::None => ExpectationsChoice::Given(Expectations::default()),
        ExpectationsFile::Path(p) => {
            ExpectationsChoice::Given(Expectations::load(p, &loaded.catalogue, &ids)?)
        }
        ExpectationsFile::Shipped => {
            let dir = loaded.root.join("fixtures").join("expectations");
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            files.sort();
            let mut shipped = Vec::new();
            for f in files {
                let e = Expectations::load(&f, &loaded.catalogue, &ids)?;
                shipped.push((f, e));
            }
            ExpectationsChoice::Shipped(shipped)
        }
    })
}

/// `--hs1`/`--hs2`: an `http(s)://host[:port][/path]` URL with a host, no credentials, query or
/// fragment (what a client-server base URL is), refused before anything is sent.
/// The profile `--target TARGET` would run, read but not provisioned (for previews).
pub fn target_profile(
    fixtures: &Path,
    target: &str,
) -> Result<Arc<crate::homeserver::profile::Profile>, Error> {
    let servers = Servers::Managed {
        target: target.to_string(),
        synapse_from: None,
        program: None,
    };
    Ok(managed_setup(fixtures, &servers)?.profile)
}

/// Checks an `--hs1`/`--hs2` URL without contacting it.
pub fn check_server_url(name: &str, url: &str) -> Result<(), Error> {
    let shown = crate::escape::escape_control(url);
    let bad = |why: &str| Error::Usage(format!("`--{name} {shown}`: {why}"));
    // `localhost:8008` and `127.0.0.1:8008` are what people type for a local server.
    let did_you_mean = if url.contains("://") {
        String::new()
    } else {
        format!("; did you mean `--{name} http://{shown}`?")
    };
    let parsed =
        reqwest::Url::parse(url).map_err(|e| bad(&format!("not a URL ({e}){did_you_mean}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(&format!("not an http(s) URL{did_you_mean}")));
    }
    match parsed.host_str() {
        None | Some("") => return Err(bad("names no host")),
        Some(_) => {}
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "holds credentials; registration secrets come from the environment (see --registration)",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("a base URL has no query or fragment"));
    }
    Ok(())
}

/// The snapshot policy, refused where it cannot apply: `update` writes into snapshots/, which a
/// CI run never does.
pub(super) fn snapshot_policy(policy: SnapshotPolicy, ci: bool) -> Result<SnapshotPolicy, Error> {
    if policy == SnapshotPolicy::Update && ci {
        return Err(Error::Usage(
            "`--snapshots update` writes into snapshots/, which a CI run never does (CI is set); pending snapshots are in the report folder".into(),
        ));
    }
    Ok(policy)
}

fn scenario_ids(s: &[Scenario]) -> Vec<&str> {
    s.iter().map(|x| x.id.as_str()).collect()
}

/// `--registration` for one external server; secrets come from the environment, never a flag
/// (flags show up in process lists and CI logs). hs2 has variables of its own; a registration
/// token may be shared by both.
pub(super) fn registration_method(
    name: Hs,
    method: RegistrationMethod,
) -> Result<Registration, Error> {
    let word = method.word();
    let read = |keys: &[&str]| -> Result<String, Error> {
        keys.iter()
            .find_map(|k| std::env::var(k).ok())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "`--registration {word}` reads the secret for {name} from ${}, which is not set",
                    keys.join(" or $")
                ))
            })
    };
    let hs2 = name == Hs::Hs2;
    Ok(match method {
        RegistrationMethod::Open => Registration::Open,
        RegistrationMethod::SharedSecret if hs2 => {
            Registration::SharedSecret(read(&["MSCHECK_HS2_SHARED_SECRET"])?)
        }
        RegistrationMethod::SharedSecret => {
            Registration::SharedSecret(read(&["MSCHECK_SHARED_SECRET"])?)
        }
        RegistrationMethod::Token if hs2 => Registration::Token(read(&[
            "MSCHECK_HS2_REGISTRATION_TOKEN",
            "MSCHECK_REGISTRATION_TOKEN",
        ])?),
        RegistrationMethod::Token => Registration::Token(read(&["MSCHECK_REGISTRATION_TOKEN"])?),
    })
}
