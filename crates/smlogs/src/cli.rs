//! Command line: the guide's top-level help, one subcommand per kind, kubectl-style flags.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Command, FromArgMatches};

use crate::job_lookup::JobKind;
use crate::output::{OutputFormat, TimestampFormat};

// Flags shared by every kind's subcommand. (A plain comment: a doc comment would replace each
// subcommand's about text.)
#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    /// Name of the object in Kubernetes
    pub name: String,
    /// Namespace of the object (default: the kubeconfig context's namespace)
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Kubeconfig context to use
    #[arg(long)]
    pub context: Option<String>,
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Keep streaming new events until the job ends
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only streams whose name after "<job>/" starts with this (for example algo-2)
    #[arg(short = 'p', long = "log-search-prefix")]
    pub log_search_prefix: Option<String>,
    /// Leave the log stream name out of each line
    #[arg(long)]
    pub hide_log_stream_name: bool,
    /// Only events newer than this duration ago (for example 30s, 5m, 2h)
    #[arg(long, conflicts_with = "start_time", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// Only events at or after this RFC 3339 time (for example 2019-11-20T23:45:00Z)
    #[arg(long)]
    pub start_time: Option<String>,
    /// Start with only the newest N events of all streams together
    #[arg(long, value_name = "N")]
    pub tail: Option<u32>,
    /// How the time of each event is written
    #[arg(long, value_enum, default_value_t = TimestampFormat::Utc)]
    pub timestamps: TimestampFormat,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Time between reads in follow mode (for example 2s, 500ms)
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub poll_interval: Duration,
}

/// `30s`, `5m`, `1h30m`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed: jiff::SignedDuration = text.trim().parse().map_err(|error| format!("{error}"))?;
    Duration::try_from(parsed).map_err(|_| "a duration cannot be negative".to_owned())
}

/// Each kind: canonical subcommand name (as the guide lists it), what users may type instead
/// (compared ignoring case), whether the guide lists it.
const KINDS: [(JobKind, &str, &[&str], bool); 5] = [
    (
        JobKind::BatchTransformJob,
        "BatchTransformJob",
        &["batchtransformjobs", "batchtransform"],
        true,
    ),
    (JobKind::TrainingJob, "TrainingJob", &["trainingjobs"], true),
    (
        JobKind::HyperparameterTuningJob,
        "HyperparameterTuningJob",
        &["hyperparametertuningjobs", "hyperparametertuningjob", "hpo"],
        false,
    ),
    // Not in the guide's help text (which the plugin reproduces); documented in docs/smlogs.md.
    (
        JobKind::ProcessingJob,
        "ProcessingJob",
        &["processingjobs", "processing"],
        false,
    ),
    (
        JobKind::CompilationJob,
        "CompilationJob",
        &["compilationjobs", "compilation"],
        false,
    ),
];

const HELP_COLUMN: usize = 24;

fn root_help_template() -> String {
    let mut commands = String::new();
    for (_, name, _, listed) in KINDS {
        if listed {
            commands.push_str(&format!(
                "  {name:<HELP_COLUMN$}View {name} logs via Kubernetes\n"
            ));
        }
    }
    commands.push_str(&format!(
        "  {:<HELP_COLUMN$}Help about any command\n",
        "help"
    ));
    format!(
        "{{about}}\n\nUsage:\n  {{usage}}\n\nAliases:\n  smlogs, SMLogs, Smlogs\n\n\
         Available Commands:\n{commands}\nFlags:\n  -h, --help   help for smlogs\n\n\
         Use \"smlogs [command] --help\" for more information about a command.\n"
    )
}

pub fn command() -> Command {
    let mut root = Command::new("smlogs")
        .bin_name("smlogs")
        .about("View Amazon SageMaker logs via Kubernetes")
        .override_usage("smlogs [command]")
        .help_template(root_help_template())
        .subcommand_required(true)
        .disable_version_flag(true);
    for (_, name, _, listed) in KINDS {
        let sub = Command::new(name)
            .about(format!("View {name} logs via Kubernetes"))
            .hide(!listed);
        root = root.subcommand(LogArgs::augment_args(sub));
    }
    root
}

