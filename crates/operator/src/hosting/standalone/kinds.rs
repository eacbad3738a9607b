//! The two standalone kinds: what Model and EndpointConfig send to SageMaker and where their
//! statuses keep what.

use sagemaker_k8s_api::{EndpointConfig, EndpointConfigStatus, Model, ModelStatus};
use sagemaker_k8s_aws::hosting::{ResourceDescription, endpoint_config_request, model_request};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use super::{CreateError, StandaloneKind, StatusFields};

pub struct ModelKind;

impl StandaloneKind for ModelKind {
    type Object = Model;
    type Spec = sagemaker_k8s_api::ModelSpec;
    type Status = ModelStatus;
    const KIND: &'static str = "Model";

    fn spec(object: &Model) -> &Self::Spec {
        &object.spec
    }
    fn status_fields(status: &mut ModelStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.status,
            sagemaker_name: &mut status.sage_maker_model_name,
            arn: &mut status.model_arn,
            last_update_time: &mut status.last_update_time,
            common: &mut status.common,
        }
    }
    async fn create(
        sagemaker: &SageMakerHandle,
        object: &Model,
        name: &str,
        owner_uid: &str,
    ) -> Result<(), CreateError> {
        sagemaker
            .create_model(model_request(&object.spec, name, owner_uid))
            .await
            .map(|_| ())
            .map_err(CreateError::SageMaker)
    }
    async fn describe(
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        sagemaker.describe_model(name).await
    }
    async fn delete(sagemaker: &SageMakerHandle, name: &str) -> Result<(), SageMakerError> {
        sagemaker.delete_model(name).await
    }
}

pub struct EndpointConfigKind;

impl StandaloneKind for EndpointConfigKind {
    type Object = EndpointConfig;
    type Spec = sagemaker_k8s_api::EndpointConfigSpec;
    type Status = EndpointConfigStatus;
    const KIND: &'static str = "EndpointConfig";

    fn spec(object: &EndpointConfig) -> &Self::Spec {
        &object.spec
    }
    fn status_fields(status: &mut EndpointConfigStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.status,
            sagemaker_name: &mut status.sage_maker_endpoint_config_name,
            arn: &mut status.endpoint_config_arn,
            last_update_time: &mut status.last_update_time,
            common: &mut status.common,
        }
    }
    async fn create(
        sagemaker: &SageMakerHandle,
        object: &EndpointConfig,
        name: &str,
        owner_uid: &str,
    ) -> Result<(), CreateError> {
        let request = endpoint_config_request(&object.spec, name, owner_uid)
            .map_err(|error| CreateError::Unsupported(error.to_string()))?;
        sagemaker
            .create_endpoint_config(request)
            .await
            .map(|_| ())
            .map_err(CreateError::SageMaker)
    }
    async fn describe(
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        sagemaker.describe_endpoint_config(name).await
    }
    async fn delete(sagemaker: &SageMakerHandle, name: &str) -> Result<(), SageMakerError> {
        sagemaker.delete_endpoint_config(name).await
    }
}
