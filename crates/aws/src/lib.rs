//! SageMaker access for the operator: one SDK client per (region, endpoint), a client-side rate
//! limit per region, spec → request conversion, response → plain values, and error
//! classification. The only crate of the operator that depends on `aws-sdk-sagemaker`.

pub mod autoscaling;
pub mod call_observer;
pub mod clients;
pub mod convert;
pub mod endpoint_policy;
pub mod errors;
pub mod generated;
pub mod hosting;
mod listing;
pub mod location;
pub mod pipeline_step;
pub mod processing_job;
pub mod rate_limit;
#[cfg(test)]
mod request_coverage;
mod tags;
mod training_definition;
pub mod training_job;
pub mod transform_job;
pub mod tuning_job;

pub use call_observer::{CallObserver, CallOutcome};
pub use clients::{SageMakerClients, SageMakerHandle};
pub use errors::{ErrorKind, SageMakerError};

/// Tag the operator puts on everything it creates: the UID of the Kubernetes object the resource
/// was created for. A `ResourceInUse` on create is adopted only when this tag matches.
pub const OWNER_UID_TAG: &str = "sagemaker.aws.amazon.com/owner-uid";

/// The SageMaker wire name of one of the API crate's enums (they serialize as SageMaker spells
/// them), for the SDK's `From<&str>` enum constructors.
pub(crate) fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => panic!("API enums serialize to strings, got {other:?}"),
    }
}
