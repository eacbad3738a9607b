//! `HyperparameterTuningJob`: a SageMaker hyperparameter tuning job (the
//! CreateHyperParameterTuningJob request shape).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::{CommonStatus, KindWording};

use crate::common::{
    Channel, CheckpointConfig, ENDPOINT_URL_PATTERN, IMAGE_PATTERN, INSTANCE_TYPE_PATTERN,
    KeyValuePair, MetricDefinition, OutputDataConfig, ROLE_ARN_PATTERN, ResourceConfig,
    RetryStrategy, StoppingCondition, TUNING_JOB_NAME_PATTERN, Tag, TrainingInputMode, VpcConfig,
};

/// Desired state of a HyperparameterTuningJob: the CreateHyperParameterTuningJob request
/// SageMaker receives, plus the region and endpoint to send it to.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sagemaker.aws.amazon.com",
    version = "v1",
    kind = "HyperparameterTuningJob",
    plural = "hyperparametertuningjobs",
    namespaced,
    status = "HyperparameterTuningJobStatus",
    category = "sagemaker",
    doc = "A SageMaker hyperparameter tuning job managed from Kubernetes: the operator creates it in SageMaker, mirrors its progress and best training job, and stops it when the object is deleted.",
    printcolumn(
        name = "STATUS",
        type_ = "string",
        json_path = ".status.hyperParameterTuningJobStatus",
        description = "SageMaker tuning job status"
    ),
    printcolumn(
        name = "CREATION-TIME",
        // `string`, not `date`: users of the original see the timestamp, not an age.
        type_ = "string",
        json_path = ".metadata.creationTimestamp",
        description = "When the object was created"
    ),
    printcolumn(
        name = "COMPLETED",
        type_ = "integer",
        json_path = ".status.trainingJobStatusCounters.completed",
        description = "Training jobs that completed"
    ),
    printcolumn(
        name = "INPROGRESS",
        type_ = "integer",
        json_path = ".status.trainingJobStatusCounters.inProgress",
        description = "Training jobs in progress"
    ),
    printcolumn(
        name = "ERRORS",
        type_ = "integer",
        json_path = ".status.trainingJobStatusCounters.totalError",
        description = "Training jobs that failed"
    ),
    printcolumn(
        name = "STOPPED",
        type_ = "integer",
        json_path = ".status.trainingJobStatusCounters.stopped",
        description = "Training jobs that were stopped"
    ),
    printcolumn(
        name = "BEST-TRAINING-JOB",
        type_ = "string",
        json_path = ".status.bestTrainingJob.trainingJobName",
        description = "Training job with the best objective metric so far"
    ),
    printcolumn(
        name = "SAGEMAKER-JOB-NAME",
        type_ = "string",
        json_path = ".status.sageMakerHyperParameterTuningJobName",
        description = "Name of the tuning job in SageMaker"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = crate::common::immutable_location)]
pub struct HyperparameterTuningJobSpec {
    /// Name of the tuning job in SageMaker, up to 32 alphanumerics or hyphens. When left out the
    /// operator derives a unique name from the object's name and UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32), pattern(TUNING_JOB_NAME_PATTERN))]
    pub hyper_parameter_tuning_job_name: Option<String>,
    /// How the tuning job searches: strategy, objective, limits and the ranges to search.
    pub hyper_parameter_tuning_job_config: HyperParameterTuningJobConfig,
    /// The training jobs the tuning job launches. Give this or `trainingJobDefinitions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_definition: Option<HyperParameterTrainingJobDefinition>,
    /// Several training job definitions (each with its own `definitionName`), 1 to 10. Give
    /// this or `trainingJobDefinition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10))]
    pub training_job_definitions: Option<Vec<HyperParameterTrainingJobDefinition>>,
    /// Starts from the results of earlier tuning jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_start_config: Option<HyperParameterTuningJobWarmStartConfig>,
    /// Lets SageMaker choose the strategy, ranges and limits from the objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autotune: Option<Autotune>,
    /// Tags SageMaker attaches to the tuning job, at most 50.
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

/// Search strategy of a tuning job: `Bayesian`, `Random`, `Hyperband` or `Grid`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum HyperParameterTuningJobStrategyType {
    Bayesian,
    Random,
    Hyperband,
    Grid,
}

/// Whether the objective metric is minimized or maximized: `Minimize` or `Maximize`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum HyperParameterTuningJobObjectiveType {
    Maximize,
    Minimize,
}

/// Whether SageMaker stops training jobs that are unlikely to beat the best one: `Off` or
/// `Auto`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum TrainingJobEarlyStoppingType {
    Off,
    Auto,
}

/// How a range is searched: `Auto`, `Linear`, `Logarithmic` or `ReverseLogarithmic`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum HyperParameterScalingType {
    Auto,
    Linear,
    Logarithmic,
    ReverseLogarithmic,
}

