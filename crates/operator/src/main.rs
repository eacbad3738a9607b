//! `sagemaker-k8s-operator`: the controller-manager for SageMaker objects.

mod adapters;
mod conditions;
mod corrupt_record;

mod digest;
mod engine;
mod error_backoff;
mod events;
mod finalizer;
mod health;
mod heap_trim;
mod hosting;
mod http_server;
mod leader_election;
mod metrics;
mod naming;
mod object_patch;
mod status_patch;
mod status_poller;
mod takeover;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use engine::single::Single;
use engine::{Engine, Strategy};
use sagemaker_k8s_aws::SageMakerClients;
use sagemaker_k8s_aws::clients::ClientSettings;

#[derive(Parser)]
#[command(
    name = "sagemaker-k8s-operator",
    version,
    about = "Kubernetes operator for Amazon SageMaker: mirrors TrainingJob, HyperparameterTuningJob, BatchTransformJob, ProcessingJob, HostingDeployment, Model, EndpointConfig and HostingAutoscalingPolicy objects to SageMaker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once at start-up: the size of `Run`'s arguments costs nothing worth a Box.
#[expect(clippy::large_enum_variant)]
enum Command {
    /// Run the controllers (kubeconfig from KUBECONFIG or in-cluster).
    Run(RunArgs),
    /// Print the CustomResourceDefinitions as YAML, or write one file per CRD.
    Crds {
        /// Directory to write `<group>_<plural>.yaml` files into instead of printing.
        #[arg(long)]
        output_dir: Option<PathBuf>,
    },
    /// Exit 0 if an operator pod answers its readiness probe (asked through the apiserver's pod
    /// proxy); what the installer chart's `helm test` hook runs.
    CheckServing {
        /// Namespace of the operator's pods.
        #[arg(long, env = "POD_NAMESPACE")]
        namespace: String,
        /// Label selector of the operator's pods.
        #[arg(long)]
        selector: String,
        /// The pods' health probe port.
        #[arg(long, default_value_t = 8081)]
        port: u16,
    },
    /// GET /metrics at URL (e.g. https://10.0.0.5:8443) with this pod's ServiceAccount token;
    /// exit 0 on HTTP 200, else print the status (401: no valid token, 403: not allowed).
    ScrapeMetrics {
        /// Base URL of a metrics endpoint.
        url: String,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "WATCH_NAMESPACE")]
    namespace: Option<String>,
    /// Address of the `/healthz` and `/readyz` HTTP endpoints.
    #[arg(long, default_value = "0.0.0.0:8081")]
    health_probe_bind_address: SocketAddr,
    /// Address of the HTTPS `/metrics` endpoint (every scrape authenticated by a TokenReview and
    /// authorized by a SubjectAccessReview: `get` on `/metrics`); `0` turns metrics off.
    #[arg(long, default_value = "0.0.0.0:8443", value_parser = parse_metrics_address)]
    metrics_bind_address: MetricsAddress,
    /// Directory with `tls.crt` and `tls.key` for the metrics endpoint (default: a self-signed
    /// certificate generated at start-up).
    #[arg(long)]
    metrics_cert_dir: Option<PathBuf>,
    /// Run the controllers only while holding the Lease `sagemaker-k8s-operator-leader`, so
    /// several replicas can run; losing the Lease ends the process (exit code 1).
    #[arg(long)]
    leader_elect: bool,
    /// Namespace of the leader-election Lease (default: the operator's own namespace, from
    /// POD_NAMESPACE, else the service account's or the kubeconfig's namespace).
    #[arg(long, env = "POD_NAMESPACE")]
    leader_election_namespace: Option<String>,
    /// Seconds the Lease stays valid without renewal: how long a standby waits before taking
    /// over from a leader that died without releasing it.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(3..))]
    leader_election_lease_duration_seconds: u64,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Seconds between safety nets: each status poller lists again everything that changed in
    /// SageMaker in the last period (a change a List missed is caught then); hosting resources
    /// in transition are also looked at this often when nothing else triggers it.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    in_progress_requeue_seconds: u64,
    /// Milliseconds between the status poller's List calls per (region, endpoint) while
    /// SageMaker reports changes: how soon a change shows in a status.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(50..))]
    status_poll_interval_ms: u64,
    /// Milliseconds between the status poller's List calls after a quiet spell (the pause
    /// doubles from --status-poll-interval-ms up to this while nothing changes).
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(u64).range(50..))]
    status_poll_max_interval_ms: u64,
    /// The ceiling of status-poller List calls per second per region, for all kinds together
    /// (SageMaker's List quotas are per account and region, and small).
    #[arg(long, default_value_t = 4.0, value_parser = parse_positive_rate)]
    status_poll_lists_per_second: f64,
    /// An endpoint objects may name in `sageMakerEndpoint` besides AWS's own https endpoints and
    /// AWS_DEFAULT_SAGEMAKER_ENDPOINT: `SCHEME://HOST[:PORT]`, HOST may start with `*.`, no port
    /// = any port (for example `https://*.sagemaker.internal.example`). Repeat for more. The
    /// operator signs every request with its AWS credentials, so allow only hosts you trust.
    #[arg(long = "allowed-sagemaker-endpoint", value_name = "URL")]
    allowed_sagemaker_endpoints: Vec<sagemaker_k8s_aws::endpoint_policy::AllowedEndpoint>,
    /// Client-side limit of AWS API calls per second per region, shared by every controller.
    /// SageMaker's request quotas are per account and region and shared with everything else
    /// in the account (notebooks, pipelines, other tools; see Service Quotas): keep this below
    /// them, so the operator's bursts do not throttle its users' other work.
    #[arg(long, default_value_t = 50.0, value_parser = parse_positive_rate)]
    sagemaker_calls_per_second: f64,
    /// Calls that may go out at once above that rate after a quiet period.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    sagemaker_call_burst: u32,
    /// A lower limit for one API operation, on top of the region's:
    /// `OPERATION=PER_SECOND[/BURST]`, e.g. `CreateTrainingJob=1` or `ListTrainingJobs=2/4`.
    /// Repeat for more. For operations whose quota in your account is below the region limit
    /// (see Service Quotas for SageMaker and Application Auto Scaling).
    #[arg(long = "sagemaker-operation-rate", value_name = "OPERATION=RATE")]
    sagemaker_operation_rates: Vec<sagemaker_k8s_aws::rate_limit::OperationLimit>,
    /// Most reconciles one kind's controller runs at once; 0 = no limit.
    #[arg(long, default_value_t = 64)]
    max_concurrent_reconciles: u16,
    /// Seconds one HTTP attempt to SageMaker may take before it is abandoned and retried.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    sagemaker_attempt_timeout_seconds: u64,
    /// Seconds one SageMaker call may take, its retries included.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    sagemaker_operation_timeout_seconds: u64,
    /// What deleting an object does to its SageMaker resource when neither the object nor its
    /// namespace has the annotation sagemaker.aws.amazon.com/deletion-policy: `delete` stops or
    /// deletes it, `retain` keeps it (without the operator's ownership tag).
    #[arg(long, value_enum, default_value_t = engine::DeletionPolicy::Delete)]
    deletion_policy: engine::DeletionPolicy,
    /// For the operator's own tests: every reconcile of NAMESPACE/NAME panics.
    #[arg(long, hide = true, value_name = "NAMESPACE/NAME")]
    inject_panic_for: Option<String>,
}

