//! ModelPackage ↔ a version in a SageMaker model package group, a kind generated from the API
//! model. SageMaker numbers the versions and names each by its ARN: the create is sent under the
//! object's UID as its idempotency token and the status records the ARN it answers with (see
//! `Created::Assigned`), which Describe, UpdateModelPackage and Delete then name it by, and which
//! a `modelPackageRef` resolves to. The approval status, customer metadata, model card,
//! lifecycle, registration type and source URI change in place; the rest is immutable (CEL).
//! ListModelPackages has no modification time, so a Pending or InProgress version is Described
//! again by the generic adapter's look-again rule, not the poller.

use std::collections::BTreeMap;

use sagemaker_k8s_api::common::ContainerDefinition;
use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{ModelPackage, ModelPackageSpec, ModelPackageStatus};
use sagemaker_k8s_aws::SageMakerHandle;
use sagemaker_k8s_aws::generated::{
    CallError, Described, ResolvedReferences, model_package as remote,
};

use super::generated::{Generated, GeneratedKind};
use crate::engine::references::{Reference, Target};
use crate::engine::single::Single;

pub struct ModelPackageKind;

/// What a deployment that names a package waits for: a registered version (`Completed`).
pub static MODEL_PACKAGE: Target =
    Target::of::<Single<Generated<ModelPackageKind>>>(&["Completed"]);

/// The reference a container at `path` makes by its `modelPackageRef`, if it has one (a
/// Model's and a HostingDeployment's containers alike).
pub fn reference_in(path: &str, container: &ContainerDefinition) -> Option<Reference> {
    Some(Reference {
        field: format!("{path}.modelPackageRef"),
        target: &MODEL_PACKAGE,
        name: container.model_package_ref.as_ref()?.name.clone(),
    })
}

/// The customer metadata keys SageMaker holds that the spec no longer has: UpdateModelPackage
/// merges the properties it is sent, so a key taken out of the spec must be named for removal.
fn keys_to_remove(
    held: Option<&BTreeMap<String, String>>,
    wanted: Option<&BTreeMap<String, String>>,
) -> Vec<String> {
    held.into_iter()
        .flat_map(BTreeMap::keys)
        .filter(|key| !wanted.is_some_and(|wanted| wanted.contains_key(*key)))
        .cloned()
        .collect()
}

