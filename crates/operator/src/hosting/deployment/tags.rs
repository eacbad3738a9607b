//! The spec's tags brought to the endpoint, its endpoint config and models in place
//! ([`crate::engine::tags`]): a tag edit is no new deployment.

use kube::ResourceExt;
use kube::runtime::events::EventType;
use sagemaker_k8s_api::APPLIED_TAGS_ANNOTATION;
use sagemaker_k8s_aws::hosting::EndpointDescription;
use serde_json::json;

use super::Reconciliation;
use crate::engine::EngineError;
use crate::engine::tags::{self, Tags};
use crate::object_patch::patch_metadata;

impl Reconciliation<'_> {
    /// The spec's tags, without the ownership tag.
    fn spec_tags(&self) -> Tags {
        let spec = serde_json::to_value(&self.run.object.spec).expect("specs serialize to JSON");
        tags::spec_tags(&spec)
    }

    /// Whether the spec's tags are recorded as applied.
    pub(super) fn tags_applied(&self) -> bool {
        tags::recorded(self.run.object.annotations()) == Some(self.spec_tags())
    }

    /// Sets and removes tags on the InService endpoint and what it runs (its endpoint config and
    /// models, all named for this object), then records the spec's tags as applied.
    pub(super) async fn sync_tags(&self, remote: &EndpointDescription) -> Result<(), EngineError> {
        let wanted = self.spec_tags();
        let applied = tags::recorded(self.run.object.annotations());
        let sagemaker = self.sagemaker();
        let mut arns = vec![remote.arn.clone()];
        let config = sagemaker
            .describe_endpoint_config(&remote.config_name)
            .await?;
        arns.push(config.arn);
        for model in &config.model_names {
            arns.push(sagemaker.describe_model(model).await?.arn);
        }
        let mut changed = None;
        for arn in &arns {
            let changes = tags::bring_to(sagemaker, arn, &wanted, applied.as_ref()).await?;
            if changed.is_none() && !changes.is_empty() {
                changed = Some(changes.describe());
            }
        }
        patch_metadata(
            self.client(),
            self.run.object,
            json!({ "annotations": { APPLIED_TAGS_ANNOTATION: tags::applied_value(&wanted) } }),
        )
        .await?;
        if let Some(changes) = changed {
            tracing::info!(kind = super::KIND, %changes, "tags updated in SageMaker");
            let note = format!(
                "Updated the tags of endpoint {}, its endpoint config and models: {changes}",
                self.endpoint_name
            );
            self.event(EventType::Normal, "TagsUpdated", note).await;
        }
        Ok(())
    }
}
