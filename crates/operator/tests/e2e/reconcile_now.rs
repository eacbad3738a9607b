//! "Look again now" (`sagemaker.aws.amazon.com/reconcile-requested-at`): changing the annotation
//! makes the operator describe the resource at once, though nothing else changed and the status
//! poller has nothing to report, and the status echoes the value so a script can wait for it.
//! One kind of each way objects are woken: a job and a generated kind (woken by generation,
//! followed by the poller), Model and EndpointConfig (woken by every change).

use std::time::Duration;

use kube::Api;
use sagemaker_k8s_api::{Endpoint, RECONCILE_REQUESTED_AT_ANNOTATION};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{configs_created, endpoint_manifest, endpoint_status, wait_for};
use crate::harness::{Harness, status_of, training_job_manifest};

/// Sets the annotation on `resource` (`kind/name`) to `value` and waits until the status echoes
/// it; the kind's Describe must have been sent meanwhile.
async fn request_reconcile(harness: &Harness, resource: &str, describe: &str, value: &str) {
    let before = harness.sagemaker_calls(describe).await;
    let annotation = format!("{RECONCILE_REQUESTED_AT_ANNOTATION}={value}");
    harness
        .cluster
        .kubectl(&[
            "annotate",
            "-n",
            &harness.namespace,
            resource,
            &annotation,
            "--overwrite",
        ])
        .await
        .expect_success();
    wait_until(
        Duration::from_secs(60),
        &format!("{resource}: status.reconcileRequestedAt = {value}"),
        || async {
            let echoed = harness
                .cluster
                .kubectl(&[
                    "get",
                    "-n",
                    &harness.namespace,
                    resource,
                    "-o",
                    "jsonpath={.status.reconcileRequestedAt}",
                ])
                .await
                .expect_success();
            (echoed.stdout.trim() == value).then_some(())
        },
    )
    .await;
    assert!(
        harness.sagemaker_calls(describe).await > before,
        "{resource}: {describe} sent for the request"
    );
}

#[tokio::test]
async fn a_reconcile_request_describes_the_resource_and_is_echoed_in_the_status() {
    let harness = Harness::start("reconcile-now").await;
    harness
        .apply(&training_job_manifest("trained", &[], ""))
        .await;
    harness
        .wait_for_training_job("trained", "Completed", |job| {
            status_of(job) == Some("Completed")
        })
        .await;
    configs_created(&harness).await;
    harness
        .apply(&endpoint_manifest(
            "serving",
            "endpointConfigName: config-a",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&endpoints, "serving", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;

    let table = [
        // Settled and finished: only the request wakes it.
        ("trainingjob/trained", "DescribeTrainingJob"),
        ("endpoint/serving", "DescribeEndpoint"),
        ("model/ep-model", "DescribeModel"),
        ("endpointconfig/config-a", "DescribeEndpointConfig"),
    ];
    for (resource, describe) in table {
        request_reconcile(&harness, resource, describe, "2026-12-08T00:00:00Z").await;
    }
    // Every new value is a new request.
    request_reconcile(
        &harness,
        "trainingjob/trained",
        "DescribeTrainingJob",
        "2026-12-08T00:05:00Z",
    )
    .await;
}
