//! The parts of a training job definition that a TrainingJob and a HyperparameterTuningJob's
//! training job definitions share: channels, output, resources, stopping condition,
//! checkpoints, metric definitions and retry strategy.

use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::common::{
    Channel, CheckpointConfig, MetricDefinition, OutputDataConfig, ResourceConfig, RetryStrategy,
    StoppingCondition,
};

use crate::wire_name;

pub(crate) fn channel(channel: &Channel) -> sdk::Channel {
    let source = &channel.data_source;
    let s3 = source.s3_data_source.as_ref().map(|s3| {
        sdk::S3DataSource::builder()
            .s3_data_type(sdk::S3DataType::from(wire_name(&s3.s3_data_type).as_str()))
            .s3_uri(&s3.s3_uri)
            .set_s3_data_distribution_type(
                s3.s3_data_distribution_type
                    .map(|kind| sdk::S3DataDistribution::from(wire_name(&kind).as_str())),
            )
            .set_attribute_names(s3.attribute_names.clone())
            .set_instance_group_names(s3.instance_group_names.clone())
            .set_model_access_config(s3.model_access_config.as_ref().map(|access| {
                sdk::ModelAccessConfig::builder()
                    .accept_eula(access.accept_eula)
                    .build()
            }))
            .set_hub_access_config(s3.hub_access_config.as_ref().map(|hub| {
                sdk::HubAccessConfig::builder()
                    .hub_content_arn(&hub.hub_content_arn)
                    .build()
            }))
            .build()
    });
    let file_system = source.file_system_data_source.as_ref().map(|fs| {
        sdk::FileSystemDataSource::builder()
            .file_system_id(&fs.file_system_id)
            .file_system_access_mode(sdk::FileSystemAccessMode::from(
                wire_name(&fs.file_system_access_mode).as_str(),
            ))
            .file_system_type(sdk::FileSystemType::from(
                wire_name(&fs.file_system_type).as_str(),
            ))
            .directory_path(&fs.directory_path)
            .build()
    });
    let dataset = source
        .dataset_source
        .as_ref()
        // DatasetSource's builder is fallible only in signature: its one member is optional.
        .and_then(|dataset| {
            sdk::DatasetSource::builder()
                .set_dataset_arn(dataset.dataset_arn.clone())
                .build()
                .ok()
        });
    sdk::Channel::builder()
        .channel_name(&channel.channel_name)
        .data_source(
            sdk::DataSource::builder()
                .set_s3_data_source(s3)
                .set_file_system_data_source(file_system)
                .set_dataset_source(dataset)
                .build(),
        )
        .set_content_type(channel.content_type.clone())
        .set_compression_type(
            channel
                .compression_type
                .map(|kind| sdk::CompressionType::from(wire_name(&kind).as_str())),
        )
        .set_record_wrapper_type(
            channel
                .record_wrapper_type
                .map(|kind| sdk::RecordWrapper::from(wire_name(&kind).as_str())),
        )
        .set_input_mode(
            channel
                .input_mode
                .map(|mode| sdk::TrainingInputMode::from(wire_name(&mode).as_str())),
        )
        .set_shuffle_config(
            channel
                .shuffle_config
                .as_ref()
                .map(|shuffle| sdk::ShuffleConfig::builder().seed(shuffle.seed).build()),
        )
        .build()
}

pub(crate) fn output_data_config(output: &OutputDataConfig) -> sdk::OutputDataConfig {
    sdk::OutputDataConfig::builder()
        .set_kms_key_id(output.kms_key_id.clone())
        .s3_output_path(&output.s3_output_path)
        .set_compression_type(
            output
                .compression_type
                .map(|kind| sdk::OutputCompressionType::from(wire_name(&kind).as_str())),
        )
        .build()
}

pub(crate) fn resource_config(resources: &ResourceConfig) -> sdk::ResourceConfig {
    let groups = resources.instance_groups.as_ref().map(|groups| {
        groups
            .iter()
            .map(|group| {
                sdk::InstanceGroup::builder()
                    .instance_type(sdk::TrainingInstanceType::from(
                        group.instance_type.as_str(),
                    ))
                    .instance_count(group.instance_count)
                    .instance_group_name(&group.instance_group_name)
                    .build()
            })
            .collect::<Vec<_>>()
    });
    sdk::ResourceConfig::builder()
        .set_instance_type(
            resources
                .instance_type
                .as_deref()
                .map(sdk::TrainingInstanceType::from),
        )
        .set_instance_count(resources.instance_count)
        .volume_size_in_gb(resources.volume_size_in_gb)
        .set_volume_kms_key_id(resources.volume_kms_key_id.clone())
        .set_keep_alive_period_in_seconds(resources.keep_alive_period_in_seconds)
        .set_instance_groups(groups)
        .set_training_plan_arn(resources.training_plan_arn.clone())
        .build()
}

pub(crate) fn stopping_condition(condition: &StoppingCondition) -> sdk::StoppingCondition {
    sdk::StoppingCondition::builder()
        .set_max_runtime_in_seconds(condition.max_runtime_in_seconds.map(clamp_i32))
        .set_max_wait_time_in_seconds(condition.max_wait_time_in_seconds.map(clamp_i32))
        .set_max_pending_time_in_seconds(condition.max_pending_time_in_seconds.map(clamp_i32))
        .build()
}

fn clamp_i32(value: i64) -> i32 {
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

pub(crate) fn checkpoint_config(checkpoint: &CheckpointConfig) -> sdk::CheckpointConfig {
    sdk::CheckpointConfig::builder()
        .s3_uri(&checkpoint.s3_uri)
        .set_local_path(checkpoint.local_path.clone())
        .build()
}

pub(crate) fn metric_definitions(
    definitions: &Option<Vec<MetricDefinition>>,
) -> Option<Vec<sdk::MetricDefinition>> {
    definitions.as_ref().map(|definitions| {
        definitions
            .iter()
            .map(|metric| {
                sdk::MetricDefinition::builder()
                    .name(&metric.name)
                    .regex(&metric.regex)
                    .build()
            })
            .collect()
    })
}

pub(crate) fn input_data_config(channels: &Option<Vec<Channel>>) -> Option<Vec<sdk::Channel>> {
    channels
        .as_ref()
        .map(|channels| channels.iter().map(channel).collect())
}

pub(crate) fn retry_strategy(retry: &RetryStrategy) -> sdk::RetryStrategy {
    sdk::RetryStrategy::builder()
        .maximum_retry_attempts(retry.maximum_retry_attempts)
        .build()
}
