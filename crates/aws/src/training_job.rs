//! TrainingJob: spec → CreateTrainingJob request, DescribeTrainingJob → plain values.

use aws_sdk_sagemaker::operation::create_training_job::builders::CreateTrainingJobInputBuilder;
use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::TrainingJobSpec;
use sagemaker_k8s_api::common::KeyValuePair;
use sagemaker_k8s_api::training_job::{
    AlgorithmSpecification, DebugHookConfig, ProfilerConfig, RuleConfiguration,
    TensorBoardOutputConfig,
};

use crate::clients::SageMakerHandle;
use crate::convert::{experiment_config, key_value_map, tags_with_owner, timestamp, vpc_config};
use crate::errors::{ErrorKind, SageMakerError, classify};
use crate::training_definition::{
    checkpoint_config, input_data_config, metric_definitions, output_data_config, resource_config,
    retry_strategy, stopping_condition,
};
use crate::wire_name;

mod from_description;
pub use from_description::spec_from_description;

/// `base` then `overrides` as one list (a later entry of the same name wins in the map).
fn merged_parameters(
    base: &Option<Vec<KeyValuePair>>,
    overrides: &Option<Vec<KeyValuePair>>,
) -> Option<Vec<KeyValuePair>> {
    if base.is_none() && overrides.is_none() {
        return None;
    }
    Some(
        base.iter()
            .flatten()
            .chain(overrides.iter().flatten())
            .cloned()
            .collect(),
    )
}

fn debug_hook_config(hook: &DebugHookConfig) -> sdk::DebugHookConfig {
    sdk::DebugHookConfig::builder()
        .set_local_path(hook.local_path.clone())
        .s3_output_path(&hook.s3_output_path)
        // `ruleParameters` is the original operator's name for the hook's parameters: both are
        // sent, `hookParameters` winning where both name the same parameter.
        .set_hook_parameters(key_value_map(&merged_parameters(
            &hook.rule_parameters,
            &hook.hook_parameters,
        )))
        .set_collection_configurations(hook.collection_configurations.as_ref().map(|collections| {
            collections
                .iter()
                .map(|collection| {
                    sdk::CollectionConfiguration::builder()
                        .set_collection_name(collection.collection_name.clone())
                        .set_collection_parameters(key_value_map(&collection.collection_parameters))
                        .build()
                })
                .collect()
        }))
        .build()
}

// DebugRuleConfiguration and ProfilerRuleConfiguration have identical members but distinct SDK
// builders, so one macro body serves both and their conversions cannot drift apart.
macro_rules! rule_configuration {
    ($builder:ty, $rule:expr) => {{
        let rule: &RuleConfiguration = $rule;
        <$builder>::default()
            .rule_configuration_name(&rule.rule_configuration_name)
            .set_local_path(rule.local_path.clone())
            .set_s3_output_path(rule.s3_output_path.clone())
            .rule_evaluator_image(&rule.rule_evaluator_image)
            .set_instance_type(
                rule.instance_type
                    .as_deref()
                    .map(sdk::ProcessingInstanceType::from),
            )
            .set_volume_size_in_gb(rule.volume_size_in_gb)
            .set_rule_parameters(key_value_map(&rule.rule_parameters))
            .build()
    }};
}

fn debug_rule(rule: &RuleConfiguration) -> sdk::DebugRuleConfiguration {
    rule_configuration!(sdk::builders::DebugRuleConfigurationBuilder, rule)
}

fn profiler_rule(rule: &RuleConfiguration) -> sdk::ProfilerRuleConfiguration {
    rule_configuration!(sdk::builders::ProfilerRuleConfigurationBuilder, rule)
}

fn tensor_board_output_config(config: &TensorBoardOutputConfig) -> sdk::TensorBoardOutputConfig {
    sdk::TensorBoardOutputConfig::builder()
        .set_local_path(config.local_path.clone())
        .s3_output_path(&config.s3_output_path)
        .build()
}

fn profiler_config(config: &ProfilerConfig) -> sdk::ProfilerConfig {
    sdk::ProfilerConfig::builder()
        .set_s3_output_path(config.s3_output_path.clone())
        .set_profiling_interval_in_milliseconds(config.profiling_interval_in_milliseconds)
        .set_profiling_parameters(key_value_map(&config.profiling_parameters))
        .set_disable_profiler(config.disable_profiler)
        .build()
}

