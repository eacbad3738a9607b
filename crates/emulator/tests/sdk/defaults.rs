//! Describe* reports SageMaker's defaults for members the Create request left out, and keeps
//! the values a request did set.

use aws_sdk_sagemaker::types::{
    CompressionType, JoinSource, OutputCompressionType, ProcessingS3CompressionType,
    ProcessingS3DataDistributionType, ProcessingS3InputMode, RecordWrapper, S3DataDistribution,
    SplitType,
};

use crate::harness::Emulator;
use crate::hosting::{create_endpoint_config, variant};
use crate::processing::processing_request;
use crate::training_request;
use crate::transform::{create_model, transform_request};

#[tokio::test]
async fn training_jobs_report_defaults_for_what_the_request_left_out() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(&client, "defaults", &[])
        .send()
        .await
        .unwrap();
    let job = client
        .describe_training_job()
        .training_job_name("defaults")
        .send()
        .await
        .unwrap();
    let output = job.output_data_config().unwrap();
    assert_eq!(
        output.compression_type(),
        Some(&OutputCompressionType::Gzip)
    );
    assert_eq!(
        job.algorithm_specification()
            .unwrap()
            .enable_sage_maker_metrics_time_series(),
        Some(false)
    );
    let channel = &job.input_data_config()[0];
    assert_eq!(channel.compression_type(), Some(&CompressionType::None));
    assert_eq!(channel.record_wrapper_type(), Some(&RecordWrapper::None));
    assert_eq!(job.enable_network_isolation(), Some(false));
    assert_eq!(job.enable_inter_container_traffic_encryption(), Some(false));
    assert_eq!(job.enable_managed_spot_training(), Some(false));
    assert_eq!(
        job.stopping_condition().unwrap().max_runtime_in_seconds(),
        Some(86400)
    );
    assert!(job.retry_strategy().is_none() && job.checkpoint_config().is_none());

    // Values the request set are kept.
    training_request(&client, "explicit", &[])
        .output_data_config(
            aws_sdk_sagemaker::types::OutputDataConfig::builder()
                .s3_output_path("s3://my-bucket/out")
                .compression_type(OutputCompressionType::None)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let job = client
        .describe_training_job()
        .training_job_name("explicit")
        .send()
        .await
        .unwrap();
    assert_eq!(
        job.output_data_config().unwrap().compression_type(),
        Some(&OutputCompressionType::None)
    );
    assert_eq!(
        job.input_data_config()[0]
            .data_source()
            .and_then(|s| s.s3_data_source())
            .and_then(|s| s.s3_data_distribution_type()),
        Some(&S3DataDistribution::FullyReplicated)
    );
}

#[tokio::test]
async fn transform_processing_and_hosting_defaults() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create_model(&client, "model").await;
    transform_request(&client, "batch", "model")
        .send()
        .await
        .unwrap();
    let job = client
        .describe_transform_job()
        .transform_job_name("batch")
        .send()
        .await
        .unwrap();
    let input = job.transform_input().unwrap();
    assert_eq!(input.split_type(), Some(&SplitType::None));
    assert_eq!(input.compression_type(), Some(&CompressionType::None));
    let processing = job.data_processing().expect("DataProcessing defaults");
    assert_eq!(processing.input_filter(), Some("$"));
    assert_eq!(processing.output_filter(), Some("$"));
    assert_eq!(processing.join_source(), Some(&JoinSource::None));
    assert_eq!(job.max_concurrent_transforms(), Some(1));
    assert_eq!(job.max_payload_in_mb(), Some(6));

    processing_request(&client, "prep", 1, &[])
        .send()
        .await
        .unwrap();
    let job = client
        .describe_processing_job()
        .processing_job_name("prep")
        .send()
        .await
        .unwrap();
    let input = &job.processing_inputs()[0];
    assert_eq!(input.app_managed(), Some(false));
    let s3 = input.s3_input().unwrap();
    assert_eq!(
        s3.s3_data_distribution_type(),
        Some(&ProcessingS3DataDistributionType::Fullyreplicated)
    );
    assert_eq!(
        s3.s3_compression_type(),
        Some(&ProcessingS3CompressionType::None)
    );
    assert_eq!(s3.s3_input_mode(), Some(&ProcessingS3InputMode::File));
    assert_eq!(
        job.processing_output_config().unwrap().outputs()[0].app_managed(),
        Some(false)
    );

    create_endpoint_config(&client, "config", variant("AllTraffic", "model", 1)).await;
    let config = client
        .describe_endpoint_config()
        .endpoint_config_name("config")
        .send()
        .await
        .unwrap();
    assert_eq!(
        config.production_variants()[0].initial_variant_weight(),
        Some(1.0)
    );
    let model = client
        .describe_model()
        .model_name("model")
        .send()
        .await
        .unwrap();
    assert_eq!(model.enable_network_isolation(), Some(false));
}
