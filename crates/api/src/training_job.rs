//! `TrainingJob`: a SageMaker training job (the CreateTrainingJob request shape).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{
    Channel, CheckpointConfig, ENDPOINT_URL_PATTERN, ExperimentConfig, IMAGE_PATTERN,
    INSTANCE_TYPE_PATTERN, KeyValuePair, MetricDefinition, NAME_PATTERN, OutputDataConfig,
    ROLE_ARN_PATTERN, ResourceConfig, RetryStrategy, S3_URI_PATTERN, StoppingCondition, Tag,
    TrainingImageConfig, TrainingInputMode, VpcConfig,
};

/// Desired state of a TrainingJob: the CreateTrainingJob request SageMaker receives, plus the
/// region and endpoint to send it to.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "TrainingJob",
    plural = "trainingjobs",
    namespaced,
    status = "TrainingJobStatus",
    category = "sagemaker",
    doc = "A SageMaker training job managed from Kubernetes: the operator creates it in SageMaker, mirrors its status and stops it when the object is deleted.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.trainingJobStatus",
        description = "SageMaker training job status"
    ),
    printcolumn(
        name = "SECONDARY-STATUS",
        type_ = "string",
        json_path = ".status.secondaryStatus",
        description = "Detailed SageMaker training job status"
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
        json_path = ".status.sageMakerTrainingJobName",
        description = "Name of the job in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
pub struct TrainingJobSpec {
    /// Name of the job in SageMaker, up to 63 alphanumerics or hyphens. When left out the
    /// operator derives a unique name from the object's name and UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(NAME_PATTERN))]
    pub training_job_name: Option<String>,
    /// The training algorithm: a registry image or a SageMaker algorithm, how it reads its
    /// input, and the metrics to extract from its logs.
    pub algorithm_specification: AlgorithmSpecification,
    /// Algorithm hyperparameters as `{name, value}` pairs, at most 100; values are strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub hyper_parameters: Option<Vec<KeyValuePair>>,
    /// Input channels of the job (for example `train` and `validation`), 1 to 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub input_data_config: Option<Vec<Channel>>,
    /// Where the model artifacts are written.
    pub output_data_config: OutputDataConfig,
    /// Instances and storage the job runs on.
    pub resource_config: ResourceConfig,
    /// ARN of the IAM role SageMaker assumes to run the job, 20 to 2048 characters.
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub role_arn: String,
    /// Time limits of the job.
    pub stopping_condition: StoppingCondition,
    /// VPC the training containers connect to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
    /// Isolates the training container from the network (no outbound calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    /// Encrypts traffic between the instances of a distributed training job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_inter_container_traffic_encryption: Option<bool>,
    /// Trains on spot instances; set `stoppingCondition.maxWaitTimeInSeconds` too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_managed_spot_training: Option<bool>,
    /// Where checkpoints are kept so that an interrupted spot job can resume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_config: Option<CheckpointConfig>,
    /// SageMaker Debugger hook: what tensors to save and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_hook_config: Option<DebugHookConfig>,
    /// SageMaker Debugger rules evaluated against the saved tensors, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub debug_rule_configurations: Option<Vec<RuleConfiguration>>,
    /// Where TensorBoard data is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensor_board_output_config: Option<TensorBoardOutputConfig>,
    /// SageMaker Experiments association of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment_config: Option<ExperimentConfig>,
    /// SageMaker Profiler settings: where system and framework metrics go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profiler_config: Option<ProfilerConfig>,
    /// Profiler rules evaluated against the collected metrics, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub profiler_rule_configurations: Option<Vec<RuleConfiguration>>,
    /// Environment variables of the training container as `{name, value}` pairs, at most 100;
    /// names up to 512 characters matching `[a-zA-Z_][a-zA-Z0-9_]*`, values up to 512.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub environment: Option<Vec<KeyValuePair>>,
    /// How often SageMaker retries the job after an internal error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// Remote debugging of the training container through AWS Systems Manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_debug_config: Option<RemoteDebugConfig>,
    /// Cluster health checks before training starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infra_check_config: Option<InfraCheckConfig>,
    /// Session tag chaining for the role the job assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_chaining_config: Option<SessionChainingConfig>,
    /// MLflow tracking of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mlflow_config: Option<MlflowConfig>,
    /// Model package group the trained model is registered in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_package_config: Option<ModelPackageConfig>,
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

/// The training algorithm and how it receives its input.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlgorithmSpecification {
    /// Registry path of the training image, at most 255 characters. Give this or
    /// `algorithmName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255), pattern(IMAGE_PATTERN))]
    pub training_image: Option<String>,
    /// Name or ARN of a SageMaker algorithm resource, 1 to 170 characters. Give this or
    /// `trainingImage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 170))]
    pub algorithm_name: Option<String>,
    /// How input data reaches the container: `File`, `Pipe` or `FastFile`.
    pub training_input_mode: TrainingInputMode,
    /// Metrics to extract from the container's logs, at most 40.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 40))]
    pub metric_definitions: Option<Vec<MetricDefinition>>,
    /// Publishes the metrics as SageMaker time series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_sage_maker_metrics_time_series: Option<bool>,
    /// Overrides the image's entrypoint, at most 10 strings of 1 to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10), inner(length(min = 1, max = 256)))]
    pub container_entrypoint: Option<Vec<String>>,
    /// Arguments passed to the entrypoint, 1 to 100 strings of 1 to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100), inner(length(min = 1, max = 256)))]
    pub container_arguments: Option<Vec<String>>,
    /// Private registry settings of the training image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_image_config: Option<TrainingImageConfig>,
}

/// One group of tensors the Debugger hook saves.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectionConfiguration {
    /// Name of the tensor collection, 1 to 256 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub collection_name: Option<String>,
    /// Parameters of the collection as `{name, value}` pairs, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub collection_parameters: Option<Vec<KeyValuePair>>,
}

