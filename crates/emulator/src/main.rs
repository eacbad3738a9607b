//! `sagemaker-emulator`: Amazon SageMaker, CloudWatch Logs, sagemaker-runtime and STS on one
//! port, with lifecycles that take time, faults on demand and a control API for tests.

mod api_model;
mod async_inference;
mod automl;
mod autoscaling;
mod compilation;
mod control;
mod deployment;
mod hosting;
mod inference_component;
mod kinds;
mod lifecycle;
mod logs;
mod model_package;
mod model_registry;
mod pipeline;
mod pipeline_definition;
mod pipeline_execution;
mod pipeline_expressions;
mod pipeline_runs;
mod pipeline_steps;
mod processing;
mod production_variants;
mod rules;
mod s3_objects;
mod sagemaker;
mod scaled;
mod server;
mod sigv4;
mod sts;
mod training;
mod transform;
mod tuning;
mod validate;
mod wire;
mod world;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::world::{ACCOUNT_ID, Outcome, Settings};

const ABOUT: &str = "A fault-injectable Amazon SageMaker + CloudWatch Logs + sagemaker-runtime + STS emulator on one port.";

const LONG_ABOUT: &str = "\
A fault-injectable Amazon SageMaker + CloudWatch Logs + sagemaker-runtime + STS emulator on one port.

Point any AWS SDK at the printed URL (endpoint override only). The first line on stdout is exactly
the endpoint URL, `http://127.0.0.1:PORT`; logs go to stderr.

Protocols on the one port:
  SageMaker           JSON 1.1, X-Amz-Target: SageMaker.<Operation>
  CloudWatch Logs     JSON 1.1, X-Amz-Target: Logs_20140328.<Operation>
  Application Auto Scaling  JSON 1.1, X-Amz-Target: AnyScaleFrontendService.<Operation>
  sagemaker-runtime   POST /endpoints/<name>/invocations
  STS                 query protocol (Action=AssumeRoleWithWebIdentity | GetCallerIdentity)
  control API         /_emulator/... (faults, rate-limits, calls, resources, load, objects, reset, health)

Timing: every lifecycle is written in emulated seconds (a training job takes
--default-duration-seconds, 60 by default). --time-scale converts them to real seconds:
1.0 runs at that pace, 0.01 a hundred times faster (tests use 0.01-0.03, so a whole lifecycle takes
about a second). Timestamps in responses are real wall-clock times; Billable/TrainingTimeInSeconds
are emulated seconds.

Per-resource control by reserved tags on the Create request:
  emulator:outcome           Completed | Failed | MaxRuntimeExceeded (training),
                             Completed | Failed (transform, tuning, processing), InService | Failed (endpoint, endpoint config)
  emulator:duration-seconds  emulated seconds before the terminal state (a pipeline's: each step's)
  emulator:fail-step         a pipeline step that fails (its reason from emulator:failure-reason)
  emulator:failure-reason    the FailureReason reported when the outcome is Failed
  emulator:exit-message      the ExitMessage of a processing job
  emulator:rule-outcome      NoIssuesFound | IssuesFound | Error: Debugger/Profiler rule results
                             (emulator:rule-outcome/<RuleConfigurationName> for one rule)

Regions are separate: the region of the request's SigV4 credential scope picks the emulated
region (names repeat across regions; nothing is visible from another region).

ARNs are issued in the fixed fake account 123456789012. See crates/emulator/README.md.";

#[derive(Debug, Parser)]
#[command(name = "sagemaker-emulator", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    /// Address to listen on; port 0 picks a free port (the URL is printed on stdout's first line).
    #[arg(long, default_value = "127.0.0.1:0", env = "SAGEMAKER_EMULATOR_LISTEN")]
    listen: SocketAddr,

    /// Real seconds per emulated second: 1.0 = the documented pace, 0.01 = a hundred times faster.
    #[arg(long, default_value_t = 1.0, env = "SAGEMAKER_EMULATOR_TIME_SCALE", value_parser = positive_f64)]
    time_scale: f64,

    /// Outcome of jobs whose request has no `emulator:outcome` tag.
    #[arg(
        long,
        value_enum,
        default_value = "completed",
        env = "SAGEMAKER_EMULATOR_DEFAULT_OUTCOME"
    )]
    default_outcome: Outcome,

    /// Emulated seconds from creating a training, transform, processing or AutoML job (or each
    /// tuning child) to its terminal state, when the `emulator:duration-seconds` tag does not say.
    #[arg(long, default_value_t = 60.0, value_parser = non_negative_f64)]
    default_duration_seconds: f64,

    /// Emulated seconds an endpoint spends Creating or Updating (Deleting takes half).
    #[arg(long, default_value_t = 30.0, value_parser = non_negative_f64)]
    endpoint_duration_seconds: f64,

    /// `AKID:SECRET`: verify SigV4 signatures against this key (and keys issued by
    /// AssumeRoleWithWebIdentity). Without it any well-formed signature is accepted.
    #[arg(long, env = "SAGEMAKER_EMULATOR_CREDENTIALS", value_parser = credentials, hide_env_values = true)]
    credentials: Option<(String, String)>,

    /// Region of requests whose SigV4 credential scope names none. Every region is a separate
    /// emulated SageMaker: the signed region picks which one a request reaches.
    #[arg(long, default_value = "us-east-1", env = "AWS_REGION")]
    region: String,

    /// Log filter for stderr (tracing EnvFilter syntax, e.g. `info` or `sagemaker_emulator=debug`).
    #[arg(long, default_value = "info", env = "SAGEMAKER_EMULATOR_LOG")]
    log_level: String,

    /// Runtime worker threads; 1 runs everything on the current thread (benchmark one core by
    /// combining it with `taskset -c 0`).
    #[arg(long)]
    worker_threads: Option<usize>,
}

fn positive_f64(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("expected a positive number, got {text}")),
    }
}

fn non_negative_f64(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!("expected a non-negative number, got {text}")),
    }
}

fn credentials(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((key, secret)) if !key.is_empty() && !secret.is_empty() => {
            Ok((key.to_string(), secret.to_string()))
        }
        _ => Err("expected AKID:SECRET".to_string()),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_new(&cli.log_level).unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal; test harnesses and log collectors get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // Reading the API models takes a moment: done before the URL is announced, so no request
    // waits for it (a first request that did would see its jobs' clocks already running).
    api_model::preload();
    let runtime = match cli.worker_threads {
        Some(1) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(threads) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sagemaker-emulator: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sagemaker-emulator: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let mut address = listener.local_addr()?;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let settings = Settings {
        region: cli.region.clone(),
        time_scale: cli.time_scale,
        default_outcome: cli.default_outcome,
        default_duration: cli.default_duration_seconds,
        endpoint_duration: cli.endpoint_duration_seconds,
    };
    let app = Arc::new(server::App::new(
        settings,
        cli.credentials.clone(),
        kinds::registry(),
    ));
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "http://{address}")?;
        stdout.flush()?;
    }
    tracing::info!(
        %address,
        time_scale = cli.time_scale,
        default_outcome = ?cli.default_outcome,
        region = %cli.region,
        account = ACCOUNT_ID,
        verify_signatures = cli.credentials.is_some(),
        "sagemaker-emulator listening"
    );
    tokio::select! {
        () = server::serve(listener, app) => {}
        () = shutdown_signal() => tracing::info!("shutting down"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