/// A calls-per-second rate: a number greater than 0.
fn parse_positive_rate(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(format!(
            "expected a number of calls per second greater than 0 (for example 50 or 2.5), got {value:?}"
        )),
    }
}

/// `--metrics-bind-address`: an address, or `0` for no metrics endpoint.
#[derive(Clone, Copy, Debug)]
enum MetricsAddress {
    Disabled,
    Bind(SocketAddr),
}

fn parse_metrics_address(value: &str) -> Result<MetricsAddress, String> {
    if value == "0" {
        return Ok(MetricsAddress::Disabled);
    }
    value.parse().map(MetricsAddress::Bind).map_err(|_| {
        format!(
            "expected HOST:PORT (for example 0.0.0.0:8443) or 0 to turn metrics off, got {value:?}"
        )
    })
}

/// How long a TokenReview/SubjectAccessReview answer for a scrape token is reused.
const SCRAPE_REVIEW_CACHE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

fn main() -> anyhow::Result<()> {
    // kube's rustls and the AWS SDK both need one process-wide crypto provider.
    rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .map_err(|_| anyhow::anyhow!("a rustls CryptoProvider was already installed"))?;
    let cli = Cli::parse();
    match cli.command {
        Command::Crds { output_dir } => print_crds(output_dir),
        Command::Run(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(args)),
        Command::CheckServing {
            namespace,
            selector,
            port,
        } => {
            let verdict = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(health::check_serving(&namespace, &selector, port))?;
            println!("{verdict}");
            Ok(())
        }
        Command::ScrapeMetrics { url } => {
            let verdict = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(health::scrape_metrics(&url))?;
            println!("{verdict}");
            Ok(())
        }
    }
}

