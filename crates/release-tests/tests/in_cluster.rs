//! The operator as users run it: the image built by scripts/build-image, installed as the guide
//! says, as a pod on a real node (crates/testenv's node cluster: kubelet + containerd + runc),
//! with AWS credentials through a projected ServiceAccount token exchanged at STS. SageMaker and
//! STS are the emulator, started with `--credentials` so that only keys STS issued are accepted.
//!
//! Skipped (with the reason printed) only when not root; the image missing fails under CI.

use std::path::PathBuf;
use std::time::Duration;

use sagemaker_k8s_api::SPAWNED_BY_TUNING_JOB_LABEL;
use sagemaker_k8s_testenv::{
    CommandOutput, ControlPlane, Emulator, NODE_IP, NodeCluster, images_dir, node_cluster,
    repo_root, wait_until,
};
use tokio::sync::Mutex;

const OPERATOR_NAMESPACE: &str = "sagemaker-k8s-operator-system";
const DEPLOYMENT: &str = "sagemaker-k8s-operator-controller-manager";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/sagemaker-k8s-operator-in-cluster";
/// Keys the test alone holds: the emulator accepts these and the keys its STS issues, nothing else.
const TEST_KEY: &str = "AKIDINCLUSTERTESTONLY:in-cluster-test-secret";
const IMAGE_TAG_PREFIX: &str = "sagemaker-k8s-operator:";

/// The installations share the operator namespace and the CRDs: one at a time.
static INSTALLS: Mutex<()> = Mutex::const_new(());

