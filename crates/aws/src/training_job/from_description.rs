//! DescribeTrainingJob → TrainingJobSpec: the spec of a training job someone else created (a
//! tuning job's child), in the spec's camelCase shape, one function per part of the answer.

use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::TrainingJobSpec;
use serde_json::{Map, Value, json};

use crate::errors::{ErrorKind, SageMakerError};

/// Rewrites a DescribeTrainingJob answer into the spec's camelCase shape and parses it: the API
/// types read exactly what users write, so this checks the result against the same rules.
/// Covers what `kubectl get/describe` shows of a job; members the operator never sends (and so
/// cannot have sent for a child) are left out.
pub fn spec_from_description(
    output: &DescribeTrainingJobOutput,
    region: &str,
    sage_maker_endpoint: Option<&str>,
) -> Result<TrainingJobSpec, SageMakerError> {
    let mut spec = Map::new();
    insert(&mut spec, "trainingJobName", output.training_job_name());
    insert(&mut spec, "region", Some(region));
    insert(&mut spec, "sageMakerEndpoint", sage_maker_endpoint);
    insert(&mut spec, "roleArn", output.role_arn());
    insert(
        &mut spec,
        "algorithmSpecification",
        output.algorithm_specification().map(algorithm),
    );
    insert(
        &mut spec,
        "hyperParameters",
        output.hyper_parameters().map(hyper_parameters),
    );
    let channels: Vec<Value> = output.input_data_config().iter().map(channel).collect();
    if !channels.is_empty() {
        spec.insert("inputDataConfig".into(), Value::Array(channels));
    }
    insert(
        &mut spec,
        "outputDataConfig",
        output.output_data_config().map(output_data_config),
    );
    insert(
        &mut spec,
        "resourceConfig",
        output.resource_config().map(resource_config),
    );
    insert(
        &mut spec,
        "stoppingCondition",
        output.stopping_condition().map(stopping_condition),
    );
    insert_switches_and_extras(&mut spec, output);
    let job_name = output.training_job_name().unwrap_or_default();
    serde_json::from_value(Value::Object(spec)).map_err(|error| {
        SageMakerError::new(
            ErrorKind::Other,
            format!("DescribeTrainingJob of {job_name} does not fit a TrainingJob spec: {error}"),
        )
        .with_source(error)
    })
}

fn insert<T: serde::Serialize>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(value) = value {
        map.insert(key.into(), json!(value));
    }
}

fn algorithm(algorithm: &sdk::AlgorithmSpecification) -> Value {
    let mut map = Map::new();
    insert(&mut map, "trainingImage", algorithm.training_image());
    insert(&mut map, "algorithmName", algorithm.algorithm_name());
    insert(
        &mut map,
        "trainingInputMode",
        algorithm.training_input_mode().map(|mode| mode.as_str()),
    );
    let metrics: Vec<Value> = algorithm
        .metric_definitions()
        .iter()
        .map(|metric| json!({"name": metric.name(), "regex": metric.regex()}))
        .collect();
    if !metrics.is_empty() {
        map.insert("metricDefinitions".into(), Value::Array(metrics));
    }
    Value::Object(map)
}

fn hyper_parameters(hyperparameters: &std::collections::HashMap<String, String>) -> Value {
    let mut pairs: Vec<(&String, &String)> = hyperparameters.iter().collect();
    // A map has no order; sorted pairs keep the object stable across reads.
    pairs.sort();
    json!(
        pairs
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect::<Vec<_>>()
    )
}

fn channel(channel: &sdk::Channel) -> Value {
    let mut map = Map::new();
    insert(&mut map, "channelName", channel.channel_name());
    map.insert(
        "dataSource".into(),
        channel.data_source().map(data_source).unwrap_or(json!({})),
    );
    insert(&mut map, "contentType", channel.content_type());
    insert(
        &mut map,
        "compressionType",
        channel.compression_type().map(|kind| kind.as_str()),
    );
    insert(
        &mut map,
        "recordWrapperType",
        channel.record_wrapper_type().map(|kind| kind.as_str()),
    );
    insert(
        &mut map,
        "inputMode",
        channel.input_mode().map(|mode| mode.as_str()),
    );
    Value::Object(map)
}

