//! The status of a HostingDeployment: what SageMaker reports about the endpoint and what the
//! record says about the spec, mapped to `HostingDeploymentStatus`, and the failures that wait
//! for a spec change.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::Resource;
use kube::runtime::controller::Action;
use sagemaker_k8s_api::HostingDeploymentStatus;
use sagemaker_k8s_api::hosting_deployment::{DeployedImage, ProductionVariantSummary};
use sagemaker_k8s_aws::hosting::{EndpointDescription, HostingSpecError, VariantDescription};

use super::desired::endpoint_url;
use super::{DeploymentStatus, RECONCILING_ENDPOINT, Reconciliation};
use crate::conditions::{FAILED, READY, RETRYING, remove_condition, set_condition};
use crate::engine::EngineError;

/// The recorded status with another endpoint status, other fields unchanged.
pub(super) fn with_endpoint_status(
    status: &DeploymentStatus<'_>,
    endpoint_status: &str,
) -> HostingDeploymentStatus {
    HostingDeploymentStatus {
        endpoint_status: Some(endpoint_status.to_string()),
        ..status.recorded()
    }
}

/// A production variant as the status shows it.
fn variant_summary(variant: &VariantDescription) -> ProductionVariantSummary {
    ProductionVariantSummary {
        variant_name: Some(variant.name.clone()),
        deployed_images: Some(
            variant
                .deployed_images
                .iter()
                .map(|image| DeployedImage {
                    specified_image: image.specified_image.clone(),
                    resolved_image: image.resolved_image.clone(),
                    resolution_time: image.resolution_time.map(Time),
                })
                .collect(),
        ),
        current_weight: variant.current_weight,
        desired_weight: variant.desired_weight,
        current_instance_count: variant.current_instance_count,
        desired_instance_count: variant.desired_instance_count,
    }
}

