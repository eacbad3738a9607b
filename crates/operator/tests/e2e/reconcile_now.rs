//! "Look again now" (`sagemaker.aws.amazon.com/reconcile-requested-at`): changing the annotation
//! makes the operator describe the resource at once, though nothing else changed and the status
//! poller has nothing to report, and the status echoes the value so a script can wait for it.
//! One kind of each way objects are woken and read: a job and a generated kind (woken by
//! generation, followed by the poller), Model and EndpointConfig (woken by every change), and the
//! composites (a HostingDeployment describes its endpoint; an autoscaling policy is applied
//! again).

use std::time::Duration;

use kube::Api;
use sagemaker_k8s_api::{
    Endpoint, HostingAutoscalingPolicy, HostingDeployment, RECONCILE_REQUESTED_AT_ANNOTATION,
};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{configs_created, endpoint_manifest, endpoint_status, wait_for};
use crate::harness::{Harness, status_of, training_job_manifest};

const HOSTING_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml");
const AUTOSCALING_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingautoscalingpolicy.yaml");

/// Sets the annotation on `resource` (`kind/name`) to `value` and waits until the status echoes
/// it; the call `read` (the emulator's wire name) must have been sent meanwhile.
async fn request_reconcile(harness: &Harness, resource: &str, read: &str, value: &str) {
    let before = harness.emulator_calls(read).await;
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
        harness.emulator_calls(read).await > before,
        "{resource}: {read} sent for the request"
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

    // The composite kinds: a deployment and its autoscaling policy, settled.
    harness.apply(HOSTING_SAMPLE).await;
    let deployments: Api<HostingDeployment> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&deployments, "host-xgboost", "InService", |d| {
        d.status.as_ref().and_then(|s| s.endpoint_status.as_deref()) == Some("InService")
    })
    .await;
    harness.apply(AUTOSCALING_SAMPLE).await;
    let policies: Api<HostingAutoscalingPolicy> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_for(&policies, "xgboost-autoscaling", "Created", |p| {
        p.status
            .as_ref()
            .and_then(|s| s.hosting_autoscaling_policy_status.as_deref())
            == Some("Created")
    })
    .await;

    let table = [
        // Settled and finished: only the request wakes it.
        ("trainingjob/trained", "SageMaker.DescribeTrainingJob"),
        ("endpoint/serving", "SageMaker.DescribeEndpoint"),
        ("model/ep-model", "SageMaker.DescribeModel"),
        (
            "endpointconfig/config-a",
            "SageMaker.DescribeEndpointConfig",
        ),
        (
            "hostingdeployment/host-xgboost",
            "SageMaker.DescribeEndpoint",
        ),
        (
            "hostingautoscalingpolicy/xgboost-autoscaling",
            "AnyScaleFrontendService.PutScalingPolicy",
        ),
    ];
    for (resource, read) in table {
        request_reconcile(&harness, resource, read, "2026-12-08T00:00:00Z").await;
    }
    // Every new value is a new request.
    request_reconcile(
        &harness,
        "trainingjob/trained",
        "SageMaker.DescribeTrainingJob",
        "2026-12-08T00:05:00Z",
    )
    .await;
}
