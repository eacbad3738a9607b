//! CompilationJob ↔ SageMaker Neo compilation job, a job kind generated from the API model: it
//! compiles the model artifacts of `inputConfig` (or the registered version `modelPackageRef`
//! names) for `outputConfig`'s target, and the status shows where the compiled artifacts are.
//! Like every job it runs as created (every field fixed at admission), is followed by the status
//! poller (ListCompilationJobs has LastModifiedTimeAfter), and is stopped if its object is
//! deleted while it runs; SageMaker keeps its record.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{CompilationJob, CompilationJobSpec, CompilationJobStatus};
use sagemaker_k8s_aws::generated::compilation_job as remote;

use super::generated::GeneratedKind;
use crate::engine::references::Target;

pub struct CompilationJobKind;

impl GeneratedKind for CompilationJobKind {
    type Object = CompilationJob;
    type Spec = CompilationJobSpec;
    type Status = CompilationJobStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::compilation_job::INFO;
    const REFERENCED: &'static [&'static Target] = &[&super::model_package::MODEL_PACKAGE];

    fn spec(object: &CompilationJob) -> &CompilationJobSpec {
        &object.spec
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sagemaker::operation::describe_compilation_job::DescribeCompilationJobOutput;
    use aws_sdk_sagemaker::types::{CompilationJobStatus as SdkStatus, ModelArtifacts};

    use super::*;
    use crate::adapters::generated::Generated;
    use crate::engine::single::{Kind, OnDelete, OnSpecChange, Phase};
    use crate::status_poller::ListModified;

    type Adapter = Generated<CompilationJobKind>;

    fn described(
        status: SdkStatus,
    ) -> sagemaker_k8s_aws::generated::Described<CompilationJobStatus> {
        let output = DescribeCompilationJobOutput::builder()
            .compilation_job_name("neo-1")
            .compilation_job_arn("arn:aws:sagemaker:us-west-2:123456789012:compilation-job/neo-1")
            .compilation_job_status(status)
            .failure_reason("ClientError: unsupported operator")
            .model_artifacts(
                ModelArtifacts::builder()
                    .s3_model_artifacts("s3://bucket/out/model-ml_c5.tar.gz")
                    .build(),
            )
            .last_modified_time(aws_sdk_sagemaker::primitives::DateTime::from_secs(
                1_700_000_100,
            ))
            .build();
        remote::described(&output, "neo-1")
    }

    /// SageMaker's own uppercase words, read as a job's phases.
    #[test]
    fn compilation_states_are_job_phases() {
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
        let table = [
            (SdkStatus::Starting, Phase::InProgress),
            (SdkStatus::Inprogress, Phase::InProgress),
            (SdkStatus::Completed, Phase::Succeeded),
            (SdkStatus::Failed, Phase::Failed),
            (SdkStatus::Stopping, Phase::Stopping),
            (SdkStatus::Stopped, Phase::Failed),
        ];
        for (status, phase) in table {
            let remote = described(status.clone());
            assert_eq!(words.phase(&remote.state), phase, "{status:?}");
            // The poller follows it: no look-again of its own.
            assert_eq!(Adapter::look_again_after(&remote), None, "{status:?}");
        }
    }

    /// A job: stopped on delete, a spec change reported (admission refuses one anyway), and
    /// followed by the status poller.
    #[test]
    fn a_compilation_job_lives_as_a_job() {
        assert_eq!(Adapter::LIFECYCLE.on_delete, OnDelete::Stop);
        assert_eq!(Adapter::LIFECYCLE.on_spec_change, OnSpecChange::Report);
        const { assert!(<Adapter as ListModified>::LISTS) };
        assert_eq!(Adapter::SPEC_NAME_FIELD, Some("compilationJobName"));
    }

    #[test]
    fn status_shows_the_compiled_artifacts_and_the_failure() {
        let remote = described(SdkStatus::Failed);
        assert_eq!(
            remote
                .status
                .model_artifacts
                .as_ref()
                .and_then(|artifacts| artifacts.s3_model_artifacts.as_deref()),
            Some("s3://bucket/out/model-ml_c5.tar.gz")
        );
        assert_eq!(
            remote.failure_reason.as_deref(),
            Some("ClientError: unsupported operator")
        );
        assert_eq!(
            remote.last_modified.map(|t| t.as_second()),
            Some(1_700_000_100)
        );
    }
}
