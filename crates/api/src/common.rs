//! Shapes shared by several kinds: key/value lists, tags, VPC settings, the S3 and training
//! building blocks reused by TrainingJob and HyperparameterTuningJob, container and production
//! variant definitions reused by Model, EndpointConfig and HostingDeployment.
//!
//! Field names are the camelCase of the SageMaker API member names, spelled the way the original
//! operator exposed them (`s3Uri`, `volumeSizeInGB`), so existing manifests apply unchanged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// SageMaker resource names (jobs, models, endpoints, configs): 1–63 alphanumerics or hyphens,
/// starting and ending with an alphanumeric.
pub const NAME_PATTERN: &str = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$";
/// Tuning job names: same alphabet as [`NAME_PATTERN`] but at most 32 characters.
pub const TUNING_JOB_NAME_PATTERN: &str = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$";
/// S3 locations as SageMaker accepts them: `s3://bucket/key` or an `https://` S3 URL.
pub const S3_URI_PATTERN: &str = r"^(https|s3)://([^/]+)/?(.*)$";
/// IAM role ARNs as the SageMaker API reference documents them.
pub const ROLE_ARN_PATTERN: &str = r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$";
/// Custom SageMaker API endpoint URLs.
pub const ENDPOINT_URL_PATTERN: &str = r"^(https|http)://.*$";
/// SageMaker ML instance types (`ml.m5.xlarge`, `ml.p4d.24xlarge`, …). The API's enum grows with
/// every new instance family, so only the `ml.` shape is checked here.
pub const INSTANCE_TYPE_PATTERN: &str = r"^ml\.[a-z0-9]+(\.[a-z0-9-]+)+$";
/// Container image references: any string without whitespace.
pub const IMAGE_PATTERN: &str = r"^[\S]+$";
/// Tag keys and values: Unicode letters, digits, separators and `_ . : / = + - @`.
pub const TAG_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";
/// VPC subnet and security group ids.
pub const VPC_ID_PATTERN: &str = r"^[-0-9a-zA-Z]+$";

/// One entry of a string map (hyperparameters, environment, rule parameters), written as a list
/// item so that YAML written for the original operator applies unchanged.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub struct KeyValuePair {
    /// The key of the entry.
    pub name: String,
    /// The value of the entry. SageMaker takes every value as a string; quote numbers in YAML.
    #[serde(default)]
    pub value: String,
}

impl KeyValuePair {
    /// Builds an entry from anything string-like.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A tag SageMaker attaches to the resource it creates.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub struct Tag {
    /// The tag key, 1 to 128 letters, digits, spaces or `_ . : / = + - @`.
    #[schemars(length(min = 1, max = 128), pattern(TAG_PATTERN))]
    pub key: String,
    /// The tag value, at most 256 letters, digits, spaces or `_ . : / = + - @`.
    #[serde(default)]
    #[schemars(length(max = 256), pattern(TAG_PATTERN))]
    pub value: String,
}

impl Tag {
    /// Builds a tag from anything string-like.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The VPC subnets and security groups SageMaker attaches the resource's instances to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcConfig {
    /// Security group ids (`sg-…`) of the VPC, 1 to 5, each at most 32 characters.
    #[schemars(
        length(min = 1, max = 5),
        inner(length(max = 32), pattern(VPC_ID_PATTERN))
    )]
    pub security_group_ids: Vec<String>,
    /// Subnet ids (`subnet-…`) of the VPC, 1 to 16, each at most 32 characters.
    #[schemars(
        length(min = 1, max = 16),
        inner(length(max = 32), pattern(VPC_ID_PATTERN))
    )]
    pub subnets: Vec<String>,
}

/// How the training container receives a channel's data: `File` copies it to the ML storage
/// volume first, `Pipe` streams it through a Unix pipe, `FastFile` streams S3 objects on demand
/// behind a file system interface.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum TrainingInputMode {
    Pipe,
    File,
    FastFile,
}

/// Compression of input data: `None` or `Gzip`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum CompressionType {
    None,
    Gzip,
}

/// Compression of model artifacts SageMaker uploads: `GZIP` (the default) or `NONE`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum OutputCompressionType {
    #[serde(rename = "GZIP")]
    Gzip,
    #[serde(rename = "NONE")]
    None,
}

