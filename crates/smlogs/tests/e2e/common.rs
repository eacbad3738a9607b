use std::process::Output;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use sagemaker_k8s_api::{BatchTransformJob, CompilationJob, HyperparameterTuningJob, TrainingJob};
use sagemaker_k8s_testenv::{ControlPlane, TEST_REGION, control_plane};
use serde_json::{Value, json};

pub const TRAINING_GROUP: &str = "/aws/sagemaker/TrainingJobs";
pub const TRANSFORM_GROUP: &str = "/aws/sagemaker/TransformJobs";
pub const COMPILATION_GROUP: &str = "/aws/sagemaker/CompilationJobs";

pub async fn cluster() -> &'static ControlPlane {
    let cp = control_plane().await;
    cp.apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    cp
}

pub fn resource(kind: &str) -> ApiResource {
    match kind {
        "TrainingJob" => ApiResource::erase::<TrainingJob>(&()),
        "BatchTransformJob" => ApiResource::erase::<BatchTransformJob>(&()),
        "CompilationJob" => ApiResource::erase::<CompilationJob>(&()),
        _ => ApiResource::erase::<HyperparameterTuningJob>(&()),
    }
}

fn minimal_spec(kind: &str) -> Value {
    match kind {
        "TrainingJob" => json!({
            "region": TEST_REGION,
            "algorithmSpecification": {"trainingImage": "123456789012.dkr.ecr.us-west-2.amazonaws.com/xgboost:1", "trainingInputMode": "File"},
            "roleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
            "outputDataConfig": {"s3OutputPath": "s3://bucket/out/"},
            "resourceConfig": {"instanceCount": 2, "instanceType": "ml.m4.xlarge", "volumeSizeInGB": 5},
            "stoppingCondition": {"maxRuntimeInSeconds": 3600}
        }),
        "CompilationJob" => json!({
            "region": TEST_REGION,
            "roleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
            "inputConfig": {"s3Uri": "s3://bucket/model.tar.gz", "framework": "XGBOOST"},
            "outputConfig": {"s3OutputLocation": "s3://bucket/compiled", "targetDevice": "ml_c5"},
            "stoppingCondition": {"maxRuntimeInSeconds": 900}
        }),
        _ => json!({
            "region": TEST_REGION,
            "modelName": "my-model",
            "transformInput": {"dataSource": {"s3DataSource": {"s3DataType": "S3Prefix", "s3Uri": "s3://bucket/in"}}},
            "transformOutput": {"s3OutputPath": "s3://bucket/out"},
            "transformResources": {"instanceCount": 1, "instanceType": "ml.m4.xlarge"}
        }),
    }
}

/// Creates an object of `kind` and sets its status (through the status subresource, as the
/// operator would).
pub async fn create_object(ns: &str, kind: &str, name: &str, status: Value) {
    let api: Api<DynamicObject> =
        Api::namespaced_with(cluster().await.client(), ns, &resource(kind));
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "sagemaker.aws.amazon.com/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": minimal_spec(kind),
    }))
    .unwrap();
    api.create(&PostParams::default(), &object)
        .await
        .expect("object created");
    set_status(ns, kind, name, status).await;
}

pub async fn set_status(ns: &str, kind: &str, name: &str, status: Value) {
    let api: Api<DynamicObject> =
        Api::namespaced_with(cluster().await.client(), ns, &resource(kind));
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": status})),
    )
    .await
    .expect("status patched");
}

pub async fn logs_client(endpoint: &str) -> aws_sdk_cloudwatchlogs::Client {
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(TEST_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "AKIDSEEDER",
            "seeder-secret",
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_cloudwatchlogs::Client::from_conf(config)
}

pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Writes events (timestamp, message) to a stream, creating the group and stream if needed.
pub async fn seed(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    events: &[(i64, String)],
) {
    let _ = logs.create_log_group().log_group_name(group).send().await;
    let _ = logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await;
    for chunk in events.chunks(5_000) {
        let batch = chunk.iter().map(|(timestamp, message)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(*timestamp)
                .message(message)
                .build()
                .unwrap()
        });
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(batch.collect()))
            .send()
            .await
            .unwrap_or_else(|error| panic!("PutLogEvents {stream}: {error:?}"));
    }
}

pub async fn smlogs_command(
    aws_env: &[(String, String)],
    args: &[&str],
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl-smlogs"));
    command
        .args(args)
        .env("KUBECONFIG", cluster().await.kubeconfig_path())
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
        .envs(aws_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs the binary to completion (at most a minute) and returns its output.
pub async fn smlogs(aws_env: &[(String, String)], args: &[&str]) -> Output {
    let mut command = smlogs_command(aws_env, args).await;
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("kubectl-smlogs finished within a minute")
        .expect("kubectl-smlogs ran")
}

pub fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Splits a default-format line into (stream, message); checks the time column on the way.
pub fn parse_line(line: &str) -> (String, String) {
    let pattern = regex::Regex::new(
        r"^(\S+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,3})?) \+0000 UTC (.*)$",
    )
    .unwrap();
    let captures = pattern
        .captures(line)
        .unwrap_or_else(|| panic!("line not `<stream> <time> <message>`: {line:?}"));
    (captures[1].to_owned(), captures[3].to_owned())
}
