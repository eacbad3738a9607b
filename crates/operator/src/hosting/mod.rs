//! Real-time inference kinds that are more than one SageMaker resource, as strategies of the
//! engine (`crate::engine`): `deployment` is HostingDeployment (a composite: models → endpoint
//! config → endpoint, updates in place, clean-up), `autoscaling` HostingAutoscalingPolicy (a
//! composite: scalable targets → scaling policies). Model and EndpointConfig are one resource
//! each: single-resource kinds (`crate::adapters`).

pub mod autoscaling;
pub mod deployment;
