//! ProcessingJob ↔ SageMaker processing job.

use sagemaker_k8s_api::{CommonStatus, ProcessingJob, ProcessingJobSpec, ProcessingJobStatus};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::processing_job::ProcessingJobDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::engine::single::{
    CreateError, Created, Kind, Lifecycle, Resolved, States, StatusFields,
};
use crate::status_poller::ListModified;

pub struct ProcessingJobAdapter;

/// CloudWatch console link to the job's log streams (one per instance, named after the job).
pub fn cloud_watch_log_url(region: &str, job_name: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logStream:group=/aws/sagemaker/ProcessingJobs;prefix={job_name};streamFilter=typeLogStreamPrefix"
    )
}

/// SageMaker's failure reason and the container's exit message, as one `additional` text.
fn additional(remote: &ProcessingJobDescription) -> Option<String> {
    match (
        remote.failure_reason.as_deref(),
        remote
            .exit_message
            .as_deref()
            .filter(|message| !message.is_empty()),
    ) {
        (Some(reason), Some(exit)) => Some(format!("{reason}; exit message: {exit}")),
        (Some(reason), None) => Some(reason.to_string()),
        (None, Some(exit)) if remote.status == "Failed" => Some(format!("exit message: {exit}")),
        _ => None,
    }
}

impl ListModified for ProcessingJobAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.processing_jobs_modified_after(after).await
    }
}

impl Kind for ProcessingJobAdapter {
    type Object = ProcessingJob;
    type Spec = ProcessingJobSpec;
    type Status = ProcessingJobStatus;
    type Remote = ProcessingJobDescription;
    type Lister = Self;

    const KIND: &'static str = "ProcessingJob";
    const STATES: States = States::SageMaker;
    const LIFECYCLE: Lifecycle = super::JOB;
    const SPEC_NAME_FIELD: Option<&'static str> = Some("processingJobName");

    fn spec(object: &ProcessingJob) -> &ProcessingJobSpec {
        &object.spec
    }

    fn spec_name(object: &ProcessingJob) -> Option<&str> {
        object.spec.processing_job_name.as_deref()
    }

    fn status_fields(status: &mut ProcessingJobStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.processing_job_status,
            sagemaker_name: &mut status.sage_maker_processing_job_name,
            last_update_time: None,
        }
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &ProcessingJob,
        remote_name: &str,
        owner_uid: &str,
        _references: &Resolved,
    ) -> Result<Created, CreateError> {
        sagemaker
            .create_processing_job(&object.spec, remote_name, owner_uid)
            .await
            .map_err(CreateError::from)?;
        Ok(Created::AsSent)
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<ProcessingJobDescription, SageMakerError> {
        sagemaker.describe_processing_job(remote_name).await
    }

    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_processing_job(remote_name).await
    }

    fn arn(remote: &ProcessingJobDescription) -> String {
        remote.arn.clone()
    }

    fn status_text(remote: &ProcessingJobDescription) -> String {
        remote.status.clone()
    }

    fn last_modified(remote: &ProcessingJobDescription) -> Option<jiff::Timestamp> {
        remote.last_modified
    }

    fn status_from(
        _object: &ProcessingJob,
        remote: &ProcessingJobDescription,
        location: &ApiLocation,
    ) -> ProcessingJobStatus {
        ProcessingJobStatus {
            processing_job_status: Some(remote.status.clone()),
            sage_maker_processing_job_name: Some(remote.name.clone()),
            cloud_watch_log_url: Some(cloud_watch_log_url(&location.region, &remote.name)),
            common: CommonStatus {
                additional: additional(remote),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::single::Phase;

    #[test]
    fn status_mapping_of_every_ending() {
        let location = ApiLocation {
            region: "us-west-2".into(),
            endpoint: None,
        };
        // (status, failure reason, exit message, expected additional, phase)
        type Row<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Phase,
        );
        let table: [Row; 5] = [
            ("InProgress", None, None, None, Phase::InProgress),
            ("Completed", None, Some("done"), None, Phase::Succeeded),
            (
                "Failed",
                Some("AlgorithmError: see the logs"),
                Some("Traceback: KeyError 'x'"),
                Some("AlgorithmError: see the logs; exit message: Traceback: KeyError 'x'"),
                Phase::Failed,
            ),
            (
                "Failed",
                None,
                Some("killed"),
                Some("exit message: killed"),
                Phase::Failed,
            ),
            ("Stopped", None, None, None, Phase::Failed),
        ];
        for (status, reason, exit, expected_additional, phase) in table {
            let remote = ProcessingJobDescription {
                name: "p".into(),
                status: status.into(),
                failure_reason: reason.map(str::to_string),
                exit_message: exit.map(str::to_string),
                ..Default::default()
            };
            let mapped = ProcessingJobAdapter::status_from(&test_object(), &remote, &location);
            assert_eq!(mapped.processing_job_status.as_deref(), Some(status));
            assert_eq!(
                mapped.common.additional.as_deref(),
                expected_additional,
                "{status}"
            );
            assert_eq!(ProcessingJobAdapter::phase(&remote), phase, "{status}");
            assert!(
                mapped
                    .cloud_watch_log_url
                    .unwrap()
                    .contains("group=/aws/sagemaker/ProcessingJobs;prefix=p;")
            );
        }
        assert_eq!(Phase::of_job_status("Stopping"), Phase::Stopping);
    }

    fn test_object() -> ProcessingJob {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sagemaker.aws.amazon.com/v1",
            "kind": "ProcessingJob",
            "metadata": {"name": "p", "uid": "0a1b2c3d-0000-0000-0000-000000000000"},
            "spec": {
                "region": "us-west-2",
                "roleArn": "arn:aws:iam::123456789012:role/r",
                "processingResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.xlarge", "volumeSizeInGB": 1}},
                "appSpecification": {"imageUri": "img"}
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_derived_name_comes_from_name_and_uid() {
        let name = ProcessingJobAdapter::remote_name(&test_object());
        assert!(name.starts_with("p-0a1b2c3d"), "{name}");
        assert!(name.len() <= crate::naming::MAX_NAME_LEN);
    }
}
