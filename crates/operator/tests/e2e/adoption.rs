//! Adoption (`sagemaker.aws.amazon.com/adoption-policy`, docs/controls.md): an object takes over
//! the untagged resource of its name (tagged, followed, deleted with it), never another
//! object's; `adopt` creates nothing when there is nothing to adopt, `adopt-or-create` creates
//! it; a value that is no policy, or a kind that cannot adopt, is refused in the status.

use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, OutputDataConfig, ResourceConfig, StoppingCondition, Tag,
    TrainingInputMode, TrainingInstanceType,
};
use kube::Api;
use kube::api::DeleteParams;
use sagemaker_k8s_api::{ADOPTION_POLICY_ANNOTATION, Endpoint, HostingDeployment, TrainingJob};

use crate::endpoint::{configs_created, endpoint_status, gone, wait_for};
use crate::harness::{Harness, status_of, training_job_manifest, true_condition};

const OWNER_TAG: &str = "sagemaker.aws.amazon.com/owner-uid";

/// Creates a running training job outside the operator, with `tags`.
async fn create_job_outside(harness: &Harness, name: &str, tags: &[(&str, &str)]) -> String {
    let mut request = harness
        .sagemaker
        .create_training_job()
        .training_job_name(name)
        .role_arn("arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole")
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://my-bucket/xgboost/")
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_type(TrainingInstanceType::MlM4Xlarge)
                .instance_count(1)
                .volume_size_in_gb(5)
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(86400)
                .build(),
        )
        .tags(
            Tag::builder()
                .key("emulator:duration-seconds")
                .value("100000")
                .build(),
        );
    for (key, value) in tags {
        request = request.tags(Tag::builder().key(*key).value(*value).build());
    }
    request
        .send()
        .await
        .expect("a job created outside the operator")
        .training_job_arn()
        .unwrap()
        .to_string()
}

/// A TrainingJob manifest naming `sagemaker_name`, with the adoption policy `policy`.
fn adopting_job(name: &str, sagemaker_name: &str, policy: &str) -> String {
    training_job_manifest(
        name,
        &[("emulator:duration-seconds", "100000")],
        &format!("  trainingJobName: {sagemaker_name}"),
    )
    .replacen(
        "metadata:\n",
        &format!("metadata:\n  annotations:\n    {ADOPTION_POLICY_ANNOTATION}: \"{policy}\"\n"),
        1,
    )
}

fn job_failure(job: &TrainingJob) -> Option<(String, String)> {
    true_condition(job.status.as_ref()?.common.conditions.as_ref(), "Failed")
}

#[tokio::test]
async fn an_object_adopts_the_untagged_resource_of_its_name_and_owns_it_from_then_on() {
    let harness = Harness::start("adopt").await;
    let arn = create_job_outside(&harness, "existing-job", &[("team", "ml")]).await;
    harness
        .apply(&adopting_job("adopted", "existing-job", "adopt"))
        .await;
    let job = harness
        .wait_for_training_job("adopted", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    assert_eq!(
        job.status.unwrap().sage_maker_training_job_name.as_deref(),
        Some("existing-job")
    );
    assert_eq!(
        harness.sagemaker_calls("CreateTrainingJob").await,
        1,
        "adopted, not created"
    );
    let tags = harness
        .sagemaker
        .list_tags()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().filter_map(|t| t.key()).collect();
    assert!(
        keys.contains(&OWNER_TAG),
        "tagged as this object's: {keys:?}"
    );
    assert!(keys.contains(&"team"), "its tags kept: {keys:?}");

    // Another object's resource is never adopted.
    create_job_outside(&harness, "someone-elses", &[(OWNER_TAG, "another-uid")]).await;
    harness
        .apply(&adopting_job(
            "grabbing",
            "someone-elses",
            "adopt-or-create",
        ))
        .await;
    let job = harness
        .wait_for_training_job("grabbing", "refused", |job| job_failure(job).is_some())
        .await;
    assert_eq!(job_failure(&job).unwrap().0, "NameOwnedByAnotherResource");

    // adopt creates nothing; adopt-or-create creates what is missing.
    harness
        .apply(&adopting_job("nothing", "not-there", "adopt"))
        .await;
    let job = harness
        .wait_for_training_job("nothing", "nothing to adopt", |job| {
            job_failure(job).is_some()
        })
        .await;
    let (reason, message) = job_failure(&job).unwrap();
    assert_eq!(reason, "NotFoundInSageMaker");
    assert!(message.contains("adopt-or-create creates it"), "{message}");
    harness
        .apply(&adopting_job("made", "made-now", "adopt-or-create"))
        .await;
    harness
        .wait_for_training_job("made", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    assert_eq!(harness.sagemaker_calls("CreateTrainingJob").await, 3);

    // From now on the adopted job is the object's: deleting the object stops it.
    harness
        .training_jobs()
        .delete("adopted", &DeleteParams::default())
        .await
        .unwrap();
    gone(&harness.training_jobs(), "adopted").await;
    assert_eq!(
        harness.sagemaker_training_job_status("existing-job").await,
        "Stopped"
    );
}

#[tokio::test]
async fn an_adoption_policy_that_cannot_be_followed_is_refused_in_the_status() {
    let harness = Harness::start("adopt-refused").await;
    harness
        .apply(&adopting_job("typo", "typo-job", "take"))
        .await;
    let job = harness
        .wait_for_training_job("typo", "refused", |job| job_failure(job).is_some())
        .await;
    let (reason, message) = job_failure(&job).unwrap();
    assert_eq!(reason, "InvalidAnnotation");
    assert!(
        message.contains(r#"is "take"; allowed: "adopt", "adopt-or-create""#),
        "{message}"
    );
    assert_eq!(harness.sagemaker_calls("CreateTrainingJob").await, 0);

    // A composite kind adopts nothing: said so, and nothing is created.
    let sample = include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml").replacen(
        "metadata:\n",
        &format!("metadata:\n  annotations:\n    {ADOPTION_POLICY_ANNOTATION}: adopt\n"),
        1,
    );
    harness.apply(&sample).await;
    let deployments: Api<HostingDeployment> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let deployment = wait_for(&deployments, "host-xgboost", "refused", |d| {
        true_condition(
            d.status.as_ref().and_then(|s| s.common.conditions.as_ref()),
            "Failed",
        )
        .is_some()
    })
    .await;
    let (reason, message) = true_condition(
        deployment.status.unwrap().common.conditions.as_ref(),
        "Failed",
    )
    .unwrap();
    assert_eq!(reason, "InvalidAnnotation");
    assert!(
        message.contains("not supported for HostingDeployment"),
        "{message}"
    );
    assert_eq!(harness.sagemaker_calls("CreateEndpoint").await, 0);
}

#[tokio::test]
async fn adopt_or_create_creates_a_missing_endpoint() {
    let harness = Harness::start("adopt-create").await;
    configs_created(&harness).await;
    let manifest = format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: Endpoint
metadata:
  name: serving
  annotations:
    {ADOPTION_POLICY_ANNOTATION}: adopt-or-create
spec:
  region: us-west-2
  endpointName: serving-fixed
  endpointConfigName: config-a
"
    );
    harness.apply(&manifest).await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let endpoint = wait_for(&endpoints, "serving", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
    assert_eq!(
        endpoint.status.unwrap().sage_maker_name.as_deref(),
        Some("serving-fixed")
    );
    assert_eq!(harness.sagemaker_calls("CreateEndpoint").await, 1);
}
