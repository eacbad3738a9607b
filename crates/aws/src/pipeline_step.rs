//! What a step of a pipeline run made in SageMaker: the model package version a RegisterModel
//! step registered, read from ListPipelineExecutionSteps (every page, by the same generated call
//! the PipelineExecution status reads the run's steps with). An object that names the step
//! (`registeredBy`) takes that version over instead of creating one.

use aws_sdk_sagemaker::types::{PipelineExecutionStep, StepStatus};

use crate::clients::SageMakerHandle;
use crate::errors::SageMakerError;

/// Why a run's step gives no model package version (a spec error: the step named is not one
/// that registered a version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRegistered {
    #[error("the run has no step {step:?} (its steps: {})", list_or_none(.steps))]
    NoSuchStep { step: String, steps: Vec<String> },
    #[error("step {step:?} of the run registered no model package version ({})", status.as_deref().map_or_else(|| "no status".to_string(), |status| format!("it is {status}")))]
    NoVersion {
        step: String,
        status: Option<String>,
    },
}

fn list_or_none(steps: &[String]) -> String {
    if steps.is_empty() {
        "none".to_string()
    } else {
        steps.join(", ")
    }
}

/// The ARN of the version the step `step` of a run registered, from the run's steps (a step
/// run more than once counts by its succeeded attempt).
pub fn registered_in(steps: &[PipelineExecutionStep], step: &str) -> Result<String, NotRegistered> {
    let named: Vec<&PipelineExecutionStep> = steps
        .iter()
        .filter(|candidate| candidate.step_name() == Some(step))
        .collect();
    if named.is_empty() {
        let mut names: Vec<String> = steps
            .iter()
            .filter_map(|candidate| candidate.step_name().map(str::to_string))
            .collect();
        names.dedup();
        return Err(NotRegistered::NoSuchStep {
            step: step.to_string(),
            steps: names,
        });
    }
    let registered = named.iter().find_map(|attempt| {
        let arn = attempt.metadata()?.register_model()?.arn()?;
        (attempt.step_status() == Some(&StepStatus::Succeeded)).then(|| arn.to_string())
    });
    registered.ok_or_else(|| NotRegistered::NoVersion {
        step: step.to_string(),
        status: named[0]
            .step_status()
            .map(|status| status.as_str().to_string()),
    })
}

/// The version the step `step` of the run `execution_arn` registered, or why it gives none.
pub async fn registered_model_package(
    handle: &SageMakerHandle,
    execution_arn: &str,
    step: &str,
) -> Result<Result<String, NotRegistered>, SageMakerError> {
    let steps =
        crate::generated::pipeline_execution::list_pipeline_execution_steps(handle, execution_arn)
            .await?;
    Ok(registered_in(&steps, step))
}

#[cfg(test)]
mod tests {
    use aws_sdk_sagemaker::types::{PipelineExecutionStepMetadata, RegisterModelStepMetadata};

    use super::*;

    const ARN: &str = "arn:aws:sagemaker:us-west-2:123456789012:model-package/churn/2";

    fn step(name: &str, status: StepStatus, registered: Option<&str>) -> PipelineExecutionStep {
        let metadata = registered.map(|arn| {
            PipelineExecutionStepMetadata::builder()
                .register_model(RegisterModelStepMetadata::builder().arn(arn).build())
                .build()
        });
        PipelineExecutionStep::builder()
            .step_name(name)
            .step_status(status)
            .set_metadata(metadata)
            .build()
    }

    #[test]
    fn the_named_register_step_gives_its_version() {
        let run = [
            step("Register", StepStatus::Succeeded, Some(ARN)),
            step("Train", StepStatus::Succeeded, None),
        ];
        let failed_then_retried = [
            step("Register", StepStatus::Failed, None),
            step("Register", StepStatus::Succeeded, Some(ARN)),
        ];
        let table: [(
            &[PipelineExecutionStep],
            &str,
            Result<String, NotRegistered>,
        ); 5] = [
            (&run, "Register", Ok(ARN.to_string())),
            (&failed_then_retried, "Register", Ok(ARN.to_string())),
            (
                &run,
                "Train",
                Err(NotRegistered::NoVersion {
                    step: "Train".into(),
                    status: Some("Succeeded".into()),
                }),
            ),
            (
                &run,
                "Deploy",
                Err(NotRegistered::NoSuchStep {
                    step: "Deploy".into(),
                    steps: vec!["Register".into(), "Train".into()],
                }),
            ),
            (
                &[],
                "Register",
                Err(NotRegistered::NoSuchStep {
                    step: "Register".into(),
                    steps: vec![],
                }),
            ),
        ];
        for (steps, name, expected) in table {
            assert_eq!(registered_in(steps, name), expected, "{name}");
        }
    }

    #[test]
    fn the_messages_name_the_step_and_what_the_run_has() {
        let missing = NotRegistered::NoSuchStep {
            step: "Deploy".into(),
            steps: vec!["Register".into(), "Train".into()],
        };
        assert_eq!(
            missing.to_string(),
            "the run has no step \"Deploy\" (its steps: Register, Train)"
        );
        let nothing = NotRegistered::NoVersion {
            step: "Train".into(),
            status: Some("Succeeded".into()),
        };
        assert_eq!(
            nothing.to_string(),
            "step \"Train\" of the run registered no model package version (it is Succeeded)"
        );
    }
}
