//! `HostingDeployment`: a SageMaker real-time endpoint together with the models and endpoint
//! configuration behind it. The operator creates the models (CreateModel), an endpoint
//! configuration (CreateEndpointConfig) and the endpoint (CreateEndpoint / UpdateEndpoint).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{
    ContainerDefinition, ENDPOINT_URL_PATTERN, KeyValuePair, NAME_PATTERN, ProductionVariant,
    ROLE_ARN_PATTERN, Tag, VpcConfig,
};

/// Desired state of a HostingDeployment: the endpoint's production variants, the models they
/// serve and the containers of those models.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "HostingDeployment",
    plural = "hostingdeployments",
    namespaced,
    status = "HostingDeploymentStatus",
    category = "sagemaker",
    doc = "A SageMaker real-time inference endpoint managed from Kubernetes: the operator creates its models, endpoint configuration and endpoint, updates the endpoint when the spec changes and deletes everything with the object.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.endpointStatus",
        description = "SageMaker endpoint status"
    ),
    printcolumn(
        name = "SAGEMAKER-ENDPOINT-NAME",
        type_ = "string",
        json_path = ".status.endpointName",
        description = "Name of the endpoint in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location_and_endpoint_name)]
pub struct HostingDeploymentSpec {
    /// Name of the endpoint in SageMaker, up to 63 alphanumerics or hyphens. When left out the
    /// operator derives a unique name from the object's name and UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub endpoint_name: Option<String>,
    /// The endpoint's production variants, 1 to 10; each `modelName` names an entry of
    /// `models`.
    #[schemars(length(min = 1, max = 10))]
    pub production_variants: Vec<ProductionVariant>,
    /// The models the variants serve, at most 10; each lists the `containers` it runs, by
    /// hostname or defined in place.
    #[schemars(length(min = 1, max = 10))]
    pub models: Vec<HostingModel>,
    /// Containers that `models[].containers` and `models[].primaryContainer` refer to by
    /// `containerHostname`, at most 150. Not needed when the models define their containers in
    /// place.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 150))]
    pub containers: Option<Vec<ContainerDefinition>>,
    /// KMS key that encrypts the storage volumes of the endpoint's instances, at most 2048
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// Tags SageMaker attaches to the endpoint, its configuration and models, at most 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// On update, keeps the variant properties (instance count, weight) the running endpoint
    /// has instead of those in the new configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_all_variant_properties: Option<bool>,
    /// On update with `retainAllVariantProperties`, the properties taken from the new
    /// configuration anyway: `DesiredInstanceCount`, `DesiredWeight` or `DataCaptureConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 3))]
    pub exclude_retained_variant_properties: Option<Vec<VariantProperty>>,
    /// AWS region of the endpoint, for example `us-east-2`. Fixed at creation.
    #[schemars(length(min = 1))]
    pub region: String,
    /// SageMaker API endpoint URL overriding the region's default (for example a VPC
    /// endpoint). The operator calls only `https://` endpoints on AWS domains, its own default
    /// endpoint and what its `--allowed-sagemaker-endpoint` flag names. Fixed at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ENDPOINT_URL_PATTERN))]
    pub sage_maker_endpoint: Option<String>,
}

/// A model of a HostingDeployment. Its containers are either defined in place in `containers`
/// (as the original operator's releases have it) or defined once in the spec's `containers` list
/// and referred to here by hostname (as the user guide has it); both shapes may be mixed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostingModel {
    /// Name production variants use to refer to this model, up to 63 alphanumerics or hyphens.
    #[schemars(length(max = 63), pattern(NAME_PATTERN))]
    pub name: String,
    /// ARN of the IAM role SageMaker assumes to pull the model's images and artifacts, 20 to
    /// 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub execution_role_arn: Option<String>,
    /// `containerHostname` of the container that serves the model: one of `containers`, or an
    /// entry of the spec's `containers`. With several containers it leads the inference
    /// pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63), pattern(NAME_PATTERN))]
    pub primary_container: Option<String>,
    /// The model's containers (an inference pipeline when more than one), at most 15. Each entry
    /// is either a string, the `containerHostname` of an entry of the spec's `containers`, or a
    /// container definition in place (`containerHostname`, `image`, `modelDataUrl`,
    /// `environment`, `mode`, `imageConfig`, `modelPackageName`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 15))]
    pub containers: Option<Vec<ModelContainer>>,
    /// Isolates the model's containers from the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    /// VPC the model's containers connect to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
}

/// One container of a HostingDeployment model: a hostname referring to an entry of the spec's
/// `containers`, or the container defined in place.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelContainer {
    /// `containerHostname` of an entry of the spec's `containers`.
    Hostname(String),
    /// A container defined in place (boxed: it is much larger than the other variants).
    Inline(Box<ContainerDefinition>),
    /// Neither (a number, a misspelled field, …): kept as written so that one bad entry cannot
    /// stop the operator from reading every HostingDeployment; the operator reports it on the
    /// object, naming the entry.
    Invalid {
        value: serde_json::Value,
        problem: String,
    },
}

impl ModelContainer {
    /// The container's hostname: the reference itself, or the inline definition's
    /// `containerHostname`.
    pub fn hostname(&self) -> Option<&str> {
        match self {
            ModelContainer::Hostname(hostname) => Some(hostname),
            ModelContainer::Inline(container) => container.container_hostname.as_deref(),
            ModelContainer::Invalid { .. } => None,
        }
    }
}

