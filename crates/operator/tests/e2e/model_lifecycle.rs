//! The model lifecycle held together (samples/pipeline.yaml): a pipeline run registers a
//! version; a ModelPackage object takes that version over by naming the run's step
//! (`registeredBy`); a HostingDeployment names the ModelPackage and waits until it is approved;
//! approving it is an edit of the object, after which the endpoint serves exactly that version;
//! and deleting the objects deletes the version. Also: a step that registered nothing is named
//! in the status, and the fields a step gives are refused at admission.

use std::time::Duration;

use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_api::{HostingDeployment, ModelPackage, PipelineExecution};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{gone, wait_for};
use crate::harness::Harness;
use crate::model_package::{deployment_manifest, packages, state, versions_in};
use crate::pipeline::{execution_manifest, group_ready, pipeline_manifest, run_state};

fn taken_over(name: &str, run: &str, step: &str, extra: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: ModelPackage
metadata:
  name: {name}
spec:
  region: us-west-2
  registeredBy:
    pipelineExecutionRef: {{name: {run}}}
    stepName: {step}
{extra}"
    )
}

fn references_ready(deployment: &HostingDeployment) -> Option<(String, String)> {
    let status = deployment.status.as_ref()?;
    let condition = status
        .common
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "ReferencesReady")?;
    Some((condition.status.clone(), condition.message.clone()))
}

/// The ModelPackage ARNs the endpoint's models run.
async fn served_packages(harness: &Harness) -> Vec<String> {
    let mut served = Vec::new();
    let models = harness.sagemaker.list_models().send().await.unwrap();
    for summary in models.models() {
        let described = harness
            .sagemaker
            .describe_model()
            .model_name(summary.model_name().unwrap())
            .send()
            .await
            .unwrap();
        served.extend(
            described
                .containers()
                .iter()
                .chain(described.primary_container())
                .filter_map(|c| c.model_package_name().map(str::to_string)),
        );
    }
    served
}

/// Waits until SageMaker's description of the version `arn` satisfies `check`.
async fn described_until(
    harness: &Harness,
    arn: &str,
    what: &str,
    check: impl Fn(&DescribeModelPackageOutput) -> bool,
) {
    wait_until(Duration::from_secs(90), what, || {
        let described = harness
            .sagemaker
            .describe_model_package()
            .model_package_name(arn)
            .send();
        let check = &check;
        async move { described.await.ok().filter(|d| check(d)).map(|_| ()) }
    })
    .await;
}

/// Merges `spec` into the ModelPackage `name`.
async fn edit(api: &Api<ModelPackage>, name: &str, spec: serde_json::Value) {
    let patch = serde_json::json!({ "spec": spec });
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

fn metadata<'a>(described: &'a DescribeModelPackageOutput, key: &str) -> Option<&'a str> {
    described
        .customer_metadata_properties()?
        .get(key)
        .map(String::as_str)
}

