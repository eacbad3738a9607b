//! Endpoint (a kind generated from SageMaker's API model) against the emulator: created from
//! the configuration it names, switched to another one with UpdateEndpoint, deleted without
//! leftovers, an untagged endpoint of the same name taken over only with our tag, bad input
//! refused at admission naming the field.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_api::{Endpoint, EndpointConfig, Model};
use sagemaker_k8s_testenv::wait_until;

use crate::harness::Harness;

/// A model and two endpoint configurations serving it, as objects the operator creates.
fn model_and_configs() -> String {
    let config = |name: &str| {
        format!(
            "apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: {name}
spec:
  region: us-west-2
  productionVariants:
    - variantName: AllTraffic
      modelName: ep-model
      initialInstanceCount: 1
      instanceType: ml.c5.large
"
        )
    };
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: ep-model
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
    modelDataUrl: s3://my-bucket/model.tar.gz
---
{}---
{}",
        config("config-a"),
        config("config-b")
    )
}

pub fn endpoint_manifest(name: &str, config_field: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: Endpoint
metadata:
  name: {name}
spec:
  region: us-west-2
  {config_field}
  tags:
    - key: team
      value: ml
"
    )
}

/// Waits until the object's status passes `check`.
pub async fn wait_for<K>(api: &Api<K>, name: &str, what: &str, check: impl Fn(&K) -> bool) -> K
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait_until(Duration::from_secs(90), &format!("{name}: {what}"), || {
        let api = api.clone();
        let check = &check;
        async move { api.get_opt(name).await.ok().flatten().filter(|o| check(o)) }
    })
    .await
}

/// Waits until the object is gone (its finalizer released).
pub async fn gone<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait_until(Duration::from_secs(90), &format!("{name} deleted"), || {
        let api = api.clone();
        async move { api.get_opt(name).await.unwrap().is_none().then_some(()) }
    })
    .await;
}

pub async fn configs_created(harness: &Harness) {
    harness.apply(&model_and_configs()).await;
    let models: Api<Model> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&models, "ep-model", "Created", |m| {
        m.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
    })
    .await;
    let configs: Api<EndpointConfig> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    for name in ["config-a", "config-b"] {
        wait_for(&configs, name, "Created", |c| {
            c.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
        })
        .await;
    }
}

pub fn endpoint_status(endpoint: &Endpoint) -> (Option<&str>, Option<&str>) {
    let status = endpoint.status.as_ref();
    (
        status.and_then(|s| s.status.as_deref()),
        status.and_then(|s| s.endpoint_config_name.as_deref()),
    )
}

#[tokio::test]
async fn endpoint_is_created_switched_to_another_config_and_deleted() {
    let harness = Harness::start("endpoint").await;
    configs_created(&harness).await;
    harness
        .apply(&endpoint_manifest(
            "serving",
            "endpointConfigName: config-a",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let created = wait_for(&endpoints, "serving", "InService on config-a", |e| {
        endpoint_status(e) == (Some("InService"), Some("config-a"))
    })
    .await;
    let status = created.status.clone().unwrap();
    let sagemaker_name = status.sage_maker_name.clone().expect("the SageMaker name");
    assert_eq!(
        created.spec.endpoint_name.as_deref(),
        Some(sagemaker_name.as_str()),
        "the derived name is written into the spec"
    );
    assert!(status.endpoint_arn.unwrap().ends_with(&sagemaker_name));
    assert!(status.creation_time.is_some());
    let tags = harness
        .sagemaker
        .list_tags()
        .resource_arn(
            created
                .status
                .as_ref()
                .unwrap()
                .endpoint_arn
                .clone()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("ml"))
    );
    assert!(tags.tags().iter().any(|t| {
        t.key() == Some("sagemaker.aws.amazon.com/owner-uid")
            && t.value() == created.metadata.uid.as_deref()
    }));

    // Another configuration: UpdateEndpoint, then InService on it.
    endpoints
        .patch(
            "serving",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"endpointConfigName": "config-b"}})),
        )
        .await
        .unwrap();
    wait_for(&endpoints, "serving", "InService on config-b", |e| {
        endpoint_status(e) == (Some("InService"), Some("config-b"))
    })
    .await;
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 1);
    assert_eq!(harness.sagemaker_calls("CreateEndpoint").await, 1);

    endpoints
        .delete("serving", &DeleteParams::default())
        .await
        .unwrap();
    wait_until(Duration::from_secs(90), "serving deleted", || {
        let endpoints = endpoints.clone();
        async move {
            endpoints
                .get_opt("serving")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        }
    })
    .await;
    let left = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&sagemaker_name)
        .send()
        .await;
    assert!(
        left.is_err(),
        "the endpoint is gone from SageMaker: {left:?}"
    );
}