impl GeneratedKind for ModelPackageKind {
    type Object = ModelPackage;
    type Spec = ModelPackageSpec;
    type Status = ModelPackageStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::model_package::INFO;
    const REFERENCED: &'static [&'static Target] =
        &[&super::model_package_group::MODEL_PACKAGE_GROUP];

    fn spec(object: &ModelPackage) -> &ModelPackageSpec {
        &object.spec
    }
    async fn update(
        sagemaker: &SageMakerHandle,
        spec: &ModelPackageSpec,
        arn: &str,
        described: &Described<ModelPackageStatus>,
        refs: &ResolvedReferences,
        _recorded: &(dyn Fn(&ModelPackageSpec) -> bool + Sync),
    ) -> Result<(), CallError> {
        let removed = keys_to_remove(
            described.status.customer_metadata_properties.as_ref(),
            spec.customer_metadata_properties.as_ref(),
        );
        let request = remote::update_model_package_request(spec, arn, refs)?
            .set_customer_metadata_properties_to_remove((!removed.is_empty()).then_some(removed));
        remote::update_model_package(sagemaker, request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
    use aws_sdk_sagemaker::types::{ModelApprovalStatus, ModelPackageStatus as SdkStatus};

    use super::*;
    use crate::engine::single::{Kind, Phase};

    type Adapter = Generated<ModelPackageKind>;

    const ARN: &str = "arn:aws:sagemaker:us-west-2:123456789012:model-package/churn/3";

    fn described(status: SdkStatus) -> Described<ModelPackageStatus> {
        let output = DescribeModelPackageOutput::builder()
            // A versioned package is called by its group's name; its ARN names it.
            .model_package_name("churn")
            .model_package_group_name("churn")
            .model_package_version(3)
            .model_package_arn(ARN)
            .model_package_status(status)
            .model_approval_status(ModelApprovalStatus::Approved)
            .customer_metadata_properties("team", "risk")
            .creation_time(aws_sdk_sagemaker::primitives::DateTime::from_secs(
                1_700_000_000,
            ))
            .last_modified_time(aws_sdk_sagemaker::primitives::DateTime::from_secs(
                1_700_000_100,
            ))
            .build();
        remote::described(&output, ARN)
    }

    #[test]
    fn package_states_are_phases_and_transitional_ones_are_looked_at_again() {
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
        let again = Some(Duration::from_secs(5));
        let table = [
            (SdkStatus::Pending, Phase::InProgress, again),
            (SdkStatus::InProgress, Phase::InProgress, again),
            (SdkStatus::Completed, Phase::Succeeded, None),
            (SdkStatus::Failed, Phase::Failed, None),
            (SdkStatus::Deleting, Phase::Deleting, None),
        ];
        for (status, phase, look_again) in table {
            let remote = described(status.clone());
            assert_eq!(words.phase(&remote.state), phase, "{status:?}");
            assert_eq!(Adapter::look_again_after(&remote), look_again, "{status:?}");
        }
    }

    /// The ARN names the version everywhere: SageMaker's own name for it is its group's.
    #[test]
    fn a_version_is_named_by_its_arn_and_shows_version_and_approval() {
        const { assert!(Adapter::NAMED_BY_SAGEMAKER) };
        assert_eq!(Adapter::SPEC_NAME_FIELD, None);
        let remote = described(SdkStatus::Completed);
        assert_eq!(remote.name, ARN);
        assert_eq!(remote.status.sage_maker_name.as_deref(), Some(ARN));
        assert_eq!(remote.status.model_package_version, Some(3));
        assert_eq!(
            remote.status.model_approval_status.as_deref(),
            Some("Approved")
        );
        assert_eq!(
            remote.status.model_package_group_name.as_deref(),
            Some("churn")
        );
        assert_eq!(
            remote.last_modified.map(|t| t.as_second()),
            Some(1_700_000_100)
        );
    }

    #[test]
    fn keys_taken_out_of_the_spec_are_removed() {
        let map = |keys: &[&str]| -> BTreeMap<String, String> {
            keys.iter()
                .map(|k| (k.to_string(), "v".to_string()))
                .collect()
        };
        // (keys SageMaker holds, keys the spec has, keys removed)
        type Keys = Option<&'static [&'static str]>;
        let table: [(Keys, Keys, &[&str]); 5] = [
            (None, None, &[]),
            (Some(&["a"]), Some(&["a"]), &[]),
            (Some(&["a", "b"]), Some(&["a"]), &["b"]),
            (Some(&["a", "b"]), None, &["a", "b"]),
            // A new key is sent, not removed.
            (None, Some(&["a"]), &[]),
        ];
        for (held, wanted, removed) in table {
            let held = held.map(map);
            let wanted = wanted.map(map);
            assert_eq!(
                keys_to_remove(held.as_ref(), wanted.as_ref()),
                removed.to_vec(),
                "{held:?} {wanted:?}"
            );
        }
    }

    /// The create carries the object's UID as the idempotency token and no name (SageMaker
    /// refuses a name for a versioned package); the update names the version by its ARN and
    /// sends only what may change.
    #[test]
    fn requests_carry_the_token_and_the_arn() {
        let spec: ModelPackageSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "modelPackageGroupName": "churn",
            "modelPackageDescription": "v3",
            "modelApprovalStatus": "Approved",
        }))
        .expect("a spec");
        let uid = "0b4ad9e2-5d3c-4f7e-9a51-2f0c8e6b7d10";
        // The engine passes the UID as both the pinned name and the owner.
        let create = remote::create_request(&spec, "pinned", uid, &ResolvedReferences::default())
            .expect("built")
            .build()
            .expect("a request");
        assert_eq!(create.client_token(), Some(uid));
        assert_eq!(create.model_package_name(), None);
        assert_eq!(create.model_package_group_name(), Some("churn"));
        let update =
            remote::update_model_package_request(&spec, ARN, &ResolvedReferences::default())
                .expect("built")
                .build()
                .expect("a request");
        assert_eq!(update.model_package_arn(), Some(ARN));
        assert_eq!(
            update.model_approval_status(),
            Some(&ModelApprovalStatus::Approved)
        );
    }
}