impl Reconciliation<'_> {
    pub(super) async fn report_invalid_spec(
        &self,
        error: HostingSpecError,
    ) -> Result<Action, EngineError> {
        self.run
            .report_failure("InvalidSpec", error.to_string())
            .await
    }

    pub(super) fn foreign_message(&self) -> String {
        format!(
            "endpoint {} already exists in SageMaker and was not created for this object; set spec.endpointName to another name",
            self.endpoint_name
        )
    }

    pub(super) async fn report_foreign_endpoint(&self) -> Result<Action, EngineError> {
        let message = self.foreign_message();
        self.run
            .report_failure("NameOwnedByAnotherResource", message)
            .await
    }

    /// Maps the described endpoint and the deployment record to the status; writes only real
    /// changes (plus lastCheckTime with them) and an Event per status transition.
    pub(super) async fn write_status(
        &self,
        remote: Option<&EndpointDescription>,
        endpoint_status: Option<&str>,
    ) -> Result<(), kube::Error> {
        let generation = self.run.object.meta().generation;
        let status_text = endpoint_status
            .map(str::to_string)
            .or_else(|| remote.map(|remote| remote.status.clone()))
            .unwrap_or_else(|| RECONCILING_ENDPOINT.to_string());
        let mut status = self.run.status.recorded();
        status.endpoint_status = Some(status_text.clone());
        // Once the endpoint exists (and from then on, while it is deleted and recreated).
        let endpoint_known = remote.is_some() || status.endpoint_arn.is_some();
        status.endpoint_name = endpoint_known.then(|| self.endpoint_name.clone());
        status.model_names = None;
        if let Some(remote) = remote {
            self.show_endpoint(&mut status, remote);
        }
        let additional = self.undeployed_note(remote.is_some());
        status.common.additional = additional.clone();
        let failed_message = additional
            .clone()
            .or_else(|| remote.and_then(|remote| remote.failure_reason.clone()))
            .unwrap_or_default();
        let mut conditions = status.common.conditions.clone().unwrap_or_default();
        self.set_conditions(&mut conditions, &status_text, additional, &failed_message);
        // Every package the spec names resolved (a wait ends the reconcile before this).
        let _ = super::packages::show(&mut conditions, self.references.as_ref(), generation);
        status.common.observed_generation = generation;
        status.common.conditions = Some(conditions);
        let unchanged = !self.run.status.would_change(&status);
        let previous = self.recorded_status();
        if let Some((type_, note)) = crate::events::status_change(
            previous.as_deref(),
            &status_text,
            status_text == "Failed",
            &failed_message,
        ) {
            self.event(type_, &status_text, note).await;
        }
        if unchanged {
            return Ok(());
        }
        self.run
            .status
            .write_stamped(status, |status| {
                status.common.last_check_time = Some(Time(k8s_openapi::jiff::Timestamp::now()));
            })
            .await
            .map(|_| ())
    }

    /// What the described endpoint shows in the status: its names, URL, times, variants, and
    /// the models behind the config it runs.
    fn show_endpoint(&self, status: &mut HostingDeploymentStatus, remote: &EndpointDescription) {
        status.endpoint_arn = Some(remote.arn.clone());
        status.endpoint_config_name = Some(remote.config_name.clone());
        status.endpoint_url = Some(endpoint_url(
            &self.sagemaker().location.region,
            &remote.name,
        ));
        status.creation_time = remote.creation_time.map(Time);
        status.last_modified_time = remote.last_modified_time.map(Time);
        status.failure_reason = remote.failure_reason.clone();
        status.production_variants = (!remote.variants.is_empty())
            .then(|| remote.variants.iter().map(variant_summary).collect());
        // The models behind the config the endpoint runs (or is being created with).
        status.model_names = self
            .state
            .deployed
            .iter()
            .chain(
                self.state
                    .in_flight
                    .as_ref()
                    .map(|in_flight| &in_flight.deployment),
            )
            .find(|deployment| {
                deployment.endpoint_config_name == remote.config_name
                    && !deployment.model_names.is_empty()
            })
            .map(|deployment| deployment.model_names.clone());
    }

    /// Why the current spec is not deployed, when it failed (`endpoint_exists`: the endpoint
    /// stays on what it runs).
    fn undeployed_note(&self, endpoint_exists: bool) -> Option<String> {
        let failed = self.state.failed_for(&self.desired.spec_hash)?;
        Some(match &self.state.deployed {
            Some(deployed) if endpoint_exists => format!(
                "Generation {} could not be deployed: {}. The endpoint stays on endpoint config {}; correct the spec to retry.",
                failed.generation, failed.reason, deployed.endpoint_config_name
            ),
            _ => format!(
                "Generation {} could not be deployed: {}. Correct the spec to retry.",
                failed.generation, failed.reason
            ),
        })
    }

    /// `Ready` (the current spec is deployed and in service) and `Failed` (the endpoint failed
    /// or the current spec could not be deployed); `Retrying` goes, as this reconcile got an
    /// answer.
    fn set_conditions(
        &self,
        conditions: &mut Vec<Condition>,
        status_text: &str,
        undeployed: Option<String>,
        failed_message: &str,
    ) {
        let generation = self.run.object.meta().generation;
        let deployed_current = status_text == "InService"
            && self.state.in_flight.is_none()
            && self
                .state
                .deployed
                .as_ref()
                .is_some_and(|deployed| deployed.spec_hash == self.desired.spec_hash);
        let failed = status_text == "Failed" || undeployed.is_some();
        remove_condition(conditions, RETRYING);
        let (ready_reason, ready_message) = if deployed_current {
            (
                "InService".to_string(),
                format!(
                    "Endpoint {} serves generation {}",
                    self.endpoint_name,
                    generation.unwrap_or_default()
                ),
            )
        } else if let Some(undeployed) = undeployed {
            ("UpdateFailed".to_string(), undeployed)
        } else {
            (
                status_text.to_string(),
                format!("SageMaker status {status_text}"),
            )
        };
        set_condition(
            conditions,
            READY,
            deployed_current,
            &ready_reason,
            &ready_message,
            generation,
        );
        set_condition(
            conditions,
            FAILED,
            failed,
            if failed { "Failed" } else { status_text },
            if failed { failed_message } else { "" },
            generation,
        );
    }
}