/// What an S3 URI names: `S3Prefix` (every object under a key prefix), `ManifestFile` (a JSON
/// manifest listing the objects), `AugmentedManifestFile` (a JSON Lines manifest with labels),
/// `Converse` (conversation-format data for model customization).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum S3DataType {
    ManifestFile,
    S3Prefix,
    AugmentedManifestFile,
    Converse,
}

/// How S3 data is spread over training instances: `FullyReplicated` copies the whole data set to
/// every instance, `ShardedByS3Key` gives each instance a 1/n share of the objects.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum S3DataDistributionType {
    FullyReplicated,
    ShardedByS3Key,
}

/// Record framing SageMaker applies when streaming: `None` or `RecordIO`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RecordWrapperType {
    None,
    RecordIO,
}

/// Access of a training job to a file system: `rw` (read-write) or `ro` (read-only).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum FileSystemAccessMode {
    #[serde(rename = "rw")]
    ReadWrite,
    #[serde(rename = "ro")]
    ReadOnly,
}

/// Kind of file system a training channel reads from: `EFS` or `FSxLustre`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum FileSystemType {
    #[serde(rename = "EFS")]
    Efs,
    #[serde(rename = "FSxLustre")]
    FsxLustre,
}

/// Where SageMaker pulls a private container image from: `Platform` (Amazon ECR) or `Vpc` (a
/// private registry inside your VPC).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RepositoryAccessMode {
    Platform,
    Vpc,
}

// ---------------------------------------------------------------------------------------------
// Training building blocks (CreateTrainingJob, reused by CreateHyperParameterTuningJob).
// ---------------------------------------------------------------------------------------------

/// A regular expression SageMaker applies to the training container's logs to extract a metric.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
pub struct MetricDefinition {
    /// The metric's name, 1 to 255 characters.
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// The regular expression whose first capture group is the metric's value, 1 to 500
    /// characters.
    #[schemars(length(min = 1, max = 500))]
    pub regex: String,
}

/// Credentials for a training image in a private Docker registry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingRepositoryAuthConfig {
    /// ARN of the AWS Lambda function that returns the registry credentials, 1 to 2048
    /// characters.
    #[schemars(length(min = 1, max = 2048))]
    pub training_repository_credentials_provider_arn: String,
}

/// Where a training image lives and how SageMaker authenticates to it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingImageConfig {
    /// `Platform` for Amazon ECR, `Vpc` for a private registry reachable from your VPC.
    pub training_repository_access_mode: RepositoryAccessMode,
    /// Registry credentials, needed only for a private registry that requires authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_repository_auth_config: Option<TrainingRepositoryAuthConfig>,
}

/// Access to a model that requires accepting an end-user license agreement.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelAccessConfig {
    /// Must be `true` to accept the model's end-user license agreement.
    pub accept_eula: bool,
}

/// A SageMaker hub content the data source refers to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HubAccessConfig {
    /// ARN of the hub content, at most 255 characters.
    #[schemars(length(max = 255))]
    pub hub_content_arn: String,
}

/// Training data stored in Amazon S3.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct S3DataSource {
    /// What `s3Uri` names: `S3Prefix`, `ManifestFile`, `AugmentedManifestFile` or `Converse`.
    pub s3_data_type: S3DataType,
    /// The S3 prefix or manifest, `s3://bucket/key` or an https S3 URL, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_uri: String,
    /// `FullyReplicated` (default) or `ShardedByS3Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_data_distribution_type: Option<S3DataDistributionType>,
    /// For an augmented manifest: the JSON attribute names the container receives, at most 16.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16), inner(length(min = 1, max = 256)))]
    pub attribute_names: Option<Vec<String>>,
    /// Instance groups (heterogeneous clusters) that receive this channel, at most 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5), inner(length(min = 1, max = 64)))]
    pub instance_group_names: Option<Vec<String>>,
    /// License acceptance for gated models read from this location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_access_config: Option<ModelAccessConfig>,
    /// Hub content this location belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_access_config: Option<HubAccessConfig>,
}

/// Training data on an Amazon EFS or FSx for Lustre file system.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileSystemDataSource {
    /// The file system id (`fs-…`), at least 11 characters.
    #[schemars(length(min = 11))]
    pub file_system_id: String,
    /// `rw` (read-write) or `ro` (read-only).
    pub file_system_access_mode: FileSystemAccessMode,
    /// `EFS` or `FSxLustre`.
    pub file_system_type: FileSystemType,
    /// Absolute path of the data directory on the file system, at most 4096 characters.
    #[schemars(length(max = 4096))]
    pub directory_path: String,
}

