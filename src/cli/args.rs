//! Flags. Every flag's help text is what `mscheck help run` prints.

use crate::session::{RegistrationMethod, SnapshotPolicy};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Conformance harness for Matrix homeservers (MSC4354 sticky events, MSC4140 delayed events).
#[derive(Debug, Parser)]
#[command(name = "mscheck", version = crate::catalogue::version_line(), about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against managed Synapse (default) or your own homeserver (--hs1).
    Run(Box<RunArgs>),
    /// List the scenarios a selection would run.
    List(ListArgs),
    /// List the requirement catalogue for the chosen revisions, with the scenarios covering each
    /// (`--proof`: the checks judging each and the faults that break them).
    Requirements(RequirementsArgs),
    /// List the faults `run --inject NAME` can inject: what each breaks and what it does.
    Faults(FaultsArgs),
    /// Compare two runs (results.json or report folders): regressions, fixes, skips, observations,
    /// slowdowns. Exits 1 when anything regressed.
    Compare(CompareArgs),
    /// Show a finished run from its report folder (or results.json) as the terminal showed it:
    /// targets, each scenario's verdict with its failure, the counts (`--failed`: only what did
    /// not pass).
    Show(ShowArgs),
    /// Merge the report folders of a `--partition k/n` run into one report.
    Merge(MergeArgs),
    /// Write an expectations file listing every failure of a run (a starting point for a new
    /// implementation's CI).
    Baseline(BaselineArgs),
    /// The built-in suites, catalogue and fixtures.
    Suites(SuitesArgs),
    /// A compatibility matrix of several runs (any servers, versions, revisions): requirements as
    /// rows, one column per run, written as matrix.html and matrix.md.
    Matrix(MatrixArgs),
    /// Print the JSON Schema of scenario files (for editors: see the README).
    Schema(SchemaArgs),
    /// Print the step kinds, their fields and what each holds (docs/steps.md).
    Steps,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one per command into a folder.
    Man(ManArgs),
}

/// `mscheck matrix`.
#[derive(Debug, Clone, Args)]
pub struct MatrixArgs {
    /// The runs: report folders or results.json files, one column each, in this order.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Where matrix.html and matrix.md go.
    #[arg(long, default_value = "mscheck-matrix", value_name = "DIR")]
    pub out: PathBuf,
    /// Print matrix.md (or, with `--counts`, the counts table) to standard output instead of
    /// writing files.
    #[arg(long)]
    pub stdout: bool,
    /// Only the table of scenario counts per run and proposal (the README's compatibility table).
    #[arg(long, requires = "stdout")]
    pub counts: bool,
}

/// `mscheck schema`.
#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    /// Write it to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `mscheck completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `mscheck man`.
#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write mscheck.1 and one mscheck-<command>.1 per command into this folder.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// `mscheck requirements`.
#[derive(Debug, Clone, Args)]
pub struct RequirementsArgs {
    /// `text` (default) or `json` (for scripts).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub format: OutputFormat,
    /// Only these requirement IDs (e.g. S-13 D-07), each with the scenarios covering it.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Selection (its revisions decide which requirements are listed).
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print, per requirement, the steps judging it in each covering scenario and the faults
    /// (fixtures/faults.yaml) that break them, or why none can (fixtures/proof-exemptions.yaml),
    /// as Markdown.
    #[arg(long)]
    pub proof: bool,
    /// Print, per requirement, the surfaces the catalogue says it is observable on (endpoint and
    /// part of the answer, initial or incremental, new or continued connection) with the steps
    /// judging it on each, and the ones nothing judges.
    #[arg(long, conflicts_with = "proof")]
    pub surfaces: bool,
}

/// `mscheck faults`.
#[derive(Debug, Clone, Args)]
pub struct FaultsArgs {
    /// Folder holding suites/ and fixtures/ (default: the current folder, else the built-in copy).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// List the mutants generated from the catalogue's surfaces instead (`mutant:ID:SURFACE:OP`,
    /// injected like a fault) with the requirement, surface and operator of each.
    #[arg(long)]
    pub mutants: bool,
}

/// `mscheck list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// `text` (default) or `json` (for scripts).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub format: OutputFormat,
    /// Preview a managed target (as `run --target`): which scenarios it would run, and which it
    /// would skip and why. Nothing is installed or started.
    #[arg(long, value_name = "TARGET", conflicts_with = "hs1",
          value_parser = Offered(profile_names), hide_possible_values = true)]
    pub target: Option<String>,
    /// Preview an external target (as `run --hs1`), without contacting it.
    #[arg(long, value_name = "URL")]
    pub hs1: Option<String>,
    /// With --hs1: a second server (as `run --hs2`).
    #[arg(long, value_name = "URL", requires = "hs1")]
    pub hs2: Option<String>,
}

