//! ModelPackage ↔ a version in a SageMaker model package group, a kind generated from the API
//! model. SageMaker numbers the versions and names each by its ARN: the create is sent under the
//! object's UID as its idempotency token and the status records the ARN it answers with (see
//! `Created::Assigned`), which Describe, UpdateModelPackage and Delete then name it by, and which
//! a `modelPackageRef` resolves to. The approval status, customer metadata, model card,
//! lifecycle, registration type and source URI change in place; the rest is immutable (CEL).
//! ListModelPackages has no modification time, so a Pending or InProgress version is Described
//! again by the generic adapter's look-again rule, not the poller.
//!
//! A version a pipeline registered is not created but taken over: `registeredBy` names the
//! PipelineExecution object and its RegisterModel step. Once the run `Succeeded`, the "create"
//! reads the step's version from ListPipelineExecutionSteps (sent again after a crash, it finds
//! the same one), sends the spec's approval and metadata with UpdateModelPackage, and answers
//! with the version's ARN, which the status records as for a version it created. From then on
//! the version is the object's: edited in place, deleted with it; the run object is no longer
//! needed. Deployments wait for a version that is `Approved` ([`APPROVED_MODEL_PACKAGE`]).

use std::collections::BTreeMap;

use sagemaker_k8s_api::common::ContainerDefinition;
use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{ModelPackage, ModelPackageSpec, ModelPackageStatus};
use sagemaker_k8s_aws::SageMakerHandle;
use sagemaker_k8s_aws::generated::{
    CallError, Described, GeneratedCalls as _, ResolvedReferences, model_package as remote,
};
use sagemaker_k8s_aws::pipeline_step;

use super::generated::{Generated, GeneratedKind, create_error};
use super::pipeline_execution::PIPELINE_EXECUTION;
use crate::engine::references::{Recorded, Referable, Reference, Target};
use crate::engine::single::{CreateError, Resolved, Single};

pub struct ModelPackageKind;

type Adapter = Single<Generated<ModelPackageKind>>;

/// What a job that reads a version (a compilation job) waits for: a registered version
/// (`Completed`).
pub static MODEL_PACKAGE: Target = Target::of::<Adapter>(&["Completed"]);

/// What a deployment (a Model's or a HostingDeployment's container) waits for: a registered
/// version that is `Approved`, so approving a version is what lets it be deployed.
pub static APPROVED_MODEL_PACKAGE: Target = Target::of::<ApprovedModelPackage>(&["Approved"]);

/// A ModelPackage as deployments see it: once registered (`Completed`), its state is its
/// approval (`PendingManualApproval`, `Approved`, `Rejected`), which a wait then names.
pub struct ApprovedModelPackage;

impl Referable for ApprovedModelPackage {
    type Object = ModelPackage;
    const KIND: &'static str = "ModelPackage";

    fn recorded(object: &ModelPackage) -> Recorded {
        let mut recorded = Adapter::recorded(object);
        let approval = object
            .status
            .as_ref()
            .and_then(|status| status.model_approval_status.clone());
        if recorded.state.as_deref() == Some("Completed") && approval.is_some() {
            recorded.state = approval;
        }
        recorded
    }
}

/// The reference a container at `path` makes by its `modelPackageRef`, if it has one (a
/// Model's and a HostingDeployment's containers alike): to an approved version.
pub fn reference_in(path: &str, container: &ContainerDefinition) -> Option<Reference> {
    Some(Reference {
        field: format!("{path}.modelPackageRef"),
        target: &APPROVED_MODEL_PACKAGE,
        name: container.model_package_ref.as_ref()?.name.clone(),
    })
}

/// The spec field whose run the engine resolves for a `registeredBy` version.
const REGISTERED_BY_RUN: &str = "registeredBy.pipelineExecutionRef";

/// The customer metadata keys SageMaker holds that the spec no longer has: UpdateModelPackage
/// merges the properties it is sent, so a key taken out of the spec must be named for removal.
/// A version taken over from a pipeline keeps the pipeline's keys until the spec says which it
/// wants (`taken_over` and no properties in the spec: none removed).
fn keys_to_remove(
    held: Option<&BTreeMap<String, String>>,
    wanted: Option<&BTreeMap<String, String>>,
    taken_over: bool,
) -> Vec<String> {
    if taken_over && wanted.is_none() {
        return Vec::new();
    }
    held.into_iter()
        .flat_map(BTreeMap::keys)
        .filter(|key| !wanted.is_some_and(|wanted| wanted.contains_key(*key)))
        .cloned()
        .collect()
}