fn print_crds(output_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let crds = sagemaker_k8s_api::all_crds();
    match output_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for crd in &crds {
                let path = dir.join(sagemaker_k8s_api::crd_file_name(crd));
                std::fs::write(&path, sagemaker_k8s_api::crd_yaml(crd))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        None => {
            for crd in &crds {
                print!("---\n{}", sagemaker_k8s_api::crd_yaml(crd));
            }
        }
    }
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,kube=warn,aws=warn,hyper=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_ansi(false).init(),
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let health = serve_probes(args.health_probe_bind_address).await?;
    heap_trim::spawn();

    let client = kube::Client::try_default()
        .await
        .context("building the Kubernetes client")?;
    if let MetricsAddress::Bind(address) = args.metrics_bind_address {
        serve_metrics(address, args.metrics_cert_dir.as_deref(), &client).await?;
    }
    let shared = controller_shared(&args, client.clone()).await;
    if !crds_installed(&client, args.namespace.as_deref()).await {
        return Ok(());
    }
    // A standby replica is ready too: it serves probes and metrics and takes over when needed.
    health.set_ready();
    let leadership = if args.leader_elect {
        match lead(&args, &client).await? {
            Some(leadership) => Some(leadership),
            None => return Ok(()),
        }
    } else {
        None
    };

    tracing::info!(namespace = ?args.namespace, "starting controllers");
    metrics::global().set_leader(true);
    let controllers = run_controllers(&shared, &health, &args.namespace);
    match leadership {
        None => controllers.await,
        Some(mut leadership) => {
            tokio::select! {
                () = controllers => leadership.release().await,
                () = leadership.lost() => {
                    // Another replica may already reconcile: stop at once, and let the
                    // Deployment restart this one as a standby.
                    metrics::global().set_leader(false);
                    health.set_shutting_down();
                    tracing::error!("lost the leader Lease, exiting");
                    std::process::exit(1);
                }
            }
        }
    }
    metrics::global().set_leader(false);
    tracing::info!("controllers stopped");
    Ok(())
}

/// The health probes, served from the start (by standbys too); a shutdown signal marks the
/// process as shutting down, so controllers ending after it do not fail the liveness probe.
async fn serve_probes(address: SocketAddr) -> anyhow::Result<health::Health> {
    let health = health::Health::default();
    let health_address = health::serve(address, health.clone())
        .await
        .context("binding the health probe address")?;
    let on_signal = health.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        on_signal.set_shutting_down();
    });
    tracing::info!(%health_address, "health probes listening");
    Ok(health)
}

/// Metrics over HTTPS, every scrape authenticated and authorized by the apiserver.
async fn serve_metrics(
    address: SocketAddr,
    cert_dir: Option<&std::path::Path>,
    client: &kube::Client,
) -> anyhow::Result<()> {
    let tls = metrics::tls::server_config(cert_dir, &[])
        .context("preparing the metrics TLS certificate")?;
    let authorizer = Arc::new(metrics::auth::ScrapeAuthorizer::new(
        client.clone(),
        SCRAPE_REVIEW_CACHE,
    ));
    let metrics_address = metrics::server::serve(address, tls, authorizer)
        .await
        .context("binding the metrics address")?;
    tracing::info!(%metrics_address, "metrics listening (HTTPS, bearer token required)");
    Ok(())
}

