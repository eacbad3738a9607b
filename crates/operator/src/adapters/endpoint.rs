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

    /// DescribeEndpoint → status: SageMaker's status, name, ARN, times, the configuration the
    /// endpoint serves, and the failure reason in `additional`.
    #[test]
    fn status_from_a_described_endpoint() {
        use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
        use aws_sdk_sagemaker::types::EndpointStatus as SdkStatus;
        let output = DescribeEndpointOutput::builder()
            .endpoint_name("e-1")
            .endpoint_arn("arn:aws:sagemaker:us-west-2:123456789012:endpoint/e-1")
            .endpoint_config_name("config-a")
            .endpoint_status(SdkStatus::UpdateRollbackFailed)
            .failure_reason("the new configuration failed")
            .creation_time(aws_sdk_sagemaker::primitives::DateTime::from_secs(
                1_700_000_000,
            ))
            .last_modified_time(aws_sdk_sagemaker::primitives::DateTime::from_secs(
                1_700_000_100,
            ))
            .build();
        let described = remote::described(&output, "e-1");
        assert_eq!(described.state, "UpdateRollbackFailed");
        assert_eq!(
            described.last_modified,
            Some(jiff::Timestamp::from_second(1_700_000_100).unwrap())
        );
        let location = ApiLocation {
            region: "us-west-2".into(),
            endpoint: None,
        };
        let object = Endpoint::new(
            "e",
            serde_json::from_value(serde_json::json!({
                "region": "us-west-2", "endpointConfigName": "config-b"
            }))
            .unwrap(),
        );
        let status = EndpointAdapter::status_from(&object, &described, &location);
        assert_eq!(status.status.as_deref(), Some("UpdateRollbackFailed"));
        assert_eq!(status.sage_maker_name.as_deref(), Some("e-1"));
        assert_eq!(
            status.endpoint_config_name.as_deref(),
            Some("config-a"),
            "the configuration still served, not the spec's"
        );
        assert_eq!(
            status.endpoint_arn.as_deref(),
            Some("arn:aws:sagemaker:us-west-2:123456789012:endpoint/e-1")
        );
        assert_eq!(
            status.common.additional.as_deref(),
            Some("the new configuration failed")
        );
        assert_eq!(
            status.creation_time.map(|t| t.0.as_second()),
            Some(1_700_000_000)
        );
    }
}
