//! Application Auto Scaling for SageMaker endpoint variants and inference components: scalable
//! targets (`endpoint/<endpoint>/variant/<variant>`, dimension
//! `sagemaker:variant:DesiredInstanceCount`; `inference-component/<name>`, dimension
//! `sagemaker:inference-component:DesiredCopyCount`) and the scaling policy on each, built from a
//! HostingAutoscalingPolicy spec.

use std::sync::Arc;

use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types as sdk;
use sagemaker_k8s_api::HostingAutoscalingPolicySpec;
use sagemaker_k8s_api::hosting_autoscaling_policy::{
    PolicyType, StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration,
};

use crate::errors::{ErrorKind, SageMakerError, classify};
use crate::location::ApiLocation;
use crate::wire_name;

/// Environment variable naming the Application Auto Scaling endpoint for objects without
/// `applicationAutoscalingEndpoint` (otherwise the SDK's own: `AWS_ENDPOINT_URL`, then AWS's).
pub const DEFAULT_AUTOSCALING_ENDPOINT_ENV: &str = "AWS_DEFAULT_AUTOSCALING_ENDPOINT";

/// The Application Auto Scaling resource id of an endpoint variant.
pub fn resource_id(endpoint_name: &str, variant_name: &str) -> String {
    format!("endpoint/{endpoint_name}/variant/{variant_name}")
}

/// The Application Auto Scaling resource id of an inference component.
pub fn inference_component_resource_id(name: &str) -> String {
    format!("{INFERENCE_COMPONENT_PREFIX}{name}")
}

const INFERENCE_COMPONENT_PREFIX: &str = "inference-component/";

/// What scales on a target, told by its resource id: a target registered under one dimension
/// is deregistered under the same one, even after the spec moved on.
pub fn scalable_dimension(resource_id: &str) -> sdk::ScalableDimension {
    if resource_id.starts_with(INFERENCE_COMPONENT_PREFIX) {
        sdk::ScalableDimension::SageMakerInferenceComponentDesiredCopyCount
    } else {
        sdk::ScalableDimension::SageMakerVariantDesiredInstanceCount
    }
}

/// A client of one (region, endpoint), sharing the region's client-side rate limit with the
/// SageMaker calls (both count against the account's API limits there).
#[derive(Clone, Debug)]
pub struct AutoscalingHandle {
    pub location: ApiLocation,
    pub client: Client,
    pub(crate) limiter: Arc<crate::rate_limit::RegionLimits>,
}

