//! Model ↔ SageMaker model: named after the object (so a BatchTransformJob or an endpoint
//! configuration can refer to it by that name), replaced on a spec change, deleted on delete. A
//! container may deploy a registered version by `modelPackageRef` (the ModelPackage object's
//! ARN): the model waits until the version is registered and approved.

use sagemaker_k8s_api::{Model, ModelSpec, ModelStatus};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::hosting::{ResourceDescription, model_request};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::engine::references::{Reference, Target};
use crate::engine::single::{
    CREATED, CreateError, Created, Kind, Lifecycle, Resolved, Single, States, StatusFields,
};
use crate::status_poller::NotPolled;

pub struct ModelAdapter;

/// Model objects as others refer to them (an EndpointConfig variant's `modelRef`): usable once
/// `Created`, by their SageMaker name.
pub static MODEL: Target = Target::of::<Single<ModelAdapter>>(&[CREATED]);

impl Kind for ModelAdapter {
    type Object = Model;
    type Spec = ModelSpec;
    type Status = ModelStatus;
    type Remote = ResourceDescription;
    type Lister = NotPolled;
    const KIND: &'static str = "Model";
    const STATES: States = States::Created;
    const LIFECYCLE: Lifecycle = super::REPLACED;
    const REFERENCED: &'static [&'static Target] = &[&super::model_package::APPROVED_MODEL_PACKAGE];

    fn spec(object: &Model) -> &ModelSpec {
        &object.spec
    }
    fn remote_name(object: &Model) -> String {
        super::object_name(object)
    }
    /// The containers' `modelPackageRef`s.
    fn references(object: &Model) -> Vec<Reference> {
        let spec = &object.spec;
        let primary = spec
            .primary_container
            .iter()
            .map(|container| ("primaryContainer".to_string(), container));
        let pipeline = spec
            .containers
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, container)| (format!("containers[{index}]"), container));
        primary
            .chain(pipeline)
            .filter_map(|(path, container)| super::model_package::reference_in(&path, container))
            .collect()
    }
    fn status_fields(status: &mut ModelStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.status,
            sagemaker_name: &mut status.sage_maker_model_name,
            last_update_time: Some(&mut status.last_update_time),
        }
    }
    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &Model,
        name: &str,
        owner_uid: &str,
        references: &Resolved,
    ) -> Result<Created, CreateError> {
        let packages = references.by_object_name(&Self::references(object));
        sagemaker
            .create_model(model_request(&object.spec, name, owner_uid, &packages))
            .await
            .map_err(CreateError::from)?;
        Ok(Created::AsSent)
    }
    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        sagemaker.describe_model(name).await
    }
    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.delete_model(name).await
    }
    fn arn(remote: &ResourceDescription) -> String {
        remote.arn.clone()
    }
    fn status_text(_remote: &ResourceDescription) -> String {
        CREATED.to_string()
    }
    fn last_modified(_remote: &ResourceDescription) -> Option<jiff::Timestamp> {
        None
    }
    fn status_from(
        _object: &Model,
        remote: &ResourceDescription,
        _location: &ApiLocation,
    ) -> ModelStatus {
        ModelStatus {
            sage_maker_model_name: Some(remote.name.clone()),
            model_arn: Some(remote.arn.clone()),
            ..Default::default()
        }
    }
}
