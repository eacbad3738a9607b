//! `/metrics` on the real apiserver: HTTPS, every scrape authenticated (TokenReview) and
//! authorized (SubjectAccessReview), and the metric families with values that match what the
//! operator did.

use std::time::Duration;

use sagemaker_k8s_testenv::{ChildProcess, ControlPlane, TestUser, wait_until};

use crate::harness::{Harness, emulator_control, status_of, training_job_manifest};

/// The ClusterRole the installers create for scrapers, bound here to the `metrics-scraper` user.
const READER_RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: e2e-sagemaker-k8s-operator-metrics-reader
rules:
  - nonResourceURLs: ["/metrics"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: e2e-sagemaker-k8s-operator-metrics-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: e2e-sagemaker-k8s-operator-metrics-reader
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: metrics-scraper
"#;

/// The HTTPS address the operator logged (`metrics_address=127.0.0.1:PORT`).
pub async fn metrics_address(operator: &mut ChildProcess) -> String {
    operator
        .wait_for_log("metrics listening", Duration::from_secs(60))
        .await;
    let log = operator.log_contents();
    let line = log
        .lines()
        .find(|line| line.contains("metrics listening"))
        .expect("the line just waited for");
    line.split_whitespace()
        .find_map(|field| field.strip_prefix("metrics_address="))
        .unwrap_or_else(|| panic!("no metrics_address in {line:?}"))
        .to_string()
}

/// One scrape with curl (the certificate is self-signed): (HTTP status, body).
pub async fn scrape(address: &str, token: Option<&str>) -> (u16, String) {
    let mut command = tokio::process::Command::new("curl");
    command.args(["-sk", "--max-time", "20", "-w", "\n%{http_code}"]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command
        .arg(format!("https://{address}/metrics"))
        .output()
        .await
        .expect("running curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text
        .rsplit_once('\n')
        .unwrap_or_else(|| panic!("curl printed no status: {text:?}"));
    (
        code.trim().parse().unwrap_or_else(|_| {
            panic!(
                "curl status {code:?}; stderr {}",
                String::from_utf8_lossy(&output.stderr)
            )
        }),
        body.to_string(),
    )
}

/// The value of one sample line `name{labels} value`, if present.
pub fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    })
}

pub async fn grant_metrics_reader(cluster: &ControlPlane) {
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], READER_RBAC)
        .await
        .expect_success();
}

