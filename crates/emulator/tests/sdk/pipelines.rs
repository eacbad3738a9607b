//! SageMaker Pipelines: pipelines created, described, updated, listed and deleted (ClientRequestToken
//! idempotency, name collisions, definition validation, a definition read from an S3 object put
//! through the control API), and executions: a Training step whose model a RegisterModel step
//! registers in the model registry, Condition and Fail steps, the fail-step tag, stop,
//! parameters, step order and metadata, parallelism and faults.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::operation::describe_pipeline_execution::DescribePipelineExecutionOutput;
use aws_sdk_sagemaker::types::{
    ModelApprovalStatus, ModelPackageGroupStatus, ParallelismConfiguration, Parameter,
    PipelineDefinitionS3Location, PipelineExecutionStatus, PipelineExecutionStep, SortOrder,
    SortPipelinesBy, StepStatus, TrainingJobStatus,
};
use serde_json::{Value, json};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{ROLE, error_of, tag};

const PIPELINE_ARN: &str = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/";

/// A ClientRequestToken (at least 32 characters, as the API requires).
fn token(label: &str) -> String {
    format!("{label}-{}", "0".repeat(32))
}

fn definition(parameters: Value, steps: Value) -> String {
    json!({ "Version": "2020-12-01", "Parameters": parameters, "Steps": steps }).to_string()
}

/// A step that does nothing but take its time.
fn plain_step(name: &str) -> Value {
    json!({ "Name": name, "Type": "Lambda", "Arguments": {} })
}

/// A Training step: CreateTrainingJob's request without the name, its output under the
/// execution's id and its instance type from a parameter.
fn training_step(name: &str) -> Value {
    json!({ "Name": name, "Type": "Training", "Arguments": {
        "AlgorithmSpecification": {
            "TrainingImage": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1",
            "TrainingInputMode": "File" },
        "RoleArn": ROLE,
        "InputDataConfig": [{ "ChannelName": "train", "DataSource": { "S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://my-bucket/churn/train" } } }],
        "OutputDataConfig": { "S3OutputPath": { "Std:Join": { "On": "/", "Values": [
            "s3://my-bucket/pipelines", { "Get": "Execution.PipelineExecutionId" }] } } },
        "ResourceConfig": { "InstanceType": { "Get": "Parameters.TrainingInstanceType" },
            "InstanceCount": 1, "VolumeSizeInGB": 30 },
        "StoppingCondition": { "MaxRuntimeInSeconds": 86400 } } })
}

/// A RegisterModel step registering the model `train` produced in `group`.
fn register_step(name: &str, group: &str, train: &str) -> Value {
    json!({ "Name": name, "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": group,
        "InferenceSpecification": {
            "Containers": [{ "Image": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1",
                "ModelDataUrl": { "Get": format!("Steps.{train}.ModelArtifacts.S3ModelArtifacts") } }],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"] },
        "ModelApprovalStatus": { "Get": "Parameters.ModelApprovalStatus" },
        "CustomerMetadataProperties": { "execution": { "Get": "Execution.PipelineExecutionId" } } } })
}

/// Train, then register: the end-to-end definition.
fn train_and_register(group: &str) -> String {
    definition(
        json!([
            { "Name": "TrainingInstanceType", "Type": "String", "DefaultValue": "ml.m5.xlarge" },
            { "Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval" },
        ]),
        json!([
            training_step("TrainModel"),
            register_step("RegisterModel", group, "TrainModel")
        ]),
    )
}

async fn create(client: &Client, name: &str, definition: &str, tags: &[(&str, &str)]) -> String {
    let mut request = client
        .create_pipeline()
        .pipeline_name(name)
        .pipeline_definition(definition)
        .client_request_token(token(name))
        .role_arn(ROLE);
    for (key, value) in tags {
        request = request.tags(tag(key, value));
    }
    request
        .send()
        .await
        .unwrap()
        .pipeline_arn()
        .unwrap()
        .to_string()
}

async fn start(
    client: &Client,
    pipeline: &str,
    label: &str,
    parameters: &[(&str, &str)],
) -> String {
    let mut request = client
        .start_pipeline_execution()
        .pipeline_name(pipeline)
        .client_request_token(token(label));
    for (name, value) in parameters {
        request =
            request.pipeline_parameters(Parameter::builder().name(*name).value(*value).build());
    }
    request
        .send()
        .await
        .unwrap()
        .pipeline_execution_arn()
        .unwrap()
        .to_string()
}

