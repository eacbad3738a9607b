//! CRD types of `sagemaker.aws.amazon.com/v1`: the kinds the SageMaker operator manages,
//! and the generation of their CustomResourceDefinitions.
//!
//! Specs mirror the SageMaker API request shapes with the field names the original operator
//! used, so manifests written for it apply unchanged. Statuses are written by the operator only.
//!
//! `deploy/crds/` holds the generated CRDs; after changing a type, regenerate them with
//! `UPDATE_CRDS=1 cargo test -p sagemaker-k8s-api crds_are_current`.

// kube's `printcolumn(...)` attributes each repeat `type_ = "string"`, which clippy takes for a
// duplicated attribute.
#![allow(clippy::duplicated_attributes)]

pub mod batch_transform_job;
pub mod common;
pub mod endpoint_config;
pub mod hosting_autoscaling_policy;
pub mod hosting_deployment;
pub mod hyperparameter_tuning_job;
pub mod model;
pub mod processing_job;
pub mod training_job;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use batch_transform_job::{BatchTransformJob, BatchTransformJobSpec, BatchTransformJobStatus};
pub use common::{KeyValuePair, Tag, VpcConfig};
pub use endpoint_config::{EndpointConfig, EndpointConfigSpec, EndpointConfigStatus};
pub use hosting_autoscaling_policy::{
    HostingAutoscalingPolicy, HostingAutoscalingPolicySpec, HostingAutoscalingPolicyStatus,
};
pub use hosting_deployment::{HostingDeployment, HostingDeploymentSpec, HostingDeploymentStatus};
pub use hyperparameter_tuning_job::{
    HyperparameterTuningJob, HyperparameterTuningJobSpec, HyperparameterTuningJobStatus,
};
pub use model::{Model, ModelSpec, ModelStatus};
pub use processing_job::{ProcessingJob, ProcessingJobSpec, ProcessingJobStatus};
pub use training_job::{TrainingJob, TrainingJobSpec, TrainingJobStatus};

/// API group of every kind in this crate.
pub const GROUP: &str = "sagemaker.aws.amazon.com";
/// API version of every kind in this crate.
pub const VERSION: &str = "v1";
/// `apiVersion` value of every kind in this crate.
pub const API_VERSION: &str = "sagemaker.aws.amazon.com/v1";
/// Finalizer the operator puts on every object so that it can clean up SageMaker resources
/// before the object goes away.
pub const FINALIZER: &str = "sagemaker-operator-finalizer";
/// Status value shown before the operator has brought the object and SageMaker in line.
pub const SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER: &str = "SynchronizingK8sJobWithSageMaker";
/// Category that makes `kubectl get sagemaker` list every kind.
pub const CATEGORY: &str = "sagemaker";

/// What every spec has in common: where its SageMaker API lives and the tags SageMaker puts on
/// what it creates. Lets generic code (one reconcile engine for all kinds) build a client and a
/// request without knowing the kind.
pub trait SageMakerSpec {
    /// AWS region the resource lives in.
    fn region(&self) -> &str;
    /// SageMaker API endpoint URL overriding the region's default, if set.
    fn sage_maker_endpoint(&self) -> Option<&str>;
    /// Tags for the SageMaker resources, empty when none are set.
    fn tags(&self) -> &[Tag];
}

macro_rules! impl_sage_maker_spec {
    ($($spec:ty),* $(,)?) => {$(
        impl SageMakerSpec for $spec {
            fn region(&self) -> &str {
                &self.region
            }
            fn sage_maker_endpoint(&self) -> Option<&str> {
                self.sage_maker_endpoint.as_deref()
            }
            fn tags(&self) -> &[Tag] {
                self.tags.as_deref().unwrap_or_default()
            }
        }
    )*};
}

impl_sage_maker_spec!(
    TrainingJobSpec,
    HyperparameterTuningJobSpec,
    BatchTransformJobSpec,
    HostingDeploymentSpec,
    ModelSpec,
    EndpointConfigSpec,
    ProcessingJobSpec,
);

impl SageMakerSpec for HostingAutoscalingPolicySpec {
    fn region(&self) -> &str {
        &self.region
    }
    fn sage_maker_endpoint(&self) -> Option<&str> {
        self.sage_maker_endpoint.as_deref()
    }
    /// Scalable targets and scaling policies are not tagged by the operator.
    fn tags(&self) -> &[Tag] {
        &[]
    }
}

/// The CustomResourceDefinitions of every kind, ordered by CRD name so that generated output
/// is stable.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    let mut crds = vec![
        TrainingJob::crd(),
        HyperparameterTuningJob::crd(),
        BatchTransformJob::crd(),
        HostingDeployment::crd(),
        Model::crd(),
        EndpointConfig::crd(),
        ProcessingJob::crd(),
        HostingAutoscalingPolicy::crd(),
    ];
    for crd in &mut crds {
        unwrap_description_lines(crd);
    }
    crds.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    crds
}

/// Doc comments are hard-wrapped at 100 columns; `kubectl explain` wraps text itself, so the
/// line breaks inside a paragraph only make the descriptions ragged. Paragraph breaks stay.
fn unwrap_description_lines(crd: &mut CustomResourceDefinition) {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    match child {
                        serde_json::Value::String(text) if key == "description" => {
                            *text = text
                                .split("\n\n")
                                .map(|paragraph| {
                                    paragraph
                                        .split('\n')
                                        .map(str::trim)
                                        .collect::<Vec<_>>()
                                        .join(" ")
                                })
                                .collect::<Vec<_>>()
                                .join("\n\n");
                        }
                        _ => walk(child),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    for version in &mut crd.spec.versions {
        let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        else {
            continue;
        };
        let mut json = serde_json::to_value(&*schema).expect("a JSON schema serializes to JSON");
        walk(&mut json);
        *schema =
            serde_json::from_value(json).expect("rewriting descriptions keeps the schema valid");
    }
}

/// One CRD as a YAML document (`apiextensions.k8s.io/v1`). Serialization follows the struct
/// field order, so the same types always give the same text.
pub fn crd_yaml(crd: &CustomResourceDefinition) -> String {
    serde_saphyr::to_string(crd).expect("a CustomResourceDefinition always serializes to YAML")
}

/// File name of a CRD under `deploy/crds/`: `<group>_<plural>.yaml`, for example
/// `sagemaker.aws.amazon.com_trainingjobs.yaml`.
pub fn crd_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

#[cfg(test)]
mod tests;
