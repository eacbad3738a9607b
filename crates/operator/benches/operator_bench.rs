//! Operator benchmark against the emulator on a real kube-apiserver. Prints numbers, asserts
//! nothing (see docs/operator-status.md for how to run it and recorded results):
//! 1. N TrainingJobs applied at once → seconds until all exist in SageMaker (N defaults to 1000,
//!    `OPERATOR_BENCH_OBJECTS`);
//! 2. SageMaker calls per second in steady state with N in flight (the emulator's call counters);
//! 3. status lag — a SageMaker status change (job end time) → the object's status — p50/p99 over
//!    `OPERATOR_BENCH_LAG_JOBS` (default 100) short jobs completing while the N are in flight;
//! 4. operator RSS at N objects and, when `OPERATOR_BENCH_SCALE_TO` is set (e.g. 10000), after
//!    scaling up to that many objects.

use std::time::{Duration, Instant};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::config::{Credentials, Region};
use futures::StreamExt;
use kube::runtime::watcher;
use sagemaker_k8s_api::TrainingJob;
use sagemaker_k8s_testenv::{ChildProcess, Emulator, control_plane, wait_until, workspace_binary};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `count` TrainingJob manifests named `<prefix>-<i>` (from `first`), with optional extra tags.
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

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
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
        .map_or(0.0, |kib| kib / 1024.0)
}

async fn emulator_calls(emulator: &Emulator) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = emulator.endpoint.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            format!(
                "GET /_emulator/calls HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("{}");
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

fn total_calls(calls: &serde_json::Value) -> u64 {
    calls.as_object().map_or(0, |map| {
        map.values().filter_map(serde_json::Value::as_u64).sum()
    })
}

async fn count_jobs(client: &aws_sdk_sagemaker::Client) -> usize {
    let mut count = 0;
    let mut token = None;
    loop {
        let page = client
            .list_training_jobs()
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        count += page.training_job_summaries().len();
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return count,
        }
    }
}

#[tokio::main]
async fn main() {
    let objects = env_number("OPERATOR_BENCH_OBJECTS", 1000);
    let lag_jobs = env_number("OPERATOR_BENCH_LAG_JOBS", 100);
    let scale_to = env_number("OPERATOR_BENCH_SCALE_TO", 0);
    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace("bench").await;
    // time-scale 1.0: jobs stay in flight (60 emulated seconds = 60 s) while we measure.
    let emulator =
        Emulator::start(&["--time-scale", "1.0", "--default-duration-seconds", "3600"]).await;
    let mut builder = ChildProcess::builder(workspace_binary("sagemaker-k8s-operator"))
        .args([
            "run",
            "--namespace",
            namespace.as_str(),
            "--health-probe-bind-address",
            "127.0.0.1:0",
            "--metrics-bind-address",
            "127.0.0.1:0",
        ])
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("RUST_LOG", "warn");
    for (key, value) in emulator.sdk_env() {
        builder = builder.env(key, value);
    }
    let operator = builder.spawn();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "bench"))
        .endpoint_url(&emulator.endpoint)
        .load()
        .await;
    let sagemaker = aws_sdk_sagemaker::Client::new(&config);

    let manifests = training_job_manifests("bench", 0, objects, "", "");
    let start = Instant::now();
    cluster
        .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifests)
        .await
        .expect_success();
    let applied = start.elapsed();
    wait_until(
        Duration::from_secs(900),
        "all jobs exist in SageMaker",
        || {
            let sagemaker = &sagemaker;
            async move { (count_jobs(sagemaker).await >= objects).then_some(()) }
        },
    )
    .await;
    let all_created = start.elapsed();
    println!("objects: {objects}");
    println!("kubectl apply took: {:.1} s", applied.as_secs_f64());
    println!(
        "seconds until all exist in SageMaker (from apply start): {:.1}",
        all_created.as_secs_f64()
    );
    println!(
        "operator RSS with {objects} objects: {:.1} MiB",
        rss_mib(operator.pid())
    );

    // Steady state: let the creation burst and the poller's first listings settle, then count
    // calls over a window.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let before = emulator_calls(&emulator).await;
    let window = Duration::from_secs(30);
    tokio::time::sleep(window).await;
    let after = emulator_calls(&emulator).await;
    let calls = total_calls(&after).saturating_sub(total_calls(&before));
    println!(
        "steady-state SageMaker calls/s with {objects} in flight: {:.2}",
        calls as f64 / window.as_secs_f64()
    );
    println!(
        "calls by operation in the window: {}",
        calls_delta(&before, &after)
    );

    // Status lag: short jobs complete in SageMaker (at their TrainingEndTime) while the N stay
    // in flight; a watch records when each object first shows Completed.
    if lag_jobs > 0 {
        let completed_at: Arc<Mutex<HashMap<String, jiff::Timestamp>>> = Arc::default();
        let api: kube::Api<TrainingJob> = kube::Api::namespaced(cluster.client(), &namespace);
        let watch = {
            let completed_at = completed_at.clone();
            let stream = watcher::watcher(api, watcher::Config::default().labels("bench=lag"));
            tokio::spawn(async move {
                let mut stream =
                    std::pin::pin!(kube::runtime::WatchStreamExt::applied_objects(stream));
                while let Some(Ok(job)) = stream.next().await {
                    let completed = job
                        .status
                        .as_ref()
                        .and_then(|s| s.training_job_status.as_deref())
                        == Some("Completed");
                    if completed {
                        let name = job
                            .status
                            .as_ref()
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
        let mut lags = Vec::new();
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
        println!(
            "status lag (SageMaker end time -> object Completed) over {} jobs: p50 {:.2} s, p99 {:.2} s, max {:.2} s",
            lags.len(),
            percentile(&lags, 50.0),
            percentile(&lags, 99.0),
            lags.last().copied().unwrap_or(f64::NAN)
        );
    }

    if scale_to > objects {
        let more = scale_to - objects;
        let start = Instant::now();
        for chunk_start in (objects..scale_to).step_by(1000) {
            let count = 1000.min(scale_to - chunk_start);
            let manifests = training_job_manifests("bench", chunk_start, count, "", "");
            // A loaded apiserver may time out part of a large apply; apply is idempotent, so
            // retrying the chunk is safe.
            let mut attempts = 0;
            while !cluster
                .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifests)
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
        wait_until(
            Duration::from_secs(3600),
            "all scaled-up jobs exist in SageMaker",
            || {
                let sagemaker = &sagemaker;
                async move { (count_jobs(sagemaker).await >= scale_to + lag_jobs).then_some(()) }
            },
        )
        .await;
        println!(
            "seconds until {more} more jobs exist in SageMaker: {:.1}",
            start.elapsed().as_secs_f64()
        );
        println!(
            "operator RSS with {} objects: {:.1} MiB",
            scale_to + lag_jobs,
            rss_mib(operator.pid())
        );
    }
}

/// Calls per operation between two snapshots of the emulator's counters.
fn calls_delta(before: &serde_json::Value, after: &serde_json::Value) -> String {
    let mut delta: Vec<(String, u64)> = after
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(operation, count)| {
            let earlier = before
                .get(operation)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            let calls = count.as_u64()?.saturating_sub(earlier);
            (calls > 0).then(|| (operation.clone(), calls))
        })
        .collect();
    delta.sort();
    delta
        .iter()
        .map(|(operation, calls)| format!("{operation}={calls}"))
        .collect::<Vec<_>>()
        .join(", ")
}
