//! ModelPackageGroup ↔ SageMaker model package group, a kind generated from the API model: the
//! model registry's home for the versions of one model. Nothing of a group can be changed in
//! SageMaker (the schema refuses spec edits), so there is no update; delete waits through
//! Deleting. SageMaker's List of groups has no modification time, so a group in Pending or
//! InProgress is Described again by the generic adapter's look-again rule, not the poller.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{ModelPackageGroup, ModelPackageGroupSpec, ModelPackageGroupStatus};
use sagemaker_k8s_aws::generated::model_package_group as remote;

use super::generated::{Generated, GeneratedKind};
use crate::engine::references::Target;
use crate::engine::single::Single;

pub struct ModelPackageGroupKind;

/// What a model package waits for: a group set up (`Completed`).
pub static MODEL_PACKAGE_GROUP: Target =
    Target::of::<Single<Generated<ModelPackageGroupKind>>>(&["Completed"]);

impl GeneratedKind for ModelPackageGroupKind {
    type Object = ModelPackageGroup;
    type Spec = ModelPackageGroupSpec;
    type Status = ModelPackageGroupStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::model_package_group::INFO;

    fn spec(object: &ModelPackageGroup) -> &ModelPackageGroupSpec {
        &object.spec
    }
    // Every member is immutable (CEL transition rules), so a new generation carries only what
    // SageMaker does not hold as a group property (tags): the default update sends nothing.
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_sagemaker::operation::describe_model_package_group::DescribeModelPackageGroupOutput;
    use aws_sdk_sagemaker::types::ModelPackageGroupStatus as SdkStatus;

    use sagemaker_k8s_aws::generated::Described;

    use super::*;
    use crate::engine::single::{Kind, Phase};

    type Adapter = Generated<ModelPackageGroupKind>;

    fn described(status: SdkStatus) -> Described<ModelPackageGroupStatus> {
        let output = DescribeModelPackageGroupOutput::builder()
            .model_package_group_name("g-1")
            .model_package_group_arn(
                "arn:aws:sagemaker:us-west-2:123456789012:model-package-group/g-1",
            )
            .model_package_group_status(status)
            .creation_time(aws_sdk_sagemaker::primitives::DateTime::from_secs(
                1_700_000_000,
            ))
            .build();
        remote::described(&output, "g-1")
    }

    #[test]
    fn group_states_are_phases_and_transitional_ones_are_looked_at_again() {
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
        let table = [
            (
                SdkStatus::Pending,
                Phase::InProgress,
                Some(Duration::from_secs(5)),
            ),
            (
                SdkStatus::InProgress,
                Phase::InProgress,
                Some(Duration::from_secs(5)),
            ),
            (SdkStatus::Completed, Phase::Succeeded, None),
            (SdkStatus::Failed, Phase::Failed, None),
            (SdkStatus::DeleteFailed, Phase::Failed, None),
            (SdkStatus::Deleting, Phase::Deleting, None),
        ];
        for (status, phase, again) in table {
            let remote = described(status.clone());
            assert_eq!(words.phase(&remote.state), phase, "{status:?}");
            assert_eq!(Adapter::look_again_after(&remote), again, "{status:?}");
        }
    }

    /// ListModelPackageGroups cannot filter by modification time: no status poller runs for
    /// groups (it would only take List budget from the kinds that can), while endpoints have one.
    #[test]
    fn groups_get_no_status_poller() {
        use crate::status_poller::ListModified;
        const { assert!(!<Adapter as ListModified>::LISTS) };
        const { assert!(<Generated<crate::adapters::endpoint::EndpointKind> as ListModified>::LISTS) };
    }

    /// DescribeModelPackageGroup has neither a failure reason nor a modification time.
    #[test]
    fn status_from_a_described_group() {
        let remote = described(SdkStatus::Completed);
        assert_eq!(remote.last_modified, None);
        assert_eq!(remote.failure_reason, None);
        assert_eq!(
            remote.status.model_package_group_arn.as_deref(),
            Some("arn:aws:sagemaker:us-west-2:123456789012:model-package-group/g-1")
        );
        assert_eq!(remote.status.sage_maker_name.as_deref(), Some("g-1"));
        assert_eq!(
            remote.status.creation_time.map(|t| t.0.as_second()),
            Some(1_700_000_000)
        );
    }
}
