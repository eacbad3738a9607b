//! The CRDs install, and objects survive the apiserver without losing fields to pruning.

use kube::Api;
use kube::api::PostParams;
use serde::de::DeserializeOwned;

use sagemaker_k8s_api::{
    BatchTransformJob, EndpointConfig, HostingDeployment, HyperparameterTuningJob, Model,
    TrainingJob,
};

use crate::{
    ENDPOINT_CONFIG_MANIFEST, MODEL_MANIFEST, control_plane_with_crds, fixture, fixture_path,
    kubectl_ok,
};

#[tokio::test]
async fn every_crd_installs_and_becomes_established() {
    // control_plane_with_crds waits for every CRD to be Established; here, check their names.
    let control_plane = control_plane_with_crds().await;
    let listed = kubectl_ok(control_plane, &["get", "crd", "-o", "name"]).await;
    for name in [
        "trainingjobs",
        "hyperparametertuningjobs",
        "batchtransformjobs",
        "hostingdeployments",
        "models",
        "endpointconfigs",
        "processingjobs",
        "hostingautoscalingpolicies",
        "endpoints",
        "inferencecomponents",
        "modelpackagegroups",
    ] {
        let expected = format!(
            "customresourcedefinition.apiextensions.k8s.io/{name}.sagemaker.aws.amazon.com"
        );
        assert!(
            listed.lines().any(|line| line == expected),
            "{expected} missing from:\n{listed}"
        );
    }
}

/// Applies the fixture with kubectl, reads it back through the typed API and compares the spec
/// with the fixture's: a field the schema does not declare would be pruned and differ.
async fn applied_spec_matches_fixture<K>(fixture_name: &str, object_name: &str)
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + DeserializeOwned
        + Clone
        + std::fmt::Debug
        + serde::Serialize,
{
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("guide-example").await;
    kubectl_ok(
        control_plane,
        &["apply", "-n", &namespace, "-f", &fixture_path(fixture_name)],
    )
    .await;

    let api: Api<K> = Api::namespaced(control_plane.client(), &namespace);
    let stored = api.get(object_name).await.unwrap();
    let stored_spec = serde_json::to_value(&stored).unwrap()["spec"].clone();
    let written: serde_json::Value = serde_saphyr::from_str(&fixture(fixture_name)).unwrap();
    assert_eq!(
        stored_spec, written["spec"],
        "{fixture_name} came back different from the apiserver"
    );
}

#[tokio::test]
async fn guide_training_job_is_accepted_unchanged() {
    applied_spec_matches_fixture::<TrainingJob>(
        "xgboost-mnist-trainingjob.yaml",
        "xgboost-mnist-from-for-s3",
    )
    .await;
}

#[tokio::test]
async fn guide_tuning_job_is_accepted_unchanged() {
    applied_spec_matches_fixture::<HyperparameterTuningJob>(
        "xgboost-mnist-hpo.yaml",
        "xgboost-mnist-hpo",
    )
    .await;
}

#[tokio::test]
async fn guide_batch_transform_job_is_accepted_unchanged() {
    applied_spec_matches_fixture::<BatchTransformJob>(
        "xgboost-mnist-batchtransform.yaml",
        "xgboost-mnist",
    )
    .await;
}

#[tokio::test]
async fn guide_hosting_deployment_is_accepted_unchanged() {
    applied_spec_matches_fixture::<HostingDeployment>(
        "xgboost-mnist-hostingdeployment.yaml",
        "host-xgboost",
    )
    .await;
}

#[tokio::test]
async fn typed_model_and_endpoint_config_round_trip_through_the_apiserver() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("typed").await;

    let model: Model = serde_saphyr::from_str(MODEL_MANIFEST).unwrap();
    let models: Api<Model> = Api::namespaced(control_plane.client(), &namespace);
    let created = models.create(&PostParams::default(), &model).await.unwrap();
    assert_eq!(created.spec, model.spec);

    let config: EndpointConfig = serde_saphyr::from_str(ENDPOINT_CONFIG_MANIFEST).unwrap();
    let configs: Api<EndpointConfig> = Api::namespaced(control_plane.client(), &namespace);
    let created = configs
        .create(&PostParams::default(), &config)
        .await
        .unwrap();
    assert_eq!(created.spec, config.spec);
}
