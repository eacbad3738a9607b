//! BatchTransformJob ↔ SageMaker transform job.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;
use sagemaker_k8s_api::{BatchTransformJob, BatchTransformJobSpec};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::transform_job::TransformJobDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::{Map, Value, json};

use crate::adapters::training_job::phase_of;
use crate::engine::{Adapter, Phase};
use crate::naming::{MAX_NAME_LEN, derived_name};
use crate::status_poller::ListModified;

pub struct TransformJobAdapter;

impl ListModified for TransformJobAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.transform_jobs_modified_after(after).await
    }
}

impl Adapter for TransformJobAdapter {
    type Object = BatchTransformJob;
    type Spec = BatchTransformJobSpec;
    type Remote = TransformJobDescription;

    const KIND: &'static str = "BatchTransformJob";
    const STATUS_FIELD: &'static str = "transformJobStatus";
    const NAME_FIELD: &'static str = "sageMakerTransformJobName";
    const SPEC_NAME_FIELD: Option<&'static str> = Some("transformJobName");

    fn spec(object: &BatchTransformJob) -> &BatchTransformJobSpec {
        &object.spec
    }

    fn remote_name(object: &BatchTransformJob) -> String {
        match object
            .spec
            .transform_job_name
            .as_ref()
            .filter(|name| !name.is_empty())
        {
            Some(name) => name.clone(),
            None => derived_name(
                &object.name_any(),
                object.metadata.uid.as_deref().unwrap_or_default(),
                MAX_NAME_LEN,
            ),
        }
    }

    fn recorded_status(object: &BatchTransformJob) -> Option<String> {
        object
            .status
            .as_ref()
            .and_then(|status| status.transform_job_status.clone())
    }

    fn recorded_conditions(object: &BatchTransformJob) -> Vec<Condition> {
        object
            .status
            .as_ref()
            .and_then(|status| status.common.conditions.clone())
            .unwrap_or_default()
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &BatchTransformJob,
        remote_name: &str,
        owner_uid: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker
            .create_transform_job(&object.spec, remote_name, owner_uid)
            .await
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<TransformJobDescription, SageMakerError> {
        sagemaker.describe_transform_job(remote_name).await
    }

    async fn stop(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_transform_job(remote_name).await
    }

    fn arn(remote: &TransformJobDescription) -> String {
        remote.arn.clone()
    }

    fn phase(remote: &TransformJobDescription) -> Phase {
        phase_of(&remote.status)
    }

    fn status_text(remote: &TransformJobDescription) -> String {
        remote.status.clone()
    }

    /// DescribeTransformJob has no LastModifiedTime: a listed change always wakes the object
    /// once (the listing it covered is then remembered).
    fn last_modified(_remote: &TransformJobDescription) -> Option<jiff::Timestamp> {
        None
    }

    fn status_fields(
        _object: &BatchTransformJob,
        remote: &TransformJobDescription,
        _location: &ApiLocation,
    ) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("transformJobStatus".into(), json!(remote.status));
        fields.insert("sageMakerTransformJobName".into(), json!(remote.name));
        if let Some(reason) = &remote.failure_reason {
            fields.insert("additional".into(), json!(reason));
        }
        fields
    }
}