/// A SageMaker dataset used as a training channel.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSource {
    /// ARN of a SageMaker dataset to train on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub dataset_arn: Option<String>,
}

/// Where a channel's data comes from; set exactly one of the sources.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataSource {
    /// Data in Amazon S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_data_source: Option<S3DataSource>,
    /// Data on an Amazon EFS or FSx for Lustre file system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_system_data_source: Option<FileSystemDataSource>,
    /// A SageMaker dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_source: Option<DatasetSource>,
}

/// Shuffling of S3 objects for a channel in `Pipe` or `ShardedByS3Key` mode.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShuffleConfig {
    /// Seed of the shuffle; the same seed gives the same order.
    pub seed: i64,
}

/// One named input channel of a training job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// The channel's name (`train`, `validation`, …), 1 to 64 letters, digits, `.`, `-` or `_`.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9\.\-_]+$"))]
    pub channel_name: String,
    /// Where the channel's data is.
    pub data_source: DataSource,
    /// MIME type of the data (for example `text/csv`), at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub content_type: Option<String>,
    /// `None` (default) or `Gzip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<CompressionType>,
    /// `None` or `RecordIO`; `RecordIO` wraps each record for algorithms that need framing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_wrapper_type: Option<RecordWrapperType>,
    /// Overrides the job's `trainingInputMode` for this channel: `File`, `Pipe` or `FastFile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<TrainingInputMode>,
    /// Shuffles the S3 objects of the channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shuffle_config: Option<ShuffleConfig>,
}

/// Where SageMaker writes the model artifacts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputDataConfig {
    /// KMS key (id, ARN, alias) that encrypts the artifacts at rest, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// S3 prefix for the artifacts, `s3://bucket/prefix` or an https S3 URL, at most 1024
    /// characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_output_path: String,
    /// Compression of the uploaded artifacts: `GZIP` (default) or `NONE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<OutputCompressionType>,
}

/// One group of identical instances in a heterogeneous training cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceGroup {
    /// ML instance type of the group, for example `ml.m5.xlarge`.
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: String,
    /// Number of instances in the group, at least 1.
    #[schemars(range(min = 1))]
    pub instance_count: i32,
    /// Name of the group, 1 to 64 characters.
    #[schemars(length(min = 1, max = 64), pattern(r"^.+$"))]
    pub instance_group_name: String,
}

/// The ML compute instances and storage a training job runs on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceConfig {
    /// ML instance type, for example `ml.m5.xlarge` or `ml.p3.2xlarge`. Leave it out only when
    /// `instanceGroups` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: Option<String>,
    /// Number of instances; more than 1 only for distributed training. At least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub instance_count: Option<i32>,
    /// Size in GB of the ML storage volume attached to each instance, at least 1.
    #[serde(rename = "volumeSizeInGB")]
    #[schemars(range(min = 1))]
    pub volume_size_in_gb: i32,
    /// KMS key that encrypts the ML storage volume, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub volume_kms_key_id: Option<String>,
    /// Seconds to keep the instances warm for a following job (warm pools), 0 to 3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 3600))]
    pub keep_alive_period_in_seconds: Option<i32>,
    /// Instance groups of a heterogeneous cluster (instead of instanceType/instanceCount), at
    /// most 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub instance_groups: Option<Vec<InstanceGroup>>,
    /// ARN of a SageMaker training plan whose reserved capacity the job uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub training_plan_arn: Option<String>,
}

/// Time limits of a training job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppingCondition {
    /// Longest time in seconds the job may train before SageMaker stops it, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_runtime_in_seconds: Option<i64>,
    /// Longest time in seconds a managed spot training job may run including the time it waits
    /// for spot capacity; must be at least `maxRuntimeInSeconds`. At least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_wait_time_in_seconds: Option<i64>,
    /// Longest time in seconds the job may stay pending for capacity, 7200 to 2419200.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 7200, max = 2419200))]
    pub max_pending_time_in_seconds: Option<i64>,
}

