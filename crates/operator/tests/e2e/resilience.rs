//! Throttling storms and crashes must neither leak nor duplicate SageMaker jobs.

use std::collections::HashSet;
use std::time::Duration;

use kube::api::{DeleteParams, ListParams};
use sagemaker_k8s_testenv::wait_until;

use crate::harness::{
    Harness, condition_is, emulator_control, spawn_operator, spawn_operator_with, status_of,
    training_job_manifest,
};

#[tokio::test]
async fn throttling_storm_neither_leaks_nor_duplicates() {
    let harness = Harness::start("tj-throttle").await;
    emulator_control(
        &harness.emulator,
        "POST",
        "/_emulator/faults",
        r#"{"operation": "*", "kind": "throttling", "probability": 0.6}"#,
    )
    .await;
    let manifests: String = (0..10)
        .map(|i| {
            format!(
                "---\n{}",
                training_job_manifest(
                    &format!("storm-{i}"),
                    &[("emulator:duration-seconds", "100000")],
                    ""
                )
            )
        })
        .collect();
    harness.apply(&manifests).await;
    let api = harness.training_jobs();
    wait_until(
        Duration::from_secs(120),
        "all 10 InProgress despite throttling",
        || {
            let api = api.clone();
            async move {
                let jobs = api.list(&ListParams::default()).await.ok()?;
                (jobs.items.len() == 10
                    && jobs
                        .items
                        .iter()
                        .all(|job| status_of(job) == Some("InProgress")))
                .then_some(())
            }
        },
    )
    .await;
    // Delete everything while still throttled: each job must be stopped before its object goes.
    api.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .unwrap();
    wait_until(Duration::from_secs(120), "all objects gone", || {
        let api = api.clone();
        async move {
            api.list(&ListParams::default())
                .await
                .ok()?
                .items
                .is_empty()
                .then_some(())
        }
    })
    .await;
    emulator_control(&harness.emulator, "DELETE", "/_emulator/faults", "").await;
    let names = harness.sagemaker_training_jobs("storm-").await;
    assert_eq!(
        names.len(),
        10,
        "exactly one SageMaker job per object: {names:?}"
    );
    for name in names {
        let described = harness
            .sagemaker
            .describe_training_job()
            .training_job_name(&name)
            .send()
            .await
            .unwrap();
        let status = described
            .training_job_status()
            .unwrap()
            .as_str()
            .to_string();
        assert!(
            status == "Stopped" || status == "Stopping",
            "{name} leaked: {status}"
        );
    }
}

#[tokio::test]
async fn sigkill_mid_flight_with_100_objects_creates_each_job_once() {
    let mut harness = Harness::start("tj-crash").await;
    let manifests: String = (0..100)
        .map(|i| {
            format!(
                "---\n{}",
                training_job_manifest(
                    &format!("crash-{i}"),
                    &[("emulator:duration-seconds", "100000")],
                    ""
                )
            )
        })
        .collect();
    harness.apply(&manifests).await;
    // Kill once creation is under way but not finished.
    wait_until(Duration::from_secs(120), "some jobs created", || {
        let harness = &harness;
        async move { (harness.sagemaker_training_jobs("crash-").await.len() >= 10).then_some(()) }
    })
    .await;
    harness.operator.kill_hard();
    let created_before_restart = harness.sagemaker_training_jobs("crash-").await.len();
    harness.operator = spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let api = harness.training_jobs();
    let jobs = wait_until(
        Duration::from_secs(180),
        "all 100 InProgress after restart",
        || {
            let api = api.clone();
            async move {
                let jobs = api.list(&ListParams::default()).await.ok()?;
                (jobs.items.len() == 100
                    && jobs
                        .items
                        .iter()
                        .all(|job| status_of(job) == Some("InProgress")))
                .then_some(jobs.items)
            }
        },
    )
    .await;
    let names = harness.sagemaker_training_jobs("crash-").await;
    eprintln!("{created_before_restart} of 100 jobs existed when the operator was killed");
    assert_eq!(names.len(), 100, "exactly one SageMaker job per object");
    let recorded: HashSet<String> = jobs
        .iter()
        .map(|job| {
            job.status
                .as_ref()
                .unwrap()
                .sage_maker_training_job_name
                .clone()
                .unwrap()
        })
        .collect();
    assert_eq!(recorded, names.into_iter().collect::<HashSet<_>>());
}

/// A panic while reconciling one object is that object's error: reported on it (the `Failed`
/// condition and a Warning Event), retried after backoff, counted; the kind's other objects go
/// on, including ones created after the panic.
#[tokio::test]
async fn a_panic_reconciling_one_object_stops_only_that_object() {
    let harness = Harness::start("tj-panic").await;
    drop(harness.operator);
    let target = format!("{}/broken", harness.namespace);
    let operator = spawn_operator_with(
        harness.cluster,
        &harness.emulator,
        &harness.namespace,
        &["--inject-panic-for", &target],
        &format!("operator-panic-{}", harness.namespace),
    );
    let harness = Harness {
        operator,
        ..harness
    };
    let completed = [("emulator:outcome", "Completed")];
    harness
        .apply(&training_job_manifest("broken", &completed, ""))
        .await;
    let broken = harness
        .wait_for_training_job("broken", "the Failed condition of a panic", |job| {
            condition_is(job, "Failed", "True")
        })
        .await;
    let failed = broken
        .status
        .as_ref()
        .and_then(|status| status.common.conditions.as_ref())
        .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Failed"))
        .cloned()
        .unwrap();
    assert_eq!(failed.reason, "ReconcilePanicked", "{failed:?}");
    assert!(
        failed.message.contains("injected by --inject-panic-for"),
        "{failed:?}"
    );

    // The kind goes on: an object created after the panic is created and completes.
    harness
        .apply(&training_job_manifest("healthy", &completed, ""))
        .await;
    harness
        .wait_for_training_job("healthy", "Completed beside the panicking object", |job| {
            status_of(job) == Some("Completed")
        })
        .await;
    assert!(
        harness.sagemaker_training_jobs("broken").await.is_empty(),
        "the panicking object created nothing"
    );

    let events: kube::Api<k8s_openapi::api::core::v1::Event> =
        kube::Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_until(Duration::from_secs(30), "a ReconcilePanicked Event", || {
        let events = events.clone();
        async move {
            let listed = events
                .list(&ListParams::default().fields("involvedObject.name=broken"))
                .await
                .ok()?;
            listed
                .items
                .iter()
                .any(|event| event.reason.as_deref() == Some("ReconcilePanicked"))
                .then_some(())
        }
    })
    .await;
    // Backed off, not a hot loop: the operator log shows a few retries, not hundreds.
    let log = harness.operator.log_contents();
    let panics = log
        .matches("reconcile panicked; retrying after backoff")
        .count();
    assert!((1..50).contains(&panics), "{panics} panics logged");
}