fn algorithm_specification(algorithm: &AlgorithmSpecification) -> sdk::AlgorithmSpecification {
    let image_config = algorithm.training_image_config.as_ref().map(|config| {
        sdk::TrainingImageConfig::builder()
            .training_repository_access_mode(sdk::TrainingRepositoryAccessMode::from(
                wire_name(&config.training_repository_access_mode).as_str(),
            ))
            .set_training_repository_auth_config(
                config.training_repository_auth_config.as_ref().map(|auth| {
                    sdk::TrainingRepositoryAuthConfig::builder()
                        .training_repository_credentials_provider_arn(
                            &auth.training_repository_credentials_provider_arn,
                        )
                        .build()
                }),
            )
            .build()
    });
    sdk::AlgorithmSpecification::builder()
        .set_training_image(algorithm.training_image.clone())
        .set_algorithm_name(algorithm.algorithm_name.clone())
        .training_input_mode(sdk::TrainingInputMode::from(
            wire_name(&algorithm.training_input_mode).as_str(),
        ))
        .set_metric_definitions(metric_definitions(&algorithm.metric_definitions))
        .set_enable_sage_maker_metrics_time_series(algorithm.enable_sage_maker_metrics_time_series)
        .set_container_entrypoint(algorithm.container_entrypoint.clone())
        .set_container_arguments(algorithm.container_arguments.clone())
        .set_training_image_config(image_config)
        .build()
}

fn unbuildable(error: aws_smithy_types::error::operation::BuildError) -> SageMakerError {
    SageMakerError::new(
        ErrorKind::Other,
        format!("CreateTrainingJob request: {error}"),
    )
    .with_source(error)
}

fn mlflow_config(spec: &TrainingJobSpec) -> Result<Option<sdk::MlflowConfig>, SageMakerError> {
    spec.mlflow_config
        .as_ref()
        .map(|config| {
            sdk::MlflowConfig::builder()
                .mlflow_resource_arn(&config.mlflow_resource_arn)
                .set_mlflow_experiment_name(config.mlflow_experiment_name.clone())
                .set_mlflow_run_name(config.mlflow_run_name.clone())
                .build()
        })
        .transpose()
        .map_err(unbuildable)
}

fn model_package_config(
    spec: &TrainingJobSpec,
) -> Result<Option<sdk::ModelPackageConfig>, SageMakerError> {
    spec.model_package_config
        .as_ref()
        .map(|config| {
            sdk::ModelPackageConfig::builder()
                .model_package_group_arn(&config.model_package_group_arn)
                .set_source_model_package_arn(config.source_model_package_arn.clone())
                .build()
        })
        .transpose()
        .map_err(unbuildable)
}

/// The CreateTrainingJob request for a spec under the given SageMaker name, tagged with the
/// owning object's UID.
pub fn create_request(
    spec: &TrainingJobSpec,
    job_name: &str,
    owner_uid: &str,
) -> Result<CreateTrainingJobInputBuilder, SageMakerError> {
    let mlflow_config = mlflow_config(spec)?;
    let model_package_config = model_package_config(spec)?;
    let request =
        aws_sdk_sagemaker::operation::create_training_job::CreateTrainingJobInput::builder()
            .training_job_name(job_name)
            .algorithm_specification(algorithm_specification(&spec.algorithm_specification))
            .set_hyper_parameters(key_value_map(&spec.hyper_parameters))
            .set_input_data_config(input_data_config(&spec.input_data_config))
            .output_data_config(output_data_config(&spec.output_data_config))
            .resource_config(resource_config(&spec.resource_config))
            .role_arn(&spec.role_arn)
            .stopping_condition(stopping_condition(&spec.stopping_condition))
            .set_vpc_config(spec.vpc_config.as_ref().map(vpc_config))
            .set_enable_network_isolation(spec.enable_network_isolation)
            .set_enable_inter_container_traffic_encryption(
                spec.enable_inter_container_traffic_encryption,
            )
            .set_enable_managed_spot_training(spec.enable_managed_spot_training)
            .set_checkpoint_config(spec.checkpoint_config.as_ref().map(checkpoint_config))
            .set_experiment_config(spec.experiment_config.as_ref().map(experiment_config))
            .set_environment(key_value_map(&spec.environment))
            .set_retry_strategy(spec.retry_strategy.as_ref().map(retry_strategy))
            .set_debug_hook_config(spec.debug_hook_config.as_ref().map(debug_hook_config))
            .set_debug_rule_configurations(
                spec.debug_rule_configurations
                    .as_ref()
                    .map(|rules| rules.iter().map(debug_rule).collect()),
            )
            .set_tensor_board_output_config(
                spec.tensor_board_output_config
                    .as_ref()
                    .map(tensor_board_output_config),
            )
            .set_profiler_config(spec.profiler_config.as_ref().map(profiler_config))
            .set_profiler_rule_configurations(
                spec.profiler_rule_configurations
                    .as_ref()
                    .map(|rules| rules.iter().map(profiler_rule).collect()),
            )
            .set_remote_debug_config(spec.remote_debug_config.as_ref().map(|config| {
                sdk::RemoteDebugConfig::builder()
                    .set_enable_remote_debug(config.enable_remote_debug)
                    .build()
            }))
            .set_infra_check_config(spec.infra_check_config.as_ref().map(|config| {
                sdk::InfraCheckConfig::builder()
                    .set_enable_infra_check(config.enable_infra_check)
                    .build()
            }))
            .set_session_chaining_config(spec.session_chaining_config.as_ref().map(|config| {
                sdk::SessionChainingConfig::builder()
                    .set_enable_session_tag_chaining(config.enable_session_tag_chaining)
                    .build()
            }))
            .set_mlflow_config(mlflow_config)
            .set_model_package_config(model_package_config)
            .set_tags(Some(tags_with_owner(
                spec.tags.as_deref().unwrap_or_default(),
                owner_uid,
            )));
    Ok(request)
}

