//! TrainingJob ↔ SageMaker training job.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;
use sagemaker_k8s_api::{SPAWNED_BY_TUNING_JOB_LABEL, TrainingJob, TrainingJobSpec};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::training_job::TrainingJobDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::{Map, Value, json};

use crate::engine::{Adapter, Phase};
use crate::naming::{MAX_NAME_LEN, derived_name};
use crate::status_poller::ListModified;

pub struct TrainingJobAdapter;

/// CloudWatch console link to the job's log streams.
pub fn cloud_watch_log_url(region: &str, job_name: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logStream:group=/aws/sagemaker/TrainingJobs;prefix={job_name};streamFilter=typeLogStreamPrefix"
    )
}

pub fn phase_of(status: &str) -> Phase {
    match status {
        "Completed" => Phase::Succeeded,
        "Failed" | "Stopped" => Phase::Failed,
        "Stopping" => Phase::Stopping,
        _ => Phase::InProgress,
    }
}

/// Status fields from a Describe of the job.
pub fn status_fields(
    remote: &TrainingJobDescription,
    location: &ApiLocation,
) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("trainingJobStatus".into(), json!(remote.status));
    // SageMaker keeps reporting the last secondary status while stopping; the guide shows none.
    let secondary = if remote.status == "Stopping" {
        None
    } else {
        remote.secondary_status.clone()
    };
    fields.insert("secondaryStatus".into(), json!(secondary));
    fields.insert("sageMakerTrainingJobName".into(), json!(remote.name));
    fields.insert(
        "cloudWatchLogUrl".into(),
        json!(cloud_watch_log_url(&location.region, &remote.name)),
    );
    if let Some(reason) = &remote.failure_reason {
        fields.insert("additional".into(), json!(reason));
    }
    // Where SageMaker says it put the model (`…/output/model.tar.gz`, or the `…/output/model/`
    // prefix for uncompressed output), never a path computed from the spec.
    if remote.status == "Completed"
        && let Some(artifacts) = remote
            .model_artifacts
            .as_deref()
            .filter(|artifacts| !artifacts.is_empty())
    {
        fields.insert("modelPath".into(), json!(artifacts));
    }
    if !remote.debug_rule_evaluation_statuses.is_empty() {
        let rules: Vec<Value> = remote
            .debug_rule_evaluation_statuses
            .iter()
            .map(|rule| {
                json!({
                    "ruleConfigurationName": rule.rule_configuration_name,
                    "ruleEvaluationJobArn": rule.rule_evaluation_job_arn,
                    "ruleEvaluationStatus": rule.rule_evaluation_status,
                    "statusDetails": rule.status_details,
                    // The original operator's name for the same text.
                    "statusDetail": rule.status_details,
                    "lastModifiedTime": rule.last_modified_time,
                })
            })
            .collect();
        fields.insert("debugRuleEvaluationStatuses".into(), json!(rules));
    }
    fields
}

impl ListModified for TrainingJobAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.training_jobs_modified_after(after).await
    }
}

impl Adapter for TrainingJobAdapter {
    type Object = TrainingJob;
    type Spec = TrainingJobSpec;
    type Remote = TrainingJobDescription;

    const KIND: &'static str = "TrainingJob";
    const STATUS_FIELD: &'static str = "trainingJobStatus";
    const NAME_FIELD: &'static str = "sageMakerTrainingJobName";
    const SPEC_NAME_FIELD: Option<&'static str> = Some("trainingJobName");

    fn spec(object: &TrainingJob) -> &TrainingJobSpec {
        &object.spec
    }

    fn remote_name(object: &TrainingJob) -> String {
        if let Some(name) = object
            .spec
            .training_job_name
            .as_ref()
            .filter(|name| !name.is_empty())
        {
            return name.clone();
        }
        if Self::is_observe_only(object) {
            // Tuning-job children are named exactly as SageMaker named them.
            return object.name_any();
        }
        derived_name(
            &object.name_any(),
            object.metadata.uid.as_deref().unwrap_or_default(),
            MAX_NAME_LEN,
        )
    }

    fn recorded_status(object: &TrainingJob) -> Option<String> {
        object
            .status
            .as_ref()
            .and_then(|status| status.training_job_status.clone())
    }

