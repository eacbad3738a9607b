use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use serde_json::json;

use crate::error_of;
use crate::harness::{Emulator, TEST_KEY, TEST_SECRET};

#[tokio::test]
async fn injected_errors_reach_the_sdk_with_their_codes() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    for (kind, code, status) in [
        ("throttling", "ThrottlingException", 400),
        ("internal", "InternalFailure", 500),
        ("unavailable", "ServiceUnavailable", 503),
    ] {
        emulator.control(
            "POST",
            "faults",
            json!({ "operation": "ListTrainingJobs", "kind": kind, "count": 1 }),
        );
        let error = client
            .list_training_jobs()
            .send()
            .await
            .expect_err("fault injected");
        let raw = error
            .raw_response()
            .expect("an HTTP response")
            .status()
            .as_u16();
        assert_eq!(raw, status, "{kind}");
        let (got, _) = error_of::<_, ()>(Err(error));
        assert_eq!(got, code, "{kind}");
        client
            .list_training_jobs()
            .send()
            .await
            .expect("count-limited fault is used up");
    }
    let (_, message) = {
        emulator.control(
            "POST",
            "faults",
            json!({ "operation": "SageMaker.ListTrainingJobs", "kind": "throttling", "count": 1 }),
        );
        error_of(client.list_training_jobs().send().await)
    };
    assert_eq!(message, "Rate exceeded");
}

#[tokio::test]
async fn standard_retries_absorb_count_limited_faults() {
    let emulator = Emulator::start();
    let client = emulator
        .sagemaker_with(
            RetryConfig::standard()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(5)),
            TEST_KEY,
            TEST_SECRET,
        )
        .await;
    for kind in ["throttling", "internal", "unavailable"] {
        emulator.control(
            "POST",
            "faults",
            json!({ "operation": "ListTrainingJobs", "kind": kind, "count": 1 }),
        );
    }
    client
        .list_training_jobs()
        .send()
        .await
        .expect("three retryable faults, four attempts");
    assert_eq!(
        emulator.calls("SageMaker.ListTrainingJobs"),
        4,
        "each fault cost one attempt"
    );

    emulator.control(
        "POST",
        "faults",
        json!({ "operation": "*", "kind": "drop", "count": 1 }),
    );
    client
        .list_training_jobs()
        .send()
        .await
        .expect("a dropped connection is retried");
    assert_eq!(emulator.calls("SageMaker.ListTrainingJobs"), 6);
}

#[tokio::test]
async fn dropped_connections_and_latency() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    emulator.control(
        "POST",
        "faults",
        json!({ "operation": "ListTrainingJobs", "kind": "drop", "count": 1 }),
    );
    let error = client
        .list_training_jobs()
        .send()
        .await
        .expect_err("connection dropped");
    assert!(
        error.raw_response().is_none(),
        "no HTTP response: {error:?}"
    );

    emulator.control(
        "POST",
        "faults",
        json!({ "operation": "ListTrainingJobs", "kind": "latency", "latencyMs": 300, "count": 1 }),
    );
    let started = Instant::now();
    client
        .list_training_jobs()
        .send()
        .await
        .expect("latency still answers");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Probability 0 never fires; DELETE clears everything.
    emulator.control(
        "POST",
        "faults",
        json!({ "operation": "*", "kind": "internal", "probability": 0.0 }),
    );
    for _ in 0..5 {
        client
            .list_training_jobs()
            .send()
            .await
            .expect("probability 0");
    }
    emulator.control(
        "POST",
        "faults",
        json!({ "operation": "*", "kind": "internal" }),
    );
    assert!(client.list_training_jobs().send().await.is_err());
    emulator.control("DELETE", "faults", json!(null));
    client
        .list_training_jobs()
        .send()
        .await
        .expect("faults cleared");
}

#[tokio::test]
async fn rate_limits_throttle_like_sagemaker() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    emulator.control(
        "PUT",
        "rate-limits",
        json!({ "operation": "DescribeTrainingJob", "perSecond": 0.5, "burst": 3 }),
    );
    let mut codes = Vec::new();
    for _ in 0..5 {
        let result = client
            .describe_training_job()
            .training_job_name("none")
            .send()
            .await;
        codes.push(error_of(result).0);
    }
    assert_eq!(
        codes,
        [
            "ValidationException",
            "ValidationException",
            "ValidationException",
            "ThrottlingException",
            "ThrottlingException"
        ]
    );
    client
        .list_training_jobs()
        .send()
        .await
        .expect("other operations are not limited");
    let limits = emulator.control("GET", "rate-limits", json!(null));
    assert_eq!(limits["rateLimits"][0]["operation"], "DescribeTrainingJob");
    emulator.control("DELETE", "rate-limits", json!(null));
    assert_eq!(
        error_of(
            client
                .describe_training_job()
                .training_job_name("none")
                .send()
                .await
        )
        .0,
        "ValidationException"
    );
    assert_eq!(emulator.calls("SageMaker.DescribeTrainingJob"), 6);
}
