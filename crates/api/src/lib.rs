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
// The generated kinds' enums (300 instance types) nest deeper in `serde_json::json!` than the
// default limit.
#![recursion_limit = "1024"]

pub mod batch_transform_job;
pub mod common;
pub mod endpoint_config;
pub mod generated;
pub mod hosting_autoscaling_policy;
pub mod hosting_deployment;
pub mod hyperparameter_tuning_job;
pub mod model;
pub mod processing_job;
pub mod status;
pub mod training_job;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use batch_transform_job::{BatchTransformJob, BatchTransformJobSpec, BatchTransformJobStatus};
pub use common::{KeyValuePair, Tag, VpcConfig};
pub use endpoint_config::{
    EndpointConfig, EndpointConfigProductionVariant, EndpointConfigSpec, EndpointConfigStatus,
    ModelRef,
};
pub use generated::{
    AutoMLJobV2, AutoMLJobV2Spec, AutoMLJobV2Status, CompilationJob, CompilationJobSpec,
    CompilationJobStatus, Endpoint, EndpointSpec, EndpointStatus, InferenceComponent,
    InferenceComponentSpec, InferenceComponentStatus, ModelPackage, ModelPackageGroup,
    ModelPackageGroupSpec, ModelPackageGroupStatus, ModelPackageSpec, ModelPackageStatus, Pipeline,
    PipelineExecution, PipelineExecutionSpec, PipelineExecutionStatus, PipelineSpec,
    PipelineStatus,
};
pub use hosting_autoscaling_policy::{
    HostingAutoscalingPolicy, HostingAutoscalingPolicySpec, HostingAutoscalingPolicyStatus,
};
pub use hosting_deployment::{HostingDeployment, HostingDeploymentSpec, HostingDeploymentStatus};
pub use hyperparameter_tuning_job::{
    HyperparameterTuningJob, HyperparameterTuningJobSpec, HyperparameterTuningJobStatus,
};
pub use model::{Model, ModelSpec, ModelStatus};
pub use processing_job::{ProcessingJob, ProcessingJobSpec, ProcessingJobStatus};
pub use status::{CommonStatus, HasCommonStatus};
pub use training_job::{TrainingJob, TrainingJobSpec, TrainingJobStatus};

/// API group of every kind in this crate.
pub const GROUP: &str = "sagemaker.aws.amazon.com";
/// API version of every kind in this crate.
pub const VERSION: &str = "v1";
/// `apiVersion` value of every kind in this crate.
pub const API_VERSION: &str = "sagemaker.aws.amazon.com/v1";

// Labels, annotations and finalizers on the objects: the operator writes them, and tests,
// kubectl-smlogs and users' scripts read them, so they are part of the API like the fields.

/// Finalizer the operator puts on every object so that it can clean up SageMaker resources
/// before the object goes away. The original operator used the same name, so its objects keep
/// theirs when this operator takes them over.
pub const FINALIZER: &str = "sagemaker-operator-finalizer";
/// Finalizer the original operator put on the TrainingJobs it spawned for a tuning job's
/// training jobs (besides its ordinary finalizer, which has the same name as this operator's).
/// This operator only removes it, when it takes such a TrainingJob over.
pub const ORIGINAL_TUNING_CHILD_FINALIZER: &str = "sagemaker-operator-hpo-trainingjob";
/// Label on TrainingJobs that mirror a training job a tuning job launched, valued with the
/// tuning job's SageMaker name: they are only observed, never created or stopped by the
/// TrainingJob controller.
pub const SPAWNED_BY_TUNING_JOB_LABEL: &str = "sagemaker.aws.amazon.com/hyperparameter-tuning-job";
/// Annotation holding the hash of the spec the SageMaker resource was created from, so a later
/// spec change (which SageMaker cannot apply to a job, a model or an endpoint configuration) is
/// reported or replaced, and clears when reverted.
pub const CREATED_SPEC_HASH_ANNOTATION: &str = "sagemaker.aws.amazon.com/created-spec-hash";
/// Annotation with the SageMaker name a job create is about to be (or was) sent under, written
/// before every create and removed when SageMaker refused it. While it is there the name is
/// fixed, so a crash between the create and the status write cannot lead to a second resource
/// under an edited name.
pub const CREATING_NAME_ANNOTATION: &str = "sagemaker.aws.amazon.com/sagemaker-name";
/// Annotation with the operator's record of a HostingDeployment (JSON: what is deployed, in
/// flight and failed, each with its generation, spec hashes, endpoint config and model names).
pub const HOSTING_STATE_ANNOTATION: &str = "sagemaker.aws.amazon.com/hosting-deployment-state";
/// Annotation of a HostingAutoscalingPolicy: JSON list of the resource ids it may have
/// registered as scalable targets (written before registering, pruned after deregistering).
pub const AUTOSCALING_TARGETS_ANNOTATION: &str = "sagemaker.aws.amazon.com/autoscaling-targets";
/// Annotation of a HostingAutoscalingPolicy: hash of the spec (and resolved targets) last
/// applied in full.
pub const APPLIED_SPEC_HASH_ANNOTATION: &str = "sagemaker.aws.amazon.com/applied-spec-hash";
/// Annotation a user (or script) changes to have the operator look at the SageMaker resource
/// now: the object is reconciled at once, its resource described and its status rewritten, and
/// `status.reconcileRequestedAt` then echoes the value (any string; a timestamp is usual).
pub const RECONCILE_REQUESTED_AT_ANNOTATION: &str =
    "sagemaker.aws.amazon.com/reconcile-requested-at";
/// Annotation recording the spec's tags as last applied to the SageMaker resource (a JSON object
/// of key to value): whether a tag edit is still to be applied, and which keys the operator
/// wrote, the only ones it removes when the spec drops them.
pub const APPLIED_TAGS_ANNOTATION: &str = "sagemaker.aws.amazon.com/applied-tags";
/// Annotation making the object follow an existing SageMaker resource without ever changing it
/// (`"true"`): nothing is created, updated, stopped or deleted; a spec that differs from the
/// resource is shown in the status, not applied.
pub const OBSERVE_ANNOTATION: &str = "sagemaker.aws.amazon.com/observe";
/// Annotation saying whether the object takes over a SageMaker resource that exists under its
/// name and carries no other object's ownership tag: `adopt` (it must exist) or
/// `adopt-or-create`.
pub const ADOPTION_POLICY_ANNOTATION: &str = "sagemaker.aws.amazon.com/adoption-policy";
/// Annotation saying what deleting the object does to its SageMaker resource: `delete` (stop or
/// delete it) or `retain` (keep it, untagged, and let the object go). On the object, else on its
/// namespace, else the operator's `--deletion-policy`.
pub const DELETION_POLICY_ANNOTATION: &str = "sagemaker.aws.amazon.com/deletion-policy";

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
    crds.extend(generated::crds());
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