/// Where a training job keeps checkpoints so that a spot job can resume.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointConfig {
    /// S3 prefix SageMaker syncs the checkpoints to, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_uri: String,
    /// Directory inside the container where the algorithm writes checkpoints (default
    /// `/opt/ml/checkpoints/`), at most 4096 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub local_path: Option<String>,
}

/// How often SageMaker retries a job that failed with an internal server error.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// Number of retries, 1 to 30.
    #[schemars(range(min = 1, max = 30))]
    pub maximum_retry_attempts: i32,
}

/// Associates the job with a SageMaker Experiments experiment and trial.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentConfig {
    /// Name of an existing experiment, 1 to 120 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 120))]
    pub experiment_name: Option<String>,
    /// Name of an existing trial, 1 to 120 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 120))]
    pub trial_name: Option<String>,
    /// Display name of the trial component, 1 to 120 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 120))]
    pub trial_component_display_name: Option<String>,
    /// Name of the experiment run, 1 to 120 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 120))]
    pub run_name: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Inference building blocks (CreateModel, CreateEndpointConfig; reused by HostingDeployment).
// ---------------------------------------------------------------------------------------------

/// Credentials for an inference image in a private Docker registry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryAuthConfig {
    /// ARN of the AWS Lambda function that returns the registry credentials, 1 to 2048
    /// characters.
    #[schemars(length(min = 1, max = 2048))]
    pub repository_credentials_provider_arn: String,
}

/// Where an inference image lives and how SageMaker authenticates to it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageConfig {
    /// `Platform` for Amazon ECR, `Vpc` for a private registry reachable from your VPC.
    pub repository_access_mode: RepositoryAccessMode,
    /// Registry credentials, needed only for a private registry that requires authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_auth_config: Option<RepositoryAuthConfig>,
}

/// Whether a container hosts one model or many: `SingleModel` or `MultiModel`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ContainerMode {
    SingleModel,
    MultiModel,
}

/// Whether a multi-model container caches models: `Enabled` (default) or `Disabled`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ModelCacheSetting {
    Enabled,
    Disabled,
}

/// Settings of a multi-model container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MultiModelConfig {
    /// `Enabled` (default) or `Disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_cache_setting: Option<ModelCacheSetting>,
}

/// What a model data S3 URI names: `S3Prefix` (uncompressed files under a prefix) or `S3Object`
/// (one object, usually a `.tar.gz`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ModelDataS3DataType {
    S3Prefix,
    S3Object,
}

/// Model artifacts in Amazon S3.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelS3DataSource {
    /// S3 URI of the artifacts, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_uri: String,
    /// `S3Prefix` or `S3Object`.
    pub s3_data_type: ModelDataS3DataType,
    /// `None` or `Gzip`.
    pub compression_type: CompressionType,
    /// License acceptance for gated models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_access_config: Option<ModelAccessConfig>,
    /// Hub content the artifacts belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_access_config: Option<HubAccessConfig>,
    /// S3 URI of a manifest listing the artifacts, at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub manifest_s3_uri: Option<String>,
    /// Entity tag of the S3 object, so that SageMaker notices a changed artifact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// Entity tag of the manifest object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_etag: Option<String>,
}

/// Where model artifacts come from, as an alternative to `modelDataUrl`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelDataSource {
    /// Artifacts in Amazon S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_data_source: Option<ModelS3DataSource>,
}

/// Extra model artifacts mounted next to the main ones.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalModelDataSource {
    /// Name of the channel the artifacts are mounted under, 1 to 64 characters.
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9\.\-_]+$"))]
    pub channel_name: String,
    /// Artifacts in Amazon S3.
    pub s3_data_source: ModelS3DataSource,
}

