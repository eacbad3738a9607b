//! `BatchTransformJob`: a SageMaker batch transform job (the CreateTransformJob request shape).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{
    CompressionType, ENDPOINT_URL_PATTERN, ExperimentConfig, INSTANCE_TYPE_PATTERN, KeyValuePair,
    NAME_PATTERN, S3_URI_PATTERN, S3DataType, Tag,
};

/// Desired state of a BatchTransformJob: the CreateTransformJob request SageMaker receives,
/// plus the region and endpoint to send it to.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "BatchTransformJob",
    plural = "batchtransformjobs",
    namespaced,
    status = "BatchTransformJobStatus",
    category = "sagemaker",
    doc = "A SageMaker batch transform job managed from Kubernetes: the operator creates it in SageMaker, mirrors its status and stops it when the object is deleted.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.transformJobStatus",
        description = "SageMaker transform job status"
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
        json_path = ".status.sageMakerTransformJobName",
        description = "Name of the job in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
pub struct BatchTransformJobSpec {
    /// Name of the job in SageMaker, up to 63 alphanumerics or hyphens. When left out the
    /// operator derives a unique name from the object's name and UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub transform_job_name: Option<String>,
    /// Name of the SageMaker model that transforms the data, up to 63 alphanumerics or hyphens.
    #[schemars(length(max = 63), pattern(NAME_PATTERN))]
    pub model_name: String,
    /// Most parallel requests sent to each instance, at least 0 (0 lets SageMaker choose).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_concurrent_transforms: Option<i32>,
    /// Timeouts and retries of the requests to the model container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_client_config: Option<ModelClientConfig>,
    /// Largest request payload in MB, at least 0 (0 lets SageMaker choose; streaming).
    #[serde(rename = "maxPayloadInMB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_payload_in_mb: Option<i32>,
    /// How records are grouped into requests: `MultiRecord` or `SingleRecord`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_strategy: Option<BatchStrategy>,
    /// Environment variables of the model container as `{name, value}` pairs, at most 16.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 16))]
    pub environment: Option<Vec<KeyValuePair>>,
    /// The data to transform.
    pub transform_input: TransformInput,
    /// Where the results go.
    pub transform_output: TransformOutput,
    /// Captures the input and output of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_capture_config: Option<BatchDataCaptureConfig>,
    /// Instances the job runs on.
    pub transform_resources: TransformResources,
    /// Filters and joins applied to the input and output records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_processing: Option<DataProcessing>,
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

/// How records are grouped into requests: `MultiRecord` (as many as fit into
/// `maxPayloadInMB`) or `SingleRecord` (one per request).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum BatchStrategy {
    MultiRecord,
    SingleRecord,
}

/// How input files are split into records: `None`, `Line`, `RecordIO` or `TFRecord`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SplitType {
    None,
    Line,
    RecordIO,
    TFRecord,
}

/// How results are joined into output files: `None` (concatenated) or `Line` (one per line).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum AssemblyType {
    None,
    Line,
}

/// Whether the input record is joined to its result: `Input` or `None`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum JoinSource {
    Input,
    None,
}

/// Timeouts and retries of the requests to the model container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelClientConfig {
    /// Timeout in seconds of each request, 1 to 3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3600))]
    pub invocations_timeout_in_seconds: Option<i32>,
    /// Retries of a failed request, 0 to 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 3))]
    pub invocations_max_retries: Option<i32>,
}

/// Input data of a transform job in Amazon S3.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransformS3DataSource {
    /// What `s3Uri` names: `S3Prefix`, `ManifestFile` or `AugmentedManifestFile`.
    pub s3_data_type: S3DataType,
    /// The S3 prefix or manifest, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_uri: String,
}

/// Where a transform job's input comes from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransformDataSource {
    /// Input data in Amazon S3.
    pub s3_data_source: TransformS3DataSource,
}

/// The data a transform job processes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransformInput {
    /// Where the input data is.
    pub data_source: TransformDataSource,
    /// MIME type of the input (for example `text/csv`), at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub content_type: Option<String>,
    /// `None` (default) or `Gzip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<CompressionType>,
    /// `None`, `Line`, `RecordIO` or `TFRecord`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_type: Option<SplitType>,
}

/// Where a transform job writes its results.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransformOutput {
    /// S3 prefix of the results, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_output_path: String,
    /// MIME type of the results, at most 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub accept: Option<String>,
    /// `None` or `Line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assemble_with: Option<AssemblyType>,
    /// KMS key that encrypts the results, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
}

/// Instances a transform job runs on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransformResources {
    /// ML instance type, for example `ml.m5.xlarge`.
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: String,
    /// Number of instances, at least 1.
    #[schemars(range(min = 1))]
    pub instance_count: i32,
    /// KMS key that encrypts the instances' storage volumes, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub volume_kms_key_id: Option<String>,
    /// Version of the AMI the instances boot, at most 63 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub transform_ami_version: Option<String>,
}

/// Capture of a transform job's input and output.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchDataCaptureConfig {
    /// S3 prefix of the captured data, at most 512 characters.
    #[schemars(length(max = 512), pattern(S3_URI_PATTERN))]
    pub destination_s3_uri: String,
    /// KMS key that encrypts the captured data, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub kms_key_id: Option<String>,
    /// Adds an inference id to each captured record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_inference_id: Option<bool>,
}

/// Filters and joins applied around the model.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "!(has(self.joinSource) && has(self.JoinSource))",
        "message": "set joinSource or JoinSource (the original operator's spelling), not both",
    },
    {
        "rule": "!(has(self.outputFilter) && has(self.OutputFilter))",
        "message": "set outputFilter or OutputFilter (the original operator's spelling), not both",
    },
]))]
pub struct DataProcessing {
    /// JSONPath selecting the part of each input record sent to the model (default `$`), at
    /// most 63 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub input_filter: Option<String>,
    /// JSONPath selecting the part of the joined record written out (default `$`), at most 63
    /// characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub output_filter: Option<String>,
    /// `Input` joins each input record to its result, `None` (default) does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_source: Option<JoinSource>,
    /// `joinSource` as the original operator spelled it (capitalised); the same meaning.
    #[serde(rename = "JoinSource", skip_serializing_if = "Option::is_none")]
    pub original_join_source: Option<JoinSource>,
    /// `outputFilter` as the original operator spelled it (capitalised); the same meaning, at
    /// most 63 characters.
    #[serde(rename = "OutputFilter", skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub original_output_filter: Option<String>,
}

/// Observed state of a BatchTransformJob, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: Some("More information about the status, for example SageMaker's failure reason or the error the operator met."),
    last_check_time: "When the operator last read the job's status from SageMaker.",
})]
pub struct BatchTransformJobStatus {
    /// SageMaker's TransformJobStatus (`InProgress`, `Completed`, `Failed`, `Stopping`,
    /// `Stopped`), or `SynchronizingK8sJobWithSageMaker` before the operator has reached
    /// SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform_job_status: Option<String>,
    /// Name of the job in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sage_maker_transform_job_name: Option<String>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}