fn image_archive() -> Option<PathBuf> {
    let path = images_dir().join("sagemaker-k8s-operator.tar");
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{} does not exist: run scripts/build-image (scripts/test does)",
        path.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// The image's reference as the archive names it (`sagemaker-k8s-operator:<version>-local`).
fn image_reference(archive: &std::path::Path) -> String {
    let output = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(archive)
        .arg("manifest.json")
        .output()
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("manifest.json in the image archive");
    manifest[0]["RepoTags"][0].as_str().unwrap().to_owned()
}

/// The node cluster with the operator's image imported, or `None` when a node cannot run here.
async fn node_with_image() -> Option<(&'static NodeCluster, String)> {
    let node = node_cluster().await?;
    let archive = image_archive()?;
    static IMPORTED: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let reference = IMPORTED
        .get_or_init(|| async {
            node.import_image(&archive)
                .unwrap_or_else(|error| panic!("{error}"));
            image_reference(&archive)
        })
        .await
        .clone();
    assert!(reference.starts_with(IMAGE_TAG_PREFIX), "{reference}");
    Some((node, reference))
}

fn check(output: CommandOutput, what: &str) -> CommandOutput {
    assert!(
        output.success(),
        "{what} failed:\n{}\n{}",
        output.stdout,
        output.stderr
    );
    output
}

/// The Deployment patch that stands in for the EKS pod identity webhook (which this cluster does
/// not have): the variables and the projected token it would inject, plus where SageMaker and
/// STS are (the emulator on the node's address).
fn irsa_patch(emulator: &Emulator) -> String {
    serde_json::json!({
        "spec": {"template": {"spec": {
            "containers": [{
                "name": "manager",
                "env": [
                    {"name": "AWS_ROLE_ARN", "value": ROLE_ARN},
                    {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
                    {"name": "AWS_REGION", "value": "us-west-2"},
                    {"name": "AWS_DEFAULT_SAGEMAKER_ENDPOINT", "value": emulator.endpoint},
                    {"name": "AWS_ENDPOINT_URL_STS", "value": emulator.endpoint},
                    {"name": "AWS_EC2_METADATA_DISABLED", "value": "true"},
                ],
                "volumeMounts": [{"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "readOnly": true}],
            }],
            "volumes": [{"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}],
        }}}
    })
    .to_string()
}

async fn wait_for_available(api: &ControlPlane, node: &NodeCluster) {
    let output = api
        .kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "rollout",
            "status",
            &format!("deployment/{DEPLOYMENT}"),
            "--timeout=180s",
        ])
        .await;
    if !output.success() {
        let pods = api
            .kubectl(&["-n", OPERATOR_NAMESPACE, "describe", "pods"])
            .await;
        let logs = api
            .kubectl(&[
                "-n",
                OPERATOR_NAMESPACE,
                "logs",
                &format!("deployment/{DEPLOYMENT}"),
                "-c",
                "manager",
                "--tail=40",
            ])
            .await;
        panic!(
            "the operator's Deployment did not become available:\n{}{}\n--- pods ---\n{}\n--- manager log ---\n{}{}\n{}",
            output.stdout,
            output.stderr,
            pods.stdout,
            logs.stdout,
            logs.stderr,
            node.log_tails(15)
        );
    }
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "wait",
            "--for=condition=Available",
            &format!("deployment/{DEPLOYMENT}"),
            "--timeout=60s",
        ])
        .await,
        "waiting for Available",
    );
}

/// `kubectl get KIND NAME -o jsonpath=PATH` in `namespace`.
async fn jsonpath(api: &ControlPlane, namespace: &str, what: &[&str], path: &str) -> String {
    let mut args = vec!["-n", namespace, "get"];
    args.extend_from_slice(what);
    let template = format!("jsonpath={path}");
    args.extend(["-o", template.as_str()]);
    api.kubectl(&args).await.stdout.trim().to_owned()
}

/// Every cluster-scoped object name an installer can leave behind.
async fn cluster_objects(api: &ControlPlane) -> Vec<String> {
    let output = check(
        api.kubectl(&["get", "crds,clusterroles,clusterrolebindings,namespaces,mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name"]).await,
        "listing cluster objects",
    );
    // Other tests' namespaces come and go; what an installer makes is named after the project.
    let mut names: Vec<String> = output
        .stdout
        .lines()
        .map(str::to_owned)
        .filter(|name| name.contains("sagemaker"))
        .collect();
    names.sort();
    names
}

/// The guide's four samples (training, tuning, batch transform, hosting) in `namespace`.
const GUIDE_SAMPLES: [&str; 4] = [
    "xgboost-mnist-trainingjob.yaml",
    "xgboost-mnist-hpo.yaml",
    "xgboost-mnist-batchtransform.yaml",
    "xgboost-mnist-hostingdeployment.yaml",
];

async fn apply_samples(api: &ControlPlane, namespace: &str) {
    for sample in GUIDE_SAMPLES {
        let path = repo_root()
            .join("samples")
            .join(sample)
            .display()
            .to_string();
        check(
            api.kubectl(&["-n", namespace, "apply", "-f", &path]).await,
            sample,
        );
    }
}

async fn wait_for_final_states(api: &ControlPlane, namespace: &str, node: &NodeCluster) {
    for (kind, name, path, expected) in [
        (
            "trainingjob",
            "xgboost-mnist",
            "{.status.trainingJobStatus}",
            "Completed",
        ),
        (
            "hyperparametertuningjob",
            "xgboost-mnist-hpo",
            "{.status.hyperParameterTuningJobStatus}",
            "Completed",
        ),
        (
            "batchtransformjob",
            "xgboost-mnist-batch-transform",
            "{.status.transformJobStatus}",
            "Completed",
        ),
        (
            "hostingdeployment",
            "host-xgboost",
            "{.status.endpointStatus}",
            "InService",
        ),
    ] {
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        loop {
            let status = jsonpath(api, namespace, &[kind, name], path).await;
            if status == expected {
                break;
            }
            if std::time::Instant::now() >= deadline {
                let logs = api
                    .kubectl(&[
                        "-n",
                        OPERATOR_NAMESPACE,
                        "logs",
                        &format!("deployment/{DEPLOYMENT}"),
                        "-c",
                        "manager",
                        "--tail=40",
                    ])
                    .await;
                let object = api
                    .kubectl(&["-n", namespace, "get", kind, name, "-o", "yaml"])
                    .await;
                panic!(
                    "{kind} {name}: status {status:?}, expected {expected}\n{}\n--- manager log ---\n{}\n{}",
                    object.stdout,
                    logs.stdout,
                    node.log_tails(10)
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

async fn manager_logs(api: &ControlPlane) -> String {
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "logs",
            &format!("deployment/{DEPLOYMENT}"),
            "-c",
            "manager",
        ])
        .await,
        "kubectl logs of the manager",
    )
    .stdout
}

#[tokio::test]
async fn installer_yaml_runs_the_operator_as_a_pod_that_takes_the_guides_samples_to_their_final_states()
 {
    let Some((node, image)) = node_with_image().await else {
        return;
    };
    let _install = INSTALLS.lock().await;
    let api = node.api();
    let before = cluster_objects(api).await;
    let emulator = Emulator::start_on(
        NODE_IP,
        &["--time-scale", "0.02", "--credentials", TEST_KEY],
    )
    .await;

    // As the guide says: set the role annotation and the image, then one kubectl apply.
    let installer =
        std::fs::read_to_string(repo_root().join("release/rolebased/installer.yaml")).unwrap();
    assert!(
        installer.contains("image: \"sagemaker-k8s-operator:"),
        "the installer names the image"
    );
    let installer = installer
        .replace("arn:aws:iam::123456789012:role/DELETE_ME", ROLE_ARN)
        .lines()
        .map(|line| {
            if line
                .trim_start()
                .starts_with("image: \"sagemaker-k8s-operator:")
            {
                format!(
                    "{}image: \"{image}\"",
                    &line[..line.len() - line.trim_start().len()]
                )
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let started = std::time::Instant::now();
    check(
        api.kubectl_stdin(&["apply", "-f", "-"], &installer).await,
        "kubectl apply -f installer.yaml",
    );
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "patch",
            "deployment",
            DEPLOYMENT,
            "--type=strategic",
            "-p",
            &irsa_patch(&emulator),
        ])
        .await,
        "adding what the EKS pod identity webhook injects",
    );
    wait_for_available(api, node).await;
    eprintln!(
        "installer.yaml: Deployment available after {:.1?}",
        started.elapsed()
    );
    // The guide's first check.
    let pods = check(
        api.kubectl(&["-n", OPERATOR_NAMESPACE, "get", "pods"])
            .await,
        "get pods",
    )
    .stdout;
    assert!(
        pods.lines().any(|line| line.starts_with(DEPLOYMENT)
            && line.contains("1/1")
            && line.contains("Running")),
        "{pods}"
    );

    let namespace = api.create_namespace("guide").await;
    apply_samples(api, &namespace).await;
    wait_for_final_states(api, &namespace, node).await;
    eprintln!(
        "installer.yaml: the guide's samples final after {:.1?}",
        started.elapsed()
    );

    // Every object reached its state through the in-cluster operator, signing with keys STS
    // issued for the projected token (the emulator refuses anything else).
    let calls = reqwest_free_get(&emulator.url("/_emulator/calls")).await;
    assert!(calls.contains("AssumeRoleWithWebIdentity"), "{calls}");
    assert!(calls.contains("CreateTrainingJob"), "{calls}");

    // The tuning job's training jobs, owned by it; deleting it cascades to them.
    let children = jsonpath(api, &namespace, &["trainingjobs", "-l", SPAWNED_BY_TUNING_JOB_LABEL], "{range .items[*]}{.metadata.name}={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {end}").await;
    assert!(
        !children.is_empty(),
        "the tuning job's training jobs are mirrored"
    );
    for child in children.split_whitespace() {
        assert!(
            child.ends_with("=HyperparameterTuningJob/xgboost-mnist-hpo"),
            "{child}"
        );
    }

    let logs = manager_logs(api).await;
    assert!(
        logs.lines()
            .filter(|line| !line.trim().is_empty())
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()),
        "JSON log lines:\n{logs}"
    );
    assert!(logs.contains("became leader"), "{logs}");
    assert!(
        !logs.contains("eyJhbGciOi"),
        "a service-account token in the manager's log"
    );

    // The guide's uninstall: the jobs first, then the installer; nothing is left.
    for sample in GUIDE_SAMPLES.iter().rev() {
        let path = repo_root()
            .join("samples")
            .join(sample)
            .display()
            .to_string();
        check(
            api.kubectl(&[
                "-n",
                &namespace,
                "delete",
                "-f",
                &path,
                "--wait=true",
                "--timeout=180s",
            ])
            .await,
            &format!("deleting {sample}"),
        );
    }
    wait_until(
        Duration::from_secs(120),
        "every SageMaker object to be gone",
        || async {
            let left = api
                .kubectl(&["-n", &namespace, "get", "sagemaker", "-o", "name"])
                .await;
            (left.success() && left.stdout.trim().is_empty()).then_some(())
        },
    )
    .await;
    check(
        api.kubectl_stdin(
            &["delete", "-f", "-", "--wait=true", "--timeout=180s"],
            &installer,
        )
        .await,
        "kubectl delete -f installer.yaml",
    );
    let after = cluster_objects(api).await;
    assert_eq!(
        after, before,
        "the uninstall leaves no cluster object behind"
    );
    let operator_namespace = api.kubectl(&["get", "namespace", OPERATOR_NAMESPACE]).await;
    assert!(
        !operator_namespace.success(),
        "the operator's namespace is gone"
    );
}

/// A GET with curl (the test crate has no HTTP client).
async fn reqwest_free_get(url: &str) -> String {
    let output = tokio::process::Command::new("curl")
        .args(["-fsS", url])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn helm_install_serves_passes_helm_test_with_a_chart_projected_token_and_uninstalls_cleanly()
{
    let Some((node, image)) = node_with_image().await else {
        return;
    };
    let _install = INSTALLS.lock().await;
    let api = node.api();
    let before = cluster_objects(api).await;
    let emulator = Emulator::start_on(
        NODE_IP,
        &["--time-scale", "0.02", "--credentials", TEST_KEY],
    )
    .await;
    let (repository, tag) = image.split_once(':').unwrap();
    let chart = repo_root()
        .join("deploy/charts/installer")
        .display()
        .to_string();
    let started = std::time::Instant::now();
    let sets = [
        format!("roleArn={ROLE_ARN}"),
        format!("image.repository={repository}"),
        format!("image.tag={tag}"),
        "region=us-west-2".to_owned(),
        format!("sageMakerEndpoint={}", emulator.endpoint),
        // No EKS webhook here: the chart projects the token itself.
        "irsa.projectToken=true".to_owned(),
        "extraEnv[0].name=AWS_ENDPOINT_URL_STS".to_owned(),
        format!("extraEnv[0].value={}", emulator.endpoint),
        "extraEnv[1].name=AWS_EC2_METADATA_DISABLED".to_owned(),
        "extraEnv[1].value=true".to_owned(),
    ];
    let mut args = vec![
        "install",
        "sagemaker-operator",
        chart.as_str(),
        "--namespace",
        OPERATOR_NAMESPACE,
        "--create-namespace",
        "--wait",
        "--timeout",
        "180s",
    ];
    for set in &sets {
        // Environment values are strings even when they look like booleans.
        let flag = if set.starts_with("extraEnv[") {
            "--set-string"
        } else {
            "--set"
        };
        args.extend([flag, set.as_str()]);
    }
    let installed = api.helm(&args).await;
    if !installed.success() {
        let pods = api
            .kubectl(&["-n", OPERATOR_NAMESPACE, "describe", "pods"])
            .await;
        panic!(
            "helm install failed:\n{}\n{}\n--- pods ---\n{}",
            installed.stdout, installed.stderr, pods.stdout
        );
    }
    eprintln!("helm install: available after {:.1?}", started.elapsed());

    // The chart's test hook: a pod of the same image asks the operator's /readyz. It can fail:
    // with no operator pod it must, saying why in its log.
    let helm_test = || {
        api.helm(&[
            "test",
            "sagemaker-operator",
            "--namespace",
            OPERATOR_NAMESPACE,
            "--timeout",
            "120s",
        ])
    };
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "scale",
            "deployment",
            DEPLOYMENT,
            "--replicas=0",
        ])
        .await,
        "scaling to 0",
    );
    wait_until(
        Duration::from_secs(60),
        "the operator pod to be gone",
        || async {
            jsonpath(
                api,
                OPERATOR_NAMESPACE,
                &["pods", "-l", "control-plane=controller-manager"],
                "{.items[*].metadata.name}",
            )
            .await
            .is_empty()
            .then_some(())
        },
    )
    .await;
    let failed = helm_test().await;
    assert!(
        !failed.success(),
        "helm test passes without an operator:\n{}",
        failed.stdout
    );
    let reason = api
        .kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "logs",
            "sagemaker-k8s-operator-test-serving",
        ])
        .await;
    assert!(
        reason.stderr.contains("no operator pod matches")
            || reason.stdout.contains("no operator pod matches"),
        "{}{}",
        reason.stdout,
        reason.stderr
    );
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "scale",
            "deployment",
            DEPLOYMENT,
            "--replicas=1",
        ])
        .await,
        "scaling to 1",
    );
    wait_for_available(api, node).await;
    let tested = check(helm_test().await, "helm test");
    let serving = tested
        .stdout
        .split("TEST SUITE:     sagemaker-k8s-operator-test-serving")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", tested.stdout));
    assert!(
        serving
            .lines()
            .take(4)
            .any(|line| line.contains("Phase:          Succeeded")),
        "{}",
        tested.stdout
    );

    // Credentials from the chart-projected token: a job completes, signed with STS-issued keys.
    let namespace = api.create_namespace("helm-guide").await;
    let sample = repo_root()
        .join("samples/xgboost-mnist-trainingjob.yaml")
        .display()
        .to_string();
    check(
        api.kubectl(&["-n", &namespace, "apply", "-f", &sample])
            .await,
        "applying the training job",
    );
    wait_until(
        Duration::from_secs(240),
        "the training job to complete",
        || async {
            (jsonpath(
                api,
                &namespace,
                &["trainingjob", "xgboost-mnist"],
                "{.status.trainingJobStatus}",
            )
            .await
                == "Completed")
                .then_some(())
        },
    )
    .await;
    let calls = reqwest_free_get(&emulator.url("/_emulator/calls")).await;
    assert!(calls.contains("AssumeRoleWithWebIdentity"), "{calls}");
    assert!(
        !manager_logs(api).await.contains("eyJhbGciOi"),
        "a token in the manager's log"
    );

    check(
        api.kubectl(&[
            "-n",
            &namespace,
            "delete",
            "-f",
            &sample,
            "--wait=true",
            "--timeout=120s",
        ])
        .await,
        "deleting the training job",
    );
    check(
        api.helm(&[
            "uninstall",
            "sagemaker-operator",
            "--namespace",
            OPERATOR_NAMESPACE,
            "--wait",
            "--timeout",
            "120s",
        ])
        .await,
        "helm uninstall",
    );
    // Nothing of the release is left: no labelled object in its namespace, no cluster object.
    let left = check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "get",
            "all,serviceaccounts,roles,rolebindings,configmaps,secrets",
            "-l",
            "app.kubernetes.io/instance=sagemaker-operator",
            "-o",
            "name",
        ])
        .await,
        "listing what the release left",
    );
    assert_eq!(
        left.stdout.trim(),
        "",
        "objects of the release after helm uninstall"
    );
    // The garbage collector deletes the Deployment's pods after helm has deleted the Deployment.
    wait_until(
        Duration::from_secs(90),
        "no pod (the test hook's included) after helm uninstall",
        || async {
            let pods = api
                .kubectl(&["-n", OPERATOR_NAMESPACE, "get", "pods", "-o", "name"])
                .await;
            (pods.success() && pods.stdout.trim().is_empty()).then_some(())
        },
    )
    .await;
    // The namespace came from --create-namespace, which helm never deletes.
    check(
        api.kubectl(&[
            "delete",
            "namespace",
            OPERATOR_NAMESPACE,
            "--wait=true",
            "--timeout=120s",
        ])
        .await,
        "deleting the namespace",
    );
    // helm uninstall keeps the CRDs on purpose (resource-policy keep: deleting them would delete
    // every SageMaker object); they are all that is left, and docs/uninstall.md removes them.
    let kept: Vec<String> = cluster_objects(api)
        .await
        .into_iter()
        .filter(|name| !before.contains(name))
        .collect();
    let crd_files = std::fs::read_dir(repo_root().join("deploy/crds"))
        .expect("deploy/crds")
        .count();
    assert_eq!(kept.len(), crd_files, "only the CRDs are kept: {kept:?}");
    assert!(
        kept.iter()
            .all(|name| name.starts_with("customresourcedefinition.apiextensions.k8s.io/")),
        "{kept:?}"
    );
    let crds = repo_root()
        .join("release/rolebased/namespaced/crd.yaml")
        .display()
        .to_string();
    check(
        api.kubectl(&["delete", "-f", &crds, "--wait=true", "--timeout=120s"])
            .await,
        "deleting the CRDs as docs/uninstall.md says",
    );
    assert_eq!(
        cluster_objects(api).await,
        before,
        "no cluster object left behind"
    );
}

