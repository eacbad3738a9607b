//! Real-time inference kinds, as strategies of the engine (`crate::engine`): their SageMaker
//! resources are updated in place rather than run once. `deployment` is HostingDeployment (a
//! composite: models → endpoint config → endpoint, updates, clean-up), `standalone` the Model
//! and EndpointConfig kinds (create, replace on spec change, delete), `autoscaling`
//! HostingAutoscalingPolicy (a composite: scalable targets → scaling policies).

pub mod autoscaling;
pub mod deployment;
pub mod standalone;
