//! ModelPackage (a generated kind SageMaker names itself: a version in a model package group,
//! called by its ARN) against the emulator: versions registered in the group a
//! `modelPackageGroupRef` names, approval and customer metadata changed in place, deleted
//! without leftovers; the crash windows (created, then the operator stopped before the status
//! recorded the ARN — on the next reconcile and on delete) leave exactly one version, then none;
//! bad input and edits refused at admission naming the field.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_api::{CREATING_NAME_ANNOTATION, FINALIZER, ModelPackage, ModelPackageGroup};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{gone, wait_for};
use crate::harness::Harness;

const GROUP: &str = "apiVersion: sagemaker.aws.amazon.com/v1
kind: ModelPackageGroup
metadata:
  name: churn
spec:
  region: us-west-2
  modelPackageGroupName: churn
";

fn package_manifest(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: ModelPackage
metadata:
  name: {name}
spec:
  region: us-west-2
  inferenceSpecification:
    containers:
      - image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
        modelDataUrl: s3://bucket/churn/model.tar.gz
    supportedContentTypes: [text/csv]
    supportedResponseMimeTypes: [text/csv]
  {spec}
"
    )
}

/// A HostingDeployment `churn-endpoint` serving the version of the ModelPackage object `package`.
pub fn deployment_manifest(package: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: HostingDeployment
metadata:
  name: churn-endpoint
spec:
  region: us-west-2
  productionVariants:
    - variantName: all
      modelName: churn
      initialInstanceCount: 1
      instanceType: ml.c5.large
  models:
    - name: churn
      executionRoleArn: arn:aws:iam::123456789012:role/r
      containers:
        - containerHostname: churn
          modelPackageRef: {{name: {package}}}
"
    )
}

pub fn state(package: &ModelPackage) -> Option<&str> {
    package.status.as_ref().and_then(|s| s.status.as_deref())
}

pub fn packages(harness: &Harness) -> Api<ModelPackage> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

async fn completed(api: &Api<ModelPackage>, name: &str) -> ModelPackage {
    wait_for(api, name, "Completed", |p| state(p) == Some("Completed")).await
}

