//! ProcessingJob paths: the sample to Completed with its logs through `kubectl smlogs`, Failed
//! with SageMaker's reason and the container's exit message, delete while running stops it.

use std::time::Duration;

use kube::Api;
use kube::api::DeleteParams;
use sagemaker_k8s_api::ProcessingJob;
use sagemaker_k8s_testenv::{wait_until, workspace_binary};

use crate::harness::Harness;

const SAMPLE: &str = include_str!("../../../../samples/xgboost-mnist-processingjob.yaml");

fn processing_jobs(harness: &Harness) -> Api<ProcessingJob> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

fn status_of(job: &ProcessingJob) -> Option<&str> {
    job.status
        .as_ref()
        .and_then(|status| status.processing_job_status.as_deref())
}

fn condition_is(job: &ProcessingJob, type_: &str, status: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.common.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == type_ && c.status == status)
        })
}

/// The sample under another name, with emulator outcome tags.
fn sample(name: &str, tags: &[(&str, &str)]) -> String {
    let mut manifest = SAMPLE.replace(
        "name: xgboost-mnist-preprocessing\n",
        &format!("name: {name}\n"),
    );
    manifest.push_str("  tags:\n");
    for (key, value) in tags {
        manifest.push_str(&format!("    - key: \"{key}\"\n      value: \"{value}\"\n"));
    }
    manifest
}

async fn wait_for(
    harness: &Harness,
    name: &str,
    what: &str,
    check: impl Fn(&ProcessingJob) -> bool,
) -> ProcessingJob {
    let api = processing_jobs(harness);
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(60),
        &format!("{name}: {what} (operator log {log})"),
        || {
            let api = api.clone();
            let check = &check;
            async move {
                api.get_opt(name)
                    .await
                    .ok()
                    .flatten()
                    .filter(|job| check(job))
            }
        },
    )
    .await
}

#[tokio::test]
async fn the_sample_completes_and_its_logs_come_through_smlogs() {
    let harness = Harness::start("pj-completed").await;
    harness
        .apply(&sample("preprocess", &[("emulator:outcome", "Completed")]))
        .await;
    let job = wait_for(&harness, "preprocess", "Completed", |job| {
        status_of(job) == Some("Completed") && condition_is(job, "Ready", "True")
    })
    .await;
    let status = job.status.clone().unwrap();
    let uid = job.metadata.uid.clone().unwrap().replace('-', "");
    let sagemaker_name = format!("preprocess-{uid}");
    assert_eq!(
        status.sage_maker_processing_job_name.as_deref(),
        Some(sagemaker_name.as_str())
    );
    assert_eq!(
        job.spec.processing_job_name.as_deref(),
        Some(sagemaker_name.as_str()),
        "derived name written into the spec"
    );
    assert!(status.cloud_watch_log_url.unwrap().contains(&format!(
        "group=/aws/sagemaker/ProcessingJobs;prefix={sagemaker_name};"
    )));
    assert!(status.common.last_check_time.is_some());
    let described = harness
        .sagemaker
        .describe_processing_job()
        .processing_job_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .app_specification()
            .unwrap()
            .container_entrypoint(),
        ["python3", "/opt/ml/processing/input/code/preprocess.py"]
    );
    assert_eq!(described.processing_inputs().len(), 2);
    assert_eq!(
        described
            .processing_output_config()
            .unwrap()
            .outputs()
            .len(),
        2
    );

    // The guide's column layout.
    let table = harness
        .cluster
        .kubectl(&["get", "processingjobs", "-n", &harness.namespace])
        .await
        .expect_success()
        .stdout
        .clone();
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["NAME", "STATUS", "CREATION-TIME", "SAGEMAKER-JOB-NAME"],
        "{table}"
    );
    assert!(
        table.contains("Completed") && table.contains(&sagemaker_name),
        "{table}"
    );

    // `kubectl smlogs processingjob NAME` reads the job's streams in /aws/sagemaker/ProcessingJobs.
    let mut smlogs = tokio::process::Command::new(workspace_binary("kubectl-smlogs"));
    smlogs
        .args(["processingjob", "preprocess", "-n", &harness.namespace])
        .env("KUBECONFIG", harness.cluster.kubeconfig_path())
        .env_remove("AWS_PROFILE")
        .envs(harness.emulator.sdk_env())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), smlogs.output())
        .await
        .expect("smlogs finished")
        .expect("smlogs ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "smlogs failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "has SageMaker ProcessingJobName \"{sagemaker_name}\""
        )),
        "the summary line: {stderr}"
    );
    let events = stdout
        .lines()
        .filter(|line| line.contains(&format!("{sagemaker_name}/algo-1-")))
        .count();
    assert!(
        events > 0,
        "log events of the job's instance stream: {stdout}"
    );
}

#[tokio::test]
async fn a_failed_job_reports_the_reason_and_the_exit_message() {
    let harness = Harness::start("pj-failed").await;
    harness
        .apply(&sample(
            "broken",
            &[
                ("emulator:outcome", "Failed"),
                (
                    "emulator:failure-reason",
                    "AlgorithmError: preprocess.py crashed",
                ),
                ("emulator:exit-message", "KeyError: label"),
            ],
        ))
        .await;
    let job = wait_for(&harness, "broken", "Failed", |job| {
        status_of(job) == Some("Failed")
    })
    .await;
    let additional = job
        .status
        .clone()
        .unwrap()
        .common
        .additional
        .unwrap_or_default();
    assert!(
        additional.contains("AlgorithmError: preprocess.py crashed"),
        "{additional}"
    );
    assert!(additional.contains("KeyError: label"), "{additional}");
    assert!(condition_is(&job, "Failed", "True"));
    assert!(condition_is(&job, "Ready", "False"));
}

#[tokio::test]
async fn delete_while_in_progress_stops_the_job_first() {
    let harness = Harness::start("pj-delete").await;
    harness
        .apply(&sample(
            "long-running",
            &[("emulator:duration-seconds", "100000")],
        ))
        .await;
    let job = wait_for(&harness, "long-running", "InProgress", |job| {
        status_of(job) == Some("InProgress")
    })
    .await;
    let sagemaker_name = job.status.unwrap().sage_maker_processing_job_name.unwrap();
    processing_jobs(&harness)
        .delete("long-running", &DeleteParams::default())
        .await
        .unwrap();
    let api = processing_jobs(&harness);
    wait_until(Duration::from_secs(30), "object gone after stop", || {
        let api = api.clone();
        async move {
            api.get_opt("long-running")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        }
    })
    .await;
    let described = harness
        .sagemaker
        .describe_processing_job()
        .processing_job_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.processing_job_status().unwrap().as_str(),
        "Stopped",
        "the finalizer is released only once the job is terminal"
    );
}