/// SageMaker's ListTrainingJobs from the emulator, signed with the test's key (curl's SigV4).
async fn sagemaker_training_job_names(emulator: &Emulator) -> Vec<String> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let body = match &token {
            Some(token) => serde_json::json!({"MaxResults": 100, "NextToken": token}),
            None => serde_json::json!({"MaxResults": 100}),
        };
        let output = tokio::process::Command::new("curl")
            .args([
                "-fsS",
                "--aws-sigv4",
                "aws:amz:us-west-2:sagemaker",
                "--user",
                TEST_KEY,
            ])
            .args([
                "-H",
                "X-Amz-Target: SageMaker.ListTrainingJobs",
                "-H",
                "Content-Type: application/x-amz-json-1.1",
            ])
            .args(["-d", &body.to_string(), &emulator.endpoint])
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "ListTrainingJobs: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let page: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for job in page["TrainingJobSummaries"].as_array().unwrap() {
            names.push(job["TrainingJobName"].as_str().unwrap().to_owned());
        }
        match page["NextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return names,
        }
    }
}

#[tokio::test]
async fn namespaced_operator_with_two_replicas_fails_over_without_duplicates_and_ignores_other_namespaces()
 {
    let Some((node, image)) = node_with_image().await else {
        return;
    };
    let _install = INSTALLS.lock().await;
    let api = node.api();
    let emulator = Emulator::start_on(
        NODE_IP,
        &["--time-scale", "0.02", "--credentials", TEST_KEY],
    )
    .await;
    let (repository, tag) = image.split_once(':').unwrap();
    let watched = api.create_namespace("watched").await;
    let elsewhere = api.create_namespace("elsewhere").await;
    // The namespaced installation: the CRDs first (cluster-wide), then the operator with Roles.
    let crds = repo_root()
        .join("release/rolebased/namespaced/crd.yaml")
        .display()
        .to_string();
    check(
        api.kubectl(&["apply", "--server-side", "-f", &crds]).await,
        "applying crd.yaml",
    );
    let chart = repo_root()
        .join("deploy/charts/installer")
        .display()
        .to_string();
    let sets = [
        format!("roleArn={ROLE_ARN}"),
        format!("image.repository={repository}"),
        format!("image.tag={tag}"),
        "namespaced=true".to_owned(),
        format!("watchNamespace={watched}"),
        "replicas=2".to_owned(),
        "region=us-west-2".to_owned(),
        format!("sageMakerEndpoint={}", emulator.endpoint),
        "irsa.projectToken=true".to_owned(),
        "extraEnv[0].name=AWS_ENDPOINT_URL_STS".to_owned(),
        format!("extraEnv[0].value={}", emulator.endpoint),
    ];
    let mut args = vec![
        "install",
        "sagemaker-operator",
        chart.as_str(),
        "--namespace",
        OPERATOR_NAMESPACE,
        "--create-namespace",
        "--wait",
        "--timeout",
        "180s",
    ];
    for set in &sets {
        // Environment values are strings even when they look like booleans.
        let flag = if set.starts_with("extraEnv[") {
            "--set-string"
        } else {
            "--set"
        };
        args.extend([flag, set.as_str()]);
    }
    check(
        api.helm(&args).await,
        "helm install (namespaced, 2 replicas)",
    );

    // An object outside the watched namespace gets no status and no SageMaker job.
    let sample =
        std::fs::read_to_string(repo_root().join("samples/xgboost-mnist-trainingjob.yaml"))
            .unwrap();
    let named =
        |name: &str| sample.replacen("  name: xgboost-mnist\n", &format!("  name: {name}\n"), 1);
    check(
        api.kubectl_stdin(&["-n", &elsewhere, "apply", "-f", "-"], &named("outside"))
            .await,
        "applying outside",
    );

    // 200 jobs; the leader's pod is deleted while they are being created.
    let all: String = (0..200)
        .map(|index| format!("---\n{}", named(&format!("ha-{index:03}"))))
        .collect();
    let started = std::time::Instant::now();
    check(
        api.kubectl_stdin(&["-n", &watched, "apply", "-f", "-"], &all)
            .await,
        "applying 200 jobs",
    );
    wait_until(
        Duration::from_secs(120),
        "the first SageMaker jobs",
        || async { (sagemaker_training_job_names(&emulator).await.len() >= 20).then_some(()) },
    )
    .await;
    let holder = jsonpath(
        api,
        OPERATOR_NAMESPACE,
        &["lease", "sagemaker-k8s-operator-leader"],
        "{.spec.holderIdentity}",
    )
    .await;
    let leader_pod = holder
        .rsplit_once('_')
        .map(|(pod, _)| pod.to_owned())
        .unwrap_or_else(|| panic!("holder identity {holder:?}"));
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "delete",
            "pod",
            &leader_pod,
            "--wait=false",
        ])
        .await,
        "deleting the leader's pod",
    );
    let created_at_kill = sagemaker_training_job_names(&emulator).await.len();
    wait_until(
        Duration::from_secs(120),
        "another replica to hold the Lease",
        || async {
            let now = jsonpath(
                api,
                OPERATOR_NAMESPACE,
                &["lease", "sagemaker-k8s-operator-leader"],
                "{.spec.holderIdentity}",
            )
            .await;
            (!now.is_empty() && !now.starts_with(&format!("{leader_pod}_"))).then_some(())
        },
    )
    .await;
    wait_until(
        Duration::from_secs(400),
        "all 200 jobs to complete",
        || async {
            let statuses = jsonpath(
                api,
                &watched,
                &["trainingjobs"],
                "{range .items[*]}{.status.trainingJobStatus}{\"\\n\"}{end}",
            )
            .await;
            (statuses
                .lines()
                .filter(|status| *status == "Completed")
                .count()
                == 200)
                .then_some(())
        },
    )
    .await;
    eprintln!(
        "failover: 200 jobs completed in {:.1?} (leader killed after {created_at_kill} were created)",
        started.elapsed()
    );

    // Exactly one SageMaker job per object, and none for the object outside.
    let names = sagemaker_training_job_names(&emulator).await;
    assert_eq!(
        names.len(),
        200,
        "one SageMaker job per object: {} jobs",
        names.len()
    );
    let mapped = jsonpath(
        api,
        &watched,
        &["trainingjobs"],
        "{range .items[*]}{.status.sageMakerTrainingJobName}{\"\\n\"}{end}",
    )
    .await;
    let mut mapped: Vec<&str> = mapped.lines().collect();
    mapped.sort();
    mapped.dedup();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        mapped,
        sorted.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        jsonpath(api, &elsewhere, &["trainingjob", "outside"], "{.status}").await,
        "",
        "the namespaced operator left the outside object alone"
    );

    check(
        api.kubectl(&[
            "-n",
            &watched,
            "delete",
            "trainingjobs",
            "--all",
            "--wait=true",
            "--timeout=240s",
        ])
        .await,
        "deleting the jobs",
    );
    check(
        api.kubectl(&[
            "-n",
            &elsewhere,
            "patch",
            "trainingjob",
            "outside",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ])
        .await,
        "outside has no finalizer to wait for",
    );
    check(
        api.helm(&[
            "uninstall",
            "sagemaker-operator",
            "--namespace",
            OPERATOR_NAMESPACE,
            "--wait",
            "--timeout",
            "120s",
        ])
        .await,
        "helm uninstall",
    );
    check(
        api.kubectl(&[
            "delete",
            "namespace",
            OPERATOR_NAMESPACE,
            "--wait=true",
            "--timeout=120s",
        ])
        .await,
        "deleting the namespace",
    );
    check(
        api.kubectl(&["delete", "-f", &crds, "--wait=true", "--timeout=120s"])
            .await,
        "deleting the CRDs",
    );
}

