//! HyperparameterTuningJob paths: the guide's sample reaching Completed with its spawned
//! TrainingJobs mirrored, delete while InProgress (cascade), Failed, spec change after creation.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, ListParams};
use sagemaker_k8s_api::{HyperparameterTuningJob, SPAWNED_BY_TUNING_JOB_LABEL, TrainingJob};
use sagemaker_k8s_testenv::wait_until;

use crate::harness::Harness;

fn tuning_jobs(harness: &Harness) -> Api<HyperparameterTuningJob> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

fn tuning_status(job: &HyperparameterTuningJob) -> Option<&str> {
    job.status
        .as_ref()
        .and_then(|status| status.hyper_parameter_tuning_job_status.as_deref())
}

fn tuning_condition_is(job: &HyperparameterTuningJob, type_: &str, status: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.common.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == type_ && c.status == status)
        })
}

async fn wait_for_tuning_job(
    harness: &Harness,
    name: &str,
    what: &str,
    check: impl Fn(&HyperparameterTuningJob) -> bool,
) -> HyperparameterTuningJob {
    let api = tuning_jobs(harness);
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

/// TrainingJob objects spawned for the tuning job with this UID.
async fn spawned_training_jobs(harness: &Harness, tuning_uid: &str) -> Vec<TrainingJob> {
    let listed = harness
        .training_jobs()
        .list(&ListParams::default().labels(SPAWNED_BY_TUNING_JOB_LABEL))
        .await
        .expect("list TrainingJobs");
    listed
        .items
        .into_iter()
        .filter(|job| {
            job.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|owner| owner.uid == tuning_uid)
        })
        .collect()
}

async fn wait_until_gone(harness: &Harness, name: &str) {
    let api = tuning_jobs(harness);
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(60),
        &format!("{name} deleted (operator log {log})"),
        || {
            let api = api.clone();
            async move { api.get_opt(name).await.unwrap().is_none().then_some(()) }
        },
    )
    .await;
}

/// A small tuning job manifest with emulator outcome tags.
fn tuning_job_manifest(name: &str, max_jobs: u32, tags: &[(&str, &str)]) -> String {
    let tags: String = tags
        .iter()
        .map(|(k, v)| format!("\n    - key: \"{k}\"\n      value: \"{v}\""))
        .collect();
    format!(
        r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: HyperparameterTuningJob
metadata:
  name: {name}
spec:
  region: us-west-2
  hyperParameterTuningJobConfig:
    strategy: Random
    hyperParameterTuningJobObjective:
      type: Maximize
      metricName: validation:auc
    resourceLimits:
      maxNumberOfTrainingJobs: {max_jobs}
      maxParallelTrainingJobs: 2
    parameterRanges:
      integerParameterRanges:
        - name: max_depth
          minValue: "3"
          maxValue: "9"
  trainingJobDefinition:
    staticHyperParameters:
      - name: objective
        value: binary:logistic
    algorithmSpecification:
      trainingImage: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
      trainingInputMode: File
    roleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
    outputDataConfig:
      s3OutputPath: s3://my-bucket/hpo/
    resourceConfig:
      instanceCount: 1
      instanceType: ml.m4.xlarge
      volumeSizeInGB: 5
    stoppingCondition:
      maxRuntimeInSeconds: 86400
  tags:{tags}
"#
    )
}