async fn describe(client: &Client, execution: &str) -> DescribePipelineExecutionOutput {
    client
        .describe_pipeline_execution()
        .pipeline_execution_arn(execution)
        .send()
        .await
        .unwrap()
}

async fn wait_execution(
    client: &Client,
    execution: &str,
    wanted: PipelineExecutionStatus,
) -> DescribePipelineExecutionOutput {
    eventually("pipeline execution status", DEADLINE, || async {
        let described = describe(client, execution).await;
        (described.pipeline_execution_status() == Some(&wanted)).then_some(described)
    })
    .await
}

async fn steps(
    client: &Client,
    execution: &str,
    order: Option<SortOrder>,
) -> Vec<PipelineExecutionStep> {
    client
        .list_pipeline_execution_steps()
        .pipeline_execution_arn(execution)
        .set_sort_order(order)
        .send()
        .await
        .unwrap()
        .pipeline_execution_steps()
        .to_vec()
}

fn step<'a>(steps: &'a [PipelineExecutionStep], name: &str) -> &'a PipelineExecutionStep {
    steps
        .iter()
        .find(|s| s.step_name() == Some(name))
        .unwrap_or_else(|| panic!("no step {name} in {steps:?}"))
}

async fn group(client: &Client, name: &str) {
    client
        .create_model_package_group()
        .model_package_group_name(name)
        .send()
        .await
        .unwrap();
    eventually("model package group completed", DEADLINE, || async {
        let group = client
            .describe_model_package_group()
            .model_package_group_name(name)
            .send()
            .await
            .unwrap();
        (group.model_package_group_status() == Some(&ModelPackageGroupStatus::Completed))
            .then_some(())
    })
    .await
}

/// The training job of execution `id` is real and Completed, and the version `package_arn`
/// registered the model it produced, PendingManualApproval, with the execution's metadata.
async fn assert_registered(client: &Client, id: &str, package_arn: &str) {
    // The training job is real, and the version registered the model it produced.
    let jobs = client.list_training_jobs().send().await.unwrap();
    let job_name = jobs.training_job_summaries()[0]
        .training_job_name()
        .unwrap()
        .to_string();
    assert!(
        job_name.starts_with(&format!("pipelines-{id}-TrainModel-")),
        "{job_name}"
    );
    let job = client
        .describe_training_job()
        .training_job_name(&job_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        job.training_job_status(),
        Some(&TrainingJobStatus::Completed)
    );
    let artifact = format!("s3://my-bucket/pipelines/{id}/{job_name}/output/model.tar.gz");
    assert_eq!(
        job.model_artifacts().and_then(|a| a.s3_model_artifacts()),
        Some(artifact.as_str())
    );
    let package = client
        .describe_model_package()
        .model_package_name(package_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(package.model_package_group_name(), Some("churn"));
    assert_eq!(
        package.model_approval_status(),
        Some(&ModelApprovalStatus::PendingManualApproval)
    );
    let container = &package.inference_specification().unwrap().containers()[0];
    assert_eq!(container.model_data_url(), Some(artifact.as_str()));
    let metadata = package.customer_metadata_properties().unwrap();
    assert_eq!(metadata.get("execution").map(String::as_str), Some(id));
    let versions = client
        .list_model_packages()
        .model_package_group_name("churn")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.model_package_summary_list().len(), 1);
}