/// A one-shot pod of the operator's image; returns (phase, log) once it has finished.
async fn run_image_pod(
    api: &ControlPlane,
    namespace: &str,
    name: &str,
    image: &str,
    service_account: &str,
    args: &[&str],
) -> (String, String) {
    let pod = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "serviceAccountName": service_account,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 1,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "main",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/sagemaker-k8s-operator"],
                "args": args,
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
            }],
        },
    });
    check(
        api.kubectl_stdin(&["apply", "-f", "-"], &pod.to_string())
            .await,
        &format!("creating pod {name}"),
    );
    let phase = wait_until(
        Duration::from_secs(120),
        &format!("pod {name} to finish"),
        || async {
            let phase = jsonpath(api, namespace, &["pod", name], "{.status.phase}").await;
            (phase == "Succeeded" || phase == "Failed").then_some(phase)
        },
    )
    .await;
    let log = api.kubectl(&["-n", namespace, "logs", name]).await;
    (phase, format!("{}{}", log.stdout, log.stderr))
}

#[tokio::test]
async fn metrics_are_scraped_from_another_pod_only_with_the_reader_role_and_bad_args_say_why() {
    let Some((node, image)) = node_with_image().await else {
        return;
    };
    let _install = INSTALLS.lock().await;
    let api = node.api();
    let emulator = Emulator::start_on(NODE_IP, &["--time-scale", "0.02"]).await;
    let (repository, tag) = image.split_once(':').unwrap();
    let chart = repo_root()
        .join("deploy/charts/installer")
        .display()
        .to_string();
    let sets = [
        format!("roleArn={ROLE_ARN}"),
        format!("image.repository={repository}"),
        format!("image.tag={tag}"),
        format!("sageMakerEndpoint={}", emulator.endpoint),
    ];
    let mut args = vec![
        "install",
        "sagemaker-operator",
        chart.as_str(),
        "--namespace",
        OPERATOR_NAMESPACE,
        "--create-namespace",
        "--wait",
        "--timeout",
        "180s",
    ];
    for set in &sets {
        args.extend(["--set", set.as_str()]);
    }
    check(api.helm(&args).await, "helm install");
    let operator_ip = jsonpath(
        api,
        OPERATOR_NAMESPACE,
        &["pods", "-l", "control-plane=controller-manager"],
        "{.items[0].status.podIP}",
    )
    .await;
    assert!(
        operator_ip.starts_with("198.51.100."),
        "pod IP {operator_ip:?}"
    );
    let url = format!("https://{operator_ip}:8443");

    let namespace = api.create_namespace("scrapers").await;
    for account in ["scraper", "stranger"] {
        check(
            api.kubectl(&["-n", &namespace, "create", "serviceaccount", account])
                .await,
            "creating a ServiceAccount",
        );
    }
    // As docs/metrics.md says: bind the reader ClusterRole to the scraper.
    check(
        api.kubectl(&[
            "create",
            "clusterrolebinding",
            &format!("{namespace}-scraper"),
            "--clusterrole=sagemaker-k8s-operator-metrics-reader",
            &format!("--serviceaccount={namespace}:scraper"),
        ])
        .await,
        "binding the reader role",
    );
    let (phase, log) = run_image_pod(
        api,
        &namespace,
        "scrape-allowed",
        &image,
        "scraper",
        &["scrape-metrics", &url],
    )
    .await;
    assert_eq!(phase, "Succeeded", "{log}");
    assert!(log.contains("metrics: HTTP 200"), "{log}");
    let (phase, log) = run_image_pod(
        api,
        &namespace,
        "scrape-denied",
        &image,
        "stranger",
        &["scrape-metrics", &url],
    )
    .await;
    assert_eq!(phase, "Failed", "{log}");
    assert!(
        log.contains("metrics: HTTP 403"),
        "a token without the reader role: {log}"
    );

    // An image started with a bad argument says what is wrong on its log's first line.
    let (phase, log) = run_image_pod(
        api,
        &namespace,
        "bad-args",
        &image,
        "default",
        &["run", "--no-such-flag"],
    )
    .await;
    assert_eq!(phase, "Failed");
    let first = log.lines().next().unwrap_or_default();
    assert!(
        first.contains("unexpected argument '--no-such-flag'"),
        "first log line: {first:?}\n{log}"
    );
    let reason = jsonpath(
        api,
        &namespace,
        &["pod", "bad-args"],
        "{.status.containerStatuses[0].state.terminated.exitCode}",
    )
    .await;
    assert_eq!(reason, "2", "clap's usage error code");

    check(
        api.kubectl(&[
            "delete",
            "clusterrolebinding",
            &format!("{namespace}-scraper"),
        ])
        .await,
        "unbinding",
    );
    check(
        api.helm(&[
            "uninstall",
            "sagemaker-operator",
            "--namespace",
            OPERATOR_NAMESPACE,
            "--wait",
            "--timeout",
            "120s",
        ])
        .await,
        "helm uninstall",
    );
    check(
        api.kubectl(&[
            "delete",
            "namespace",
            OPERATOR_NAMESPACE,
            "--wait=true",
            "--timeout=120s",
        ])
        .await,
        "deleting the namespace",
    );
    let crds = repo_root()
        .join("release/rolebased/namespaced/crd.yaml")
        .display()
        .to_string();
    check(
        api.kubectl(&["delete", "-f", &crds, "--wait=true", "--timeout=120s"])
            .await,
        "deleting the CRDs",
    );
}

