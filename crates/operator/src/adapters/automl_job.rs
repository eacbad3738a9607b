//! AutoMLJobV2 ↔ SageMaker Autopilot (AutoML V2) job, a job kind generated from the API model:
//! the problem type is the one member set of `autoMLProblemTypeConfig` (a union in SageMaker's
//! API, exactly one member at admission). The status shows the job's stage
//! (`autoMLJobSecondaryStatus`), the best candidate with its inference containers and artifacts
//! once SageMaker has picked it, and the notebooks SageMaker wrote. Like every job it runs as
//! created, is followed by the status poller (ListAutoMLJobs has LastModifiedTimeAfter), and is
//! stopped if its object is deleted while it runs; SageMaker keeps its record.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{AutoMLJobV2, AutoMLJobV2Spec, AutoMLJobV2Status};
use sagemaker_k8s_aws::generated::auto_ml_job_v2 as remote;

use super::generated::GeneratedKind;

pub struct AutoMlJobKind;

impl GeneratedKind for AutoMlJobKind {
    type Object = AutoMLJobV2;
    type Spec = AutoMLJobV2Spec;
    type Status = AutoMLJobV2Status;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::auto_ml_job_v2::INFO;

    fn spec(object: &AutoMLJobV2) -> &AutoMLJobV2Spec {
        &object.spec
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sagemaker::operation::describe_auto_ml_job_v2::DescribeAutoMlJobV2Output;
    use aws_sdk_sagemaker::types::{
        AutoMlCandidate, AutoMlJobSecondaryStatus, AutoMlJobStatus, AutoMlProblemTypeConfig,
        CandidateArtifactLocations, CandidateProperties, CandidateStatus, ObjectiveStatus,
    };
    use sagemaker_k8s_aws::generated::ResolvedReferences;

    use super::*;
    use crate::adapters::generated::Generated;
    use crate::engine::single::{Kind, Phase};
    use crate::status_poller::ListModified;

    type Adapter = Generated<AutoMlJobKind>;

    #[test]
    fn automl_states_are_job_phases() {
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
        for (state, phase) in [
            ("InProgress", Phase::InProgress),
            ("Completed", Phase::Succeeded),
            ("Failed", Phase::Failed),
            ("Stopping", Phase::Stopping),
            ("Stopped", Phase::Failed),
        ] {
            assert_eq!(words.phase(state), phase, "{state}");
        }
        const { assert!(<Adapter as ListModified>::LISTS) };
    }

    /// The problem type is the union member set in the spec; the best candidate comes back.
    #[test]
    fn the_problem_type_goes_as_the_union_variant_and_the_best_candidate_is_mirrored() {
        let spec: AutoMLJobV2Spec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "roleArn": "arn:aws:iam::123456789012:role/automl",
            "autoMLJobInputDataConfig": [{
                "channelType": "training",
                "dataSource": {"s3DataSource": {"s3DataType": "S3Prefix", "s3Uri": "s3://bucket/churn/"}},
            }],
            "outputDataConfig": {"s3OutputPath": "s3://bucket/automl/"},
            "autoMLProblemTypeConfig": {"tabularJobConfig": {
                "targetAttributeName": "churned",
                "problemType": "BinaryClassification",
            }},
        }))
        .expect("a spec");
        let request =
            remote::create_request(&spec, "churn-automl", "uid", &ResolvedReferences::default())
                .expect("no references")
                .build()
                .expect("a request");
        assert_eq!(request.auto_ml_job_name(), Some("churn-automl"));
        match request.auto_ml_problem_type_config() {
            Some(AutoMlProblemTypeConfig::TabularJobConfig(tabular)) => {
                assert_eq!(tabular.target_attribute_name(), Some("churned"));
            }
            other => panic!("not the tabular variant: {other:?}"),
        }

        let output = DescribeAutoMlJobV2Output::builder()
            .auto_ml_job_name("churn-automl")
            .auto_ml_job_arn("arn:aws:sagemaker:us-west-2:123456789012:automl-job/churn-automl")
            .auto_ml_job_status(AutoMlJobStatus::Completed)
            .auto_ml_job_secondary_status(AutoMlJobSecondaryStatus::Completed)
            .best_candidate(
                AutoMlCandidate::builder()
                    .candidate_name("churn-automl-trial-1")
                    .objective_status(ObjectiveStatus::Succeeded)
                    .candidate_status(CandidateStatus::Completed)
                    .candidate_properties(
                        CandidateProperties::builder()
                            .candidate_artifact_locations(
                                CandidateArtifactLocations::builder()
                                    .explainability("s3://bucket/automl/explainability")
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();
        let described = remote::described(&output, "churn-automl");
        assert_eq!(described.state, "Completed");
        let best = described.status.best_candidate.expect("the best candidate");
        assert_eq!(best.candidate_name.as_deref(), Some("churn-automl-trial-1"));
        assert_eq!(
            best.candidate_properties
                .and_then(|p| p.candidate_artifact_locations)
                .and_then(|l| l.explainability)
                .as_deref(),
            Some("s3://bucket/automl/explainability")
        );
        assert_eq!(
            described.status.auto_ml_job_secondary_status.as_deref(),
            Some("Completed")
        );
    }
}
