//! InferenceComponent ↔ SageMaker inference component, a kind generated from the API model: a
//! model or container on an existing endpoint (`endpointName` or `endpointRef`), its model by
//! name or `modelRef`. A spec change that moves the copy count is sent with
//! UpdateInferenceComponentRuntimeConfig, any other with UpdateInferenceComponent; deleted and
//! awaited on delete.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{InferenceComponent, InferenceComponentSpec, InferenceComponentStatus};
use sagemaker_k8s_aws::SageMakerHandle;
use sagemaker_k8s_aws::generated::{
    CallError, Described, ResolvedReferences, inference_component as remote,
};

use super::generated::GeneratedKind;
use crate::engine::references::Target;

pub struct InferenceComponentKind;

/// The call an update of an inference component makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UpdateCall {
    /// UpdateInferenceComponentRuntimeConfig: the number of copies, and nothing else moved.
    CopyCount,
    /// UpdateInferenceComponent: the specification, with the copy count too.
    Specification,
}

/// Only the copy count moved when the spec with SageMaker's desired copy count put back is the
/// spec last sent; anything else (the specification moved, or autoscaling moved the count since)
/// is sent with UpdateInferenceComponent, which carries the specification and the copy count.
fn update_call(copies_moved: bool, otherwise_recorded: bool) -> UpdateCall {
    if copies_moved && otherwise_recorded {
        UpdateCall::CopyCount
    } else {
        UpdateCall::Specification
    }
}

impl GeneratedKind for InferenceComponentKind {
    type Object = InferenceComponent;
    type Spec = InferenceComponentSpec;
    type Status = InferenceComponentStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::inference_component::INFO;
    const REFERENCED: &'static [&'static Target] =
        &[&super::endpoint::ENDPOINT, &super::model::MODEL];

    fn spec(object: &InferenceComponent) -> &InferenceComponentSpec {
        &object.spec
    }
    async fn update(
        sagemaker: &SageMakerHandle,
        spec: &InferenceComponentSpec,
        name: &str,
        described: &Described<InferenceComponentStatus>,
        refs: &ResolvedReferences,
        recorded: &(dyn Fn(&InferenceComponentSpec) -> bool + Sync),
    ) -> Result<(), CallError> {
        let desired = described
            .status
            .runtime_config
            .as_ref()
            .and_then(|runtime| runtime.desired_copy_count);
        let copies = spec.runtime_config.as_ref().map(|r| r.copy_count);
        let copies_moved = copies.is_some() && copies != desired;
        // The spec as it was if only the copy count moved since SageMaker was last told.
        let mut before = spec.clone();
        if let (Some(runtime), Some(desired)) = (before.runtime_config.as_mut(), desired) {
            runtime.copy_count = desired;
        }
        match update_call(copies_moved, recorded(&before)) {
            UpdateCall::CopyCount => {
                let request =
                    remote::update_inference_component_runtime_config_request(spec, name, refs)?;
                remote::update_inference_component_runtime_config(sagemaker, request).await?;
            }
            UpdateCall::Specification => {
                let request = remote::update_inference_component_request(spec, name, refs)?;
                remote::update_inference_component(sagemaker, request).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_moved_copy_count_is_a_runtime_config_update() {
        for (copies_moved, otherwise_recorded, call) in [
            (true, true, UpdateCall::CopyCount),
            // The specification moved too: one call carries both.
            (true, false, UpdateCall::Specification),
            (false, true, UpdateCall::Specification),
            (false, false, UpdateCall::Specification),
        ] {
            assert_eq!(
                update_call(copies_moved, otherwise_recorded),
                call,
                "{copies_moved} {otherwise_recorded}"
            );
        }
    }
}
