//! Pipeline and PipelineExecution (generated kinds) against the emulator: a pipeline created
//! from the definition object in its spec and changed in place with UpdatePipeline; a run
//! started on it by `pipelineRef` with parameters, followed step by step until its
//! RegisterModel step has registered a version; a failed step named in `additional`; a running
//! run stopped when its object is deleted; the crash window (started, then the operator stopped
//! before the status recorded the ARN) leaving exactly one run; bad input refused at admission
//! naming the field.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_api::{
    CREATING_NAME_ANNOTATION, FINALIZER, ModelPackageGroup, Pipeline, PipelineExecution,
};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{gone, wait_for};
use crate::harness::Harness;

pub const GROUP: &str = "apiVersion: sagemaker.aws.amazon.com/v1
kind: ModelPackageGroup
metadata:
  name: churn
spec:
  region: us-west-2
  modelPackageGroupName: churn
";

/// Train, then register what was trained in the `churn` group with the approval status the
/// run's parameter gives. `tags` go on the pipeline (the emulator's fault tags).
pub fn pipeline_manifest(name: &str, description: &str, tags: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: Pipeline
metadata:
  name: {name}
spec:
  region: us-west-2
  roleArn: arn:aws:iam::123456789012:role/pipelines
  pipelineDescription: {description}
  pipelineDefinition:
    Version: \"2020-12-01\"
    Parameters:
      - Name: ApprovalStatus
        Type: String
        DefaultValue: PendingManualApproval
    Steps:
      - Name: Train
        Type: Training
        Arguments:
          AlgorithmSpecification:
            TrainingImage: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
            TrainingInputMode: File
          OutputDataConfig:
            S3OutputPath: s3://bucket/churn
          ResourceConfig:
            InstanceCount: 1
            InstanceType: ml.m5.large
            VolumeSizeInGB: 5
          RoleArn: arn:aws:iam::123456789012:role/pipelines
          StoppingCondition:
            MaxRuntimeInSeconds: 3600
      - Name: Register
        Type: RegisterModel
        Arguments:
          ModelPackageGroupName: churn
          ModelApprovalStatus:
            Get: Parameters.ApprovalStatus
          InferenceSpecification:
            Containers:
              - Image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
                ModelDataUrl:
                  Get: Steps.Train.ModelArtifacts.S3ModelArtifacts
            SupportedContentTypes: [text/csv]
            SupportedResponseMIMETypes: [text/csv]
  tags:
    - key: team
      value: ml
{tags}"
    )
}

pub fn execution_manifest(name: &str, pipeline: &str, parameters: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: PipelineExecution
metadata:
  name: {name}
spec:
  region: us-west-2
  pipelineRef: {{name: {pipeline}}}
  pipelineExecutionDisplayName: {name}
{parameters}"
    )
}

fn pipeline_state(pipeline: &Pipeline) -> Option<&str> {
    pipeline.status.as_ref().and_then(|s| s.status.as_deref())
}

pub fn run_state(run: &PipelineExecution) -> Option<&str> {
    run.status.as_ref().and_then(|s| s.status.as_deref())
}

pub async fn group_ready(harness: &Harness) {
    harness.apply(GROUP).await;
    let groups: Api<ModelPackageGroup> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&groups, "churn", "Completed", |g| {
        g.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Completed")
    })
    .await;
}

/// The definition SageMaker holds for a pipeline, parsed.
async fn described_definition(harness: &Harness, name: &str) -> serde_json::Value {
    let described = harness
        .sagemaker
        .describe_pipeline()
        .pipeline_name(name)
        .send()
        .await
        .unwrap();
    serde_json::from_str(described.pipeline_definition().expect("a definition")).unwrap()
}

