//! Compilation jobs (SageMaker Neo): STARTING → INPROGRESS → COMPLETED with the compiled
//! artifact, FAILED by tag, STOPPING → STOPPED, deletion of finished jobs only, a model package
//! version as the model, SageMaker's refusals, the List's filters, logs and faults.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::operation::create_compilation_job::builders::CreateCompilationJobFluentBuilder;
use aws_sdk_sagemaker::operation::describe_compilation_job::DescribeCompilationJobOutput;
use aws_sdk_sagemaker::types::{
    CompilationJobStatus, Framework, InferenceSpecification, InputConfig,
    ListCompilationJobsSortBy, ModelPackageContainerDefinition, ModelPackageGroupStatus,
    OutputConfig, SortOrder, StoppingCondition, TargetDevice, TargetPlatform, TargetPlatformArch,
    TargetPlatformOs,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{ROLE, error_of, tag};

const ARN_PREFIX: &str = "arn:aws:sagemaker:us-east-1:123456789012:compilation-job/";

fn input_config() -> InputConfig {
    InputConfig::builder()
        .s3_uri("s3://my-bucket/models/resnet/model.tar.gz")
        .framework(Framework::Pytorch)
        .framework_version("1.8")
        .data_input_config(r#"{"input0":[1,3,224,224]}"#)
        .build()
}

/// A complete CreateCompilationJob request: a PyTorch model compiled for ml_c5.
fn compilation_request(
    client: &Client,
    name: &str,
    tags: &[(&str, &str)],
) -> CreateCompilationJobFluentBuilder {
    let mut request = client
        .create_compilation_job()
        .compilation_job_name(name)
        .role_arn(ROLE)
        .input_config(input_config())
        .output_config(
            OutputConfig::builder()
                .s3_output_location("s3://my-bucket/compiled")
                .target_device(TargetDevice::MlC5)
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(900)
                .build(),
        );
    for (key, value) in tags {
        request = request.tags(tag(key, value));
    }
    request
}

/// Whether a member is absent from the response. The SDK fills required members SageMaker left
/// out (ModelArtifacts, FailureReason, InputConfig) with empty defaults.
fn blank(value: Option<&str>) -> bool {
    value.is_none_or(str::is_empty)
}

fn artifact(job: &DescribeCompilationJobOutput) -> Option<&str> {
    job.model_artifacts().and_then(|a| a.s3_model_artifacts())
}

async fn describe(client: &Client, name: &str) -> DescribeCompilationJobOutput {
    client
        .describe_compilation_job()
        .compilation_job_name(name)
        .send()
        .await
        .expect("describe compilation job")
}

async fn wait_status(
    client: &Client,
    name: &str,
    wanted: CompilationJobStatus,
) -> DescribeCompilationJobOutput {
    eventually("compilation job status", DEADLINE, || async {
        let job = describe(client, name).await;
        (job.compilation_job_status() == Some(&wanted)).then_some(job)
    })
    .await
}

/// The messages of the job's log stream in /aws/sagemaker/CompilationJobs.
async fn log_messages(emulator: &Emulator, name: &str) -> Vec<String> {
    let logs = emulator.logs().await;
    let events = logs
        .get_log_events()
        .log_group_name("/aws/sagemaker/CompilationJobs")
        .log_stream_name(name)
        .start_from_head(true)
        .send()
        .await
        .expect("the job's log stream exists");
    events
        .events()
        .iter()
        .filter_map(|event| event.message().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_job_starts_compiles_and_completes_with_its_compiled_artifact() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    // 200 emulated seconds: STARTING for 50, INPROGRESS for 150 (2 s in all at time scale 0.01).
    let arn = compilation_request(
        &client,
        "resnet-c5",
        &[("owner", "team-a"), ("emulator:duration-seconds", "200")],
    )
    .send()
    .await
    .unwrap()
    .compilation_job_arn()
    .unwrap()
    .to_string();
    assert_eq!(arn, format!("{ARN_PREFIX}resnet-c5"));

    let starting = describe(&client, "resnet-c5").await;
    assert_eq!(
        starting.compilation_job_status(),
        Some(&CompilationJobStatus::Starting)
    );
    assert!(starting.compilation_start_time().is_none());
    assert!(starting.compilation_end_time().is_none());
    assert!(blank(artifact(&starting)) && blank(starting.failure_reason()));
    assert_eq!(starting.creation_time(), starting.last_modified_time());
    assert_eq!(starting.input_config(), Some(&input_config()));
    assert_eq!(starting.role_arn(), Some(ROLE));
    assert_eq!(
        starting
            .stopping_condition()
            .and_then(|s| s.max_runtime_in_seconds()),
        Some(900)
    );

    let running = wait_status(&client, "resnet-c5", CompilationJobStatus::Inprogress).await;
    let started = running.compilation_start_time().expect("start time");
    assert_eq!(running.last_modified_time(), Some(started));
    assert!(started > starting.creation_time().unwrap());

    let done = wait_status(&client, "resnet-c5", CompilationJobStatus::Completed).await;
    assert_eq!(done.compilation_start_time(), Some(started));
    let ended = done.compilation_end_time().expect("end time");
    assert_eq!(done.last_modified_time(), Some(ended));
    assert!(ended > started);
    assert_eq!(
        artifact(&done),
        Some("s3://my-bucket/compiled/model-ml_c5.tar.gz")
    );
    assert_eq!(
        done.inference_image(),
        Some(
            "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:1.8-cpu-py3"
        )
    );
    let digest = done
        .model_digests()
        .and_then(|d| d.artifact_digest())
        .unwrap();
    assert_eq!(digest.len(), 128, "{digest}");
    assert!(
        done.derived_information().is_none(),
        "the request gave DataInputConfig"
    );

    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("owner") && t.value() == Some("team-a"))
    );
    let resources = emulator.control("GET", "resources", serde_json::Value::Null);
    assert_eq!(
        resources["regions"]["us-east-1"]["compilationJobs"],
        serde_json::json!(["resnet-c5"])
    );

    let lines = log_messages(&emulator, "resnet-c5").await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].contains("resnet-c5") && lines[0].contains("ml_c5"));
    assert_eq!(
        lines[2],
        "Compilation completed: s3://my-bucket/compiled/model-ml_c5.tar.gz"
    );
}