/// The fields an inline container may carry. The CRD keeps unknown fields of this node (a
/// "string or object" node must), so the operator rejects misspellings instead of ignoring
/// them.
pub const INLINE_CONTAINER_FIELDS: &[&str] = &[
    "containerHostname",
    "image",
    "imageConfig",
    "mode",
    "modelDataUrl",
    "modelDataSource",
    "additionalModelDataSources",
    "environment",
    "modelPackageName",
    "modelPackageRef",
    "inferenceSpecificationName",
    "multiModelConfig",
];

impl Serialize for ModelContainer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ModelContainer::Hostname(hostname) => serializer.serialize_str(hostname),
            ModelContainer::Inline(container) => container.serialize(serializer),
            ModelContainer::Invalid { value, .. } => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ModelContainer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(match value {
            serde_json::Value::String(hostname) => ModelContainer::Hostname(hostname),
            serde_json::Value::Object(ref fields) => {
                let unknown: Vec<&str> = fields
                    .keys()
                    .map(String::as_str)
                    .filter(|field| !INLINE_CONTAINER_FIELDS.contains(field))
                    .collect();
                if !unknown.is_empty() {
                    let problem = format!(
                        "unknown field(s) {} (an inline container has {})",
                        unknown.join(", "),
                        INLINE_CONTAINER_FIELDS.join(", ")
                    );
                    return Ok(ModelContainer::Invalid { value, problem });
                }
                match serde_json::from_value::<ContainerDefinition>(value.clone()) {
                    Ok(container) => ModelContainer::Inline(Box::new(container)),
                    Err(error) => ModelContainer::Invalid {
                        value,
                        problem: error.to_string(),
                    },
                }
            }
            other => ModelContainer::Invalid {
                value: other,
                problem:
                    "must be a containerHostname (a string) or a container definition (an object)"
                        .to_string(),
            },
        })
    }
}

impl JsonSchema for ModelContainer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ModelContainer".into()
    }

    /// A structural schema cannot say "string or object" (`anyOf` may not carry types), so the
    /// node has no `type` and keeps unknown fields, which the apiserver allows. The value
    /// validations still apply by the value's type: `pattern`/`maxLength` to a hostname string,
    /// `properties` and the `anyOf` of `required` (image, or a model package by name or
    /// reference, as SageMaker requires) to an inline definition; `properties` also document it for `kubectl explain`.
    /// A node without `type` cannot carry CEL rules (the apiserver cannot declare a CEL type for
    /// it), so the references between hostnames and `spec.containers` are checked by the
    /// operator, which reports them on the object.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = ContainerDefinition::json_schema(generator);
        let object = schema.ensure_object();
        object.remove("type");
        object.remove("x-kubernetes-validations");
        object.insert(
            "description".into(),
            "A container of the model: either a string, the `containerHostname` of an entry of the spec's `containers` (up to 63 alphanumerics or hyphens), or a container definition in place with the fields below, which needs `image`, `modelPackageName` or `modelPackageRef`.".into(),
        );
        object.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
        object.insert("maxLength".into(), 63.into());
        object.insert("pattern".into(), NAME_PATTERN.into());
        object.insert(
            "anyOf".into(),
            serde_json::json!([
                {"required": ["image"]},
                {"required": ["modelPackageName"]},
                {"required": ["modelPackageRef"]}
            ]),
        );
        schema
    }
}

/// A variant property an endpoint update may take from the new configuration.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariantProperty {
    /// `DesiredInstanceCount`, `DesiredWeight` or `DataCaptureConfig`.
    pub variant_property_type: VariantPropertyType,
}

/// A variant property: `DesiredInstanceCount`, `DesiredWeight` or `DataCaptureConfig`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum VariantPropertyType {
    DesiredInstanceCount,
    DesiredWeight,
    DataCaptureConfig,
}

/// Observed state of a HostingDeployment, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: None,
    last_check_time: "When the operator last read the endpoint from SageMaker.",
})]
pub struct HostingDeploymentStatus {
    /// SageMaker's EndpointStatus (`Creating`, `InService`, `Updating`, `Failed`, …), or
    /// `SynchronizingK8sJobWithSageMaker` / `ReconcilingEndpoint` while the operator works on
    /// it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_status: Option<String>,
    /// Name of the endpoint in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_name: Option<String>,
    /// Name of the endpoint configuration in SageMaker the endpoint uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_config_name: Option<String>,
    /// ARN of the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_arn: Option<String>,
    /// HTTPS URL to invoke the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// When SageMaker created the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<Time>,
    /// When the endpoint last changed in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<Time>,
    /// Why a create, update or delete failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The spec's model names (`name`) mapped to SageMaker model names (`value`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_names: Option<Vec<KeyValuePair>>,
    /// Current state of each production variant of the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_variants: Option<Vec<ProductionVariantSummary>>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}

/// Current state of one production variant of an endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariantSummary {
    /// Name of the variant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_name: Option<String>,
    /// The images the variant runs, as specified and as resolved to digests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed_images: Option<Vec<DeployedImage>>,
    /// Share of the traffic the variant receives now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_weight: Option<f64>,
    /// Share of the traffic the variant should receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_weight: Option<f64>,
    /// Number of instances running now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_instance_count: Option<i64>,
    /// Number of instances that should run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_instance_count: Option<i64>,
}

/// An image a production variant runs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeployedImage {
    /// The image as given in the container definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specified_image: Option<String>,
    /// The image digest SageMaker resolved it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_image: Option<String>,
    /// When SageMaker resolved the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution_time: Option<Time>,
}
