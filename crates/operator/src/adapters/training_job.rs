//! TrainingJob ↔ SageMaker training job.

use std::time::Duration;

use kube::ResourceExt;
use sagemaker_k8s_api::training_job::DebugRuleEvaluationStatus;
use sagemaker_k8s_api::{
    CommonStatus, SPAWNED_BY_TUNING_JOB_LABEL, TrainingJob, TrainingJobSpec, TrainingJobStatus,
};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::training_job::TrainingJobDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::adapters::kube_time;
use crate::engine::single::{
    CreateError, Created, Kind, Lifecycle, Phase, Resolved, States, StatusFields,
};
use crate::naming::{MAX_NAME_LEN, derived_name};
use crate::status_poller::ListModified;

pub struct TrainingJobAdapter;

/// CloudWatch console link to the job's log streams.
pub fn cloud_watch_log_url(region: &str, job_name: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logStream:group=/aws/sagemaker/TrainingJobs;prefix={job_name};streamFilter=typeLogStreamPrefix"
    )
}

/// The status a Describe of the job shows.
pub fn status_from(remote: &TrainingJobDescription, location: &ApiLocation) -> TrainingJobStatus {
    TrainingJobStatus {
        training_job_status: Some(remote.status.clone()),
        // SageMaker keeps reporting the last secondary status while stopping; the guide shows
        // none.
        secondary_status: remote
            .secondary_status
            .clone()
            .filter(|_| remote.status != "Stopping"),
        cloud_watch_log_url: Some(cloud_watch_log_url(&location.region, &remote.name)),
        sage_maker_training_job_name: Some(remote.name.clone()),
        // Where SageMaker says it put the model (`…/output/model.tar.gz`, or the
        // `…/output/model/` prefix for uncompressed output), never a path computed from the spec.
        model_path: remote
            .model_artifacts
            .clone()
            .filter(|artifacts| remote.status == "Completed" && !artifacts.is_empty()),
        debug_rule_evaluation_statuses: (!remote.debug_rule_evaluation_statuses.is_empty()).then(
            || {
                remote
                    .debug_rule_evaluation_statuses
                    .iter()
                    .map(|rule| DebugRuleEvaluationStatus {
                        rule_configuration_name: rule.rule_configuration_name.clone(),
                        rule_evaluation_job_arn: rule.rule_evaluation_job_arn.clone(),
                        rule_evaluation_status: rule.rule_evaluation_status.clone(),
                        status_details: rule.status_details.clone(),
                        // The original operator's name for the same text.
                        status_detail: rule.status_details.clone(),
                        last_modified_time: kube_time(rule.last_modified_time),
                    })
                    .collect()
            },
        ),
        common: CommonStatus {
            additional: remote.failure_reason.clone(),
            ..Default::default()
        },
    }
}

impl ListModified for TrainingJobAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.training_jobs_modified_after(after).await
    }
}

impl Kind for TrainingJobAdapter {
    type Object = TrainingJob;
    type Spec = TrainingJobSpec;
    type Status = TrainingJobStatus;
    type Remote = TrainingJobDescription;
    type Lister = Self;

    const KIND: &'static str = "TrainingJob";
    const STATES: States = States::SageMaker;
    const LIFECYCLE: Lifecycle = super::JOB;
    const SPEC_NAME_FIELD: Option<&'static str> = Some("trainingJobName");

    fn spec(object: &TrainingJob) -> &TrainingJobSpec {
        &object.spec
    }

    fn spec_name(object: &TrainingJob) -> Option<&str> {
        object.spec.training_job_name.as_deref()
    }

    /// Tuning-job children are named exactly as SageMaker named them.
    fn remote_name(object: &TrainingJob) -> String {
        match Self::spec_name(object).filter(|name| !name.is_empty()) {
            Some(name) => name.to_string(),
            None if Self::is_observe_only(object) => object.name_any(),
            None => derived_name(
                &object.name_any(),
                object.metadata.uid.as_deref().unwrap_or_default(),
                MAX_NAME_LEN,
            ),
        }
    }

