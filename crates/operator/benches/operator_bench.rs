//! The operator's cost at scale, measured against the emulator on a real kube-apiserver. It
//! prints numbers and asserts nothing (the targets and recorded results are in
//! docs/operator-status.md, "Cost at scale"). Run it against release builds:
//!
//! ```sh
//! cargo build --release --workspace --bins && cargo bench --workspace --bench operator-bench
//! ```
//!
//! (`cargo test --workspace --bench operator-bench` runs the same against the debug build; CI runs
//! it small as a smoke test.) What it does, in this order:
//! 1. applies `OPERATOR_BENCH_OBJECTS` (1,000) long-running TrainingJobs, then starts the
//!    operator: seconds until all exist in SageMaker and until all show InProgress, the calls that
//!    took by operation, and how long until the calls settle after that burst;
//! 2. three consecutive windows of `OPERATOR_BENCH_WINDOW_SECONDS` (60) with nothing changing:
//!    SageMaker calls by operation, operator CPU seconds (from /proc) and RSS per window. The
//!    operator's safety re-list runs every window (`--in-progress-requeue-seconds` = the window),
//!    so the windows include it;
//! 3. status lag: `OPERATOR_BENCH_LAG_JOBS` (100) short jobs end in SageMaker while the others
//!    run; the lag from SageMaker's end time to the object showing Completed (p50, p99, max);
//! 4. with `OPERATOR_BENCH_SCALE_TO` (e.g. 10000): that many objects in all, then two more
//!    windows (the first one's safety re-list still lists that creation burst) and the RSS;
//! 5. `OPERATOR_BENCH_COMPONENTS` (200) InferenceComponents on `OPERATOR_BENCH_COMPONENT_ENDPOINTS`
//!    (20) Endpoints, all named by reference (Endpoint → EndpointConfig, component → Endpoint
//!    and Model): seconds until all are InService, the calls that took, then two idle windows
//!    with them (their calls beside the jobs' of step 2).
//!
//! `OPERATOR_BENCH_OPERATOR_ARGS` adds operator flags (to compare settings).
//!
//! The emulator runs in real time (`--time-scale 1.0`) and without request limits; the operator
//! runs with `OPERATOR_BENCH_CALLS_PER_SECOND` (1000) as its client-side rate limit, so what
//! bounds creation is the apiserver and SageMaker, not the default limit meant for a shared
//! account.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::runtime::watcher;
use sagemaker_k8s_api::{InferenceComponent, TrainingJob};
use sagemaker_k8s_testenv::{ChildProcess, Emulator, control_plane, wait_until, workspace_binary};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `count` TrainingJob manifests named `<prefix>-<i>` (from `first`), with optional labels and
/// extra tags.
fn training_job_manifests(
    prefix: &str,
    first: usize,
    count: usize,
    labels: &str,
    tags: &str,
) -> String {
    (first..first + count)
        .map(|i| {
            format!(
                "---\napiVersion: sagemaker.aws.amazon.com/v1\nkind: TrainingJob\nmetadata:\n  name: {prefix}-{i}\n  labels: {{{labels}}}\nspec:\n  region: us-west-2\n  roleArn: arn:aws:iam::123456789012:role/bench\n  algorithmSpecification:\n    trainingImage: img:1\n    trainingInputMode: File\n  outputDataConfig:\n    s3OutputPath: s3://bench/out\n  resourceConfig:\n    instanceCount: 1\n    instanceType: ml.m4.xlarge\n    volumeSizeInGB: 5\n  stoppingCondition:\n    maxRuntimeInSeconds: 86400\n  tags: [{tags}]\n"
            )
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The operator process as /proc shows it.
struct ProcessSample {
    cpu_seconds: f64,
    rss_mib: f64,
}

fn sample_process(pid: u32, ticks_per_second: f64) -> ProcessSample {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start after the last ')'; utime and
    // stime are fields 14 and 15 of the whole line, 12 and 13 after it.
    let after_command = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_command.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0);
    ProcessSample {
        cpu_seconds: (ticks(11) + ticks(12)) / ticks_per_second,
        rss_mib: rss_kib / 1024.0,
    }
}

/// USER_HZ, the unit of /proc's CPU times.
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// GET on the emulator's control API (not counted as a SageMaker call).
async fn control_get(emulator: &Emulator, path: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = emulator.endpoint.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("{}");
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

/// SageMaker calls per operation so far.
type Calls = BTreeMap<String, u64>;

async fn calls(emulator: &Emulator) -> Calls {
    control_get(emulator, "/_emulator/calls")
        .await
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(operation, count)| {
            let short = operation.rsplit('.').next().unwrap_or(operation);
            Some((short.to_string(), count.as_u64()?))
        })
        .collect()
}

fn delta(before: &Calls, after: &Calls) -> Calls {
    after
        .iter()
        .map(|(operation, count)| {
            (
                operation.clone(),
                count.saturating_sub(before.get(operation).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, count)| *count > 0)
        .collect()
}

fn total(calls: &Calls) -> u64 {
    calls.values().sum()
}

fn by_operation(calls: &Calls) -> String {
    if calls.is_empty() {
        return "none".into();
    }
    calls
        .iter()
        .map(|(operation, count)| format!("{operation} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn jobs_in_sagemaker(emulator: &Emulator) -> usize {
    control_get(emulator, "/_emulator/resources?region=us-west-2").await["trainingJobs"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Applies manifests in chunks (a loaded apiserver may time out part of a large apply; apply
/// is idempotent, so a chunk is retried).
async fn apply_in_chunks(
    cluster: &sagemaker_k8s_testenv::ControlPlane,
    namespace: &str,
    prefix: &str,
    range: std::ops::Range<usize>,
) {
    for chunk_start in range.clone().step_by(1000) {
        let count = 1000.min(range.end - chunk_start);
        let manifests = training_job_manifests(prefix, chunk_start, count, "", "");
        let mut attempts = 0;
        while !cluster
            .kubectl_stdin(&["apply", "-n", namespace, "-f", "-"], &manifests)
            .await
            .success()
        {
            attempts += 1;
            assert!(
                attempts < 5,
                "kubectl apply of objects {chunk_start}.. failed {attempts} times"
            );
            eprintln!("kubectl apply of objects {chunk_start}.. failed; retrying");
        }
    }
}

/// Counts the objects that show InProgress (or any status after it) as the watch reports them.
fn count_in_progress(
    cluster: &sagemaker_k8s_testenv::ControlPlane,
    namespace: &str,
) -> Arc<Mutex<HashMap<String, Instant>>> {
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let api: kube::Api<TrainingJob> = kube::Api::namespaced(cluster.client(), namespace);
    let recorder = seen.clone();
    tokio::spawn(async move {
        let stream = kube::runtime::WatchStreamExt::default_backoff(watcher::watcher(
            api,
            watcher::Config::default(),
        ));
        let mut stream = std::pin::pin!(kube::runtime::WatchStreamExt::applied_objects(stream));
        while let Some(event) = stream.next().await {
            let job = match event {
                Ok(job) => job,
                Err(error) => {
                    eprintln!("bench watch: {error}");
                    continue;
                }
            };
            let status = job
                .status
                .as_ref()
                .and_then(|s| s.training_job_status.as_deref());
            if matches!(status, Some("InProgress" | "Completed")) {
                recorder
                    .lock()
                    .unwrap()
                    .entry(job.metadata.name.clone().unwrap_or_default())
                    .or_insert_with(Instant::now);
            }
        }
    });
    seen
}

/// The seconds after `since` until SageMaker calls have settled: the first moment from which a
/// 5 s span saw at most 5 calls (the poller's pace), sampled every 500 ms.
async fn seconds_until_settled(emulator: &Emulator, since: Instant, limit: Duration) -> f64 {
    let mut samples: Vec<(Instant, u64)> = Vec::new();
    while since.elapsed() < limit {
        samples.push((Instant::now(), total(&calls(emulator).await)));
        let now = samples.last().unwrap().0;
        if let Some(start) = samples
            .iter()
            .rfind(|(at, _)| now.duration_since(*at) >= Duration::from_secs(5))
        {
            // The latest sample at least 5 s back; drop older ones.
            let start = *start;
            samples.retain(|(at, _)| *at >= start.0);
            if samples.last().unwrap().1 - start.1 <= 5 {
                return start.0.duration_since(since).as_secs_f64();
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    f64::NAN
}

/// A Model, an endpoint configuration without models (it hosts inference components),
/// `endpoints` Endpoints on it and `components` InferenceComponents spread over them, each
/// naming what it needs by reference. Emulated transitions take 2 s.
fn component_manifests(endpoints: usize, components: usize) -> String {
    let role = "arn:aws:iam::123456789012:role/bench";
    let fast = "[{key: \"emulator:duration-seconds\", value: \"2\"}]";
    let mut out = format!(
        "---\napiVersion: sagemaker.aws.amazon.com/v1\nkind: Model\nmetadata:\n  name: bench-model\nspec:\n  region: us-west-2\n  executionRoleArn: {role}\n  primaryContainer:\n    image: img:1\n---\napiVersion: sagemaker.aws.amazon.com/v1\nkind: EndpointConfig\nmetadata:\n  name: bench-components\nspec:\n  region: us-west-2\n  executionRoleArn: {role}\n  productionVariants:\n    - variantName: AllTraffic\n      instanceType: ml.g5.2xlarge\n      initialInstanceCount: 1\n"
    );
    for i in 0..endpoints {
        write!(out, "---\napiVersion: sagemaker.aws.amazon.com/v1\nkind: Endpoint\nmetadata:\n  name: bench-endpoint-{i}\nspec:\n  region: us-west-2\n  endpointConfigRef: {{name: bench-components}}\n  tags: {fast}\n").unwrap();
    }
    for i in 0..components {
        let endpoint = i % endpoints.max(1);
        write!(out, "---\napiVersion: sagemaker.aws.amazon.com/v1\nkind: InferenceComponent\nmetadata:\n  name: bench-component-{i}\nspec:\n  region: us-west-2\n  endpointRef: {{name: bench-endpoint-{endpoint}}}\n  variantName: AllTraffic\n  specification:\n    modelRef: {{name: bench-model}}\n    computeResourceRequirements: {{minMemoryRequiredInMb: 1024, numberOfCpuCoresRequired: 1}}\n  runtimeConfig: {{copyCount: 1}}\n  tags: {fast}\n").unwrap();
    }
    out
}

/// What step 5 measured.
struct ComponentsRun {
    components: usize,
    endpoints: usize,
    in_service_after: f64,
    calls: Calls,
    windows: Vec<Window>,
}

/// Step 5: the components come up, then two idle windows.
async fn components_phase(
    cluster: &sagemaker_k8s_testenv::ControlPlane,
    namespace: &str,
    emulator: &Emulator,
    (pid, ticks, window): (u32, f64, Duration),
    (components, endpoints): (usize, usize),
) -> ComponentsRun {
    let before = calls(emulator).await;
    let start = Instant::now();
    cluster
        .kubectl_stdin(
            &["apply", "-n", namespace, "-f", "-"],
            &component_manifests(endpoints, components),
        )
        .await
        .expect_success();
    let api: kube::Api<InferenceComponent> = kube::Api::namespaced(cluster.client(), namespace);
    wait_until(
        Duration::from_secs(1800),
        "all inference components InService",
        || {
            let api = api.clone();
            async move {
                let listed = api.list(&Default::default()).await.ok()?;
                let ready = listed
                    .items
                    .iter()
                    .filter(|c| {
                        c.status.as_ref().and_then(|s| s.status.as_deref()) == Some("InService")
                    })
                    .count();
                eprintln!("bench: {ready} of {components} inference components InService");
                (ready >= components).then_some(())
            }
        },
    )
    .await;
    let in_service_after = start.elapsed().as_secs_f64();
    seconds_until_settled(emulator, Instant::now(), Duration::from_secs(600)).await;
    let calls = delta(&before, &calls(emulator).await);
    let mut windows = Vec::new();
    for _ in 0..2 {
        windows.push(measure_window(emulator, pid, ticks, window).await);
    }
    ComponentsRun {
        components,
        endpoints,
        in_service_after,
        calls,
        windows,
    }
}

fn components_rows(report: &mut String, run: &ComponentsRun) {
    let (components, endpoints) = (run.components, run.endpoints);
    writeln!(
        report,
        "| seconds until {components} InferenceComponents on {endpoints} Endpoints are InService | {:.1} |",
        run.in_service_after
    )
    .unwrap();
    writeln!(
        report,
        "| SageMaker calls to bring them up (with the Model, EndpointConfig and Endpoints) | {} in all: {} |",
        total(&run.calls),
        by_operation(&run.calls)
    )
    .unwrap();
    window_rows(
        report,
        &format!("idle with {components} components too"),
        &run.windows,
    );
}

struct Window {
    seconds: f64,
    calls: Calls,
    cpu_seconds: f64,
    rss_mib: f64,
}

async fn measure_window(emulator: &Emulator, pid: u32, ticks: f64, length: Duration) -> Window {
    let before_calls = calls(emulator).await;
    let before = sample_process(pid, ticks);
    let start = Instant::now();
    tokio::time::sleep(length).await;
    let after_calls = calls(emulator).await;
    let after = sample_process(pid, ticks);
    Window {
        seconds: start.elapsed().as_secs_f64(),
        calls: delta(&before_calls, &after_calls),
        cpu_seconds: after.cpu_seconds - before.cpu_seconds,
        rss_mib: after.rss_mib,
    }
}

fn window_rows(report: &mut String, label: &str, windows: &[Window]) {
    for (index, window) in windows.iter().enumerate() {
        let calls = total(&window.calls);
        writeln!(
            report,
            "| {label} window {} ({:.0} s) | {:.2} calls/s ({}) · CPU {:.2} s · RSS {:.1} MiB |",
            index + 1,
            window.seconds,
            calls as f64 / window.seconds,
            by_operation(&window.calls),
            window.cpu_seconds,
            window.rss_mib
        )
        .unwrap();
    }
}

#[tokio::main]
async fn main() {
    let objects = env_number("OPERATOR_BENCH_OBJECTS", 1000);
    let lag_jobs = env_number("OPERATOR_BENCH_LAG_JOBS", 100);
    let scale_to = env_number("OPERATOR_BENCH_SCALE_TO", 0);
    let window = Duration::from_secs(env_number("OPERATOR_BENCH_WINDOW_SECONDS", 60) as u64);
    let calls_per_second = env_number("OPERATOR_BENCH_CALLS_PER_SECOND", 1000);
    let components = env_number("OPERATOR_BENCH_COMPONENTS", 200);
    let component_endpoints = env_number("OPERATOR_BENCH_COMPONENT_ENDPOINTS", 20);
    let ticks = clock_ticks_per_second();
    let binary = workspace_binary("sagemaker-k8s-operator");
    let profile = binary
        .parent()
        .and_then(|dir| dir.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();

    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace("bench").await;
    // time-scale 1.0: jobs stay in flight (60 emulated seconds = 60 s) while we measure.
    let emulator =
        Emulator::start(&["--time-scale", "1.0", "--default-duration-seconds", "86400"]).await;

    // 1. Objects first, then the operator.
    let apply_started = Instant::now();
    apply_in_chunks(cluster, &namespace, "bench", 0..objects).await;
    let applied = apply_started.elapsed();
    let in_progress = count_in_progress(cluster, &namespace);
    let resync = window.as_secs().max(1).to_string();
    let rate = calls_per_second.to_string();
    let mut builder = ChildProcess::builder(&binary)
        .args([
            "run",
            "--namespace",
            namespace.as_str(),
            "--health-probe-bind-address",
            "127.0.0.1:0",
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--in-progress-requeue-seconds",
            resync.as_str(),
            "--sagemaker-calls-per-second",
            rate.as_str(),
            "--sagemaker-call-burst",
            rate.as_str(),
        ])
        // More operator flags to compare settings, e.g. "--max-concurrent-reconciles 16".
        .args(
            std::env::var("OPERATOR_BENCH_OPERATOR_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("RUST_LOG", "warn");
    for (key, value) in emulator.sdk_env() {
        builder = builder.env(key, value);
    }
    let calls_at_start = calls(&emulator).await;
    let started = Instant::now();
    let operator = builder.spawn();
    let pid = operator.pid();
    wait_until(
        Duration::from_secs(1800),
        "all jobs exist in SageMaker",
        || {
            let emulator = &emulator;
            async move { (jobs_in_sagemaker(emulator).await >= objects).then_some(()) }
        },
    )
    .await;
    let all_created = started.elapsed();
    wait_until(
        Duration::from_secs(1800),
        "all objects show InProgress",
        || {
            let in_progress = in_progress.clone();
            async move {
                let seen = in_progress.lock().unwrap().len();
                eprintln!("bench: {seen} of {objects} objects show InProgress");
                (seen >= objects).then_some(())
            }
        },
    )
    .await;
    let all_in_progress = started.elapsed();
    let burst_end = Instant::now();
    eprintln!(
        "bench: all InProgress after {:.1} s; waiting for the calls to settle",
        all_in_progress.as_secs_f64()
    );
    let settled_after = seconds_until_settled(&emulator, burst_end, Duration::from_secs(600)).await;
    eprintln!("bench: settled after {settled_after:.1} s; measuring the idle windows");
    let creation_calls = delta(&calls_at_start, &calls(&emulator).await);
    let rss_after_creation = sample_process(pid, ticks).rss_mib;

    // 2. Steady state.
    let mut windows = Vec::new();
    for _ in 0..3 {
        windows.push(measure_window(&emulator, pid, ticks, window).await);
    }

    // 3. Status lag: short jobs end in SageMaker (at their TrainingEndTime) while the others
    //    stay in flight; a watch records when each object first shows Completed.
    let mut lags = Vec::new();
    if lag_jobs > 0 {
        let completed_at: Arc<Mutex<HashMap<String, jiff::Timestamp>>> = Arc::default();
        let api: kube::Api<TrainingJob> = kube::Api::namespaced(cluster.client(), &namespace);
        let watch = {
            let completed_at = completed_at.clone();
            let stream = kube::runtime::WatchStreamExt::default_backoff(watcher::watcher(
                api,
                watcher::Config::default().labels("bench=lag"),
            ));
            tokio::spawn(async move {
                let mut stream =
                    std::pin::pin!(kube::runtime::WatchStreamExt::applied_objects(stream));
                while let Some(event) = stream.next().await {
                    let Ok(job) = event else { continue };
                    let status = job.status.as_ref();
                    if status.and_then(|s| s.training_job_status.as_deref()) == Some("Completed") {
                        let name = status
                            .and_then(|s| s.sage_maker_training_job_name.clone())
                            .unwrap_or_default();
                        completed_at
                            .lock()
                            .unwrap()
                            .entry(name)
                            .or_insert_with(jiff::Timestamp::now);
                    }
                }
            })
        };
        let manifests = training_job_manifests(
            "lag",
            0,
            lag_jobs,
            "bench: lag",
            "{key: \"emulator:duration-seconds\", value: \"20\"}",
        );
        cluster
            .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifests)
            .await
            .expect_success();
        wait_until(
            Duration::from_secs(600),
            "all lag jobs show Completed",
            || {
                let completed_at = completed_at.clone();
                async move { (completed_at.lock().unwrap().len() >= lag_jobs).then_some(()) }
            },
        )
        .await;
        watch.abort();
        let observed = completed_at.lock().unwrap().clone();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_sagemaker::config::Region::new("us-west-2"))
            .credentials_provider(aws_sdk_sagemaker::config::Credentials::new(
                "AKIDBENCH",
                "secret",
                None,
                None,
                "bench",
            ))
            .endpoint_url(&emulator.endpoint)
            .load()
            .await;
        let sagemaker = aws_sdk_sagemaker::Client::new(&config);
        for (name, seen) in observed {
            let described = sagemaker
                .describe_training_job()
                .training_job_name(&name)
                .send()
                .await
                .unwrap();
            let ended = described
                .training_end_time()
                .expect("a completed job has an end time");
            let ended = jiff::Timestamp::new(ended.secs(), ended.subsec_nanos() as i32).unwrap();
            lags.push(seen.duration_since(ended).as_secs_f64());
        }
        lags.sort_by(f64::total_cmp);
    }

    // 4. Scale up.
    let mut scaled = None;
    if scale_to > objects {
        let start = Instant::now();
        apply_in_chunks(cluster, &namespace, "bench", objects..scale_to).await;
        wait_until(
            Duration::from_secs(3600),
            "all scaled-up jobs exist in SageMaker",
            || {
                let emulator = &emulator;
                async move {
                    (jobs_in_sagemaker(emulator).await >= scale_to + lag_jobs).then_some(())
                }
            },
        )
        .await;
        let created = start.elapsed().as_secs_f64();
        seconds_until_settled(&emulator, Instant::now(), Duration::from_secs(900)).await;
        // The first window's safety re-list still lists the creation burst (it changed in the
        // last period); the second shows the steady state.
        let mut windows = Vec::new();
        for _ in 0..2 {
            windows.push(measure_window(&emulator, pid, ticks, window).await);
        }
        scaled = Some((created, windows));
    }

    // 5. Inference components.
    let components_run = if components > 0 {
        Some(
            components_phase(
                cluster,
                &namespace,
                &emulator,
                (pid, ticks, window),
                (components, component_endpoints),
            )
            .await,
        )
    } else {
        None
    };

    let mut report = String::new();
    writeln!(
        report,
        "\noperator benchmark: {objects} TrainingJobs, {profile} build, window {} s, client limit {calls_per_second} calls/s",
        window.as_secs()
    )
    .unwrap();
    writeln!(report, "| measure | result |\n|---|---|").unwrap();
    writeln!(
        report,
        "| kubectl apply of {objects} objects (before the operator starts) | {:.1} s |",
        applied.as_secs_f64()
    )
    .unwrap();
    writeln!(
        report,
        "| seconds until all {objects} exist in SageMaker | {:.1} |",
        all_created.as_secs_f64()
    )
    .unwrap();
    writeln!(
        report,
        "| seconds until all {objects} show InProgress | {:.1} |",
        all_in_progress.as_secs_f64()
    )
    .unwrap();
    writeln!(
        report,
        "| SageMaker calls to create {objects} jobs | {} in all: {} |",
        total(&creation_calls),
        by_operation(&creation_calls)
    )
    .unwrap();
    writeln!(
        report,
        "| seconds until calls settle after that burst | {settled_after:.1} |"
    )
    .unwrap();
    window_rows(&mut report, "idle steady state", &windows);
    writeln!(
        report,
        "| RSS at {objects} objects | {rss_after_creation:.1} MiB after creation, {:.1} MiB after the windows |",
        windows.last().map_or(f64::NAN, |w| w.rss_mib)
    )
    .unwrap();
    if !lags.is_empty() {
        writeln!(
            report,
            "| status lag, {} jobs ending while {objects} run | p50 {:.2} s, p99 {:.2} s, max {:.2} s |",
            lags.len(),
            percentile(&lags, 50.0),
            percentile(&lags, 99.0),
            lags.last().copied().unwrap_or(f64::NAN)
        )
        .unwrap();
    }
    if let Some((created, windows)) = scaled {
        writeln!(
            report,
            "| seconds until {} more exist in SageMaker | {created:.1} |",
            scale_to - objects
        )
        .unwrap();
        window_rows(&mut report, &format!("{scale_to} objects"), &windows);
    }
    if let Some(run) = &components_run {
        components_rows(&mut report, run);
    }
    println!("{report}");
}
