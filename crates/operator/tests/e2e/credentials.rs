//! Credentials from the SDK's default chain as on EKS with IRSA: no keys in the environment,
//! only `AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`, exchanged at STS (the emulator's).

use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::config::{Credentials, Region};
use sagemaker_k8s_testenv::{ChildProcess, Emulator, control_plane, run_dir, workspace_binary};

use crate::harness::{Harness, emulator_control, status_of, training_job_manifest};

/// A service-account token as EKS projects it (the emulator reads its claims, as STS would, but
/// does not verify the signature).
const PROJECTED_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InRlc3QifQ.eyJpc3MiOiJodHRwczovL29pZGMuZWtzLnVzLXdlc3QtMi5hbWF6b25hd3MuY29tL2lkL0VYQU1QTEVENTM5RDQ2MzNFNTNERTFCNzFFWEFNUExFIiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OnNhZ2VtYWtlci1rOHMtb3BlcmF0b3Itc3lzdGVtOnNhZ2VtYWtlci1rOHMtb3BlcmF0b3ItZGVmYXVsdCIsImF1ZCI6WyJzdHMuYW1hem9uYXdzLmNvbSJdLCJpYXQiOjE3OTAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk";

/// Keys only the test holds: with `--credentials`, the emulator accepts signatures by these and
/// by keys it issued through AssumeRoleWithWebIdentity — nothing else.
const TEST_KEY_ID: &str = "AKIDHELDBYTHETESTONLY";
const TEST_SECRET: &str = "held-by-the-test-only";

#[tokio::test]
async fn web_identity_irsa_credentials_sign_the_operators_calls() {
    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace("irsa").await;
    let emulator = Emulator::start(&[
        "--time-scale",
        "0.01",
        "--credentials",
        &format!("{TEST_KEY_ID}:{TEST_SECRET}"),
    ])
    .await;
    let token_file = run_dir().join(format!("{namespace}-web-identity-token"));
    std::fs::write(&token_file, PROJECTED_TOKEN).unwrap();

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
    for (key, value) in emulator.sdk_env() {
        if key != "AWS_ACCESS_KEY_ID" && key != "AWS_SECRET_ACCESS_KEY" {
            builder = builder.env(key, value);
        }
    }
    let operator = builder
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env(
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/sagemaker-k8s-operator",
        )
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .spawn();
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
    let harness = Harness {
        cluster,
        sagemaker: aws_sdk_sagemaker::Client::new(&config),
        emulator,
        operator,
        namespace,
    };

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
