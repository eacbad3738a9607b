//! EndpointConfig ↔ SageMaker endpoint configuration: named after the object (so an endpoint
//! can refer to it by that name), replaced on a spec change, deleted on delete.

use sagemaker_k8s_api::{EndpointConfig, EndpointConfigSpec, EndpointConfigStatus};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::hosting::{ResourceDescription, endpoint_config_request};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::engine::references::{Reference, Target};
use crate::engine::single::{
    CREATED, CreateError, Created, Kind, Lifecycle, Resolved, Single, States, StatusFields,
};
use crate::status_poller::NotPolled;

pub struct EndpointConfigAdapter;

/// EndpointConfig objects as others refer to them (an Endpoint's `endpointConfigRef`): usable
/// once `Created`, by their SageMaker name.
pub static ENDPOINT_CONFIG: Target = Target::of::<Single<EndpointConfigAdapter>>(&[CREATED]);

impl Kind for EndpointConfigAdapter {
    type Object = EndpointConfig;
    type Spec = EndpointConfigSpec;
    type Status = EndpointConfigStatus;
    type Remote = ResourceDescription;
    type Lister = NotPolled;
    const KIND: &'static str = "EndpointConfig";
    const STATES: States = States::Created;
    const LIFECYCLE: Lifecycle = super::REPLACED;
    const REFERENCED: &'static [&'static Target] = &[&super::model::MODEL];

    fn spec(object: &EndpointConfig) -> &EndpointConfigSpec {
        &object.spec
    }
    fn remote_name(object: &EndpointConfig) -> String {
        super::object_name(object)
    }
    /// Each variant's (and shadow variant's) `modelRef`.
    fn references(object: &EndpointConfig) -> Vec<Reference> {
        let spec = &object.spec;
        let lists = [
            ("productionVariants", Some(&spec.production_variants)),
            (
                "shadowProductionVariants",
                spec.shadow_production_variants.as_ref(),
            ),
        ];
        lists
            .into_iter()
            .filter_map(|(list, variants)| Some((list, variants?)))
            .flat_map(|(list, variants)| {
                variants
                    .iter()
                    .enumerate()
                    .filter_map(move |(index, variant)| {
                        Some(Reference {
                            field: format!("{list}[{index}].modelRef"),
                            target: &super::model::MODEL,
                            name: variant.model_ref.as_ref()?.name.clone(),
                        })
                    })
            })
            .collect()
    }
    fn status_fields(status: &mut EndpointConfigStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.status,
            sagemaker_name: &mut status.sage_maker_endpoint_config_name,
            last_update_time: Some(&mut status.last_update_time),
        }
    }
    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &EndpointConfig,
        name: &str,
        owner_uid: &str,
        references: &Resolved,
    ) -> Result<Created, CreateError> {
        let models = references.by_object_name(&Self::references(object));
        let request = endpoint_config_request(&object.spec, name, owner_uid, &models)
            .map_err(|error| CreateError::Unsupported(error.to_string()))?;
        sagemaker
            .create_endpoint_config(request)
            .await
            .map_err(CreateError::from)?;
        Ok(Created::AsSent)
    }
    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        sagemaker.describe_endpoint_config(name).await
    }
    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.delete_endpoint_config(name).await
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
        _object: &EndpointConfig,
        remote: &ResourceDescription,
        _location: &ApiLocation,
    ) -> EndpointConfigStatus {
        EndpointConfigStatus {
            sage_maker_endpoint_config_name: Some(remote.name.clone()),
            endpoint_config_arn: Some(remote.arn.clone()),
            ..Default::default()
        }
    }
}
