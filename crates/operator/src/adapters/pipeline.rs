//! Pipeline ↔ SageMaker pipeline, a kind generated from the API model: its definition is the
//! pipeline's JSON document, held in the spec as an object (or named by its S3 location), and a
//! spec edit goes to SageMaker with UpdatePipeline. The create carries the object's UID as its
//! idempotency token. A pipeline has no state to wait through (`Active` at once), so there is no
//! poller and no look-again; its runs are PipelineExecution objects, which name it by
//! `pipelineRef`.

use sagemaker_k8s_api::generated::KindInfo;
use sagemaker_k8s_api::{Pipeline, PipelineSpec, PipelineStatus};
use sagemaker_k8s_aws::SageMakerHandle;
use sagemaker_k8s_aws::generated::{CallError, Described, ResolvedReferences, pipeline as remote};

use super::generated::{Generated, GeneratedKind};
use crate::engine::references::Target;
use crate::engine::single::Single;

pub struct PipelineKind;

/// What a pipeline execution waits for: the pipeline set up (`Active`).
pub static PIPELINE: Target = Target::of::<Single<Generated<PipelineKind>>>(&["Active"]);

impl GeneratedKind for PipelineKind {
    type Object = Pipeline;
    type Spec = PipelineSpec;
    type Status = PipelineStatus;
    type Calls = remote::Calls;
    const INFO: KindInfo = sagemaker_k8s_api::generated::pipeline::INFO;

    fn spec(object: &Pipeline) -> &PipelineSpec {
        &object.spec
    }
    async fn update(
        sagemaker: &SageMakerHandle,
        spec: &PipelineSpec,
        name: &str,
        _remote: &Described<PipelineStatus>,
        refs: &ResolvedReferences,
        _recorded: &(dyn Fn(&PipelineSpec) -> bool + Sync),
    ) -> Result<(), CallError> {
        let request = remote::update_pipeline_request(spec, name, refs)?;
        remote::update_pipeline(sagemaker, request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sagemaker::operation::create_pipeline::CreatePipelineInput;

    use super::*;
    use crate::engine::single::{Kind, Phase};

    type Adapter = Generated<PipelineKind>;

    fn spec(yaml: &str) -> PipelineSpec {
        serde_saphyr::from_str(yaml).expect("a pipeline spec")
    }

    #[test]
    fn pipeline_states_are_phases() {
        let words = Adapter::STATE_WORDS.expect("the kind's own words");
        assert_eq!(words.phase("Active"), Phase::Succeeded);
        assert_eq!(words.phase("Deleting"), Phase::Deleting);
        const { assert!(!Adapter::NAMED_BY_SAGEMAKER) };
    }

    /// The definition object goes as its JSON text, the object's UID as the idempotency token.
    #[test]
    fn the_definition_is_sent_as_json_text_under_the_uid_token() {
        let spec = spec(
            r#"
region: us-west-2
roleArn: arn:aws:iam::123456789012:role/pipelines
pipelineDefinition:
  Version: "2020-12-01"
  Steps:
    - Name: Register
      Type: RegisterModel
      Arguments: { ModelPackageGroupName: churn }
"#,
        );
        let uid = "0b7c4a8e-7d1f-4d0e-9a53-1c2d3e4f5a6b";
        let request: CreatePipelineInput =
            remote::create_request(&spec, "churn", uid, &ResolvedReferences::default())
                .expect("no references")
                .build()
                .expect("a request");
        assert_eq!(request.pipeline_name(), Some("churn"));
        assert_eq!(request.client_request_token(), Some(uid));
        let sent: serde_json::Value =
            serde_json::from_str(request.pipeline_definition().expect("a definition"))
                .expect("JSON text");
        assert_eq!(
            sent["Steps"][0]["Arguments"]["ModelPackageGroupName"],
            "churn"
        );
        assert_eq!(sent["Version"], "2020-12-01");
    }
}
