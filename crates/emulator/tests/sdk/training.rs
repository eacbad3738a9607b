use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{SecondaryStatus, SortBy, SortOrder, TrainingJobStatus};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{error_of, training_request};

async fn wait_terminal(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
) -> aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput {
    eventually("terminal training job", DEADLINE, || async {
        let job = client
            .describe_training_job()
            .training_job_name(name)
            .send()
            .await
            .expect("describe");
        matches!(
            job.training_job_status(),
            Some(
                TrainingJobStatus::Completed
                    | TrainingJobStatus::Failed
                    | TrainingJobStatus::Stopped
            )
        )
        .then_some(job)
    })
    .await
}

#[tokio::test]
async fn completed_lifecycle_passes_every_secondary_status() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    // 200 emulated seconds (2 s here): every phase lasts long enough to be observed on a busy machine.
    let arn = training_request(
        &client,
        "xgboost-mnist",
        &[("emulator:duration-seconds", "200")],
    )
    .send()
    .await
    .expect("create")
    .training_job_arn
    .expect("arn");
    assert_eq!(
        arn,
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/xgboost-mnist"
    );

    let mut seen = Vec::new();
    let mut modified = Vec::new();
    let started = std::time::Instant::now();
    let job = loop {
        let job = client
            .describe_training_job()
            .training_job_name("xgboost-mnist")
            .send()
            .await
            .expect("describe");
        let secondary = job.secondary_status().cloned().expect("secondary status");
        if seen.last() != Some(&secondary) {
            seen.push(secondary);
            modified.push(job.last_modified_time().copied().expect("last modified"));
        }
        if job.training_job_status() == Some(&TrainingJobStatus::Completed) {
            break job;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "training job did not complete"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(seen.first(), Some(&SecondaryStatus::Starting));
    assert_eq!(seen.last(), Some(&SecondaryStatus::Completed));
    assert!(
        modified.windows(2).all(|pair| pair[0] < pair[1]),
        "LastModifiedTime moves with every change: {modified:?}"
    );

    let transitions: Vec<_> = job
        .secondary_status_transitions()
        .iter()
        .map(|t| t.status().cloned().unwrap())
        .collect();
    assert_eq!(
        transitions,
        vec![
            SecondaryStatus::Starting,
            SecondaryStatus::Downloading,
            SecondaryStatus::Training,
            SecondaryStatus::Uploading,
            SecondaryStatus::Completed
        ]
    );
    for transition in job.secondary_status_transitions() {
        assert!(transition.end_time().is_some() && transition.status_message().is_some());
    }
    assert!(job.training_start_time().unwrap() > job.creation_time().unwrap());
    assert!(job.training_end_time().unwrap() >= job.training_start_time().unwrap());
    assert_eq!(
        job.model_artifacts().unwrap().s3_model_artifacts(),
        Some("s3://my-bucket/xgboost-mnist/output/xgboost-mnist/output/model.tar.gz")
    );
    let metrics = job.final_metric_data_list();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].metric_name(), Some("validation:error"));
    assert!(metrics[0].value().is_some());
    assert_eq!(
        job.billable_time_in_seconds(),
        Some(200),
        "emulated seconds, at any time scale"
    );
    assert_eq!(
        job.hyper_parameters()
            .unwrap()
            .get("max_depth")
            .map(String::as_str),
        Some("5")
    );
    assert_eq!(job.resource_config().unwrap().instance_count(), Some(2));
    assert!(job.failure_reason().is_none());
}

#[tokio::test]
async fn failed_outcome_reports_the_failure_reason_from_the_tag() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(
        &client,
        "fails",
        &[
            ("emulator:outcome", "Failed"),
            ("emulator:failure-reason", "AlgorithmError: boom"),
        ],
    )
    .send()
    .await
    .expect("create");
    let job = wait_terminal(&client, "fails").await;
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::Failed));
    assert_eq!(job.secondary_status(), Some(&SecondaryStatus::Failed));
    assert_eq!(job.failure_reason(), Some("AlgorithmError: boom"));
    assert!(
        job.final_metric_data_list().is_empty(),
        "a failed job reports no final metrics"
    );
}

