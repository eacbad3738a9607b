//! ProcessingJob ↔ SageMaker processing job.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;
use sagemaker_k8s_api::{ProcessingJob, ProcessingJobSpec};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::processing_job::ProcessingJobDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::{Map, Value, json};

use crate::adapters::training_job::phase_of;
use crate::engine::{Adapter, Phase};
use crate::naming::{MAX_NAME_LEN, derived_name};
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

impl Adapter for ProcessingJobAdapter {
    type Object = ProcessingJob;
    type Spec = ProcessingJobSpec;
    type Remote = ProcessingJobDescription;

    const KIND: &'static str = "ProcessingJob";
    const STATUS_FIELD: &'static str = "processingJobStatus";
    const NAME_FIELD: &'static str = "sageMakerProcessingJobName";
    const SPEC_NAME_FIELD: Option<&'static str> = Some("processingJobName");

    fn spec(object: &ProcessingJob) -> &ProcessingJobSpec {
        &object.spec
    }

    fn remote_name(object: &ProcessingJob) -> String {
        match object
            .spec
            .processing_job_name
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

    fn recorded_status(object: &ProcessingJob) -> Option<String> {
        object
            .status
            .as_ref()
            .and_then(|status| status.processing_job_status.clone())
    }

    fn recorded_conditions(object: &ProcessingJob) -> Vec<Condition> {
        object
            .status
            .as_ref()
            .and_then(|status| status.common.conditions.clone())
            .unwrap_or_default()
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &ProcessingJob,
        remote_name: &str,
        owner_uid: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker
            .create_processing_job(&object.spec, remote_name, owner_uid)
            .await
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<ProcessingJobDescription, SageMakerError> {
        sagemaker.describe_processing_job(remote_name).await
    }

    async fn stop(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_processing_job(remote_name).await
    }

    fn arn(remote: &ProcessingJobDescription) -> String {
        remote.arn.clone()
    }

    fn phase(remote: &ProcessingJobDescription) -> Phase {
        phase_of(&remote.status)
    }

    fn status_text(remote: &ProcessingJobDescription) -> String {
        remote.status.clone()
    }

    fn last_modified(remote: &ProcessingJobDescription) -> Option<jiff::Timestamp> {
        remote.last_modified
    }

    fn status_fields(
        _object: &ProcessingJob,
        remote: &ProcessingJobDescription,
        location: &ApiLocation,
    ) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("processingJobStatus".into(), json!(remote.status));
        fields.insert("sageMakerProcessingJobName".into(), json!(remote.name));
        fields.insert(
            "cloudWatchLogUrl".into(),
            json!(cloud_watch_log_url(&location.region, &remote.name)),
        );
        if let Some(additional) = additional(remote) {
            fields.insert("additional".into(), json!(additional));
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let fields = ProcessingJobAdapter::status_fields(&test_object(), &remote, &location);
            assert_eq!(fields["processingJobStatus"], status);
            assert_eq!(
                fields.get("additional").and_then(Value::as_str),
                expected_additional,
                "{status}"
            );
            assert_eq!(ProcessingJobAdapter::phase(&remote), phase, "{status}");
            assert!(
                fields["cloudWatchLogUrl"]
                    .as_str()
                    .unwrap()
                    .contains("group=/aws/sagemaker/ProcessingJobs;prefix=p;")
            );
        }
        assert_eq!(phase_of("Stopping"), Phase::Stopping);
    }

    fn test_object() -> ProcessingJob {
        serde_json::from_value(json!({
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
        assert!(name.len() <= MAX_NAME_LEN);
    }
}
