use sagemaker_k8s_testenv::{TestUser, control_plane};

#[tokio::test]
async fn kubectl_talks_to_the_control_plane() {
    let control_plane = control_plane().await;
    // `kubectl version` itself fails on these builds: scripts/tools builds without the version
    // ldflags, so the client calls itself v0.0.0-master and cannot parse that. Ask the server.
    let version = control_plane
        .kubectl(&["get", "--raw", "/version"])
        .await
        .expect_success();
    let version: serde_json::Value =
        serde_json::from_str(&version.stdout).expect("/version is JSON");
    assert_eq!(
        (version["major"].as_str(), version["minor"].as_str()),
        (Some("1"), Some("36")),
        "{version}"
    );

    let namespace = control_plane.create_namespace("kubectl").await;
    let namespaces = control_plane
        .kubectl(&["get", "ns", "-o", "name"])
        .await
        .expect_success();
    assert!(
        namespaces
            .stdout
            .lines()
            .any(|line| line == format!("namespace/{namespace}")),
        "{namespaces}"
    );
}

#[tokio::test]
async fn kubectl_failures_are_reported_not_hidden() {
    let control_plane = control_plane().await;
    let output = control_plane
        .kubectl(&["get", "configmap", "does-not-exist", "-n", "default"])
        .await
        .expect_failure();
    assert!(
        output.stderr.contains("NotFound") || output.stderr.contains("not found"),
        "{output}"
    );
}

#[tokio::test]
async fn kubectl_stdin_applies_manifests() {
    let control_plane = control_plane().await;
    let namespace = control_plane.create_namespace("stdin").await;
    control_plane
        .kubectl_stdin(
            &["apply", "-n", &namespace, "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fed-by-stdin\ndata:\n  key: value\n",
        )
        .await
        .expect_success();
    let value = control_plane
        .kubectl(&[
            "get",
            "configmap",
            "fed-by-stdin",
            "-n",
            &namespace,
            "-o",
            "jsonpath={.data.key}",
        ])
        .await
        .expect_success();
    assert_eq!(value.stdout, "value");
}

#[tokio::test]
async fn per_user_kubeconfigs_carry_their_identity() {
    let control_plane = control_plane().await;
    let kubeconfig = control_plane
        .kubeconfig_path_for(TestUser::Nobody)
        .display()
        .to_string();
    // `auth whoami` asks the apiserver (SelfSubjectReview) who the token belongs to.
    let output = control_plane
        .kubectl(&[
            "--kubeconfig",
            &kubeconfig,
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ])
        .await
        .expect_success();
    assert_eq!(output.stdout, "nobody");
    let denied = control_plane
        .kubectl(&[
            "--kubeconfig",
            &kubeconfig,
            "get",
            "secrets",
            "-n",
            "default",
        ])
        .await
        .expect_failure();
    assert!(
        denied.stderr.contains("Forbidden") || denied.stderr.contains("forbidden"),
        "{denied}"
    );
}

#[tokio::test]
async fn helm_talks_to_the_control_plane() {
    let control_plane = control_plane().await;
    let version = control_plane
        .helm(&["version", "--short"])
        .await
        .expect_success();
    assert!(version.stdout.starts_with("v3."), "{version}");
    let namespace = control_plane.create_namespace("helm").await;
    let releases = control_plane
        .helm(&["list", "-n", &namespace, "-o", "json"])
        .await
        .expect_success();
    assert_eq!(releases.stdout.trim(), "[]");
}
