//! `EndpointConfig`: a SageMaker endpoint configuration (the CreateEndpointConfig request shape).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{
    ENDPOINT_URL_PATTERN, ProductionVariant, ROLE_ARN_PATTERN, S3_URI_PATTERN, Tag, VpcConfig,
};

/// Desired state of an EndpointConfig: the CreateEndpointConfig request SageMaker receives,
/// plus the region and endpoint to send it to. The operator names the SageMaker endpoint
/// configuration after the object.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "EndpointConfig",
    plural = "endpointconfigs",
    namespaced,
    status = "EndpointConfigStatus",
    category = "sagemaker",
    doc = "A SageMaker endpoint configuration managed from Kubernetes: the operator creates it in SageMaker and deletes it with the object.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.status",
        description = "Whether the endpoint configuration exists in SageMaker"
    ),
    printcolumn(
        name = "SAGEMAKER-ENDPOINTCONFIG-NAME",
        type_ = "string",
        json_path = ".status.sageMakerEndpointConfigName",
        description = "Name of the endpoint configuration in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
pub struct EndpointConfigSpec {
    /// The models an endpoint serves, each on its own instances, 1 to 10.
    #[schemars(length(min = 1, max = 10))]
    pub production_variants: Vec<EndpointConfigProductionVariant>,
    /// Captures requests and responses of the endpoint to S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_capture_config: Option<DataCaptureConfig>,
    /// KMS key that encrypts the storage volumes of the endpoint's instances, at most 2048
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// Makes the endpoint asynchronous: requests are queued and results written to S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub async_inference_config: Option<AsyncInferenceConfig>,
    /// CloudWatch metrics the endpoint publishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_config: Option<MetricsConfig>,
    /// Online explainability (SageMaker Clarify) of the endpoint's predictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explainer_config: Option<ExplainerConfig>,
    /// Variants that receive a copy of the live traffic without answering it, 1 to 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10))]
    pub shadow_production_variants: Option<Vec<EndpointConfigProductionVariant>>,
    /// ARN of the IAM role SageMaker assumes for the endpoint (needed for inference
    /// components), 20 to 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub execution_role_arn: Option<String>,
    /// VPC the endpoint's instances connect to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
    /// Isolates the endpoint's containers from the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    /// Tags SageMaker attaches to the endpoint configuration, at most 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// AWS region of the endpoint configuration, for example `us-east-2`. Fixed at creation.
    #[schemars(length(min = 1))]
    pub region: String,
    /// SageMaker API endpoint URL overriding the region's default (for example a VPC
    /// endpoint). The operator calls only `https://` endpoints on AWS domains, its own default
    /// endpoint and what its `--allowed-sagemaker-endpoint` flag names. Fixed at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ENDPOINT_URL_PATTERN))]
    pub sage_maker_endpoint: Option<String>,
}

/// One model served by an endpoint on a set of instances, with its share of the traffic. It
/// names its model by `modelName` or `modelRef`, not both (a variant of an endpoint that hosts
/// inference components names none).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!(has(self.modelName) && has(self.modelRef))",
    "message": "a production variant names its model by modelName or modelRef, not both",
}]))]
pub struct EndpointConfigProductionVariant {
    #[serde(flatten)]
    pub variant: ProductionVariant,
    /// A Model object of this namespace whose SageMaker model the variant serves, instead of
    /// `modelName`. The endpoint configuration is created once that Model is `Created`, with
    /// its SageMaker name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_ref: Option<ModelRef>,
}

/// A Model object in the namespace of the object that names it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelRef {
    /// Name of the Model object.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Which side of an invocation is captured: `Input`, `Output` or `InputAndOutput`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum CaptureMode {
    Input,
    Output,
    InputAndOutput,
}

/// One side of the invocations to capture.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureOption {
    /// `Input`, `Output` or `InputAndOutput`.
    pub capture_mode: CaptureMode,
}

/// Content types that are captured as text instead of base64.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureContentTypeHeader {
    /// CSV content types, 1 to 10, each at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10), inner(length(min = 1, max = 256)))]
    pub csv_content_types: Option<Vec<String>>,
    /// JSON content types, 1 to 10, each at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10), inner(length(min = 1, max = 256)))]
    pub json_content_types: Option<Vec<String>>,
}

/// Capture of an endpoint's requests and responses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataCaptureConfig {
    /// Turns capturing on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_capture: Option<bool>,
    /// Percentage of the requests captured, 0 to 100.
    #[schemars(range(min = 0, max = 100))]
    pub initial_sampling_percentage: i32,
    /// S3 prefix of the captured data, at most 512 characters.
    #[schemars(length(max = 512), pattern(S3_URI_PATTERN))]
    pub destination_s3_uri: String,
    /// KMS key that encrypts the captured data, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// What to capture, 1 or 2 entries.
    #[schemars(length(min = 1, max = 2))]
    pub capture_options: Vec<CaptureOption>,
    /// Content types captured as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_content_type_header: Option<CaptureContentTypeHeader>,
}

/// Client side settings of an asynchronous endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInferenceClientConfig {
    /// Most concurrent requests per instance, 1 to 1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_concurrent_invocations_per_instance: Option<i32>,
}

