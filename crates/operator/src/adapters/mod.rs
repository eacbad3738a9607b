//! One thin adapter per single-resource kind: its configuration, how to name, create, describe
//! and stop or delete its SageMaker resource, and how SageMaker's answer maps to the object's
//! status. Decisions live in the engine (`engine::single`).

pub mod endpoint;
pub mod endpoint_config;
pub mod inference_component;
pub mod model;
pub mod processing_job;
pub mod training_job;
pub mod transform_job;
pub mod tuning_job;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::engine::single::{CreateError, Lifecycle, OnDelete, OnSpecChange, Resolved, StateWords};

/// A SageMaker job: stopped on delete (SageMaker keeps its record), and immutable, so a spec
/// change is reported, not carried out.
pub const JOB: Lifecycle = Lifecycle {
    on_delete: OnDelete::Stop,
    on_spec_change: OnSpecChange::Report,
};

/// A resource SageMaker cannot change and nothing runs on (a model, an endpoint
/// configuration): deleted on delete, replaced under the same name on a spec change.
pub const REPLACED: Lifecycle = Lifecycle {
    on_delete: OnDelete::Delete,
    on_spec_change: OnSpecChange::Replace,
};

/// A resource SageMaker updates in place and deletes in the background (an endpoint, an
/// inference component): updated once steady on a spec change, deleted on delete and waited
/// for until it is gone.
pub const UPDATED: Lifecycle = Lifecycle {
    on_delete: OnDelete::DeleteAndAwait,
    on_spec_change: OnSpecChange::Update,
};

/// A generated kind's state words, from its configuration (crates/codegen/kinds.yaml).
pub const fn state_words(info: &sagemaker_k8s_api::generated::KindInfo) -> StateWords {
    StateWords {
        steady: info.steady,
        failed: info.failed,
        deleting: info.deleting,
    }
}

/// The engine's resolved references (by spec field) as a generated request takes them (by
/// referenced kind and object name).
fn generated_references(
    found: &[sagemaker_k8s_api::generated::Reference<'_>],
    resolved: &Resolved,
) -> sagemaker_k8s_aws::generated::ResolvedReferences {
    let mut references = sagemaker_k8s_aws::generated::ResolvedReferences::default();
    for reference in found {
        if let Some(sagemaker_name) = resolved.get(&reference.field) {
            references.insert(reference.kind, reference.name, sagemaker_name);
        }
    }
    references
}

/// A reference the engine has not resolved: nothing is sent; the message names the object.
fn unresolved(error: sagemaker_k8s_aws::generated::UnresolvedReference) -> CreateError {
    CreateError::Unsupported(error.to_string())
}

/// A generated kind's status from its Describe, with SageMaker's failure reason in
/// `additional`.
fn with_failure_reason<S: Clone + sagemaker_k8s_api::HasCommonStatus>(
    remote: &sagemaker_k8s_aws::generated::Described<S>,
) -> S {
    let mut status = remote.status.clone();
    status.common_mut().additional = remote.failure_reason.clone();
    status
}

/// A time SageMaker reported, in whole seconds: what a Kubernetes `Time` keeps on the wire, so
/// a status read back compares equal to the one mapped again.
pub fn kube_time(timestamp: Option<jiff::Timestamp>) -> Option<Time> {
    timestamp
        .and_then(|timestamp| k8s_openapi::jiff::Timestamp::from_second(timestamp.as_second()).ok())
        .map(Time)
}

/// The SageMaker name of a kind named after its object: the object's name when SageMaker takes
/// it, else one derived from name and UID. (Once recorded in the status the name stays: the
/// original operator derived other names, and its objects keep theirs when taken over.)
fn object_name<K: kube::Resource>(object: &K) -> String {
    use kube::ResourceExt as _;
    crate::naming::object_or_derived_name(
        &object.name_any(),
        object.meta().uid.as_deref().unwrap_or_default(),
    )
}
