//! One thin adapter per single-resource kind: its configuration, how to name, create, describe
//! and stop or delete its SageMaker resource, and how SageMaker's answer maps to the object's
//! status. Decisions live in the engine (`engine::single`).

pub mod automl_job;
pub mod compilation_job;
pub mod endpoint;
pub mod endpoint_config;
pub mod generated;
pub mod inference_component;
pub mod model;
pub mod model_package;
pub mod model_package_group;
pub mod pipeline;
pub mod pipeline_execution;
pub mod processing_job;
pub mod training_job;
pub mod transform_job;
pub mod tuning_job;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::engine::single::{Lifecycle, OnDelete, OnSpecChange};

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
