//! AutoMLJobV2 (a job kind generated from SageMaker's API model, with a union for its problem
//! type) against the emulator: a tabular job followed through its stages to Completed with its
//! best candidate and artifacts in the status; a running job stopped when its object is deleted;
//! a spec with no problem type, or two, refused at admission naming the field, and every edit
//! refused (a job runs as created).

use kube::Api;
use kube::api::DeleteParams;
use sagemaker_k8s_api::AutoMLJobV2;

use crate::endpoint::{gone, wait_for};
use crate::harness::Harness;

fn job_manifest(name: &str, problem: &str, tags: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: AutoMLJobV2
metadata:
  name: {name}
spec:
  region: us-west-2
  roleArn: arn:aws:iam::123456789012:role/automl
  autoMLJobInputDataConfig:
    - channelType: training
      contentType: text/csv;header=present
      dataSource:
        s3DataSource:
          s3DataType: S3Prefix
          s3Uri: s3://bucket/churn/train/
  outputDataConfig:
    s3OutputPath: s3://bucket/automl/
  autoMLProblemTypeConfig:
{problem}
  tags:
    - key: team
      value: ml
{tags}"
    )
}

const TABULAR: &str = "    tabularJobConfig:
      targetAttributeName: churned
      completionCriteria:
        maxCandidates: 3";

fn state(job: &AutoMLJobV2) -> Option<&str> {
    job.status.as_ref().and_then(|s| s.status.as_deref())
}

#[tokio::test]
async fn a_tabular_job_completes_with_its_best_candidate_and_a_running_one_is_stopped_on_delete() {
    let harness = Harness::start("automl").await;
    harness.apply(&job_manifest("churn", TABULAR, "")).await;
    harness
        .apply(&job_manifest(
            "running",
            TABULAR,
            "    - key: emulator:duration-seconds
      value: \"36000\"",
        ))
        .await;
    let api: Api<AutoMLJobV2> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let done = wait_for(&api, "churn", "Completed", |j| {
        state(j) == Some("Completed")
    })
    .await;
    let status = done.status.clone().unwrap();
    let name = status.sage_maker_name.clone().expect("the SageMaker name");
    assert_eq!(
        done.spec.auto_ml_job_name.as_deref(),
        Some(name.as_str()),
        "the derived name is written into the spec (autoMLJobName, as renamed)"
    );
    assert!(
        name.len() <= 32,
        "AutoML job names are at most 32 characters: {name}"
    );
    assert_eq!(
        status.auto_ml_problem_type_config_name.as_deref(),
        Some("Tabular")
    );
    let best = status.best_candidate.expect("the best candidate");
    let candidate = best.candidate_name.clone().expect("its name");
    assert!(
        best.inference_containers.is_some_and(|c| !c.is_empty()),
        "the best candidate's inference containers"
    );
    assert!(status.auto_ml_job_artifacts.is_some(), "the notebooks");
    let listed = harness
        .cluster
        .kubectl(&["get", "automljobsv2", "-n", &harness.namespace])
        .await
        .expect_success();
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.starts_with("churn") && l.contains("Completed") && l.contains(&candidate)),
        "{}",
        listed.stdout
    );

    let running = wait_for(&api, "running", "InProgress", |j| {
        state(j) == Some("InProgress")
    })
    .await;
    let running_name = running.status.unwrap().sage_maker_name.unwrap();
    api.delete("running", &DeleteParams::default())
        .await
        .unwrap();
    gone(&api, "running").await;
    let described = harness
        .sagemaker
        .describe_auto_ml_job_v2()
        .auto_ml_job_name(&running_name)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            described.auto_ml_job_status().map(|s| s.as_str()),
            Some("Stopping" | "Stopped")
        ),
        "stopped with its object: {described:?}"
    );
    assert!(harness.sagemaker_calls("StopAutoMLJob").await >= 1);
}

#[tokio::test]
async fn a_problem_type_is_exactly_one_and_a_job_is_never_edited() {
    let harness = Harness::start("automl-admission").await;
    harness
        .assert_refused(&job_manifest("refused", "    {}", ""), "tabularJobConfig")
        .await;
    harness
        .assert_refused(
            &job_manifest(
                "refused",
                &format!(
                    "{TABULAR}
    textClassificationJobConfig:
      contentColumn: text
      targetLabelColumn: label"
                ),
                "",
            ),
            "exactly one of",
        )
        .await;
    harness.apply(&job_manifest("fixed", TABULAR, "")).await;
    harness
        .assert_refused(
            &job_manifest(
                "fixed",
                &TABULAR.replace("maxCandidates: 3", "maxCandidates: 4"),
                "",
            ),
            "spec.autoMLProblemTypeConfig",
        )
        .await;
}