#[tokio::test]
async fn default_outcome_flag_applies_to_untagged_jobs() {
    let emulator = Emulator::start_with(&["--default-outcome", "failed"]);
    let client = emulator.sagemaker().await;
    training_request(&client, "untagged", &[])
        .send()
        .await
        .expect("create");
    let job = wait_terminal(&client, "untagged").await;
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::Failed));
    assert!(
        job.failure_reason()
            .is_some_and(|reason| !reason.is_empty())
    );
}

#[tokio::test]
async fn max_runtime_exceeded_by_tag_and_by_duration() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(
        &client,
        "tagged-limit",
        &[("emulator:outcome", "MaxRuntimeExceeded")],
    )
    .send()
    .await
    .expect("create");
    // 120 emulated seconds of work against a 30 s limit: the limit cuts it off at 30 s.
    training_request(
        &client,
        "natural-limit",
        &[("emulator:duration-seconds", "120")],
    )
    .stopping_condition(
        aws_sdk_sagemaker::types::StoppingCondition::builder()
            .max_runtime_in_seconds(30)
            .build(),
    )
    .send()
    .await
    .expect("create");
    for name in ["tagged-limit", "natural-limit"] {
        let job = wait_terminal(&client, name).await;
        assert_eq!(
            job.training_job_status(),
            Some(&TrainingJobStatus::Stopped),
            "{name}"
        );
        assert_eq!(
            job.secondary_status(),
            Some(&SecondaryStatus::MaxRuntimeExceeded),
            "{name}"
        );
    }
    let natural = client
        .describe_training_job()
        .training_job_name("natural-limit")
        .send()
        .await
        .unwrap();
    assert_eq!(natural.billable_time_in_seconds(), Some(30));
}

#[tokio::test]
async fn stop_goes_through_stopping_to_stopped() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(&client, "to-stop", &[("emulator:duration-seconds", "600")])
        .send()
        .await
        .expect("create");
    client
        .stop_training_job()
        .training_job_name("to-stop")
        .send()
        .await
        .expect("stop");
    let job = client
        .describe_training_job()
        .training_job_name("to-stop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        job.training_job_status(),
        Some(&TrainingJobStatus::Stopping)
    );
    assert_eq!(job.secondary_status(), Some(&SecondaryStatus::Stopping));
    let (code, _) = error_of(
        client
            .stop_training_job()
            .training_job_name("to-stop")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException", "stopping twice");
    let job = wait_terminal(&client, "to-stop").await;
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::Stopped));
    assert_eq!(job.secondary_status(), Some(&SecondaryStatus::Stopped));
    let (code, message) = error_of(
        client
            .stop_training_job()
            .training_job_name("to-stop")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Stopped"), "{message}");
}

