//! Throttling storms and crashes must neither leak nor duplicate SageMaker jobs.

use std::collections::HashSet;
use std::time::Duration;

use kube::api::{DeleteParams, ListParams};
use sagemaker_k8s_testenv::wait_until;

use crate::harness::{Harness, emulator_control, spawn_operator, status_of, training_job_manifest};

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