/// The ARNs of the versions SageMaker holds in a group.
pub async fn versions_in(harness: &Harness, group: &str) -> Vec<String> {
    let listed = harness
        .sagemaker
        .list_model_packages()
        .model_package_group_name(group)
        .send()
        .await
        .unwrap();
    listed
        .model_package_summary_list()
        .iter()
        .filter_map(|summary| summary.model_package_arn().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn versions_are_registered_approved_in_place_and_deleted() {
    let harness = Harness::start("mp").await;
    // The package waits for the group it refers to, applied after it.
    harness
        .apply(&package_manifest(
            "churn-v1",
            "modelPackageGroupRef: {name: churn}
  modelPackageDescription: first
  customerMetadataProperties: {trainedBy: nightly, dataset: \"2026-12\"}",
        ))
        .await;
    harness.apply(GROUP).await;
    let api = packages(&harness);
    let v1 = completed(&api, "churn-v1").await;
    let status = v1.status.clone().unwrap();
    let arn = status.model_package_arn.clone().expect("the ARN");
    assert!(arn.ends_with(":model-package/churn/1"), "{arn}");
    assert_eq!(
        status.sage_maker_name.as_deref(),
        Some(arn.as_str()),
        "the version is named by its ARN"
    );
    assert_eq!(status.model_package_version, Some(1));
    assert_eq!(status.model_package_group_name.as_deref(), Some("churn"));
    assert_eq!(
        status.model_approval_status.as_deref(),
        Some("PendingManualApproval")
    );
    harness
        .apply(&package_manifest(
            "churn-v2",
            "modelPackageGroupName: churn
  modelApprovalStatus: Rejected",
        ))
        .await;
    let v2 = completed(&api, "churn-v2").await;
    assert_eq!(v2.status.as_ref().unwrap().model_package_version, Some(2));
    // One version per object (a create the SDK retried is answered under its token).
    assert_eq!(versions_in(&harness, "churn").await.len(), 2);

    // Approve v1 and drop one metadata key: one UpdateModelPackage, in place.
    let patch = serde_json::json!({"spec": {
        "modelApprovalStatus": "Approved",
        "customerMetadataProperties": {"trainedBy": "nightly", "dataset": null},
    }});
    api.patch("churn-v1", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let approved = wait_for(&api, "churn-v1", "Approved", |p| {
        p.status
            .as_ref()
            .and_then(|s| s.model_approval_status.as_deref())
            == Some("Approved")
    })
    .await;
    let described = harness
        .sagemaker
        .describe_model_package()
        .model_package_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.model_approval_status().map(|s| s.as_str()),
        Some("Approved")
    );
    let metadata = described.customer_metadata_properties().unwrap();
    assert_eq!(
        metadata.get("trainedBy").map(String::as_str),
        Some("nightly")
    );
    assert!(
        !metadata.contains_key("dataset"),
        "a key taken out of the spec is removed: {metadata:?}"
    );
    assert_eq!(harness.sagemaker_calls("UpdateModelPackage").await, 1);
    assert_eq!(
        approved.status.unwrap().model_package_arn.as_deref(),
        Some(arn.as_str()),
        "updated, not registered again"
    );
    // The columns, under the short name.
    let listed = harness
        .cluster
        .kubectl(&["get", "mp", "-n", &harness.namespace])
        .await
        .expect_success();
    let row = listed.stdout.lines().find(|l| l.starts_with("churn-v1"));
    assert!(
        row.is_some_and(|row| row.contains("Completed")
            && row.contains("churn")
            && row.contains(" 1 ")
            && row.contains("Approved")),
        "{}",
        listed.stdout
    );

    for name in ["churn-v1", "churn-v2"] {
        api.delete(name, &DeleteParams::default()).await.unwrap();
        gone(&api, name).await;
    }
    assert!(versions_in(&harness, "churn").await.is_empty());
    assert_eq!(harness.sagemaker_calls("DeleteModelPackage").await, 2);
    let groups: Api<ModelPackageGroup> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    groups
        .delete("churn", &DeleteParams::default())
        .await
        .unwrap();
    wait_until(Duration::from_secs(90), "group deleted", || {
        let groups = groups.clone();
        async move {
            groups
                .get_opt("churn")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        }
    })
    .await;
}

/// SageMaker answered the create, the operator stopped before the status recorded the ARN: the
/// version is found again through the idempotency token (the object's UID), not registered a
/// second time — and on delete, where nothing recorded says which version is the object's.
#[tokio::test]
async fn a_version_created_before_its_record_is_followed_once_and_deleted_with_the_object() {
    let mut harness = Harness::start("mp-crash").await;
    harness.apply(GROUP).await;
    let groups: Api<ModelPackageGroup> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&groups, "churn", "Completed", |g| {
        g.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Completed")
    })
    .await;
    harness.operator.terminate().await;
    let api = packages(&harness);
    let mut arns = Vec::new();
    for name in ["followed", "deleted"] {
        harness
            .apply(&package_manifest(name, "modelPackageGroupName: churn"))
            .await;
        let uid = api.get(name).await.unwrap().metadata.uid.unwrap();
        // What the operator's create did before it stopped: the token pinned, the version made
        // (under that token; a version takes no tags).
        let patch = serde_json::json!({"metadata": {
            "finalizers": [FINALIZER],
            "annotations": {CREATING_NAME_ANNOTATION: uid},
        }});
        api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
        let arn = harness
            .sagemaker
            .create_model_package()
            .model_package_group_name("churn")
            .client_token(&uid)
            .send()
            .await
            .unwrap()
            .model_package_arn
            .unwrap();
        arns.push(arn);
    }
    api.delete("deleted", &DeleteParams::default())
        .await
        .unwrap();
    harness.operator =
        crate::harness::spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let followed = completed(&api, "followed").await;
    assert_eq!(
        followed.status.unwrap().model_package_arn.as_ref(),
        Some(&arns[0]),
        "the version made before the crash is followed"
    );
    gone(&api, "deleted").await;
    assert_eq!(
        versions_in(&harness, "churn").await,
        vec![arns[0].clone()],
        "one version for the followed object, none for the deleted one"
    );
}

#[tokio::test]
async fn bad_package_specs_and_edits_are_refused_at_admission_naming_the_field() {
    let harness = Harness::start("mp-admission").await;
    for (spec, field) in [
        // A version needs its group: one of the two.
        ("modelPackageDescription: lost", "modelPackageGroupRef"),
        (
            "modelPackageGroupName: churn
  modelPackageGroupRef: {name: churn}",
            "modelPackageGroupRef",
        ),
        (
            "modelPackageGroupName: churn
  modelApprovalStatus: Maybe",
            "spec.modelApprovalStatus",
        ),
    ] {
        harness
            .assert_refused(&package_manifest("refused", spec), field)
            .await;
    }
    harness
        .apply(&package_manifest(
            "fixed",
            "modelPackageGroupName: churn
  modelPackageDescription: first",
        ))
        .await;
    harness
        .assert_refused(
            &package_manifest(
                "fixed",
                "modelPackageGroupName: churn
  modelPackageDescription: second",
            ),
            "spec.modelPackageDescription",
        )
        .await;
}

/// "Approve the version, deploy it" as edits: a Model names the ModelPackage object, waits until
/// the version is registered, and is created with the version's ARN.
#[tokio::test]
async fn a_model_deploys_the_version_its_reference_names() {
    let harness = Harness::start("mp-model").await;
    harness
        .apply(
            "apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: churn-serving
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/r
  primaryContainer:
    modelPackageRef: {name: churn-v1}
",
        )
        .await;
    let models: Api<sagemaker_k8s_api::Model> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&models, "churn-serving", "waiting for its package", |m| {
        m.status
            .as_ref()
            .and_then(|s| s.common.conditions.as_ref())
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c.type_ == "ReferencesReady" && c.status == "False")
            })
    })
    .await;
    assert_eq!(harness.sagemaker_calls("CreateModel").await, 0);
    harness.apply(GROUP).await;
    harness
        .apply(&package_manifest(
            "churn-v1",
            "modelPackageGroupName: churn
  modelApprovalStatus: Approved",
        ))
        .await;
    let arn = completed(&packages(&harness), "churn-v1")
        .await
        .status
        .unwrap()
        .model_package_arn
        .unwrap();
    wait_for(&models, "churn-serving", "Created", |m| {
        m.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
    })
    .await;
    let described = harness
        .sagemaker
        .describe_model()
        .model_name("churn-serving")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .primary_container()
            .and_then(|c| c.model_package_name()),
        Some(arn.as_str()),
        "the model runs the version the reference names"
    );
}