    fn status_fields(status: &mut TrainingJobStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.training_job_status,
            sagemaker_name: &mut status.sage_maker_training_job_name,
            last_update_time: None,
        }
    }

    /// No secondary status while stopping (SageMaker keeps its last one).
    fn stopping(status: &mut TrainingJobStatus) {
        status.training_job_status = Some("Stopping".into());
        status.secondary_status = None;
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &TrainingJob,
        remote_name: &str,
        owner_uid: &str,
        _references: &Resolved,
    ) -> Result<Created, CreateError> {
        sagemaker
            .create_training_job(&object.spec, remote_name, owner_uid)
            .await
            .map_err(CreateError::from)?;
        Ok(Created::AsSent)
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<TrainingJobDescription, SageMakerError> {
        sagemaker.describe_training_job(remote_name).await
    }

    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_training_job(remote_name).await
    }

    fn arn(remote: &TrainingJobDescription) -> String {
        remote.arn.clone()
    }

    fn status_text(remote: &TrainingJobDescription) -> String {
        remote.status.clone()
    }

    fn last_modified(remote: &TrainingJobDescription) -> Option<jiff::Timestamp> {
        remote.last_modified
    }

    fn status_from(
        _object: &TrainingJob,
        remote: &TrainingJobDescription,
        location: &ApiLocation,
    ) -> TrainingJobStatus {
        status_from(remote, location)
    }

    /// A finished job's Debugger and Profiler rules are evaluated after it, without moving the
    /// job's LastModifiedTime: looked at every 30 s until every rule has an outcome.
    fn look_again_after(remote: &TrainingJobDescription) -> Option<Duration> {
        let rules_pending = remote
            .debug_rule_evaluation_statuses
            .iter()
            .any(|rule| rule.rule_evaluation_status.as_deref() == Some("InProgress"));
        (rules_pending && Phase::of_job_status(&remote.status).is_terminal())
            .then_some(RULES_LOOK_AGAIN)
    }

    fn is_observe_only(object: &TrainingJob) -> bool {
        object.labels().contains_key(SPAWNED_BY_TUNING_JOB_LABEL)
    }
}

/// How often a finished job with rules still being evaluated is looked at.
const RULES_LOOK_AGAIN: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_watch_url_names_group_and_prefix() {
        assert_eq!(
            cloud_watch_log_url("us-west-2", "job-1"),
            "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#logStream:group=/aws/sagemaker/TrainingJobs;prefix=job-1;streamFilter=typeLogStreamPrefix"
        );
    }

    #[test]
    fn status_mapping() {
        let location = ApiLocation {
            region: "us-west-2".into(),
            endpoint: None,
        };
        let mut remote = TrainingJobDescription {
            name: "j".into(),
            status: "Stopping".into(),
            secondary_status: Some("Training".into()),
            model_artifacts: Some("s3://b/o/j/output/model/".into()),
            ..Default::default()
        };
        let status = status_from(&remote, &location);
        assert_eq!(status.secondary_status, None);
        assert_eq!(status.model_path, None, "only once Completed");
        assert_eq!(status.sage_maker_training_job_name.as_deref(), Some("j"));
        remote.status = "Completed".into();
        remote.secondary_status = Some("Completed".into());
        let status = status_from(&remote, &location);
        assert_eq!(
            status.model_path.as_deref(),
            Some("s3://b/o/j/output/model/"),
            "what SageMaker reports, not a computed path"
        );
        assert_eq!(status.secondary_status.as_deref(), Some("Completed"));
        assert_eq!(status.common.additional, None);
        remote.status = "Failed".into();
        remote.failure_reason = Some("AlgorithmError: boom".into());
        let status = status_from(&remote, &location);
        assert_eq!(
            status.common.additional.as_deref(),
            Some("AlgorithmError: boom")
        );
        assert_eq!(Phase::of_job_status("Failed"), Phase::Failed);
        assert_eq!(Phase::of_job_status("Stopped"), Phase::Failed);
        assert_eq!(Phase::of_job_status("InProgress"), Phase::InProgress);
    }

    #[test]
    fn debug_rule_evaluation_statuses_are_mirrored() {
        let location = ApiLocation {
            region: "us-west-2".into(),
            endpoint: None,
        };
        let mut remote = TrainingJobDescription {
            name: "j".into(),
            status: "InProgress".into(),
            ..Default::default()
        };
        assert_eq!(
            status_from(&remote, &location).debug_rule_evaluation_statuses,
            None
        );
        remote.debug_rule_evaluation_statuses =
            vec![sagemaker_k8s_aws::training_job::RuleEvaluationStatus {
                rule_configuration_name: Some("LossNotDecreasing".into()),
                rule_evaluation_job_arn: Some(
                    "arn:aws:sagemaker:us-west-2:123456789012:processing-job/j-lossnotdecreasing"
                        .into(),
                ),
                rule_evaluation_status: Some("IssuesFound".into()),
                status_details: Some("loss stalled".into()),
                last_modified_time: Some("2026-11-29T01:02:03.456Z".parse().unwrap()),
            }];
        let status = serde_json::to_value(status_from(&remote, &location)).unwrap();
        let rule = &status["debugRuleEvaluationStatuses"][0];
        assert_eq!(rule["ruleConfigurationName"], "LossNotDecreasing");
        assert_eq!(rule["ruleEvaluationStatus"], "IssuesFound");
        assert_eq!(rule["statusDetails"], "loss stalled");
        assert_eq!(rule["statusDetail"], "loss stalled");
        assert_eq!(
            rule["lastModifiedTime"], "2026-11-29T01:02:03Z",
            "whole seconds, as the apiserver keeps them"
        );
        assert_eq!(
            rule["ruleEvaluationJobArn"],
            "arn:aws:sagemaker:us-west-2:123456789012:processing-job/j-lossnotdecreasing"
        );
    }
}
