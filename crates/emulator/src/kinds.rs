//! The one list of every kind the emulator serves. A new kind is a module with a `kind()` (its
//! state, operations and hooks) added here; no other kind's module changes.

use crate::world::Registry;
use crate::{
    async_inference, automl, autoscaling, compilation, hosting, inference_component, logs,
    model_package, model_registry, pipeline, pipeline_runs, processing, s3_objects, sagemaker,
    training, transform, tuning,
};

/// Every kind, in the order their `advance` hooks run before each request: tuning jobs launch
/// children first, then scaling replays its evaluation periods (settling endpoints up to each
/// evaluation instant itself), and only then are endpoints settled up to now. Pipeline
/// executions advance before the model registry settles, so a package a RegisterModel step
/// registered in the past has moved on by the time the request reads it.
pub fn registry() -> Registry {
    Registry::new(vec![
        training::kind(),
        tuning::kind(),
        transform::kind(),
        processing::kind(),
        hosting::model_kind(),
        hosting::endpoint_config_kind(),
        autoscaling::kind(),
        hosting::endpoint_kind(),
        inference_component::kind(),
        pipeline::kind(),
        pipeline_runs::kind(),
        model_registry::kind(),
        model_package::kind(),
        compilation::kind(),
        automl::kind(),
        async_inference::kind(),
        s3_objects::kind(),
        logs::kind(),
        sagemaker::kind(),
    ])
}
