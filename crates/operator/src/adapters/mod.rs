//! One thin adapter per kind: how to name, create, describe and stop its SageMaker resource and
//! how SageMaker's answer maps to the object's status. Decisions live in the engine.

pub mod processing_job;
pub mod training_job;
pub mod transform_job;
pub mod tuning_job;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// A time SageMaker reported, in whole seconds: what a Kubernetes `Time` keeps on the wire, so
/// a status read back compares equal to the one mapped again.
pub fn kube_time(timestamp: Option<jiff::Timestamp>) -> Option<Time> {
    timestamp
        .and_then(|timestamp| k8s_openapi::jiff::Timestamp::from_second(timestamp.as_second()).ok())
        .map(Time)
}