#[tokio::test]
async fn tuning_sample_completes_with_spawned_training_jobs_mirrored() {
    let harness = Harness::start("hpo-sample").await;
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../samples/xgboost-mnist-hpo.yaml"
    ))
    .expect("sample readable");
    harness.apply(&sample).await;
    let job = wait_for_tuning_job(&harness, "xgboost-mnist-hpo", "Completed", |job| {
        tuning_status(job) == Some("Completed") && tuning_condition_is(job, "Ready", "True")
    })
    .await;
    let uid = job.metadata.uid.clone().unwrap();
    let status = job.status.clone().unwrap();
    let sagemaker_name = status
        .sage_maker_hyper_parameter_tuning_job_name
        .clone()
        .unwrap();
    assert_eq!(
        sagemaker_name.len(),
        32,
        "derived names fill SageMaker's 32 characters: {sagemaker_name}"
    );
    assert!(sagemaker_name.starts_with("xgboost-"), "{sagemaker_name}");
    let counters = status.training_job_status_counters.clone().unwrap();
    assert_eq!(
        (
            counters.completed,
            counters.in_progress,
            counters.total_error,
            counters.stopped
        ),
        (Some(4), Some(0), Some(0), Some(0)),
        "{counters:?}"
    );
    let best = status
        .best_training_job
        .clone()
        .expect("a best training job");
    let best_name = best.training_job_name.clone().unwrap();
    assert!(
        best_name.starts_with(&format!("{sagemaker_name}-")),
        "{best_name}"
    );
    let tuned = best.tuned_hyper_parameters.clone().unwrap();
    assert_eq!(tuned.len(), 1, "{tuned:?}");
    assert_eq!(tuned[0].name, "num_round");
    assert!(
        (10..=20).contains(&tuned[0].value.parse::<i32>().unwrap()),
        "{tuned:?}"
    );
    let metric = best
        .final_hyper_parameter_tuning_job_objective_metric
        .clone()
        .unwrap();
    assert_eq!(metric.metric_name.as_deref(), Some("validation:error"));
    assert!(metric.value.is_some());
    assert!(status.common.last_check_time.is_some());

    // Every training job SageMaker launched is a TrainingJob object, owned by the tuning job,
    // labelled observe-only, with its status mirrored.
    let log = harness.operator.log_path().display().to_string();
    let children = wait_until(
        Duration::from_secs(60),
        &format!("four spawned TrainingJobs Completed (operator log {log})"),
        || {
            let harness = &harness;
            let uid = uid.clone();
            async move {
                let children = spawned_training_jobs(harness, &uid).await;
                (children.len() == 4
                    && children.iter().all(|child| {
                        child
                            .status
                            .as_ref()
                            .and_then(|s| s.training_job_status.as_deref())
                            == Some("Completed")
                    }))
                .then_some(children)
            }
        },
    )
    .await;
    let mut sagemaker_children = harness.sagemaker_training_jobs(&sagemaker_name).await;
    sagemaker_children.sort();
    let mut mirrored: Vec<String> = children
        .iter()
        .map(|child| child.spec.training_job_name.clone().unwrap())
        .collect();
    mirrored.sort();
    assert_eq!(
        mirrored, sagemaker_children,
        "one object per SageMaker training job, and no job created by the operator"
    );
    assert!(mirrored.contains(&best_name));
    for child in &children {
        let name = child.metadata.name.clone().unwrap();
        assert_eq!(
            Some(&name),
            child.spec.training_job_name.as_ref(),
            "named as the SageMaker training job"
        );
        assert_eq!(
            child.metadata.labels.as_ref().unwrap()[SPAWNED_BY_TUNING_JOB_LABEL],
            sagemaker_name
        );
        let owners = child.metadata.owner_references.clone().unwrap();
        assert_eq!(owners.len(), 1);
        let owner = &owners[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
            ("HyperparameterTuningJob", "xgboost-mnist-hpo", uid.as_str())
        );
        assert_eq!(
            (owner.controller, owner.block_owner_deletion),
            (Some(true), Some(true))
        );
        let child_status = child.status.clone().unwrap();
        assert_eq!(
            child_status.sage_maker_training_job_name.as_deref(),
            Some(name.as_str())
        );
        assert_eq!(
            child_status.model_path,
            Some(format!(
                "s3://my-bucket/sagemaker/xgboost-mnist/xgboost/{name}/output/model.tar.gz"
            ))
        );
        assert!(
            child
                .metadata
                .finalizers
                .clone()
                .unwrap_or_default()
                .is_empty(),
            "observe-only objects carry no finalizer"
        );
        // The spec is read back from SageMaker: static plus tuned hyperparameters.
        let hyperparameters = child.spec.hyper_parameters.clone().unwrap();
        assert!(hyperparameters.iter().any(|pair| pair.name == "num_round"));
        assert!(
            hyperparameters
                .iter()
                .any(|pair| pair.name == "objective" && pair.value == "reg:linear")
        );
        assert_eq!(child.spec.input_data_config.as_ref().map(Vec::len), Some(2));
    }
    // kubectl lists them as the guide shows.
    let listed = harness
        .cluster
        .kubectl(&["get", "trainingjobs", "-n", &harness.namespace])
        .await
        .expect_success();
    assert!(
        listed.stdout.contains("SECONDARY-STATUS") && listed.stdout.contains(&best_name),
        "{}",
        listed.stdout
    );
    let listed = harness
        .cluster
        .kubectl(&["get", "hyperparametertuningjobs", "-n", &harness.namespace])
        .await;
    assert!(
        listed.stdout.contains("BEST-TRAINING-JOB") && listed.stdout.contains(&best_name),
        "{}",
        listed.stdout
    );

    // Deleting the tuning job takes its TrainingJob objects with it (no garbage collector runs
    // in the test control plane).
    tuning_jobs(&harness)
        .delete("xgboost-mnist-hpo", &DeleteParams::default())
        .await
        .unwrap();
    wait_until_gone(&harness, "xgboost-mnist-hpo").await;
    assert!(spawned_training_jobs(&harness, &uid).await.is_empty());
    // Nothing was created again.
    assert_eq!(
        harness.sagemaker_training_jobs(&sagemaker_name).await.len(),
        4
    );
}