#[tokio::test]
async fn a_run_registers_a_version_approved_in_its_object_and_served() {
    let harness = Harness::start("lifecycle").await;
    group_ready(&harness).await;
    // Everything at once, as a GitOps tool applies a directory: each object waits for what it
    // names.
    for manifest in [
        pipeline_manifest("churn-train", "train and register", ""),
        execution_manifest("run-1", "churn-train", ""),
        taken_over(
            "churn-latest",
            "run-1",
            "Register",
            "  customerMetadataProperties: {reviewedBy: nobody-yet}\n",
        ),
        deployment_manifest("churn-latest"),
    ] {
        harness.apply(&manifest).await;
    }
    let runs: Api<PipelineExecution> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let run = wait_for(&runs, "run-1", "Succeeded", |r| {
        run_state(r) == Some("Succeeded")
    })
    .await;
    let registered = run
        .status
        .and_then(|s| s.steps)
        .unwrap_or_default()
        .into_iter()
        .find(|step| step.step_name.as_deref() == Some("Register"))
        .and_then(|step| step.metadata?.register_model?.arn)
        .expect("the run's status shows the version its Register step registered");

    let api = packages(&harness);
    let package = wait_for(&api, "churn-latest", "Completed", |p| {
        state(p) == Some("Completed")
    })
    .await;
    let status = package.status.expect("a status");
    assert_eq!(
        status.model_package_arn.as_deref(),
        Some(registered.as_str()),
        "the object is the version the step registered"
    );
    assert_eq!(
        status.model_approval_status.as_deref(),
        Some("PendingManualApproval")
    );
    assert_eq!(
        versions_in(&harness, "churn").await,
        vec![registered.clone()],
        "nothing registered besides the pipeline's version"
    );
    // The spec's metadata went to the version with UpdateModelPackage.
    described_until(&harness, &registered, "the spec's metadata sent", |d| {
        metadata(d, "reviewedBy") == Some("nobody-yet")
    })
    .await;

    // Not approved: the deployment waits, naming the package and its approval.
    let deployments: Api<HostingDeployment> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let waiting = wait_for(
        &deployments,
        "churn-endpoint",
        "waiting for approval",
        |d| {
            references_ready(d).is_some_and(|(ready, message)| {
                ready == "False" && message.contains("PendingManualApproval")
            })
        },
    )
    .await;
    let (_, message) = references_ready(&waiting).unwrap();
    assert!(
        message.contains("ModelPackage \"churn-latest\""),
        "{message}"
    );
    assert_eq!(harness.sagemaker_calls("CreateModel").await, 0);

    // Approve it: an edit of the object, sent in place; the endpoint then serves the version.
    edit(
        &api,
        "churn-latest",
        serde_json::json!({"modelApprovalStatus": "Approved"}),
    )
    .await;
    described_until(&harness, &registered, "approved in SageMaker", |d| {
        d.model_approval_status().map(|a| a.as_str()) == Some("Approved")
    })
    .await;
    wait_for(&deployments, "churn-endpoint", "InService", |d| {
        d.status.as_ref().and_then(|s| s.endpoint_status.as_deref()) == Some("InService")
    })
    .await;
    assert_eq!(served_packages(&harness).await, vec![registered.clone()]);

    // The run object may go: the version is the ModelPackage's now, and still edited in place.
    runs.delete("run-1", &DeleteParams::default())
        .await
        .unwrap();
    gone(&runs, "run-1").await;
    edit(
        &api,
        "churn-latest",
        serde_json::json!({"customerMetadataProperties": {"reviewedBy": "alice"}}),
    )
    .await;
    described_until(&harness, &registered, "the edit reaches SageMaker", |d| {
        metadata(d, "reviewedBy") == Some("alice")
    })
    .await;
    // Done with its run, the object refers to nothing: no references condition is shown.
    wait_for(&api, "churn-latest", "no ReferencesReady", |p| {
        let conditions = p.status.as_ref().and_then(|s| s.common.conditions.as_ref());
        conditions.is_some_and(|c| c.iter().all(|c| c.type_ != "ReferencesReady"))
    })
    .await;

    // Deleting the objects deletes what they own: the endpoint, then the version.
    deployments
        .delete("churn-endpoint", &DeleteParams::default())
        .await
        .unwrap();
    gone(&deployments, "churn-endpoint").await;
    api.delete("churn-latest", &DeleteParams::default())
        .await
        .unwrap();
    gone(&api, "churn-latest").await;
    assert!(
        versions_in(&harness, "churn").await.is_empty(),
        "the version went with its object"
    );
}

#[tokio::test]
async fn a_step_that_registered_nothing_is_named_and_step_fields_are_refused() {
    let harness = Harness::start("lifecycle-bad").await;
    // What the step gives cannot be set with it, and one of step and group must be named.
    for (extra, field) in [
        (
            "  modelPackageDescription: mine\n",
            "the pipeline step gives modelPackageDescription",
        ),
        (
            "  modelPackageGroupName: churn\n",
            "exactly one of registeredBy, modelPackageGroupRef, modelPackageGroupName",
        ),
    ] {
        harness
            .assert_refused(&taken_over("refused", "run-1", "Register", extra), field)
            .await;
    }
    group_ready(&harness).await;
    for manifest in [
        pipeline_manifest("churn-train", "train and register", ""),
        execution_manifest("run-1", "churn-train", ""),
        taken_over("trained", "run-1", "Train", ""),
    ] {
        harness.apply(&manifest).await;
    }
    let api: Api<ModelPackage> = packages(&harness);
    let failed = wait_for(&api, "trained", "Failed", |p| state(p) == Some("Failed")).await;
    let additional = failed.status.and_then(|s| s.common.additional);
    assert_eq!(
        additional.as_deref(),
        Some(
            "registeredBy: step \"Train\" of the run registered no model package version (it is Succeeded)"
        ),
    );
    // The step named is fixed: another is another object.
    harness
        .assert_refused(
            &taken_over("trained", "run-1", "Register", ""),
            "spec.registeredBy cannot be set, changed or removed",
        )
        .await;
    api.delete("trained", &DeleteParams::default())
        .await
        .unwrap();
    gone(&api, "trained").await;
    assert_eq!(
        versions_in(&harness, "churn").await.len(),
        1,
        "the run's version stays: the object never took it"
    );
}
