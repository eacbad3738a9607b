//! Credentials from the SDK's default chain as on EKS with IRSA: no keys in the environment,
//! only `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`, exchanged at STS (the emulator's); and
//! what an object says when the operator has no credentials, or credentials AWS refuses.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::config::{Credentials, Region};
use sagemaker_k8s_testenv::{
    ChildProcess, Emulator, TestUser, control_plane, run_dir, wait_until, workspace_binary,
};

use crate::harness::{Harness, condition_is, emulator_control, status_of, training_job_manifest};

/// A service-account token as EKS projects it (the emulator reads its claims, as STS would, but
/// does not verify the signature).
const PROJECTED_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InRlc3QifQ.eyJpc3MiOiJodHRwczovL29pZGMuZWtzLnVzLXdlc3QtMi5hbWF6b25hd3MuY29tL2lkL0VYQU1QTEVENTM5RDQ2MzNFNTNERTFCNzFFWEFNUExFIiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OnNhZ2VtYWtlci1rOHMtb3BlcmF0b3Itc3lzdGVtOnNhZ2VtYWtlci1rOHMtb3BlcmF0b3ItZGVmYXVsdCIsImF1ZCI6WyJzdHMuYW1hem9uYXdzLmNvbSJdLCJpYXQiOjE3OTAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk";

/// Keys only the test holds: with `--credentials`, the emulator accepts signatures by these and
/// by keys it issued through AssumeRoleWithWebIdentity — nothing else.
const TEST_KEY_ID: &str = "AKIDHELDBYTHETESTONLY";
const TEST_SECRET: &str = "held-by-the-test-only";

#[tokio::test]
async fn web_identity_irsa_credentials_sign_the_operators_calls() {
    let token_file = run_dir().join(format!("irsa-{}-web-identity-token", std::process::id()));
    std::fs::write(&token_file, PROJECTED_TOKEN).unwrap();
    let harness = harness_with_credentials(
        "irsa",
        &[
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::123456789012:role/sagemaker-k8s-operator",
            ),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ],
    )
    .await;

    harness
        .apply(&training_job_manifest(
            "irsa-job",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    harness
        .wait_for_training_job(
            "irsa-job",
            "Completed with web identity credentials",
            |job| status_of(job) == Some("Completed"),
        )
        .await;
    assert_eq!(harness.sagemaker_training_jobs("irsa-job").await.len(), 1);

    let calls = emulator_control(&harness.emulator, "GET", "/_emulator/calls", "").await;
    assert!(
        calls.contains("AssumeRoleWithWebIdentity"),
        "the operator exchanged its token at STS: {calls}"
    );
    // The token is a credential: it must not reach the log.
    assert!(
        !harness.operator.log_contents().contains(PROJECTED_TOKEN),
        "the operator logged its web identity token"
    );
}

/// An operator whose credentials come from `credential_env` alone (the emulator's endpoint and
/// region, no profile files, no instance metadata, none of the SDK's credential variables
/// inherited from the test's environment), against an emulator that accepts only the test's
/// keys and the ones its STS issued.
async fn harness_with_credentials(prefix: &str, credential_env: &[(&str, &str)]) -> Harness {
    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace(prefix).await;
    let emulator = Emulator::start(&[
        "--time-scale",
        "0.01",
        "--credentials",
        &format!("{TEST_KEY_ID}:{TEST_SECRET}"),
    ])
    .await;
    let mut builder = ChildProcess::builder(workspace_binary("sagemaker-k8s-operator"))
        .name(format!("operator-{namespace}"))
        .args([
            "run",
            "--namespace",
            namespace.as_str(),
            "--health-probe-bind-address",
            "127.0.0.1:0",
            "--metrics-bind-address",
            "127.0.0.1:0",
        ])
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("RUST_LOG", "info,sagemaker_k8s_operator=debug");
    for variable in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        builder = builder.env_remove(variable);
    }
    for (key, value) in emulator.sdk_env() {
        if key != "AWS_ACCESS_KEY_ID" && key != "AWS_SECRET_ACCESS_KEY" {
            builder = builder.env(key, value);
        }
    }
    for (key, value) in credential_env {
        builder = builder.env(key, value);
    }
    let operator = builder.env("AWS_EC2_METADATA_DISABLED", "true").spawn();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new(
            TEST_KEY_ID,
            TEST_SECRET,
            None,
            None,
            "test",
        ))
        .endpoint_url(&emulator.endpoint)
        .load()
        .await;
    Harness {
        cluster,
        sagemaker: aws_sdk_sagemaker::Client::new(&config),
        emulator,
        operator,
        namespace,
    }
}

/// The `Retrying` condition's reason and message, once there is one.
fn retrying(job: &sagemaker_k8s_api::TrainingJob) -> Option<(String, String)> {
    job.status
        .as_ref()?
        .common
        .conditions
        .as_ref()?
        .iter()
        .find(|condition| condition.type_ == "Retrying" && condition.status == "True")
        .map(|condition| (condition.reason.clone(), condition.message.clone()))
}

/// The notes of every Event in the harness's namespace.
async fn event_notes(harness: &Harness) -> Vec<String> {
    let events: kube::Api<k8s_openapi::api::core::v1::Event> =
        kube::Api::namespaced(harness.cluster.client(), &harness.namespace);
    events
        .list(&kube::api::ListParams::default())
        .await
        .expect("listing Events")
        .items
        .into_iter()
        .filter_map(|event| event.message)
        .collect()
}

