//! Every region is its own SageMaker (and CloudWatch Logs): what one region holds is invisible
//! from the others, names repeat freely across regions and ARNs name the region they live in.

use aws_sdk_sagemaker::types::{HyperParameterTuningJobObjectiveType, TrainingJobStatus};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::hosting::{create_endpoint_config, variant};
use crate::transform::{create_model, transform_request};
use crate::tuning::tuning_request;
use crate::{error_of, training_request};

#[tokio::test]
async fn a_job_in_one_region_is_invisible_from_another() {
    let emulator = Emulator::start();
    let west = emulator.sagemaker_in("us-west-2").await;
    let east = emulator.sagemaker_in("us-east-1").await;
    training_request(
        &west,
        "regional",
        &[("emulator:duration-seconds", "100000")],
    )
    .send()
    .await
    .expect("create in us-west-2");

    // Describe, Stop and List in us-east-1 answer as for a job that never existed.
    let (code, message) = error_of(
        east.describe_training_job()
            .training_job_name("regional")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ValidationException", "Requested resource not found.")
    );
    let (code, message) = error_of(
        east.stop_training_job()
            .training_job_name("regional")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ValidationException", "Requested resource not found.")
    );
    let listed = east.list_training_jobs().send().await.unwrap();
    assert!(
        listed.training_job_summaries().is_empty(),
        "us-east-1 lists nothing: {listed:?}"
    );
    // Tagging calls cannot reach the other region's ARN either.
    let west_arn = "arn:aws:sagemaker:us-west-2:123456789012:training-job/regional";
    let (code, message) = error_of(east.list_tags().resource_arn(west_arn).send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(message, format!("Could not find resource \"{west_arn}\"."));

    // The same name is free in us-east-1, and each region describes its own job.
    let east_arn = training_request(&east, "regional", &[])
        .send()
        .await
        .expect("the name is free in another region")
        .training_job_arn
        .unwrap();
    assert_eq!(
        east_arn,
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/regional"
    );
    let west_job = west
        .describe_training_job()
        .training_job_name("regional")
        .send()
        .await
        .unwrap();
    assert_eq!(west_job.training_job_arn(), Some(west_arn));
    assert_eq!(
        west_job.training_job_status(),
        Some(&TrainingJobStatus::InProgress)
    );

    // Stopping the us-east-1 job leaves the us-west-2 job running.
    east.stop_training_job()
        .training_job_name("regional")
        .send()
        .await
        .unwrap();
    let west_job = west
        .describe_training_job()
        .training_job_name("regional")
        .send()
        .await
        .unwrap();
    assert_eq!(
        west_job.training_job_status(),
        Some(&TrainingJobStatus::InProgress)
    );
    let listed = west.list_training_jobs().send().await.unwrap();
    let arns: Vec<_> = listed
        .training_job_summaries()
        .iter()
        .map(|job| job.training_job_arn().unwrap_or_default())
        .collect();
    assert_eq!(arns, [west_arn]);
}

#[tokio::test]
async fn every_resource_kind_is_regional_with_its_missing_resource_error() {
    let emulator = Emulator::start();
    let west = emulator.sagemaker_in("us-west-2").await;
    let east = emulator.sagemaker_in("eu-central-1").await;
    create_model(&west, "model").await;
    create_endpoint_config(&west, "config", variant("AllTraffic", "model", 1)).await;
    west.create_endpoint()
        .endpoint_name("endpoint")
        .endpoint_config_name("config")
        .send()
        .await
        .unwrap();
    transform_request(&west, "batch", "model")
        .send()
        .await
        .unwrap();
    tuning_request(
        &west,
        "hpo",
        2,
        1,
        HyperParameterTuningJobObjectiveType::Minimize,
    )
    .send()
    .await
    .unwrap();

    let (code, message) = error_of(east.describe_model().model_name("model").send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Could not find model \"arn:aws:sagemaker:eu-central-1:123456789012:model/model\"."
    );
    let (code, message) = error_of(
        east.describe_endpoint_config()
            .endpoint_config_name("config")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Could not find endpoint configuration"),
        "{message}"
    );
    let (code, message) = error_of(
        east.describe_endpoint()
            .endpoint_name("endpoint")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.starts_with("Could not find endpoint"), "{message}");
    let (code, _) = error_of(
        east.describe_transform_job()
            .transform_job_name("batch")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let (code, _) = error_of(
        east.describe_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("hpo")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    // A transform job in a region without the model is refused as in SageMaker.
    let (code, _) = error_of(transform_request(&east, "batch", "model").send().await);
    assert_eq!(code, "ValidationException");
    assert!(east.list_models().send().await.unwrap().models().is_empty());
    assert!(
        east.list_endpoints()
            .send()
            .await
            .unwrap()
            .endpoints()
            .is_empty()
    );

    // The control API lists each region's resources by name; tuning children are training jobs
    // of the tuning job's region.
    let children = eventually("the first tuning child", DEADLINE, || async {
        let listed = emulator.control("GET", "resources?region=us-west-2", serde_json::Value::Null);
        let children = listed["trainingJobs"].as_array()?.clone();
        (!children.is_empty()).then_some(children)
    })
    .await;
    assert!(
        children
            .iter()
            .all(|name| name.as_str().is_some_and(|name| name.starts_with("hpo-"))),
        "{children:?}"
    );
    let listed = emulator.control("GET", "resources?region=us-west-2", serde_json::Value::Null);
    assert_eq!(listed["region"], "us-west-2");
    assert_eq!(listed["models"], serde_json::json!(["model"]));
    assert_eq!(listed["endpointConfigs"], serde_json::json!(["config"]));
    assert_eq!(listed["endpoints"], serde_json::json!(["endpoint"]));
    assert_eq!(listed["transformJobs"], serde_json::json!(["batch"]));
    assert_eq!(
        listed["hyperParameterTuningJobs"],
        serde_json::json!(["hpo"])
    );
    let other = emulator.control(
        "GET",
        "resources?region=eu-central-1",
        serde_json::Value::Null,
    );
    for kind in ["models", "endpoints", "transformJobs", "trainingJobs"] {
        assert_eq!(other[kind], serde_json::json!([]), "eu-central-1 {kind}");
    }
    let all = emulator.control("GET", "resources", serde_json::Value::Null);
    let regions: Vec<&String> = all["regions"].as_object().unwrap().keys().collect();
    assert_eq!(regions, ["eu-central-1", "us-west-2"]);
    assert_eq!(
        all["regions"]["us-west-2"]["models"],
        serde_json::json!(["model"])
    );

    // Reset forgets every region.
    emulator.control("POST", "reset", serde_json::Value::Null);
    let all = emulator.control("GET", "resources", serde_json::Value::Null);
    assert_eq!(all["regions"], serde_json::json!({}));
}

#[tokio::test]
async fn log_groups_and_job_logs_are_regional() {
    let emulator = Emulator::start();
    let west = emulator.sagemaker_in("us-west-2").await;
    let west_logs = emulator.logs_in("us-west-2").await;
    let east_logs = emulator.logs_in("us-east-1").await;
    training_request(&west, "logged", &[]).send().await.unwrap();
    eventually("us-west-2 training log streams", DEADLINE, || async {
        let streams = west_logs
            .describe_log_streams()
            .log_group_name("/aws/sagemaker/TrainingJobs")
            .send()
            .await
            .ok()?;
        (!streams.log_streams().is_empty()).then_some(())
    })
    .await;
    let groups = west_logs.describe_log_groups().send().await.unwrap();
    let arns: Vec<_> = groups
        .log_groups()
        .iter()
        .map(|group| group.arn().unwrap_or_default())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:logs:us-west-2:123456789012:log-group:/aws/sagemaker/TrainingJobs:*"]
    );
    let error = east_logs
        .describe_log_streams()
        .log_group_name("/aws/sagemaker/TrainingJobs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata::code(&error),
        Some("ResourceNotFoundException")
    );
    // A group of the same name can be created in another region.
    east_logs
        .create_log_group()
        .log_group_name("/aws/sagemaker/TrainingJobs")
        .send()
        .await
        .expect("the group name is free in us-east-1");
}
