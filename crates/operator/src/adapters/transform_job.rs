//! BatchTransformJob ↔ SageMaker transform job.

use sagemaker_k8s_api::{
    BatchTransformJob, BatchTransformJobSpec, BatchTransformJobStatus, CommonStatus,
};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::transform_job::TransformJobDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::engine::single::{
    CreateError, Created, Kind, Lifecycle, Resolved, States, StatusFields,
};
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

impl Kind for TransformJobAdapter {
    type Object = BatchTransformJob;
    type Spec = BatchTransformJobSpec;
    type Status = BatchTransformJobStatus;
    type Remote = TransformJobDescription;
    type Lister = Self;

    const KIND: &'static str = "BatchTransformJob";
    const STATES: States = States::SageMaker;
    const LIFECYCLE: Lifecycle = super::JOB;
    const SPEC_NAME_FIELD: Option<&'static str> = Some("transformJobName");

    fn spec(object: &BatchTransformJob) -> &BatchTransformJobSpec {
        &object.spec
    }

    fn spec_name(object: &BatchTransformJob) -> Option<&str> {
        object.spec.transform_job_name.as_deref()
    }

    fn status_fields(status: &mut BatchTransformJobStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.transform_job_status,
            sagemaker_name: &mut status.sage_maker_transform_job_name,
            last_update_time: None,
        }
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &BatchTransformJob,
        remote_name: &str,
        owner_uid: &str,
        _references: &Resolved,
    ) -> Result<Created, CreateError> {
        sagemaker
            .create_transform_job(&object.spec, remote_name, owner_uid)
            .await
            .map_err(CreateError::from)?;
        Ok(Created::AsSent)
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<TransformJobDescription, SageMakerError> {
        sagemaker.describe_transform_job(remote_name).await
    }

    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_transform_job(remote_name).await
    }

    fn arn(remote: &TransformJobDescription) -> String {
        remote.arn.clone()
    }

    fn status_text(remote: &TransformJobDescription) -> String {
        remote.status.clone()
    }

    /// DescribeTransformJob has no LastModifiedTime: a listed change always wakes the object
    /// once (the listing it covered is then remembered).
    fn last_modified(_remote: &TransformJobDescription) -> Option<jiff::Timestamp> {
        None
    }

    fn status_from(
        _object: &BatchTransformJob,
        remote: &TransformJobDescription,
        _location: &ApiLocation,
    ) -> BatchTransformJobStatus {
        BatchTransformJobStatus {
            transform_job_status: Some(remote.status.clone()),
            sage_maker_transform_job_name: Some(remote.name.clone()),
            common: CommonStatus {
                additional: remote.failure_reason.clone(),
                ..Default::default()
            },
        }
    }
}
