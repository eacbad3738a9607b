//! `ProcessingJob`: a SageMaker processing job (the CreateProcessingJob request shape): data
//! preparation, feature engineering and model evaluation in a container of your choice.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{
    CompressionType, ENDPOINT_URL_PATTERN, ExperimentConfig, IMAGE_PATTERN, INSTANCE_TYPE_PATTERN,
    KeyValuePair, NAME_PATTERN, ROLE_ARN_PATTERN, S3_URI_PATTERN, S3DataDistributionType, Tag,
    VpcConfig,
};

/// Desired state of a ProcessingJob: the CreateProcessingJob request SageMaker receives, plus
/// the region and endpoint to send it to.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "ProcessingJob",
    plural = "processingjobs",
    namespaced,
    status = "ProcessingJobStatus",
    category = "sagemaker",
    doc = "A SageMaker processing job managed from Kubernetes: the operator creates it in SageMaker, mirrors its status and stops it when the object is deleted.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.processingJobStatus",
        description = "SageMaker processing job status"
    ),
    printcolumn(
        name = "CREATION-TIME",
        // `string`, not `date`: users of the original see the timestamp, not an age.
        type_ = "string",
        json_path = ".metadata.creationTimestamp",
        description = "When the object was created"
    ),
    printcolumn(
        name = "SAGEMAKER-JOB-NAME",
        type_ = "string",
        json_path = ".status.sageMakerProcessingJobName",
        description = "Name of the job in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
pub struct ProcessingJobSpec {
    /// Name of the job in SageMaker, up to 63 alphanumerics or hyphens. When left out the
    /// operator derives a unique name from the object's name and UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub processing_job_name: Option<String>,
    /// The instances the job runs on.
    pub processing_resources: ProcessingResources,
    /// The container the job runs: its image, entrypoint and arguments.
    pub app_specification: AppSpecification,
    /// Inputs copied or streamed into the container, at most 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub processing_inputs: Option<Vec<ProcessingInput>>,
    /// Where the container's outputs go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_output_config: Option<ProcessingOutputConfig>,
    /// Environment variables of the container as `{name, value}` pairs, at most 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub environment: Option<Vec<KeyValuePair>>,
    /// Network isolation, inter-container encryption and the VPC of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_config: Option<NetworkConfig>,
    /// How long the job may run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopping_condition: Option<ProcessingStoppingCondition>,
    /// ARN of the IAM role SageMaker assumes to run the job, 20 to 2048 characters.
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub role_arn: String,
    /// SageMaker Experiments association of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment_config: Option<ExperimentConfig>,
    /// Tags SageMaker attaches to the job, at most 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub tags: Option<Vec<Tag>>,
    /// AWS region of the job, for example `us-east-2`. Fixed at creation.
    #[schemars(length(min = 1))]
    pub region: String,
    /// SageMaker API endpoint URL overriding the region's default (for example a VPC
    /// endpoint). The operator calls only `https://` endpoints on AWS domains, its own default
    /// endpoint and what its `--allowed-sagemaker-endpoint` flag names. Fixed at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(ENDPOINT_URL_PATTERN))]
    pub sage_maker_endpoint: Option<String>,
}

/// The instances of a processing job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingResources {
    /// The cluster the job runs on.
    pub cluster_config: ProcessingClusterConfig,
}

/// The cluster of a processing job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingClusterConfig {
    /// Number of instances, 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    pub instance_count: i32,
    /// ML instance type, for example `ml.m5.xlarge`.
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: String,
    /// Size of each instance's ML storage volume in GB, 1 to 16384.
    #[serde(rename = "volumeSizeInGB")]
    #[schemars(range(min = 1, max = 16384))]
    pub volume_size_in_gb: i32,
    /// KMS key that encrypts the storage volumes, at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub volume_kms_key_id: Option<String>,
}

