//! The deletion policy (`sagemaker.aws.amazon.com/deletion-policy`, docs/controls.md): `retain`
//! on the object, on its namespace, or as the operator's `--deletion-policy` lets the object go
//! without stopping or deleting anything in SageMaker, removes only the ownership tag, and says
//! what was kept in an Event; `delete` on the object wins over its namespace's `retain`; a value
//! that is neither keeps the object, with a condition saying why, until it is fixed.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, ListParams};
use sagemaker_k8s_api::{DELETION_POLICY_ANNOTATION, EndpointConfig, HostingDeployment, Model};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{configs_created, endpoint_manifest, endpoint_status, gone, wait_for};
use crate::harness::{Harness, spawn_operator_with, status_of, training_job_manifest};

const OWNER_TAG: &str = "sagemaker.aws.amazon.com/owner-uid";
const HOSTING_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml");

/// The keys of the tags on `arn`.
async fn tag_keys(harness: &Harness, arn: &str) -> Vec<String> {
    harness.tags_of(arn).await.into_keys().collect()
}

/// Asserts the resource is kept with the user's `team` tag and without the ownership tag.
async fn assert_kept_untagged(harness: &Harness, what: &str, arn: &str) {
    let keys = tag_keys(harness, arn).await;
    assert!(
        keys.iter().all(|key| key != OWNER_TAG),
        "{what}: the ownership tag is removed: {keys:?}"
    );
    assert!(
        keys.iter().any(|key| key == "team"),
        "{what}: the user's tags stay: {keys:?}"
    );
}

/// The notes of the namespace's Events with `reason`.
async fn event_notes(harness: &Harness, reason: &str) -> Vec<String> {
    let events: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    events
        .list(&ListParams::default())
        .await
        .expect("listing Events")
        .items
        .into_iter()
        .filter(|event| event.reason.as_deref() == Some(reason))
        .filter_map(|event| event.message)
        .collect()
}

async fn annotate(harness: &Harness, resource: &str, value: &str) {
    let mut args = vec!["annotate", "--overwrite", resource];
    let annotation = format!("{DELETION_POLICY_ANNOTATION}={value}");
    args.push(&annotation);
    if !resource.starts_with("namespace/") {
        args.extend(["-n", &harness.namespace]);
    }
    harness.cluster.kubectl(&args).await.expect_success();
}