#[tokio::test]
async fn a_platform_target_names_the_artifact_and_neo_derives_the_inputs() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    client
        .create_compilation_job()
        .compilation_job_name("edge")
        .role_arn(ROLE)
        .input_config(
            InputConfig::builder()
                .s3_uri("s3://my-bucket/models/detector.tar.gz")
                .framework(Framework::Tensorflow)
                .build(),
        )
        .output_config(
            OutputConfig::builder()
                .s3_output_location("s3://my-bucket/edge/")
                .target_platform(
                    TargetPlatform::builder()
                        .os(TargetPlatformOs::Linux)
                        .arch(TargetPlatformArch::Arm64)
                        .build(),
                )
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(900)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let done = wait_status(&client, "edge", CompilationJobStatus::Completed).await;
    assert_eq!(
        artifact(&done),
        Some("s3://my-bucket/edge/detector-linux_arm64.tar.gz")
    );
    assert!(
        done.inference_image().is_none(),
        "no image for edge targets"
    );
    assert!(
        done.derived_information()
            .and_then(|d| d.derived_data_input_config())
            .is_some()
    );
    let listed = client.list_compilation_jobs().send().await.unwrap();
    let summary = &listed.compilation_job_summaries()[0];
    assert_eq!(
        summary.compilation_target_platform_os(),
        Some(&TargetPlatformOs::Linux)
    );
    assert_eq!(
        summary.compilation_target_platform_arch(),
        Some(&TargetPlatformArch::Arm64)
    );
    assert!(summary.compilation_target_device().is_none());
}

