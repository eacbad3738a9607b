//! Benchmark of `kubectl-smlogs`: a training job with 8 instances and 100,000 log events in the
//! emulator, read by the real binary. Prints events/s and the peak RSS of follow mode for two
//! job sizes, to show memory does not grow with the number of events.
//!
//! `cargo run -p kubectl-smlogs --example smlogs-bench` (after `cargo build -p kubectl-smlogs
//! -p sagemaker-emulator`); `SMLOGS_BENCH_EVENTS=N` changes the size of the large job.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use sagemaker_k8s_api::TrainingJob;
use sagemaker_k8s_testenv::{Emulator, TEST_REGION, control_plane, workspace_binary};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

const INSTANCES: usize = 8;
const GROUP: &str = "/aws/sagemaker/TrainingJobs";

async fn seed_job(logs: &aws_sdk_cloudwatchlogs::Client, job: &str, events: usize) {
    let _ = logs.create_log_group().log_group_name(GROUP).send().await;
    let base = jiff::Timestamp::now().as_millisecond() - 3_600_000;
    let per_stream = events / INSTANCES;
    for instance in 1..=INSTANCES {
        let stream = format!("{job}/algo-{instance}-1700000000");
        logs.create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name(&stream)
            .send()
            .await
            .expect("CreateLogStream");
        for chunk_start in (0..per_stream).step_by(5_000) {
            let batch: Vec<InputLogEvent> = (chunk_start..(chunk_start + 5_000).min(per_stream))
                .map(|i| {
                    InputLogEvent::builder()
                        // Instances interleave in time, so the merge has real work to do.
                        .timestamp(base + (i * INSTANCES + instance) as i64)
                        .message(format!(
                            "[{i}] algo-{instance} train-error:0.{i:05} validation-error:0.{i:05}"
                        ))
                        .build()
                        .expect("event")
                })
                .collect();
            logs.put_log_events()
                .log_group_name(GROUP)
                .log_stream_name(&stream)
                .set_log_events(Some(batch))
                .send()
                .await
                .expect("PutLogEvents");
        }
    }
}

async fn create_object(namespace: &str, name: &str, job: &str) {
    let api: Api<DynamicObject> = Api::namespaced_with(
        control_plane().await.client(),
        namespace,
        &ApiResource::erase::<TrainingJob>(&()),
    );
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "sagemaker.aws.amazon.com/v1", "kind": "TrainingJob", "metadata": {"name": name},
        "spec": {
            "region": TEST_REGION,
            "algorithmSpecification": {"trainingImage": "123456789012.dkr.ecr.us-west-2.amazonaws.com/xgboost:1", "trainingInputMode": "File"},
            "roleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
            "outputDataConfig": {"s3OutputPath": "s3://bucket/out/"},
            "resourceConfig": {"instanceCount": INSTANCES, "instanceType": "ml.m4.xlarge", "volumeSizeInGB": 5},
            "stoppingCondition": {"maxRuntimeInSeconds": 3600}
        }
    }))
    .expect("object");
    api.create(&PostParams::default(), &object)
        .await
        .expect("create object");
    let status = json!({"status": {"trainingJobStatus": "Completed", "secondaryStatus": "Completed", "sageMakerTrainingJobName": job}});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(status))
        .await
        .expect("status");
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("VmHWM:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// Runs `kubectl-smlogs trainingjob NAME -f` to completion; returns (lines, seconds, peak RSS).
async fn run_follow(emulator: &Emulator, namespace: &str, name: &str) -> (u64, f64, u64) {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(workspace_binary("kubectl-smlogs"))
        .args([
            "trainingjob",
            name,
            "-n",
            namespace,
            "-f",
            "--poll-interval",
            "200ms",
        ])
        .env("KUBECONFIG", control_plane().await.kubeconfig_path())
        .envs(emulator.sdk_env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl-smlogs runs");
    let pid = child.id().expect("pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut count = 0_u64;
    let mut peak = 0_u64;
    // VmHWM is the process's own high-water mark: the last reading before exit is its peak.
    let mut last_sample = Instant::now();
    while let Some(_line) = lines.next_line().await.expect("read output") {
        count += 1;
        if last_sample.elapsed() > Duration::from_millis(20) {
            peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
            last_sample = Instant::now();
        }
    }
    let status = child.wait().await.expect("wait");
    assert!(status.success(), "kubectl-smlogs failed: {status:?}");
    (count, started.elapsed().as_secs_f64(), peak)
}

#[tokio::main]
async fn main() {
    let large: usize = std::env::var("SMLOGS_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let small = (large / 10).max(INSTANCES);
    let cp = control_plane().await;
    cp.apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs");
    let namespace = cp.create_namespace("smlogs-bench").await;
    let emulator = Emulator::start(&[]).await;
    let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(TEST_REGION))
            .endpoint_url(&emulator.endpoint)
            .credentials_provider(Credentials::new(
                "AKIDBENCH",
                "bench-secret",
                None,
                None,
                "bench",
            ))
            .build(),
    );
    for (name, events) in [("bench-small", small), ("bench-large", large)] {
        let seeding = Instant::now();
        seed_job(&logs, name, events).await;
        create_object(&namespace, name, name).await;
        let seeded = events / INSTANCES * INSTANCES;
        println!(
            "{name}: seeded {seeded} events in {INSTANCES} streams in {:.1}s",
            seeding.elapsed().as_secs_f64()
        );
        let (count, seconds, peak) = run_follow(&emulator, &namespace, name).await;
        assert_eq!(count as usize, seeded, "every event printed once");
        println!(
            "{name}: {count} events in {seconds:.2}s = {:.0} events/s, follow-mode peak RSS {:.1} MiB",
            count as f64 / seconds,
            peak as f64 / 1024.0
        );
    }
}