#[tokio::test]
async fn someone_elses_endpoint_is_refused_and_one_with_our_tag_is_taken_over() {
    let mut harness = Harness::start("endpoint-owner").await;
    configs_created(&harness).await;
    // Someone else's endpoint under the name the spec asks for: not touched, reported.
    harness
        .sagemaker
        .create_endpoint()
        .endpoint_name("theirs")
        .endpoint_config_name("config-a")
        .send()
        .await
        .unwrap();
    harness
        .apply(&endpoint_manifest(
            "theirs",
            "endpointConfigName: config-a\n  endpointName: theirs",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&endpoints, "theirs", "reported as someone else's", |e| {
        e.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Failed")
    })
    .await;

    // The window between a create and its record: the endpoint exists with this object's
    // ownership tag, the status knows nothing. The operator adopts it instead of creating one.
    harness.operator.terminate().await;
    harness
        .apply(&endpoint_manifest(
            "ours",
            "endpointConfigName: config-a\n  endpointName: ours",
        ))
        .await;
    let uid = endpoints.get("ours").await.unwrap().metadata.uid.unwrap();
    let arn = harness
        .sagemaker
        .create_endpoint()
        .endpoint_name("ours")
        .endpoint_config_name("config-a")
        .tags(
            aws_sdk_sagemaker::types::Tag::builder()
                .key("sagemaker.aws.amazon.com/owner-uid")
                .value(&uid)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .endpoint_arn
        .unwrap();
    harness.operator =
        crate::harness::spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let ours = wait_for(&endpoints, "ours", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
    let status = ours.status.unwrap();
    assert_eq!(status.sage_maker_name.as_deref(), Some("ours"));
    assert_eq!(
        status.endpoint_arn,
        Some(arn),
        "the tagged endpoint is followed"
    );
    let theirs = endpoints.get("theirs").await.unwrap();
    assert_eq!(
        theirs.status.and_then(|s| s.status),
        Some("Failed".to_string()),
        "someone else's endpoint stays someone else's"
    );
}

/// An update SageMaker rolls back (the new configuration cannot be deployed) is shown with
/// SageMaker's FailureReason while the status keeps the configuration still served, and is not
/// sent again for the same spec.
#[tokio::test]
async fn a_failed_update_shows_the_reason_keeps_the_last_good_config_and_is_not_retried() {
    let harness = Harness::start("endpoint-rollback").await;
    configs_created(&harness).await;
    harness
        .apply(
            "apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: config-bad
spec:
  region: us-west-2
  productionVariants:
    - variantName: AllTraffic
      modelName: ep-model
      initialInstanceCount: 1
      instanceType: ml.c5.large
  tags:
    - key: emulator:outcome
      value: Failed
    - key: emulator:failure-reason
      value: The new variant failed its health check.
",
        )
        .await;
    let configs: Api<EndpointConfig> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&configs, "config-bad", "Created", |c| {
        c.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
    })
    .await;
    harness
        .apply(&endpoint_manifest(
            "rollback",
            "endpointConfigRef: {name: config-a}",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&endpoints, "rollback", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
    endpoints
        .patch(
            "rollback",
            &PatchParams::default(),
            &Patch::Merge(
                serde_json::json!({"spec": {"endpointConfigRef": {"name": "config-bad"}}}),
            ),
        )
        .await
        .unwrap();
    let failed = wait_for(
        &endpoints,
        "rollback",
        "back InService with a failure reason",
        |e| {
            let status = e.status.as_ref();
            endpoint_status(e).0 == Some("InService")
                && status.and_then(|s| s.failure_reason.as_deref()).is_some()
                && status.and_then(|s| s.common.observed_generation) == e.metadata.generation
        },
    )
    .await;
    let status = failed.status.unwrap();
    assert_eq!(
        status.endpoint_config_name.as_deref(),
        Some("config-a"),
        "the configuration still served"
    );
    assert!(
        status
            .failure_reason
            .as_deref()
            .is_some_and(|reason| reason.contains("health check")),
        "SageMaker's reason: {:?}",
        status.failure_reason
    );
    assert_eq!(
        status.common.additional, status.failure_reason,
        "the reason is in additional too"
    );
    // The operator saw the rollback (the status above) and sends nothing more for this spec.
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 1);
}

#[tokio::test]
async fn bad_endpoint_specs_are_refused_at_admission_naming_the_field() {
    let harness = Harness::start("endpoint-admission").await;
    for (spec, field) in [
        (
            "endpointConfigName: config-a\n  deploymentConfig:\n    blueGreenUpdatePolicy:\n      trafficRoutingConfiguration:\n        type: SIDEWAYS\n        waitIntervalInSeconds: 10",
            "spec.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type",
        ),
        (
            "endpointConfigName: config-a\n  deploymentConfig:\n    rollingUpdatePolicy:\n      maximumBatchSize: {type: INSTANCE_COUNT, value: 1}\n      waitIntervalInSeconds: 7200",
            "spec.deploymentConfig.rollingUpdatePolicy.waitIntervalInSeconds",
        ),
        (
            "endpointConfigName: \"not a name!\"",
            "spec.endpointConfigName",
        ),
        (
            "endpointConfigName: config-a\n  endpointConfigRef: {name: config-a}",
            "exactly one of endpointConfigRef and endpointConfigName",
        ),
        (
            "",
            "exactly one of endpointConfigRef and endpointConfigName",
        ),
    ] {
        harness
            .assert_refused(&endpoint_manifest("refused", spec), field)
            .await;
    }
    // The name cannot change once set.
    harness
        .apply(&endpoint_manifest(
            "named",
            "endpointConfigName: config-a\n  endpointName: first",
        ))
        .await;
    harness
        .assert_refused(
            &endpoint_manifest(
                "named",
                "endpointConfigName: config-a\n  endpointName: second",
            ),
            "spec.endpointName",
        )
        .await;
}