/// How warm start reuses earlier tuning jobs: `IdenticalDataAndAlgorithm` or
/// `TransferLearning`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum HyperParameterTuningJobWarmStartType {
    IdenticalDataAndAlgorithm,
    TransferLearning,
}

/// How the tuning job searches.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTuningJobConfig {
    /// `Bayesian`, `Random`, `Hyperband` or `Grid`.
    pub strategy: HyperParameterTuningJobStrategyType,
    /// Settings of the `Hyperband` strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_config: Option<HyperParameterTuningJobStrategyConfig>,
    /// The metric to optimize and its direction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameter_tuning_job_objective: Option<HyperParameterTuningJobObjective>,
    /// How many training jobs run in total and at once.
    pub resource_limits: ResourceLimits,
    /// The hyperparameter ranges to search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_ranges: Option<ParameterRanges>,
    /// `Off` (default) or `Auto`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_early_stopping_type: Option<TrainingJobEarlyStoppingType>,
    /// When the tuning job may stop before its limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_job_completion_criteria: Option<TuningJobCompletionCriteria>,
    /// Seed of the search, for reproducible hyperparameter choices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_seed: Option<i32>,
}

/// Settings of the tuning strategy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTuningJobStrategyConfig {
    /// Settings of the `Hyperband` strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyperband_strategy_config: Option<HyperbandStrategyConfig>,
}

/// Settings of the `Hyperband` strategy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperbandStrategyConfig {
    /// Fewest resources (epochs) a training job gets before it may be stopped, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_resource: Option<i32>,
    /// Most resources (epochs) a training job may use, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_resource: Option<i32>,
}

/// The metric a tuning job optimizes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTuningJobObjective {
    /// `Minimize` or `Maximize`.
    #[serde(rename = "type")]
    pub type_: HyperParameterTuningJobObjectiveType,
    /// Name of the metric (one of the algorithm's metric definitions), 1 to 255 characters.
    #[schemars(length(min = 1, max = 255))]
    pub metric_name: String,
}

/// Limits on the training jobs a tuning job launches.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLimits {
    /// Most training jobs the tuning job launches in total, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_number_of_training_jobs: Option<i32>,
    /// Most training jobs running at the same time, at least 1.
    #[schemars(range(min = 1))]
    pub max_parallel_training_jobs: i32,
    /// Longest time in seconds the tuning job may run, 120 to 15768000.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 120, max = 15768000))]
    pub max_runtime_in_seconds: Option<i64>,
}

/// The hyperparameter ranges a tuning job searches.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParameterRanges {
    /// Integer hyperparameters and their ranges, at most 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 30))]
    pub integer_parameter_ranges: Option<Vec<IntegerParameterRange>>,
    /// Continuous (real-valued) hyperparameters and their ranges, at most 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 30))]
    pub continuous_parameter_ranges: Option<Vec<ContinuousParameterRange>>,
    /// Categorical hyperparameters and their values, at most 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 30))]
    pub categorical_parameter_ranges: Option<Vec<CategoricalParameterRange>>,
    /// Hyperparameters whose ranges SageMaker chooses itself (with `autotune`), at most 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub auto_parameters: Option<Vec<AutoParameter>>,
}

/// An integer hyperparameter's range. The bounds are strings, as in the SageMaker API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegerParameterRange {
    /// Name of the hyperparameter, at most 255 characters.
    #[schemars(length(max = 255))]
    pub name: String,
    /// Smallest value to try, an integer written as a string (for example `"10"`).
    #[schemars(length(max = 256))]
    pub min_value: String,
    /// Largest value to try, an integer written as a string (for example `"20"`).
    #[schemars(length(max = 256))]
    pub max_value: String,
    /// `Auto`, `Linear` or `Logarithmic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling_type: Option<HyperParameterScalingType>,
}

/// A continuous hyperparameter's range. The bounds are strings, as in the SageMaker API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContinuousParameterRange {
    /// Name of the hyperparameter, at most 255 characters.
    #[schemars(length(max = 255))]
    pub name: String,
    /// Smallest value to try, a number written as a string (for example `"0.1"`).
    #[schemars(length(max = 256))]
    pub min_value: String,
    /// Largest value to try, a number written as a string (for example `"0.5"`).
    #[schemars(length(max = 256))]
    pub max_value: String,
    /// `Auto`, `Linear`, `Logarithmic` or `ReverseLogarithmic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling_type: Option<HyperParameterScalingType>,
}

/// A categorical hyperparameter and the values to try.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoricalParameterRange {
    /// Name of the hyperparameter, at most 255 characters.
    #[schemars(length(max = 255))]
    pub name: String,
    /// The values to try, 1 to 30 strings of at most 256 characters.
    #[schemars(length(min = 1, max = 30), inner(length(max = 256)))]
    pub values: Vec<String>,
}

