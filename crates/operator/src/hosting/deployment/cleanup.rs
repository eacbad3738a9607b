//! Clean-up and deletion: the endpoint configs and models no endpoint uses any more, and on
//! delete the endpoint itself (waiting through Deleting), then everything else, then the
//! finalizer.

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use sagemaker_k8s_aws::hosting::EndpointDescription;
use sagemaker_k8s_aws::{ErrorKind, SageMakerError};

use super::decide::accepts_delete;
use super::record::HostingState;
use super::status::with_endpoint_status;
use super::{ENDPOINT_DELETION_POLL, KIND, Reconciliation, left_in_service};
use crate::engine::EngineError;
use crate::naming::uid_hex;

/// A call's answer, `None` when what it names is gone.
fn gone_is_none<T>(result: Result<T, SageMakerError>) -> Result<Option<T>, SageMakerError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(SageMakerError {
            kind: ErrorKind::NotFound,
            ..
        }) => Ok(None),
        Err(error) => Err(error),
    }
}

impl Reconciliation<'_> {
    /// Deletes this object's endpoint configs and models that neither the endpoint nor an
    /// in-flight update uses. Found by the UID in their names, so resources left by a crash or
    /// by an edit superseded before it was applied go too.
    pub(super) async fn delete_unused(
        &self,
        remote: Option<&EndpointDescription>,
    ) -> Result<(), EngineError> {
        let mut keep_configs: Vec<String> = Vec::new();
        if let Some(remote) = remote {
            keep_configs.push(remote.config_name.clone());
        }
        if let Some(in_flight) = &self.state.in_flight {
            keep_configs.push(in_flight.deployment.endpoint_config_name.clone());
        }
        let mut keep_models: Vec<String> = Vec::new();
        for config in &keep_configs {
            if let Some(described) =
                gone_is_none(self.sagemaker().describe_endpoint_config(config).await)?
            {
                keep_models.extend(described.model_names);
            }
        }
        if let Some(in_flight) = &self.state.in_flight {
            keep_models.extend(
                in_flight
                    .deployment
                    .model_names
                    .iter()
                    .map(|pair| pair.value.clone()),
            );
        }
        let fragment = uid_hex(&self.run.uid);
        for config in self
            .sagemaker()
            .endpoint_config_names_containing(&fragment)
            .await?
        {
            if !keep_configs.contains(&config) {
                gone_is_none(self.sagemaker().delete_endpoint_config(&config).await)?;
                tracing::info!(kind = KIND, endpoint_config = %config, "endpoint config deleted");
            }
        }
        for model in self.sagemaker().model_names_containing(&fragment).await? {
            if !keep_models.contains(&model) {
                gone_is_none(self.sagemaker().delete_model(&model).await)?;
                tracing::info!(kind = KIND, model = %model, "model deleted");
            }
        }
        Ok(())
    }

    /// Deletion: the endpoint (waiting through Deleting), then configs and models, then the
    /// finalizer. Any failed call keeps the finalizer, so nothing is left in SageMaker.
    pub(super) async fn finalize(&self) -> Result<Action, EngineError> {
        let location = self.sagemaker().location.clone();
        match self
            .sagemaker()
            .describe_endpoint(&self.endpoint_name)
            .await
        {
            Ok(remote) => {
                self.run.engine.registry.register(
                    &location,
                    &self.endpoint_name,
                    ObjectRef::from_obj(self.run.object),
                );
                let settled = accepts_delete(&remote.status);
                if settled && !self.owns_or_original_recorded(&remote.arn).await? {
                    // Someone else's endpoint (a name clash reported earlier): never delete it.
                    return self.finish_deletion().await;
                }
                if settled {
                    match self.sagemaker().delete_endpoint(&self.endpoint_name).await {
                        Ok(())
                        | Err(SageMakerError {
                            kind: ErrorKind::NotFound,
                            ..
                        }) => {}
                        // Left InService since described: try again shortly.
                        Err(error) if left_in_service(&error) => {}
                        Err(error) => return Err(self.retryable(error).await),
                    }
                    self.event(
                        EventType::Normal,
                        "Deleting",
                        format!("Deleting endpoint {} in SageMaker", self.endpoint_name),
                    )
                    .await;
                    // Only informative: the deletion goes on whether or not it is shown.
                    let _ = self
                        .run
                        .status
                        .write(with_endpoint_status(&self.run.status, "Deleting"))
                        .await;
                } else {
                    // Deleting, or Creating/Updating/…, which SageMaker lets finish before a delete.
                    let _ = self
                        .run
                        .status
                        .write(with_endpoint_status(&self.run.status, &remote.status))
                        .await;
                }
                Ok(Action::requeue(ENDPOINT_DELETION_POLL))
            }
            Err(SageMakerError {
                kind: ErrorKind::NotFound,
                ..
            }) => self.finish_deletion().await,
            Err(error) => Err(self.retryable(error).await),
        }
    }

    /// Deletion that keeps everything (deletion policy `retain`): the endpoint, if this
    /// object's, and its configs and models lose the ownership tag and stay; an Event says
    /// what was kept. Someone else's endpoint of the name is left as it is.
    pub(super) async fn retain(&self) -> Result<Action, EngineError> {
        let mut kept = Vec::new();
        let described = gone_is_none(
            self.sagemaker()
                .describe_endpoint(&self.endpoint_name)
                .await,
        );
        let remote = match described {
            Ok(remote) => remote,
            Err(error) => return Err(self.retryable(error).await),
        };
        if let Some(remote) = remote
            && self.owns_or_original_recorded(&remote.arn).await?
        {
            self.untag(&remote.arn).await?;
            kept.push(format!("endpoint {}", self.endpoint_name));
        }
        // Named with the object's UID: no one else's.
        let fragment = uid_hex(&self.run.uid);
        let sagemaker = self.sagemaker();
        for config in sagemaker
            .endpoint_config_names_containing(&fragment)
            .await?
        {
            if let Some(described) =
                gone_is_none(sagemaker.describe_endpoint_config(&config).await)?
            {
                self.untag(&described.arn).await?;
                kept.push(format!("endpoint config {config}"));
            }
        }
        for model in sagemaker.model_names_containing(&fragment).await? {
            if let Some(described) = gone_is_none(sagemaker.describe_model(&model).await)? {
                self.untag(&described.arn).await?;
                kept.push(format!("model {model}"));
            }
        }
        self.run
            .engine
            .registry
            .forget(&self.sagemaker().location, &self.endpoint_name);
        tracing::info!(kind = KIND, endpoint = %self.endpoint_name, kept = kept.len(), "deletion policy retain: keeping the SageMaker resources");
        if !kept.is_empty() {
            let note = format!(
                "Kept in SageMaker (deletion policy retain), without the operator's ownership tag: {}",
                kept.join(", ")
            );
            self.event(EventType::Normal, "Retained", note).await;
        }
        self.run.release().await
    }

    /// Removes the ownership tag; a resource gone meanwhile has none to remove.
    async fn untag(&self, arn: &str) -> Result<(), EngineError> {
        gone_is_none(self.sagemaker().remove_owner_tag(arn).await)?;
        Ok(())
    }

    async fn finish_deletion(&self) -> Result<Action, EngineError> {
        // No endpoint and nothing in flight: every config and model of this object goes.
        let nothing = Reconciliation {
            state: HostingState::default(),
            ..self.shallow_clone()
        };
        nothing.delete_unused(None).await?;
        self.run
            .engine
            .registry
            .forget(&self.sagemaker().location, &self.endpoint_name);
        tracing::info!(kind = KIND, endpoint = %self.endpoint_name, "SageMaker resources deleted, releasing object");
        self.run.release().await
    }
}