#[tokio::test]
async fn an_execution_trains_a_model_and_registers_a_version_of_it() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    let pipeline = create(&client, "churn-train", &train_and_register("churn"), &[]).await;
    let execution = start(&client, "churn-train", "run-1", &[]).await;
    let id = execution.rsplit('/').next().unwrap().to_string();
    assert_eq!(execution, format!("{pipeline}/execution/{id}"));
    assert!(
        id.len() == 12
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{id}"
    );
    let running = describe(&client, &execution).await;
    // Two steps of 3 emulated seconds are 60 ms: a busy machine may see the end already.
    let status = running.pipeline_execution_status().unwrap();
    assert!(
        matches!(
            status,
            PipelineExecutionStatus::Executing | PipelineExecutionStatus::Succeeded
        ),
        "{status:?}"
    );
    assert_eq!(running.pipeline_arn(), Some(pipeline.as_str()));
    let done = wait_execution(&client, &execution, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(done.failure_reason(), None);
    assert_eq!(done.pipeline_version_id(), Some(1));

    let listed = steps(&client, &execution, None).await;
    let names: Vec<_> = listed.iter().filter_map(|s| s.step_name()).collect();
    assert_eq!(
        names,
        ["RegisterModel", "TrainModel"],
        "latest first by default"
    );
    let train = step(&listed, "TrainModel");
    assert_eq!(train.step_status(), Some(&StepStatus::Succeeded));
    assert_eq!(train.attempt_count(), Some(1));
    assert!(train.end_time().unwrap() <= step(&listed, "RegisterModel").start_time().unwrap());
    let job_arn = train
        .metadata()
        .and_then(|m| m.training_job())
        .and_then(|j| j.arn())
        .unwrap();
    let job_prefix =
        format!("arn:aws:sagemaker:us-east-1:123456789012:training-job/pipelines-{id}-trainmodel-");
    assert!(job_arn.starts_with(&job_prefix), "{job_arn}");
    let package_arn = step(&listed, "RegisterModel")
        .metadata()
        .and_then(|m| m.register_model())
        .and_then(|r| r.arn())
        .unwrap();
    assert_eq!(
        package_arn,
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1"
    );

    assert_registered(&client, &id, package_arn).await;

    let described = client
        .describe_pipeline()
        .pipeline_name(&pipeline)
        .send()
        .await
        .unwrap();
    assert!(described.last_run_time().is_some());
}

#[tokio::test]
async fn a_run_approves_by_parameter_and_reads_its_parameters_back() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "fraud").await;
    create(&client, "fraud-train", &train_and_register("fraud"), &[]).await;
    let execution = start(
        &client,
        "fraud-train",
        "run-1",
        &[("ModelApprovalStatus", "Approved")],
    )
    .await;
    wait_execution(&client, &execution, PipelineExecutionStatus::Succeeded).await;
    let parameters = client
        .list_pipeline_parameters_for_execution()
        .pipeline_execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = parameters
        .pipeline_parameters()
        .iter()
        .map(|p| (p.name().unwrap(), p.value().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("TrainingInstanceType", "ml.m5.xlarge"),
            ("ModelApprovalStatus", "Approved")
        ]
    );
    let package = client
        .describe_model_package()
        .model_package_name("fraud/1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        package.model_approval_status(),
        Some(&ModelApprovalStatus::Approved)
    );

    // A parameter the definition does not declare, or of the wrong type, is refused.
    let (code, message) = error_of(
        client
            .start_pipeline_execution()
            .pipeline_name("fraud-train")
            .client_request_token(token("run-2"))
            .pipeline_parameters(Parameter::builder().name("Epochs").value("3").build())
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Epochs"), "{message}");
}

