//! The model registry's packages: versions numbered in their group, Pending → InProgress →
//! Completed (or Failed by tag), ClientToken idempotency, updates in place, deletion in the
//! background (and the group refusing deletion while it holds versions), the List's filters,
//! and SageMaker's refusals.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{
    InferenceSpecification, ModelApprovalStatus, ModelPackageContainerDefinition,
    ModelPackageGroupStatus, ModelPackageStatus, ModelPackageType, SortOrder,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{error_of, tag};

const ARN_PREFIX: &str = "arn:aws:sagemaker:us-east-1:123456789012:model-package/";

fn inference_specification() -> InferenceSpecification {
    InferenceSpecification::builder()
        .containers(
            ModelPackageContainerDefinition::builder()
                .image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .model_data_url("s3://my-bucket/churn/output/model.tar.gz")
                .build(),
        )
        .supported_content_types("text/csv")
        .supported_response_mime_types("text/csv")
        .build()
}

/// A group, Completed.
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

/// Registers a version in `group` and answers its ARN.
async fn version(client: &Client, group: &str) -> String {
    client
        .create_model_package()
        .model_package_group_name(group)
        .inference_specification(inference_specification())
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string()
}

async fn wait_package(client: &Client, name: &str, wanted: ModelPackageStatus) {
    eventually("model package status", DEADLINE, || async {
        let package = client
            .describe_model_package()
            .model_package_name(name)
            .send()
            .await
            .unwrap();
        (package.model_package_status() == Some(&wanted)).then_some(())
    })
    .await
}

/// Waits until the package is gone and answers the error Describe then gives.
async fn wait_gone(client: &Client, name: &str) -> (String, String) {
    eventually("the model package is gone", DEADLINE, || async {
        let result = client
            .describe_model_package()
            .model_package_name(name)
            .send()
            .await;
        result.is_err().then(|| error_of(result))
    })
    .await
}

#[tokio::test]
async fn versions_are_numbered_in_their_group_and_complete_over_time() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    let first = client
        .create_model_package()
        .model_package_group_name("churn")
        .model_package_description("first try")
        .inference_specification(inference_specification())
        .customer_metadata_properties("team", "growth")
        .domain("MACHINE_LEARNING")
        .task("CLASSIFICATION")
        // 100 emulated seconds: Pending, then InProgress, are seen before Completed.
        .tags(tag("emulator:duration-seconds", "100"))
        .send()
        .await
        .unwrap();
    let first = first.model_package_arn().unwrap().to_string();
    assert_eq!(first, format!("{ARN_PREFIX}churn/1"));
    // By the group's ARN too.
    let second = version(
        &client,
        "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn",
    )
    .await;
    assert_eq!(second, format!("{ARN_PREFIX}churn/2"));

    let described = client
        .describe_model_package()
        .model_package_name(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(described.model_package_name(), Some("churn"));
    assert_eq!(described.model_package_group_name(), Some("churn"));
    assert_eq!(described.model_package_version(), Some(1));
    assert_eq!(described.model_package_arn(), Some(first.as_str()));
    assert_eq!(
        described.model_package_status(),
        Some(&ModelPackageStatus::Pending)
    );
    assert_eq!(
        described.model_approval_status(),
        Some(&ModelApprovalStatus::PendingManualApproval)
    );
    let details = described.model_package_status_details().unwrap();
    assert!(details.validation_statuses().is_empty());
    assert!(details.image_scan_statuses().is_empty());
    // Every member sent comes back.
    assert_eq!(described.model_package_description(), Some("first try"));
    assert_eq!(described.domain(), Some("MACHINE_LEARNING"));
    assert_eq!(described.task(), Some("CLASSIFICATION"));
    assert_eq!(
        described.inference_specification(),
        Some(&inference_specification())
    );
    assert_eq!(
        described
            .customer_metadata_properties()
            .and_then(|m| m.get("team"))
            .map(String::as_str),
        Some("growth")
    );
    assert!(described.creation_time().is_some() && described.last_modified_time().is_some());

    wait_package(&client, &first, ModelPackageStatus::InProgress).await;
    wait_package(&client, &first, ModelPackageStatus::Completed).await;
    // `group/version` names a version as its ARN does.
    wait_package(&client, "churn/2", ModelPackageStatus::Completed).await;
    let resources = emulator.control("GET", "resources", serde_json::Value::Null);
    assert_eq!(
        resources["regions"]["us-east-1"]["modelPackages"],
        serde_json::json!(["churn/1", "churn/2"])
    );
}