/// A hyperparameter whose range SageMaker infers from an example value.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoParameter {
    /// Name of the hyperparameter, at most 256 characters.
    #[schemars(length(max = 256))]
    pub name: String,
    /// An example value SageMaker infers the range from, at most 256 characters.
    #[schemars(length(max = 256))]
    pub value_hint: String,
}

/// When a tuning job may finish before reaching its limits.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TuningJobCompletionCriteria {
    /// Stops the tuning job once a training job reaches this objective metric value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_objective_metric_value: Option<f32>,
    /// Stops the tuning job when the objective stops improving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_objective_not_improving: Option<BestObjectiveNotImproving>,
    /// Stops the tuning job when SageMaker detects convergence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence_detected: Option<ConvergenceDetected>,
}

/// Stop rule based on training jobs that do not improve the objective.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BestObjectiveNotImproving {
    /// Number of training jobs in a row without improvement that ends the tuning job, at
    /// least 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 3))]
    pub max_number_of_training_jobs_not_improving: Option<i32>,
}

/// Stop rule based on convergence.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConvergenceDetected {
    /// `Enabled` or `Disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^(Enabled|Disabled)$"))]
    pub complete_on_convergence: Option<String>,
}

/// Lets SageMaker configure the tuning job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Autotune {
    /// `Enabled`.
    #[schemars(pattern(r"^Enabled$"))]
    pub mode: String,
}

/// Algorithm of the training jobs a tuning job launches.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterAlgorithmSpecification {
    /// Registry path of the training image, at most 255 characters. Give this or
    /// `algorithmName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 255), pattern(IMAGE_PATTERN))]
    pub training_image: Option<String>,
    /// How input data reaches the container: `File`, `Pipe` or `FastFile`.
    pub training_input_mode: TrainingInputMode,
    /// Name or ARN of a SageMaker algorithm resource, 1 to 170 characters. Give this or
    /// `trainingImage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 170))]
    pub algorithm_name: Option<String>,
    /// Metrics to extract from the container's logs, at most 40.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 40))]
    pub metric_definitions: Option<Vec<MetricDefinition>>,
}

/// Allocation order of instance configurations: `Prioritized`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum HyperParameterTuningAllocationStrategy {
    Prioritized,
}

/// One instance configuration a tuning job may run training jobs on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTuningInstanceConfig {
    /// ML instance type.
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: String,
    /// Number of instances per training job, at least 1.
    #[schemars(range(min = 1))]
    pub instance_count: i32,
    /// Storage volume size in GB per instance, at least 1.
    #[serde(rename = "volumeSizeInGB")]
    #[schemars(range(min = 1))]
    pub volume_size_in_gb: i32,
}

/// Compute of the training jobs of a tuning job, as an alternative to `resourceConfig` that
/// allows several instance types.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTuningResourceConfig {
    /// ML instance type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(INSTANCE_TYPE_PATTERN))]
    pub instance_type: Option<String>,
    /// Number of instances per training job, at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub instance_count: Option<i32>,
    /// Storage volume size in GB per instance, at least 1.
    #[serde(rename = "volumeSizeInGB", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub volume_size_in_gb: Option<i32>,
    /// KMS key that encrypts the storage volumes, at most 2048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub volume_kms_key_id: Option<String>,
    /// `Prioritized`: try `instanceConfigs` in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation_strategy: Option<HyperParameterTuningAllocationStrategy>,
    /// Instance configurations to use, 1 to 6.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 6))]
    pub instance_configs: Option<Vec<HyperParameterTuningInstanceConfig>>,
}

/// The training jobs a tuning job launches.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTrainingJobDefinition {
    /// Name of this definition when several are given, 1 to 64 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 64),
        pattern(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$")
    )]
    pub definition_name: Option<String>,
    /// Objective of this definition (overrides the tuning job's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_objective: Option<HyperParameterTuningJobObjective>,
    /// Ranges of this definition (overrides the tuning job's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameter_ranges: Option<ParameterRanges>,
    /// Hyperparameters that stay the same in every training job, as `{name, value}` pairs, at
    /// most 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub static_hyper_parameters: Option<Vec<KeyValuePair>>,
    /// The training algorithm.
    pub algorithm_specification: HyperParameterAlgorithmSpecification,
    /// ARN of the IAM role SageMaker assumes to run the training jobs, 20 to 2048 characters.
    #[schemars(length(min = 20, max = 2048), pattern(ROLE_ARN_PATTERN))]
    pub role_arn: String,
    /// Input channels of the training jobs, 1 to 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub input_data_config: Option<Vec<Channel>>,
    /// VPC the training containers connect to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
    /// Where the model artifacts are written.
    pub output_data_config: OutputDataConfig,
    /// Instances and storage of each training job. Give this or
    /// `hyperParameterTuningResourceConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_config: Option<ResourceConfig>,
    /// Instance configurations of the training jobs, instead of `resourceConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameter_tuning_resource_config: Option<HyperParameterTuningResourceConfig>,
    /// Time limits of each training job.
    pub stopping_condition: StoppingCondition,
    /// Isolates the training containers from the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    /// Encrypts traffic between the instances of distributed training jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_inter_container_traffic_encryption: Option<bool>,
    /// Trains on spot instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_managed_spot_training: Option<bool>,
    /// Where checkpoints are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_config: Option<CheckpointConfig>,
    /// How often SageMaker retries a training job after an internal error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// Environment variables of the training containers as `{name, value}` pairs, at most 48.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 48))]
    pub environment: Option<Vec<KeyValuePair>>,
}

