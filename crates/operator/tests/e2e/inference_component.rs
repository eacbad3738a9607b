//! InferenceComponent (a kind generated from SageMaker's API model) against the emulator: on an
//! endpoint the operator made, created, its copy count changed with
//! UpdateInferenceComponentRuntimeConfig and its specification with UpdateInferenceComponent,
//! deleted without leftovers, bad input refused at admission naming the field.

use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_api::{Endpoint, InferenceComponent};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{configs_created, endpoint_manifest, endpoint_status, wait_for};
use crate::harness::Harness;

pub fn component_manifest(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: InferenceComponent
metadata:
  name: {name}
spec:
  region: us-west-2
  endpointName: ic-host
  variantName: AllTraffic
  specification:
    modelName: ep-model
    computeResourceRequirements:
      minMemoryRequiredInMb: 1024
      numberOfCpuCoresRequired: 1
  runtimeConfig:
    copyCount: 1
{extra}"
    )
}

pub fn copies(component: &InferenceComponent) -> (Option<&str>, Option<i32>) {
    let status = component.status.as_ref();
    (
        status.and_then(|s| s.status.as_deref()),
        status
            .and_then(|s| s.runtime_config.as_ref())
            .and_then(|r| r.current_copy_count),
    )
}

pub async fn serving_endpoint(harness: &Harness) {
    configs_created(harness).await;
    harness
        .apply(&endpoint_manifest(
            "ic-host",
            "endpointConfigName: config-a\n  endpointName: ic-host",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&endpoints, "ic-host", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
}

#[tokio::test]
async fn inference_component_is_created_scaled_updated_and_deleted() {
    let harness = Harness::start("ic").await;
    serving_endpoint(&harness).await;
    harness.apply(&component_manifest("component", "")).await;
    let components: Api<InferenceComponent> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let created = wait_for(&components, "component", "InService with 1 copy", |c| {
        copies(c) == (Some("InService"), Some(1))
    })
    .await;
    let status = created.status.unwrap();
    let sagemaker_name = status.sage_maker_name.clone().expect("the SageMaker name");
    assert_eq!(status.endpoint_name.as_deref(), Some("ic-host"));
    assert!(
        status
            .inference_component_arn
            .unwrap()
            .ends_with(&sagemaker_name)
    );

    // The copy count alone: UpdateInferenceComponentRuntimeConfig.
    components
        .patch(
            "component",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"runtimeConfig": {"copyCount": 2}}})),
        )
        .await
        .unwrap();
    wait_for(&components, "component", "InService with 2 copies", |c| {
        copies(c) == (Some("InService"), Some(2))
    })
    .await;
    assert_eq!(
        harness
            .sagemaker_calls("UpdateInferenceComponentRuntimeConfig")
            .await,
        1
    );
    assert_eq!(harness.sagemaker_calls("UpdateInferenceComponent").await, 0);

    // The specification: UpdateInferenceComponent.
    components
        .patch(
            "component",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"specification": {
                "computeResourceRequirements": {"minMemoryRequiredInMb": 2048}
            }}})),
        )
        .await
        .unwrap();
    wait_until(Duration::from_secs(90), "UpdateInferenceComponent sent", || {
        let harness = &harness;
        async move {
            (harness.sagemaker_calls("UpdateInferenceComponent").await == 1).then_some(())
        }
    })
    .await;
    wait_for(
        &components,
        "component",
        "InService after the update",
        |c| {
            copies(c).0 == Some("InService")
                && c.status.as_ref().and_then(|s| s.common.observed_generation)
                    == c.metadata.generation
        },
    )
    .await;
    let described = harness
        .sagemaker
        .describe_inference_component()
        .inference_component_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .specification()
            .and_then(|s| s.compute_resource_requirements())
            .and_then(|r| r.min_memory_required_in_mb()),
        Some(2048)
    );

    // Both in one edit: one UpdateInferenceComponent carries the specification and the count
    // (the runtime-config call alone would lose the specification).
    components
        .patch(
            "component",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {
                "runtimeConfig": {"copyCount": 3},
                "specification": {"computeResourceRequirements": {"minMemoryRequiredInMb": 4096}}
            }})),
        )
        .await
        .unwrap();
    wait_for(&components, "component", "InService with 3 copies", |c| {
        copies(c) == (Some("InService"), Some(3))
    })
    .await;
    assert_eq!(harness.sagemaker_calls("UpdateInferenceComponent").await, 2);
    assert_eq!(
        harness
            .sagemaker_calls("UpdateInferenceComponentRuntimeConfig")
            .await,
        1
    );
    let described = harness
        .sagemaker
        .describe_inference_component()
        .inference_component_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .specification()
            .and_then(|s| s.compute_resource_requirements())
            .and_then(|r| r.min_memory_required_in_mb()),
        Some(4096)
    );

    components
        .delete("component", &DeleteParams::default())
        .await
        .unwrap();
    wait_until(Duration::from_secs(90), "component deleted", || {
        let components = components.clone();
        async move {
            components
                .get_opt("component")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        }
    })
    .await;
    let left = harness
        .sagemaker
        .describe_inference_component()
        .inference_component_name(&sagemaker_name)
        .send()
        .await;
    assert!(
        left.is_err(),
        "the component is gone from SageMaker: {left:?}"
    );
}

