//! The generated CRDs on a real kube-apiserver: installation, admission of the user guide's
//! examples, admission errors for invalid specs, and what kubectl shows users.

mod admission;
mod container_references;
mod control_annotations;
mod install;
mod kubectl_output;
mod original_shapes;

use std::path::Path;
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use sagemaker_k8s_testenv::{ControlPlane, wait_until};

/// The control plane of this test binary with the CRDs installed and Established. Every test
/// calls this; only the first call installs.
async fn control_plane_with_crds() -> &'static ControlPlane {
    static INSTALLED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let control_plane = sagemaker_k8s_testenv::control_plane().await;
    INSTALLED
        .get_or_init(|| async {
            control_plane
                .apply_crds(&sagemaker_k8s_api::all_crds())
                .await
                .expect("the generated CRDs install");
            wait_for_established(control_plane).await;
        })
        .await;
    control_plane
}

async fn wait_for_established(control_plane: &ControlPlane) {
    let crds: Api<CustomResourceDefinition> = Api::all(control_plane.client());
    for crd in sagemaker_k8s_api::all_crds() {
        let name = crd.metadata.name.clone().unwrap();
        let crds = crds.clone();
        wait_until(
            Duration::from_secs(60),
            &format!("CRD {name} Established"),
            || {
                let crds = crds.clone();
                let name = name.clone();
                async move {
                    let installed = crds.get_opt(&name).await.ok()??;
                    let established = installed.status?.conditions?.into_iter().any(|condition| {
                        condition.type_ == "Established" && condition.status == "True"
                    });
                    established.then_some(())
                }
            },
        )
        .await;
    }
    // Established is not yet "served in discovery"; kubectl caches discovery (shared by every
    // test of this binary), so refresh it once every kind is listed, before any test runs kubectl.
    let plurals: Vec<String> = sagemaker_k8s_api::all_crds()
        .iter()
        .map(|crd| crd.spec.names.plural.clone())
        .collect();
    wait_until(
        Duration::from_secs(60),
        "every kind served in discovery",
        || async {
            let output = control_plane
                .kubectl(&[
                    "api-resources",
                    "--api-group=sagemaker.aws.amazon.com",
                    "--cached=false",
                    "-o",
                    "name",
                ])
                .await;
            let listed = output.stdout;
            plurals
                .iter()
                .all(|plural| {
                    listed
                        .lines()
                        .any(|line| line.split('.').next() == Some(plural.as_str()))
                })
                .then_some(())
        },
    )
    .await;
}

fn fixture_path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

/// `kubectl` with the arguments, asserting success; returns stdout.
async fn kubectl_ok(control_plane: &ControlPlane, args: &[&str]) -> String {
    let output = control_plane.kubectl(args).await;
    assert!(
        output.status.success(),
        "kubectl {args:?} failed:\n{}",
        output.stderr
    );
    output.stdout
}

/// `kubectl apply -f -` of a manifest, asserting success.
async fn apply_ok(control_plane: &ControlPlane, namespace: &str, manifest: &str) {
    let output = control_plane
        .kubectl_stdin(&["apply", "-n", namespace, "-f", "-"], manifest)
        .await;
    assert!(
        output.status.success(),
        "kubectl apply failed:\n{}\n{manifest}",
        output.stderr
    );
}

/// A Model manifest in the shape of the hosting example (one container from S3).
const MODEL_MANIFEST: &str = r#"
apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: xgboost-model
spec:
  region: us-east-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    containerHostname: xgboost
    image: 123456789012.dkr.ecr.us-east-2.amazonaws.com/xgboost:latest
    modelDataUrl: s3://my-bucket/inference/xgboost-mnist/model.tar.gz
    environment:
      - name: SAGEMAKER_PROGRAM
        value: inference.py
"#;

/// The ProcessingJob sample of samples/.
const PROCESSING_JOB_MANIFEST: &str =
    include_str!("../../../../samples/xgboost-mnist-processingjob.yaml");

/// The HostingAutoscalingPolicy sample of samples/.
const AUTOSCALING_POLICY_MANIFEST: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingautoscalingpolicy.yaml");

/// An EndpointConfig manifest serving that model.
const ENDPOINT_CONFIG_MANIFEST: &str = r#"
apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: xgboost-config
spec:
  region: us-east-2
  productionVariants:
    - variantName: all-traffic
      modelName: xgboost-model
      initialInstanceCount: 1
      instanceType: ml.c5.large
      initialVariantWeight: 1.0
"#;