/// The container a processing job runs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppSpecification {
    /// The container image, at most 255 characters.
    #[schemars(length(max = 255), pattern(IMAGE_PATTERN))]
    pub image_uri: String,
    /// The entrypoint, replacing the image's, at most 100 parts of up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100), inner(length(max = 256)))]
    pub container_entrypoint: Option<Vec<String>>,
    /// Arguments of the entrypoint, at most 100 of up to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100), inner(length(max = 256)))]
    pub container_arguments: Option<Vec<String>>,
}

/// One input of a processing job: S3 data or a dataset definition (Athena or Redshift query).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.s3Input) != has(self.datasetDefinition) || (has(self.appManaged) && self.appManaged)",
    "message": "a processing input needs exactly one of s3Input and datasetDefinition (unless appManaged)"
}]))]
pub struct ProcessingInput {
    /// Name of the input, 1 to 256 characters.
    #[schemars(length(min = 1, max = 256))]
    pub input_name: String,
    /// The input is managed by the application (SageMaker does not fetch it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_managed: Option<bool>,
    /// Data from Amazon S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_input: Option<ProcessingS3Input>,
    /// Data from an Athena or Redshift query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_definition: Option<DatasetDefinition>,
}

/// S3 data a processing job reads.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingS3Input {
    /// The S3 prefix or manifest, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_uri: String,
    /// Where the container finds the data (under `/opt/ml/processing`), at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub local_path: Option<String>,
    /// What `s3Uri` names: `S3Prefix` or `ManifestFile`.
    pub s3_data_type: ProcessingS3DataType,
    /// `File` copies the data before the job starts, `Pipe` streams it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_input_mode: Option<ProcessingInputMode>,
    /// `FullyReplicated` (every instance gets all) or `ShardedByS3Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_data_distribution_type: Option<S3DataDistributionType>,
    /// `None` or `Gzip` (Pipe mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_compression_type: Option<CompressionType>,
}

/// What a processing input's `s3Uri` names.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ProcessingS3DataType {
    S3Prefix,
    ManifestFile,
}

/// How a processing input reaches the container: `File` (copied first) or `Pipe` (streamed).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ProcessingInputMode {
    Pipe,
    File,
}

/// Input produced by a query.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatasetDefinition {
    /// An Athena query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub athena_dataset_definition: Option<AthenaDatasetDefinition>,
    /// A Redshift query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redshift_dataset_definition: Option<RedshiftDatasetDefinition>,
    /// Where the container finds the result, at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub local_path: Option<String>,
    /// `FullyReplicated` or `ShardedByS3Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_distribution_type: Option<S3DataDistributionType>,
    /// `File` or `Pipe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<ProcessingInputMode>,
}

/// An Athena query whose result is the input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AthenaDatasetDefinition {
    /// The data catalog, 1 to 256 characters.
    #[schemars(length(min = 1, max = 256))]
    pub catalog: String,
    /// The database, 1 to 255 characters.
    #[schemars(length(min = 1, max = 255))]
    pub database: String,
    /// The SQL query, 1 to 4096 characters.
    #[schemars(length(min = 1, max = 4096))]
    pub query_string: String,
    /// The Athena workgroup, 1 to 128 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub work_group: Option<String>,
    /// Where Athena writes the query result, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub output_s3_uri: String,
    /// KMS key that encrypts the query result, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// Format of the result: `PARQUET`, `ORC`, `AVRO`, `JSON` or `TEXTFILE`.
    pub output_format: AthenaResultFormat,
    /// Compression of the result: `GZIP`, `SNAPPY` or `ZLIB`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_compression: Option<AthenaResultCompression>,
}

/// Format of an Athena query result.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AthenaResultFormat {
    Parquet,
    Orc,
    Avro,
    Json,
    Textfile,
}

/// Compression of an Athena query result.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AthenaResultCompression {
    Gzip,
    Snappy,
    Zlib,
}