/// What the operator needs from DescribeTrainingJob.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingJobDescription {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub secondary_status: Option<String>,
    pub failure_reason: Option<String>,
    pub model_artifacts: Option<String>,
    pub tuning_job_arn: Option<String>,
    pub debug_rule_evaluation_statuses: Vec<RuleEvaluationStatus>,
    /// SageMaker's LastModifiedTime: what the status poller compares its listings with.
    pub last_modified: Option<jiff::Timestamp>,
}

/// One Debugger rule evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleEvaluationStatus {
    pub rule_configuration_name: Option<String>,
    pub rule_evaluation_job_arn: Option<String>,
    pub rule_evaluation_status: Option<String>,
    pub status_details: Option<String>,
    pub last_modified_time: Option<jiff::Timestamp>,
}

/// Calls on training jobs.
impl SageMakerHandle {
    pub async fn create_training_job(
        &self,
        spec: &TrainingJobSpec,
        job_name: &str,
        owner_uid: &str,
    ) -> Result<String, SageMakerError> {
        let request = create_request(spec, job_name, owner_uid)?;
        self.throttle("CreateTrainingJob").await;
        let output = request.send_with(&self.client).await.map_err(classify)?;
        Ok(output.training_job_arn().unwrap_or_default().to_string())
    }

    /// One DescribeTrainingJob call, read both as a status ([`Self::describe_training_job`]) and
    /// as a spec ([`Self::describe_training_job_spec`]).
    async fn describe_training_job_output(
        &self,
        job_name: &str,
    ) -> Result<
        aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput,
        SageMakerError,
    > {
        self.throttle("DescribeTrainingJob").await;
        self.client
            .describe_training_job()
            .training_job_name(job_name)
            .send()
            .await
            .map_err(classify)
    }

    pub async fn describe_training_job(
        &self,
        job_name: &str,
    ) -> Result<TrainingJobDescription, SageMakerError> {
        let output = self.describe_training_job_output(job_name).await?;
        Ok(TrainingJobDescription {
            name: output.training_job_name().unwrap_or(job_name).to_string(),
            arn: output.training_job_arn().unwrap_or_default().to_string(),
            last_modified: timestamp(output.last_modified_time()),
            status: output
                .training_job_status()
                .map(|status| status.as_str().to_string())
                .unwrap_or_default(),
            secondary_status: output
                .secondary_status()
                .map(|status| status.as_str().to_string()),
            failure_reason: output.failure_reason().map(str::to_string),
            model_artifacts: output.model_artifacts().map(|artifacts| {
                artifacts
                    .s3_model_artifacts()
                    .unwrap_or_default()
                    .to_string()
            }),
            tuning_job_arn: output.tuning_job_arn().map(str::to_string),
            debug_rule_evaluation_statuses: output
                .debug_rule_evaluation_statuses()
                .iter()
                .map(|rule| RuleEvaluationStatus {
                    rule_configuration_name: rule.rule_configuration_name().map(str::to_string),
                    rule_evaluation_job_arn: rule.rule_evaluation_job_arn().map(str::to_string),
                    rule_evaluation_status: rule
                        .rule_evaluation_status()
                        .map(|status| status.as_str().to_string()),
                    status_details: rule.status_details().map(str::to_string),
                    last_modified_time: timestamp(rule.last_modified_time()),
                })
                .collect(),
        })
    }