#[tokio::test]
async fn the_outcome_tag_fails_a_job_with_a_reason() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    compilation_request(&client, "broken", &[("emulator:outcome", "Failed")])
        .send()
        .await
        .unwrap();
    compilation_request(
        &client,
        "shape",
        &[
            ("emulator:outcome", "Failed"),
            (
                "emulator:failure-reason",
                "ClientError: InputConfiguration: Input input has wrong shape",
            ),
        ],
    )
    .send()
    .await
    .unwrap();
    let failed = wait_status(&client, "broken", CompilationJobStatus::Failed).await;
    let reason = failed.failure_reason().unwrap();
    assert!(
        reason.starts_with("ClientError: CompilationError: Unable to compile model for ml_c5"),
        "{reason}"
    );
    assert!(failed.compilation_end_time().is_some());
    assert!(blank(artifact(&failed)));
    let shaped = wait_status(&client, "shape", CompilationJobStatus::Failed).await;
    assert_eq!(
        shaped.failure_reason(),
        Some("ClientError: InputConfiguration: Input input has wrong shape")
    );
    let lines = log_messages(&emulator, "shape").await;
    assert_eq!(
        lines.last().map(String::as_str),
        Some("ClientError: InputConfiguration: Input input has wrong shape")
    );
    let (code, message) = error_of(
        compilation_request(&client, "odd", &[("emulator:outcome", "Sometimes")])
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("emulator:outcome"), "{message}");
}