#[tokio::test]
async fn tuning_job_deleted_while_in_progress_is_stopped_with_its_children() {
    let harness = Harness::start("hpo-delete").await;
    harness
        .apply(&tuning_job_manifest(
            "long-tuning",
            6,
            &[("emulator:duration-seconds", "100000")],
        ))
        .await;
    let job = wait_for_tuning_job(
        &harness,
        "long-tuning",
        "InProgress with two training jobs",
        |job| {
            tuning_status(job) == Some("InProgress")
                && job
                    .status
                    .as_ref()
                    .and_then(|s| s.training_job_status_counters.as_ref())
                    .and_then(|c| c.in_progress)
                    == Some(2)
        },
    )
    .await;
    let uid = job.metadata.uid.clone().unwrap();
    let sagemaker_name = job
        .status
        .unwrap()
        .sage_maker_hyper_parameter_tuning_job_name
        .unwrap();
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(30),
        &format!("spawned TrainingJobs InProgress (operator log {log})"),
        || {
            let harness = &harness;
            let uid = uid.clone();
            async move {
                let children = spawned_training_jobs(harness, &uid).await;
                (children.len() == 2
                    && children.iter().all(|child| {
                        child
                            .status
                            .as_ref()
                            .and_then(|s| s.training_job_status.as_deref())
                            == Some("InProgress")
                    }))
                .then_some(())
            }
        },
    )
    .await;

    tuning_jobs(&harness)
        .delete("long-tuning", &DeleteParams::default())
        .await
        .unwrap();
    wait_until_gone(&harness, "long-tuning").await;
    let described = harness
        .sagemaker
        .describe_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .hyper_parameter_tuning_job_status()
            .unwrap()
            .as_str(),
        "Stopped",
        "the finalizer is released only once the tuning job is terminal"
    );
    for child in harness.sagemaker_training_jobs(&sagemaker_name).await {
        let child = harness
            .sagemaker
            .describe_training_job()
            .training_job_name(&child)
            .send()
            .await
            .unwrap();
        assert_eq!(child.training_job_status().unwrap().as_str(), "Stopped");
    }
    assert!(
        spawned_training_jobs(&harness, &uid).await.is_empty(),
        "spawned TrainingJobs deleted with their tuning job"
    );
}

#[tokio::test]
async fn failed_tuning_job_reports_reason_in_additional() {
    let harness = Harness::start("hpo-failed").await;
    harness
        .apply(&tuning_job_manifest(
            "failing-tuning",
            2,
            &[
                ("emulator:outcome", "Failed"),
                ("emulator:failure-reason", "AlgorithmError: bad input"),
            ],
        ))
        .await;
    let job = wait_for_tuning_job(&harness, "failing-tuning", "Failed", |job| {
        tuning_status(job) == Some("Failed")
    })
    .await;
    let status = job.status.clone().unwrap();
    assert!(
        status
            .common
            .additional
            .as_deref()
            .unwrap_or_default()
            .contains("AlgorithmError: bad input"),
        "{status:?}"
    );
    assert!(tuning_condition_is(&job, "Failed", "True"));
    assert!(tuning_condition_is(&job, "Ready", "False"));
    let counters = status.training_job_status_counters.unwrap();
    assert_eq!(
        (counters.completed, counters.total_error),
        (Some(0), Some(2)),
        "{counters:?}"
    );
    assert!(status.best_training_job.is_none());
}

#[tokio::test]
async fn tuning_spec_change_after_creation_is_reported() {
    let harness = Harness::start("hpo-change").await;
    let original = tuning_job_manifest(
        "changing-tuning",
        4,
        &[("emulator:duration-seconds", "100000")],
    );
    harness.apply(&original).await;
    let job = wait_for_tuning_job(&harness, "changing-tuning", "InProgress", |job| {
        tuning_status(job) == Some("InProgress")
    })
    .await;
    let sagemaker_name = job
        .status
        .unwrap()
        .sage_maker_hyper_parameter_tuning_job_name
        .unwrap();
    harness
        .apply(&original.replace("maxValue: \"9\"", "maxValue: \"12\""))
        .await;
    let job = wait_for_tuning_job(&harness, "changing-tuning", "spec change reported", |job| {
        tuning_condition_is(job, "SpecOutOfSync", "True")
    })
    .await;
    assert!(
        job.status
            .unwrap()
            .common
            .additional
            .unwrap()
            .contains("immutable")
    );
    harness.apply(&original).await;
    wait_for_tuning_job(&harness, "changing-tuning", "spec change cleared", |job| {
        tuning_condition_is(job, "SpecOutOfSync", "False")
            && job.status.as_ref().unwrap().common.additional.is_none()
    })
    .await;
    // Each test has its own emulator, so every tuning job it lists is this test's.
    let tuning_jobs = harness
        .sagemaker
        .list_hyper_parameter_tuning_jobs()
        .send()
        .await
        .unwrap();
    let names: Vec<_> = tuning_jobs
        .hyper_parameter_tuning_job_summaries()
        .iter()
        .filter_map(|s| s.hyper_parameter_tuning_job_name())
        .collect();
    assert_eq!(
        names,
        [sagemaker_name.as_str()],
        "still one tuning job in SageMaker"
    );
}