#[tokio::test]
async fn errors_use_the_real_codes_and_messages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(&client, "dup", &[])
        .send()
        .await
        .expect("create");
    let (code, message) = error_of(training_request(&client, "dup", &[]).send().await);
    assert_eq!(code, "ResourceInUse");
    assert!(message.contains("training-job/dup"), "{message}");

    let (code, message) = error_of(
        client
            .describe_training_job()
            .training_job_name("missing")
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ValidationException", "Requested resource not found.")
    );
    let (code, _) = error_of(
        client
            .stop_training_job()
            .training_job_name("missing")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");

    let (code, message) = error_of(training_request(&client, "bad_name", &[]).send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
    );
    let long = "a".repeat(64);
    let (_, message) = error_of(training_request(&client, &long, &[]).send().await);
    assert!(
        message.starts_with("2 validation errors detected: "),
        "{message}"
    );
    assert!(message.contains("Member must have length less than or equal to 63"));

    let (_, message) = error_of(
        training_request(&client, "bad-role", &[])
            .role_arn("not-an-arn")
            .send()
            .await,
    );
    assert!(message.contains("at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{message}");
    let (_, message) = error_of(
        training_request(&client, "bad-count", &[])
            .resource_config(
                aws_sdk_sagemaker::types::ResourceConfig::builder()
                    .instance_type("ml.m4.xlarge".into())
                    .instance_count(-1)
                    .volume_size_in_gb(5)
                    .build(),
            )
            .send()
            .await,
    );
    assert!(message.contains("Value '-1' at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 0"), "{message}");
    let (_, message) = error_of(
        training_request(&client, "bad-mode", &[])
            .algorithm_specification(
                aws_sdk_sagemaker::types::AlgorithmSpecification::builder()
                    .training_image("img")
                    .training_input_mode("Streaming".into())
                    .build(),
            )
            .send()
            .await,
    );
    assert!(
        message.contains("Member must satisfy enum value set: [Pipe, File, FastFile]"),
        "{message}"
    );
    let (code, message) = error_of(
        training_request(&client, "bad-tag", &[("emulator:outcome", "Exploded")])
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("emulator:outcome"), "{message}");
}

#[tokio::test]
async fn list_filters_sort_and_pages_after_filtering() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let before = DateTime::from_secs(0);
    for name in ["alpha-1", "beta-1", "alpha-2", "beta-2", "alpha-3"] {
        let duration = if name == "alpha-3" { "6000" } else { "1" };
        training_request(&client, name, &[("emulator:duration-seconds", duration)])
            .send()
            .await
            .expect("create");
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    eventually("short jobs complete", DEADLINE, || async {
        let done = client
            .list_training_jobs()
            .status_equals(TrainingJobStatus::Completed)
            .max_results(100)
            .send()
            .await
            .unwrap();
        (done.training_job_summaries().len() == 4).then_some(())
    })
    .await;

    // Filters are applied before the page is cut: 3 alpha jobs in pages of 2.
    let first = client
        .list_training_jobs()
        .name_contains("alpha")
        .max_results(2)
        .sort_by(SortBy::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = first
        .training_job_summaries()
        .iter()
        .map(|s| s.training_job_name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["alpha-1", "alpha-2"]);
    let token = first.next_token().expect("a second page");
    let second = client
        .list_training_jobs()
        .name_contains("alpha")
        .max_results(2)
        .sort_by(SortBy::Name)
        .sort_order(SortOrder::Ascending)
        .next_token(token)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = second
        .training_job_summaries()
        .iter()
        .map(|s| s.training_job_name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["alpha-3"]);
    assert!(second.next_token().is_none());

    // The paginator walks every page.
    let all: Vec<String> = client
        .list_training_jobs()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.training_job_name().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 5);
    assert_eq!(
        all.first().map(String::as_str),
        Some("alpha-3"),
        "default order: newest first"
    );

    let in_progress = client
        .list_training_jobs()
        .status_equals(TrainingJobStatus::InProgress)
        .send()
        .await
        .unwrap();
    let summary = &in_progress.training_job_summaries()[0];
    assert_eq!(summary.training_job_name(), Some("alpha-3"));
    assert!(summary.secondary_status().is_some() && summary.last_modified_time().is_some());
    assert!(summary.training_end_time().is_none());

    let by_status = client
        .list_training_jobs()
        .sort_by(SortBy::Status)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    let statuses: Vec<_> = by_status
        .training_job_summaries()
        .iter()
        .map(|s| s.training_job_status().unwrap().as_str().to_string())
        .collect();
    assert_eq!(
        statuses,
        [
            "Completed",
            "Completed",
            "Completed",
            "Completed",
            "InProgress"
        ]
    );

    // Creation-time window: only jobs created after the third one.
    let third = client
        .describe_training_job()
        .training_job_name("alpha-2")
        .send()
        .await
        .unwrap();
    let after = client
        .list_training_jobs()
        .creation_time_after(*third.creation_time().unwrap())
        .send()
        .await
        .unwrap();
    let names: BTreeSet<_> = after
        .training_job_summaries()
        .iter()
        .map(|s| s.training_job_name().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["beta-2".to_string(), "alpha-3".to_string()])
    );
    let none = client
        .list_training_jobs()
        .creation_time_before(before)
        .send()
        .await
        .unwrap();
    assert!(none.training_job_summaries().is_empty());
    let modified_late = client
        .list_training_jobs()
        .last_modified_time_after(*third.last_modified_time().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        modified_late
            .training_job_summaries()
            .iter()
            .all(|s| s.last_modified_time().unwrap() > third.last_modified_time().unwrap())
    );

    let (code, message) = error_of(client.list_training_jobs().max_results(101).send().await);
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("Member must have value less than or equal to 100"),
        "{message}"
    );
}
