//! Carrying out the decisions of `decide` in SageMaker: creating the models, the endpoint config
//! and the endpoint, updating it (weights only, or to a new config), deleting a failed endpoint
//! to recreate it, and recording each step in the state annotation as it happens.

use std::collections::BTreeMap;

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use sagemaker_k8s_aws::hosting::{
    EndpointDescription, hosting_endpoint_config_request, hosting_model_request,
};
use sagemaker_k8s_aws::{ErrorKind, SageMakerError};

use super::decide::{
    Failed, InService, Settlement, Update, in_flight_with_new_config, in_flight_with_new_weights,
    tags_due,
};
use super::desired::{capacities, retained_capacities};
use super::record::{Deployment, FailedDeployment, InFlight};
use super::{AFTER_ACTION, KIND, RECONCILING_ENDPOINT, Reconciliation, StepError, left_in_service};
use crate::engine::EngineError;

impl Reconciliation<'_> {
    /// No endpoint: create it from the spec.
    pub(super) async fn create(&mut self) -> Result<Action, EngineError> {
        self.mark_reconciling().await?;
        let created = self.create_endpoint().await;
        // Whatever happened, the endpoint that was deployed before (if any) is gone.
        self.state.deployed = None;
        match created {
            Ok(()) => {
                self.state.in_flight = Some(in_flight_with_new_config(&self.desired));
                self.state.failed = None;
                self.save_state().await?;
                Ok(Action::requeue(AFTER_ACTION))
            }
            Err(StepError::Rejected(message)) => self.reject("CreateRejected", message, None).await,
            Err(StepError::Retry(error)) => {
                self.save_state().await?;
                Err(error)
            }
        }
    }

    async fn create_endpoint(&self) -> Result<(), StepError> {
        self.ensure_models_and_config().await?;
        let tags = self.run.object.spec.tags.as_deref().unwrap_or_default();
        match self
            .sagemaker()
            .create_endpoint(
                &self.endpoint_name,
                &self.desired.endpoint_config_name,
                tags,
                &self.run.uid,
            )
            .await
        {
            Ok(_arn) => {
                tracing::info!(kind = KIND, endpoint = %self.endpoint_name, config = %self.desired.endpoint_config_name, "endpoint created");
                self.event(
                    EventType::Normal,
                    "Created",
                    format!(
                        "Creating endpoint {} with endpoint config {} (generation {})",
                        self.endpoint_name,
                        self.desired.endpoint_config_name,
                        self.desired.generation
                    ),
                )
                .await;
                Ok(())
            }
            Err(SageMakerError {
                kind: ErrorKind::ResourceInUse,
                ..
            }) => {
                let remote = self
                    .sagemaker()
                    .describe_endpoint(&self.endpoint_name)
                    .await?;
                if self.owns(&remote.arn).await.map_err(StepError::Retry)? {
                    Ok(())
                } else {
                    Err(StepError::Rejected(self.foreign_message()))
                }
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Creates the models and the endpoint config of the desired generation; what exists and
    /// carries this object's ownership tag is adopted.
    async fn ensure_models_and_config(&self) -> Result<(), StepError> {
        let mut model_names = BTreeMap::new();
        for (index, pair) in self.desired.model_names.iter().enumerate() {
            let request = hosting_model_request(
                &self.run.object.spec,
                index,
                &pair.value,
                &self.run.uid,
                &self.packages,
            )
            .map_err(|error| StepError::Rejected(error.to_string()))?;
            match self.sagemaker().create_model(request).await {
                Ok(_) => tracing::info!(kind = KIND, model = %pair.value, "model created"),
                Err(SageMakerError {
                    kind: ErrorKind::ResourceInUse,
                    ..
                }) => {
                    let existing = self.sagemaker().describe_model(&pair.value).await?;
                    if !self.owns(&existing.arn).await.map_err(StepError::Retry)? {
                        return Err(StepError::Rejected(format!(
                            "model {} already exists in SageMaker and was not created for this object",
                            pair.value
                        )));
                    }
                }
                Err(error) => return Err(error.into()),
            }
            model_names.insert(pair.name.clone(), pair.value.clone());
        }
        let config = &self.desired.endpoint_config_name;
        let request = hosting_endpoint_config_request(
            &self.run.object.spec,
            config,
            &model_names,
            &self.run.uid,
        );
        match self.sagemaker().create_endpoint_config(request).await {
            Ok(_) => {
                tracing::info!(kind = KIND, endpoint_config = %config, "endpoint config created")
            }
            Err(SageMakerError {
                kind: ErrorKind::ResourceInUse,
                ..
            }) => {
                let existing = self.sagemaker().describe_endpoint_config(config).await?;
                if !self.owns(&existing.arn).await.map_err(StepError::Retry)? {
                    return Err(StepError::Rejected(format!(
                        "endpoint config {config} already exists in SageMaker and was not created for this object"
                    )));
                }
            }
            Err(error) => return Err(error.into()),
        }
        Ok(())
    }

    /// The endpoint is InService: announce what settled, start the update the spec needs, and
    /// delete what the endpoint no longer uses.
    pub(super) async fn on_in_service(
        &mut self,
        remote: &EndpointDescription,
        decision: InService,
    ) -> Result<Action, EngineError> {
        let InService {
            state,
            settled,
            clean_up,
            update,
        } = decision;
        self.state = state;
        match settled {
            Some(Settlement::Deployed { generation }) => {
                self.event(
                    EventType::Normal,
                    "Deployed",
                    format!(
                        "Endpoint {} is InService with generation {generation} (endpoint config {})",
                        self.endpoint_name, remote.config_name
                    ),
                )
                .await;
            }
            Some(Settlement::RolledBack { generation, reason }) => {
                self.event(
                    EventType::Warning,
                    "UpdateFailed",
                    format!("Generation {generation} could not be deployed, the endpoint stays on endpoint config {}: {reason}", remote.config_name),
                )
                .await;
            }
            None => {}
        }
        let mut started = false;
        if let Some(update) = update {
            let deployed = self
                .state
                .deployed
                .clone()
                .expect("an InService decision records what runs");
            self.mark_reconciling().await?;
            match self.start_update(update, &deployed).await {
                Ok(in_flight) => {
                    self.state.in_flight = Some(in_flight);
                    started = true;
                }
                Err(StepError::Rejected(message)) => {
                    self.save_state().await?;
                    return self.reject("UpdateRejected", message, Some(remote)).await;
                }
                Err(StepError::Retry(error)) => {
                    self.save_state().await?;
                    return Err(error);
                }
            }
        }
        self.save_state().await?;
        if clean_up {
            self.delete_unused(Some(remote)).await?;
        }
        if started {
            return Ok(Action::requeue(AFTER_ACTION));
        }
        if tags_due(update, self.tags_applied()) {
            self.sync_tags(remote).await?;
        }
        self.write_status(Some(remote), None).await?;
        Ok(Action::await_change())
    }

    /// Starts taking the endpoint from `deployed` to the desired spec.
    async fn start_update(
        &self,
        update: Update,
        deployed: &Deployment,
    ) -> Result<InFlight, StepError> {
        let in_progress = |error: SageMakerError| {
            if left_in_service(&error) {
                // The endpoint left InService since it was described: look again later.
                StepError::Retry(error.into())
            } else {
                error.into()
            }
        };
        if update == Update::WeightsAndCapacities {
            let capacities =
                retained_capacities(&self.run.object.spec, capacities(self.run.object));
            self.sagemaker()
                .update_endpoint_weights_and_capacities(&self.endpoint_name, &capacities)
                .await
                .map_err(in_progress)?;
            self.event(
                EventType::Normal,
                "Updating",
                format!(
                    "Updating variant weights and instance counts of endpoint {} to generation {}",
                    self.endpoint_name, self.desired.generation
                ),
            )
            .await;
            return Ok(in_flight_with_new_weights(
                deployed,
                &self.desired,
                &capacities,
            ));
        }
        self.ensure_models_and_config().await?;
        let spec = &self.run.object.spec;
        let excluded: Vec<_> = spec
            .exclude_retained_variant_properties
            .iter()
            .flatten()
            .map(|property| property.variant_property_type)
            .collect();
        self.sagemaker()
            .update_endpoint(
                &self.endpoint_name,
                &self.desired.endpoint_config_name,
                spec.retain_all_variant_properties,
                &excluded,
            )
            .await
            .map_err(in_progress)?;
        self.event(
            EventType::Normal,
            "Updating",
            format!(
                "Updating endpoint {} to endpoint config {} (generation {})",
                self.endpoint_name, self.desired.endpoint_config_name, self.desired.generation
            ),
        )
        .await;
        Ok(in_flight_with_new_config(&self.desired))
    }

    /// The endpoint is Failed: keep it for the spec that failed (the status says why), or
    /// delete it so that the corrected spec is created.
    pub(super) async fn on_failed(
        &mut self,
        remote: &EndpointDescription,
        decision: Failed,
    ) -> Result<Action, EngineError> {
        self.state = decision.state;
        if !decision.recreate {
            self.save_state().await?;
            self.write_status(Some(remote), None).await?;
            return Ok(Action::await_change());
        }
        // A failed endpoint can only be deleted: make room for the corrected spec.
        self.mark_reconciling().await?;
        match self.sagemaker().delete_endpoint(&self.endpoint_name).await {
            Ok(())
            | Err(SageMakerError {
                kind: ErrorKind::NotFound,
                ..
            }) => {}
            Err(error) => {
                self.save_state().await?;
                return Err(self.retryable(error).await);
            }
        }
        self.event(
            EventType::Normal,
            "Recreating",
            format!(
                "Deleting failed endpoint {} to create it from generation {}",
                self.endpoint_name, self.desired.generation
            ),
        )
        .await;
        self.save_state().await?;
        Ok(Action::requeue(AFTER_ACTION))
    }

    /// SageMaker refused the desired spec: remember it (so it is not retried) and say why.
    async fn reject(
        &mut self,
        reason: &str,
        message: String,
        remote: Option<&EndpointDescription>,
    ) -> Result<Action, EngineError> {
        self.event(
            EventType::Warning,
            reason,
            format!(
                "SageMaker rejected generation {}: {message}",
                self.desired.generation
            ),
        )
        .await;
        self.state.failed = Some(FailedDeployment {
            generation: self.desired.generation,
            spec_hash: self.desired.spec_hash.clone(),
            reason: message,
        });
        self.save_state().await?;
        let status = if remote.is_none() {
            Some(RECONCILING_ENDPOINT)
        } else {
            None
        };
        self.write_status(remote, status).await?;
        Ok(Action::await_change())
    }
}