/// The top-level help exactly as `kubectl smlogs` shows it.
pub fn root_help() -> String {
    command().render_help().to_string()
}

/// Replaces the kind the user typed (any case, singular or plural) by its subcommand name, so
/// `trainingjobs`, `TRAININGJOB` and `TrainingJob` all work. Only the first argument is a kind.
pub fn normalize_kind_argument(mut args: Vec<OsString>) -> Vec<OsString> {
    if let Some(typed) = args
        .get(1)
        .and_then(|arg| arg.to_str())
        .map(str::to_ascii_lowercase)
    {
        for (_, name, aliases, _) in KINDS {
            if typed == name.to_ascii_lowercase() || aliases.contains(&typed.as_str()) {
                args[1] = OsString::from(name);
            }
        }
    }
    args
}

#[derive(Debug)]
pub struct Invocation {
    pub kind: JobKind,
    pub args: LogArgs,
}

/// Parses the arguments after normalizing the kind; clap's error (or help) on failure.
pub fn parse(args: Vec<OsString>) -> Result<Invocation, clap::Error> {
    let matches = command().try_get_matches_from(normalize_kind_argument(args))?;
    let (name, sub_matches) = matches.subcommand().expect("a subcommand is required");
    let kind = KINDS
        .iter()
        .find(|(_, canonical, _, _)| *canonical == name)
        .map(|(kind, ..)| *kind)
        .expect("only known subcommands parse");
    Ok(Invocation {
        kind,
        args: LogArgs::from_arg_matches(sub_matches)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn kinds_are_case_insensitive_singular_and_plural() {
        for typed in ["trainingjob", "TrainingJobs", "TRAININGJOB", "trainingJob"] {
            let invocation = parse(args(&["kubectl-smlogs", typed, "x"])).unwrap();
            assert_eq!(invocation.kind, JobKind::TrainingJob, "{typed}");
        }
        for typed in ["batchtransformjob", "BatchTransformJobs"] {
            assert_eq!(
                parse(args(&["kubectl-smlogs", typed, "x"])).unwrap().kind,
                JobKind::BatchTransformJob
            );
        }
        assert_eq!(
            parse(args(&["kubectl-smlogs", "hyperparametertuningjobs", "x"]))
                .unwrap()
                .kind,
            JobKind::HyperparameterTuningJob
        );
        assert!(parse(args(&["kubectl-smlogs", "model", "x"])).is_err());
    }

    #[test]
    fn flags_parse() {
        let invocation = parse(args(&[
            "kubectl-smlogs",
            "trainingjob",
            "job",
            "-n",
            "ns",
            "-f",
            "-p",
            "algo-2",
            "--tail",
            "5",
            "--since",
            "1h30m",
            "-o",
            "json",
            "--timestamps",
            "rfc3339",
            "--poll-interval",
            "250ms",
        ]))
        .unwrap();
        let a = invocation.args;
        assert_eq!(
            (a.name.as_str(), a.namespace.as_deref(), a.follow),
            ("job", Some("ns"), true)
        );
        assert_eq!(a.log_search_prefix.as_deref(), Some("algo-2"));
        assert_eq!(a.tail, Some(5));
        assert_eq!(a.since, Some(Duration::from_secs(5400)));
        assert_eq!(a.output, OutputFormat::Json);
        assert_eq!(a.timestamps, TimestampFormat::Rfc3339);
        assert_eq!(a.poll_interval, Duration::from_millis(250));
    }

    #[test]
    fn root_help_lists_the_guides_commands_only() {
        let help = root_help();
        assert!(
            help.starts_with(
                "View Amazon SageMaker logs via Kubernetes\n\nUsage:\n  smlogs [command]\n"
            ),
            "{help}"
        );
        assert!(
            help.contains("  BatchTransformJob       View BatchTransformJob logs via Kubernetes\n"),
            "{help}"
        );
        assert!(!help.contains("Hyperparameter"), "{help}");
    }
}