/// A harness whose metrics the `metrics-scraper` user may read, and one training job taken to
/// Completed while the emulator injects `fault`. Returns the harness and the metrics address.
async fn job_completed_under_fault(test: &str, job: &str, fault: &str) -> (Harness, String) {
    let mut harness = Harness::start(test).await;
    grant_metrics_reader(harness.cluster).await;
    let address = metrics_address(&mut harness.operator).await;
    emulator_control(&harness.emulator, "POST", "/_emulator/faults", fault).await;
    harness
        .apply(&training_job_manifest(
            job,
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    harness
        .wait_for_training_job(job, "Completed", |job| status_of(job) == Some("Completed"))
        .await;
    (harness, address)
}

#[tokio::test]
async fn scrapes_need_a_token_allowed_to_get_metrics_and_count_what_happened() {
    // Two throttled Describes before the job exists: retried by the SDK, counted per attempt.
    let (harness, address) = job_completed_under_fault(
        "metrics",
        "scraped",
        r#"{"operation": "DescribeTrainingJob", "kind": "throttling", "count": 2}"#,
    )
    .await;

    let (code, body) = scrape(&address, None).await;
    assert_eq!(code, 401, "no token: {body}");
    let (code, body) = scrape(&address, Some("not-a-token-the-apiserver-knows")).await;
    assert_eq!(code, 401, "unknown token: {body}");
    let (code, body) = scrape(&address, Some(harness.cluster.token_for(TestUser::Nobody))).await;
    assert_eq!(code, 403, "nobody may not get /metrics: {body}");

    let scraper = harness.cluster.token_for(TestUser::MetricsScraper);
    // The status write that made the job Completed is followed by the reconcile it triggers;
    // wait until the objects gauge has seen the Completed status.
    let body = wait_until(
        Duration::from_secs(30),
        "the objects gauge shows the Completed job",
        || {
            let address = address.clone();
            async move {
                let (code, body) = scrape(&address, Some(scraper)).await;
                assert_eq!(
                    code, 200,
                    "metrics-scraper is bound to the reader role: {body}"
                );
                (sample(
                    &body,
                    r#"sagemaker_operator_objects{kind="TrainingJob",status="Completed"}"#,
                ) == Some(1.0))
                .then_some(body)
            }
        },
    )
    .await;
    let value =
        |series: &str| sample(&body, series).unwrap_or_else(|| panic!("no {series} in\n{body}"));
    assert_eq!(
        value(
            r#"sagemaker_operator_sagemaker_calls_total{operation="CreateTrainingJob",outcome="success"}"#
        ),
        1.0,
        "{body}"
    );
    assert_eq!(
        value(
            r#"sagemaker_operator_sagemaker_calls_total{operation="DescribeTrainingJob",outcome="throttled"}"#
        ),
        2.0,
        "{body}"
    );
    // A new object is created without a Describe first (it would only find nothing).
    assert_eq!(
        sample(
            &body,
            r#"sagemaker_operator_sagemaker_calls_total{operation="DescribeTrainingJob",outcome="client_error"}"#
        )
        .unwrap_or(0.0),
        0.0,
        "{body}"
    );
    assert!(
        value(
            r#"sagemaker_operator_sagemaker_calls_total{operation="DescribeTrainingJob",outcome="success"}"#
        ) >= 2.0,
        "{body}"
    );
    // One reconcile puts the finalizer on and creates; the poller wakes another for each status
    // change it lists (how many depends on how the job's changes fall into its rounds): at
    // least two, none failed.
    assert!(
        value(r#"sagemaker_operator_reconciles_total{kind="TrainingJob"}"#) >= 2.0,
        "{body}"
    );
    assert_eq!(
        value(r#"sagemaker_operator_reconcile_errors_total{kind="TrainingJob"}"#),
        0.0,
        "SDK retries absorb the two throttles: {body}"
    );
    assert_eq!(value("sagemaker_operator_leader"), 1.0, "{body}");
    // Every kind's controller reports, not only the job engine's.
    for kind in [
        "HyperparameterTuningJob",
        "BatchTransformJob",
        "HostingDeployment",
        "Model",
        "EndpointConfig",
    ] {
        assert_eq!(
            value(&format!(
                r#"sagemaker_operator_reconcile_errors_total{{kind="{kind}"}}"#
            )),
            0.0,
            "{body}"
        );
    }
    assert!(
        body.trim_end().ends_with("# EOF"),
        "OpenMetrics text ends with # EOF: {body}"
    );

    // Tokens never reach the log.
    let log = harness.operator.log_contents();
    for user in [TestUser::MetricsScraper, TestUser::Nobody] {
        assert!(
            !log.contains(harness.cluster.token_for(user)),
            "the operator logged a token"
        );
    }
}

/// A reconcile that fails is counted by what failed: four throttled creates are more than the
/// SDK's attempts, so one reconcile fails as `throttled`, and the retry creates the job.
#[tokio::test]
async fn failed_reconciles_are_counted_by_category() {
    let (harness, address) = job_completed_under_fault(
        "metrics-category",
        "throttled",
        r#"{"operation": "CreateTrainingJob", "kind": "throttling", "count": 4}"#,
    )
    .await;
    let scraper = harness.cluster.token_for(TestUser::MetricsScraper);
    let (code, body) = scrape(&address, Some(scraper)).await;
    assert_eq!(code, 200, "{body}");
    let series = |category: &str| {
        sample(
            &body,
            &format!(
                r#"sagemaker_operator_reconcile_errors_by_category_total{{kind="TrainingJob",category="{category}"}}"#
            ),
        )
    };
    assert_eq!(series("throttled"), Some(1.0), "{body}");
    assert_eq!(series("transient"), None, "{body}");
    assert_eq!(
        sample(
            &body,
            r#"sagemaker_operator_reconcile_errors_total{kind="TrainingJob"}"#
        ),
        Some(1.0),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_bind_address_zero_serves_no_metrics() {
    let cluster = sagemaker_k8s_testenv::control_plane().await;
    let namespace = cluster.create_namespace("no-metrics").await;
    let emulator = sagemaker_k8s_testenv::Emulator::start(&["--time-scale", "0.01"]).await;
    let mut operator = crate::harness::spawn_operator_with(
        cluster,
        &emulator,
        &namespace,
        &["--metrics-bind-address", "0"],
        "operator-no-metrics",
    );
    operator
        .wait_for_log("starting controllers", Duration::from_secs(60))
        .await;
    assert!(
        !operator.log_contents().contains("metrics listening"),
        "{}",
        operator.log_tail(20)
    );
}
