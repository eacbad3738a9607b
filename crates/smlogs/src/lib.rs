//! `kubectl smlogs`: prints the CloudWatch logs of the SageMaker job behind a TrainingJob or
//! BatchTransformJob object, merged across the job's instances, optionally following them until
//! the job ends.
//!
//! Exit codes: 0 success (including `--follow` reaching the end of a finished job), 1 an error
//! (message on stderr), 2 a usage error, 130 interrupted by Ctrl-C.

pub mod cli;
pub mod error;
pub mod follow;
pub mod job_lookup;
pub mod log_merge;
pub mod log_source;
pub mod output;

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::config::{ProvideCredentials, Region};
use kube::Client;

use crate::cli::{Invocation, LogArgs};
use crate::error::SmlogsError;
use crate::follow::{ReadOptions, StatusSource, stream_job_logs};
use crate::job_lookup::{JobKind, JobSummary};
use crate::log_source::CloudWatchLogs;
use crate::output::LineFormat;

pub const EXIT_ERROR: i32 = 1;
pub const EXIT_INTERRUPTED: i32 = 130;

struct KubeStatus {
    client: Client,
    namespace: String,
    kind: JobKind,
    name: String,
}

impl StatusSource for KubeStatus {
    async fn current(&self) -> Result<JobSummary, SmlogsError> {
        job_lookup::fetch_summary(&self.client, &self.namespace, self.kind, &self.name).await
    }
}

fn start_time_ms(args: &LogArgs) -> Result<Option<i64>, SmlogsError> {
    if let Some(text) = &args.start_time {
        let time: jiff::Timestamp =
            text.parse()
                .map_err(|error: jiff::Error| SmlogsError::InvalidStartTime {
                    value: text.clone(),
                    reason: error.to_string(),
                })?;
        return Ok(Some(time.as_millisecond()));
    }
    if let Some(since) = args.since {
        let since =
            jiff::SignedDuration::try_from(since).map_err(|error| SmlogsError::InvalidSince {
                value: format!("{since:?}"),
                reason: error.to_string(),
            })?;
        let start = jiff::Timestamp::now().checked_sub(since).map_err(|error| {
            SmlogsError::InvalidSince {
                value: format!("{since}"),
                reason: error.to_string(),
            }
        })?;
        return Ok(Some(start.as_millisecond()));
    }
    Ok(None)
}

async fn cloudwatch_client(region: &str) -> Result<aws_sdk_cloudwatchlogs::Client, SmlogsError> {
    // The endpoint comes from the SDK's usual settings (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
    // AWS_ENDPOINT_URL, profile): the object's sageMakerEndpoint is SageMaker's, not Logs'.
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .load()
        .await;
    // Asking for credentials up front turns "no credentials" into one clear message instead of
    // a dispatch failure deep inside the first request.
    let provider = config
        .credentials_provider()
        .ok_or_else(|| SmlogsError::NoCredentials("no credential provider configured".into()))?;
    provider.provide_credentials().await.map_err(|error| {
        SmlogsError::NoCredentials(
            aws_sdk_cloudwatchlogs::error::DisplayErrorContext(error).to_string(),
        )
    })?;
    Ok(aws_sdk_cloudwatchlogs::Client::new(&config))
}

async fn explain_tuning_job(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<(), SmlogsError> {
    let tuning =
        job_lookup::fetch_object(client, namespace, JobKind::HyperparameterTuningJob, name).await?;
    let children = job_lookup::spawned_training_jobs(client, namespace, &tuning).await?;
    let listing = if children.is_empty() {
        "It has no TrainingJobs in this namespace yet.".to_owned()
    } else {
        let mut text = String::from("Ask for the logs of one of its TrainingJobs:");
        for (object_name, _) in &children {
            text.push_str(&format!(
                "\n  kubectl smlogs trainingjob {object_name} -n {namespace}"
            ));
        }
        text
    };
    Err(SmlogsError::TuningJobHasNoLogs {
        name: name.to_owned(),
        children: listing,
    })
}

/// Runs one invocation after parsing; what `main` calls.
pub async fn run(invocation: Invocation) -> Result<(), SmlogsError> {
    let Invocation { kind, args } = invocation;
    let (client, default_namespace) =
        job_lookup::kube_client(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
    let namespace = args.namespace.clone().unwrap_or(default_namespace);
    if kind == JobKind::HyperparameterTuningJob {
        return explain_tuning_job(&client, &namespace, &args.name).await;
    }
    let start_ms = start_time_ms(&args)?;
    let summary = job_lookup::fetch_summary(&client, &namespace, kind, &args.name).await?;
    eprintln!("{}", summary.summary_line());
    let logs = CloudWatchLogs::new(cloudwatch_client(&summary.region).await?);
    let format = LineFormat {
        output: args.output,
        timestamps: args.timestamps,
        hide_log_stream_name: args.hide_log_stream_name,
    };
    let options = ReadOptions {
        follow: args.follow,
        streams: summary
            .kind
            .streams(&summary.sagemaker_name, args.log_search_prefix.as_deref()),
        start_ms,
        tail: args.tail,
        poll_interval: args.poll_interval,
        max_backoff: Duration::from_secs(30),
    };
    let status = KubeStatus {
        client,
        namespace,
        kind,
        name: args.name.clone(),
    };
    let stdout = std::io::stdout();
    // Shared by the sink (writes) and the end of each poll (flushes).
    let out = std::cell::RefCell::new(BufWriter::with_capacity(64 * 1024, stdout.lock()));
    let result = stream_job_logs(
        &logs,
        &status,
        summary,
        &options,
        &mut |stream, event| format.write_event(&mut *out.borrow_mut(), stream, event),
        |notice| eprintln!("{notice}"),
        || Ok(out.borrow_mut().flush()?),
    )
    .await;
    out.borrow_mut().flush()?;
    result.map(|_| ())
}

/// Entry point shared by the binary and its tests: parses `args` and runs, returning the exit code.
pub async fn main_with_args(args: Vec<OsString>) -> i32 {
    if args.len() <= 1 {
        // Like the guide: bare `kubectl smlogs` shows the help and succeeds.
        print!("{}", cli::root_help());
        return 0;
    }
    let invocation = match cli::parse(args) {
        Ok(invocation) => invocation,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    tokio::select! {
        result = run(invocation) => match result {
            Ok(()) => 0,
            // `kubectl smlogs … | head` closes the pipe early; that is not a failure.
            Err(SmlogsError::Output(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Err(error) => {
                eprintln!("Error: {error}");
                EXIT_ERROR
            }
        },
        _ = tokio::signal::ctrl_c() => {
            // Lines already written were flushed line-wise in follow mode; stop quietly.
            EXIT_INTERRUPTED
        }
    }
}