    fn recorded_conditions(object: &TrainingJob) -> Vec<Condition> {
        object
            .status
            .as_ref()
            .and_then(|status| status.common.conditions.clone())
            .unwrap_or_default()
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &TrainingJob,
        remote_name: &str,
        owner_uid: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker
            .create_training_job(&object.spec, remote_name, owner_uid)
            .await
            .map(|_arn| ())
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<TrainingJobDescription, SageMakerError> {
        sagemaker.describe_training_job(remote_name).await
    }

    async fn stop(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_training_job(remote_name).await
    }

    fn arn(remote: &TrainingJobDescription) -> String {
        remote.arn.clone()
    }

    fn phase(remote: &TrainingJobDescription) -> Phase {
        phase_of(&remote.status)
    }

    fn status_text(remote: &TrainingJobDescription) -> String {
        remote.status.clone()
    }

    fn last_modified(remote: &TrainingJobDescription) -> Option<jiff::Timestamp> {
        remote.last_modified
    }

    fn status_fields(
        _object: &TrainingJob,
        remote: &TrainingJobDescription,
        location: &ApiLocation,
    ) -> Map<String, Value> {
        status_fields(remote, location)
    }

    /// A finished job's Debugger and Profiler rules are evaluated after it, without moving the
    /// job's LastModifiedTime: looked at every 30 s until every rule has an outcome.
    fn look_again_after(remote: &TrainingJobDescription) -> Option<Duration> {
        let rules_pending = remote
            .debug_rule_evaluation_statuses
            .iter()
            .any(|rule| rule.rule_evaluation_status.as_deref() == Some("InProgress"));
        (rules_pending && phase_of(&remote.status).is_terminal()).then_some(RULES_LOOK_AGAIN)
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
            ..Default::default()
        };
        let fields = status_fields(&remote, &location);
        assert_eq!(fields["secondaryStatus"], Value::Null);
        assert!(!fields.contains_key("modelPath"));
        remote.status = "Completed".into();
        remote.secondary_status = Some("Completed".into());
        remote.model_artifacts = Some("s3://b/o/j/output/model/".into());
        let fields = status_fields(&remote, &location);
        assert_eq!(
            fields["modelPath"], "s3://b/o/j/output/model/",
            "what SageMaker reports, not a computed path"
        );
        assert_eq!(fields["secondaryStatus"], "Completed");
        remote.status = "Failed".into();
        remote.failure_reason = Some("AlgorithmError: boom".into());
        let fields = status_fields(&remote, &location);
        assert_eq!(fields["additional"], "AlgorithmError: boom");
        assert_eq!(phase_of("Failed"), Phase::Failed);
        assert_eq!(phase_of("Stopped"), Phase::Failed);
        assert_eq!(phase_of("InProgress"), Phase::InProgress);
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
        assert!(!status_fields(&remote, &location).contains_key("debugRuleEvaluationStatuses"));
        remote.debug_rule_evaluation_statuses =
            vec![sagemaker_k8s_aws::training_job::RuleEvaluationStatus {
                rule_configuration_name: Some("LossNotDecreasing".into()),
                rule_evaluation_job_arn: Some(
                    "arn:aws:sagemaker:us-west-2:123456789012:processing-job/j-lossnotdecreasing"
                        .into(),
                ),
                rule_evaluation_status: Some("IssuesFound".into()),
                status_details: Some("loss stalled".into()),
                last_modified_time: Some("2026-11-29T01:02:03Z".parse().unwrap()),
            }];
        let fields = status_fields(&remote, &location);
        let rule = &fields["debugRuleEvaluationStatuses"][0];
        assert_eq!(rule["ruleConfigurationName"], "LossNotDecreasing");
        assert_eq!(rule["ruleEvaluationStatus"], "IssuesFound");
        assert_eq!(rule["statusDetails"], "loss stalled");
        assert_eq!(rule["statusDetail"], "loss stalled");
        assert_eq!(rule["lastModifiedTime"], "2026-11-29T01:02:03Z");
        // The mapped value reads back as the CRD's type.
        let typed: Vec<sagemaker_k8s_api::training_job::DebugRuleEvaluationStatus> =
            serde_json::from_value(fields["debugRuleEvaluationStatuses"].clone()).unwrap();
        assert_eq!(
            typed[0].rule_evaluation_job_arn.as_deref(),
            Some("arn:aws:sagemaker:us-west-2:123456789012:processing-job/j-lossnotdecreasing")
        );
    }
}