/// DeletePipeline takes `name` (ARN `arn`) and its `execution` away at once, the same token
/// again answers the same ARN, and another finds nothing.
async fn assert_deleted(client: &Client, name: &str, arn: &str, execution: &str) {
    let delete = || {
        client
            .delete_pipeline()
            .pipeline_name(name)
            .client_request_token(token("delete"))
            .send()
    };
    assert_eq!(delete().await.unwrap().pipeline_arn(), Some(arn));
    assert_eq!(
        delete().await.unwrap().pipeline_arn(),
        Some(arn),
        "the same token again"
    );
    let (code, message) = error_of(client.describe_pipeline().pipeline_name(name).send().await);
    assert_eq!(code, "ResourceNotFound");
    assert!(message.contains(arn), "{message}");
    let (code, _) = error_of(
        client
            .describe_pipeline_execution()
            .pipeline_execution_arn(execution)
            .send()
            .await,
    );
    assert_eq!(
        code, "ResourceNotFound",
        "executions go with their pipeline"
    );
    let (code, _) = error_of(
        client
            .delete_pipeline()
            .pipeline_name(name)
            .client_request_token(token("again"))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    let (code, _) = error_of(client.list_tags().resource_arn(arn).send().await);
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn pipelines_are_created_described_updated_listed_and_deleted() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let text = definition(json!([]), json!([plain_step("Only")]));
    let arn = client
        .create_pipeline()
        .pipeline_name("Churn-Pipeline")
        .pipeline_display_name("Churn")
        .pipeline_description("trains churn")
        .pipeline_definition(&text)
        .client_request_token(token("create"))
        .role_arn(ROLE)
        .parallelism_configuration(
            ParallelismConfiguration::builder()
                .max_parallel_execution_steps(2)
                .build(),
        )
        .tags(tag("team", "growth"))
        .send()
        .await
        .unwrap()
        .pipeline_arn()
        .unwrap()
        .to_string();
    assert_eq!(arn, format!("{PIPELINE_ARN}churn-pipeline"));
    let described = client
        .describe_pipeline()
        .pipeline_name("Churn-Pipeline")
        .send()
        .await
        .unwrap();
    assert_eq!(described.pipeline_name(), Some("Churn-Pipeline"));
    assert_eq!(described.pipeline_display_name(), Some("Churn"));
    assert_eq!(described.pipeline_description(), Some("trains churn"));
    assert_eq!(described.pipeline_definition(), Some(text.as_str()));
    assert_eq!(described.role_arn(), Some(ROLE));
    assert_eq!(
        described.pipeline_status().map(|s| s.as_str()),
        Some("Active")
    );
    assert_eq!(
        described
            .parallelism_configuration()
            .and_then(|p| p.max_parallel_execution_steps()),
        Some(2)
    );
    assert!(described.last_run_time().is_none());
    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);

    let updated_text = definition(
        json!([]),
        json!([plain_step("First"), plain_step("Second")]),
    );
    let updated = client
        .update_pipeline()
        .pipeline_name("Churn-Pipeline")
        .pipeline_description("trains churn, twice")
        .pipeline_definition(&updated_text)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (updated.pipeline_arn(), updated.pipeline_version_id()),
        (Some(arn.as_str()), Some(2))
    );
    let after = client
        .describe_pipeline()
        .pipeline_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(after.pipeline_definition(), Some(updated_text.as_str()));
    assert_eq!(after.pipeline_description(), Some("trains churn, twice"));
    assert!(after.last_modified_time() >= described.last_modified_time());
    // New executions run the new definition.
    let execution = start(&client, "Churn-Pipeline", "run", &[]).await;
    wait_execution(&client, &execution, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(steps(&client, &execution, None).await.len(), 2);
    assert_deleted(&client, "Churn-Pipeline", &arn, &execution).await;
}

#[tokio::test]
async fn list_pipelines_filters_sorts_and_pages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let text = definition(json!([]), json!([plain_step("Only")]));
    for name in ["beta-one", "alpha-one", "beta-two"] {
        create(&client, name, &text, &[]).await;
    }
    let names = |output: &aws_sdk_sagemaker::operation::list_pipelines::ListPipelinesOutput| {
        output
            .pipeline_summaries()
            .iter()
            .filter_map(|s| s.pipeline_name())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let all = client.list_pipelines().send().await.unwrap();
    assert_eq!(
        names(&all),
        ["beta-two", "alpha-one", "beta-one"],
        "newest first"
    );
    let by_name = client
        .list_pipelines()
        .sort_by(SortPipelinesBy::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&by_name), ["alpha-one", "beta-one", "beta-two"]);
    let prefixed = client
        .list_pipelines()
        .pipeline_name_prefix("beta")
        .send()
        .await
        .unwrap();
    assert_eq!(names(&prefixed), ["beta-two", "beta-one"]);
    let first = client.list_pipelines().max_results(2).send().await.unwrap();
    assert_eq!(names(&first).len(), 2);
    let rest = client
        .list_pipelines()
        .max_results(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["beta-one"]);
    assert!(rest.next_token().is_none());
    let summary = &by_name.pipeline_summaries()[0];
    assert_eq!(
        summary.pipeline_arn(),
        Some(format!("{PIPELINE_ARN}alpha-one").as_str())
    );
    assert_eq!(summary.role_arn(), Some(ROLE));
}

#[tokio::test]
async fn create_is_idempotent_by_token_and_names_are_unique() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let text = definition(json!([]), json!([plain_step("Only")]));
    let first = create(&client, "dedupe", &text, &[]).await;
    let again = create(&client, "dedupe", &text, &[]).await;
    assert_eq!(again, first, "the same token creates nothing");
    assert_eq!(
        client
            .list_pipelines()
            .send()
            .await
            .unwrap()
            .pipeline_summaries()
            .len(),
        1
    );
    let (code, message) = error_of(
        client
            .create_pipeline()
            .pipeline_name("dedupe")
            .pipeline_definition(&text)
            .client_request_token(token("another"))
            .role_arn(ROLE)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Pipeline names must be unique within an AWS account and region"),
        "{message}"
    );
}

