//! Operator benchmark against the emulator on a real kube-apiserver: N TrainingJobs applied at
//! once → seconds until all exist in SageMaker; SageMaker calls per second in steady state with
//! N in flight (the emulator's call counters); operator RSS. Prints numbers, asserts nothing.
//! N defaults to 1000; set OPERATOR_BENCH_OBJECTS to change it.

use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::config::{Credentials, Region};
use sagemaker_k8s_testenv::{ChildProcess, Emulator, control_plane, wait_until, workspace_binary};

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

async fn emulator_calls(emulator: &Emulator) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = emulator.endpoint.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(format!("GET /_emulator/calls HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("{}");
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

fn total_calls(calls: &serde_json::Value) -> u64 {
    calls.as_object().map_or(0, |map| map.values().filter_map(serde_json::Value::as_u64).sum())
}

async fn count_jobs(client: &aws_sdk_sagemaker::Client) -> usize {
    let mut count = 0;
    let mut token = None;
    loop {
        let page = client.list_training_jobs().max_results(100).set_next_token(token).send().await.unwrap();
        count += page.training_job_summaries().len();
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return count,
        }
    }
}

#[tokio::main]
async fn main() {
    let objects: usize = std::env::var("OPERATOR_BENCH_OBJECTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let cluster = control_plane().await;
    cluster.apply_crds(&sagemaker_k8s_api::all_crds()).await.expect("CRDs apply");
    let namespace = cluster.create_namespace("bench").await;
    // time-scale 1.0: jobs stay in flight (60 emulated seconds = 60 s) while we measure.
    let emulator = Emulator::start(&["--time-scale", "1.0", "--default-duration-seconds", "3600"]).await;
    let mut builder = ChildProcess::builder(workspace_binary("sagemaker-k8s-operator"))
        .args(["run", "--namespace", namespace.as_str(), "--health-probe-bind-address", "127.0.0.1:0", "--metrics-bind-address", "127.0.0.1:0"])
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

    let manifests: String = (0..objects)
        .map(|i| {
            format!(
                "---\napiVersion: sagemaker.aws.amazon.com/v1\nkind: TrainingJob\nmetadata:\n  name: bench-{i}\nspec:\n  region: us-west-2\n  roleArn: arn:aws:iam::123456789012:role/bench\n  algorithmSpecification:\n    trainingImage: img:1\n    trainingInputMode: File\n  outputDataConfig:\n    s3OutputPath: s3://bench/out\n  resourceConfig:\n    instanceCount: 1\n    instanceType: ml.m4.xlarge\n    volumeSizeInGB: 5\n  stoppingCondition:\n    maxRuntimeInSeconds: 86400\n"
            )
        })
        .collect();
    let start = Instant::now();
    cluster.kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifests).await.expect_success();
    let applied = start.elapsed();
    wait_until(Duration::from_secs(900), "all jobs exist in SageMaker", || {
        let sagemaker = &sagemaker;
        async move { (count_jobs(sagemaker).await >= objects).then_some(()) }
    })
    .await;
    let all_created = start.elapsed();
    println!("objects: {objects}");
    println!("kubectl apply took: {:.1} s", applied.as_secs_f64());
    println!("seconds until all exist in SageMaker (from apply start): {:.1}", all_created.as_secs_f64());
    println!("operator RSS with {objects} objects: {:.1} MiB", rss_mib(operator.pid()));

    // Steady state: let the creation burst settle, then count calls over a window.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let before = emulator_calls(&emulator).await;
    let window = Duration::from_secs(20);
    tokio::time::sleep(window).await;
    let after = emulator_calls(&emulator).await;
    let calls = total_calls(&after).saturating_sub(total_calls(&before));
    println!("steady-state SageMaker calls/s with {objects} in flight: {:.2}", calls as f64 / window.as_secs_f64());
    println!("calls by operation after the run: {after}");
}