/// Says what to set, in one sentence; never the SDK's debug text.
fn assert_short_configuration_message(message: &str) {
    for needle in [
        "AWS credentials are missing or were refused",
        "eks.amazonaws.com/role-arn",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        assert!(message.contains(needle), "{needle} missing: {message}");
    }
    for debug_text in [
        "CredentialsNotLoaded",
        "DispatchFailure",
        "ConnectorError",
        "{",
    ] {
        assert!(
            !message.contains(debug_text),
            "debug text {debug_text:?}: {message}"
        );
    }
    assert!(message.len() < 500, "not short: {message}");
}

/// A pod without any AWS credentials: the object says what to configure (one short message,
/// reason `CredentialsUnavailable`), nothing reaches SageMaker, and the reconcile keeps being
/// retried with backoff (counted under the `credentials` category), because a credential can
/// appear later.
#[tokio::test]
async fn without_credentials_the_object_says_what_to_set_and_is_retried() {
    let mut harness = harness_with_credentials("no-credentials", &[]).await;
    crate::metrics::grant_metrics_reader(harness.cluster).await;
    let address = crate::metrics::metrics_address(&mut harness.operator).await;
    harness
        .apply(&training_job_manifest(
            "no-credentials",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("no-credentials", "Retrying for credentials", |job| {
            retrying(job).is_some_and(|(reason, _)| reason == "CredentialsUnavailable")
        })
        .await;
    let (_, message) = retrying(&job).unwrap();
    assert_short_configuration_message(&message);
    assert!(message.contains("no credentials found"), "{message}");
    assert!(
        !condition_is(&job, "Failed", "True"),
        "missing credentials are not a rejection of the spec"
    );

    // Retried with backoff: the failed reconciles keep being counted, by their category.
    let scraper = harness.cluster.token_for(TestUser::MetricsScraper);
    let series = r#"sagemaker_operator_reconcile_errors_by_category_total{kind="TrainingJob",category="credentials"}"#;
    let address = address.as_str();
    wait_until(
        Duration::from_secs(60),
        "a second failed reconcile counted as credentials",
        move || async move {
            let (code, body) = crate::metrics::scrape(address, Some(scraper)).await;
            (code == 200 && crate::metrics::sample(&body, series).is_some_and(|count| count >= 2.0))
                .then_some(())
        },
    )
    .await;

    let notes = event_notes(&harness).await;
    assert!(
        notes
            .iter()
            .any(|note| note.contains("eks.amazonaws.com/role-arn")),
        "a Warning Event says what to set: {notes:?}"
    );
    for note in &notes {
        assert!(!note.contains("CredentialsNotLoaded"), "{note}");
    }
    let status = serde_json::to_string(&job.status).unwrap();
    assert!(!status.contains("CredentialsNotLoaded"), "{status}");
    assert_eq!(harness.sagemaker_calls("CreateTrainingJob").await, 0);
}

/// Keys AWS does not know (UnrecognizedClientException from SageMaker) are the same category
/// and message, with SageMaker's code and request ID.
#[tokio::test]
async fn refused_credentials_say_what_to_set_with_sagemakers_code() {
    let harness = harness_with_credentials(
        "refused-credentials",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDUNKNOWNTOTHEEMULATOR"),
            ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
        ],
    )
    .await;
    harness
        .apply(&training_job_manifest(
            "refused-credentials",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("refused-credentials", "Retrying for credentials", |job| {
            retrying(job).is_some_and(|(reason, _)| reason == "CredentialsUnavailable")
        })
        .await;
    let (_, message) = retrying(&job).unwrap();
    assert_short_configuration_message(&message);
    assert!(
        message.contains("UnrecognizedClientException") && message.contains("(request ID "),
        "SageMaker's code and request ID: {message}"
    );
    assert!(
        harness
            .sagemaker_training_jobs("refused-credentials")
            .await
            .is_empty()
    );
}

/// A web identity token STS refuses (here: not a JWT, InvalidIdentityToken) is the same
/// category and message, with STS's words and no debug text.
#[tokio::test]
async fn a_web_identity_token_sts_refuses_says_what_to_set() {
    let token_file = run_dir().join(format!("refused-{}-web-identity-token", std::process::id()));
    std::fs::write(&token_file, "not-a-jwt").unwrap();
    let harness = harness_with_credentials(
        "refused-token",
        &[
            (
                "AWS_ROLE_ARN",
                "arn:aws:iam::123456789012:role/sagemaker-k8s-operator",
            ),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ],
    )
    .await;
    harness
        .apply(&training_job_manifest(
            "refused-token",
            &[("emulator:outcome", "Completed")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("refused-token", "Retrying for credentials", |job| {
            retrying(job).is_some_and(|(reason, _)| reason == "CredentialsUnavailable")
        })
        .await;
    let (_, message) = retrying(&job).unwrap();
    assert_short_configuration_message(&message);
    assert!(
        message.contains("InvalidIdentityToken"),
        "STS's code: {message}"
    );
    assert!(
        harness
            .sagemaker_training_jobs("refused-token")
            .await
            .is_empty()
    );
}