/// Amazon SNS topics told about finished asynchronous requests.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInferenceNotificationConfig {
    /// SNS topic ARN notified of successful requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub success_topic: Option<String>,
    /// SNS topic ARN notified of failed requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub error_topic: Option<String>,
    /// Notifications that carry the response body: `SUCCESS_NOTIFICATION_TOPIC` and/or
    /// `ERROR_NOTIFICATION_TOPIC`, at most 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 2),
        inner(pattern(r"^(SUCCESS_NOTIFICATION_TOPIC|ERROR_NOTIFICATION_TOPIC)$"))
    )]
    pub include_inference_response_in: Option<Vec<String>>,
}

/// Where an asynchronous endpoint writes results.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInferenceOutputConfig {
    /// KMS key that encrypts the results, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// S3 prefix of successful results, at most 512 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512), pattern(S3_URI_PATTERN))]
    pub s3_output_path: Option<String>,
    /// SNS notifications of finished requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_config: Option<AsyncInferenceNotificationConfig>,
    /// S3 prefix of failed requests' errors, at most 512 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512), pattern(S3_URI_PATTERN))]
    pub s3_failure_path: Option<String>,
}

/// Settings of an asynchronous endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncInferenceConfig {
    /// Client side settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_config: Option<AsyncInferenceClientConfig>,
    /// Where results go.
    pub output_config: AsyncInferenceOutputConfig,
}

/// CloudWatch metrics of an endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsConfig {
    /// Publishes utilization and invocation metrics per instance and container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_enhanced_metrics: Option<bool>,
    /// Publishes container, GPU and host metrics at `metricPublishFrequencyInSeconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_detailed_observability: Option<bool>,
    /// Publishing interval in seconds: 10, 30, 60 (default), 120, 180, 240 or 300.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 300))]
    pub metric_publish_frequency_in_seconds: Option<i32>,
}

/// Online explainability settings of an endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExplainerConfig {
    /// SageMaker Clarify explainer settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clarify_explainer_config: Option<ClarifyExplainerConfig>,
}

/// SageMaker Clarify explainer settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClarifyExplainerConfig {
    /// A JMESPath boolean expression deciding per request whether to explain it, 1 to 64
    /// characters (for example `` `true` ``).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub enable_explanations: Option<String>,
    /// How the explainer talks to the model container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<ClarifyInferenceConfig>,
    /// Settings of the SHAP analysis.
    pub shap_config: ClarifyShapConfig,
}

/// How the Clarify explainer builds requests to the model container and reads its responses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClarifyInferenceConfig {
    /// JMESPath locating the features in a JSON Lines request, at most 63 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub features_attribute: Option<String>,
    /// Template of a JSON Lines request with a `$features` placeholder, at most 64 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub content_template: Option<String>,
    /// Most records per request, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_record_count: Option<i32>,
    /// Largest request payload in MB, 0 to 25.
    #[serde(rename = "maxPayloadInMB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 25))]
    pub max_payload_in_mb: Option<i32>,
    /// Zero-based index of the probability in a CSV response.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub probability_index: Option<i32>,
    /// Zero-based index of the label in a CSV response.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub label_index: Option<i32>,
    /// JMESPath locating the probability in a JSON response, at most 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub probability_attribute: Option<String>,
    /// JMESPath locating the label in a JSON response, at most 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub label_attribute: Option<String>,
    /// Names of the labels the model predicts, 1 to 16.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16), inner(length(min = 1, max = 64)))]
    pub label_headers: Option<Vec<String>>,
    /// Names of the features, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(length(min = 1, max = 64)))]
    pub feature_headers: Option<Vec<String>>,
    /// Type of each feature: `numerical` or `text`, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(pattern(r"^(numerical|text)$")))]
    pub feature_types: Option<Vec<String>>,
}

/// Baseline of the SHAP analysis.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClarifyShapBaselineConfig {
    /// Format of the baseline: `text/csv` or `application/jsonlines`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255))]
    pub mime_type: Option<String>,
    /// The baseline records inline, at most 4096 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 4096))]
    pub shap_baseline: Option<String>,
    /// S3 location of the baseline file, at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub shap_baseline_uri: Option<String>,
}

/// Text handling of the SHAP analysis.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClarifyTextConfig {
    /// Language of the text features as an ISO 639-1 code (for example `en`) or `xx` for
    /// multilingual.
    #[schemars(length(min = 2, max = 2))]
    pub language: String,
    /// Unit the explanations are computed for: `token`, `sentence` or `paragraph`.
    #[schemars(pattern(r"^(token|sentence|paragraph)$"))]
    pub granularity: String,
}

/// Settings of the SHAP analysis.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClarifyShapConfig {
    /// The baseline SHAP values are computed against.
    pub shap_baseline_config: ClarifyShapBaselineConfig,
    /// Number of samples of the Kernel SHAP algorithm, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub number_of_samples: Option<i32>,
    /// Applies the logit function to the model's predictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_logit: Option<bool>,
    /// Seed of the sampling, for reproducible explanations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i32>,
    /// Text handling, for models with text features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_config: Option<ClarifyTextConfig>,
}

/// Observed state of an EndpointConfig, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: None,
    last_check_time: "When the operator last read the endpoint configuration from SageMaker.",
})]
pub struct EndpointConfigStatus {
    /// Whether the endpoint configuration exists in SageMaker (`Created`), is being handled
    /// (`SynchronizingK8sJobWithSageMaker`) or could not be created (`Failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Name of the endpoint configuration in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sage_maker_endpoint_config_name: Option<String>,
    /// ARN of the endpoint configuration in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_config_arn: Option<String>,
    /// The same time as `lastCheckTime`, under the name the original operator wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}
