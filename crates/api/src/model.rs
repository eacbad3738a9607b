//! `Model`: a SageMaker model (the CreateModel request shape).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{ContainerDefinition, ENDPOINT_URL_PATTERN, ROLE_ARN_PATTERN, Tag, VpcConfig};

/// Desired state of a Model: the CreateModel request SageMaker receives, plus the region and
/// endpoint to send it to. The operator names the SageMaker model after the object.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "Model",
    plural = "models",
    namespaced,
    status = "ModelStatus",
    category = "sagemaker",
    doc = "A SageMaker model managed from Kubernetes: the operator creates it in SageMaker and deletes it with the object.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.status",
        description = "Whether the model exists in SageMaker"
    ),
    printcolumn(
        name = "SAGEMAKER-MODEL-NAME",
        type_ = "string",
        json_path = ".status.sageMakerModelName",
        description = "Name of the model in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
pub struct ModelSpec {
    /// The inference container of a single-container model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_container: Option<ContainerDefinition>,
    /// The containers of an inference pipeline, at most 15 (instead of `primaryContainer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 15))]
    pub containers: Option<Vec<ContainerDefinition>>,
    /// How the containers of a pipeline are invoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_execution_config: Option<InferenceExecutionConfig>,
    /// ARN of the IAM role SageMaker assumes to pull the image and artifacts, 20 to 2048
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub execution_role_arn: Option<String>,
    /// VPC the model's containers connect to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
    /// Isolates the model's containers from the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    /// Tags SageMaker attaches to the model, at most 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// AWS region of the model, for example `us-east-2`. Fixed at creation.
    #[schemars(length(min = 1))]
    pub region: String,
    /// SageMaker API endpoint URL overriding the region's default (for example a VPC
    /// endpoint). The operator calls only `https://` endpoints on AWS domains, its own default
    /// endpoint and what its `--allowed-sagemaker-endpoint` flag names. Fixed at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ENDPOINT_URL_PATTERN))]
    pub sage_maker_endpoint: Option<String>,
}

/// How the containers of an inference pipeline are invoked: `Serial` (one after the other) or
/// `Direct` (each on its own).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum InferenceExecutionMode {
    Serial,
    Direct,
}

/// Invocation of a pipeline's containers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InferenceExecutionConfig {
    /// `Serial` or `Direct`.
    pub mode: InferenceExecutionMode,
}

/// Observed state of a Model, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: None,
    last_check_time: "When the operator last read the model from SageMaker.",
})]
pub struct ModelStatus {
    /// Whether the model exists in SageMaker (`Created`), is being handled
    /// (`SynchronizingK8sJobWithSageMaker`) or could not be created (`Failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Name of the model in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sage_maker_model_name: Option<String>,
    /// ARN of the model in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_arn: Option<String>,
    /// The same time as `lastCheckTime`, under the name the original operator wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}