fn target_tracking(
    config: &TargetTrackingScalingPolicyConfiguration,
) -> Result<sdk::TargetTrackingScalingPolicyConfiguration, SageMakerError> {
    let unbuildable = |error: aws_smithy_types::error::operation::BuildError| {
        SageMakerError::new(
            ErrorKind::Other,
            format!("PutScalingPolicy request: {error}"),
        )
        .with_source(error)
    };
    let predefined = config
        .predefined_metric_specification
        .as_ref()
        .map(|metric| {
            sdk::PredefinedMetricSpecification::builder()
                .predefined_metric_type(sdk::MetricType::from(
                    metric.predefined_metric_type.as_str(),
                ))
                .set_resource_label(metric.resource_label.clone())
                .build()
        })
        .transpose()
        .map_err(unbuildable)?;
    let customized = match &config.customized_metric_specification {
        None => None,
        Some(metric) => {
            let dimensions = metric
                .dimensions
                .iter()
                .flatten()
                .map(|dimension| {
                    sdk::MetricDimension::builder()
                        .name(&dimension.name)
                        .value(&dimension.value)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(unbuildable)?;
            Some(
                sdk::CustomizedMetricSpecification::builder()
                    .metric_name(&metric.metric_name)
                    .namespace(&metric.namespace)
                    .statistic(sdk::MetricStatistic::from(
                        wire_name(&metric.statistic).as_str(),
                    ))
                    .set_unit(metric.unit.clone())
                    .set_dimensions((!dimensions.is_empty()).then_some(dimensions))
                    .build(),
            )
        }
    };
    sdk::TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(config.target_value)
        .set_predefined_metric_specification(predefined)
        .set_customized_metric_specification(customized)
        .set_scale_out_cooldown(config.scale_out_cooldown)
        .set_scale_in_cooldown(config.scale_in_cooldown)
        .set_disable_scale_in(config.disable_scale_in)
        .build()
        .map_err(unbuildable)
}

fn step_scaling(
    config: &StepScalingPolicyConfiguration,
) -> Result<sdk::StepScalingPolicyConfiguration, SageMakerError> {
    let steps = config
        .step_adjustments
        .iter()
        .flatten()
        .map(|step| {
            sdk::StepAdjustment::builder()
                .set_metric_interval_lower_bound(step.metric_interval_lower_bound)
                .set_metric_interval_upper_bound(step.metric_interval_upper_bound)
                .scaling_adjustment(step.scaling_adjustment)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            SageMakerError::new(
                ErrorKind::Other,
                format!("PutScalingPolicy request: {error}"),
            )
            .with_source(error)
        })?;
    Ok(sdk::StepScalingPolicyConfiguration::builder()
        .set_adjustment_type(
            config
                .adjustment_type
                .map(|kind| sdk::AdjustmentType::from(wire_name(&kind).as_str())),
        )
        .set_step_adjustments((!steps.is_empty()).then_some(steps))
        .set_min_adjustment_magnitude(config.min_adjustment_magnitude)
        .set_cooldown(config.cooldown)
        .set_metric_aggregation_type(
            config
                .metric_aggregation_type
                .map(|kind| sdk::MetricAggregationType::from(wire_name(&kind).as_str())),
        )
        .build())
}

/// The PutScalingPolicy request of `spec` for one target.
pub fn put_policy_request(
    spec: &HostingAutoscalingPolicySpec,
    policy_name: &str,
    resource_id: &str,
) -> Result<aws_sdk_applicationautoscaling::operation::put_scaling_policy::builders::PutScalingPolicyInputBuilder, SageMakerError>{
    let policy_type = spec.policy_type.unwrap_or_default();
    let mut request = aws_sdk_applicationautoscaling::operation::put_scaling_policy::PutScalingPolicyInput::builder()
        .policy_name(policy_name)
        .service_namespace(sdk::ServiceNamespace::Sagemaker)
        .resource_id(resource_id)
        .scalable_dimension(scalable_dimension(resource_id))
        .policy_type(sdk::PolicyType::from(wire_name(&policy_type).as_str()));
    match policy_type {
        PolicyType::TargetTrackingScaling => {
            let config = spec.target_tracking_scaling_policy_configuration.as_ref().ok_or_else(|| {
                SageMakerError::new(ErrorKind::Validation, "spec.targetTrackingScalingPolicyConfiguration is required for TargetTrackingScaling")
            })?;
            request =
                request.target_tracking_scaling_policy_configuration(target_tracking(config)?);
        }
        PolicyType::StepScaling => {
            let config = spec
                .step_scaling_policy_configuration
                .as_ref()
                .ok_or_else(|| {
                    SageMakerError::new(
                        ErrorKind::Validation,
                        "spec.stepScalingPolicyConfiguration is required for StepScaling",
                    )
                })?;
            request = request.step_scaling_policy_configuration(step_scaling(config)?);
        }
    }
    Ok(request)
}

/// The RegisterScalableTarget request of `spec` for one target.
pub fn register_target_request(
    spec: &HostingAutoscalingPolicySpec,
    resource_id: &str,
) -> aws_sdk_applicationautoscaling::operation::register_scalable_target::builders::RegisterScalableTargetInputBuilder{
    aws_sdk_applicationautoscaling::operation::register_scalable_target::RegisterScalableTargetInput::builder()
        .service_namespace(sdk::ServiceNamespace::Sagemaker)
        .resource_id(resource_id)
        .scalable_dimension(scalable_dimension(resource_id))
        .set_min_capacity(spec.min_capacity)
        .set_max_capacity(spec.max_capacity)
        .set_suspended_state(spec.suspended_state.as_ref().map(|state| {
            sdk::SuspendedState::builder()
                .set_dynamic_scaling_in_suspended(state.dynamic_scaling_in_suspended)
                .set_dynamic_scaling_out_suspended(state.dynamic_scaling_out_suspended)
                .set_scheduled_scaling_suspended(state.scheduled_scaling_suspended)
                .build()
        }))
}

impl AutoscalingHandle {
    async fn throttle(&self, operation: &str) {
        self.limiter.acquire(operation).await;
    }

    /// Registers (or updates the capacity range of) one variant or inference component as a
    /// scalable target.
    pub async fn register_scalable_target(
        &self,
        spec: &HostingAutoscalingPolicySpec,
        resource_id: &str,
    ) -> Result<(), SageMakerError> {
        self.throttle("RegisterScalableTarget").await;
        register_target_request(spec, resource_id)
            .send_with(&self.client)
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Puts (creates or updates) the policy on one target; returns its ARN.
    pub async fn put_scaling_policy(
        &self,
        spec: &HostingAutoscalingPolicySpec,
        policy_name: &str,
        resource_id: &str,
    ) -> Result<String, SageMakerError> {
        let request = put_policy_request(spec, policy_name, resource_id)?;
        self.throttle("PutScalingPolicy").await;
        let output = request.send_with(&self.client).await.map_err(classify)?;
        Ok(output.policy_arn().to_string())
    }

    /// Deletes the policy of one target; a policy (or target) that is gone already is fine.
    pub async fn delete_scaling_policy(
        &self,
        policy_name: &str,
        resource_id: &str,
    ) -> Result<(), SageMakerError> {
        self.throttle("DeleteScalingPolicy").await;
        let result = self
            .client
            .delete_scaling_policy()
            .policy_name(policy_name)
            .service_namespace(sdk::ServiceNamespace::Sagemaker)
            .resource_id(resource_id)
            .scalable_dimension(scalable_dimension(resource_id))
            .send()
            .await;
        match result.map_err(classify) {
            Ok(_)
            | Err(SageMakerError {
                kind: ErrorKind::NotFound,
                ..
            }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The scalable targets (resource ids) that carry a policy named `policy_name`: how a
    /// deletion finds what an object registered when its own record of that is unreadable.
    pub async fn resource_ids_with_policy(
        &self,
        policy_name: &str,
    ) -> Result<Vec<String>, SageMakerError> {
        let pages = self
            .client
            .describe_scaling_policies()
            .service_namespace(sdk::ServiceNamespace::Sagemaker)
            .policy_names(policy_name)
            .into_paginator()
            .send();
        let mut ids = Vec::new();
        crate::listing::read_pages!(self, "DescribeScalingPolicies", pages, |page| {
            ids.extend(
                page.scaling_policies()
                    .iter()
                    .map(|policy| policy.resource_id().to_string()),
            );
            page.next_token().is_some()
        })?;
        Ok(ids)
    }

    /// Deregisters one target (its remaining policies go with it); a target that is gone
    /// already is fine.
    pub async fn deregister_scalable_target(
        &self,
        resource_id: &str,
    ) -> Result<(), SageMakerError> {
        self.throttle("DeregisterScalableTarget").await;
        let result = self
            .client
            .deregister_scalable_target()
            .service_namespace(sdk::ServiceNamespace::Sagemaker)
            .resource_id(resource_id)
            .scalable_dimension(scalable_dimension(resource_id))
            .send()
            .await;
        match result.map_err(classify) {
            Ok(_)
            | Err(SageMakerError {
                kind: ErrorKind::NotFound,
                ..
            }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> HostingAutoscalingPolicySpec {
        serde_json::from_value(json).expect("spec parses")
    }

    #[test]
    fn target_tracking_with_a_predefined_metric() {
        let spec = spec(serde_json::json!({
            "region": "us-west-2",
            "resourceId": [{"endpointName": "e", "variantName": "v"}],
            "minCapacity": 1, "maxCapacity": 4,
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": 70,
                "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                "scaleInCooldown": 600, "scaleOutCooldown": 30, "disableScaleIn": true
            }
        }));
        let input = put_policy_request(&spec, "p", &resource_id("e", "v"))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(input.resource_id(), Some("endpoint/e/variant/v"));
        assert_eq!(
            input.policy_type().unwrap().as_str(),
            "TargetTrackingScaling"
        );
        let config = input
            .target_tracking_scaling_policy_configuration()
            .unwrap();
        assert_eq!(config.target_value(), 70.0);
        assert_eq!(
            config
                .predefined_metric_specification()
                .unwrap()
                .predefined_metric_type()
                .as_str(),
            "SageMakerVariantInvocationsPerInstance"
        );
        assert_eq!(
            (
                config.scale_in_cooldown(),
                config.scale_out_cooldown(),
                config.disable_scale_in()
            ),
            (Some(600), Some(30), Some(true))
        );
        let register = register_target_request(&spec, "endpoint/e/variant/v")
            .build()
            .unwrap();
        assert_eq!(
            (register.min_capacity(), register.max_capacity()),
            (Some(1), Some(4))
        );
        assert_eq!(
            register.scalable_dimension().unwrap().as_str(),
            "sagemaker:variant:DesiredInstanceCount"
        );
    }

    #[test]
    fn inference_components_scale_their_copy_count() {
        let spec = spec(serde_json::json!({
            "region": "us-west-2",
            "resourceId": [{"inferenceComponentName": "ic"}],
            "minCapacity": 0,
            "maxCapacity": 3,
            "targetTrackingScalingPolicyConfiguration": {"targetValue": 5.0,
                "predefinedMetricSpecification": {"predefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}}
        }));
        let id = inference_component_resource_id("ic");
        assert_eq!(id, "inference-component/ic");
        let register = register_target_request(&spec, &id).build().unwrap();
        assert_eq!(
            (
                register.resource_id(),
                register.scalable_dimension().unwrap().as_str(),
                register.min_capacity()
            ),
            (
                Some("inference-component/ic"),
                "sagemaker:inference-component:DesiredCopyCount",
                Some(0)
            )
        );
        let put = put_policy_request(&spec, "p", &id)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            put.scalable_dimension().unwrap().as_str(),
            "sagemaker:inference-component:DesiredCopyCount"
        );
        assert_eq!(
            scalable_dimension(&resource_id("e", "v")).as_str(),
            "sagemaker:variant:DesiredInstanceCount"
        );
    }

    #[test]
    fn customized_metric_and_step_scaling() {
        let custom = spec(serde_json::json!({
            "region": "us-west-2",
            "resourceId": [{"endpointName": "e", "variantName": "v"}],
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": 50.5,
                "customizedMetricSpecification": {"metricName": "CPUUtilization", "namespace": "/aws/sagemaker/Endpoints", "statistic": "Average", "unit": "Percent",
                    "dimensions": [{"name": "EndpointName", "value": "e"}, {"name": "VariantName", "value": "v"}]}
            }
        }));
        let input = put_policy_request(&custom, "p", "endpoint/e/variant/v")
            .unwrap()
            .build()
            .unwrap();
        let metric = input
            .target_tracking_scaling_policy_configuration()
            .unwrap()
            .customized_metric_specification()
            .unwrap();
        assert_eq!(metric.metric_name(), Some("CPUUtilization"));
        assert_eq!(metric.statistic().unwrap().as_str(), "Average");
        assert_eq!(metric.dimensions().len(), 2);
        let step = spec(serde_json::json!({
            "region": "us-west-2",
            "resourceId": [{"endpointName": "e", "variantName": "v"}],
            "policyType": "StepScaling",
            "stepScalingPolicyConfiguration": {"adjustmentType": "ChangeInCapacity", "cooldown": 120, "metricAggregationType": "Average",
                "stepAdjustments": [{"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 100, "scalingAdjustment": 1}, {"metricIntervalLowerBound": 100, "scalingAdjustment": 3}]}
        }));
        let input = put_policy_request(&step, "p", "endpoint/e/variant/v")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(input.policy_type().unwrap().as_str(), "StepScaling");
        let config = input.step_scaling_policy_configuration().unwrap();
        assert_eq!(config.step_adjustments().len(), 2);
        assert_eq!(config.step_adjustments()[1].scaling_adjustment(), 3);
        assert_eq!(
            config.adjustment_type().unwrap().as_str(),
            "ChangeInCapacity"
        );
        assert!(
            input
                .target_tracking_scaling_policy_configuration()
                .is_none()
        );
    }
}
