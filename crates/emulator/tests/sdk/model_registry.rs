//! The model registry's groups: Pending, then Completed; a taken or missing group in
//! SageMaker's words; the List by creation time; deletion in the background.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::types::ModelPackageGroupStatus;

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{error_of, tag};

async fn wait_group(client: &Client, name: &str, wanted: ModelPackageGroupStatus) {
    eventually("model package group status", DEADLINE, || async {
        let group = client
            .describe_model_package_group()
            .model_package_group_name(name)
            .send()
            .await
            .unwrap();
        (group.model_package_group_status() == Some(&wanted)).then_some(())
    })
    .await
}

#[tokio::test]
async fn model_package_group_is_created_listed_refused_twice_and_deleted() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let created = client
        .create_model_package_group()
        .model_package_group_name("churn")
        .model_package_group_description("customer churn models")
        // 100 emulated seconds: Pending is seen before Completed.
        .tags(tag("emulator:duration-seconds", "100"))
        .send()
        .await
        .unwrap();
    let arn = created.model_package_group_arn().unwrap().to_string();
    assert!(arn.ends_with(":model-package-group/churn"), "{arn}");
    let first = client
        .describe_model_package_group()
        .model_package_group_name("churn")
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.model_package_group_status(),
        Some(&ModelPackageGroupStatus::Pending)
    );
    assert_eq!(
        first.model_package_group_description(),
        Some("customer churn models")
    );
    wait_group(&client, "churn", ModelPackageGroupStatus::Completed).await;
    // By ARN too, as SageMaker accepts.
    let by_arn = client
        .describe_model_package_group()
        .model_package_group_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.model_package_group_name(), Some("churn"));

    let (code, message) = error_of(
        client
            .create_model_package_group()
            .model_package_group_name("churn")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        format!("Model Package Group already exists: {arn}")
    );

    let listed = client
        .list_model_package_groups()
        .name_contains("chu")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed
        .model_package_group_summary_list()
        .iter()
        .map(|g| g.model_package_group_name().unwrap_or_default())
        .collect();
    assert_eq!(names, ["churn"]);
    let later = client
        .list_model_package_groups()
        .creation_time_after(aws_sdk_sagemaker::primitives::DateTime::from_secs(
            4_000_000_000,
        ))
        .send()
        .await
        .unwrap();
    assert!(later.model_package_group_summary_list().is_empty());

    client
        .delete_model_package_group()
        .model_package_group_name("churn")
        .send()
        .await
        .unwrap();
    wait_group(&client, "churn", ModelPackageGroupStatus::Deleting).await;
    let (code, message) = eventually("the group is gone", DEADLINE, || async {
        let result = client
            .describe_model_package_group()
            .model_package_group_name("churn")
            .send()
            .await;
        result.is_err().then(|| error_of(result))
    })
    .await;
    assert_eq!(code, "ValidationException");
    assert_eq!(message, format!("ModelPackageGroup {arn} does not exist."));
}

#[tokio::test]
async fn model_package_group_fails_by_outcome_tag_and_refuses_bad_names() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    client
        .create_model_package_group()
        .model_package_group_name("broken")
        .tags(tag("emulator:outcome", "Failed"))
        .send()
        .await
        .unwrap();
    wait_group(&client, "broken", ModelPackageGroupStatus::Failed).await;
    let (code, message) = error_of(
        client
            .create_model_package_group()
            .model_package_group_name("not_a_valid_name")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("modelPackageGroupName") && message.contains("pattern"),
        "{message}"
    );
}