/// How `list` and `requirements` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One line each, for people.
    Text,
    /// A JSON array, for scripts.
    Json,
}

/// How `compare` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// For people.
    Text,
    /// For CI comments.
    Markdown,
    /// For scripts.
    Json,
}

/// `mscheck compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The older run: its results.json or report folder.
    pub old: PathBuf,
    /// The newer run.
    pub new: PathBuf,
    /// `text` (default), `markdown` (for CI comments) or `json`.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text, value_name = "FORMAT")]
    pub format: CompareFormat,
    /// Compare runs of different revisions anyway.
    #[arg(long)]
    pub allow_revision_change: bool,
    /// A masked regression (passed before, now failing as the new run's expectations file says)
    /// counts as a regression: exit 1.
    #[arg(long)]
    pub strict: bool,
}

/// `mscheck show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The run: its report folder or results.json.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// Only the scenarios that did not pass (failed, errored, warned, not implemented).
    #[arg(long)]
    pub failed: bool,
    /// Expected failures too, with their failure details.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `mscheck merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The report folders of every slice.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where the merged report goes.
    #[arg(long, default_value = "mscheck-merged", value_name = "DIR")]
    pub out: PathBuf,
}

/// `mscheck baseline`.
#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    /// A run's results.json or report folder.
    pub results: PathBuf,
    /// Write the expectations file here (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `mscheck suites`.
#[derive(Debug, Clone, Args)]
pub struct SuitesArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SuitesAction,
}

/// `mscheck suites …`.
#[derive(Debug, Clone, Subcommand)]
pub enum SuitesAction {
    /// Write the built-in suites/, fixtures/ and snapshots/ into DIR, for editing (then run with
    /// `--root DIR`, or from DIR).
    Export {
        /// The folder (created; existing files are not overwritten).
        dir: PathBuf,
    },
}

