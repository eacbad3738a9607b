//! Real-time inference kinds, as strategies of the engine (`crate::engine`): their SageMaker
//! resources are updated in place rather than run once. `deployment` is HostingDeployment (a
//! composite: models → endpoint config → endpoint, updates, clean-up), `standalone` the Model
//! and EndpointConfig kinds (create, replace on spec change, delete), `autoscaling`
//! HostingAutoscalingPolicy (a composite: scalable targets → scaling policies).

pub mod autoscaling;
pub mod deployment;
pub mod standalone;

/// Why a hosting reconcile did not finish: the engine's one error type.
pub type HostingError = crate::engine::EngineError;
