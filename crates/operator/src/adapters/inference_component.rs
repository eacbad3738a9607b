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
    /// UpdateInferenceComponentRuntimeConfig: the number of copies.
    CopyCount,
    /// UpdateInferenceComponent: the specification.
    Specification,
}

/// A spec whose copy count differs from the one SageMaker is working towards changes the copy
/// count; any other change is one of the specification.
fn update_call(spec_copies: Option<i32>, desired_copies: Option<i32>) -> UpdateCall {
    match spec_copies {
        Some(copies) if Some(copies) != desired_copies => UpdateCall::CopyCount,
        _ => UpdateCall::Specification,
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
    ) -> Result<(), CallError> {
        let desired = described
            .status
            .runtime_config
            .as_ref()
            .and_then(|runtime| runtime.desired_copy_count);
        let copies = spec.runtime_config.as_ref().map(|r| r.copy_count);
        match update_call(copies, desired) {
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
    fn a_moved_copy_count_is_a_runtime_config_update() {
        for (spec, desired, call) in [
            (Some(2), Some(1), UpdateCall::CopyCount),
            (Some(0), Some(3), UpdateCall::CopyCount),
            (Some(2), None, UpdateCall::CopyCount),
            (Some(2), Some(2), UpdateCall::Specification),
            (None, Some(2), UpdateCall::Specification),
            (None, None, UpdateCall::Specification),
        ] {
            assert_eq!(update_call(spec, desired), call, "{spec:?} {desired:?}");
        }
    }
}
