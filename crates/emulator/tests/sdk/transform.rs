use aws_sdk_sagemaker::types::{
    ContainerDefinition, S3DataType, TransformDataSource, TransformInput, TransformInstanceType,
    TransformJobStatus, TransformOutput, TransformResources, TransformS3DataSource,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{ROLE, error_of, tag};

pub async fn create_model(client: &aws_sdk_sagemaker::Client, name: &str) {
    client
        .create_model()
        .model_name(name)
        .execution_role_arn(ROLE)
        .primary_container(
            ContainerDefinition::builder()
                .image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .model_data_url("s3://my-bucket/model.tar.gz")
                .build(),
        )
        .send()
        .await
        .expect("create model");
}

pub fn transform_request(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    model: &str,
) -> aws_sdk_sagemaker::operation::create_transform_job::builders::CreateTransformJobFluentBuilder {
    client
        .create_transform_job()
        .transform_job_name(name)
        .model_name(model)
        .transform_input(
            TransformInput::builder()
                .content_type("text/csv")
                .data_source(
                    TransformDataSource::builder()
                        .s3_data_source(
                            TransformS3DataSource::builder()
                                .s3_data_type(S3DataType::S3Prefix)
                                .s3_uri("s3://my-bucket/input")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .transform_output(
            TransformOutput::builder()
                .s3_output_path("s3://my-bucket/output")
                .build(),
        )
        .transform_resources(
            TransformResources::builder()
                .instance_type(TransformInstanceType::MlM4Xlarge)
                .instance_count(1)
                .build(),
        )
}

async fn wait_status(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    wanted: TransformJobStatus,
) -> aws_sdk_sagemaker::operation::describe_transform_job::DescribeTransformJobOutput {
    eventually("transform status", DEADLINE, || async {
        let job = client
            .describe_transform_job()
            .transform_job_name(name)
            .send()
            .await
            .unwrap();
        (job.transform_job_status() == Some(&wanted)).then_some(job)
    })
    .await
}

#[tokio::test]
async fn transform_needs_its_model_and_completes() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let (code, message) = error_of(
        transform_request(&client, "batch", "no-such-model")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.starts_with("Could not find model"), "{message}");

    create_model(&client, "xgb-model").await;
    transform_request(&client, "batch", "xgb-model")
        .send()
        .await
        .expect("create");
    let job = client
        .describe_transform_job()
        .transform_job_name("batch")
        .send()
        .await
        .unwrap();
    assert_eq!(
        job.transform_job_status(),
        Some(&TransformJobStatus::InProgress)
    );
    let job = wait_status(&client, "batch", TransformJobStatus::Completed).await;
    assert!(job.transform_start_time().is_some() && job.transform_end_time().is_some());
    assert_eq!(job.model_name(), Some("xgb-model"));
    assert_eq!(
        job.transform_output().unwrap().s3_output_path(),
        Some("s3://my-bucket/output")
    );

    let (code, _) = error_of(
        transform_request(&client, "batch", "xgb-model")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceInUse");
    let (code, _) = error_of(
        client
            .stop_transform_job()
            .transform_job_name("batch")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException", "stop on a terminal job");
    let (code, _) = error_of(
        client
            .describe_transform_job()
            .transform_job_name("missing")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");

    // Transform jobs log to their own group.
    let logs = emulator.logs().await;
    let streams = logs
        .describe_log_streams()
        .log_group_name("/aws/sagemaker/TransformJobs")
        .send()
        .await
        .unwrap();
    assert!(
        streams.log_streams()[0]
            .log_stream_name()
            .unwrap()
            .starts_with("batch/algo-1-")
    );
}

#[tokio::test]
async fn transform_stop_and_failure() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create_model(&client, "m").await;
    transform_request(&client, "long", "m")
        .tags(tag("emulator:duration-seconds", "6000"))
        .send()
        .await
        .unwrap();
    client
        .stop_transform_job()
        .transform_job_name("long")
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .describe_transform_job()
            .transform_job_name("long")
            .send()
            .await
            .unwrap()
            .transform_job_status(),
        Some(&TransformJobStatus::Stopping)
    );
    wait_status(&client, "long", TransformJobStatus::Stopped).await;

    transform_request(&client, "broken", "m")
        .tags(tag("emulator:outcome", "Failed"))
        .tags(tag("emulator:failure-reason", "ClientError: bad csv"))
        .send()
        .await
        .unwrap();
    let job = wait_status(&client, "broken", TransformJobStatus::Failed).await;
    assert_eq!(job.failure_reason(), Some("ClientError: bad csv"));

    let listed = client
        .list_transform_jobs()
        .status_equals(TransformJobStatus::Failed)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed
        .transform_job_summaries()
        .iter()
        .map(|s| s.transform_job_name().unwrap())
        .collect();
    assert_eq!(names, ["broken"]);
    let all = client
        .list_transform_jobs()
        .sort_by(aws_sdk_sagemaker::types::SortBy::Name)
        .sort_order(aws_sdk_sagemaker::types::SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = all
        .transform_job_summaries()
        .iter()
        .map(|s| s.transform_job_name().unwrap())
        .collect();
    assert_eq!(names, ["broken", "long"]);
}
