//! Objects in the shapes the original operator released (v1.0 to v1.2.2) are accepted as written
//! (nothing pruned), read back as the typed kinds, and the HostingDeployment's "hostname or
//! container definition" entries are validated by what each value is.

use serde::de::DeserializeOwned;
use serde_json::Value;

use sagemaker_k8s_api::hosting_deployment::ModelContainer;
use sagemaker_k8s_api::{BatchTransformJob, HostingDeployment, TrainingJob};

use crate::{control_plane_with_crds, fixture, fixture_path, kubectl_ok};

/// Applies a fixture, checks that the apiserver kept its spec exactly (raw JSON, so a pruned
/// field shows) and that it reads as `K`.
async fn accepted_as_written<K: DeserializeOwned>(
    fixture_name: &str,
    resource: &str,
    name: &str,
) -> K {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("original-shape").await;
    kubectl_ok(
        control_plane,
        &["apply", "-n", &namespace, "-f", &fixture_path(fixture_name)],
    )
    .await;
    let stored: Value = serde_json::from_str(
        &kubectl_ok(
            control_plane,
            &["get", resource, name, "-n", &namespace, "-o", "json"],
        )
        .await,
    )
    .unwrap();
    let written: Value = serde_saphyr::from_str(&fixture(fixture_name)).unwrap();
    assert_eq!(
        stored["spec"], written["spec"],
        "{fixture_name} came back different from the apiserver"
    );
    serde_json::from_value(stored)
        .unwrap_or_else(|error| panic!("{fixture_name} does not read as the typed kind: {error}"))
}

#[tokio::test]
async fn inline_container_hosting_deployment_is_accepted_as_written() {
    let deployment: HostingDeployment = accepted_as_written(
        "original-inline-hostingdeployment.yaml",
        "hostingdeployment",
        "inline-xgboost",
    )
    .await;
    let containers = deployment.spec.models[0].containers.clone().unwrap();
    let ModelContainer::Inline(container) = &containers[0] else {
        panic!("not read as an inline container: {containers:?}")
    };
    assert_eq!(
        container.environment.as_ref().unwrap()[0].value,
        "inference.py"
    );
}

#[tokio::test]
async fn multi_container_hosting_deployment_is_accepted_as_written() {
    let deployment: HostingDeployment = accepted_as_written(
        "original-multi-container-hostingdeployment.yaml",
        "hostingdeployment",
        "pipeline-xgboost",
    )
    .await;
    let hostnames: Vec<_> = deployment.spec.models[0]
        .containers
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.hostname().unwrap().to_string())
        .collect();
    assert_eq!(hostnames, ["preprocess", "predict"]);
}

#[tokio::test]
async fn multi_model_hosting_deployment_is_accepted_as_written() {
    let _: HostingDeployment = accepted_as_written(
        "original-multi-model-hostingdeployment.yaml",
        "hostingdeployment",
        "multi-model-xgboost",
    )
    .await;
}

#[tokio::test]
async fn debugger_spot_training_job_keeps_the_hooks_rule_parameters() {
    let job: TrainingJob = accepted_as_written(
        "original-debugger-trainingjob.yaml",
        "trainingjob",
        "xgboost-debugger-spot",
    )
    .await;
    assert_eq!(
        job.spec.debug_hook_config.unwrap().rule_parameters.unwrap()[0].name,
        "save_interval"
    );
}

#[tokio::test]
async fn batch_transform_job_keeps_the_capitalised_data_processing_fields() {
    let job: BatchTransformJob = accepted_as_written(
        "original-batchtransform.yaml",
        "batchtransformjob",
        "xgboost-join",
    )
    .await;
    assert_eq!(
        job.spec
            .data_processing
            .unwrap()
            .original_output_filter
            .as_deref(),
        Some("$[0,-1]")
    );
}

