//! Observe (`sagemaker.aws.amazon.com/observe: "true"`, docs/controls.md): an object follows the
//! existing resource its spec names and never creates, updates, stops or deletes it; a spec that
//! differs from the resource is shown in the status (SpecOutOfSync, naming the fields), not
//! applied.

use kube::Api;
use kube::api::DeleteParams;
use sagemaker_k8s_api::{Endpoint, OBSERVE_ANNOTATION};

use crate::endpoint::{configs_created, endpoint_manifest, endpoint_status, gone, wait_for};
use crate::harness::{Harness, status_of, training_job_manifest, true_condition};

#[tokio::test]
async fn an_observed_object_follows_its_resource_and_never_changes_it() {
    let harness = Harness::start("observe").await;
    configs_created(&harness).await;
    harness
        .apply(&endpoint_manifest(
            "serving",
            "endpointConfigName: config-a",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let serving = wait_for(&endpoints, "serving", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
    let endpoint_name = serving.status.unwrap().sage_maker_name.unwrap();

    // A second object observes the same endpoint, with a spec that says another config.
    let watcher = format!(
        "apiVersion: sagemaker.aws.amazon.com/v1
kind: Endpoint
metadata:
  name: watcher
  annotations:
    {OBSERVE_ANNOTATION}: \"true\"
spec:
  region: us-west-2
  endpointName: {endpoint_name}
  endpointConfigName: not-what-runs
  tags:
    - key: team
      value: other
"
    );
    harness.apply(&watcher).await;
    let watched = wait_for(&endpoints, "watcher", "InService and out of sync", |e| {
        endpoint_status(e).0 == Some("InService")
            && true_condition(
                e.status.as_ref().and_then(|s| s.common.conditions.as_ref()),
                "SpecOutOfSync",
            )
            .is_some()
    })
    .await;
    let (reason, message) = true_condition(
        watched.status.as_ref().unwrap().common.conditions.as_ref(),
        "SpecOutOfSync",
    )
    .unwrap();
    assert_eq!(reason, "SpecDiffersFromSageMaker");
    assert!(
        message.contains("in endpointConfigName; nothing is applied"),
        "{message}"
    );
    for call in ["CreateEndpoint", "UpdateEndpoint", "AddTags"] {
        let expected = u64::from(call == "CreateEndpoint");
        assert_eq!(
            harness.sagemaker_calls(call).await,
            expected,
            "an observed object sends no {call}"
        );
    }
    // No longer observing: what it saw is not its own, so it is a name clash (another object's
    // endpoint), never updated.
    harness
        .cluster
        .kubectl(&[
            "annotate",
            "-n",
            &harness.namespace,
            "endpoint/watcher",
            &format!("{OBSERVE_ANNOTATION}-"),
        ])
        .await
        .expect_success();
    let clash = wait_for(&endpoints, "watcher", "a name clash", |e| {
        true_condition(
            e.status.as_ref().and_then(|s| s.common.conditions.as_ref()),
            "Failed",
        )
        .is_some_and(|(reason, _)| reason == "NameOwnedByAnotherResource")
    })
    .await;
    assert!(clash.metadata.annotations.is_some());
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 0);
    assert_eq!(harness.sagemaker_calls("AddTags").await, 0);
    // Deleting it leaves the endpoint as it is.
    endpoints
        .delete("watcher", &DeleteParams::default())
        .await
        .unwrap();
    gone(&endpoints, "watcher").await;
    assert_eq!(harness.sagemaker_calls("DeleteEndpoint").await, 0);
    let described = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint_name)
        .send()
        .await
        .expect("the endpoint is still there");
    assert_eq!(described.endpoint_status().unwrap().as_str(), "InService");

    // A running job observed, then let go: not stopped.
    harness
        .apply(&training_job_manifest(
            "runner",
            &[("emulator:duration-seconds", "100000")],
            "",
        ))
        .await;
    let runner = harness
        .wait_for_training_job("runner", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    let job_name = runner.status.unwrap().sage_maker_training_job_name.unwrap();
    let observer =
        training_job_manifest("observer", &[], &format!("  trainingJobName: {job_name}")).replacen(
            "metadata:\n",
            &format!("metadata:\n  annotations:\n    {OBSERVE_ANNOTATION}: \"true\"\n"),
            1,
        );
    harness.apply(&observer).await;
    harness
        .wait_for_training_job("observer", "InProgress", |job| {
            status_of(job) == Some("InProgress")
        })
        .await;
    harness
        .training_jobs()
        .delete("observer", &DeleteParams::default())
        .await
        .unwrap();
    gone(&harness.training_jobs(), "observer").await;
    assert_eq!(
        harness.sagemaker_training_job_status(&job_name).await,
        "InProgress"
    );
    assert_eq!(harness.sagemaker_calls("CreateTrainingJob").await, 1);

    // Nothing to observe: said so, nothing created.
    let missing = training_job_manifest("missing", &[], "  trainingJobName: not-there").replacen(
        "metadata:\n",
        &format!("metadata:\n  annotations:\n    {OBSERVE_ANNOTATION}: \"true\"\n"),
        1,
    );
    harness.apply(&missing).await;
    let job = harness
        .wait_for_training_job("missing", "not found", |job| {
            true_condition(
                job.status
                    .as_ref()
                    .and_then(|s| s.common.conditions.as_ref()),
                "Failed",
            )
            .is_some()
        })
        .await;
    let (reason, _) = true_condition(
        job.status.as_ref().unwrap().common.conditions.as_ref(),
        "Failed",
    )
    .unwrap();
    assert_eq!(reason, "NotFoundInSageMaker");
    assert_eq!(harness.sagemaker_calls("CreateTrainingJob").await, 1);
}