async fn runs_of(harness: &Harness, pipeline: &str) -> Vec<String> {
    harness
        .sagemaker
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()
        .iter()
        .filter_map(|run| run.pipeline_execution_arn().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_pipeline_is_created_from_its_definition_object_updated_in_place_and_deleted() {
    let harness = Harness::start("pipeline").await;
    harness
        .apply(&pipeline_manifest("churn-train", "first", ""))
        .await;
    let api: Api<Pipeline> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let active = wait_for(&api, "churn-train", "Active", |p| {
        pipeline_state(p) == Some("Active")
    })
    .await;
    let name = active
        .status
        .unwrap()
        .sage_maker_name
        .expect("the SageMaker name");
    let definition = described_definition(&harness, &name).await;
    assert_eq!(definition["Steps"][1]["Type"], "RegisterModel");
    assert_eq!(
        definition["Steps"][1]["Arguments"]["ModelApprovalStatus"]["Get"],
        "Parameters.ApprovalStatus",
        "the definition object is sent as it is written"
    );

    // An edit of the definition and the description goes to SageMaker in place.
    let patch = serde_json::json!({"spec": {
        "pipelineDescription": "second",
        "pipelineDefinition": {"Parameters": [{
            "Name": "ApprovalStatus", "Type": "String", "DefaultValue": "Approved"
        }]},
    }});
    api.patch(
        "churn-train",
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .unwrap();
    wait_until(Duration::from_secs(90), "the definition updated", || {
        let harness = &harness;
        let name = name.clone();
        async move {
            let definition = described_definition(harness, &name).await;
            (definition["Parameters"][0]["DefaultValue"] == "Approved").then_some(definition)
        }
    })
    .await;
    let described = harness
        .sagemaker
        .describe_pipeline()
        .pipeline_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(described.pipeline_description(), Some("second"));
    assert!(harness.sagemaker_calls("UpdatePipeline").await >= 1);
    // One pipeline, however many requests a loaded machine's SDK retries made of the create.
    let listed = harness.sagemaker.list_pipelines().send().await.unwrap();
    assert_eq!(listed.pipeline_summaries().len(), 1, "{listed:?}");

    let listed = harness
        .cluster
        .kubectl(&["get", "pipelines", "-n", &harness.namespace])
        .await
        .expect_success();
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.starts_with("churn-train") && l.contains("Active") && l.contains(&name)),
        "{}",
        listed.stdout
    );

    api.delete("churn-train", &DeleteParams::default())
        .await
        .unwrap();
    gone(&api, "churn-train").await;
    let after = harness
        .sagemaker
        .describe_pipeline()
        .pipeline_name(&name)
        .send()
        .await;
    assert!(
        after.is_err(),
        "deleted with its object: {after:?} (CreatePipeline sent {} times, DeletePipeline {})",
        harness.sagemaker_calls("CreatePipeline").await,
        harness.sagemaker_calls("DeletePipeline").await
    );
}

#[tokio::test]
async fn a_run_follows_its_steps_registers_a_version_and_a_failed_step_is_named() {
    let harness = Harness::start("pipeline-run").await;
    group_ready(&harness).await;
    // The run first: it waits for its pipeline (the sandbox applies samples in any order), and
    // until it has started it has no name to Describe (only its token).
    harness
        .apply(&execution_manifest(
            "run-1",
            "churn-train",
            "  pipelineParameters:
    - name: ApprovalStatus
      value: Approved",
        ))
        .await;
    let runs: Api<PipelineExecution> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&runs, "run-1", "waiting for its pipeline", |r| {
        r.status.as_ref().is_some_and(|s| {
            s.common
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "ReferencesReady" && c.status == "False")
        })
    })
    .await;
    harness
        .apply(&pipeline_manifest(
            "churn-train",
            "trains and registers",
            "",
        ))
        .await;
    let done = wait_for(&runs, "run-1", "Succeeded", |r| {
        run_state(r) == Some("Succeeded")
    })
    .await;
    let status = done.status.unwrap();
    let steps = status.steps.expect("the steps");
    let mut names: Vec<_> = steps
        .iter()
        .map(|s| (s.step_name.clone().unwrap(), s.step_status.clone().unwrap()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("Register".to_string(), "Succeeded".to_string()),
            ("Train".to_string(), "Succeeded".to_string())
        ]
    );
    let registered = steps
        .iter()
        .find(|s| s.step_name.as_deref() == Some("Register"))
        .and_then(|s| s.metadata.as_ref()?.register_model.as_ref()?.arn.clone())
        .expect("the version the step registered");
    let package = harness
        .sagemaker
        .describe_model_package()
        .model_package_name(&registered)
        .send()
        .await
        .unwrap();
    assert_eq!(package.model_package_group_name(), Some("churn"));
    assert_eq!(
        package.model_approval_status().map(|s| s.as_str()),
        Some("Approved"),
        "the run's parameter reached the step"
    );
    assert!(
        status
            .pipeline_arn
            .is_some_and(|arn| arn.contains(":pipeline/"))
    );

    // A run whose training step fails says which step and why.
    harness
        .apply(&pipeline_manifest(
            "churn-broken",
            "fails",
            "    - key: emulator:fail-step
      value: Train
    - key: emulator:failure-reason
      value: \"ClientError: no training data\"",
        ))
        .await;
    harness
        .apply(&execution_manifest("run-broken", "churn-broken", ""))
        .await;
    let failed = wait_for(&runs, "run-broken", "Failed", |r| {
        run_state(r) == Some("Failed")
    })
    .await;
    let additional = failed.status.unwrap().common.additional.unwrap_or_default();
    // The step and its reason, once (the run's own reason may already give them).
    assert!(
        additional.to_lowercase().contains("step train failed")
            && additional.matches("no training data").count() == 1,
        "{additional}"
    );
    let listed = harness
        .cluster
        .kubectl(&["get", "pipelineexecutions", "-n", &harness.namespace])
        .await
        .expect_success();
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.starts_with("run-1") && l.contains("Succeeded")),
        "{}",
        listed.stdout
    );
}

