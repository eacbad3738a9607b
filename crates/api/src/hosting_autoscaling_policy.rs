//! `HostingAutoscalingPolicy`: Application Auto Scaling of SageMaker endpoint variants or
//! inference components — the scalable targets (RegisterScalableTarget) and one scaling policy on
//! each (PutScalingPolicy).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{ENDPOINT_URL_PATTERN, KeyValuePair, NAME_PATTERN};

/// The scalable dimension of a SageMaker endpoint variant.
pub const DESIRED_INSTANCE_COUNT: &str = "sagemaker:variant:DesiredInstanceCount";
/// The scalable dimension of a SageMaker inference component.
pub const DESIRED_COPY_COUNT: &str = "sagemaker:inference-component:DesiredCopyCount";

/// Desired state of a HostingAutoscalingPolicy: which endpoint variants scale, within which
/// capacity, by which policy.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "HostingAutoscalingPolicy",
    plural = "hostingautoscalingpolicies",
    shortname = "hap",
    namespaced,
    status = "HostingAutoscalingPolicyStatus",
    category = "sagemaker",
    doc = "Application Auto Scaling of SageMaker endpoint variants managed from Kubernetes: the operator registers each variant as a scalable target, puts the scaling policy on it, follows spec changes and removes both when the object is deleted.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.hostingAutoscalingPolicyStatus",
        description = "Creating, Created, Updating, Deleting or Error"
    ),
    printcolumn(
        name = "CREATION-TIME",
        // `string`, not `date`: users of the original see the timestamp, not an age.
        type_ = "string",
        json_path = ".metadata.creationTimestamp",
        description = "When the object was created"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "!has(self.policyType) || self.policyType != 'StepScaling' || has(self.stepScalingPolicyConfiguration)",
        "message": "policyType StepScaling needs stepScalingPolicyConfiguration"
    },
    {
        "rule": "(has(self.policyType) && self.policyType == 'StepScaling') || has(self.targetTrackingScalingPolicyConfiguration)",
        "message": "policyType TargetTrackingScaling (the default) needs targetTrackingScalingPolicyConfiguration"
    },
    {
        "rule": "self.resourceId.all(r, has(r.inferenceComponentName)) || self.resourceId.all(r, !has(r.inferenceComponentName))",
        "message": "spec.resourceId mixes endpoint variants and inference components: one policy scales one kind of target"
    },
    {
        "rule": "!has(self.scalableDimension) || (self.scalableDimension == 'sagemaker:inference-component:DesiredCopyCount') == self.resourceId.all(r, has(r.inferenceComponentName))",
        "message": "spec.scalableDimension must be sagemaker:inference-component:DesiredCopyCount for inference components and sagemaker:variant:DesiredInstanceCount for endpoint variants"
    },
    {
        "rule": "!has(self.minCapacity) || self.minCapacity >= 1 || self.resourceId.all(r, has(r.inferenceComponentName))",
        "message": "spec.minCapacity 0 is for inference components only (they scale to zero copies); endpoint variants keep at least 1 instance"
    },
    {
        "rule": "!has(self.minCapacity) || !has(self.maxCapacity) || self.minCapacity <= self.maxCapacity",
        "message": "minCapacity must not be greater than maxCapacity"
    },
    {
        "rule": "has(self.applicationAutoscalingEndpoint) == has(oldSelf.applicationAutoscalingEndpoint) && (!has(self.applicationAutoscalingEndpoint) || self.applicationAutoscalingEndpoint == oldSelf.applicationAutoscalingEndpoint)",
        "message": "spec.applicationAutoscalingEndpoint cannot be set, changed or removed after creation: the scalable targets stay where they were registered. Delete this object and create a new one."
    }
]))]
pub struct HostingAutoscalingPolicySpec {
    /// What scales, 1 to 20: endpoint variants (`endpointName` is the SageMaker endpoint, or the
    /// name of a HostingDeployment in the same namespace, whose endpoint is meant) or inference
    /// components (`inferenceComponentName`), not both.
    #[serde(rename = "resourceId")]
    #[schemars(length(min = 1, max = 20))]
    pub resource_id: Vec<AutoscalingResource>,
    /// Fewest instances each variant scales in to, at least 1; or fewest copies of each
    /// inference component, at least 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_capacity: Option<i32>,
    /// Most instances (or inference component copies) each target scales out to, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_capacity: Option<i32>,
    /// What scales: `sagemaker:variant:DesiredInstanceCount` for endpoint variants,
    /// `sagemaker:inference-component:DesiredCopyCount` for inference components; by default the
    /// one that fits `resourceId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(
        r"^sagemaker:(variant:DesiredInstanceCount|inference-component:DesiredCopyCount)$"
    ))]
    pub scalable_dimension: Option<String>,
    /// The Application Auto Scaling service namespace: `sagemaker` (the default and only value).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^sagemaker$"))]
    pub service_namespace: Option<String>,
    /// Name of the scaling policy, 1 to 256 characters; derived from the object's name and UID
    /// when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub policy_name: Option<String>,
    /// `TargetTrackingScaling` (the default) or `StepScaling`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<PolicyType>,
    /// Keeps a metric at a target value (for `TargetTrackingScaling`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_tracking_scaling_policy_configuration:
        Option<TargetTrackingScalingPolicyConfiguration>,
    /// Changes capacity in steps by how far a CloudWatch alarm's metric is off (for
    /// `StepScaling`; the alarm that triggers the policy is yours to create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_scaling_policy_configuration: Option<StepScalingPolicyConfiguration>,
    /// Suspends scaling in, out, or scheduled scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
    /// AWS region of the endpoints, for example `us-east-2`. Fixed at creation.
    #[schemars(length(min = 1))]
    pub region: String,
    /// SageMaker API endpoint URL overriding the region's default (for looking at the
    /// endpoints). The operator calls only `https://` endpoints on AWS domains, its own default
    /// endpoint and what its `--allowed-sagemaker-endpoint` flag names. Fixed at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ENDPOINT_URL_PATTERN))]
    pub sage_maker_endpoint: Option<String>,
    /// Application Auto Scaling API endpoint URL overriding the region's default, under the same
    /// rules as `sageMakerEndpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ENDPOINT_URL_PATTERN))]
    pub application_autoscaling_endpoint: Option<String>,
}