/// A Redshift query whose result is the input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedshiftDatasetDefinition {
    /// The Redshift cluster, 1 to 63 characters.
    #[schemars(length(min = 1, max = 63))]
    pub cluster_id: String,
    /// The database, 1 to 64 characters.
    #[schemars(length(min = 1, max = 64))]
    pub database: String,
    /// The database user, 1 to 128 characters.
    #[schemars(length(min = 1, max = 128))]
    pub db_user: String,
    /// The SQL query, 1 to 4096 characters.
    #[schemars(length(min = 1, max = 4096))]
    pub query_string: String,
    /// IAM role Redshift assumes to write the result, 20 to 2048 characters.
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub cluster_role_arn: String,
    /// Where Redshift writes the query result, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub output_s3_uri: String,
    /// KMS key that encrypts the query result, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// Format of the result: `PARQUET` or `CSV`.
    pub output_format: RedshiftResultFormat,
    /// Compression of the result: `None`, `GZIP`, `BZIP2`, `ZSTD` or `SNAPPY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_compression: Option<RedshiftResultCompression>,
}

/// Format of a Redshift query result.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RedshiftResultFormat {
    Parquet,
    Csv,
}

/// Compression of a Redshift query result (`None` is spelled as SageMaker spells it).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RedshiftResultCompression {
    None,
    #[serde(rename = "GZIP")]
    Gzip,
    #[serde(rename = "BZIP2")]
    Bzip2,
    #[serde(rename = "ZSTD")]
    Zstd,
    #[serde(rename = "SNAPPY")]
    Snappy,
}

/// Where a processing job's outputs go.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingOutputConfig {
    /// The outputs, at most 10.
    #[schemars(length(max = 10))]
    pub outputs: Vec<ProcessingOutput>,
    /// KMS key that encrypts the outputs, at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub kms_key_id: Option<String>,
}

/// One output of a processing job: to S3, or into a Feature Store feature group.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingOutput {
    /// Name of the output, 1 to 256 characters.
    #[schemars(length(min = 1, max = 256))]
    pub output_name: String,
    /// Uploaded to Amazon S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_output: Option<ProcessingS3Output>,
    /// Ingested into a SageMaker Feature Store feature group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_store_output: Option<ProcessingFeatureStoreOutput>,
    /// The output is managed by the application (SageMaker does not upload it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_managed: Option<bool>,
}

/// An output uploaded to Amazon S3.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingS3Output {
    /// The S3 prefix, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_uri: String,
    /// Where the container writes the output (under `/opt/ml/processing`), at most 256
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub local_path: Option<String>,
    /// `Continuous` (upload while the job runs) or `EndOfJob`.
    pub s3_upload_mode: ProcessingS3UploadMode,
}

/// When a processing output is uploaded.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ProcessingS3UploadMode {
    Continuous,
    EndOfJob,
}

/// An output ingested into a Feature Store feature group.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingFeatureStoreOutput {
    /// The feature group, 1 to 64 characters.
    #[schemars(length(min = 1, max = 64))]
    pub feature_group_name: String,
}

/// Network settings of a processing job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    /// Encrypts traffic between the job's instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_inter_container_traffic_encryption: Option<bool>,
    /// Gives the container no network access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    /// The VPC the job's instances join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
}

/// How long a processing job may run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingStoppingCondition {
    /// Most seconds the job may run, 1 to 777600 (9 days).
    #[schemars(range(min = 1, max = 777600))]
    pub max_runtime_in_seconds: i32,
}

/// Observed state of a ProcessingJob, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: Some("More information about the status, for example SageMaker's failure reason and the container's exit message, or the error the operator met."),
    last_check_time: "When the operator last read the job's status from SageMaker.",
})]
pub struct ProcessingJobStatus {
    /// SageMaker's ProcessingJobStatus (`InProgress`, `Completed`, `Failed`, `Stopping`,
    /// `Stopped`), or `SynchronizingK8sJobWithSageMaker` before the operator has reached
    /// SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_job_status: Option<String>,
    /// Name of the job in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sage_maker_processing_job_name: Option<String>,
    /// CloudWatch console link to the job's log streams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_log_url: Option<String>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}