/// SageMaker started the run, the operator stopped before the status recorded its ARN: the run
/// is found again through the idempotency token (the object's UID), not started a second time.
/// A run still executing when its object is deleted is stopped.
#[tokio::test]
async fn a_run_started_before_its_record_is_followed_once_and_a_running_one_is_stopped_on_delete() {
    let mut harness = Harness::start("pipeline-crash").await;
    group_ready(&harness).await;
    // Steps of an hour: the runs are still executing when the test looks.
    harness
        .apply(&pipeline_manifest(
            "slow",
            "slow steps",
            "    - key: emulator:duration-seconds
      value: \"3600\"",
        ))
        .await;
    let pipelines: Api<Pipeline> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let pipeline = wait_for(&pipelines, "slow", "Active", |p| {
        pipeline_state(p) == Some("Active")
    })
    .await;
    let pipeline_name = pipeline.status.unwrap().sage_maker_name.unwrap();
    harness.operator.terminate().await;
    let runs: Api<PipelineExecution> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    harness
        .apply(&execution_manifest("started", "slow", ""))
        .await;
    let uid = runs.get("started").await.unwrap().metadata.uid.unwrap();
    let patch = serde_json::json!({"metadata": {
        "finalizers": [FINALIZER],
        "annotations": {CREATING_NAME_ANNOTATION: uid},
    }});
    runs.patch("started", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let arn = harness
        .sagemaker
        .start_pipeline_execution()
        .pipeline_name(&pipeline_name)
        .client_request_token(&uid)
        .send()
        .await
        .unwrap()
        .pipeline_execution_arn
        .unwrap();
    harness.operator =
        crate::harness::spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let followed = wait_for(&runs, "started", "Executing", |r| {
        run_state(r) == Some("Executing")
    })
    .await;
    assert_eq!(
        followed.status.unwrap().pipeline_execution_arn.as_ref(),
        Some(&arn),
        "the run started before the crash is followed"
    );
    assert_eq!(runs_of(&harness, &pipeline_name).await, vec![arn.clone()]);

    runs.delete("started", &DeleteParams::default())
        .await
        .unwrap();
    gone(&runs, "started").await;
    let described = harness
        .sagemaker
        .describe_pipeline_execution()
        .pipeline_execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            described.pipeline_execution_status().map(|s| s.as_str()),
            Some("Stopping" | "Stopped")
        ),
        "stopped with its object: {described:?}"
    );
    assert!(harness.sagemaker_calls("StopPipelineExecution").await >= 1);
    assert_eq!(runs_of(&harness, &pipeline_name).await, vec![arn]);
}

#[tokio::test]
async fn bad_pipelines_and_runs_are_refused_at_admission_naming_the_field() {
    let harness = Harness::start("pipeline-admission").await;
    let both = pipeline_manifest("refused", "both", "").replace(
        "  pipelineDescription: both",
        "  pipelineDescription: both
  pipelineDefinitionS3Location:
    bucket: bucket
    objectKey: pipeline.json",
    );
    harness
        .assert_refused(&both, "pipelineDefinitionS3Location")
        .await;
    let neither = "apiVersion: sagemaker.aws.amazon.com/v1
kind: Pipeline
metadata:
  name: refused
spec:
  region: us-west-2
  roleArn: arn:aws:iam::123456789012:role/pipelines
";
    harness.assert_refused(neither, "pipelineDefinition").await;
    harness.apply(&pipeline_manifest("kept", "first", "")).await;
    let renamed = pipeline_manifest("kept", "first", "").replace(
        "  region: us-west-2\n",
        "  region: us-west-2\n  pipelineName: other\n",
    );
    // The operator wrote the derived name into the spec once it saw the object; until then a
    // name may still be given, so wait for it.
    let api: Api<Pipeline> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&api, "kept", "named", |p| p.spec.pipeline_name.is_some()).await;
    harness.assert_refused(&renamed, "spec.pipelineName").await;

    let both_names = execution_manifest("refused", "kept", "  pipelineName: kept");
    harness.assert_refused(&both_names, "pipelineRef").await;
    harness.apply(&execution_manifest("run", "kept", "")).await;
    harness
        .assert_refused(
            &execution_manifest("run", "kept", "  pipelineExecutionDescription: changed"),
            "spec.pipelineExecutionDescription",
        )
        .await;
}