#[tokio::test]
async fn a_client_token_creates_one_package_until_it_is_deleted() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "fraud").await;
    let create = || {
        client
            .create_model_package()
            .model_package_group_name("fraud")
            .inference_specification(inference_specification())
            .client_token("fraud-object-uid-1")
            .send()
    };
    let first = create()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    let again = create()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    assert_eq!(again, first);
    wait_package(&client, &first, ModelPackageStatus::Completed).await;
    let after_completion = create()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    assert_eq!(after_completion, first);
    let listed = client
        .list_model_packages()
        .model_package_group_name("fraud")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.model_package_summary_list().len(), 1);

    // Once the package is deleted, the token creates anew.
    client
        .delete_model_package()
        .model_package_name(&first)
        .send()
        .await
        .unwrap();
    let fresh = create()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    assert_eq!(fresh, format!("{ARN_PREFIX}fraud/2"));
}

#[tokio::test]
async fn updates_change_approval_and_metadata_and_move_the_modification_time() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    let arn = client
        .create_model_package()
        .model_package_group_name("churn")
        .inference_specification(inference_specification())
        .customer_metadata_properties("team", "growth")
        .customer_metadata_properties("stage", "beta")
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    wait_package(&client, &arn, ModelPackageStatus::Completed).await;
    let before = client
        .describe_model_package()
        .model_package_name(&arn)
        .send()
        .await
        .unwrap()
        .last_modified_time()
        .copied()
        .unwrap();

    let described = eventually("the update moves LastModifiedTime", DEADLINE, || async {
        let updated = client
            .update_model_package()
            .model_package_arn(&arn)
            .model_approval_status(ModelApprovalStatus::Approved)
            .approval_description("passed the offline evaluation")
            .customer_metadata_properties("owner", "ml-platform")
            .customer_metadata_properties_to_remove("stage")
            .source_uri("s3://my-bucket/churn/source")
            .send()
            .await
            .unwrap();
        assert_eq!(updated.model_package_arn(), Some(arn.as_str()));
        let described = client
            .describe_model_package()
            .model_package_name(&arn)
            .send()
            .await
            .unwrap();
        (described.last_modified_time().unwrap().as_secs_f64() > before.as_secs_f64())
            .then_some(described)
    })
    .await;
    assert_eq!(
        described.model_approval_status(),
        Some(&ModelApprovalStatus::Approved)
    );
    assert_eq!(
        described.approval_description(),
        Some("passed the offline evaluation")
    );
    assert_eq!(described.source_uri(), Some("s3://my-bucket/churn/source"));
    let mut metadata: Vec<(&str, &str)> = described
        .customer_metadata_properties()
        .unwrap()
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    metadata.sort_unstable();
    assert_eq!(metadata, [("owner", "ml-platform"), ("team", "growth")]);
    assert_eq!(
        described.model_package_status(),
        Some(&ModelPackageStatus::Completed)
    );

    let (code, message) = error_of(
        client
            .update_model_package()
            .model_package_arn(format!("{ARN_PREFIX}churn/9"))
            .model_approval_status(ModelApprovalStatus::Approved)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        format!("ModelPackage {ARN_PREFIX}churn/9 does not exist.")
    );
}

