use aws_sdk_sagemaker::types::{
    AppSpecification, ProcessingClusterConfig, ProcessingInput, ProcessingInstanceType,
    ProcessingJobStatus, ProcessingOutput, ProcessingOutputConfig, ProcessingResources,
    ProcessingS3DataType, ProcessingS3Input, ProcessingS3InputMode, ProcessingS3Output,
    ProcessingS3UploadMode, ProcessingStoppingCondition, SortBy, SortOrder,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{ROLE, error_of, tag};

type CreateProcessing =
    aws_sdk_sagemaker::operation::create_processing_job::builders::CreateProcessingJobFluentBuilder;

/// A complete CreateProcessingJob request: a scikit-learn preprocessing script on `instances`.
pub fn processing_request(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    instances: i32,
    tags: &[(&str, &str)],
) -> CreateProcessing {
    let mut request = client
        .create_processing_job()
        .processing_job_name(name)
        .role_arn(ROLE)
        .app_specification(
            AppSpecification::builder()
                .image_uri(
                    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1",
                )
                .container_entrypoint("python3")
                .container_entrypoint("/opt/ml/processing/input/code/preprocess.py")
                .build(),
        )
        .processing_resources(
            ProcessingResources::builder()
                .cluster_config(
                    ProcessingClusterConfig::builder()
                        .instance_count(instances)
                        .instance_type(ProcessingInstanceType::MlM5Xlarge)
                        .volume_size_in_gb(30)
                        .build(),
                )
                .build(),
        )
        .processing_inputs(
            ProcessingInput::builder()
                .input_name("raw")
                .s3_input(
                    ProcessingS3Input::builder()
                        .s3_uri("s3://my-bucket/raw/")
                        .local_path("/opt/ml/processing/input")
                        .s3_data_type(ProcessingS3DataType::S3Prefix)
                        .s3_input_mode(ProcessingS3InputMode::File)
                        .build(),
                )
                .build(),
        )
        .processing_output_config(
            ProcessingOutputConfig::builder()
                .outputs(
                    ProcessingOutput::builder()
                        .output_name("train")
                        .s3_output(
                            ProcessingS3Output::builder()
                                .s3_uri("s3://my-bucket/processed/train")
                                .local_path("/opt/ml/processing/train")
                                .s3_upload_mode(ProcessingS3UploadMode::EndOfJob)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .stopping_condition(
            ProcessingStoppingCondition::builder()
                .max_runtime_in_seconds(3600)
                .build(),
        )
        .environment("MODE", "train");
    for (key, value) in tags {
        request = request.tags(tag(key, value));
    }
    request
}

async fn describe(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
) -> aws_sdk_sagemaker::operation::describe_processing_job::DescribeProcessingJobOutput {
    client
        .describe_processing_job()
        .processing_job_name(name)
        .send()
        .await
        .expect("describe processing job")
}

async fn wait_status(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    wanted: ProcessingJobStatus,
) -> aws_sdk_sagemaker::operation::describe_processing_job::DescribeProcessingJobOutput {
    eventually("processing job status", DEADLINE, || async {
        let job = describe(client, name).await;
        (job.processing_job_status() == Some(&wanted)).then_some(job)
    })
    .await
}

#[tokio::test]
async fn completed_lifecycle_echoes_the_request_and_writes_logs_per_instance() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let logs = emulator.logs().await;
    let arn = processing_request(
        &client,
        "preprocess",
        2,
        &[("emulator:duration-seconds", "100")],
    )
    .send()
    .await
    .expect("create")
    .processing_job_arn
    .expect("arn");
    assert_eq!(
        arn,
        "arn:aws:sagemaker:us-east-1:123456789012:processing-job/preprocess"
    );
    let job = describe(&client, "preprocess").await;
    assert_eq!(
        job.processing_job_status(),
        Some(&ProcessingJobStatus::InProgress)
    );
    assert!(job.processing_end_time().is_none() && job.exit_message().is_none());
    assert_eq!(job.processing_job_arn(), Some(arn.as_str()));
    assert_eq!(
        job.processing_resources()
            .and_then(|r| r.cluster_config())
            .map(|c| c.instance_count()),
        Some(Some(2))
    );
    assert_eq!(
        job.app_specification()
            .map(|app| app.container_entrypoint().len()),
        Some(2)
    );
    assert_eq!(
        job.environment()
            .and_then(|env| env.get("MODE"))
            .map(String::as_str),
        Some("train")
    );

    let job = wait_status(&client, "preprocess", ProcessingJobStatus::Completed).await;
    let (created, started, ended, modified) = (
        job.creation_time().expect("creation").as_secs_f64(),
        job.processing_start_time().expect("start").as_secs_f64(),
        job.processing_end_time().expect("end").as_secs_f64(),
        job.last_modified_time().expect("modified").as_secs_f64(),
    );
    assert!(
        created < started && started < ended,
        "{created} {started} {ended}"
    );
    assert_eq!(ended, modified);
    assert!(job.failure_reason().is_none());

    let streams = logs
        .describe_log_streams()
        .log_group_name("/aws/sagemaker/ProcessingJobs")
        .log_stream_name_prefix("preprocess/")
        .send()
        .await
        .expect("processing log group");
    let names: Vec<&str> = streams
        .log_streams()
        .iter()
        .filter_map(|stream| stream.log_stream_name())
        .collect();
    let epoch = started.floor() as i64;
    assert_eq!(
        names,
        [
            format!("preprocess/algo-1-{epoch}"),
            format!("preprocess/algo-2-{epoch}")
        ]
    );
    let events = logs
        .get_log_events()
        .log_group_name("/aws/sagemaker/ProcessingJobs")
        .log_stream_name(names[1])
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    assert!(
        messages.first().is_some_and(|m| m.starts_with("[algo-2] ")),
        "{messages:?}"
    );
    assert!(
        messages.last().is_some_and(|m| m.contains("completed")),
        "{messages:?}"
    );
}

#[tokio::test]
async fn failed_jobs_report_failure_reason_and_exit_message() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    processing_request(
        &client,
        "broken",
        1,
        &[
            ("emulator:outcome", "Failed"),
            (
                "emulator:failure-reason",
                "AlgorithmError: ExecuteUserScriptError",
            ),
            (
                "emulator:exit-message",
                "ValueError: column 'label' missing",
            ),
        ],
    )
    .send()
    .await
    .unwrap();
    processing_request(
        &client,
        "plain-failure",
        1,
        &[("emulator:outcome", "Failed")],
    )
    .send()
    .await
    .unwrap();
    let job = describe(&client, "broken").await;
    assert!(job.failure_reason().is_none() && job.exit_message().is_none());
    let job = wait_status(&client, "broken", ProcessingJobStatus::Failed).await;
    assert_eq!(
        job.failure_reason(),
        Some("AlgorithmError: ExecuteUserScriptError")
    );
    assert_eq!(
        job.exit_message(),
        Some("ValueError: column 'label' missing")
    );
    let job = wait_status(&client, "plain-failure", ProcessingJobStatus::Failed).await;
    assert!(
        job.failure_reason()
            .is_some_and(|r| r.starts_with("AlgorithmError")),
        "{job:?}"
    );
    assert!(job.exit_message().is_some());
    // The list summary carries both too.
    let listed = client
        .list_processing_jobs()
        .name_contains("broken")
        .send()
        .await
        .unwrap();
    let summary = &listed.processing_job_summaries()[0];
    assert_eq!(
        summary.failure_reason(),
        Some("AlgorithmError: ExecuteUserScriptError")
    );
    assert_eq!(
        summary.exit_message(),
        Some("ValueError: column 'label' missing")
    );
    assert!(summary.processing_end_time().is_some());
}

#[tokio::test]
async fn stop_passes_through_stopping_and_refuses_a_second_stop() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    processing_request(
        &client,
        "long",
        1,
        &[("emulator:duration-seconds", "100000")],
    )
    .send()
    .await
    .unwrap();
    client
        .stop_processing_job()
        .processing_job_name("long")
        .send()
        .await
        .expect("stop");
    let job = describe(&client, "long").await;
    assert_eq!(
        job.processing_job_status(),
        Some(&ProcessingJobStatus::Stopping)
    );
    let (code, message) = error_of(
        client
            .stop_processing_job()
            .processing_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Stopping"), "{message}");
    let job = wait_status(&client, "long", ProcessingJobStatus::Stopped).await;
    assert!(job.processing_end_time().is_some() && job.failure_reason().is_none());
    let (code, message) = error_of(
        client
            .stop_processing_job()
            .processing_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Stopped"), "{message}");
}

#[tokio::test]
async fn errors_are_the_real_codes_and_messages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let (code, message) = error_of(
        client
            .describe_processing_job()
            .processing_job_name("missing")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "Could not find requested job with name missing");
    let (code, message) = error_of(
        client
            .stop_processing_job()
            .processing_job_name("missing")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "Could not find requested job with name missing"
        )
    );

    processing_request(&client, "taken", 1, &[])
        .send()
        .await
        .unwrap();
    let (code, message) = error_of(processing_request(&client, "taken", 1, &[]).send().await);
    assert_eq!(code, "ResourceInUse");
    assert!(
        message.contains("arn:aws:sagemaker:us-east-1:123456789012:processing-job/taken"),
        "{message}"
    );

    // Several broken constraints are reported together, with AWS's member paths.
    let (code, message) = error_of(
        processing_request(&client, "bad_name", 0, &[("emulator:outcome", "Completed")])
            .role_arn("arn:aws:iam::123:role/xyz")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("3 validation errors detected: "),
        "{message}"
    );
    assert!(message.contains("at 'processingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{message}");
    assert!(message.contains("Value '0' at 'processingResources.clusterConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1"), "{message}");
    assert!(message.contains("at 'roleArn'"), "{message}");

    // Required members: the SDK refuses to send a request without them, so send it by hand.
    let raw = emulator.http(
        "POST",
        "/",
        &[
            ("x-amz-target", "SageMaker.CreateProcessingJob"),
            ("content-type", "application/x-amz-json-1.1"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            ),
            ("x-amz-date", "20260101T000000Z"),
        ],
        r#"{"ProcessingJobName":"raw","RoleArn":"arn:aws:iam::123456789012:role/r"}"#,
    );
    assert_eq!(raw.0, 400);
    assert!(raw.1.contains("2 validation errors detected"), "{}", raw.1);
    assert!(
        raw.1.contains("Value null at 'processingResources' failed to satisfy constraint: Member must not be null"),
        "{}",
        raw.1
    );
    assert!(raw.1.contains("'appSpecification'"), "{}", raw.1);

    let (code, message) = error_of(
        processing_request(&client, "odd", 1, &[("emulator:outcome", "MaybeLater")])
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("emulator:outcome"), "{message}");
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    for name in ["prep-b", "prep-a", "other-c"] {
        processing_request(&client, name, 1, &[("emulator:duration-seconds", "100000")])
            .send()
            .await
            .unwrap();
    }
    processing_request(
        &client,
        "prep-done",
        1,
        &[("emulator:duration-seconds", "0")],
    )
    .send()
    .await
    .unwrap();
    wait_status(&client, "prep-done", ProcessingJobStatus::Completed).await;

    let names =
        |output: &aws_sdk_sagemaker::operation::list_processing_jobs::ListProcessingJobsOutput| {
            output
                .processing_job_summaries()
                .iter()
                .map(|s| s.processing_job_name().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
    let all = client.list_processing_jobs().send().await.unwrap();
    // Newest first by default.
    assert_eq!(names(&all), ["prep-done", "other-c", "prep-a", "prep-b"]);
    let filtered = client
        .list_processing_jobs()
        .name_contains("PREP")
        .status_equals(ProcessingJobStatus::InProgress)
        .sort_by(SortBy::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&filtered), ["prep-a", "prep-b"]);
    let first = client
        .list_processing_jobs()
        .max_results(3)
        .sort_by(SortBy::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&first), ["other-c", "prep-a", "prep-b"]);
    let token = first.next_token().expect("a second page").to_string();
    let second = client
        .list_processing_jobs()
        .max_results(3)
        .sort_by(SortBy::Name)
        .sort_order(SortOrder::Ascending)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&second), ["prep-done"]);
    assert!(second.next_token().is_none());
    let (code, message) = error_of(client.list_processing_jobs().max_results(101).send().await);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("maxResults"), "{message}");
    // Tags work on processing jobs like on any resource.
    let arn = all.processing_job_summaries()[0]
        .processing_job_arn()
        .unwrap()
        .to_string();
    let tags = client.list_tags().resource_arn(arn).send().await.unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("emulator:duration-seconds"))
    );
}