#[tokio::test]
async fn definitions_are_validated() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let attempt = |definition: Option<String>, location: Option<PipelineDefinitionS3Location>| {
        client
            .create_pipeline()
            .pipeline_name("invalid")
            .set_pipeline_definition(definition)
            .set_pipeline_definition_s3_location(location)
            .client_request_token(token("invalid"))
            .role_arn(ROLE)
            .send()
    };
    let location = PipelineDefinitionS3Location::builder()
        .bucket("my-bucket")
        .object_key("missing.json")
        .build();
    let depends = definition(
        json!([]),
        json!([{ "Name": "A", "Type": "Lambda", "DependsOn": ["Nope"] }]),
    );
    let table = [
        (
            Some("{not json".to_string()),
            None,
            "Unable to parse pipeline definition. Invalid JSON",
        ),
        (
            Some(json!({ "Version": "2020-12-01" }).to_string()),
            None,
            "Unable to parse pipeline definition. The pipeline definition has no Steps.",
        ),
        (
            Some(depends),
            None,
            "Step A depends on step Nope, which is not in the definition.",
        ),
        (
            None,
            None,
            "Either Pipeline Definition or Pipeline Definition S3 location should be provided",
        ),
        (
            Some("{}".to_string()),
            Some(location.clone()),
            "Both Pipeline Definition and Pipeline Definition S3 Location shouldn't be present",
        ),
        (
            None,
            Some(location),
            "could not be read from s3://my-bucket/missing.json",
        ),
    ];
    for (text, location, expected) in table {
        let (code, message) = error_of(attempt(text, location).await);
        assert_eq!(code, "ValidationException", "{expected}");
        assert!(message.contains(expected), "{message}");
    }
    assert!(
        client
            .list_pipelines()
            .send()
            .await
            .unwrap()
            .pipeline_summaries()
            .is_empty()
    );
}

#[tokio::test]
async fn a_definition_is_read_from_an_s3_object_put_through_the_control_api() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let text = definition(json!([]), json!([plain_step("FromS3")]));
    let (status, body) = emulator.http(
        "PUT",
        "/_emulator/objects/my-bucket/pipelines/churn.json",
        &[],
        &text,
    );
    assert_eq!(status, 200, "{body}");
    let arn = client
        .create_pipeline()
        .pipeline_name("from-s3")
        .pipeline_definition_s3_location(
            PipelineDefinitionS3Location::builder()
                .bucket("my-bucket")
                .object_key("pipelines/churn.json")
                .build(),
        )
        .client_request_token(token("from-s3"))
        .role_arn(ROLE)
        .send()
        .await
        .unwrap()
        .pipeline_arn()
        .unwrap()
        .to_string();
    let described = client
        .describe_pipeline()
        .pipeline_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.pipeline_definition(), Some(text.as_str()));
    let listed = emulator.control("GET", "objects", Value::Null);
    assert_eq!(
        listed["objects"],
        json!([{ "uri": "s3://my-bucket/pipelines/churn.json", "body": text }])
    );
    let one = emulator.control("GET", "objects/my-bucket/pipelines/churn.json", Value::Null);
    assert_eq!(one["body"], json!(text));
    // Objects are per region, as the rest of a region's state.
    let elsewhere = emulator.control("GET", "objects?region=eu-west-1", Value::Null);
    assert_eq!(elsewhere["objects"], json!([]));
    let deleted = emulator.control(
        "DELETE",
        "objects/my-bucket/pipelines/churn.json",
        Value::Null,
    );
    assert_eq!(deleted["deleted"], json!(true));
    let (status, _) = emulator.http(
        "GET",
        "/_emulator/objects/my-bucket/pipelines/churn.json",
        &[],
        "",
    );
    assert_eq!(status, 404);
}

/// Checks the model, then fails with its message unless `Parameters.Mse` is at most 6.
fn condition_definition() -> String {
    definition(
        json!([{ "Name": "Mse", "Type": "Float", "DefaultValue": 5.0 }]),
        json!([{ "Name": "CheckMse", "Type": "Condition", "Arguments": {
            "Conditions": [{ "Type": "LessThanOrEqualTo", "LeftValue": { "Get": "Parameters.Mse" }, "RightValue": 6.0 }],
            "IfSteps": [plain_step("Deploy")],
            "ElseSteps": [{ "Name": "TooHigh", "Type": "Fail", "Arguments": { "ErrorMessage": { "Std:Join": {
                "On": " ", "Values": ["MSE", { "Get": "Parameters.Mse" }, "is above 6"] } } } }] } }]),
    )
}

