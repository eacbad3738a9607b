//! Endpoint ↔ SageMaker endpoint, a kind generated from the API model: created from the
//! endpoint configuration it names (`endpointConfigName` or `endpointConfigRef`), switched to
//! another with UpdateEndpoint on a spec change (deployment config passed through), deleted and
//! awaited on delete. A failed update shows SageMaker's FailureReason while the status keeps the
//! configuration the endpoint still serves.

use sagemaker_k8s_api::generated::endpoint::INFO;
use sagemaker_k8s_api::{Endpoint, EndpointSpec, EndpointStatus};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::generated::{Described, endpoint as remote};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::engine::single::{
    CreateError, Kind, Lifecycle, Resolved, StateWords, States, StatusFields,
};
use crate::status_poller::ListModified;

pub struct EndpointAdapter;

impl ListModified for EndpointAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.endpoint_modified_after(after).await
    }
}

impl Kind for EndpointAdapter {
    type Object = Endpoint;
    type Spec = EndpointSpec;
    type Status = EndpointStatus;
    type Remote = Described<EndpointStatus>;
    type Lister = Self;

    const KIND: &'static str = INFO.kind;
    const STATES: States = States::SageMaker;
    const LIFECYCLE: Lifecycle = super::UPDATED;
    const SPEC_NAME_FIELD: Option<&'static str> = Some(INFO.name_field);
    const STATE_WORDS: Option<StateWords> = Some(super::state_words(&INFO));

    fn spec(object: &Endpoint) -> &EndpointSpec {
        &object.spec
    }
    fn spec_name(object: &Endpoint) -> Option<&str> {
        object.spec.endpoint_name.as_deref()
    }
    fn status_fields(status: &mut EndpointStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.status,
            sagemaker_name: &mut status.sage_maker_name,
            last_update_time: None,
        }
    }
    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &Endpoint,
        name: &str,
        owner_uid: &str,
        references: &Resolved,
    ) -> Result<(), CreateError> {
        let mut found = Vec::new();
        object.spec.collect_references("", &mut found);
        let refs = super::generated_references(&found, references);
        let request = remote::create_request(&object.spec, name, owner_uid, &refs)
            .map_err(super::unresolved)?;
        remote::create(sagemaker, request).await?;
        Ok(())
    }
    async fn update(
        &self,
        sagemaker: &SageMakerHandle,
        object: &Endpoint,
        name: &str,
        _remote: &Described<EndpointStatus>,
        references: &Resolved,
    ) -> Result<(), CreateError> {
        let mut found = Vec::new();
        object.spec.collect_references("", &mut found);
        let refs = super::generated_references(&found, references);
        let request = remote::update_endpoint_request(&object.spec, name, &refs)
            .map_err(super::unresolved)?;
        remote::update_endpoint(sagemaker, request).await?;
        Ok(())
    }
    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<Described<EndpointStatus>, SageMakerError> {
        remote::describe(sagemaker, name).await
    }
    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<(), SageMakerError> {
        remote::delete(sagemaker, name).await
    }
    fn arn(remote: &Described<EndpointStatus>) -> String {
        remote.arn.clone()
    }
    fn status_text(remote: &Described<EndpointStatus>) -> String {
        remote.state.clone()
    }
    fn last_modified(remote: &Described<EndpointStatus>) -> Option<jiff::Timestamp> {
        remote.last_modified
    }
    fn status_from(
        _object: &Endpoint,
        remote: &Described<EndpointStatus>,
        _location: &ApiLocation,
    ) -> EndpointStatus {
        super::with_failure_reason(remote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::single::Phase;

    #[test]
    fn endpoint_states_are_phases() {
        let words = EndpointAdapter::STATE_WORDS.expect("the kind's own words");
        for (state, phase) in [
            ("InService", Phase::Succeeded),
            ("UpdateRollbackFailed", Phase::Succeeded),
            ("Failed", Phase::Failed),
            ("Deleting", Phase::Deleting),
            ("Creating", Phase::InProgress),
            ("Updating", Phase::InProgress),
            ("RollingBack", Phase::InProgress),
            ("SystemUpdating", Phase::InProgress),
        ] {
            assert_eq!(words.phase(state), phase, "{state}");
        }
    }
}