    /// The spec of a training job someone else created (a tuning job's child), read back from
    /// DescribeTrainingJob, so its mirror object shows what SageMaker runs.
    pub async fn describe_training_job_spec(
        &self,
        job_name: &str,
        sage_maker_endpoint: Option<&str>,
    ) -> Result<TrainingJobSpec, SageMakerError> {
        let output = self.describe_training_job_output(job_name).await?;
        spec_from_description(&output, &self.location.region, sage_maker_endpoint)
    }

    pub async fn stop_training_job(&self, job_name: &str) -> Result<(), SageMakerError> {
        self.throttle("StopTrainingJob").await;
        self.client
            .stop_training_job()
            .training_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    crate::listing::modified_after_listing!(
        /// Names and last-modified times of training jobs modified after `after` (all pages).
        training_jobs_modified_after, "ListTrainingJobs", list_training_jobs, training_job_summaries, training_job_name
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OWNER_UID_TAG;
    use crate::training_definition::channel;

    fn example_spec() -> TrainingJobSpec {
        serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "algorithmSpecification": {
                "trainingImage": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1",
                "trainingInputMode": "File",
                "metricDefinitions": [{"name": "auc", "regex": "auc:([0-9.]+)"}]
            },
            "hyperParameters": [{"name": "max_depth", "value": "5"}],
            "inputDataConfig": [{
                "channelName": "train",
                "dataSource": {"s3DataSource": {"s3DataType": "S3Prefix", "s3Uri": "s3://b/train/", "s3DataDistributionType": "FullyReplicated"}},
                "contentType": "text/csv",
                "compressionType": "None",
                "recordWrapperType": "RecordIO",
                "inputMode": "Pipe",
                "shuffleConfig": {"seed": 7}
            }],
            "outputDataConfig": {"s3OutputPath": "s3://b/out", "compressionType": "GZIP"},
            "resourceConfig": {"instanceType": "ml.m4.xlarge", "instanceCount": 2, "volumeSizeInGB": 5},
            "roleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
            "stoppingCondition": {"maxRuntimeInSeconds": 86400, "maxWaitTimeInSeconds": 90000},
            "vpcConfig": {"securityGroupIds": ["sg-1"], "subnets": ["subnet-1"]},
            "enableNetworkIsolation": true,
            "enableManagedSpotTraining": true,
            "checkpointConfig": {"s3Uri": "s3://b/ckpt"},
            "environment": [{"name": "MODE", "value": "fast"}],
            "retryStrategy": {"maximumRetryAttempts": 3},
            "tags": [{"key": "emulator:outcome", "value": "Failed"}, {"key": "sagemaker.aws.amazon.com/owner-uid", "value": "forged"}]
        }))
        .expect("example spec parses")
    }

    #[test]
    fn create_request_maps_spec_fields() {
        let input = create_request(&example_spec(), "job-1", "uid-1")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(input.training_job_name(), Some("job-1"));
        let algorithm = input.algorithm_specification().unwrap();
        assert_eq!(algorithm.training_input_mode().unwrap().as_str(), "File");
        assert_eq!(
            algorithm.metric_definitions()[0].regex(),
            Some("auc:([0-9.]+)")
        );
        assert_eq!(input.hyper_parameters().unwrap()["max_depth"], "5");
        let channel = &input.input_data_config()[0];
        assert_eq!(channel.channel_name(), Some("train"));
        let s3 = channel.data_source().unwrap().s3_data_source().unwrap();
        assert_eq!(s3.s3_data_type().unwrap().as_str(), "S3Prefix");
        assert_eq!(s3.s3_uri(), Some("s3://b/train/"));
        assert_eq!(
            s3.s3_data_distribution_type().unwrap().as_str(),
            "FullyReplicated"
        );
        assert_eq!(channel.record_wrapper_type().unwrap().as_str(), "RecordIO");
        assert_eq!(channel.input_mode().unwrap().as_str(), "Pipe");
        assert_eq!(channel.shuffle_config().unwrap().seed(), Some(7));
        assert_eq!(
            input
                .output_data_config()
                .unwrap()
                .compression_type()
                .unwrap()
                .as_str(),
            "GZIP"
        );
        let resources = input.resource_config().unwrap();
        assert_eq!(resources.instance_type().unwrap().as_str(), "ml.m4.xlarge");
        assert_eq!(resources.instance_count(), Some(2));
        assert_eq!(resources.volume_size_in_gb(), Some(5));
        assert_eq!(
            input
                .stopping_condition()
                .unwrap()
                .max_wait_time_in_seconds(),
            Some(90000)
        );
        assert_eq!(input.vpc_config().unwrap().subnets(), ["subnet-1"]);
        assert_eq!(input.enable_network_isolation(), Some(true));
        assert_eq!(input.enable_managed_spot_training(), Some(true));
        assert_eq!(
            input.checkpoint_config().unwrap().s3_uri(),
            Some("s3://b/ckpt")
        );
        assert_eq!(input.environment().unwrap()["MODE"], "fast");
        assert_eq!(
            input.retry_strategy().unwrap().maximum_retry_attempts(),
            Some(3)
        );
    }

    #[test]
    fn ownership_tag_is_added_and_cannot_be_forged_by_spec_tags() {
        let input = create_request(&example_spec(), "job-1", "uid-1")
            .unwrap()
            .build()
            .unwrap();
        let tags: Vec<_> = input
            .tags()
            .iter()
            .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
            .collect();
        assert_eq!(
            tags,
            [("emulator:outcome", "Failed"), (OWNER_UID_TAG, "uid-1")]
        );
    }

    #[test]
    fn debugger_and_profiler_settings_reach_the_request() {
        let mut spec = example_spec();
        let extra: TrainingJobSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "algorithmSpecification": {"trainingImage": "img", "trainingInputMode": "File"},
            "outputDataConfig": {"s3OutputPath": "s3://b/o"},
            "resourceConfig": {"volumeSizeInGB": 1},
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "stoppingCondition": {},
            "debugHookConfig": {
                "localPath": "/opt/ml/output/tensors",
                "s3OutputPath": "s3://b/debug",
                "hookParameters": [{"name": "save_interval", "value": "100"}],
                "collectionConfigurations": [{"collectionName": "losses", "collectionParameters": [{"name": "include_regex", "value": ".*loss"}]}]
            },
            "debugRuleConfigurations": [{
                "ruleConfigurationName": "LossNotDecreasing",
                "ruleEvaluatorImage": "895741380848.dkr.ecr.us-west-2.amazonaws.com/sagemaker-debugger-rules:latest",
                "instanceType": "ml.t3.medium",
                "volumeSizeInGB": 10,
                "ruleParameters": [{"name": "rule_to_invoke", "value": "LossNotDecreasing"}]
            }],
            "tensorBoardOutputConfig": {"s3OutputPath": "s3://b/tb"},
            "profilerConfig": {"s3OutputPath": "s3://b/profile", "profilingIntervalInMilliseconds": 500, "profilingParameters": [{"name": "DataloaderProfilingConfig", "value": "{}"}]},
            "profilerRuleConfigurations": [{
                "ruleConfigurationName": "ProfilerReport",
                "ruleEvaluatorImage": "895741380848.dkr.ecr.us-west-2.amazonaws.com/sagemaker-debugger-rules:latest",
                "ruleParameters": [{"name": "rule_to_invoke", "value": "ProfilerReport"}]
            }]
        }))
        .unwrap();
        spec.debug_hook_config = extra.debug_hook_config;
        spec.debug_rule_configurations = extra.debug_rule_configurations;
        spec.tensor_board_output_config = extra.tensor_board_output_config;
        spec.profiler_config = extra.profiler_config;
        spec.profiler_rule_configurations = extra.profiler_rule_configurations;
        let input = create_request(&spec, "job-1", "uid-1")
            .unwrap()
            .build()
            .unwrap();

        let hook = input.debug_hook_config().unwrap();
        assert_eq!(
            (hook.local_path(), hook.s3_output_path()),
            (Some("/opt/ml/output/tensors"), Some("s3://b/debug"))
        );
        assert_eq!(hook.hook_parameters().unwrap()["save_interval"], "100");
        // The original operator called the hook's parameters `ruleParameters`.
        let mut original = spec.clone();
        let hook_config = original.debug_hook_config.as_mut().unwrap();
        hook_config.rule_parameters = hook_config.hook_parameters.take();
        let original_input = create_request(&original, "job-1", "uid-1")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            original_input.debug_hook_config(),
            input.debug_hook_config()
        );
        let collection = &hook.collection_configurations()[0];
        assert_eq!(collection.collection_name(), Some("losses"));
        assert_eq!(
            collection.collection_parameters().unwrap()["include_regex"],
            ".*loss"
        );

        let rule = &input.debug_rule_configurations()[0];
        assert_eq!(rule.rule_configuration_name(), Some("LossNotDecreasing"));
        assert_eq!(rule.instance_type().unwrap().as_str(), "ml.t3.medium");
        assert_eq!(rule.volume_size_in_gb(), Some(10));
        assert_eq!(
            rule.rule_parameters().unwrap()["rule_to_invoke"],
            "LossNotDecreasing"
        );

        assert_eq!(
            input.tensor_board_output_config().unwrap().s3_output_path(),
            Some("s3://b/tb")
        );
        let profiler = input.profiler_config().unwrap();
        assert_eq!(
            (
                profiler.s3_output_path(),
                profiler.profiling_interval_in_milliseconds()
            ),
            (Some("s3://b/profile"), Some(500))
        );
        assert_eq!(
            profiler.profiling_parameters().unwrap()["DataloaderProfilingConfig"],
            "{}"
        );
        let profiler_rule = &input.profiler_rule_configurations()[0];
        assert_eq!(
            profiler_rule.rule_configuration_name(),
            Some("ProfilerReport")
        );
        assert!(
            profiler_rule
                .rule_evaluator_image()
                .unwrap()
                .ends_with("sagemaker-debugger-rules:latest")
        );
    }

    #[test]
    fn describe_output_reads_back_as_a_spec() {
        use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
        let output = DescribeTrainingJobOutput::builder()
            .training_job_name("hpo-001-abcdef12")
            .role_arn("arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole")
            .algorithm_specification(
                sdk::AlgorithmSpecification::builder()
                    .training_image("img:1")
                    .training_input_mode(sdk::TrainingInputMode::File)
                    .build(),
            )
            .hyper_parameters("num_round", "18")
            .hyper_parameters("base_score", "0.5")
            .input_data_config(channel(&example_spec().input_data_config.unwrap()[0]))
            .output_data_config(
                sdk::OutputDataConfig::builder()
                    .s3_output_path("s3://b/out")
                    .build(),
            )
            .resource_config(
                sdk::ResourceConfig::builder()
                    .instance_type(sdk::TrainingInstanceType::MlM4Xlarge)
                    .instance_count(1)
                    .volume_size_in_gb(5)
                    .build(),
            )
            .stopping_condition(
                sdk::StoppingCondition::builder()
                    .max_runtime_in_seconds(86400)
                    .build(),
            )
            .build();
        let spec = spec_from_description(&output, "us-west-2", Some("http://127.0.0.1:1")).unwrap();
        assert_eq!(spec.training_job_name.as_deref(), Some("hpo-001-abcdef12"));
        assert_eq!(spec.region, "us-west-2");
        assert_eq!(
            spec.sage_maker_endpoint.as_deref(),
            Some("http://127.0.0.1:1")
        );
        let names: Vec<_> = spec
            .hyper_parameters
            .unwrap()
            .into_iter()
            .map(|pair| pair.name)
            .collect();
        assert_eq!(names, ["base_score", "num_round"]);
        let channel = &spec.input_data_config.unwrap()[0];
        assert_eq!(
            channel.data_source.s3_data_source.as_ref().unwrap().s3_uri,
            "s3://b/train/"
        );
        assert_eq!(
            spec.resource_config.instance_type.as_deref(),
            Some("ml.m4.xlarge")
        );
        assert_eq!(spec.stopping_condition.max_runtime_in_seconds, Some(86400));
        assert_eq!(spec.output_data_config.s3_output_path, "s3://b/out");
    }
}