#[tokio::test]
async fn a_condition_picks_its_branch_and_a_fail_step_fails_the_execution() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create(&client, "gated", &condition_definition(), &[]).await;

    let good = start(&client, "gated", "good", &[]).await;
    wait_execution(&client, &good, PipelineExecutionStatus::Succeeded).await;
    let listed = steps(&client, &good, Some(SortOrder::Ascending)).await;
    let names: Vec<_> = listed.iter().filter_map(|s| s.step_name()).collect();
    assert_eq!(names, ["CheckMse", "Deploy"]);
    let outcome = step(&listed, "CheckMse")
        .metadata()
        .and_then(|m| m.condition())
        .and_then(|c| c.outcome());
    assert_eq!(outcome.map(|o| o.as_str()), Some("True"));

    let bad = start(&client, "gated", "bad", &[("Mse", "7.5")]).await;
    let failed = wait_execution(&client, &bad, PipelineExecutionStatus::Failed).await;
    assert_eq!(failed.failure_reason(), Some("MSE 7.5 is above 6"));
    let listed = steps(&client, &bad, None).await;
    let names: Vec<_> = listed.iter().filter_map(|s| s.step_name()).collect();
    assert_eq!(names, ["TooHigh", "CheckMse"]);
    let fail = step(&listed, "TooHigh");
    assert_eq!(fail.step_status(), Some(&StepStatus::Failed));
    assert_eq!(fail.failure_reason(), Some("MSE 7.5 is above 6"));
    assert_eq!(
        fail.metadata()
            .and_then(|m| m.fail())
            .and_then(|f| f.error_message()),
        Some("MSE 7.5 is above 6")
    );
    let outcome = step(&listed, "CheckMse")
        .metadata()
        .and_then(|m| m.condition())
        .and_then(|c| c.outcome());
    assert_eq!(outcome.map(|o| o.as_str()), Some("False"));

    let summaries = client
        .list_pipeline_executions()
        .pipeline_name("gated")
        .send()
        .await
        .unwrap();
    let summaries = summaries.pipeline_execution_summaries();
    assert_eq!(summaries.len(), 2);
    assert_eq!(
        summaries[0].pipeline_execution_arn(),
        Some(bad.as_str()),
        "newest first"
    );
    assert_eq!(
        summaries[0].pipeline_execution_failure_reason(),
        Some("MSE 7.5 is above 6")
    );
    assert_eq!(
        summaries[1].pipeline_execution_status(),
        Some(&PipelineExecutionStatus::Succeeded)
    );
}

#[tokio::test]
async fn the_fail_step_tag_fails_a_step_and_nothing_after_it_runs() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "tagged").await;
    let tags = [
        ("emulator:fail-step", "TrainModel"),
        ("emulator:failure-reason", "AlgorithmError: out of memory"),
    ];
    create(&client, "tagged", &train_and_register("tagged"), &tags).await;
    let execution = start(&client, "tagged", "run", &[]).await;
    let failed = wait_execution(&client, &execution, PipelineExecutionStatus::Failed).await;
    let reason = failed.failure_reason().unwrap();
    assert!(
        reason.starts_with("Step failure: One or multiple steps failed."),
        "{reason}"
    );
    assert!(
        reason.contains("TrainModel") && reason.contains("AlgorithmError: out of memory"),
        "{reason}"
    );
    let listed = steps(&client, &execution, None).await;
    assert_eq!(listed.len(), 1, "RegisterModel never started: {listed:?}");
    let train = step(&listed, "TrainModel");
    assert_eq!(train.step_status(), Some(&StepStatus::Failed));
    assert_eq!(
        train.failure_reason(),
        Some("AlgorithmError: out of memory")
    );
    let job_arn = train
        .metadata()
        .and_then(|m| m.training_job())
        .and_then(|j| j.arn())
        .unwrap();
    let jobs = client.list_training_jobs().send().await.unwrap();
    let job = &jobs.training_job_summaries()[0];
    assert_eq!(job.training_job_arn(), Some(job_arn));
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::Failed));
    let versions = client
        .list_model_packages()
        .model_package_group_name("tagged")
        .send()
        .await
        .unwrap();
    assert!(versions.model_package_summary_list().is_empty());
}

