//! TrainingJob paths: Completed, Failed, MaxRuntimeExceeded, delete while running, delete before
//! creation, spec change after creation.

use std::time::Duration;

use kube::api::DeleteParams;
use sagemaker_k8s_testenv::wait_until;

use crate::harness::{Harness, condition_is, status_of, training_job_manifest};

#[tokio::test]
async fn completed_job_gets_model_path_and_ready_condition() {
    let harness = Harness::start("tj-completed").await;
    harness
        .apply(&training_job_manifest(
            "xgboost-mnist",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("xgboost-mnist", "Completed", |job| {
            status_of(job) == Some("Completed") && condition_is(job, "Ready", "True")
        })
        .await;
    let status = job.status.clone().unwrap();
    let uid = job.metadata.uid.clone().unwrap().replace('-', "");
    let sagemaker_name = format!("xgboost-mnist-{uid}");
    assert_eq!(
        status.sage_maker_training_job_name.as_deref(),
        Some(sagemaker_name.as_str())
    );
    assert_eq!(
        job.spec.training_job_name.as_deref(),
        Some(sagemaker_name.as_str()),
        "derived name written into the spec"
    );
    assert_eq!(
        status.model_path,
        Some(format!(
            "s3://my-bucket/xgboost/{sagemaker_name}/output/model.tar.gz"
        ))
    );
    assert_eq!(status.secondary_status.as_deref(), Some("Completed"));
    assert!(
        status
            .cloud_watch_log_url
            .unwrap()
            .contains(&format!("prefix={sagemaker_name};"))
    );
    assert!(status.common.last_check_time.is_some());
    assert_eq!(status.common.observed_generation, job.metadata.generation);
    assert!(
        job.metadata
            .finalizers
            .clone()
            .unwrap_or_default()
            .contains(&sagemaker_k8s_api::FINALIZER.to_string())
    );
    assert!(
        !condition_is(&job, "Failed", "True") && !condition_is(&job, "Failed", "False"),
        "no Failed condition on a healthy job"
    );
    assert_eq!(
        harness.sagemaker_training_jobs("xgboost-mnist").await,
        vec![sagemaker_name.clone()]
    );

    // The job carries the spec's tags and the ownership tag.
    let described = harness
        .sagemaker
        .describe_training_job()
        .training_job_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    let tags = harness
        .sagemaker
        .list_tags()
        .resource_arn(described.training_job_arn().unwrap())
        .send()
        .await
        .unwrap();
    let tags: Vec<_> = tags
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert!(
        tags.contains(&(
            sagemaker_k8s_aws::OWNER_UID_TAG.into(),
            job.metadata.uid.clone().unwrap()
        )),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("emulator:outcome".into(), "Completed".into())),
        "{tags:?}"
    );

    // kubectl wait works on the Ready condition; deleting a terminal job is immediate.
    harness
        .cluster
        .kubectl(&[
            "wait",
            "-n",
            &harness.namespace,
            "--for=condition=Ready",
            "trainingjob/xgboost-mnist",
            "--timeout=10s",
        ])
        .await
        .expect_success();
    harness
        .training_jobs()
        .delete("xgboost-mnist", &DeleteParams::default())
        .await
        .unwrap();
    let api = harness.training_jobs();
    wait_until(Duration::from_secs(20), "terminal job deleted", || {
        let api = api.clone();
        async move {
            api.get_opt("xgboost-mnist")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn failed_job_reports_reason_in_additional() {
    let harness = Harness::start("tj-failed").await;
    harness
        .apply(&training_job_manifest(
            "failing",
            &[
                ("emulator:outcome", "Failed"),
                ("emulator:failure-reason", "AlgorithmError: out of memory"),
            ],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("failing", "Failed", |job| status_of(job) == Some("Failed"))
        .await;
    let status = job.status.clone().unwrap();
    assert!(
        status
            .common
            .additional
            .as_deref()
            .unwrap_or_default()
            .contains("AlgorithmError: out of memory"),
        "{status:?}"
    );
    assert!(status.model_path.is_none());
    assert!(condition_is(&job, "Failed", "True"));
    assert!(condition_is(&job, "Ready", "False"));
}

#[tokio::test]
async fn max_runtime_exceeded_is_mirrored() {
    let harness = Harness::start("tj-maxrt").await;
    harness
        .apply(&training_job_manifest(
            "too-long",
            &[("emulator:outcome", "MaxRuntimeExceeded")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("too-long", "MaxRuntimeExceeded", |job| {
            job.status
                .as_ref()
                .and_then(|s| s.secondary_status.as_deref())
                == Some("MaxRuntimeExceeded")
        })
        .await;
    assert_eq!(status_of(&job), Some("Stopped"));
    assert!(condition_is(&job, "Failed", "True"));
}

/// Applies a job that runs for a day and waits until it is InProgress; its SageMaker name.
async fn start_long_running_job(harness: &Harness, name: &str) -> String {
    harness
        .apply(&training_job_manifest(
            name,
            &[("emulator:duration-seconds", "100000")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job(name, "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    job.status.unwrap().sage_maker_training_job_name.unwrap()
}

#[tokio::test]
async fn delete_while_in_progress_stops_the_job_first() {
    let harness = Harness::start("tj-delete").await;
    let sagemaker_name = start_long_running_job(&harness, "long-running").await;
    harness
        .training_jobs()
        .delete("long-running", &DeleteParams::default())
        .await
        .unwrap();
    let api = harness.training_jobs();
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
    assert_eq!(
        harness.sagemaker_training_job_status(&sagemaker_name).await,
        "Stopped",
        "the finalizer is released only once the job is terminal"
    );
}

#[tokio::test]
async fn delete_before_creation_is_immediate() {
    let harness = Harness::start("tj-never").await;
    // An invalid role ARN passes no SageMaker validation? The CRD admits it; the emulator rejects
    // the request, so the job is never created.
    let manifest = training_job_manifest("rejected", &[("emulator:outcome", "NoSuchOutcome")], "");
    harness.apply(&manifest).await;
    let job = harness
        .wait_for_training_job("rejected", "create rejected", |job| {
            condition_is(job, "Failed", "True")
        })
        .await;
    assert!(
        job.status
            .unwrap()
            .common
            .additional
            .unwrap()
            .contains("emulator:outcome")
    );
    assert!(harness.sagemaker_training_jobs("rejected").await.is_empty());
    harness
        .training_jobs()
        .delete("rejected", &DeleteParams::default())
        .await
        .unwrap();
    let api = harness.training_jobs();
    wait_until(
        Duration::from_secs(10),
        "never-created object deleted",
        || {
            let api = api.clone();
            async move {
                api.get_opt("rejected")
                    .await
                    .unwrap()
                    .is_none()
                    .then_some(())
            }
        },
    )
    .await;
}

#[tokio::test]
async fn spec_change_after_creation_is_reported_and_clears_when_reverted() {
    let harness = Harness::start("tj-change").await;
    let original =
        training_job_manifest("changing", &[("emulator:duration-seconds", "100000")], "");
    harness.apply(&original).await;
    harness
        .wait_for_training_job("changing", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    harness
        .apply(&original.replace("value: \"5\"", "value: \"9\""))
        .await;
    let job = harness
        .wait_for_training_job("changing", "spec change reported", |job| {
            condition_is(job, "SpecOutOfSync", "True")
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
    harness
        .wait_for_training_job("changing", "spec change cleared", |job| {
            condition_is(job, "SpecOutOfSync", "False")
                && job.status.as_ref().unwrap().common.additional.is_none()
        })
        .await;
    // Still one job in SageMaker.
    assert_eq!(harness.sagemaker_training_jobs("changing").await.len(), 1);

    // Renaming the job in the spec after creation is a spec change too, not a second job.
    let patch = serde_json::json!({ "spec": { "trainingJobName": "changing-renamed" } });
    harness
        .training_jobs()
        .patch(
            "changing",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(patch),
        )
        .await
        .unwrap();
    harness
        .wait_for_training_job("changing", "rename reported", |job| {
            condition_is(job, "SpecOutOfSync", "True")
        })
        .await;
    assert!(
        harness
            .sagemaker_training_jobs("changing-renamed")
            .await
            .is_empty(),
        "no job under the new name"
    );
    assert_eq!(harness.sagemaker_training_jobs("changing").await.len(), 1);
}

#[tokio::test]
async fn namespaced_operator_ignores_other_namespaces() {
    let harness = Harness::start("tj-watched").await;
    let other = harness.cluster.create_namespace("tj-ignored").await;
    harness
        .cluster
        .kubectl_stdin(
            &["apply", "-n", &other, "-f", "-"],
            &training_job_manifest("elsewhere", &[], ""),
        )
        .await
        .expect_success();
    harness.apply(&training_job_manifest("here", &[], "")).await;
    // Once the watched object is processed, the operator has had its chance at the other one.
    harness
        .wait_for_training_job("here", "processed", |job| status_of(job).is_some())
        .await;
    let other_api: kube::Api<sagemaker_k8s_api::TrainingJob> =
        kube::Api::namespaced(harness.cluster.client(), &other);
    let touched = sagemaker_k8s_testenv::poll_until(Duration::from_secs(3), || {
        let other_api = other_api.clone();
        async move {
            let job = other_api.get("elsewhere").await.ok()?;
            (job.status.is_some() || job.metadata.finalizers.is_some()).then_some(job)
        }
    })
    .await;
    assert!(
        touched.is_none(),
        "object outside --namespace was touched: {touched:?}"
    );
    assert!(
        harness
            .sagemaker_training_jobs("elsewhere")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn debugger_rule_evaluations_are_mirrored_until_they_finish() {
    let harness = crate::harness::Harness::start("tj-rules").await;
    drop(harness.operator);
    let operator = crate::harness::spawn_operator_with(
        harness.cluster,
        &harness.emulator,
        &harness.namespace,
        &["--in-progress-requeue-seconds", "2"],
        &format!("operator-rules-{}", harness.namespace),
    );
    let harness = Harness {
        operator,
        ..harness
    };
    let rules = r#"  debugHookConfig:
    s3OutputPath: s3://my-bucket/debugger/
  debugRuleConfigurations:
    - ruleConfigurationName: LossNotDecreasing
      ruleEvaluatorImage: 895741380848.dkr.ecr.us-west-2.amazonaws.com/sagemaker-debugger-rules:latest
      ruleParameters:
        - name: rule_to_invoke
          value: LossNotDecreasing
    - ruleConfigurationName: Overfit
      ruleEvaluatorImage: 895741380848.dkr.ecr.us-west-2.amazonaws.com/sagemaker-debugger-rules:latest
      ruleParameters:
        - name: rule_to_invoke
          value: Overfit"#;
    harness
        .apply(&training_job_manifest(
            "debugged",
            &[
                ("emulator:outcome", "Completed"),
                ("emulator:rule-outcome/Overfit", "IssuesFound"),
            ],
            rules,
        ))
        .await;
    let job = harness
        .wait_for_training_job(
            "debugged",
            "rules evaluated after the job completed",
            |job| {
                status_of(job) == Some("Completed")
                    && job
                        .status
                        .as_ref()
                        .and_then(|s| s.debug_rule_evaluation_statuses.as_ref())
                        .is_some_and(|rules| {
                            rules.len() == 2
                                && rules.iter().all(|rule| {
                                    rule.rule_evaluation_status.as_deref() != Some("InProgress")
                                })
                        })
            },
        )
        .await;
    let rules = job.status.unwrap().debug_rule_evaluation_statuses.unwrap();
    let outcome = |name: &str| {
        rules
            .iter()
            .find(|rule| rule.rule_configuration_name.as_deref() == Some(name))
            .and_then(|rule| rule.rule_evaluation_status.clone())
    };
    assert_eq!(
        outcome("LossNotDecreasing").as_deref(),
        Some("NoIssuesFound")
    );
    assert_eq!(outcome("Overfit").as_deref(), Some("IssuesFound"));
    assert!(
        rules.iter().all(|rule| rule
            .rule_evaluation_job_arn
            .as_deref()
            .is_some_and(|arn| arn.contains("processing-job"))),
        "{rules:?}"
    );
}

/// `kubectl delete --cascade=foreground` of a running job with another controller's finalizer
/// on it: the operator stops the job and removes only its own finalizer; the other controller's
/// and the garbage collector's `foregroundDeletion` stay (no garbage collector runs here, so the
/// test removes them itself, as their owners would), and then the object goes.
#[tokio::test]
async fn foreground_deletion_keeps_every_other_finalizer() {
    use kube::api::{Patch, PatchParams};
    let harness = Harness::start("tj-foreground").await;
    let sagemaker_name = start_long_running_job(&harness, "foreground").await;
    // Another controller's finalizer, appended without reading the list (as a JSON Patch).
    const OTHER: &str = "example.com/other-controller";
    let api = harness.training_jobs();
    let append = serde_json::json!([
        { "op": "add", "path": "/metadata/finalizers/-", "value": OTHER }
    ]);
    api.patch(
        "foreground",
        &PatchParams::default(),
        &Patch::<()>::Json(serde_json::from_value(append).unwrap()),
    )
    .await
    .unwrap();
    harness
        .cluster
        .kubectl(&[
            "delete",
            "trainingjob",
            "foreground",
            "-n",
            &harness.namespace,
            "--cascade=foreground",
            "--wait=false",
        ])
        .await
        .expect_success();

    let mut left = wait_until(
        Duration::from_secs(60),
        "the operator's finalizer gone, the others kept",
        || {
            let api = api.clone();
            async move {
                let finalizers = api.get("foreground").await.ok()?.metadata.finalizers?;
                (!finalizers.iter().any(|f| f == sagemaker_k8s_api::FINALIZER))
                    .then_some(finalizers)
            }
        },
    )
    .await;
    left.sort();
    assert_eq!(left, ["example.com/other-controller", "foregroundDeletion"]);
    assert_eq!(
        harness.sagemaker_training_job_status(&sagemaker_name).await,
        "Stopped",
        "the operator's finalizer goes only once the job is terminal"
    );

    // Their owners let go: the object goes.
    api.patch(
        "foreground",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "metadata": { "finalizers": null } })),
    )
    .await
    .unwrap();
    wait_until(Duration::from_secs(30), "object gone", || {
        let api = api.clone();
        async move {
            api.get_opt("foreground")
                .await
                .ok()?
                .is_none()
                .then_some(())
        }
    })
    .await;
}