/// One inference container: image, model artifacts and environment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
// SageMaker rejects a container with neither; say so at admission, naming the fields.
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.image) || has(self.modelPackageName) || has(self.modelPackageRef)",
    "message": "a container needs image, modelPackageName or modelPackageRef",
}, {
    "rule": "!(has(self.modelPackageRef) && has(self.modelPackageName))",
    "message": "at most one of modelPackageRef and modelPackageName may be set",
}]))]
pub struct ContainerDefinition {
    /// DNS host name of the container in an inference pipeline; in a HostingDeployment the name
    /// models refer to the container by. Up to 63 alphanumerics or hyphens.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63), pattern(NAME_PATTERN))]
    pub container_hostname: Option<String>,
    /// Registry path of the inference image, at most 255 characters without whitespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255), pattern(IMAGE_PATTERN))]
    pub image: Option<String>,
    /// Private registry settings of the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_config: Option<ImageConfig>,
    /// `SingleModel` (default) or `MultiModel`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ContainerMode>,
    /// S3 path of the model artifacts (a `.tar.gz` for a single model, a prefix for a
    /// multi-model container), at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub model_data_url: Option<String>,
    /// Model artifacts described by their S3 location and layout, instead of `modelDataUrl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_data_source: Option<ModelDataSource>,
    /// Extra artifacts mounted next to the model, at most 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub additional_model_data_sources: Option<Vec<AdditionalModelDataSource>>,
    /// Environment variables of the container, at most 100; names and values up to 1024
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Name or ARN of a model package to deploy instead of image and artifacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 176))]
    pub model_package_name: Option<String>,
    /// The ModelPackage object of this namespace whose version to deploy (its ARN is sent as
    /// the model package name), instead of `modelPackageName`: approving another version is
    /// an edit of this reference. The model waits until the version is registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_package_ref: Option<ModelPackageRef>,
    /// Inference specification of the model package to use, 1 to 63 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub inference_specification_name: Option<String>,
    /// Settings of a multi-model container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_model_config: Option<MultiModelConfig>,
}

/// A ModelPackage object in the namespace of the object that names it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelPackageRef {
    /// Name of the ModelPackage object.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Elastic Inference accelerator attached to each instance of a production variant.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum AcceleratorType {
    #[serde(rename = "ml.eia1.medium")]
    Eia1Medium,
    #[serde(rename = "ml.eia1.large")]
    Eia1Large,
    #[serde(rename = "ml.eia1.xlarge")]
    Eia1Xlarge,
    #[serde(rename = "ml.eia2.medium")]
    Eia2Medium,
    #[serde(rename = "ml.eia2.large")]
    Eia2Large,
    #[serde(rename = "ml.eia2.xlarge")]
    Eia2Xlarge,
}

/// Where SageMaker writes core dumps of an inference container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariantCoreDumpConfig {
    /// S3 prefix for the core dumps, at most 512 characters.
    #[schemars(length(max = 512), pattern(S3_URI_PATTERN))]
    pub destination_s3_uri: String,
    /// KMS key that encrypts the core dumps, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
}

/// Serverless capacity of a production variant (instead of instances).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariantServerlessConfig {
    /// Memory of the serverless endpoint in MB: 1024, 2048, 3072, 4096, 5120 or 6144.
    #[serde(rename = "memorySizeInMB")]
    #[schemars(range(min = 1024, max = 6144))]
    pub memory_size_in_mb: i32,
    /// Maximum concurrent invocations, 1 to 200.
    #[schemars(range(min = 1, max = 200))]
    pub max_concurrency: i32,
    /// Provisioned concurrency, 1 to 200 and at most `maxConcurrency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 200))]
    pub provisioned_concurrency: Option<i32>,
}

/// Whether SageMaker scales a variant's instances itself.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariantManagedInstanceScaling {
    /// `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^(ENABLED|DISABLED)$"))]
    pub status: Option<String>,
    /// Fewest instances SageMaker scales down to, at least 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_instance_count: Option<i32>,
    /// Most instances SageMaker scales up to, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_instance_count: Option<i32>,
}

/// How a variant routes requests to its instances.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariantRoutingConfig {
    /// `LEAST_OUTSTANDING_REQUESTS` or `RANDOM`.
    #[schemars(pattern(r"^(LEAST_OUTSTANDING_REQUESTS|RANDOM)$"))]
    pub routing_strategy: String,
}