#[tokio::test]
async fn deletion_passes_deleting_and_the_group_waits_for_its_versions() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    let arn = client
        .create_model_package()
        .model_package_group_name("churn")
        .inference_specification(inference_specification())
        // Deleting takes half of 100 emulated seconds: it is seen before the package goes.
        .tags(tag("emulator:duration-seconds", "100"))
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    wait_package(&client, &arn, ModelPackageStatus::Completed).await;

    let (code, message) = error_of(
        client
            .delete_model_package_group()
            .model_package_group_name("churn")
            .send()
            .await,
    );
    assert_eq!(code, "ConflictException");
    assert!(
        message.contains("still contains model packages"),
        "{message}"
    );

    client
        .delete_model_package()
        .model_package_name(&arn)
        .send()
        .await
        .unwrap();
    wait_package(&client, &arn, ModelPackageStatus::Deleting).await;
    let (code, _) = error_of(
        client
            .delete_model_package_group()
            .model_package_group_name("churn")
            .send()
            .await,
    );
    assert_eq!(code, "ConflictException", "a Deleting version still counts");
    let (code, message) = wait_gone(&client, &arn).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(message, format!("ModelPackage {arn} does not exist."));
    client
        .delete_model_package_group()
        .model_package_group_name("churn")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn list_filters_by_group_type_creation_time_and_approval() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    group(&client, "fraud").await;
    let churn_1 = version(&client, "churn").await;
    let churn_2 = version(&client, "churn").await;
    // Completion takes 20 ms, so what is created next is created in a later millisecond.
    wait_package(&client, &churn_2, ModelPackageStatus::Completed).await;
    let fraud_1 = version(&client, "fraud").await;
    client
        .create_model_package()
        .model_package_name("marketplace-churn")
        .inference_specification(inference_specification())
        .send()
        .await
        .unwrap();
    client
        .update_model_package()
        .model_package_arn(&churn_2)
        .model_approval_status(ModelApprovalStatus::Approved)
        .send()
        .await
        .unwrap();
    let arns =
        |list: &aws_sdk_sagemaker::operation::list_model_packages::ListModelPackagesOutput| {
            list.model_package_summary_list()
                .iter()
                .map(|p| p.model_package_arn().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };

    // Documented default: unversioned packages only.
    let plain = client.list_model_packages().send().await.unwrap();
    assert_eq!(arns(&plain), [format!("{ARN_PREFIX}marketplace-churn")]);
    assert_eq!(
        plain.model_package_summary_list()[0].model_package_name(),
        Some("marketplace-churn")
    );
    // A group's versions, oldest first unless told otherwise.
    let churn = client
        .list_model_packages()
        .model_package_group_name("churn")
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&churn), [churn_1.as_str(), churn_2.as_str()]);
    let summary = &churn.model_package_summary_list()[0];
    assert_eq!(summary.model_package_group_name(), Some("churn"));
    assert_eq!(summary.model_package_version(), Some(1));
    assert_eq!(
        summary.model_package_name(),
        None,
        "versions list without a name"
    );
    assert_eq!(
        summary.model_approval_status(),
        Some(&ModelApprovalStatus::PendingManualApproval)
    );
    let newest_first = client
        .list_model_packages()
        .model_package_group_name("churn")
        .sort_order(SortOrder::Descending)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&newest_first), [churn_2.as_str()]);
    assert!(newest_first.next_token().is_some());

    let approved = client
        .list_model_packages()
        .model_package_type(ModelPackageType::Versioned)
        .model_approval_status(ModelApprovalStatus::Approved)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&approved), [churn_2.as_str()]);
    let everything = client
        .list_model_packages()
        .model_package_type(ModelPackageType::Both)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&everything).len(), 4);
    let churn_2_created = client
        .describe_model_package()
        .model_package_name(&churn_2)
        .send()
        .await
        .unwrap()
        .creation_time()
        .copied()
        .unwrap();
    let later = client
        .list_model_packages()
        .model_package_type(ModelPackageType::Versioned)
        .creation_time_after(churn_2_created)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&later), [fraud_1.as_str()]);
    let future = client
        .list_model_packages()
        .model_package_type(ModelPackageType::Both)
        .creation_time_after(DateTime::from_secs(4_000_000_000))
        .send()
        .await
        .unwrap();
    assert!(future.model_package_summary_list().is_empty());
}