/// Applies the inline HostingDeployment with `edit` applied and returns kubectl's error output.
async fn hosting_rejection_of(edit: impl Fn(String) -> String) -> String {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("invalid-hosting").await;
    let manifest = edit(fixture("original-inline-hostingdeployment.yaml"));
    let output = control_plane
        .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifest)
        .await;
    assert!(
        !output.status.success(),
        "the apiserver accepted:\n{manifest}"
    );
    output.stderr
}

fn assert_names(stderr: &str, texts: &[&str]) {
    for text in texts {
        assert!(
            stderr.contains(text),
            "the rejection does not say {text:?}:\n{stderr}"
        );
    }
}

#[tokio::test]
async fn inline_container_without_image_or_model_package_is_rejected() {
    let stderr = hosting_rejection_of(|m| {
        m.replace(
            "          image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest\n",
            "",
        )
    })
    .await;
    // The apiserver names the entry and the first alternative (image or modelPackageName).
    assert_names(
        &stderr,
        &[
            "\"spec.models[0].containers[0]\" must validate at least one schema (anyOf)",
            "spec.models[0].containers[0].image: Required value",
        ],
    );
}

#[tokio::test]
async fn a_model_package_replaces_the_image() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("model-package").await;
    let manifest = fixture("original-inline-hostingdeployment.yaml").replace(
        "          image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest\n",
        "          modelPackageName: arn:aws:sagemaker:us-west-2:123456789012:model-package/xgboost/1\n",
    );
    crate::apply_ok(control_plane, &namespace, &manifest).await;
}

#[tokio::test]
async fn more_than_fifteen_containers_are_rejected() {
    let stderr = hosting_rejection_of(|m| {
        let containers: String = (0..16)
            .map(|i| format!("        - containerHostname: c{i}\n          image: xgboost:{i}\n"))
            .collect();
        let start = m.find("      containers:\n").unwrap() + "      containers:\n".len();
        let end = m.find("  tags:").unwrap();
        format!("{}{containers}{}", &m[..start], &m[end..])
    })
    .await;
    assert_names(
        &stderr,
        &["spec.models[0].containers", "must have at most 15 items"],
    );
}

#[tokio::test]
async fn hostname_references_and_inline_fields_are_checked_by_their_shape() {
    // A hostname that SageMaker would refuse.
    let stderr = hosting_rejection_of(|m| {
        m.replace(
            "      primaryContainer: xgboost\n      containers:\n",
            "      containers:\n        - not_a_hostname!\n",
        )
    })
    .await;
    assert_names(&stderr, &["spec.models[0].containers[0]", "should match"]);
    // An inline field with a value SageMaker does not know.
    let stderr = hosting_rejection_of(|m| {
        m.replace(
            "          environment:\n",
            "          mode: Serverless\n          environment:\n",
        )
    })
    .await;
    assert_names(
        &stderr,
        &[
            "spec.models[0].containers[0].mode",
            "Unsupported value: \"Serverless\"",
        ],
    );
}

#[tokio::test]
async fn kubectl_explain_documents_both_container_shapes() {
    let control_plane = control_plane_with_crds().await;
    let explained = sagemaker_k8s_testenv::wait_until(
        std::time::Duration::from_secs(60),
        "kubectl explain to know HostingDeployment",
        || async {
            let output = control_plane
                .kubectl(&["explain", "hostingdeployment.spec.models.containers"])
                .await;
            output.status.success().then_some(output.stdout)
        },
    )
    .await;
    let explained = explained.split_whitespace().collect::<Vec<_>>().join(" ");
    for text in [
        "Each entry is either a string, the `containerHostname` of an entry of the spec's `containers`",
        "or a container definition in place",
        "modelDataUrl <string>",
        "image <string>",
        "mode <string>",
        "imageConfig <Object>",
        "modelPackageName <string>",
    ] {
        assert!(
            explained.contains(text),
            "`{text}` missing from kubectl explain:\n{explained}"
        );
    }
}