/// One model served by an endpoint on a set of instances, with its share of the traffic.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariant {
    /// Name of the variant, unique within the endpoint, up to 63 alphanumerics or hyphens.
    #[schemars(length(max = 63), pattern(NAME_PATTERN))]
    pub variant_name: String,
    /// The model the variant serves. In a HostingDeployment this is the `name` of an entry of
    /// `models`; in an EndpointConfig it is a SageMaker model name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63), pattern(NAME_PATTERN))]
    pub model_name: Option<String>,
    /// Number of instances to start with, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub initial_instance_count: Option<i32>,
    /// ML instance type of the variant, for example `ml.c5.large`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: Option<String>,
    /// Relative share of the endpoint's traffic (default 1.0), at least 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub initial_variant_weight: Option<f64>,
    /// Elastic Inference accelerator, `ml.eia1.medium` … `ml.eia2.xlarge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator_type: Option<AcceleratorType>,
    /// Where core dumps of the container go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_dump_config: Option<ProductionVariantCoreDumpConfig>,
    /// Serverless capacity instead of instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serverless_config: Option<ProductionVariantServerlessConfig>,
    /// Size in GB of the storage volume of each instance, 1 to 512.
    #[serde(rename = "volumeSizeInGB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 512))]
    pub volume_size_in_gb: Option<i32>,
    /// Seconds allowed to download the model, 60 to 3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 3600))]
    pub model_data_download_timeout_in_seconds: Option<i32>,
    /// Seconds allowed for the container to pass its health check, 60 to 3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 3600))]
    pub container_startup_health_check_timeout_in_seconds: Option<i32>,
    /// Allows AWS Systems Manager access to the variant's containers.
    #[serde(rename = "enableSSMAccess", skip_serializing_if = "Option::is_none")]
    pub enable_ssm_access: Option<bool>,
    /// Lets SageMaker scale the variant's instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_instance_scaling: Option<ProductionVariantManagedInstanceScaling>,
    /// How requests are routed to the instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_config: Option<ProductionVariantRoutingConfig>,
    /// Version of the AMI the instances boot, at most 63 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub inference_ami_version: Option<String>,
    /// Seconds SageMaker waits for the variant's instances to be provisioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub variant_instance_provision_timeout_in_seconds: Option<i32>,
    /// ML capacity reservation the variant's instances launch into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_reservation_config: Option<ProductionVariantCapacityReservationConfig>,
}

/// ML capacity reservation of a production variant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductionVariantCapacityReservationConfig {
    /// `capacity-reservations-only`: launch only into the reservation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^capacity-reservations-only$"))]
    pub capacity_reservation_preference: Option<String>,
    /// ARN of the ML capacity reservation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub ml_reservation_arn: Option<String>,
}

/// One CEL rule for `x-kubernetes-validations`.
pub(crate) fn validation_rule(rule: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "rule": rule, "message": message })
}

/// A transition rule: the optional field `field` keeps its value (set or absent) on every update.
fn unchanged_optional_field(field: &str) -> String {
    format!(
        "has(self.{field}) == has(oldSelf.{field}) && (!has(self.{field}) || self.{field} == oldSelf.{field})"
    )
}

pub(crate) fn append_rules(schema: &mut schemars::Schema, rules: Vec<serde_json::Value>) {
    let object = schema.ensure_object();
    let existing = object
        .entry("x-kubernetes-validations")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let serde_json::Value::Array(list) = existing {
        list.extend(rules);
    }
}

/// Admission rules of every kind's spec: `region` and `sageMakerEndpoint` cannot change once the
/// object exists. A SageMaker resource lives in the region (and behind the endpoint) it was
/// created in; following an edit would create a second resource there and forget the first,
/// which keeps running and costing money.
pub fn immutable_location(schema: &mut schemars::Schema) {
    append_rules(
        schema,
        vec![
            validation_rule(
                "self.region == oldSelf.region",
                "spec.region cannot be changed: the SageMaker resource stays in the region it was created in. Delete this object (the operator stops or deletes its SageMaker resource) and create a new one for the other region.",
            ),
            validation_rule(
                &unchanged_optional_field("sageMakerEndpoint"),
                "spec.sageMakerEndpoint cannot be set, changed or removed after creation: the SageMaker resource stays behind the endpoint it was created through. Delete this object and create a new one.",
            ),
        ],
    );
}

/// [`immutable_location`] plus `endpointName`: a HostingDeployment's endpoint keeps its name (a
/// new name would be a second endpoint beside the first).
pub fn immutable_location_and_endpoint_name(schema: &mut schemars::Schema) {
    immutable_location(schema);
    append_rules(
        schema,
        vec![validation_rule(
            &unchanged_optional_field("endpointName"),
            "spec.endpointName cannot be set, changed or removed after creation: a new name would create a second endpoint. Delete this object and create a new one with the other name.",
        )],
    );
}
