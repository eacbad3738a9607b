//! Real-time inference kinds. Unlike jobs, their SageMaker resources are updated in place, so
//! they do not go through the job engine: `deployment` is the HostingDeployment state machine
//! (models → endpoint config → endpoint, updates, clean-up), `standalone` the Model and
//! EndpointConfig kinds (create, replace on spec change, delete), `autoscaling` the
//! HostingAutoscalingPolicy kind (scalable targets → scaling policies). All share the job
//! engine's finalizer (`finalizer`), patches (`object_patch`, `status_patch`) and Events
//! (`events`).

pub mod autoscaling;
pub mod deployment;
pub mod standalone;

/// Why a hosting reconcile did not finish (the controller retries after a delay): the same
/// failures as the job engine's.
pub type HostingError = crate::engine::EngineError;

/// What the hosting controllers share: the same clients and timing every controller gets.
pub type HostingContext = crate::controller_run::ControllerShared;
