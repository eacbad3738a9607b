//! One thin adapter per kind: how to name, create, describe and stop its SageMaker resource and
//! how SageMaker's answer maps to the object's status. Decisions live in the engine.

pub mod processing_job;
pub mod training_job;
pub mod transform_job;
pub mod tuning_job;