#[tokio::test]
async fn retain_on_the_object_or_its_namespace_keeps_the_resource_and_removes_only_our_tag() {
    let harness = Harness::start("retain").await;

    // A running job, retained by its own annotation: deleting the object does not stop it.
    let manifest = training_job_manifest(
        "kept-job",
        &[("emulator:duration-seconds", "100000"), ("team", "ml")],
        "",
    )
    .replacen(
        "metadata:\n",
        &format!("metadata:\n  annotations:\n    {DELETION_POLICY_ANNOTATION}: retain\n"),
        1,
    );
    harness.apply(&manifest).await;
    let job = harness
        .wait_for_training_job("kept-job", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    let job_name = job.status.unwrap().sage_maker_training_job_name.unwrap();
    harness
        .training_jobs()
        .delete("kept-job", &DeleteParams::default())
        .await
        .unwrap();
    gone(&harness.training_jobs(), "kept-job").await;
    assert_eq!(
        harness.sagemaker_training_job_status(&job_name).await,
        "InProgress",
        "a retained job runs on"
    );
    assert_eq!(harness.sagemaker_calls("StopTrainingJob").await, 0);
    let described = harness
        .sagemaker
        .describe_training_job()
        .training_job_name(&job_name)
        .send()
        .await
        .unwrap();
    assert_kept_untagged(&harness, "the job", described.training_job_arn().unwrap()).await;

    // The namespace retains; a Model's own `delete` wins over it.
    configs_created(&harness).await;
    harness
        .apply(&endpoint_manifest(
            "serving",
            "endpointConfigName: config-a",
        ))
        .await;
    let endpoints: Api<sagemaker_k8s_api::Endpoint> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let serving = wait_for(&endpoints, "serving", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
    let endpoint_name = serving.status.unwrap().sage_maker_name.unwrap();
    annotate(
        &harness,
        &format!("namespace/{}", harness.namespace),
        "retain",
    )
    .await;
    endpoints
        .delete("serving", &DeleteParams::default())
        .await
        .unwrap();
    gone(&endpoints, "serving").await;
    let endpoint = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint_name)
        .send()
        .await
        .expect("the retained endpoint exists");
    assert_eq!(endpoint.endpoint_status().unwrap().as_str(), "InService");
    assert_kept_untagged(&harness, "the endpoint", endpoint.endpoint_arn().unwrap()).await;
    assert_eq!(harness.sagemaker_calls("DeleteEndpoint").await, 0);

    annotate(&harness, "model/ep-model", "delete").await;
    let models: Api<Model> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let model_name = models.get("ep-model").await.unwrap().status.unwrap();
    let model_name = model_name.sage_maker_model_name.unwrap();
    models
        .delete("ep-model", &DeleteParams::default())
        .await
        .unwrap();
    gone(&models, "ep-model").await;
    let described = harness
        .sagemaker
        .describe_model()
        .model_name(&model_name)
        .send()
        .await;
    assert!(
        described.is_err(),
        "the object's delete wins: {described:?}"
    );

    // Neither delete nor retain: the object stays, says why, and goes once the value is fixed.
    let configs: Api<EndpointConfig> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    annotate(&harness, "endpointconfig/config-b", "keep").await;
    configs
        .delete("config-b", &DeleteParams::default())
        .await
        .unwrap();
    let held = wait_for(&configs, "config-b", "InvalidDeletionPolicy", |config| {
        config
            .status
            .as_ref()
            .and_then(|status| status.common.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.type_ == "Failed" && c.reason == "InvalidDeletionPolicy")
    })
    .await;
    let condition = held
        .status
        .unwrap()
        .common
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Failed")
        .unwrap();
    assert!(
        condition
            .message
            .contains(r#"is "keep"; allowed: "delete", "retain""#),
        "{}",
        condition.message
    );
    assert_eq!(harness.sagemaker_calls("DeleteEndpointConfig").await, 0);
    annotate(&harness, "endpointconfig/config-b", "delete").await;
    gone(&configs, "config-b").await;
    assert_eq!(harness.sagemaker_calls("DeleteEndpointConfig").await, 1);

    let notes = event_notes(&harness, "Retained").await;
    for kept in ["TrainingJob", &format!("Endpoint {endpoint_name}")] {
        assert!(
            notes.iter().any(|note| note.contains(kept)),
            "an Event says {kept} was kept: {notes:?}"
        );
    }
}

#[tokio::test]
async fn the_operators_default_retains_a_hosting_deployments_endpoint_configs_and_models() {
    let mut harness = Harness::start("retain-default").await;
    harness.operator.kill_hard();
    harness.operator = spawn_operator_with(
        harness.cluster,
        &harness.emulator,
        &harness.namespace,
        &["--deletion-policy", "retain"],
        "operator-retain-default",
    );
    let sample = HOSTING_SAMPLE.replacen(
        "spec:\n",
        "spec:\n  tags:\n    - key: team\n      value: ml\n",
        1,
    );
    harness.apply(&sample).await;
    let deployments: Api<HostingDeployment> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let deployment = wait_for(&deployments, "host-xgboost", "InService", |d| {
        d.status.as_ref().and_then(|s| s.endpoint_status.as_deref()) == Some("InService")
    })
    .await;
    let status = deployment.status.unwrap();
    deployments
        .delete("host-xgboost", &DeleteParams::default())
        .await
        .unwrap();
    gone(&deployments, "host-xgboost").await;

    let endpoint_name = status.endpoint_name.unwrap();
    let endpoint = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint_name)
        .send()
        .await
        .expect("the retained endpoint exists");
    assert_eq!(endpoint.endpoint_status().unwrap().as_str(), "InService");
    assert_kept_untagged(&harness, "the endpoint", endpoint.endpoint_arn().unwrap()).await;
    let config = harness
        .sagemaker
        .describe_endpoint_config()
        .endpoint_config_name(status.endpoint_config_name.unwrap())
        .send()
        .await
        .expect("the retained endpoint config exists");
    assert!(
        !tag_keys(&harness, config.endpoint_config_arn().unwrap())
            .await
            .iter()
            .any(|key| key == OWNER_TAG)
    );
    for model in status.model_names.unwrap() {
        let described = harness
            .sagemaker
            .describe_model()
            .model_name(&model.value)
            .send()
            .await
            .expect("the retained model exists");
        assert!(
            !tag_keys(&harness, described.model_arn().unwrap())
                .await
                .iter()
                .any(|key| key == OWNER_TAG),
            "{}",
            model.value
        );
    }
    for call in ["DeleteEndpoint", "DeleteEndpointConfig", "DeleteModel"] {
        assert_eq!(harness.sagemaker_calls(call).await, 0, "{call}");
    }
    let notes = wait_until(Duration::from_secs(30), "the Retained Event", || async {
        let notes = event_notes(&harness, "Retained").await;
        (!notes.is_empty()).then_some(notes)
    })
    .await;
    assert!(
        notes[0].contains(&format!("endpoint {endpoint_name}")),
        "{notes:?}"
    );
}
