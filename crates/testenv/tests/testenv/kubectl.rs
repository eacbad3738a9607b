use sagemaker_k8s_testenv::{TestUser, control_plane};

#[tokio::test]
async fn kubectl_talks_to_the_control_plane() {
    let control_plane = control_plane().await;
    // Client and server are built from one pin (tools/kubernetes) and both say so.
    let version = control_plane
        .kubectl(&["version", "-o", "json"])
        .await
        .expect_success();
    let version: serde_json::Value =
        serde_json::from_str(&version.stdout).expect("kubectl version -o json is JSON");
    let server = &version["serverVersion"];
    assert_eq!(
        (server["major"].as_str(), server["minor"].as_str()),
        (Some("1"), Some("36")),
        "{version}"
    );
    assert_eq!(
        server["gitVersion"], version["clientVersion"]["gitVersion"],
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

/// A real chart install: helm reads the server's version and capabilities, renders, applies
/// and records the release. (The operator's chart is installed the same way.)
#[tokio::test]
async fn helm_installs_a_chart() {
    let control_plane = control_plane().await;
    let namespace = control_plane.create_namespace("helm-install").await;
    let chart = tempfile::tempdir().unwrap();
    std::fs::create_dir(chart.path().join("templates")).unwrap();
    std::fs::write(
        chart.path().join("Chart.yaml"),
        // helm checks the constraint against the server's gitVersion, which scripts/tools
        // stamps with the version the apiserver was built from.
        "apiVersion: v2\nname: testenv-probe\nversion: 0.1.0\nkubeVersion: \">= 1.36.0-0\"\n",
    )
    .unwrap();
    std::fs::write(chart.path().join("values.yaml"), "greeting: hello\n").unwrap();
    std::fs::write(
        chart.path().join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-probe\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  kube: {{ .Capabilities.KubeVersion.Minor | quote }}\n",
    )
    .unwrap();
    let chart_path = chart.path().display().to_string();
    control_plane
        .helm(&[
            "install",
            "probe",
            &chart_path,
            "-n",
            &namespace,
            "--set",
            "greeting=hi",
            "--wait",
            "--timeout",
            "60s",
        ])
        .await
        .expect_success();
    let data = control_plane
        .kubectl(&[
            "get",
            "configmap",
            "probe-probe",
            "-n",
            &namespace,
            "-o",
            "jsonpath={.data.greeting}/{.data.kube}",
        ])
        .await
        .expect_success();
    assert_eq!(data.stdout, "hi/36");
    let status = control_plane
        .helm(&["status", "probe", "-n", &namespace, "-o", "json"])
        .await
        .expect_success();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["info"]["status"], "deployed", "{status}");
}