/// One scaling target: an endpoint variant (`endpointName` and `variantName`) or an inference
/// component (`inferenceComponentName`).
#[derive(
    Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.inferenceComponentName) ? !has(self.endpointName) && !has(self.variantName) : has(self.endpointName) && has(self.variantName)",
    "message": "each resourceId names an endpoint variant (endpointName and variantName) or an inference component (inferenceComponentName)"
}]))]
pub struct AutoscalingResource {
    /// The SageMaker endpoint, or a HostingDeployment's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub endpoint_name: Option<String>,
    /// The production variant of that endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub variant_name: Option<String>,
    /// A SageMaker inference component (instead of an endpoint variant), or the name of an
    /// InferenceComponent object in the same namespace (its inference component is meant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub inference_component_name: Option<String>,
}

/// The kind of scaling policy.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default, JsonSchema)]
pub enum PolicyType {
    #[default]
    TargetTrackingScaling,
    StepScaling,
}

/// A target-tracking policy: Application Auto Scaling adds or removes instances to keep the
/// metric near `targetValue`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.predefinedMetricSpecification) != has(self.customizedMetricSpecification)",
    "message": "set exactly one of predefinedMetricSpecification and customizedMetricSpecification"
}]))]
pub struct TargetTrackingScalingPolicyConfiguration {
    /// The value the metric is kept at (for `SageMakerVariantInvocationsPerInstance`:
    /// invocations per instance per minute).
    pub target_value: f64,
    /// A metric SageMaker publishes, for example `SageMakerVariantInvocationsPerInstance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predefined_metric_specification: Option<PredefinedMetricSpecification>,
    /// A CloudWatch metric of your own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customized_metric_specification: Option<CustomizedMetricSpecification>,
    /// Seconds after a scale-out before the next one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_out_cooldown: Option<i32>,
    /// Seconds after a scaling activity before a scale-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub scale_in_cooldown: Option<i32>,
    /// Never scale in (only out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}

/// A metric SageMaker publishes for target tracking.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PredefinedMetricSpecification {
    /// `SageMakerVariantInvocationsPerInstance` (or another SageMaker predefined metric type).
    #[schemars(length(min = 1))]
    pub predefined_metric_type: String,
    /// The resource label, for metric types that need one, 1 to 1023 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1023))]
    pub resource_label: Option<String>,
}