/// An earlier tuning job a warm start builds on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParentHyperParameterTuningJob {
    /// Name of the earlier tuning job in SageMaker, up to 32 alphanumerics or hyphens.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32), pattern(TUNING_JOB_NAME_PATTERN))]
    pub hyper_parameter_tuning_job_name: Option<String>,
}

/// Reuse of earlier tuning jobs' results.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTuningJobWarmStartConfig {
    /// The earlier tuning jobs, 1 to 5.
    #[schemars(length(min = 1, max = 5))]
    pub parent_hyper_parameter_tuning_jobs: Vec<ParentHyperParameterTuningJob>,
    /// `IdenticalDataAndAlgorithm` or `TransferLearning`.
    pub warm_start_type: HyperParameterTuningJobWarmStartType,
}

/// Observed state of a HyperparameterTuningJob, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = KindWording {
    additional: Some("More information about the status, for example SageMaker's failure reason or the error the operator met."),
    last_check_time: "When the operator last read the job's status from SageMaker.",
})]
pub struct HyperparameterTuningJobStatus {
    /// SageMaker's HyperParameterTuningJobStatus (`InProgress`, `Completed`, `Failed`,
    /// `Stopping`, `Stopped`), or `SynchronizingK8sJobWithSageMaker` before the operator has
    /// reached SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hyper_parameter_tuning_job_status: Option<String>,
    /// The training job with the best objective metric so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_training_job: Option<HyperParameterTrainingJobSummary>,
    /// Number of training jobs in each state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_status_counters: Option<TrainingJobStatusCounters>,
    /// Name of the tuning job in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sage_maker_hyper_parameter_tuning_job_name: Option<String>,
    /// What the operator reports about its own work on the object.
    #[serde(flatten)]
    pub common: CommonStatus,
}

/// Summary of one training job launched by a tuning job.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterTrainingJobSummary {
    /// Name of the training job in SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_name: Option<String>,
    /// ARN of the training job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_arn: Option<String>,
    /// Status of the training job (`InProgress`, `Completed`, `Failed`, `Stopping`, `Stopped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_job_status: Option<String>,
    /// The hyperparameter values the tuning job chose for this training job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned_hyper_parameters: Option<Vec<KeyValuePair>>,
    /// The objective metric the training job reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_hyper_parameter_tuning_job_objective_metric:
        Option<FinalHyperParameterTuningJobObjectiveMetric>,
    /// When the training job was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<Time>,
    /// When the training job started training.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_start_time: Option<Time>,
    /// When the training job ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_end_time: Option<Time>,
    /// Whether the objective metric was evaluated: `Succeeded`, `Pending` or `Failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective_status: Option<String>,
    /// Why the training job failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Name of the tuning job that launched the training job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning_job_name: Option<String>,
}

/// The objective metric value a training job reached.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FinalHyperParameterTuningJobObjectiveMetric {
    /// `Minimize` or `Maximize`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Name of the metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    /// Value of the metric, as a decimal string (for example `"0.0365"`): the type the original
    /// operator wrote, so scripts reading it keep working.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "number_or_string"
    )]
    pub value: Option<String>,
}

/// Reads a metric value written as a string, or as a number by operator versions before the
/// value became a string (objects stored then still carry a number until the next status write).
fn number_or_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(
        Option::<Written>::deserialize(deserializer)?.map(|written| match written {
            Written::Text(text) => text,
            Written::Number(number) => number.to_string(),
        }),
    )
}

/// Number of a tuning job's training jobs in each state.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingJobStatusCounters {
    /// Training jobs that completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<i64>,
    /// Training jobs in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_progress: Option<i64>,
    /// Training jobs that failed with an error SageMaker may retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retryable_error: Option<i64>,
    /// Training jobs that failed with an error SageMaker does not retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_retryable_error: Option<i64>,
    /// Training jobs that were stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<i64>,
    /// All training jobs that failed (retryable plus non-retryable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_error: Option<i64>,
}
