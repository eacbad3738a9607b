//! PipelineExecution ↔ a run of a SageMaker pipeline, a job kind generated from the API model:
//! StartPipelineExecution on the pipeline the spec names (`pipelineName`, or `pipelineRef` once
//! that Pipeline object is `Active`), with its parameters. SageMaker names a run by its ARN: the
//! start is sent under the object's UID as its idempotency token, so a start sent again after a
//! crash answers with the same run, and the status records the ARN. The status mirrors the
//! run's state and every step that has started (ListPipelineExecutionSteps, read with each
//! Describe); `additional` names the steps that failed and why. A run is stopped if its object
//! is deleted while it executes; SageMaker keeps its record (there is no delete), which goes
//! with its pipeline. ListPipelineExecutions lists one pipeline's runs and has no modification
//! time, so an executing run is Described again by the generic adapter's look-again rule.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::generated::shapes::PipelineExecutionStep;
use sagemaker_k8s_api::{PipelineExecution, PipelineExecutionSpec, PipelineExecutionStatus};
use sagemaker_k8s_aws::generated::{Described, pipeline_execution as remote};

use super::generated::{Generated, GeneratedKind};
use crate::engine::references::Target;
use crate::engine::single::Single;

pub struct PipelineExecutionKind;

/// What an object that takes over a step's output (a ModelPackage's `registeredBy`) waits for:
/// the run finished well (`Succeeded`), named by its ARN.
pub static PIPELINE_EXECUTION: Target =
    Target::of::<Single<Generated<PipelineExecutionKind>>>(&["Succeeded"]);

/// The run's failure reason, followed by each failed step's that it does not already give:
/// SageMaker's own reason for a run may only say that a step failed.
fn failure_text(run: Option<&str>, steps: &[PipelineExecutionStep]) -> Option<String> {
    let failed = steps
        .iter()
        .filter(|step| step.step_status.as_deref() == Some("Failed"))
        .filter(|step| {
            let reason = step.failure_reason.as_deref();
            !reason.is_some_and(|reason| run.is_some_and(|run| run.contains(reason)))
        })
        .map(|step| {
            format!(
                "step {} failed: {}",
                step.step_name.as_deref().unwrap_or("?"),
                step.failure_reason.as_deref().unwrap_or("no reason given")
            )
        });
    let parts: Vec<String> = run.map(str::to_string).into_iter().chain(failed).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

impl GeneratedKind for PipelineExecutionKind {
    type Object = PipelineExecution;
    type Spec = PipelineExecutionSpec;
    type Status = PipelineExecutionStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::pipeline_execution::INFO;
    const REFERENCED: &'static [&'static Target] = &[&super::pipeline::PIPELINE];

    fn spec(object: &PipelineExecution) -> &PipelineExecutionSpec {
        &object.spec
    }
    fn additional(remote: &Described<PipelineExecutionStatus>) -> Option<String> {
        failure_text(
            remote.failure_reason.as_deref(),
            remote.status.steps.as_deref().unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::single::{Kind, Phase};

    type Adapter = Generated<PipelineExecutionKind>;

    fn step(name: &str, status: &str, reason: Option<&str>) -> PipelineExecutionStep {
        PipelineExecutionStep {
            step_name: Some(name.into()),
            step_status: Some(status.into()),
            failure_reason: reason.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn execution_states_are_job_phases_looked_at_again_while_executing() {
        const { assert!(Adapter::NAMED_BY_SAGEMAKER) };
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
        let again = Some(Duration::from_secs(5));
        for (state, phase, look_again) in [
            ("Executing", Phase::InProgress, again),
            ("Succeeded", Phase::Succeeded, None),
            ("Failed", Phase::Failed, None),
            ("CompletedWithFailures", Phase::Failed, None),
            ("Stopping", Phase::Stopping, None),
            ("Stopped", Phase::Failed, None),
        ] {
            let remote = Described {
                name: "arn:aws:sagemaker:us-west-2:123456789012:pipeline/p/execution/abc".into(),
                arn: "arn:aws:sagemaker:us-west-2:123456789012:pipeline/p/execution/abc".into(),
                state: state.into(),
                failure_reason: None,
                last_modified: None,
                status: PipelineExecutionStatus::default(),
            };
            assert_eq!(words.phase(state), phase, "{state}");
            assert_eq!(Adapter::look_again_after(&remote), look_again, "{state}");
        }
    }

    #[test]
    fn additional_names_the_failed_steps_and_their_reasons() {
        let table: [(Option<&str>, Vec<PipelineExecutionStep>, Option<&str>); 4] = [
            (None, vec![step("Train", "Succeeded", None)], None),
            (
                Some("Step failure: One or multiple steps failed."),
                vec![
                    step("Register", "Failed", Some("ValidationException: no group")),
                    step("Train", "Succeeded", None),
                ],
                Some(
                    "Step failure: One or multiple steps failed.; step Register failed: ValidationException: no group",
                ),
            ),
            (
                None,
                vec![step("Check", "Failed", None)],
                Some("step Check failed: no reason given"),
            ),
            (Some("Stopped by user"), vec![], Some("Stopped by user")),
        ];
        // A run's reason that already names the step's is not repeated.
        let table = table.into_iter().chain([(
            Some("Step failure: One or multiple steps failed. Step Train failed: no data"),
            vec![step("Train", "Failed", Some("no data"))],
            Some("Step failure: One or multiple steps failed. Step Train failed: no data"),
        )]);
        for (run, steps, expected) in table {
            assert_eq!(
                failure_text(run, &steps).as_deref(),
                expected,
                "{run:?} {steps:?}"
            );
        }
    }
}