#[tokio::test]
async fn a_stopped_job_can_be_deleted_and_its_logs_stay() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    // Long enough to stop it while it compiles.
    compilation_request(&client, "long", &[("emulator:duration-seconds", "400")])
        .send()
        .await
        .unwrap();
    let running = wait_status(&client, "long", CompilationJobStatus::Inprogress).await;
    let (code, message) = error_of(
        client
            .delete_compilation_job()
            .compilation_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("INPROGRESS"), "{message}");

    client
        .stop_compilation_job()
        .compilation_job_name("long")
        .send()
        .await
        .unwrap();
    // STOPPING lasts two emulated seconds: on a busy machine the next call may already find
    // the job STOPPED. Either way it is no longer running, and a second stop is refused.
    let stopping = describe(&client, "long").await;
    let status = stopping.compilation_job_status().expect("a status").clone();
    assert!(
        matches!(
            status,
            CompilationJobStatus::Stopping | CompilationJobStatus::Stopped
        ),
        "{status:?}"
    );
    assert!(stopping.last_modified_time() >= running.last_modified_time());
    let (code, message) = error_of(
        client
            .stop_compilation_job()
            .compilation_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        [
            "The compilation job long is in status STOPPING and cannot be stopped.",
            "The compilation job long is in status STOPPED and cannot be stopped.",
        ]
        .contains(&message.as_str()),
        "{message}"
    );

    let stopped = wait_status(&client, "long", CompilationJobStatus::Stopped).await;
    assert_eq!(stopped.compilation_end_time(), stopped.last_modified_time());
    assert!(stopped.last_modified_time() > running.last_modified_time());
    assert!(blank(artifact(&stopped)) && blank(stopped.failure_reason()));
    client
        .delete_compilation_job()
        .compilation_job_name("long")
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        client
            .describe_compilation_job()
            .compilation_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    let lines = log_messages(&emulator, "long").await;
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Compilation stopped")
    );
    // The name is free again.
    compilation_request(&client, "long", &[])
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn taken_and_missing_names_answer_as_sagemaker() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    compilation_request(&client, "once", &[])
        .send()
        .await
        .unwrap();
    let (code, message) = error_of(compilation_request(&client, "once", &[]).send().await);
    assert_eq!(code, "ResourceInUse");
    assert!(message.contains(&format!("{ARN_PREFIX}once")), "{message}");

    let expected = "Amazon SageMaker can't find a compilation job with name ghost";
    let describe = client
        .describe_compilation_job()
        .compilation_job_name("ghost")
        .send()
        .await;
    let stop = client
        .stop_compilation_job()
        .compilation_job_name("ghost")
        .send()
        .await;
    let delete = client
        .delete_compilation_job()
        .compilation_job_name("ghost")
        .send()
        .await;
    for (code, message) in [error_of(describe), error_of(stop), error_of(delete)] {
        assert_eq!(code, "ResourceNotFound");
        assert_eq!(message, expected);
    }
    // Neither a device nor a platform, or both.
    let (code, message) = error_of(
        compilation_request(&client, "two-targets", &[])
            .output_config(
                OutputConfig::builder()
                    .s3_output_location("s3://my-bucket/compiled")
                    .target_device(TargetDevice::MlC5)
                    .target_platform(
                        TargetPlatform::builder()
                            .os(TargetPlatformOs::Linux)
                            .arch(TargetPlatformArch::X8664)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("mutually exclusive"), "{message}");
}

/// A Completed group `name` with one version, whose ARN is answered.
async fn model_package_version(client: &Client, group: &str) -> String {
    client
        .create_model_package_group()
        .model_package_group_name(group)
        .send()
        .await
        .unwrap();
    eventually("model package group completed", DEADLINE, || async {
        let described = client
            .describe_model_package_group()
            .model_package_group_name(group)
            .send()
            .await
            .unwrap();
        (described.model_package_group_status() == Some(&ModelPackageGroupStatus::Completed))
            .then_some(())
    })
    .await;
    client
        .create_model_package()
        .model_package_group_name(group)
        .inference_specification(
            InferenceSpecification::builder()
                .containers(
                    ModelPackageContainerDefinition::builder()
                        .image("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:1.8-cpu-py3")
                        .model_data_url("s3://my-bucket/registry/classifier.tar.gz")
                        .framework("PYTORCH")
                        .framework_version("1.8")
                        .build(),
                )
                .supported_content_types("application/json")
                .supported_response_mime_types("application/json")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_model_package_version_is_compiled_only_if_it_exists() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let version = model_package_version(&client, "classifiers").await;
    let from_package = |name: &str, arn: &str| {
        compilation_request(&client, name, &[])
            .set_input_config(None)
            .model_package_version_arn(arn)
    };
    from_package("from-registry", &version)
        .send()
        .await
        .unwrap();
    let done = wait_status(&client, "from-registry", CompilationJobStatus::Completed).await;
    assert_eq!(done.model_package_version_arn(), Some(version.as_str()));
    assert!(blank(done.input_config().and_then(|c| c.s3_uri())));
    assert_eq!(
        artifact(&done),
        Some("s3://my-bucket/compiled/classifier-ml_c5.tar.gz")
    );
    assert!(
        done.inference_image()
            .unwrap()
            .contains("sagemaker-inference-pytorch:1.8-cpu-py3")
    );

    let missing = format!("{}9", version.trim_end_matches('1'));
    let (code, message) = error_of(from_package("ghost-package", &missing).send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(message, format!("ModelPackage {missing} does not exist."));

    let (code, message) = error_of(
        from_package("both", &version)
            .input_config(input_config())
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Both InputConfig and ModelPackageVersionArn"),
        "{message}"
    );
    let (code, message) = error_of(
        compilation_request(&client, "neither", &[])
            .set_input_config(None)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Either InputConfig or ModelPackageVersionArn"),
        "{message}"
    );
    assert!(
        error_of(
            client
                .describe_compilation_job()
                .compilation_job_name("both")
                .send()
                .await
        )
        .0 == "ResourceNotFound",
        "a refused request creates nothing"
    );
}

/// Jobs created in this order, each STARTING for a long time.
async fn long_jobs(client: &Client, names: &[&str]) {
    for name in names {
        compilation_request(client, name, &[("emulator:duration-seconds", "100000")])
            .send()
            .await
            .unwrap();
    }
}

fn names(summaries: &[aws_sdk_sagemaker::types::CompilationJobSummary]) -> Vec<String> {
    summaries
        .iter()
        .map(|s| s.compilation_job_name().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    long_jobs(&client, &["neo-b", "neo-a", "other-c"]).await;
    let default = client.list_compilation_jobs().send().await.unwrap();
    assert_eq!(
        names(default.compilation_job_summaries()),
        ["neo-b", "neo-a", "other-c"],
        "CreationTime, Ascending by default"
    );
    let by_name = client
        .list_compilation_jobs()
        .sort_by(ListCompilationJobsSortBy::Name)
        .sort_order(SortOrder::Descending)
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(by_name.compilation_job_summaries()),
        ["other-c", "neo-b", "neo-a"]
    );
    let containing = client
        .list_compilation_jobs()
        .name_contains("NEO")
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(containing.compilation_job_summaries()),
        ["neo-b", "neo-a"]
    );
    let first = client
        .list_compilation_jobs()
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(names(first.compilation_job_summaries()), ["neo-b", "neo-a"]);
    let second = client
        .list_compilation_jobs()
        .max_results(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(second.compilation_job_summaries()), ["other-c"]);
    assert!(second.next_token().is_none());
}

#[tokio::test]
async fn list_finds_the_jobs_whose_status_changed_after_an_instant() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    long_jobs(&client, &["neo-b", "neo-a", "other-c"]).await;
    // A job whose status changed after T is listed with LastModifiedTimeAfter = T; the others
    // (unchanged since their creation, at or before T) are not.
    let t = describe(&client, "other-c")
        .await
        .last_modified_time()
        .copied()
        .unwrap();
    client
        .stop_compilation_job()
        .compilation_job_name("neo-a")
        .send()
        .await
        .unwrap();
    wait_status(&client, "neo-a", CompilationJobStatus::Stopped).await;
    let changed = client
        .list_compilation_jobs()
        .last_modified_time_after(t)
        .send()
        .await
        .unwrap();
    assert_eq!(names(changed.compilation_job_summaries()), ["neo-a"]);
    let unchanged = client
        .list_compilation_jobs()
        .last_modified_time_before(t)
        .send()
        .await
        .unwrap();
    let unchanged = names(unchanged.compilation_job_summaries());
    assert!(
        !unchanged
            .iter()
            .any(|name| name == "neo-a" || name == "other-c"),
        "{unchanged:?}"
    );
    let stopped = client
        .list_compilation_jobs()
        .status_equals(CompilationJobStatus::Stopped)
        .send()
        .await
        .unwrap();
    let summary = &stopped.compilation_job_summaries()[0];
    assert_eq!(summary.compilation_job_name(), Some("neo-a"));
    assert_eq!(
        summary.compilation_target_device(),
        Some(&TargetDevice::MlC5)
    );
    assert!(summary.compilation_end_time().is_some());
    let created_after = client
        .list_compilation_jobs()
        .creation_time_after(t)
        .send()
        .await
        .unwrap();
    assert!(created_after.compilation_job_summaries().is_empty());
}

#[tokio::test]
async fn faults_reach_the_compilation_operations() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    emulator.control(
        "POST",
        "faults",
        serde_json::json!({ "operation": "CreateCompilationJob", "kind": "throttling", "count": 1 }),
    );
    let (code, _) = error_of(compilation_request(&client, "retry-me", &[]).send().await);
    assert_eq!(code, "ThrottlingException");
    compilation_request(&client, "retry-me", &[])
        .send()
        .await
        .unwrap();
    assert_eq!(emulator.calls("SageMaker.CreateCompilationJob"), 2);
}
