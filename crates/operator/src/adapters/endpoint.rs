//! Endpoint ↔ SageMaker endpoint, a kind generated from the API model: created from the
//! endpoint configuration it names (`endpointConfigName` or `endpointConfigRef`), switched to
//! another with UpdateEndpoint on a spec change (deployment config passed through), deleted and
//! awaited on delete. A failed update shows SageMaker's FailureReason while the status keeps the
//! configuration the endpoint still serves.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{Endpoint, EndpointSpec, EndpointStatus};
use sagemaker_k8s_aws::SageMakerHandle;
use sagemaker_k8s_aws::generated::{CallError, Described, ResolvedReferences, endpoint as remote};

use super::generated::{Generated, GeneratedKind};
use crate::engine::references::Target;
use crate::engine::single::Single;

pub struct EndpointKind;

/// Endpoint objects as others refer to them (an InferenceComponent's `endpointRef`): usable once
/// `InService`, by their SageMaker name.
pub static ENDPOINT: Target = Target::of::<Single<Generated<EndpointKind>>>(&["InService"]);

impl GeneratedKind for EndpointKind {
    type Object = Endpoint;
    type Spec = EndpointSpec;
    type Status = EndpointStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::endpoint::INFO;
    const REFERENCED: &'static [&'static Target] = &[&super::endpoint_config::ENDPOINT_CONFIG];

    fn spec(object: &Endpoint) -> &EndpointSpec {
        &object.spec
    }
    async fn update(
        sagemaker: &SageMakerHandle,
        spec: &EndpointSpec,
        name: &str,
        _remote: &Described<EndpointStatus>,
        refs: &ResolvedReferences,
    ) -> Result<(), CallError> {
        let request = remote::update_endpoint_request(spec, name, refs)?;
        remote::update_endpoint(sagemaker, request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sagemaker_k8s_aws::clients::ApiLocation;

    use super::*;
    use crate::adapters::generated::Generated;
    use crate::engine::single::{Kind, Phase};

    type Adapter = Generated<EndpointKind>;

    #[test]
    fn endpoint_states_are_phases() {
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
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
        let status = Adapter::status_from(&object, &described, &location);
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
