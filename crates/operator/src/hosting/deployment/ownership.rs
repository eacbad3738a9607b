//! Whose endpoint it is: this operator's ownership tag, or, for an endpoint the original
//! operator deployed (it tagged nothing), its records in the object's status. An endpoint
//! neither proves to be this object's is never updated or deleted.

use kube::ResourceExt;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use sagemaker_k8s_api::SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER;
use sagemaker_k8s_aws::hosting::EndpointDescription;

use super::record::Deployment;
use super::status::with_endpoint_status;
use super::{KIND, Reconciliation};
use crate::engine::EngineError;
use crate::engine::ownership::{self, Ownership};
use crate::takeover;

impl Reconciliation<'_> {
    /// Whether the resource at `arn` carries this object's ownership tag.
    pub(super) async fn owns(&self, arn: &str) -> Result<bool, EngineError> {
        let (owner, _) = ownership::check(self.sagemaker(), arn, &self.run.uid, false).await?;
        Ok(owner == Ownership::Ours)
    }

    /// Follows an endpoint the original operator deployed for this object. Its status named the
    /// endpoint (derived from the object's UID, or `spec.endpointName`), the endpoint config it
    /// runs and the models: the endpoint gets this operator's ownership tag, and the record
    /// says the current spec is what runs, so the takeover itself changes nothing in SageMaker.
    /// `Some` when the endpoint is not this object's after all.
    pub(super) async fn take_over(
        &mut self,
        remote: &EndpointDescription,
    ) -> Result<Option<Action>, EngineError> {
        let original = self.recorded_by_original_operator();
        let (owner, _) =
            ownership::check(self.sagemaker(), &remote.arn, &self.run.uid, original).await?;
        if owner != Ownership::Ours {
            if owner == Ownership::Foreign {
                // Back to "never observed", so that every later reconcile checks ownership too
                // instead of taking the original's InService for one of ours.
                let mut reset =
                    with_endpoint_status(&self.run.status, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER);
                reset.common.last_check_time = None;
                self.run.status.write(reset).await?;
                return self.report_foreign_endpoint().await.map(Some);
            }
            ownership::take_over(self.sagemaker(), &remote.arn, &self.run.uid).await?;
        }
        // What the original deployed, by its status: the config that runs and its models. When
        // it was mid-update (another config runs), the ordinary rules adopt what runs and deploy
        // the spec.
        let original = self.run.object.status.as_ref();
        if original.and_then(|status| status.endpoint_config_name.as_deref())
            == Some(remote.config_name.as_str())
        {
            let model_names = original
                .and_then(|status| status.model_names.clone())
                .unwrap_or_default();
            self.state.deployed = Some(Deployment {
                endpoint_config_name: remote.config_name.clone(),
                model_names,
                ..self.desired.clone()
            });
        }
        self.save_state().await?;
        self.recorded = self.state.clone();
        tracing::info!(kind = KIND, object = %self.run.object.name_any(), endpoint = %self.endpoint_name, "took over from the original operator");
        self.event(
            EventType::Normal,
            "TakenOver",
            format!(
                "Following endpoint {}, which the original operator deployed",
                self.endpoint_name
            ),
        )
        .await;
        Ok(None)
    }

    /// Ours by the tag, or untagged and recorded for this object by the original operator (an
    /// object deleted before this operator took it over).
    pub(super) async fn owns_or_original_recorded(&self, arn: &str) -> Result<bool, EngineError> {
        let original = self.recorded_by_original_operator();
        let (owner, _) = ownership::check(self.sagemaker(), arn, &self.run.uid, original).await?;
        Ok(owner != Ownership::Foreign)
    }

    /// Whether the original operator's status names this object's endpoint
    /// ([`takeover::recorded_by_original_operator`]).
    fn recorded_by_original_operator(&self) -> bool {
        let original = self.run.object.status.as_ref();
        let spec_name = self
            .run
            .object
            .spec
            .endpoint_name
            .as_deref()
            .filter(|name| !name.is_empty());
        takeover::status_written_by_original_operator(original)
            && takeover::original_name_is_this_objects(
                original.and_then(|status| status.endpoint_name.as_deref()),
                spec_name,
                &self.endpoint_name,
                &self.run.uid,
            )
    }
}