#[tokio::test]
async fn register_model_in_a_missing_group_fails_as_create_model_package_would() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create(&client, "orphan", &train_and_register("nowhere"), &[]).await;
    let execution = start(&client, "orphan", "run", &[]).await;
    wait_execution(&client, &execution, PipelineExecutionStatus::Failed).await;
    let listed = steps(&client, &execution, None).await;
    let register = step(&listed, "RegisterModel");
    assert_eq!(register.step_status(), Some(&StepStatus::Failed));
    let reason = register.failure_reason().unwrap();
    assert!(
        reason.contains("ModelPackageGroup arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nowhere does not exist."),
        "{reason}"
    );
    assert_eq!(
        step(&listed, "TrainModel").step_status(),
        Some(&StepStatus::Succeeded)
    );
}

#[tokio::test]
async fn an_execution_is_stopped_with_its_running_step_and_job() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    // 1000 emulated seconds per step: 10 s at the tests' time scale, time enough to stop it.
    create(
        &client,
        "slow",
        &train_and_register("slow"),
        &[("emulator:duration-seconds", "1000")],
    )
    .await;
    let execution = start(&client, "slow", "run", &[]).await;
    eventually("the training step executes", DEADLINE, || async {
        let listed = steps(&client, &execution, None).await;
        (listed.first().and_then(|s| s.step_status()) == Some(&StepStatus::Executing)).then_some(())
    })
    .await;
    let (code, _) = error_of(
        client
            .delete_pipeline()
            .pipeline_name("slow")
            .client_request_token(token("delete"))
            .send()
            .await,
    );
    assert_eq!(
        code, "ConflictException",
        "a pipeline with a running execution is not deleted"
    );

    let stop = || {
        client
            .stop_pipeline_execution()
            .pipeline_execution_arn(&execution)
            .client_request_token(token("stop"))
            .send()
    };
    assert_eq!(
        stop().await.unwrap().pipeline_execution_arn(),
        Some(execution.as_str())
    );
    // Stopping lasts 2 emulated seconds (20 ms): the next call may already see Stopped.
    let stopping = describe(&client, &execution).await;
    let status = stopping.pipeline_execution_status().unwrap();
    assert!(
        matches!(
            status,
            PipelineExecutionStatus::Stopping | PipelineExecutionStatus::Stopped
        ),
        "{status:?}"
    );
    stop().await.expect("the same token again changes nothing");
    wait_execution(&client, &execution, PipelineExecutionStatus::Stopped).await;
    let listed = steps(&client, &execution, None).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].step_status(), Some(&StepStatus::Stopped));
    let jobs = client.list_training_jobs().send().await.unwrap();
    assert_eq!(
        jobs.training_job_summaries()[0].training_job_status(),
        Some(&TrainingJobStatus::Stopped)
    );

    let (code, message) = error_of(
        client
            .stop_pipeline_execution()
            .pipeline_execution_arn(&execution)
            .client_request_token(token("stop-again"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Stopped"), "{message}");
    client
        .delete_pipeline()
        .pipeline_name("slow")
        .client_request_token(token("delete"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn start_is_idempotent_by_token_and_executions_are_listed() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create(
        &client,
        "runs",
        &definition(json!([]), json!([plain_step("Only")])),
        &[],
    )
    .await;
    let first = client
        .start_pipeline_execution()
        .pipeline_name(format!("{PIPELINE_ARN}runs"))
        .pipeline_execution_display_name("nightly")
        .pipeline_execution_description("the nightly run")
        .client_request_token(token("nightly"))
        .send()
        .await
        .unwrap()
        .pipeline_execution_arn()
        .unwrap()
        .to_string();
    let again = start(&client, "runs", "nightly", &[]).await;
    assert_eq!(again, first, "the same token starts nothing");
    let second = start(&client, "runs", "second", &[]).await;
    let described = describe(&client, &first).await;
    assert_eq!(described.pipeline_execution_display_name(), Some("nightly"));
    assert_eq!(
        described.pipeline_execution_description(),
        Some("the nightly run")
    );
    let listed = |order: SortOrder| {
        client
            .list_pipeline_executions()
            .pipeline_name("runs")
            .sort_order(order)
            .send()
    };
    let ascending = listed(SortOrder::Ascending).await.unwrap();
    let arns: Vec<_> = ascending
        .pipeline_execution_summaries()
        .iter()
        .filter_map(|s| s.pipeline_execution_arn())
        .collect();
    assert_eq!(arns, [first.as_str(), second.as_str()]);
    let page = client
        .list_pipeline_executions()
        .pipeline_name("runs")
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.pipeline_execution_summaries()[0].pipeline_execution_arn(),
        Some(second.as_str())
    );
    assert!(page.next_token().is_some());

    let (code, _) = error_of(
        client
            .list_pipeline_executions()
            .pipeline_name("nope")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    let (code, _) = error_of(
        client
            .start_pipeline_execution()
            .pipeline_name("nope")
            .client_request_token(token("x"))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    let missing = format!("{PIPELINE_ARN}runs/execution/000000000000");
    let (code, _) = error_of(
        client
            .list_pipeline_execution_steps()
            .pipeline_execution_arn(&missing)
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
}

#[tokio::test]
async fn steps_run_in_dependency_order_within_the_parallelism() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let text = definition(
        json!([]),
        json!([
            { "Name": "Prep", "Type": "Processing", "Arguments": { "ProcessingOutputConfig": { "Outputs": [
                { "OutputName": "train", "S3Output": { "S3Uri": "s3://my-bucket/train", "LocalPath": "/opt/ml/processing/train", "S3UploadMode": "EndOfJob" } }] } } },
            plain_step("Side"),
            { "Name": "Use", "Type": "Lambda", "Arguments": {
                "Input": { "Get": "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" } } },
        ]),
    );
    let pipeline = client
        .create_pipeline()
        .pipeline_name("ordered")
        .pipeline_definition(text)
        .client_request_token(token("ordered"))
        .role_arn(ROLE)
        .parallelism_configuration(
            ParallelismConfiguration::builder()
                .max_parallel_execution_steps(1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(pipeline.pipeline_arn().is_some());
    let execution = start(&client, "ordered", "run", &[]).await;
    wait_execution(&client, &execution, PipelineExecutionStatus::Succeeded).await;
    let listed = steps(&client, &execution, Some(SortOrder::Ascending)).await;
    let names: Vec<_> = listed.iter().filter_map(|s| s.step_name()).collect();
    assert_eq!(
        names,
        ["Prep", "Side", "Use"],
        "one at a time, in definition order once ready"
    );
    for pair in listed.windows(2) {
        assert!(
            pair[0].end_time().unwrap() <= pair[1].start_time().unwrap(),
            "{pair:?}"
        );
    }
    let prep = step(&listed, "Prep")
        .metadata()
        .and_then(|m| m.processing_job())
        .and_then(|p| p.arn())
        .unwrap();
    assert!(
        prep.starts_with("arn:aws:sagemaker:us-east-1:123456789012:processing-job/pipelines-"),
        "{prep}"
    );
    assert!(
        step(&listed, "Use").metadata().is_none(),
        "an unknown type has no metadata"
    );
    let first_page = client
        .list_pipeline_execution_steps()
        .pipeline_execution_arn(&execution)
        .max_results(2)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = first_page
        .pipeline_execution_steps()
        .iter()
        .filter_map(|s| s.step_name())
        .collect();
    assert_eq!(names, ["Use", "Side"]);
    assert!(first_page.next_token().is_some());
}

#[tokio::test]
async fn faults_reach_the_pipeline_operations() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create(
        &client,
        "faulty",
        &definition(json!([]), json!([plain_step("Only")])),
        &[],
    )
    .await;
    for (operation, kind, code) in [
        (
            "StartPipelineExecution",
            "throttling",
            "ThrottlingException",
        ),
        ("SageMaker.DescribePipeline", "internal", "InternalFailure"),
    ] {
        emulator.control(
            "POST",
            "faults",
            json!({ "operation": operation, "kind": kind, "count": 1 }),
        );
        let result = match operation {
            "StartPipelineExecution" => error_of(
                client
                    .start_pipeline_execution()
                    .pipeline_name("faulty")
                    .client_request_token(token("f"))
                    .send()
                    .await,
            ),
            _ => error_of(
                client
                    .describe_pipeline()
                    .pipeline_name("faulty")
                    .send()
                    .await,
            ),
        };
        assert_eq!(result.0, code, "{operation}");
    }
    assert!(
        client
            .list_pipeline_executions()
            .pipeline_name("faulty")
            .send()
            .await
            .unwrap()
            .pipeline_execution_summaries()
            .is_empty()
    );
    start(&client, "faulty", "f", &[]).await;
    let resources = emulator.control("GET", "resources", Value::Null);
    assert_eq!(
        resources["regions"]["us-east-1"]["pipelines"],
        json!(["faulty"])
    );
    assert_eq!(
        resources["regions"]["us-east-1"]["pipelineExecutions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