#[tokio::test]
async fn missing_crds_and_a_missing_role_annotation_are_said_in_one_line() {
    let Some((node, image)) = node_with_image().await else {
        return;
    };
    let _install = INSTALLS.lock().await;
    let api = node.api();
    let emulator = Emulator::start_on(
        NODE_IP,
        &["--time-scale", "0.02", "--credentials", TEST_KEY],
    )
    .await;
    let set_image = |text: &str| -> String {
        text.lines()
            .map(|line| {
                if line
                    .trim_start()
                    .starts_with("image: \"sagemaker-k8s-operator:")
                {
                    format!(
                        "{}image: \"{image}\"",
                        &line[..line.len() - line.trim_start().len()]
                    )
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };

    // 1. The namespaced operator without its CRDs: not ready, and its log says why in one line.
    let operator = set_image(
        &std::fs::read_to_string(repo_root().join("release/rolebased/namespaced/operator.yaml"))
            .unwrap(),
    );
    check(
        api.kubectl_stdin(&["apply", "-f", "-"], &operator).await,
        "applying namespaced/operator.yaml without crd.yaml",
    );
    let line = wait_until(
        Duration::from_secs(120),
        "the manager to log the missing CRDs",
        || async {
            let logs = api
                .kubectl(&[
                    "-n",
                    OPERATOR_NAMESPACE,
                    "logs",
                    &format!("deployment/{DEPLOYMENT}"),
                    "-c",
                    "manager",
                ])
                .await;
            logs.stdout
                .lines()
                .find(|line| line.contains("CustomResourceDefinitions not installed"))
                .map(str::to_owned)
        },
    )
    .await;
    assert!(
        line.contains("trainingjobs.sagemaker.aws.amazon.com") && line.contains("crd.yaml"),
        "{line}"
    );
    let ready = jsonpath(
        api,
        OPERATOR_NAMESPACE,
        &["pods", "-l", "control-plane=controller-manager"],
        "{.items[0].status.conditions[?(@.type==\"Ready\")].status}",
    )
    .await;
    assert_eq!(ready, "False", "not ready without its CRDs");
    let crds = repo_root()
        .join("release/rolebased/namespaced/crd.yaml")
        .display()
        .to_string();
    check(
        api.kubectl(&["apply", "--server-side", "-f", &crds]).await,
        "applying crd.yaml",
    );
    wait_for_available(api, node).await;
    check(
        api.kubectl_stdin(
            &["delete", "-f", "-", "--wait=true", "--timeout=120s"],
            &operator,
        )
        .await,
        "deleting operator.yaml",
    );

    // 2. The cluster installer with its role annotation removed and nothing injected (as on EKS
    // without the annotation): a job's status says the credentials are missing, in one line.
    let installer = set_image(
        &std::fs::read_to_string(repo_root().join("release/rolebased/installer.yaml")).unwrap(),
    );
    let without_role: String = installer
        .lines()
        .filter(|line| !line.contains("eks.amazonaws.com/role-arn"))
        .collect::<Vec<_>>()
        .join("\n");
    check(
        api.kubectl_stdin(&["apply", "-f", "-"], &without_role)
            .await,
        "applying installer.yaml without the role annotation",
    );
    let env = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "manager", "env": [
        {"name": "AWS_REGION", "value": "us-west-2"},
        {"name": "AWS_DEFAULT_SAGEMAKER_ENDPOINT", "value": emulator.endpoint},
        {"name": "AWS_EC2_METADATA_DISABLED", "value": "true"},
    ]}]}}}});
    check(
        api.kubectl(&[
            "-n",
            OPERATOR_NAMESPACE,
            "patch",
            "deployment",
            DEPLOYMENT,
            "--type=strategic",
            "-p",
            &env.to_string(),
        ])
        .await,
        "pointing at the emulator",
    );
    wait_for_available(api, node).await;
    let namespace = api.create_namespace("no-role").await;
    let sample = repo_root()
        .join("samples/xgboost-mnist-trainingjob.yaml")
        .display()
        .to_string();
    check(
        api.kubectl(&["-n", &namespace, "apply", "-f", &sample])
            .await,
        "applying a training job",
    );
    let said = wait_until(
        Duration::from_secs(120),
        "the job's status or events to name the missing credentials",
        || async {
            let status = jsonpath(
                api,
                &namespace,
                &["trainingjob", "xgboost-mnist"],
                "{.status.conditions[*].message}",
            )
            .await;
            let events = api
                .kubectl(&[
                    "-n",
                    &namespace,
                    "get",
                    "events",
                    "-o",
                    "jsonpath={.items[*].message}",
                ])
                .await
                .stdout;
            [status, events]
                .into_iter()
                .find(|text| text.to_lowercase().contains("credential"))
        },
    )
    .await;
    assert!(!said.contains('\n'), "one line: {said}");
    // One short configuration message naming what to set, not the SDK's debug text.
    assert!(
        said.contains("AWS credentials are missing or were refused")
            && said.contains("eks.amazonaws.com/role-arn"),
        "{said}"
    );
    assert!(!said.contains("CredentialsNotLoaded"), "{said}");
    eprintln!("without a role: {said}");
    // Without credentials the operator cannot stop the job in SageMaker, so its finalizer stays:
    // remove it as docs/troubleshooting.md says (the emulator's job is left, as it would be).
    check(
        api.kubectl(&["-n", &namespace, "delete", "-f", &sample, "--wait=false"])
            .await,
        "deleting the job",
    );
    check(
        api.kubectl(&[
            "-n",
            &namespace,
            "patch",
            "trainingjob",
            "xgboost-mnist",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ])
        .await,
        "removing the finalizer",
    );
    check(
        api.kubectl_stdin(
            &["delete", "-f", "-", "--wait=true", "--timeout=180s"],
            &without_role,
        )
        .await,
        "deleting the installer",
    );
}
