//! Conformance of the emulator through the real AWS SDK for Rust, with only the endpoint changed.
//! One test binary on purpose: every binary links the (large) SDK.

mod automl;
mod autoscaling;
mod compilation;
mod defaults;
mod endpoint_configs;
mod faults;
mod harness;
mod hosting;
mod inference_components;
mod logs;
mod model_packages;
mod model_registry;
mod pipelines;
mod processing;
mod protocol;
mod regions;
mod rules;
mod training;
mod transform;
mod tuning;
mod validation;

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::operation::create_training_job::builders::CreateTrainingJobFluentBuilder;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, DataSource, MetricDefinition, OutputDataConfig,
    ResourceConfig, S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, Tag,
    TrainingInputMode, TrainingInstanceType,
};

pub const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole";

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// A complete, valid CreateTrainingJob request, as the user guide's xgboost-mnist example.
pub fn training_request(
    client: &Client,
    name: &str,
    tags: &[(&str, &str)],
) -> CreateTrainingJobFluentBuilder {
    let mut request = client
        .create_training_job()
        .training_job_name(name)
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .training_input_mode(TrainingInputMode::File)
                .metric_definitions(
                    MetricDefinition::builder()
                        .name("validation:error")
                        .regex("validation-error:([0-9.]+)")
                        .build(),
                )
                .build(),
        )
        .role_arn(ROLE)
        .hyper_parameters("max_depth", "5")
        .hyper_parameters("num_round", "10")
        .input_data_config(
            Channel::builder()
                .channel_name("train")
                .data_source(
                    DataSource::builder()
                        .s3_data_source(
                            S3DataSource::builder()
                                .s3_data_type(S3DataType::S3Prefix)
                                .s3_uri("s3://my-bucket/xgboost-mnist/train/")
                                .s3_data_distribution_type(S3DataDistribution::FullyReplicated)
                                .build(),
                        )
                        .build(),
                )
                .content_type("text/csv")
                .build(),
        )
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://my-bucket/xgboost-mnist/output")
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_type(TrainingInstanceType::MlM4Xlarge)
                .instance_count(2)
                .volume_size_in_gb(5)
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(86400)
                .build(),
        );
    for (key, value) in tags {
        request = request.tags(tag(key, value));
    }
    request
}

/// The AWS error code and message of a failed SDK call.
pub fn error_of<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    result: Result<
        R,
        aws_sdk_sagemaker::error::SdkError<E, aws_sdk_sagemaker::config::http::HttpResponse>,
    >,
) -> (String, String) {
    let error = result.expect_err("the call should fail");
    let code = error
        .code()
        .unwrap_or_else(|| panic!("no error code in {error:?}"))
        .to_string();
    let message = error.message().unwrap_or("").to_string();
    (code, message)
}