/// A HostingDeployment serves a registered version by `modelPackageRef`: it waits (nothing
/// created, `ReferencesReady` false) until the version is registered, then its model runs the
/// version's ARN; pointing the reference at the next version is an edit that rolls the
/// endpoint to it.
#[tokio::test]
async fn a_hosting_deployment_serves_the_version_its_reference_names() {
    let harness = Harness::start("mp-hd").await;
    harness.apply(&deployment_manifest("churn-v1")).await;
    let deployments: Api<sagemaker_k8s_api::HostingDeployment> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let condition_is = |d: &sagemaker_k8s_api::HostingDeployment, status: &str| {
        d.status
            .as_ref()
            .and_then(|s| s.common.conditions.as_ref())
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c.type_ == "ReferencesReady" && c.status == status)
            })
    };
    let waiting = wait_for(
        &deployments,
        "churn-endpoint",
        "waiting for churn-v1",
        |d| condition_is(d, "False"),
    )
    .await;
    assert!(
        waiting
            .status
            .and_then(|s| s.common.additional)
            .is_some_and(|text| text.contains("Waiting for ModelPackage \"churn-v1\"")),
        "the status names the package it waits for"
    );
    assert_eq!(harness.sagemaker_calls("CreateModel").await, 0);

    harness.apply(GROUP).await;
    let api = packages(&harness);
    let mut arns = Vec::new();
    for name in ["churn-v1", "churn-v2"] {
        harness
            .apply(&package_manifest(
                name,
                "modelPackageGroupName: churn
  modelApprovalStatus: Approved",
            ))
            .await;
        arns.push(
            completed(&api, name)
                .await
                .status
                .unwrap()
                .model_package_arn
                .unwrap(),
        );
    }
    let serving = |harness: &Harness, arn: String| {
        let sagemaker = harness.sagemaker.clone();
        async move {
            let models = sagemaker.list_models().send().await.unwrap();
            for summary in models.models() {
                let described = sagemaker
                    .describe_model()
                    .model_name(summary.model_name().unwrap())
                    .send()
                    .await
                    .unwrap();
                let runs = described
                    .containers()
                    .iter()
                    .chain(described.primary_container())
                    .any(|c| c.model_package_name() == Some(arn.as_str()));
                if runs {
                    return true;
                }
            }
            false
        }
    };
    wait_for(&deployments, "churn-endpoint", "InService", |d| {
        d.status.as_ref().and_then(|s| s.endpoint_status.as_deref()) == Some("InService")
            && condition_is(d, "True")
    })
    .await;
    assert!(
        serving(&harness, arns[0].clone()).await,
        "v1's ARN is deployed"
    );

    // Roll to the next version: an edit of the reference.
    harness.apply(&deployment_manifest("churn-v2")).await;
    wait_until(Duration::from_secs(120), "the endpoint runs v2", || async {
        let d = deployments.get("churn-endpoint").await.unwrap();
        let settled = d.status.as_ref().and_then(|s| s.endpoint_status.as_deref())
            == Some("InService")
            && d.status.as_ref().and_then(|s| s.common.observed_generation)
                == d.metadata.generation;
        (settled && serving(&harness, arns[1].clone()).await).then_some(())
    })
    .await;
}