/// SageMaker Debugger hook settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!(has(self.hookParameters) && has(self.ruleParameters))",
    "message": "set hookParameters or ruleParameters (the original operator's name for them), not both",
}]))]
pub struct DebugHookConfig {
    /// Directory in the container the hook writes tensors to, at most 4096 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub local_path: Option<String>,
    /// S3 prefix the tensors are uploaded to, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_output_path: String,
    /// Parameters of the hook as `{name, value}` pairs, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub hook_parameters: Option<Vec<KeyValuePair>>,
    /// The hook's parameters under the name the original operator gave them; the same as
    /// `hookParameters`, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub rule_parameters: Option<Vec<KeyValuePair>>,
    /// Tensor collections to save, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub collection_configurations: Option<Vec<CollectionConfiguration>>,
}

/// A SageMaker Debugger or Profiler rule: a processing container that watches the saved tensors
/// (Debugger) or the collected system metrics (Profiler).
// The API has two shapes with identical members (DebugRuleConfiguration and
// ProfilerRuleConfiguration); one type serves both so their limits cannot drift apart.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleConfiguration {
    /// Name of the rule configuration, 1 to 256 characters.
    #[schemars(length(min = 1, max = 256))]
    pub rule_configuration_name: String,
    /// Directory in the rule container for its output, at most 4096 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub local_path: Option<String>,
    /// S3 prefix the rule's output is uploaded to, at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_output_path: Option<String>,
    /// Registry path of the rule evaluator image, at most 255 characters.
    #[schemars(length(max = 255), pattern(IMAGE_PATTERN))]
    pub rule_evaluator_image: String,
    /// ML instance type of the rule evaluation job.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: Option<String>,
    /// Storage volume size in GB of the rule evaluation job, at least 0.
    #[serde(rename = "volumeSizeInGB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub volume_size_in_gb: Option<i32>,
    /// Parameters of the rule as `{name, value}` pairs, at most 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub rule_parameters: Option<Vec<KeyValuePair>>,
}

/// Where TensorBoard data of the job is written.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TensorBoardOutputConfig {
    /// Directory in the container the job writes TensorBoard data to (default
    /// `/opt/ml/output/tensorboard`), at most 4096 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub local_path: Option<String>,
    /// S3 prefix the data is uploaded to, at most 1024 characters.
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_output_path: String,
}

/// SageMaker Profiler settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfilerConfig {
    /// S3 prefix the profiling data is uploaded to, at most 1024 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024), pattern(S3_URI_PATTERN))]
    pub s3_output_path: Option<String>,
    /// Sampling interval of system metrics in milliseconds: 100, 200, 500, 1000, 5000 or 60000.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 60000))]
    pub profiling_interval_in_milliseconds: Option<i64>,
    /// Framework profiling parameters as `{name, value}` pairs, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub profiling_parameters: Option<Vec<KeyValuePair>>,
    /// Turns the profiler off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_profiler: Option<bool>,
}

/// Remote debugging of the training container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteDebugConfig {
    /// Allows connecting to the training container through AWS Systems Manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_remote_debug: Option<bool>,
}

/// Cluster health checks run before training.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraCheckConfig {
    /// Runs the health checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_infra_check: Option<bool>,
}

/// Session tag chaining of the role the job assumes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionChainingConfig {
    /// Passes the session tags on when the job assumes further roles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_session_tag_chaining: Option<bool>,
}

/// MLflow tracking of a training job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MlflowConfig {
    /// ARN of the MLflow tracking server or app, at most 2048 characters.
    #[schemars(length(min = 1, max = 2048))]
    pub mlflow_resource_arn: String,
    /// MLflow experiment the job logs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub mlflow_experiment_name: Option<String>,
    /// MLflow run the job logs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub mlflow_run_name: Option<String>,
}

/// Registration of the trained model as a model package.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelPackageConfig {
    /// ARN of the model package group the output model is registered in.
    #[schemars(length(min = 1, max = 2048))]
    pub model_package_group_arn: String,
    /// ARN of the model package the job continues to fine-tune or evaluates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub source_model_package_arn: Option<String>,
}

/// Observed state of a TrainingJob, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: Some("More information about the status, for example SageMaker's failure reason or the error the operator met."),
    last_check_time: "When the operator last read the job's status from SageMaker.",
})]
pub struct TrainingJobStatus {
    /// SageMaker's TrainingJobStatus (`InProgress`, `Completed`, `Failed`, `Stopping`,
    /// `Stopped`), or `SynchronizingK8sJobWithSageMaker` before the operator has reached
    /// SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_status: Option<String>,
    /// SageMaker's detailed SecondaryStatus (`Starting`, `Downloading`, `Training`,
    /// `Uploading`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_status: Option<String>,
    /// CloudWatch console URL of the job's logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_log_url: Option<String>,
    /// Name of the job in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sage_maker_training_job_name: Option<String>,
    /// S3 location of the model artifacts once the job completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_path: Option<String>,
    /// Status of each Debugger rule evaluation of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_rule_evaluation_statuses: Option<Vec<DebugRuleEvaluationStatus>>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}

/// Status of one Debugger rule evaluation job.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DebugRuleEvaluationStatus {
    /// Name of the rule configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_configuration_name: Option<String>,
    /// ARN of the rule evaluation job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_evaluation_job_arn: Option<String>,
    /// `InProgress`, `NoIssuesFound`, `IssuesFound`, `Error`, `Stopping` or `Stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_evaluation_status: Option<String>,
    /// Details of the evaluation's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// The same as `statusDetails`, under the name the original operator wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// When the evaluation's status last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<Time>,
}