/// Which scenarios.
#[derive(Debug, Clone, Args)]
pub struct SelectArgs {
    /// Only this suite (folder under suites/); repeatable.
    #[arg(long, value_name = "NAME", value_parser = Offered(suite_names), hide_possible_values = true)]
    pub suite: Vec<String>,
    /// Only scenarios whose id or name contains TEXT; repeatable (any matches).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Only scenarios covering requirement ID (e.g. S-13); repeatable (any matches).
    #[arg(long, value_name = "ID")]
    pub requirement: Vec<String>,
    /// Revision per proposal, e.g. msc4354=seed or msc4140=newest (default: newest); repeatable.
    #[arg(long, value_name = "PROPOSAL=REV")]
    pub revision: Vec<String>,
    /// Run the k-th of n slices of the selection (1-based), e.g. 2/3.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<String>,
    /// Folder holding suites/ and fixtures/ (default: the current folder, else the source tree).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// `mscheck run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Scenarios running at once, 1 to 256 (default: six per core, at least 4 and at most 32;
    /// they mostly wait on timers). The longest start first, by their time in the last run's
    /// results.json in the report folder (else by their own holds, outages and sampled
    /// lifetimes). Scenarios that stop, pause or configure a server get private managed servers
    /// and run alongside the others; booting those is limited to half the cores at once.
    /// `scripts/bench-run.sh [RUNS] [flags]` measures wall time, peak memory and flakes.
    #[arg(long, value_name = "N", value_parser = jobs_in_range)]
    pub jobs: Option<usize>,
    /// The most mscheck reads of one answer from a server, e.g. `64MiB` (default 16MiB, at
    /// least 1KiB, at most 1GiB); a larger answer fails its step.
    #[arg(long, value_name = "SIZE", value_parser = body_size)]
    pub max_body: Option<usize>,
    /// How much of the report folder answers over 64KB may take in all (written once each,
    /// by hash, beside the transcripts), e.g. `512MiB` (default 128MiB); past it, transcripts
    /// keep the first 4KB of such answers and the run says so.
    #[arg(long, value_name = "SIZE", value_parser = budget_size)]
    pub transcript_budget: Option<u64>,
    /// The managed server: `synapse` (the pinned release), `synapse@1.157.0` (any release from
    /// PyPI, each cached in a venv of its own), NAME (a profile in fixtures/targets/NAME.yaml) or
    /// PATH (a profile file of your own).
    #[arg(long, default_value = "synapse", value_name = "TARGET",
          value_parser = Offered(profile_names), hide_possible_values = true)]
    pub target: String,
    /// A Synapse checkout or wheel to pip-install and manage instead of a release (a venv per
    /// content, so every change to a branch gets a fresh install).
    #[arg(long, value_name = "PATH")]
    pub synapse_from: Option<PathBuf>,
    /// The server program for a profile that runs a command (overrides its `provision.command`),
    /// e.g. the binary a CI job just built.
    #[arg(long, value_name = "PATH")]
    pub program: Option<PathBuf>,
    /// Your homeserver's client-server URL instead of a managed server:
    /// `http(s)://host[:port][/path]`, no credentials, query or fragment.
    #[arg(long, value_name = "URL")]
    pub hs1: Option<String>,
    /// A second homeserver federating with --hs1, for two-server scenarios.
    #[arg(long, value_name = "URL")]
    pub hs2: Option<String>,
    /// How to create users on --hs1/--hs2: `shared-secret` (Synapse admin API; secret read from
    /// $MSCHECK_SHARED_SECRET / $MSCHECK_HS2_SHARED_SECRET), `token` (registration token from
    /// $MSCHECK_REGISTRATION_TOKEN, or $MSCHECK_HS2_REGISTRATION_TOKEN for hs2) or `open`.
    #[arg(long, value_enum, default_value_t = RegistrationMethod::SharedSecret, value_name = "METHOD")]
    pub registration: RegistrationMethod,
    /// Implementation name of --hs1 (selects expectations and snapshots), e.g. `synapse`;
    /// default: what its federation /version endpoint says, when it is on loopback.
    #[arg(long, value_name = "NAME")]
    pub implementation: Option<String>,
    /// Version of --hs1's implementation, e.g. 1.163.2.
    #[arg(long, value_name = "VERSION")]
    pub impl_version: Option<String>,
    /// Where reports go (default: target/mscheck-report).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Expectations file (default: fixtures/expectations/<implementation>-<version>.yaml); `none` disables.
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// Inject a named fault from fixtures/faults.yaml (to show the scenarios catch a server that
    /// breaks what the fault breaks); repeatable.
    #[arg(long, value_name = "NAME")]
    pub inject: Vec<String>,
    /// Snapshots: `review` (default: new and changed ones are reported and left as `.snap.new`;
    /// they never fail a scenario), `strict` (changed snapshots fail the run), `update` (accept
    /// new and changed ones; not under CI). Under CI pending copies go to the report folder.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub snapshots: Option<SnapshotPolicy>,
    /// Same as `--snapshots update`.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Only the scenarios that failed, errored or were not implemented in the report folder's
    /// last run (at that run's revisions unless --revision is given), as pytest's --last-failed.
    #[arg(long)]
    pub last_failed: bool,
    /// A recommendation (SHOULD, SHOULD NOT, MAY) not met fails the run too (exit 1); without
    /// it, such a scenario is reported as a warning (WARN) and the run can still pass.
    #[arg(long)]
    pub strict: bool,
    /// Show failure details of expected failures too.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `--jobs`: 1 to 256.
fn jobs_in_range(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a number from 1 to 256")),
    }
}

/// `--max-body`: a size from 1 KiB to 1 GiB.
fn body_size(text: &str) -> Result<usize, String> {
    match crate::units::parse_bytes(text) {
        Some(n) if (1024..=1024 * 1024 * 1024).contains(&n) => Ok(n as usize),
        Some(_) => Err(format!("`{text}` is outside 1KiB…1GiB")),
        None => Err(format!(
            "`{text}` is not a size (a number of bytes, or with KiB/MiB/GiB)"
        )),
    }
}

/// `--transcript-budget`: a size up to 64 GiB (0 keeps heads only).
fn budget_size(text: &str) -> Result<u64, String> {
    match crate::units::parse_bytes(text) {
        Some(n) if n <= 64 * 1024 * 1024 * 1024 => Ok(n),
        Some(_) => Err(format!("`{text}` is above 64GiB")),
        None => Err(format!(
            "`{text}` is not a size (a number of bytes, or with KiB/MiB/GiB)"
        )),
    }
}

/// Any text, with the built-in names offered to shell completions (and not enforced: a
/// `--root` folder of your own may hold other suites, a path may name your own profile).
#[derive(Clone)]
struct Offered(fn() -> Vec<&'static str>);

impl clap::builder::TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.0)()
                .into_iter()
                .map(|v| clap::builder::PossibleValue::new(v).hide(false)),
        ))
    }
}

fn suite_names() -> Vec<&'static str> {
    crate::embedded::built_in_names("suites/", "/")
}

fn profile_names() -> Vec<&'static str> {
    crate::embedded::built_in_names("fixtures/targets/", ".yaml")
}