/// Whether a spec sets anything UpdateModelPackage sends (a `registeredBy` spec may set only
/// that, besides where the version is: see the CEL rule): a version taken over as the pipeline
/// registered it needs no update.
fn sets_updatable(spec: &ModelPackageSpec) -> bool {
    const NOT_SENT: [&str; 3] = ["region", "sageMakerEndpoint", "registeredBy"];
    match serde_json::to_value(spec) {
        Ok(serde_json::Value::Object(fields)) => fields
            .keys()
            .any(|field| !NOT_SENT.contains(&field.as_str())),
        _ => true,
    }
}

/// "Creates" a version a pipeline run registered: finds it, and sends the spec's changes.
async fn take_over(
    sagemaker: &SageMakerHandle,
    spec: &ModelPackageSpec,
    step: &str,
    refs: &ResolvedReferences,
    resolved: &Resolved,
) -> Result<Option<String>, CreateError> {
    let run = resolved.get(REGISTERED_BY_RUN).ok_or_else(|| {
        CreateError::Unsupported(format!("{REGISTERED_BY_RUN} is not resolved yet"))
    })?;
    let arn = pipeline_step::registered_model_package(sagemaker, run, step)
        .await?
        .map_err(|not| CreateError::Unsupported(format!("registeredBy: {not}")))?;
    tracing::info!(run, step, model_package = %arn, "taking over the version the pipeline registered");
    if sets_updatable(spec) {
        let request = remote::update_model_package_request(spec, &arn, refs)
            .map_err(|unresolved| create_error(unresolved.into()))?;
        remote::update_model_package(sagemaker, request).await?;
    }
    Ok(Some(arn))
}