/// A CloudWatch metric of your own for target tracking.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomizedMetricSpecification {
    /// The metric's name.
    #[schemars(length(min = 1))]
    pub metric_name: String,
    /// The metric's namespace, for example `/aws/sagemaker/Endpoints`.
    #[schemars(length(min = 1))]
    pub namespace: String,
    /// `Average`, `Minimum`, `Maximum`, `SampleCount` or `Sum`.
    pub statistic: MetricStatistic,
    /// The metric's unit, for example `Percent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The metric's dimensions as `{name, value}` pairs (for example `EndpointName`,
    /// `VariantName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Vec<KeyValuePair>>,
}

/// CloudWatch statistics.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum MetricStatistic {
    Average,
    Minimum,
    Maximum,
    SampleCount,
    Sum,
}

/// A step-scaling policy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepScalingPolicyConfiguration {
    /// How `scalingAdjustment` is read: `ChangeInCapacity`, `PercentChangeInCapacity` or
    /// `ExactCapacity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustment_type: Option<AdjustmentType>,
    /// The steps, by how far the alarm's metric is from its threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_adjustments: Option<Vec<StepAdjustment>>,
    /// For `PercentChangeInCapacity`: the fewest instances to add or remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_adjustment_magnitude: Option<i32>,
    /// Seconds after a scaling activity before the next.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cooldown: Option<i32>,
    /// How the alarm's metric is aggregated: `Average`, `Minimum` or `Maximum`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_aggregation_type: Option<MetricAggregationType>,
}

/// How a step's `scalingAdjustment` is read.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum AdjustmentType {
    ChangeInCapacity,
    PercentChangeInCapacity,
    ExactCapacity,
}

/// Aggregation of a step-scaling alarm's metric.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum MetricAggregationType {
    Average,
    Minimum,
    Maximum,
}

/// One step of a step-scaling policy, applied while the metric's distance from the alarm
/// threshold is in `[metricIntervalLowerBound, metricIntervalUpperBound)`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepAdjustment {
    /// Lower bound of the interval (none: minus infinity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_interval_lower_bound: Option<f64>,
    /// Upper bound of the interval (none: plus infinity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_interval_upper_bound: Option<f64>,
    /// Instances (or percent) to add, negative to remove, or the exact capacity.
    pub scaling_adjustment: i32,
}

/// Scaling that is suspended.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedState {
    /// No scale-in by scaling policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_scaling_in_suspended: Option<bool>,
    /// No scale-out by scaling policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_scaling_out_suspended: Option<bool>,
    /// No scheduled scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_scaling_suspended: Option<bool>,
}

/// One scalable target the operator registered, and the policy on it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedPolicy {
    /// The Application Auto Scaling resource id, `endpoint/<endpoint>/variant/<variant>`.
    pub resource_id: String,
    /// ARN of the scaling policy on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_arn: Option<String>,
}

/// Observed state of a HostingAutoscalingPolicy, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: Some("What the operator waits for, or the error it met."),
    last_check_time: "When the operator last checked the targets and policies.",
})]
pub struct HostingAutoscalingPolicyStatus {
    /// `Creating` (waiting for the endpoints or registering), `Created`, `Updating` (applying a
    /// spec change), `Deleting` or `Error` (see `additional`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosting_autoscaling_policy_status: Option<String>,
    /// Name of the scaling policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// The scalable targets and the ARN of the policy on each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<AppliedPolicy>>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}