/// Someone else's component of the asked name is never touched; the window between a create
/// and its record (the component exists with this object's tag, the status knows nothing) ends
/// with the operator following that one component, not creating a second.
#[tokio::test]
async fn someone_elses_component_is_refused_and_one_with_our_tag_is_taken_over() {
    let mut harness = Harness::start("ic-owner").await;
    serving_endpoint(&harness).await;
    let create = |name: &str, tag: Option<&str>| {
        let mut request = harness
            .sagemaker
            .create_inference_component()
            .inference_component_name(name)
            .endpoint_name("ic-host")
            .variant_name("AllTraffic")
            .specification(
                aws_sdk_sagemaker::types::InferenceComponentSpecification::builder()
                    .model_name("ep-model")
                    .compute_resource_requirements(
                        aws_sdk_sagemaker::types::InferenceComponentComputeResourceRequirements::builder()
                            .min_memory_required_in_mb(1024)
                            .number_of_cpu_cores_required(1.0)
                            .build(),
                    )
                    .build(),
            )
            .runtime_config(
                aws_sdk_sagemaker::types::InferenceComponentRuntimeConfig::builder()
                    .copy_count(1)
                    .build(),
            );
        if let Some(uid) = tag {
            request = request.tags(
                aws_sdk_sagemaker::types::Tag::builder()
                    .key("sagemaker.aws.amazon.com/owner-uid")
                    .value(uid)
                    .build(),
            );
        }
        request
    };
    create("theirs", None).send().await.unwrap();
    harness
        .apply(&component_manifest(
            "theirs",
            "  inferenceComponentName: theirs\n",
        ))
        .await;
    let components: Api<InferenceComponent> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&components, "theirs", "reported as someone else's", |c| {
        copies(c).0 == Some("Failed")
    })
    .await;

    harness.operator.terminate().await;
    harness
        .apply(&component_manifest(
            "ours",
            "  inferenceComponentName: ours\n",
        ))
        .await;
    let uid = components.get("ours").await.unwrap().metadata.uid.unwrap();
    let arn = create("ours", Some(&uid))
        .send()
        .await
        .unwrap()
        .inference_component_arn
        .unwrap();
    harness.operator =
        crate::harness::spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let ours = wait_for(&components, "ours", "InService", |c| {
        copies(c).0 == Some("InService")
    })
    .await;
    assert_eq!(
        ours.status.unwrap().inference_component_arn,
        Some(arn),
        "the tagged component is followed"
    );
    // Exactly one component per name: the operator's creates under these names were refused.
    let mut listed: Vec<String> = harness
        .sagemaker
        .list_inference_components()
        .send()
        .await
        .unwrap()
        .inference_components()
        .iter()
        .filter_map(|summary| summary.inference_component_name().map(str::to_string))
        .collect();
    listed.sort();
    assert_eq!(listed, ["ours", "theirs"]);
    let theirs = components.get("theirs").await.unwrap();
    assert_eq!(copies(&theirs).0, Some("Failed"), "theirs stays theirs");
}

#[tokio::test]
async fn bad_inference_component_specs_are_refused_at_admission_naming_the_field() {
    let harness = Harness::start("ic-admission").await;
    let cases = [
        (
            component_manifest("refused", "").replace("copyCount: 1", "copyCount: -1"),
            "spec.runtimeConfig.copyCount",
        ),
        (
            component_manifest("refused", "").replace(
                "numberOfCpuCoresRequired: 1",
                "numberOfCpuCoresRequired: 0.1",
            ),
            "spec.specification.computeResourceRequirements.numberOfCpuCoresRequired",
        ),
        (
            component_manifest("refused", "").replace(
                "modelName: ep-model",
                "modelName: ep-model\n    modelRef: {name: ep-model}",
            ),
            "at most one of modelRef and modelName",
        ),
        (
            component_manifest("refused", "  endpointRef: {name: ic-host}\n"),
            "exactly one of endpointRef and endpointName",
        ),
        (
            component_manifest("refused", "  specification: {}\n").replace(
                "variantName: AllTraffic",
                "variantName: AllTraffic\n  inferenceComponentName: \"-bad\"",
            ),
            "spec.inferenceComponentName",
        ),
    ];
    for (manifest, field) in cases {
        harness.assert_refused(&manifest, field).await;
    }
}
