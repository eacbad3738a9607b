//! InferenceComponent ↔ SageMaker inference component, a kind generated from the API model: a
//! model or container on an existing endpoint (`endpointName` or `endpointRef`), its model by
//! name or `modelRef`. A spec change that moves the copy count is sent with
//! UpdateInferenceComponentRuntimeConfig, any other with UpdateInferenceComponent; deleted and
//! awaited on delete.

use sagemaker_k8s_api::generated::inference_component::INFO;
use sagemaker_k8s_api::{InferenceComponent, InferenceComponentSpec, InferenceComponentStatus};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::generated::{Described, ResolvedReferences, inference_component as remote};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::engine::single::{
    CreateError, Kind, Lifecycle, Resolved, StateWords, States, StatusFields,
};
use crate::status_poller::ListModified;

pub struct InferenceComponentAdapter;

type Remote = Described<InferenceComponentStatus>;

/// The call an update of an inference component makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UpdateCall {
    /// UpdateInferenceComponentRuntimeConfig: only the number of copies moves.
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

fn references(object: &InferenceComponent, resolved: &Resolved) -> ResolvedReferences {
    let mut found = Vec::new();
    object.spec.collect_references("", &mut found);
    super::generated_references(&found, resolved)
}

impl ListModified for InferenceComponentAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.inference_component_modified_after(after).await
    }
}

impl Kind for InferenceComponentAdapter {
    type Object = InferenceComponent;
    type Spec = InferenceComponentSpec;
    type Status = InferenceComponentStatus;
    type Remote = Remote;
    type Lister = Self;

    const KIND: &'static str = INFO.kind;
    const STATES: States = States::SageMaker;
    const LIFECYCLE: Lifecycle = super::UPDATED;
    const SPEC_NAME_FIELD: Option<&'static str> = Some(INFO.name_field);
    const STATE_WORDS: Option<StateWords> = Some(super::state_words(&INFO));

    fn spec(object: &InferenceComponent) -> &InferenceComponentSpec {
        &object.spec
    }
    fn spec_name(object: &InferenceComponent) -> Option<&str> {
        object.spec.inference_component_name.as_deref()
    }
    fn status_fields(status: &mut InferenceComponentStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.status,
            sagemaker_name: &mut status.sage_maker_name,
            last_update_time: None,
        }
    }
    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &InferenceComponent,
        name: &str,
        owner_uid: &str,
        resolved: &Resolved,
    ) -> Result<(), CreateError> {
        let refs = references(object, resolved);
        let request = remote::create_request(&object.spec, name, owner_uid, &refs)
            .map_err(super::unresolved)?;
        remote::create(sagemaker, request).await?;
        Ok(())
    }
    async fn update(
        &self,
        sagemaker: &SageMakerHandle,
        object: &InferenceComponent,
        name: &str,
        described: &Remote,
        resolved: &Resolved,
    ) -> Result<(), CreateError> {
        let refs = references(object, resolved);
        let desired = described
            .status
            .runtime_config
            .as_ref()
            .and_then(|runtime| runtime.desired_copy_count);
        let copies = object.spec.runtime_config.as_ref().map(|r| r.copy_count);
        match update_call(copies, desired) {
            UpdateCall::CopyCount => {
                let request = remote::update_inference_component_runtime_config_request(
                    &object.spec,
                    name,
                    &refs,
                )
                .map_err(super::unresolved)?;
                remote::update_inference_component_runtime_config(sagemaker, request).await?;
            }
            UpdateCall::Specification => {
                let request = remote::update_inference_component_request(&object.spec, name, &refs)
                    .map_err(super::unresolved)?;
                remote::update_inference_component(sagemaker, request).await?;
            }
        }
        Ok(())
    }
    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<Remote, SageMakerError> {
        remote::describe(sagemaker, name).await
    }
    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<(), SageMakerError> {
        remote::delete(sagemaker, name).await
    }
    fn arn(remote: &Remote) -> String {
        remote.arn.clone()
    }
    fn status_text(remote: &Remote) -> String {
        remote.state.clone()
    }
    fn last_modified(remote: &Remote) -> Option<jiff::Timestamp> {
        remote.last_modified
    }
    fn status_from(
        _object: &InferenceComponent,
        remote: &Remote,
        _location: &ApiLocation,
    ) -> InferenceComponentStatus {
        super::with_failure_reason(remote)
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