/// What every kind's controller shares: the clients, the Event recorder, timing and backoff.
async fn controller_shared(
    args: &RunArgs,
    client: kube::Client,
) -> engine::controller::ControllerShared {
    let clients = Arc::new(
        SageMakerClients::load(ClientSettings {
            allowed_endpoints: args.allowed_sagemaker_endpoints.clone(),
            calls_per_second_per_region: args.sagemaker_calls_per_second,
            burst_per_region: args.sagemaker_call_burst,
            operation_limits: args.sagemaker_operation_rates.clone(),
            attempt_timeout: Duration::from_secs(args.sagemaker_attempt_timeout_seconds),
            operation_timeout: Duration::from_secs(args.sagemaker_operation_timeout_seconds),
            ..ClientSettings::from_env()
        })
        .await
        .observed_by(Arc::new(metrics::GlobalCallObserver)),
    );
    engine::controller::ControllerShared {
        recorder: events::EventRecorder::new(client.clone()),
        client,
        clients,
        in_progress_requeue: Duration::from_secs(args.in_progress_requeue_seconds),
        polling: status_poller::PollerSettings::new(
            Duration::from_millis(args.status_poll_interval_ms),
            Duration::from_millis(args.status_poll_max_interval_ms),
            Duration::from_secs(args.in_progress_requeue_seconds),
            args.status_poll_lists_per_second,
        ),
        backoff: Default::default(),
        max_concurrent_reconciles: args.max_concurrent_reconciles,
        inject_panic_for: args.inject_panic_for.clone(),
        deletion_policy: args.deletion_policy,
    }
}

/// Waits until the CRDs are installed: without them every watch would fail quietly, so say so
/// in one line, stay not ready, and look again. `false`: the process was told to stop first.
async fn crds_installed(client: &kube::Client, namespace: Option<&str>) -> bool {
    let mut told = false;
    loop {
        match health::missing_crds(client, namespace).await {
            Ok(missing) if missing.is_empty() => break,
            Ok(missing) if !told => {
                tracing::error!(missing = %missing.join(","), "CustomResourceDefinitions not installed: {}; install them (kubectl apply -f release/rolebased/namespaced/crd.yaml) and the operator starts", missing.join(", "));
                told = true;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not check for the CustomResourceDefinitions")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
            () = shutdown_signal() => return false,
        }
    }
    if told {
        tracing::info!("CustomResourceDefinitions installed");
    }
    true
}

/// Waits to hold the leader Lease. `None`: the process was told to stop first.
async fn lead(
    args: &RunArgs,
    client: &kube::Client,
) -> anyhow::Result<Option<leader_election::Leadership>> {
    let settings = leader_election::ElectionSettings {
        namespace: args
            .leader_election_namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_string()),
        identity: leader_election::default_identity(),
        lease_duration: Duration::from_secs(args.leader_election_lease_duration_seconds),
    };
    tokio::select! {
        leadership = leader_election::acquire(client.clone(), settings) => Ok(Some(leadership?)),
        () = shutdown_signal() => {
            tracing::info!("stopping before becoming leader");
            Ok(None)
        }
    }
}

/// One engine per kind (each kind plugs in as a strategy, see engine/mod.rs), all supervised:
/// a controller whose loop ends while the process runs on makes /healthz fail.
async fn run_controllers(
    shared: &engine::controller::ControllerShared,
    health: &health::Health,
    namespace: &Option<String>,
) {
    use adapters::*;
    let (h, s, n) = (health, shared, namespace);
    tokio::join!(
        supervised(h, Single(training_job::TrainingJobAdapter), s, n),
        supervised(h, Single(transform_job::TransformJobAdapter), s, n),
        supervised(h, Single(tuning_job::TuningJobAdapter), s, n),
        supervised(h, Single(processing_job::ProcessingJobAdapter), s, n),
        supervised(h, hosting::deployment::Deployments, s, n),
        supervised(h, Single(model::ModelAdapter), s, n),
        supervised(h, Single(endpoint_config::EndpointConfigAdapter), s, n),
        supervised(
            h,
            Single(generated::Generated(endpoint::EndpointKind)),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(
                inference_component::InferenceComponentKind
            )),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(
                model_package_group::ModelPackageGroupKind
            )),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(model_package::ModelPackageKind)),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(compilation_job::CompilationJobKind)),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(pipeline::PipelineKind)),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(
                pipeline_execution::PipelineExecutionKind
            )),
            s,
            n
        ),
        supervised(
            h,
            Single(generated::Generated(automl_job::AutoMlJobKind)),
            s,
            n
        ),
        supervised(h, hosting::autoscaling::Autoscaling, s, n),
    );
}

/// SIGTERM (what the kubelet sends) or Ctrl-C.
async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// One kind's controller, supervised: a controller whose loop ends while the process runs on
/// makes /healthz fail.
async fn supervised<S: Strategy>(
    health: &health::Health,
    strategy: S,
    shared: &engine::controller::ControllerShared,
    namespace: &Option<String>,
) {
    let engine = Engine::new(strategy, shared);
    health
        .supervise(S::KIND, engine::run(engine, namespace.clone()))
        .await
}
