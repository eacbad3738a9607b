//! What keeps money from leaking and credentials from leaving: edits that would orphan a
//! resource are refused at admission, per-object endpoints are checked before any signed request
//! goes out, a name clash is fixed by editing the spec name, a used-up quota is retried and
//! reported.

use std::time::Duration;

use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_testenv::wait_until;
use serde_json::json;

use crate::harness::{
    Harness, condition_is, emulator_control, spawn_operator_with, status_of, training_job_manifest,
};

fn condition_reason<'a>(job: &'a sagemaker_k8s_api::TrainingJob, type_: &str) -> Option<&'a str> {
    job.status
        .as_ref()?
        .common
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_ && c.status == "True")
        .map(|c| c.reason.as_str())
}

#[tokio::test]
async fn region_and_endpoint_edits_after_creation_are_refused_at_admission() {
    let harness = Harness::start("guard-region").await;
    harness
        .apply(&training_job_manifest(
            "stays-put",
            &[("emulator:duration-seconds", "100000")],
            "",
        ))
        .await;
    harness
        .wait_for_training_job("stays-put", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;

    for (patch, field) in [
        (
            r#"{"spec":{"region":"eu-west-1"}}"#,
            "spec.region cannot be changed",
        ),
        (
            r#"{"spec":{"sageMakerEndpoint":"https://api.sagemaker.eu-west-1.amazonaws.com"}}"#,
            "spec.sageMakerEndpoint cannot be set, changed or removed",
        ),
    ] {
        let output = harness
            .cluster
            .kubectl(&[
                "patch",
                "-n",
                &harness.namespace,
                "trainingjob/stays-put",
                "--type=merge",
                "-p",
                patch,
            ])
            .await;
        assert!(!output.success(), "the edit {patch} must be refused");
        assert!(
            output.stderr.contains(field),
            "the refusal names the field: {}",
            output.stderr
        );
    }
    // Nothing moved: the job is where it was, and there is exactly one, in its region only (the
    // emulator keeps each region apart, as SageMaker does).
    let job = harness.training_jobs().get("stays-put").await.unwrap();
    assert_eq!(job.spec.region, "us-west-2");
    assert_eq!(harness.sagemaker_training_jobs("stays-put").await.len(), 1);
    let resources = emulator_control(&harness.emulator, "GET", "/_emulator/resources", "").await;
    let body: serde_json::Value = serde_json::from_str(
        resources
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .trim(),
    )
    .expect("resources JSON");
    let regions = body["regions"].as_object().expect("per-region resources");
    let jobs_by_region: Vec<(String, usize)> = regions
        .iter()
        .map(|(region, resources)| {
            (
                region.clone(),
                resources["trainingJobs"].as_array().map_or(0, |jobs| {
                    jobs.iter()
                        .filter(|job| {
                            job.as_str()
                                .is_some_and(|name| name.starts_with("stays-put"))
                        })
                        .count()
                }),
            )
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    assert_eq!(
        jobs_by_region,
        vec![("us-west-2".to_string(), 1)],
        "one job, in the region it was created in: {body}"
    );
    // Other edits still pass admission (and are reported as a spec change by the operator).
    harness
        .cluster
        .kubectl(&[
            "patch",
            "-n",
            &harness.namespace,
            "trainingjob/stays-put",
            "--type=merge",
            "-p",
            r#"{"spec":{"stoppingCondition":{"maxRuntimeInSeconds":3600}}}"#,
        ])
        .await
        .expect_success();
}

#[tokio::test]
async fn an_untrusted_sage_maker_endpoint_gets_no_request_and_a_clear_status() {
    let harness = Harness::start("guard-endpoint").await;
    let port = harness
        .emulator
        .endpoint
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    // The same emulator under another name: not the operator's default endpoint, plain http.
    harness
        .apply(&training_job_manifest(
            "elsewhere",
            &[],
            &format!("  sageMakerEndpoint: http://localhost:{port}"),
        ))
        .await;
    let job = harness
        .wait_for_training_job("elsewhere", "refused endpoint reported", |job| {
            condition_is(job, "Failed", "True")
        })
        .await;
    assert_eq!(condition_reason(&job, "Failed"), Some("EndpointNotAllowed"));
    let additional = job
        .status
        .as_ref()
        .unwrap()
        .common
        .additional
        .clone()
        .unwrap_or_default();
    assert!(
        additional.starts_with("spec.sageMakerEndpoint"),
        "names the field: {additional}"
    );
    assert!(
        additional.contains("only https://"),
        "says what is allowed: {additional}"
    );
    assert_eq!(status_of(&job), Some("Failed"));
    assert!(
        job.status
            .as_ref()
            .unwrap()
            .sage_maker_training_job_name
            .is_none(),
        "no SageMaker name: nothing exists"
    );
    // This test's emulator is its own: any call to it would be counted.
    let calls = emulator_control(&harness.emulator, "GET", "/_emulator/calls", "").await;
    assert!(
        !calls.contains("TrainingJob"),
        "no request was sent: {calls}"
    );
    // Deleting it needs no SageMaker call either.
    harness
        .training_jobs()
        .delete("elsewhere", &DeleteParams::default())
        .await
        .unwrap();
    let api = harness.training_jobs();
    wait_until(Duration::from_secs(30), "refused object released", || {
        let api = api.clone();
        async move {
            api.get_opt("elsewhere")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn an_administrator_allowed_endpoint_is_used() {
    let harness = Harness::start("guard-allowed").await;
    let port = harness
        .emulator
        .endpoint
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    // A second operator, allowed to call localhost, reconciles this namespace instead.
    drop(harness.operator);
    let allowed = format!("http://localhost:{port}");
    let operator = spawn_operator_with(
        harness.cluster,
        &harness.emulator,
        &harness.namespace,
        &["--allowed-sagemaker-endpoint", &allowed],
        &format!("operator-allowed-{}", harness.namespace),
    );
    let harness = Harness {
        operator,
        ..harness
    };
    harness
        .apply(&training_job_manifest(
            "allowed",
            &[("emulator:outcome", "Completed")],
            &format!("  sageMakerEndpoint: {allowed}"),
        ))
        .await;
    harness
        .wait_for_training_job("allowed", "Completed through the allowed endpoint", |job| {
            status_of(job) == Some("Completed")
        })
        .await;
}

#[tokio::test]
async fn a_name_clash_is_fixed_by_editing_the_spec_name_before_creation() {
    let harness = Harness::start("guard-clash").await;
    // Someone else's job already has the name.
    let taken = format!("taken-{}", harness.namespace);
    harness
        .sagemaker
        .create_training_job()
        .training_job_name(&taken)
        .role_arn("arn:aws:iam::123456789012:role/someone-else")
        .algorithm_specification(
            aws_sdk_sagemaker::types::AlgorithmSpecification::builder()
                .training_image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .training_input_mode(aws_sdk_sagemaker::types::TrainingInputMode::File)
                .build(),
        )
        .output_data_config(
            aws_sdk_sagemaker::types::OutputDataConfig::builder()
                .s3_output_path("s3://their-bucket/")
                .build(),
        )
        .resource_config(
            aws_sdk_sagemaker::types::ResourceConfig::builder()
                .instance_type(aws_sdk_sagemaker::types::TrainingInstanceType::MlM4Xlarge)
                .instance_count(1)
                .volume_size_in_gb(5)
                .build(),
        )
        .stopping_condition(
            aws_sdk_sagemaker::types::StoppingCondition::builder()
                .max_runtime_in_seconds(86400)
                .build(),
        )
        .tags(
            aws_sdk_sagemaker::types::Tag::builder()
                .key("emulator:duration-seconds")
                .value("100000")
                .build(),
        )
        .send()
        .await
        .expect("someone else's job");
    harness
        .apply(&training_job_manifest(
            "clashing",
            &[("emulator:outcome", "Completed")],
            &format!("  trainingJobName: {taken}"),
        ))
        .await;
    let job = harness
        .wait_for_training_job("clashing", "clash reported", |job| {
            condition_reason(job, "Failed") == Some("NameOwnedByAnotherResource")
        })
        .await;
    assert!(
        job.status
            .as_ref()
            .unwrap()
            .sage_maker_training_job_name
            .is_none(),
        "kubectl get shows no SageMaker name for a job that is not ours"
    );
    assert!(
        job.status
            .as_ref()
            .unwrap()
            .common
            .additional
            .as_deref()
            .unwrap_or_default()
            .contains("trainingJobName"),
        "says which field to change"
    );

    // The fix: another name in the spec.
    let free = format!("free-{}", harness.namespace);
    harness
        .training_jobs()
        .patch(
            "clashing",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "trainingJobName": free } })),
        )
        .await
        .unwrap();
    let job = harness
        .wait_for_training_job("clashing", "Completed under the new name", |job| {
            status_of(job) == Some("Completed")
        })
        .await;
    assert_eq!(
        job.status
            .as_ref()
            .unwrap()
            .sage_maker_training_job_name
            .as_deref(),
        Some(free.as_str())
    );
    assert!(!condition_is(&job, "Failed", "True"));
    let printed = harness
        .cluster
        .kubectl(&[
            "get",
            "-n",
            &harness.namespace,
            "trainingjob/clashing",
            "--no-headers",
        ])
        .await;
    assert!(
        printed.stdout.contains(&free),
        "kubectl get shows the SageMaker name: {}",
        printed.stdout
    );
    // Someone else's job is untouched and still running.
    let theirs = harness
        .sagemaker
        .describe_training_job()
        .training_job_name(&taken)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.training_job_status().unwrap().as_str(), "InProgress");
    assert_eq!(
        theirs.role_arn(),
        Some("arn:aws:iam::123456789012:role/someone-else")
    );
}

#[tokio::test]
async fn a_used_up_quota_is_retried_with_backoff_and_reported() {
    let harness = Harness::start("guard-quota").await;
    emulator_control(
        &harness.emulator,
        "POST",
        "/_emulator/faults",
        r#"{"operation":"CreateTrainingJob","kind":"quota","count":2}"#,
    )
    .await;
    harness
        .apply(&training_job_manifest(
            "needs-quota",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("needs-quota", "quota reported", |job| {
            condition_reason(job, "Retrying") == Some("ResourceLimitExceeded")
        })
        .await;
    assert!(
        !condition_is(&job, "Failed", "True"),
        "a quota is not a rejection of the spec"
    );
    assert!(
        job.status
            .as_ref()
            .unwrap()
            .common
            .additional
            .as_deref()
            .unwrap_or_default()
            .contains("ResourceLimitExceeded")
    );
    // Once the quota frees up (the fault is used up), the job is created and the condition goes.
    let job = harness
        .wait_for_training_job("needs-quota", "Completed after the quota freed up", |job| {
            status_of(job) == Some("Completed")
        })
        .await;
    assert!(
        condition_reason(&job, "Retrying").is_none(),
        "{:?}",
        job.status
    );
    assert_eq!(
        harness.sagemaker_training_jobs("needs-quota").await.len(),
        1
    );
}

#[tokio::test]
async fn a_running_job_costs_no_describe_and_no_write_until_sagemaker_reports_a_change() {
    let harness = Harness::start("guard-idle").await;
    // An operator whose safety re-list comes every 3 s, so several fall in the quiet window.
    drop(harness.operator);
    let operator = spawn_operator_with(
        harness.cluster,
        &harness.emulator,
        &harness.namespace,
        &["--in-progress-requeue-seconds", "3"],
        &format!("operator-idle-{}", harness.namespace),
    );
    let harness = Harness {
        operator,
        ..harness
    };
    harness
        .apply(&training_job_manifest(
            "steady",
            &[("emulator:duration-seconds", "100000")],
            "",
        ))
        .await;
    // The emulator keeps a job of 100,000 emulated seconds in Starting for 200 real seconds: a
    // window in which nothing changes in SageMaker.
    let starting = |job: &sagemaker_k8s_api::TrainingJob| {
        job.status
            .as_ref()
            .and_then(|status| status.secondary_status.as_deref())
            == Some("Starting")
    };
    let job = harness
        .wait_for_training_job("steady", "InProgress, Starting", |job| {
            status_of(job) == Some("InProgress") && starting(job)
        })
        .await;
    let version = job.metadata.resource_version.clone();
    let first_check = job.status.as_ref().unwrap().common.last_check_time.clone();
    assert!(
        first_check.is_some(),
        "lastCheckTime written with the first status"
    );
    let describes = harness.sagemaker_calls("DescribeTrainingJob").await;
    let lists = harness.sagemaker_calls("ListTrainingJobs").await;
    // The operator keeps watching — its List calls go on, safety re-lists included — ...
    wait_until(
        Duration::from_secs(60),
        "the poller lists training jobs ten more times",
        || {
            let harness = &harness;
            async move {
                (harness.sagemaker_calls("ListTrainingJobs").await >= lists + 10).then_some(())
            }
        },
    )
    .await;
    // ... but neither describes the job nor rewrites its status while nothing changes.
    assert_eq!(
        harness.sagemaker_calls("DescribeTrainingJob").await,
        describes,
        "no Describe without a change"
    );
    let quiet = harness.training_jobs().get("steady").await.unwrap();
    assert_eq!(
        quiet.metadata.resource_version, version,
        "no status write without a change"
    );

    // A change in SageMaker (someone stops the job) shows at once, with a new lastCheckTime.
    harness
        .sagemaker
        .stop_training_job()
        .training_job_name(
            quiet
                .status
                .as_ref()
                .and_then(|s| s.sage_maker_training_job_name.clone())
                .unwrap(),
        )
        .send()
        .await
        .expect("StopTrainingJob");
    let stopped = harness
        .wait_for_training_job("steady", "Stopping or Stopped", |job| {
            matches!(status_of(job), Some("Stopping" | "Stopped"))
        })
        .await;
    assert_ne!(
        stopped.status.unwrap().common.last_check_time,
        first_check,
        "lastCheckTime moves with the change the operator described"
    );
}

#[tokio::test]
async fn a_call_that_hangs_times_out_is_retried_and_creates_the_job_once() {
    let harness = Harness::start("guard-hang").await;
    drop(harness.operator);
    let operator = spawn_operator_with(
        harness.cluster,
        &harness.emulator,
        &harness.namespace,
        &[
            "--sagemaker-attempt-timeout-seconds",
            "1",
            "--sagemaker-operation-timeout-seconds",
            "3",
        ],
        &format!("operator-hang-{}", harness.namespace),
    );
    let harness = Harness {
        operator,
        ..harness
    };
    // SageMaker hangs on the first six creates, far longer than the operator waits for one
    // attempt: every attempt of the first call times out, and so does the call.
    emulator_control(
        &harness.emulator,
        "POST",
        "/_emulator/faults",
        r#"{"operation":"CreateTrainingJob","kind":"latency","latencyMs":30000,"count":6}"#,
    )
    .await;
    let started = std::time::Instant::now();
    harness
        .apply(&training_job_manifest(
            "slow-create",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job(
            "slow-create",
            "Completed despite the hanging creates",
            |job| status_of(job) == Some("Completed"),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no call waited for the hanging answer: {:?}",
        started.elapsed()
    );
    let log = std::fs::read_to_string(harness.operator.log_path()).unwrap_or_default();
    assert!(
        log.contains("request timed out"),
        "the timed-out call is reported in the log"
    );
    // One job, created once, under the name the object records.
    let names = harness.sagemaker_training_jobs("slow-create").await;
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(
        job.status.unwrap().sage_maker_training_job_name.as_deref(),
        Some(names[0].as_str())
    );
}