/// The message of a call refused with a ValidationException.
fn refused<E, R>(
    result: Result<
        R,
        aws_sdk_sagemaker::error::SdkError<E, aws_sdk_sagemaker::config::http::HttpResponse>,
    >,
) -> String
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let (code, message) = error_of(result);
    assert_eq!(code, "ValidationException", "{message}");
    message
}

#[tokio::test]
async fn refusals_are_in_sagemakers_words() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    let both = client
        .create_model_package()
        .model_package_name("p")
        .model_package_group_name("churn")
        .send()
        .await;
    assert_eq!(
        refused(both),
        "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use."
    );
    let neither = client.create_model_package().send().await;
    assert_eq!(refused(neither), "Missing ARN.");
    let no_group = client
        .create_model_package()
        .model_package_group_name("nowhere")
        .send()
        .await;
    assert_eq!(
        refused(no_group),
        "ModelPackageGroup arn:aws:sagemaker:us-east-1:123456789012:model-package-group/nowhere does not exist."
    );
    let tagged_version = client
        .create_model_package()
        .model_package_group_name("churn")
        .tags(tag("team", "growth"))
        .send()
        .await;
    assert_eq!(
        refused(tagged_version),
        "Tags are not supported in Model Package versions. Please add them to the Model Package Group"
    );
    client
        .create_model_package()
        .model_package_name("marketplace")
        .send()
        .await
        .unwrap();
    let taken = client
        .create_model_package()
        .model_package_name("marketplace")
        .send()
        .await;
    assert_eq!(
        refused(taken),
        format!("Model Package already exists: {ARN_PREFIX}marketplace")
    );
    let missing = client
        .describe_model_package()
        .model_package_name("absent")
        .send()
        .await;
    assert_eq!(
        refused(missing),
        format!("ModelPackage {ARN_PREFIX}absent does not exist.")
    );
    let missing_version = client
        .delete_model_package()
        .model_package_name(format!("{ARN_PREFIX}churn/7"))
        .send()
        .await;
    assert_eq!(
        refused(missing_version),
        format!("ModelPackage {ARN_PREFIX}churn/7 does not exist.")
    );
}

#[tokio::test]
async fn the_outcome_tag_fails_a_package_and_tags_work_on_package_arns() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    group(&client, "churn").await;
    let failed = client
        .create_model_package()
        .model_package_group_name("churn")
        .inference_specification(inference_specification())
        .tags(tag("emulator:outcome", "Failed"))
        .tags(tag(
            "emulator:failure-reason",
            "The image could not be pulled.",
        ))
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    wait_package(&client, &failed, ModelPackageStatus::Failed).await;
    let described = client
        .describe_model_package()
        .model_package_name(&failed)
        .send()
        .await
        .unwrap();
    let statuses = described
        .model_package_status_details()
        .unwrap()
        .validation_statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        statuses[0].failure_reason(),
        Some("The image could not be pulled.")
    );
    // A failed package can be deleted.
    client
        .delete_model_package()
        .model_package_name(&failed)
        .send()
        .await
        .unwrap();

    // An unversioned package keeps the tags it was created with; tagging calls reach any package.
    let arn = client
        .create_model_package()
        .model_package_name("marketplace")
        .inference_specification(inference_specification())
        .tags(tag("sagemaker.k8s.aws/owner", "uid-1"))
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string();
    client
        .add_tags()
        .resource_arn(&arn)
        .tags(tag("team", "growth"))
        .send()
        .await
        .unwrap();
    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    let keys: Vec<_> = tags.tags().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["sagemaker.k8s.aws/owner", "team"]);
    let registered = version(&client, "churn").await;
    client
        .add_tags()
        .resource_arn(&registered)
        .tags(tag("team", "growth"))
        .send()
        .await
        .unwrap();
    client
        .delete_tags()
        .resource_arn(&registered)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags()
        .resource_arn(&registered)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
}