impl GeneratedKind for ModelPackageKind {
    type Object = ModelPackage;
    type Spec = ModelPackageSpec;
    type Status = ModelPackageStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::model_package::INFO;
    const REFERENCED: &'static [&'static Target] = &[
        &super::model_package_group::MODEL_PACKAGE_GROUP,
        &PIPELINE_EXECUTION,
    ];

    fn spec(object: &ModelPackage) -> &ModelPackageSpec {
        &object.spec
    }
    /// The run of `registeredBy`, until the version it registered is the object's (recorded):
    /// then the run object may go without holding up the version's edits.
    fn extra_references(object: &ModelPackage) -> Vec<Reference> {
        let recorded = object
            .status
            .as_ref()
            .is_some_and(|status| status.sage_maker_name.is_some());
        match &object.spec.registered_by {
            Some(step) if !recorded => vec![Reference {
                field: REGISTERED_BY_RUN.to_string(),
                target: &PIPELINE_EXECUTION,
                name: step.pipeline_execution_ref.name.clone(),
            }],
            _ => Vec::new(),
        }
    }
    async fn create(
        sagemaker: &SageMakerHandle,
        spec: &ModelPackageSpec,
        name: &str,
        owner_uid: &str,
        refs: &ResolvedReferences,
        resolved: &Resolved,
    ) -> Result<Option<String>, CreateError> {
        match &spec.registered_by {
            Some(step) => take_over(sagemaker, spec, &step.step_name, refs, resolved).await,
            None => remote::Calls::create(sagemaker, spec, name, owner_uid, refs)
                .await
                .map_err(create_error),
        }
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
            spec.registered_by.is_some(),
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

    fn spec(json: serde_json::Value) -> ModelPackageSpec {
        serde_json::from_value(json).expect("a spec")
    }

    /// A deployment sees a registered version by its approval, and may use only an approved one.
    #[test]
    fn deployments_wait_for_an_approved_version() {
        use crate::engine::references::judge;
        let taken = spec(serde_json::json!({
            "region": "us-west-2",
            "registeredBy": {"pipelineExecutionRef": {"name": "run-1"}, "stepName": "Register"},
        }));
        // (status, approval, the state a deployment sees, usable)
        let table = [
            (Some("Completed"), Some("Approved"), Some("Approved"), true),
            (
                Some("Completed"),
                Some("PendingManualApproval"),
                Some("PendingManualApproval"),
                false,
            ),
            (Some("Completed"), Some("Rejected"), Some("Rejected"), false),
            (
                Some("InProgress"),
                Some("Approved"),
                Some("InProgress"),
                false,
            ),
            (Some("Completed"), None, Some("Completed"), false),
            (None, None, None, false),
        ];
        for (state, approval, seen, usable) in table {
            let mut object = ModelPackage::new("churn-v1", taken.clone());
            object.status = Some(ModelPackageStatus {
                status: state.map(str::to_string),
                model_approval_status: approval.map(str::to_string),
                sage_maker_name: Some(ARN.into()),
                ..Default::default()
            });
            let recorded = ApprovedModelPackage::recorded(&object);
            assert_eq!(recorded.state.as_deref(), seen, "{state:?} {approval:?}");
            assert_eq!(
                judge(APPROVED_MODEL_PACKAGE.ready, &Some(Ok(recorded))).is_ok(),
                usable,
                "{state:?} {approval:?}"
            );
            // A job reading the version needs it registered only.
            let registered = Single::<Adapter>::recorded(&object);
            assert_eq!(
                judge(MODEL_PACKAGE.ready, &Some(Ok(registered))).is_ok(),
                state == Some("Completed"),
                "{state:?}"
            );
        }
    }

    /// The run is waited for until the version it registered is recorded, then no longer.
    #[test]
    fn a_taken_over_version_names_its_run_until_recorded() {
        let taken = spec(serde_json::json!({
            "region": "us-west-2",
            "registeredBy": {"pipelineExecutionRef": {"name": "run-1"}, "stepName": "Register"},
        }));
        let mut object = ModelPackage::new("churn-v1", taken);
        let references = Generated::<ModelPackageKind>::references(&object);
        assert_eq!(references.len(), 1);
        assert_eq!(
            (references[0].field.as_str(), references[0].name.as_str()),
            (REGISTERED_BY_RUN, "run-1")
        );
        assert_eq!(references[0].target.kind, "PipelineExecution");
        object.status = Some(ModelPackageStatus {
            sage_maker_name: Some(ARN.into()),
            ..Default::default()
        });
        assert!(Generated::<ModelPackageKind>::references(&object).is_empty());
    }

    #[test]
    fn a_version_is_updated_on_take_over_only_when_the_spec_sets_something() {
        let step = serde_json::json!({"pipelineExecutionRef": {"name": "run-1"}, "stepName": "R"});
        let table = [
            (
                serde_json::json!({"region": "us-west-2", "registeredBy": step}),
                false,
            ),
            (
                serde_json::json!({"region": "us-west-2", "sageMakerEndpoint": "https://x", "registeredBy": step}),
                false,
            ),
            (
                serde_json::json!({"region": "us-west-2", "registeredBy": step, "modelApprovalStatus": "Approved"}),
                true,
            ),
            (
                serde_json::json!({"region": "us-west-2", "registeredBy": step, "customerMetadataProperties": {}}),
                true,
            ),
        ];
        for (json, sent) in table {
            assert_eq!(sets_updatable(&spec(json.clone())), sent, "{json}");
        }
    }

    #[test]
    fn keys_taken_out_of_the_spec_are_removed() {
        let map = |keys: &[&str]| -> BTreeMap<String, String> {
            keys.iter()
                .map(|k| (k.to_string(), "v".to_string()))
                .collect()
        };
        // (keys SageMaker holds, keys the spec has, taken over from a pipeline, keys removed)
        type Keys = Option<&'static [&'static str]>;
        let table: [(Keys, Keys, bool, &[&str]); 8] = [
            (None, None, false, &[]),
            (Some(&["a"]), Some(&["a"]), false, &[]),
            (Some(&["a", "b"]), Some(&["a"]), false, &["b"]),
            (Some(&["a", "b"]), None, false, &["a", "b"]),
            // A new key is sent, not removed.
            (None, Some(&["a"]), false, &[]),
            // The pipeline's keys stay until the spec names the ones it wants.
            (Some(&["a", "b"]), None, true, &[]),
            (Some(&["a", "b"]), Some(&["a"]), true, &["b"]),
            (Some(&["a"]), Some(&[]), true, &["a"]),
        ];
        for (held, wanted, taken_over, removed) in table {
            let held = held.map(map);
            let wanted = wanted.map(map);
            assert_eq!(
                keys_to_remove(held.as_ref(), wanted.as_ref(), taken_over),
                removed.to_vec(),
                "{held:?} {wanted:?} {taken_over}"
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