fn data_source(source: &sdk::DataSource) -> Value {
    let mut map = Map::new();
    if let Some(s3) = source.s3_data_source() {
        let mut s3_map = Map::new();
        insert(
            &mut s3_map,
            "s3DataType",
            s3.s3_data_type().map(|kind| kind.as_str()),
        );
        insert(&mut s3_map, "s3Uri", s3.s3_uri());
        insert(
            &mut s3_map,
            "s3DataDistributionType",
            s3.s3_data_distribution_type().map(|kind| kind.as_str()),
        );
        map.insert("s3DataSource".into(), Value::Object(s3_map));
    }
    if let Some(fs) = source.file_system_data_source() {
        map.insert(
            "fileSystemDataSource".into(),
            json!({
                "fileSystemId": fs.file_system_id(),
                "fileSystemAccessMode": fs.file_system_access_mode().map(|mode| mode.as_str()),
                "fileSystemType": fs.file_system_type().map(|kind| kind.as_str()),
                "directoryPath": fs.directory_path(),
            }),
        );
    }
    Value::Object(map)
}

fn output_data_config(output: &sdk::OutputDataConfig) -> Value {
    let mut map = Map::new();
    insert(&mut map, "s3OutputPath", output.s3_output_path());
    insert(&mut map, "kmsKeyId", output.kms_key_id());
    insert(
        &mut map,
        "compressionType",
        output.compression_type().map(|kind| kind.as_str()),
    );
    Value::Object(map)
}

fn resource_config(resources: &sdk::ResourceConfig) -> Value {
    let mut map = Map::new();
    insert(
        &mut map,
        "instanceType",
        resources.instance_type().map(|kind| kind.as_str()),
    );
    insert(&mut map, "instanceCount", resources.instance_count());
    insert(&mut map, "volumeSizeInGB", resources.volume_size_in_gb());
    insert(&mut map, "volumeKmsKeyId", resources.volume_kms_key_id());
    Value::Object(map)
}

fn stopping_condition(stopping: &sdk::StoppingCondition) -> Value {
    let mut map = Map::new();
    insert(
        &mut map,
        "maxRuntimeInSeconds",
        stopping.max_runtime_in_seconds(),
    );
    insert(
        &mut map,
        "maxWaitTimeInSeconds",
        stopping.max_wait_time_in_seconds(),
    );
    insert(
        &mut map,
        "maxPendingTimeInSeconds",
        stopping.max_pending_time_in_seconds(),
    );
    Value::Object(map)
}

/// VPC, the three switches, checkpoints and the retry strategy.
fn insert_switches_and_extras(spec: &mut Map<String, Value>, output: &DescribeTrainingJobOutput) {
    insert(
        spec,
        "vpcConfig",
        output.vpc_config().map(
            |vpc| json!({"securityGroupIds": vpc.security_group_ids(), "subnets": vpc.subnets()}),
        ),
    );
    insert(
        spec,
        "enableNetworkIsolation",
        output.enable_network_isolation(),
    );
    insert(
        spec,
        "enableInterContainerTrafficEncryption",
        output.enable_inter_container_traffic_encryption(),
    );
    insert(
        spec,
        "enableManagedSpotTraining",
        output.enable_managed_spot_training(),
    );
    insert(
        spec,
        "checkpointConfig",
        output.checkpoint_config().map(|checkpoint| {
            let mut map = Map::new();
            insert(&mut map, "s3Uri", checkpoint.s3_uri());
            insert(&mut map, "localPath", checkpoint.local_path());
            Value::Object(map)
        }),
    );
    insert(
        spec,
        "retryStrategy",
        output
            .retry_strategy()
            .map(|retry| json!({"maximumRetryAttempts": retry.maximum_retry_attempts()})),
    );
}
