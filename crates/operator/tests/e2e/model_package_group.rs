//! ModelPackageGroup (a kind generated from SageMaker's API model, the model registry's groups)
//! against the emulator: created and followed from Pending to Completed although SageMaker's
//! List of groups cannot say what changed, deleted without leftovers, someone else's group
//! refused and one created with our tag before the record followed, bad input and edits refused
//! at admission naming the field.

use kube::Api;
use kube::api::DeleteParams;
use sagemaker_k8s_api::ModelPackageGroup;
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::wait_for;
use crate::harness::Harness;

fn group_manifest(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: ModelPackageGroup
metadata:
  name: {name}
spec:
  region: us-west-2
  {spec}
"
    )
}

fn group_state(group: &ModelPackageGroup) -> Option<&str> {
    group.status.as_ref().and_then(|s| s.status.as_deref())
}

fn groups(harness: &Harness) -> Api<ModelPackageGroup> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

#[tokio::test]
async fn model_package_group_is_created_followed_to_completed_and_deleted() {
    let harness = Harness::start("mpg").await;
    // 30 emulated seconds Pending: the operator must look again by itself, since the List of
    // groups has no modification time for the status poller to read.
    harness
        .apply(&group_manifest(
            "churn",
            "modelPackageGroupDescription: churn models
  tags:
    - key: team
      value: ml
    - key: emulator:duration-seconds
      value: \"30\"",
        ))
        .await;
    let api = groups(&harness);
    let created = wait_for(&api, "churn", "Completed", |g| {
        group_state(g) == Some("Completed")
    })
    .await;
    let status = created.status.clone().unwrap();
    let sagemaker_name = status.sage_maker_name.clone().expect("the SageMaker name");
    assert_eq!(
        created.spec.model_package_group_name.as_deref(),
        Some(sagemaker_name.as_str()),
        "the derived name is written into the spec"
    );
    let arn = status.model_package_group_arn.clone().expect("the ARN");
    assert!(arn.ends_with(&format!("model-package-group/{sagemaker_name}")));
    assert!(status.creation_time.is_some());
    let described = harness
        .sagemaker
        .describe_model_package_group()
        .model_package_group_name(&sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.model_package_group_description(),
        Some("churn models"),
        "the description reaches SageMaker"
    );
    let tags = harness
        .sagemaker
        .list_tags()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("team") && t.value() == Some("ml"))
    );
    assert!(tags.tags().iter().any(|t| {
        t.key() == Some(sagemaker_k8s_aws::OWNER_UID_TAG)
            && t.value() == created.metadata.uid.as_deref()
    }));
    // One group, however many requests a loaded machine's SDK retries made of the create.
    let groups = harness
        .sagemaker
        .list_model_package_groups()
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.model_package_group_summary_list().len(),
        1,
        "{groups:?}"
    );
    // The columns, under the short name.
    let listed = harness
        .cluster
        .kubectl(&["get", "mpg", "-n", &harness.namespace])
        .await
        .expect_success();
    let row = listed.stdout.lines().find(|line| line.starts_with("churn"));
    assert!(
        row.is_some_and(|row| row.contains("Completed") && row.contains(&sagemaker_name)),
        "{}",
        listed.stdout
    );

    api.delete("churn", &DeleteParams::default()).await.unwrap();
    wait_until(std::time::Duration::from_secs(90), "churn deleted", || {
        let api = api.clone();
        async move { api.get_opt("churn").await.unwrap().is_none().then_some(()) }
    })
    .await;
    let left = harness
        .sagemaker
        .describe_model_package_group()
        .model_package_group_name(&sagemaker_name)
        .send()
        .await;
    assert!(left.is_err(), "the group is gone from SageMaker: {left:?}");
    assert_eq!(harness.sagemaker_calls("DeleteModelPackageGroup").await, 1);
}

#[tokio::test]
async fn someone_elses_group_is_refused_and_one_with_our_tag_is_taken_over() {
    let mut harness = Harness::start("mpg-owner").await;
    harness
        .sagemaker
        .create_model_package_group()
        .model_package_group_name("theirs")
        .send()
        .await
        .unwrap();
    harness
        .apply(&group_manifest("theirs", "modelPackageGroupName: theirs"))
        .await;
    let api = groups(&harness);
    wait_for(&api, "theirs", "reported as someone else's", |g| {
        group_state(g) == Some("Failed")
    })
    .await;

    // The window between a create and its record: the group exists with this object's
    // ownership tag, the status knows nothing. The operator follows it instead of creating one.
    harness.operator.terminate().await;
    harness
        .apply(&group_manifest("ours", "modelPackageGroupName: ours"))
        .await;
    let uid = api.get("ours").await.unwrap().metadata.uid.unwrap();
    let arn = harness
        .sagemaker
        .create_model_package_group()
        .model_package_group_name("ours")
        .tags(
            aws_sdk_sagemaker::types::Tag::builder()
                .key(sagemaker_k8s_aws::OWNER_UID_TAG)
                .value(&uid)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .model_package_group_arn
        .unwrap();
    harness.operator =
        crate::harness::spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let ours = wait_for(&api, "ours", "Completed", |g| {
        group_state(g) == Some("Completed")
    })
    .await;
    let status = ours.status.unwrap();
    assert_eq!(status.sage_maker_name.as_deref(), Some("ours"));
    assert_eq!(
        status.model_package_group_arn,
        Some(arn),
        "the tagged group is followed"
    );
    let theirs = api.get("theirs").await.unwrap();
    assert_eq!(
        group_state(&theirs),
        Some("Failed"),
        "someone else's group stays someone else's"
    );
}

#[tokio::test]
async fn bad_group_specs_and_edits_are_refused_at_admission_naming_the_field() {
    let harness = Harness::start("mpg-admission").await;
    for (spec, field) in [
        (
            "modelPackageGroupName: not_a_name",
            "spec.modelPackageGroupName",
        ),
        (
            "managedConfiguration: {managedStorageType: Floppy}",
            "spec.managedConfiguration.managedStorageType",
        ),
    ] {
        harness
            .assert_refused(&group_manifest("refused", spec), field)
            .await;
    }
    // Nothing of a group can change in SageMaker: an edit is refused, not silently ignored.
    harness
        .apply(&group_manifest(
            "fixed",
            "modelPackageGroupDescription: first",
        ))
        .await;
    harness
        .assert_refused(
            &group_manifest("fixed", "modelPackageGroupDescription: second"),
            "spec.modelPackageGroupDescription",
        )
        .await;
}
