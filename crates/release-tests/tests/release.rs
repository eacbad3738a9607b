//! The release artefacts against the real tools: `helm lint`, `helm template | kubectl apply
//! --dry-run=server`, real installs of the charts and of the generated installers on a real
//! kube-apiserver, the drift check of the generated files, the samples, the Dockerfile, the krew
//! manifest, and `scripts/sandbox` end to end.

use std::path::{Path, PathBuf};
use std::process::Command;

use std::time::Duration;

use sagemaker_k8s_testenv::{
    ChildProcess, CommandOutput, TestUser, control_plane, process_is_running, repo_root,
    tools_bin_dir, workspace_binary, workspace_target_dir,
};
use tokio::sync::OnceCell;

const OPERATOR_NAMESPACE: &str = "sagemaker-k8s-operator-system";
const OPERATOR_SA: &str =
    "system:serviceaccount:sagemaker-k8s-operator-system:sagemaker-k8s-operator-default";

/// (chart directory, chart name in `helm ls`, sentence of its NOTES, kind it creates)
const JOB_CHARTS: [(&str, &str, &str, &str); 14] = [
    (
        "training-jobs",
        "sagemaker-k8s-trainingjob",
        "Thanks for installing the sagemaker-k8s-trainingjob.",
        "trainingjob",
    ),
    (
        "hyperparameter-tuning-jobs",
        "sagemaker-k8s-hyperparametertuningjob",
        "Thanks for installing the sagemaker-k8s-hyperparametertuningjob.",
        "hyperparametertuningjob",
    ),
    (
        "batch-transform-jobs",
        "sagemaker-k8s-batchtransformjob",
        "Thanks for installing the sagemaker-k8s-batch-transform-job.",
        "batchtransformjob",
    ),
    (
        "hosting-deployment",
        "sagemaker-k8s-hostingdeployment",
        "Thanks for installing the sagemaker-k8s-hostingdeployment.",
        "hostingdeployment",
    ),
    (
        "processing-jobs",
        "sagemaker-k8s-processingjob",
        "Thanks for installing the sagemaker-k8s-processingjob.",
        "processingjob",
    ),
    (
        "hosting-autoscaling-policy",
        "sagemaker-k8s-hostingautoscalingpolicy",
        "Thanks for installing the sagemaker-k8s-hostingautoscalingpolicy.",
        "hostingautoscalingpolicy",
    ),
    (
        "endpoint",
        "sagemaker-k8s-endpoint",
        "Thanks for installing the sagemaker-k8s-endpoint.",
        "endpoint",
    ),
    (
        "inference-component",
        "sagemaker-k8s-inferencecomponent",
        "Thanks for installing the sagemaker-k8s-inferencecomponent.",
        "inferencecomponent",
    ),
    (
        "model-package-group",
        "sagemaker-k8s-modelpackagegroup",
        "Thanks for installing the sagemaker-k8s-modelpackagegroup.",
        "modelpackagegroup",
    ),
    (
        "model-package",
        "sagemaker-k8s-modelpackage",
        "Thanks for installing the sagemaker-k8s-modelpackage.",
        "modelpackage",
    ),
    (
        "compilation-job",
        "sagemaker-k8s-compilationjob",
        "Thanks for installing the sagemaker-k8s-compilationjob.",
        "compilationjob",
    ),
    (
        "pipeline",
        "sagemaker-k8s-pipeline",
        "Thanks for installing the sagemaker-k8s-pipeline.",
        "pipeline",
    ),
    (
        "pipeline-execution",
        "sagemaker-k8s-pipelineexecution",
        "Thanks for installing the sagemaker-k8s-pipelineexecution.",
        "pipelineexecution",
    ),
    (
        "automl-job",
        "sagemaker-k8s-automljob",
        "Thanks for installing the sagemaker-k8s-automljob.",
        "automljobv2",
    ),
];

const SAMPLES: [&str; 19] = [
    "xgboost-mnist-trainingjob.yaml",
    "xgboost-mnist-hpo.yaml",
    "xgboost-mnist-batchtransform.yaml",
    "xgboost-mnist-hostingdeployment.yaml",
    "spot-xgboost-mnist-trainingjob.yaml",
    "xgboost-mnist-custom-endpoint.yaml",
    "xgboost-multi-model-hostingdeployment.yaml",
    "xgboost-mnist-processingjob.yaml",
    "xgboost-mnist-hostingautoscalingpolicy.yaml",
    "xgboost-inline-container-hostingdeployment.yaml",
    "xgboost-inline-pipeline-hostingdeployment.yaml",
    "xgboost-mnist-endpointconfig.yaml",
    "xgboost-mnist-endpoint.yaml",
    "inference-components.yaml",
    "model-package-group.yaml",
    "model-package.yaml",
    "xgboost-mnist-compilationjob.yaml",
    "pipeline.yaml",
    "automl-job.yaml",
];

fn path(relative: &str) -> String {
    repo_root().join(relative).display().to_string()
}

fn chart(name: &str) -> String {
    path(&format!("deploy/charts/{name}"))
}

/// The CRDs of deploy/crds, installed once per test binary (server-side apply, then Established)
/// before any test applies objects of their kinds.
async fn ensure_crds() {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let cp = control_plane().await;
        let crds = path("deploy/crds");
        cp.kubectl(&["apply", "--server-side", "--force-conflicts", "-f", &crds])
            .await
            .expect_success();
        cp.kubectl(&[
            "wait",
            "--for",
            "condition=Established",
            "--timeout=60s",
            "-f",
            &crds,
        ])
        .await
        .expect_success();
    })
    .await;
}

/// The operator's namespace, created once (several tests install into it).
async fn ensure_operator_namespace() {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let cp = control_plane().await;
        let namespace =
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {OPERATOR_NAMESPACE}\n");
        cp.kubectl_stdin(&["apply", "-f", "-"], &namespace)
            .await
            .expect_success();
    })
    .await;
}

async fn helm_template(args: &[&str]) -> String {
    let cp = control_plane().await;
    let mut all = vec!["template"];
    all.extend_from_slice(args);
    cp.helm(&all).await.expect_success().stdout
}

/// `kubectl auth can-i VERB RESOURCE`. A subresource is written `plural/sub.group` (for example
/// `models/status.sagemaker.aws.amazon.com`) and passed as `--subresource`: kubectl itself would
/// read `plural/sub.group` as an object named `sub.group`, and the check would ask the wrong
/// question.
async fn can_i(user: &str, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
    let cp = control_plane().await;
    let (resource, subresource) = match resource.split_once('/') {
        Some((plural, rest))
            if ["status", "finalizers"]
                .iter()
                .any(|sub| rest.split('.').next() == Some(sub)) =>
        {
            let (sub, group) = rest.split_once('.').unwrap_or((rest, ""));
            let resource = if group.is_empty() {
                plural.to_owned()
            } else {
                format!("{plural}.{group}")
            };
            (resource, Some(format!("--subresource={sub}")))
        }
        _ => (resource.to_owned(), None),
    };
    let mut args = vec!["auth", "can-i", verb, resource.as_str(), "--as", user];
    if let Some(subresource) = &subresource {
        args.push(subresource);
    }
    match namespace {
        Some(namespace) => args.extend_from_slice(&["-n", namespace]),
        None => args.push("--all-namespaces"),
    }
    let output = cp.kubectl(&args).await;
    // `can-i` exits 1 with "no"; anything else is an error of the check itself.
    match output.stdout.trim() {
        "yes" => true,
        "no" => false,
        other => panic!(
            "{}: unexpected answer {other:?}; stderr: {}",
            output.command, output.stderr
        ),
    }
}

fn assert_contains(output: &CommandOutput, needle: &str) {
    assert!(
        output.stdout.contains(needle),
        "`{}` printed no {needle:?}:\n{}\n{}",
        output.command,
        output.stdout,
        output.stderr
    );
}

#[tokio::test]
async fn helm_lint_passes_for_every_chart_and_mode() {
    let cp = control_plane().await;
    let mut charts: Vec<String> = std::fs::read_dir(repo_root().join("deploy/charts"))
        .expect("deploy/charts")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    charts.sort();
    assert_eq!(
        charts,
        [
            "automl-job",
            "batch-transform-jobs",
            "compilation-job",
            "endpoint",
            "hosting-autoscaling-policy",
            "hosting-deployment",
            "hyperparameter-tuning-jobs",
            "inference-component",
            "installer",
            "model-package",
            "model-package-group",
            "pipeline",
            "pipeline-execution",
            "processing-jobs",
            "training-jobs"
        ]
    );
    for name in &charts {
        let output = cp
            .helm(&["lint", "--strict", &chart(name)])
            .await
            .expect_success();
        assert_contains(&output, "1 chart(s) linted, 0 chart(s) failed");
    }
    cp.helm(&[
        "lint",
        "--strict",
        &chart("installer"),
        "--set",
        "namespaced=true",
    ])
    .await
    .expect_success();
    // An empty role ARN would install an operator that cannot reach AWS: rendering refuses it.
    let output = cp
        .helm(&["template", "x", &chart("installer"), "--set", "roleArn="])
        .await
        .expect_failure();
    assert!(
        output.stderr.contains("roleArn is required"),
        "{}",
        output.stderr
    );
    // A deletion policy the operator would refuse to start with is refused at render time.
    let output = cp
        .helm(&[
            "template",
            "x",
            &chart("installer"),
            "--set",
            "deletionPolicy=keep",
        ])
        .await
        .expect_failure();
    assert!(
        output
            .stderr
            .contains(r#"deletionPolicy is "keep"; allowed: delete, retain"#),
        "{}",
        output.stderr
    );
    let rendered =
        helm_template(&["x", &chart("installer"), "--set", "deletionPolicy=retain"]).await;
    assert!(
        rendered.contains("- --deletion-policy=retain"),
        "{rendered}"
    );
}

#[test]
fn generated_installers_match_the_chart_and_crds() {
    let output = Command::new(repo_root().join("scripts/release-manifests"))
        .arg("--check")
        .env("SAGEMAKER_K8S_TOOLS_BIN", tools_bin_dir())
        .output()
        .expect("running scripts/release-manifests --check");
    assert!(
        output.status.success(),
        "scripts/release-manifests --check failed (run scripts/release-manifests and commit):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The installer carries exactly the CRDs of deploy/crds.
    let installer =
        std::fs::read_to_string(repo_root().join("release/rolebased/installer.yaml")).unwrap();
    let crd_files = std::fs::read_dir(repo_root().join("deploy/crds"))
        .unwrap()
        .count();
    assert_eq!(
        installer
            .matches("\nkind: CustomResourceDefinition\n")
            .count(),
        crd_files
    );
    assert_eq!(crd_files, 16);
}

#[tokio::test]
async fn every_chart_renders_objects_the_apiserver_accepts() {
    let cp = control_plane().await;
    ensure_crds().await;
    let namespace = cp.create_namespace("chart-dry-run").await;
    // Cluster mode (CRDs included) and namespaced mode of the installer. Without the `helm test`
    // hook: its pod names a ServiceAccount that a dry run never creates (the hook runs for real
    // in tests/in_cluster.rs).
    let rendered = [
        helm_template(&["op", &chart("installer"), "-n", &namespace, "--skip-tests"]).await,
        helm_template(&[
            "op",
            &chart("installer"),
            "-n",
            &namespace,
            "--skip-tests",
            "--set",
            "namespaced=true",
        ])
        .await,
    ];
    for manifest in &rendered {
        let output = cp
            .kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], manifest)
            .await
            .expect_success();
        assert_contains(
            &output,
            "deployment.apps/sagemaker-k8s-operator-controller-manager created (server dry run)",
        );
    }
    assert!(rendered[0].contains("kind: CustomResourceDefinition"));
    assert!(
        !rendered[1].contains("kind: CustomResourceDefinition"),
        "namespaced mode must not carry CRDs"
    );
    assert!(
        !rendered[1]
            .contains("kind: ClusterRole\nmetadata:\n  name: sagemaker-k8s-operator-manager-role")
    );
    for (dir, _, _, kind) in JOB_CHARTS {
        let manifest = helm_template(&["job", &chart(dir), "-n", &namespace]).await;
        let output = cp
            .kubectl_stdin(
                &["apply", "--dry-run=server", "-n", &namespace, "-f", "-"],
                &manifest,
            )
            .await
            .expect_success();
        assert_contains(
            &output,
            &format!("{kind}.sagemaker.aws.amazon.com/job created (server dry run)"),
        );
    }
}

#[tokio::test]
async fn job_charts_install_with_the_guides_chart_names_and_notes() {
    let cp = control_plane().await;
    ensure_crds().await;
    let namespace = cp.create_namespace("job-charts").await;
    for (dir, chart_name, notes, kind) in JOB_CHARTS {
        let release = format!("{dir}-release");
        let output = cp
            .helm(&[
                "install",
                &release,
                &chart(dir),
                "-n",
                &namespace,
                "--wait=false",
            ])
            .await
            .expect_success();
        assert_contains(&output, notes);
        // Fully qualified: `endpoint` alone is the core Endpoints kind.
        cp.kubectl(&[
            "get",
            &format!("{kind}.sagemaker.aws.amazon.com"),
            &release,
            "-n",
            &namespace,
        ])
        .await
        .expect_success();
        let list = cp.helm(&["ls", "-n", &namespace]).await.expect_success();
        assert_contains(&list, &format!("{chart_name}-0.1.0"));
    }
}

#[tokio::test]
async fn installer_chart_installs_a_namespaced_operator_with_roles_only() {
    let cp = control_plane().await;
    ensure_crds().await;
    let namespace = cp.create_namespace("namespaced-op").await;
    let other = cp.create_namespace("not-watched").await;
    let output = cp
        .helm(&[
            "install",
            "sagemaker-operator",
            &chart("installer"),
            "-n",
            &namespace,
            "--set",
            "namespaced=true",
            "--set",
            "roleArn=arn:aws:iam::123456789012:role/operator",
        ])
        .await
        .expect_success();
    assert_contains(&output, "STATUS: deployed");
    let args = cp
        .kubectl(&[
            "get",
            "deployment",
            "sagemaker-k8s-operator-controller-manager",
            "-n",
            &namespace,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].args}",
        ])
        .await
        .expect_success()
        .stdout;
    assert!(args.contains(&format!("--namespace={namespace}")), "{args}");
    let sa = format!("system:serviceaccount:{namespace}:sagemaker-k8s-operator-default");
    assert!(
        can_i(
            &sa,
            "watch",
            "trainingjobs.sagemaker.aws.amazon.com",
            Some(&namespace)
        )
        .await
    );
    assert!(
        can_i(
            &sa,
            "patch",
            "hostingdeployments.sagemaker.aws.amazon.com/status",
            Some(&namespace)
        )
        .await
    );
    assert!(
        !can_i(
            &sa,
            "list",
            "trainingjobs.sagemaker.aws.amazon.com",
            Some(&other)
        )
        .await
    );
    assert!(!can_i(&sa, "list", "trainingjobs.sagemaker.aws.amazon.com", None).await);
    assert!(can_i(&sa, "create", "tokenreviews.authentication.k8s.io", None).await);
}

#[tokio::test]
async fn generated_installers_apply_and_grant_least_privilege() {
    let cp = control_plane().await;
    ensure_crds().await;
    ensure_operator_namespace().await;
    let file = |name: &str| path(&format!("release/rolebased/{name}"));

    // Namespaced first: its Roles must be all the operator gets before the cluster-wide binding
    // of installer.yaml exists.
    cp.kubectl(&["apply", "-f", &file("namespaced/crd.yaml")])
        .await
        .expect_success();
    cp.kubectl(&["apply", "-f", &file("namespaced/operator.yaml")])
        .await
        .expect_success();
    assert!(
        can_i(
            OPERATOR_SA,
            "patch",
            "trainingjobs.sagemaker.aws.amazon.com",
            Some("default")
        )
        .await
    );
    assert!(
        !can_i(
            OPERATOR_SA,
            "patch",
            "trainingjobs.sagemaker.aws.amazon.com",
            Some("kube-public")
        )
        .await
    );
    // The deletion policy on the watched namespace is readable; other namespaces are not.
    assert!(can_i(OPERATOR_SA, "get", "namespaces/default", Some("default")).await);
    assert!(
        !can_i(
            OPERATOR_SA,
            "get",
            "namespaces/kube-public",
            Some("kube-public")
        )
        .await
    );

    let output = cp
        .kubectl(&["apply", "-f", &file("installer.yaml")])
        .await
        .expect_success();
    for object in [
        "namespace/sagemaker-k8s-operator-system",
        "serviceaccount/sagemaker-k8s-operator-default",
        "clusterrole.rbac.authorization.k8s.io/sagemaker-k8s-operator-manager-role",
        "role.rbac.authorization.k8s.io/sagemaker-k8s-operator-leader-election-role",
        "clusterrole.rbac.authorization.k8s.io/sagemaker-k8s-operator-metrics-auth-role",
        "clusterrole.rbac.authorization.k8s.io/sagemaker-k8s-operator-metrics-reader",
        "service/sagemaker-k8s-operator-controller-manager-metrics-service",
        "deployment.apps/sagemaker-k8s-operator-controller-manager",
        "validatingadmissionpolicy.admissionregistration.k8s.io/hostingdeployment-container-references.sagemaker.aws.amazon.com",
    ] {
        assert_contains(&output, object);
    }
    // The installed admission policy refuses what the CRD schema cannot: a HostingDeployment
    // whose model names a container its spec does not define. (The policy is enforced a moment
    // after it is created, once the apiserver has compiled it: retry until it is.)
    let references = cp.create_namespace("installer-policy").await;
    let unknown_hostname =
        std::fs::read_to_string(repo_root().join("samples/xgboost-mnist-hostingdeployment.yaml"))
            .unwrap()
            .replace("        - xgboost\n", "        - no-such-container\n");
    let refusal = sagemaker_k8s_testenv::wait_until(
        Duration::from_secs(30),
        "the admission policy enforced",
        || {
            let unknown_hostname = unknown_hostname.clone();
            let references = references.clone();
            async move {
                let output = cp
                    .kubectl_stdin(
                        &["apply", "--dry-run=server", "-n", &references, "-f", "-"],
                        &unknown_hostname,
                    )
                    .await;
                (!output.success()).then_some(output.stderr)
            }
        },
    )
    .await;
    assert!(
        refusal.contains("spec.models[].containers") && refusal.contains("xgboost-model"),
        "names the field and the model: {refusal}"
    );
    let annotation = cp
        .kubectl(&[
            "get",
            "serviceaccount",
            "sagemaker-k8s-operator-default",
            "-n",
            OPERATOR_NAMESPACE,
            "-o",
            "jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/role-arn}",
        ])
        .await
        .expect_success()
        .stdout;
    assert!(annotation.starts_with("arn:aws:iam::"), "{annotation:?}");

    let deployment: serde_json::Value = serde_json::from_str(
        &cp.kubectl(&[
            "get",
            "deployment",
            "sagemaker-k8s-operator-controller-manager",
            "-n",
            OPERATOR_NAMESPACE,
            "-o",
            "json",
        ])
        .await
        .expect_success()
        .stdout,
    )
    .unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["name"], "manager");
    assert_eq!(pod["serviceAccountName"], "sagemaker-k8s-operator-default");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"],
        serde_json::json!(["ALL"])
    );
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(container["resources"]["limits"]["memory"].is_string());
    assert_eq!(
        container["args"],
        serde_json::json!([
            "run",
            "--leader-elect",
            "--metrics-bind-address=0.0.0.0:8443",
            "--health-probe-bind-address=0.0.0.0:8081",
            "--log-format=json",
            "--deletion-policy=delete"
        ]),
        "the cluster-wide installer must replace the namespaced operator's args"
    );

    // The args must be ones the operator binary really accepts, or the installed Deployment
    // crash-loops: clap rejects an unknown flag before it reaches the trailing --help.
    let args: Vec<String> = container["args"]
        .as_array()
        .expect("args is a list")
        .iter()
        .map(|arg| arg.as_str().expect("args are strings").to_owned())
        .collect();
    let accepted = Command::new(workspace_binary("sagemaker-k8s-operator"))
        .args(&args)
        .arg("--help")
        .output()
        .expect("run the operator binary");
    assert!(
        accepted.status.success(),
        "the operator rejects the installer's args {args:?}: {}",
        String::from_utf8_lossy(&accepted.stderr)
    );

    // What the operator needs...
    let sagemaker = |resource: &str| format!("{resource}.sagemaker.aws.amazon.com");
    for (verb, resource) in [
        ("watch", sagemaker("hyperparametertuningjobs")),
        ("patch", sagemaker("hostingdeployments")),
        ("create", sagemaker("trainingjobs")),
        ("delete", sagemaker("trainingjobs")),
        ("patch", sagemaker("models/status")),
        ("watch", sagemaker("endpoints")),
        ("patch", sagemaker("inferencecomponents/status")),
        ("patch", sagemaker("modelpackagegroups/status")),
        ("patch", sagemaker("modelpackages/status")),
        ("patch", sagemaker("compilationjobs/status")),
        ("patch", sagemaker("pipelines/status")),
        ("watch", sagemaker("pipelineexecutions")),
        ("patch", sagemaker("automljobsv2/status")),
        ("update", sagemaker("hyperparametertuningjobs/finalizers")),
        ("create", "events".to_owned()),
    ] {
        assert!(
            can_i(OPERATOR_SA, verb, &resource, Some("kube-public")).await,
            "{verb} {resource}"
        );
    }
    assert!(
        can_i(
            OPERATOR_SA,
            "create",
            "tokenreviews.authentication.k8s.io",
            None
        )
        .await
    );
    assert!(
        can_i(
            OPERATOR_SA,
            "create",
            "subjectaccessreviews.authorization.k8s.io",
            None
        )
        .await
    );
    // Leader election reads, creates and server-side-applies its Lease, and only its Lease.
    for verb in ["get", "create", "patch"] {
        assert!(
            can_i(
                OPERATOR_SA,
                verb,
                "leases.coordination.k8s.io/sagemaker-k8s-operator-leader",
                Some(OPERATOR_NAMESPACE)
            )
            .await,
            "{verb} leases"
        );
    }
    assert_eq!(container["ports"][0]["name"], "https");
    assert_eq!(container["ports"][0]["containerPort"], 8443);
    // The reader role is what a scraper needs, once bound (docs/metrics.md).
    let scraper = TestUser::MetricsScraper.username();
    let can_get_metrics = || async {
        cp.kubectl(&["auth", "can-i", "get", "/metrics", "--as", scraper])
            .await
            .stdout
            .trim()
            .to_owned()
    };
    assert_eq!(can_get_metrics().await, "no");
    cp.kubectl(&[
        "create",
        "clusterrolebinding",
        "release-test-metrics-scraper",
        "--clusterrole=sagemaker-k8s-operator-metrics-reader",
        &format!("--user={scraper}"),
    ])
    .await
    .expect_success();
    assert_eq!(can_get_metrics().await, "yes");
    run_operator_as_installed(&args).await;
    // ...and nothing more.
    for (verb, resource, namespace) in [
        (
            "delete",
            sagemaker("hostingdeployments"),
            Some("kube-public"),
        ),
        ("create", sagemaker("models"), Some("kube-public")),
        ("delete", sagemaker("models/status"), Some("kube-public")),
        ("get", "secrets".to_owned(), Some(OPERATOR_NAMESPACE)),
        ("list", "pods".to_owned(), Some("kube-public")),
        (
            "patch",
            "leases.coordination.k8s.io".to_owned(),
            Some("kube-public"),
        ),
        (
            "delete",
            "leases.coordination.k8s.io".to_owned(),
            Some(OPERATOR_NAMESPACE),
        ),
        (
            "patch",
            "leases.coordination.k8s.io/someone-elses-lease".to_owned(),
            Some(OPERATOR_NAMESPACE),
        ),
        // Only patches are sent: no verb beyond what is used.
        ("update", sagemaker("trainingjobs"), Some("kube-public")),
        ("update", sagemaker("models/status"), Some("kube-public")),
        ("get", sagemaker("trainingjobs/status"), Some("kube-public")),
        (
            "update",
            sagemaker("batchtransformjobs/finalizers"),
            Some("kube-public"),
        ),
        (
            "delete",
            "customresourcedefinitions.apiextensions.k8s.io".to_owned(),
            None,
        ),
    ] {
        assert!(
            !can_i(OPERATOR_SA, verb, &resource, namespace).await,
            "{verb} {resource} must be denied"
        );
    }
}

/// Runs the operator binary with the installed Deployment's args (bind addresses moved to free
/// 127.0.0.1 ports) as its ServiceAccount: the installer's RBAC must be enough to take the leader
/// Lease, start the controllers and review metrics scrapes.
async fn run_operator_as_installed(deployment_args: &[String]) {
    let cp = control_plane().await;
    let token = cp
        .kubectl(&[
            "create",
            "token",
            "sagemaker-k8s-operator-default",
            "-n",
            OPERATOR_NAMESPACE,
        ])
        .await
        .expect_success()
        .stdout
        .trim()
        .to_owned();
    let kubeconfig = workspace_target_dir().join(format!(
        "release-tests-operator-sa-{}.kubeconfig",
        std::process::id()
    ));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n  - name: test\n    cluster:\n      server: {}\n      certificate-authority: {}\n\
             users:\n  - name: operator\n    user:\n      token: {token}\ncontexts:\n  - name: operator\n    context: {{cluster: test, user: operator}}\n\
             current-context: operator\n",
            cp.server_url(),
            cp.ca_path().display()
        ),
    )
    .unwrap();
    let args: Vec<String> = deployment_args
        .iter()
        .map(|arg| {
            if arg.starts_with("--metrics-bind-address=") {
                "--metrics-bind-address=127.0.0.1:0".to_owned()
            } else if arg.starts_with("--health-probe-bind-address=") {
                "--health-probe-bind-address=127.0.0.1:0".to_owned()
            } else {
                arg.clone()
            }
        })
        .collect();
    let mut operator = ChildProcess::builder(workspace_binary("sagemaker-k8s-operator"))
        .name("operator-as-installed")
        .args(&args)
        .env("KUBECONFIG", &kubeconfig)
        // What the Deployment's fieldRef sets.
        .env("POD_NAMESPACE", OPERATOR_NAMESPACE)
        // Objects other tests create may get reconciled: SageMaker is a closed local port, so
        // no call leaves the machine.
        .env("AWS_DEFAULT_SAGEMAKER_ENDPOINT", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-west-2")
        .env("AWS_ACCESS_KEY_ID", "release-test")
        .env("AWS_SECRET_ACCESS_KEY", "release-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .spawn();
    operator
        .wait_for_log("became leader", Duration::from_secs(60))
        .await;
    operator
        .wait_for_log("starting controllers", Duration::from_secs(30))
        .await;
    let holder = cp
        .kubectl(&[
            "get",
            "lease",
            "sagemaker-k8s-operator-leader",
            "-n",
            OPERATOR_NAMESPACE,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
        .await
        .expect_success()
        .stdout;
    assert!(
        holder.ends_with(&format!("_{}", operator.pid())),
        "Lease holder {holder:?}"
    );

    // JSON logs: "metrics_address":"127.0.0.1:PORT".
    operator
        .wait_for_log("metrics listening", Duration::from_secs(30))
        .await;
    let log = operator.log_contents();
    let address = log
        .split("\"metrics_address\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no metrics_address in the log:\n{log}"))
        .to_owned();
    let scrape = |user: TestUser| {
        let output = Command::new("curl")
            .args([
                "-sk",
                "--max-time",
                "20",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .args([
                "-H",
                &format!("Authorization: Bearer {}", cp.token_for(user)),
            ])
            .arg(format!("https://{address}/metrics"))
            .output()
            .expect("running curl");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // The ServiceAccount may create the reviews, so the answers are the reviews' own.
    assert_eq!(
        scrape(TestUser::MetricsScraper),
        "200",
        "{}",
        operator.log_tail(20)
    );
    assert_eq!(scrape(TestUser::Nobody), "403", "{}", operator.log_tail(20));

    let status = operator.terminate().await;
    assert!(status.success(), "{status}: {}", operator.log_tail(20));
    let _ = std::fs::remove_file(kubeconfig);
}

#[tokio::test]
async fn every_sample_passes_server_side_validation() {
    let cp = control_plane().await;
    ensure_crds().await;
    let namespace = cp.create_namespace("samples").await;
    let mut found: Vec<String> = std::fs::read_dir(repo_root().join("samples"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected = SAMPLES.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(found, expected);
    for sample in SAMPLES {
        let output = cp
            .kubectl(&[
                "apply",
                "--dry-run=server",
                "-n",
                &namespace,
                "-f",
                &path(&format!("samples/{sample}")),
            ])
            .await
            .expect_success();
        assert_contains(&output, "created (server dry run)");
        // Unknown fields would be pruned silently by the apiserver; --validate=strict says so.
        cp.kubectl(&[
            "apply",
            "--dry-run=server",
            "--validate=strict",
            "-n",
            &namespace,
            "-f",
            &path(&format!("samples/{sample}")),
        ])
        .await
        .expect_success();
    }
}

/// The `[[bin]] name` of a package's Cargo.toml (the first one).
fn cargo_bin_name(package_dir: &str) -> String {
    let manifest =
        std::fs::read_to_string(repo_root().join(package_dir).join("Cargo.toml")).unwrap();
    let bin = manifest.split("[[bin]]").nth(1).expect("a [[bin]] section");
    let line = bin
        .lines()
        .find(|line| line.trim_start().starts_with("name"))
        .expect("a bin name");
    line.split('"').nth(1).expect("a quoted name").to_owned()
}

#[test]
fn dockerfile_builds_a_distroless_non_root_image_of_the_operator_binary() {
    // No container engine here, so the image cannot be built; this checks what the build relies on.
    let dockerfile = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let from: Vec<&&str> = instructions
        .iter()
        .filter(|line| line.starts_with("FROM "))
        .collect();
    assert!(from.len() >= 2, "multi-stage: {from:?}");
    assert!(from[0].ends_with(" AS builder"), "{}", from[0]);
    assert!(
        from.last().unwrap().contains("distroless/cc-debian12"),
        "a small final image with the C runtime the binary links: {}",
        from.last().unwrap()
    );
    // The builder is the pinned toolchain on the runtime's Debian release (same glibc).
    let toolchain = std::fs::read_to_string(repo_root().join("rust-toolchain.toml")).unwrap();
    let channel = toolchain
        .lines()
        .find_map(|line| line.strip_prefix("channel = "))
        .expect("a channel in rust-toolchain.toml")
        .trim_matches('"');
    assert!(
        from[0].starts_with(&format!("FROM rust:{channel}-bookworm ")),
        "{} builds with rust {channel} on bookworm",
        from[0]
    );
    let final_stage = dockerfile.rsplit_once("\nFROM ").unwrap().1;
    assert!(
        final_stage.contains("\nUSER 65532:65532\n"),
        "non-root user in the final stage"
    );
    let binary = cargo_bin_name("crates/operator");
    assert_eq!(binary, "sagemaker-k8s-operator");
    assert!(
        dockerfile.contains(&format!("-p {binary} --bin {binary}")),
        "builds the operator's bin"
    );
    assert!(
        dockerfile.contains("cargo build --locked --release"),
        "a locked release build"
    );
    assert!(final_stage.contains(&format!("COPY --from=builder /{binary} /{binary}")));
    assert!(final_stage.contains(&format!("ENTRYPOINT [\"/{binary}\"]")));
    // The Deployment runs the same path.
    let deployment = std::fs::read_to_string(
        repo_root().join("deploy/charts/installer/templates/deployment.yaml"),
    )
    .unwrap();
    assert!(deployment.contains(&format!("command: [\"/{binary}\"]")));
    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap();
    for excluded in ["target/", ".git/", ".sandbox/"] {
        assert!(
            ignore.lines().any(|line| line == excluded),
            "{excluded} in .dockerignore"
        );
    }
}

#[test]
fn krew_manifest_installs_the_smlogs_binary() {
    let text = std::fs::read_to_string(repo_root().join("plugins/krew/smlogs.yaml")).unwrap();
    let manifest: serde_json::Value = serde_saphyr::from_str(&text).expect("valid YAML");
    assert_eq!(manifest["kind"], "Plugin");
    // krew names the command after metadata.name: `kubectl smlogs`.
    assert_eq!(manifest["metadata"]["name"], "smlogs");
    let binary = cargo_bin_name("crates/smlogs");
    assert_eq!(binary, "kubectl-smlogs");
    let platforms = manifest["spec"]["platforms"].as_array().expect("platforms");
    assert!(!platforms.is_empty());
    for platform in platforms {
        assert_eq!(platform["bin"], binary.as_str());
        assert!(
            platform["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|file| file["from"] == binary.as_str())
        );
        assert_eq!(platform["sha256"].as_str().unwrap().len(), 64);
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// `scripts/release-smlogs` with `args`; panics with its stderr when it fails.
fn release_smlogs(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(repo_root().join("scripts/release-smlogs"))
        .args(args)
        .output()
        .expect("running scripts/release-smlogs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "release-smlogs {args:?}:\n{stderr}"
    );
    stderr
}

/// The linux/amd64 platform of a krew manifest: (its sha256, the binary's sha256 recorded in the
/// comment the release script writes beside it).
fn krew_linux_amd64(manifest_text: &str) -> (String, Option<String>) {
    let manifest: serde_json::Value = serde_saphyr::from_str(manifest_text).expect("valid YAML");
    let platform = manifest["spec"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .find(|platform| {
            platform["selector"]["matchLabels"]
                == serde_json::json!({"os": "linux", "arch": "amd64"})
        })
        .expect("a linux/amd64 platform")
        .clone();
    let binary = manifest_text
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("# kubectl-smlogs in the archive: sha256 ")
        })
        .map(str::to_owned);
    (platform["sha256"].as_str().unwrap().to_owned(), binary)
}

/// The manifest without the lines the release script writes (checksums): what it must leave alone.
fn without_checksums(manifest_text: &str) -> Vec<&str> {
    manifest_text
        .lines()
        .filter(|line| {
            let line = line.trim();
            !line.starts_with("sha256: ") && !line.starts_with("# kubectl-smlogs in the archive: ")
        })
        .collect()
}

#[test]
fn krew_checksums_are_those_of_the_archives_the_release_script_builds() {
    let dir = own_tempdir("krew");
    let committed = std::fs::read_to_string(repo_root().join("plugins/krew/smlogs.yaml")).unwrap();
    let manifest = dir.join("smlogs.yaml");
    std::fs::write(&manifest, &committed).unwrap();
    // The script packages whatever bytes it is given, so a small stand-in keeps this test fast
    // (gzip -9 of the 110 MB debug build takes a minute); the committed manifest's own archive is
    // checked against the release build in the next test when it is at hand.
    let binary = dir.join("stand-in").join("kubectl-smlogs");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::write(&binary, b"#!/bin/sh\necho a stand-in for kubectl-smlogs\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let first = dir.join("first");
    release_smlogs(&[
        "--binary".as_ref(),
        binary.as_os_str(),
        "--out".as_ref(),
        first.as_os_str(),
        "--manifest".as_ref(),
        manifest.as_os_str(),
    ]);
    let archive = std::fs::read(first.join("kubectl-smlogs-linux-amd64.tar.gz")).unwrap();
    let written = std::fs::read_to_string(&manifest).unwrap();
    let binary_bytes = std::fs::read(&binary).unwrap();
    assert_eq!(
        krew_linux_amd64(&written),
        (sha256_hex(&archive), Some(sha256_hex(&binary_bytes)))
    );
    assert_eq!(without_checksums(&written), without_checksums(&committed));

    // The archive holds exactly what the manifest's `files` install: the binary and LICENSE.
    let unpacked = dir.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let tar = Command::new("tar")
        .arg("-xzf")
        .arg(first.join("kubectl-smlogs-linux-amd64.tar.gz"))
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(tar.success());
    let mut names: Vec<String> = std::fs::read_dir(&unpacked)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["LICENSE", "kubectl-smlogs"]);
    // krew runs the binary as extracted: it must stay executable.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(unpacked.join("kubectl-smlogs"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
    }
    assert!(std::fs::read(unpacked.join("kubectl-smlogs")).unwrap() == binary_bytes);
    assert_eq!(
        std::fs::read_to_string(unpacked.join("LICENSE")).unwrap(),
        std::fs::read_to_string(repo_root().join("LICENSE")).unwrap()
    );

    // The same binary gives the same archive, byte for byte, and --check accepts the manifest.
    let second = dir.join("second");
    release_smlogs(&[
        "--check".as_ref(),
        "--binary".as_ref(),
        binary.as_os_str(),
        "--out".as_ref(),
        second.as_os_str(),
        "--manifest".as_ref(),
        manifest.as_os_str(),
    ]);
    assert!(std::fs::read(second.join("kubectl-smlogs-linux-amd64.tar.gz")).unwrap() == archive);
    // A different binary does not pass --check.
    let other = Command::new(repo_root().join("scripts/release-smlogs"))
        .arg("--check")
        .arg("--binary")
        .arg(repo_root().join("LICENSE"))
        .arg("--out")
        .arg(&second)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(!other.status.success(), "--check accepted another binary");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_committed_krew_manifest_was_written_by_the_release_script_for_this_version() {
    let committed = std::fs::read_to_string(repo_root().join("plugins/krew/smlogs.yaml")).unwrap();
    let manifest: serde_json::Value = serde_saphyr::from_str(&committed).expect("valid YAML");
    let workspace = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let version = workspace
        .split("[workspace.package]")
        .nth(1)
        .and_then(|package| {
            package
                .lines()
                .find_map(|line| line.strip_prefix("version = "))
        })
        .expect("a workspace version")
        .trim_matches('"');
    assert_eq!(manifest["spec"]["version"], format!("v{version}").as_str());
    for platform in manifest["spec"]["platforms"].as_array().unwrap() {
        let uri = platform["uri"].as_str().unwrap();
        assert!(uri.contains(&format!("/download/v{version}/")), "{uri}");
        let sha = platform["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) && sha != "0".repeat(64),
            "{uri}: sha256 {sha:?} is not a checksum (run scripts/release-smlogs)"
        );
    }
    let (_, binary_sha) = krew_linux_amd64(&committed);
    let binary_sha = binary_sha.expect("the binary's sha256 the release script records");
    // The release build the manifest was made from, when it is at hand (scripts/release-smlogs
    // builds it into target/release): the script then reproduces the committed checksum.
    let release = workspace_target_dir()
        .parent()
        .unwrap()
        .join("release/kubectl-smlogs");
    match std::fs::read(&release) {
        Ok(bytes) if sha256_hex(&bytes) == binary_sha => {
            let out = own_tempdir("krew-release");
            release_smlogs(&[
                "--check".as_ref(),
                "--binary".as_ref(),
                release.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ]);
            let _ = std::fs::remove_dir_all(out);
        }
        _ => eprintln!(
            "{} is not the binary plugins/krew/smlogs.yaml records (sha256 {binary_sha}); \
             the packaging itself is checked by krew_checksums_are_those_of_the_archives_the_release_script_builds",
            release.display()
        ),
    }
}

/// Every value the installer chart's templates read is in its values.yaml and in the EKS guide's
/// table of values.
#[test]
fn every_installer_chart_value_is_in_values_yaml_and_the_install_guide() {
    let templates = repo_root().join("deploy/charts/installer/templates");
    let mut used = std::collections::BTreeSet::new();
    let mut dirs = vec![templates];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.match_indices(".Values.") {
                let name: String = text[at + ".Values.".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                used.insert(name.trim_end_matches('.').to_owned());
            }
        }
    }
    assert!(used.len() > 20, "{used:?}");
    let values: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(repo_root().join("deploy/charts/installer/values.yaml")).unwrap(),
    )
    .unwrap();
    let guide = std::fs::read_to_string(repo_root().join("docs/install-eks.md")).unwrap();
    for name in &used {
        let pointer = format!("/{}", name.replace('.', "/"));
        assert!(
            values.pointer(&pointer).is_some(),
            "{name} is not in values.yaml"
        );
        assert!(
            guide.contains(&format!("| `{name}`")) || guide.contains(&format!(", `{name}`")),
            "docs/install-eks.md's table of values leaves out {name}"
        );
    }
}

/// Every kind (one CRD file each) has a sample, and docs/uninstall.md deletes its objects before
/// the operator goes (an object left behind cannot lose its finalizer).
#[test]
fn every_kind_has_a_sample_and_a_line_in_the_uninstall_guide() {
    let uninstall = std::fs::read_to_string(repo_root().join("docs/uninstall.md")).unwrap();
    let samples: Vec<String> = SAMPLES
        .iter()
        .map(|sample| std::fs::read_to_string(repo_root().join("samples").join(sample)).unwrap())
        .collect();
    let mut kinds = 0;
    for entry in std::fs::read_dir(repo_root().join("deploy/crds")).unwrap() {
        let crd: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap())
                .unwrap();
        let name = crd["metadata"]["name"].as_str().unwrap();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap();
        assert!(
            uninstall.contains(&format!("kubectl delete --all --all-namespaces {name}\n")),
            "docs/uninstall.md does not delete the {kind} objects"
        );
        assert!(
            samples
                .iter()
                .any(|sample| sample.lines().any(|line| line == format!("kind: {kind}"))),
            "no sample of {kind}"
        );
        kinds += 1;
    }
    assert!(kinds >= 8, "{kinds} CRDs in deploy/crds");
}

#[test]
fn the_license_cargo_names_is_at_the_root() {
    let workspace = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    assert!(workspace.contains("\nlicense = \"Apache-2.0\"\n"));
    let license = std::fs::read_to_string(repo_root().join("LICENSE")).unwrap();
    assert!(
        license.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(license.contains("END OF TERMS AND CONDITIONS"));
}

/// Stops the sandbox however the test ends: its processes run in their own sessions, outside the
/// test environment's child-process clean-up.
struct SandboxGuard {
    dir: PathBuf,
}

impl Drop for SandboxGuard {
    fn drop(&mut self) {
        let _ = sandbox_command(&self.dir, &["down"]).output();
    }
}

fn sandbox_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(repo_root().join("scripts/sandbox"));
    command
        .args(args)
        .env("SAGEMAKER_SANDBOX_DIR", dir)
        .env("SAGEMAKER_K8S_TOOLS_BIN", tools_bin_dir());
    command
}

#[test]
fn sandbox_up_runs_every_sample_to_its_final_status_and_down_stops_everything() {
    let base = tempfile_dir();
    let dir = base.join("sandbox");
    let guard = SandboxGuard { dir: dir.clone() };
    let output = sandbox_command(
        &dir,
        &[
            "up",
            "--no-build",
            "--time-scale",
            "0.02",
            "--timeout",
            "240",
        ],
    )
    .output()
    .expect("running scripts/sandbox up");
    let log = |name: &str| std::fs::read_to_string(dir.join("logs").join(name)).unwrap_or_default();
    assert!(
        output.status.success(),
        "sandbox up failed:\n{}\n--- operator log tail ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        log("operator.log")
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("all samples reached a final status"),
        "{stderr}"
    );

    let pids: Vec<u32> = ["etcd", "kube-apiserver", "emulator", "operator"]
        .iter()
        .map(|name| {
            std::fs::read_to_string(dir.join("pids").join(format!("{name}.pid")))
                .unwrap_or_else(|_| panic!("pid file of {name}"))
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        pids.iter().all(|pid| process_is_running(*pid)),
        "all four run after up"
    );

    // The final statuses, read through the sandbox's own kubeconfig and PATH.
    let env = dir.join("env");
    let kubectl_get = |kind: &str, name: &str, path: &str| {
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}' && kubectl get {kind} {name} -o jsonpath='{{{path}}}'",
                env.display()
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    for (kind, name, path, expected) in [
        (
            "trainingjob",
            "xgboost-mnist",
            ".status.trainingJobStatus",
            "Completed",
        ),
        (
            "trainingjob",
            "spot-xgboost-mnist",
            ".status.trainingJobStatus",
            "Completed",
        ),
        (
            "trainingjob",
            "xgboost-mnist-custom-endpoint",
            ".status.trainingJobStatus",
            "Completed",
        ),
        (
            "hyperparametertuningjob",
            "xgboost-mnist-hpo",
            ".status.hyperParameterTuningJobStatus",
            "Completed",
        ),
        ("model", "xgboost-mnist-model", ".status.status", "Created"),
        (
            "model",
            "xgboost-mnist-serving-model",
            ".status.status",
            "Created",
        ),
        (
            "endpointconfig",
            "xgboost-mnist-endpointconfig",
            ".status.status",
            "Created",
        ),
        (
            "processingjob",
            "xgboost-mnist-preprocessing",
            ".status.processingJobStatus",
            "Completed",
        ),
        (
            "endpoints.sagemaker.aws.amazon.com",
            "xgboost-mnist-endpoint",
            ".status.status",
            "InService",
        ),
        (
            "endpoints.sagemaker.aws.amazon.com",
            "ic-endpoint",
            ".status.status",
            "InService",
        ),
        (
            "inferencecomponent",
            "ic-model-b",
            ".status.runtimeConfig.currentCopyCount",
            "2",
        ),
        (
            "hostingautoscalingpolicy",
            "xgboost-autoscaling",
            ".status.hostingAutoscalingPolicyStatus",
            "Created",
        ),
        (
            "modelpackagegroup",
            "xgboost-mnist-models",
            ".status.status",
            "Completed",
        ),
        (
            "modelpackage",
            "xgboost-mnist-v1",
            ".status.modelPackageVersion",
            "1",
        ),
        (
            "compilationjob",
            "xgboost-mnist-neo",
            ".status.status",
            "COMPLETED",
        ),
        (
            "pipeline",
            "xgboost-mnist-pipeline",
            ".status.status",
            "Active",
        ),
        (
            "pipelineexecution",
            "xgboost-mnist-run-1",
            ".status.status",
            "Succeeded",
        ),
        (
            "automljobv2",
            "churn-autopilot",
            ".status.status",
            "Completed",
        ),
        (
            "batchtransformjob",
            "xgboost-mnist-batch-transform",
            ".status.transformJobStatus",
            "Completed",
        ),
        (
            "hostingdeployment",
            "host-xgboost",
            ".status.endpointStatus",
            "InService",
        ),
        (
            "hostingdeployment",
            "host-xgboost-multi-model",
            ".status.endpointStatus",
            "InService",
        ),
        (
            "hostingdeployment",
            "xgboost-mnist-registry",
            ".status.endpointStatus",
            "InService",
        ),
    ] {
        assert_eq!(kubectl_get(kind, name, path), expected, "{kind} {name}");
    }

    // The metrics endpoint the sandbox prints, scraped the way its usage text says.
    let scrape = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && curl -sk -H \"Authorization: Bearer $(kubectl config view --raw -o jsonpath='{{.users[0].user.token}}')\" \
             \"$(awk '$2 == \"metrics\" {{ print $3 }}' '{}')\"",
            env.display(),
            dir.join("addresses").display()
        ))
        .output()
        .unwrap();
    let metrics = String::from_utf8_lossy(&scrape.stdout);
    assert!(
        metrics.contains("sagemaker_operator_reconciles_total{kind=\"TrainingJob\"}"),
        "sandbox metrics: {metrics}"
    );

    // Rerunning up on a running sandbox keeps the same processes.
    let again = sandbox_command(&dir, &["up", "--no-build", "--no-samples"])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("pids/operator.pid"))
            .unwrap()
            .trim(),
        pids[3].to_string()
    );

    let down = sandbox_command(&dir, &["down"]).output().unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    drop(guard);
    for pid in pids {
        assert!(!process_is_running(pid), "pid {pid} still runs after down");
    }
    assert!(!dir.exists(), "down removes the sandbox directory");
    let status = sandbox_command(&dir, &["status"]).output().unwrap();
    assert!(
        !status.status.success(),
        "status reports a stopped sandbox as not running"
    );
    let _ = std::fs::remove_dir_all(base);
}

fn tempfile_dir() -> PathBuf {
    // Under the target dir: short paths, and no clash with a user's .sandbox.
    let dir = workspace_target_dir().join(format!("release-tests-sandbox-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// PIDs of processes whose command line mentions `needle` (the sandbox's directory: etcd's data
/// dir, the apiserver's cert dir). Found through /proc, independent of the sandbox's PID files.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(needle)
            && process_is_running(pid)
        {
            pids.push(format!(
                "{pid} {}",
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    pids
}

/// Two busy loops (this machine has two cores) running until dropped: starting processes is slow
/// then, which once made `up` call a just-started emulator dead before setsid had exec'd it.
fn cpu_load() -> Vec<ChildProcess> {
    (0..2)
        .map(|index| {
            ChildProcess::builder("/bin/sh")
                .name(format!("busy-loop-{index}"))
                .args(["-c", "while :; do :; done"])
                .spawn()
        })
        .collect()
}

#[test]
fn sandbox_up_works_under_cpu_load_and_down_stops_it() {
    let base = own_tempdir("loaded");
    let dir = base.join("sandbox");
    let guard = SandboxGuard { dir: dir.clone() };
    let load = cpu_load();
    // A loaded machine makes the exec after setsid late; this makes it late every time: a
    // `setsid` first on PATH that waits a second before running the real one.
    let slow_bin = base.join("slow-bin");
    std::fs::create_dir_all(&slow_bin).unwrap();
    let real_setsid = ["/usr/bin/setsid", "/bin/setsid"]
        .into_iter()
        .find(|path| Path::new(path).exists())
        .expect("setsid (util-linux)");
    let wrapper = slow_bin.join("setsid");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nsleep 1\nexec {real_setsid} \"$@\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        slow_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let started = std::time::Instant::now();
    let output = sandbox_command(&dir, &["up", "--no-build", "--no-samples"])
        .env("PATH", path)
        .output()
        .expect("running scripts/sandbox up");
    drop(load);
    assert!(
        output.status.success(),
        "sandbox up under load failed after {:.0?}:\n{}",
        started.elapsed(),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("sandbox up under CPU load took {:.0?}", started.elapsed());
    let status = sandbox_command(&dir, &["status"]).output().unwrap();
    assert!(
        status.status.success(),
        "every component runs: {}",
        String::from_utf8_lossy(&status.stdout)
    );
    let down = sandbox_command(&dir, &["down"]).output().unwrap();
    assert!(down.status.success());
    drop(guard);
    let left = processes_mentioning(&dir.display().to_string());
    assert!(left.is_empty(), "processes left after down: {left:?}");
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn a_failed_sandbox_up_stops_what_it_started_and_keeps_the_logs() {
    let base = own_tempdir("failing");
    let dir = base.join("sandbox");
    let guard = SandboxGuard { dir: dir.clone() };
    // etcd and the apiserver start; the emulator refuses a time scale of 0 and exits.
    let output = sandbox_command(
        &dir,
        &["up", "--no-build", "--no-samples", "--time-scale", "0"],
    )
    .output()
    .expect("running scripts/sandbox up");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "up must fail: {stderr}");
    assert!(
        stderr.contains("sandbox: emulator exited")
            || stderr.contains("the emulator printed no URL"),
        "one line naming the emulator: {stderr}"
    );
    assert!(
        stderr.contains("up failed: stopping what it started"),
        "{stderr}"
    );
    assert!(stderr.contains("stopped etcd"), "{stderr}");
    assert!(stderr.contains("stopped kube-apiserver"), "{stderr}");
    // Nothing started by that `up` is left, found by command line rather than by PID file.
    let left = processes_mentioning(&dir.display().to_string());
    assert!(
        left.is_empty(),
        "processes left after a failed up: {left:?}"
    );
    let emulator_log = std::fs::read_to_string(dir.join("logs/emulator.log")).unwrap();
    assert!(
        emulator_log.contains("positive number"),
        "the emulator's own reason is kept: {emulator_log}"
    );
    assert!(!dir.join("pids").exists() && !dir.join("etcd-data").exists());
    // `down` then removes the rest.
    drop(guard);
    assert!(!dir.exists());
    let _ = std::fs::remove_dir_all(base);
}

/// The image scripts/build-image writes (scripts/test builds it before the tests). `None` (with
/// the reason printed) when it was not built, outside CI; under CI its absence fails.
fn built_image() -> Option<PathBuf> {
    let path = sagemaker_k8s_testenv::images_dir().join("sagemaker-k8s-operator.tar");
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

/// The JSON array of a Dockerfile instruction in exec form (`ENTRYPOINT ["/x"]`).
fn dockerfile_json_instruction(dockerfile: &str, instruction: &str) -> serde_json::Value {
    let line = dockerfile
        .lines()
        .rev()
        .find(|line| line.starts_with(&format!("{instruction} ")))
        .unwrap_or_else(|| panic!("a {instruction} line in the Dockerfile"));
    serde_json::from_str(&line[instruction.len() + 1..])
        .unwrap_or_else(|error| panic!("{instruction} in exec form: {error}"))
}

/// The loader an ELF file names (`readelf -l`: its program interpreter) and the shared libraries
/// it asks for (`readelf -d`: NEEDED).
fn elf_dependencies(path: &Path) -> (Option<String>, Vec<String>) {
    let readelf = |flag: &str| {
        let output = Command::new("readelf")
            .args([flag, "-W"])
            .arg(path)
            .output()
            .expect("readelf (binutils)");
        assert!(output.status.success(), "readelf {flag} {}", path.display());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let bracketed = |line: &str, marker: &str| {
        line.split_once(marker)
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(value, _)| value.trim().to_owned())
    };
    let loader = readelf("-l")
        .lines()
        .find_map(|line| bracketed(line, "Requesting program interpreter:"));
    let needed = readelf("-d")
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| bracketed(line, "Shared library: ["))
        .collect();
    (loader, needed)
}

#[test]
fn the_locally_built_image_has_the_dockerfiles_entrypoint_user_ports_and_files() {
    use std::os::unix::fs::PermissionsExt;
    let Some(archive) = built_image() else { return };
    let dir = own_tempdir("image");
    let layout = dir.join("layout");
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&layout).unwrap();
    std::fs::create_dir_all(&rootfs).unwrap();
    let untar = |archive: &Path, into: &Path| {
        let status = Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(into)
            .status()
            .unwrap();
        assert!(status.success(), "tar -xf {}", archive.display());
    };
    untar(&archive, &layout);
    let read_json = |path: PathBuf| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap()
    };
    let blob = |digest: &serde_json::Value| {
        layout
            .join("blobs/sha256")
            .join(digest.as_str().unwrap().strip_prefix("sha256:").unwrap())
    };

    // An OCI layout (ctr import, podman load) and a docker-save manifest (docker load).
    assert_eq!(
        read_json(layout.join("oci-layout"))["imageLayoutVersion"],
        "1.0.0"
    );
    let index = read_json(layout.join("index.json"));
    let descriptor = &index["manifests"][0];
    let name = descriptor["annotations"]["io.containerd.image.name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        name.starts_with("docker.io/library/sagemaker-k8s-operator:"),
        "{name}"
    );
    let manifest = read_json(blob(&descriptor["digest"]));
    let config = read_json(blob(&manifest["config"]["digest"]));
    let docker = read_json(layout.join("manifest.json"));
    assert_eq!(docker[0]["Layers"].as_array().unwrap().len(), 1);
    assert!(layout.join(docker[0]["Config"].as_str().unwrap()).exists());

    // The Dockerfile's runtime settings, instruction by instruction.
    let dockerfile = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let final_stage = dockerfile.rsplit_once("\nFROM ").unwrap().1;
    let settings = &config["config"];
    assert_eq!(
        settings["Entrypoint"],
        dockerfile_json_instruction(final_stage, "ENTRYPOINT")
    );
    assert_eq!(
        settings["Cmd"],
        dockerfile_json_instruction(final_stage, "CMD")
    );
    let user = final_stage
        .lines()
        .find_map(|line| line.strip_prefix("USER "))
        .unwrap();
    assert_eq!(settings["User"], user.trim());
    let exposed: Vec<String> = final_stage
        .lines()
        .filter_map(|line| line.strip_prefix("EXPOSE "))
        .flat_map(|ports| ports.split_whitespace().map(|port| format!("{port}/tcp")))
        .collect();
    let mut image_ports: Vec<String> = settings["ExposedPorts"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    image_ports.sort();
    let mut exposed_sorted = exposed.clone();
    exposed_sorted.sort();
    assert_eq!(image_ports, exposed_sorted);
    // The layer's digest is what the config says (containerd checks it; so do we).
    let layer_path = blob(&manifest["layers"][0]["digest"]);
    assert_eq!(
        config["rootfs"]["diff_ids"][0], manifest["layers"][0]["digest"],
        "an uncompressed layer's diff_id is its digest"
    );

    // The files: the Dockerfile's COPY destination, and what the distroless base provides.
    untar(&layer_path, &rootfs);
    let binary = cargo_bin_name("crates/operator");
    let copy_destination = final_stage
        .lines()
        .find_map(|line| line.strip_prefix("COPY --from=builder "))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .unwrap();
    assert_eq!(copy_destination, format!("/{binary}"));
    let binary_path = rootfs.join(copy_destination.trim_start_matches('/'));
    let metadata = std::fs::metadata(&binary_path).unwrap();
    assert_eq!(metadata.permissions().mode() & 0o777, 0o755);
    // Owners as the layer records them (extracting as non-root would not keep them).
    let listing = Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(&layer_path)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    let owner_of = |path: &str| -> String {
        listing
            .lines()
            .find(|line| line.trim_end_matches('/').ends_with(&format!(" {path}")))
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("{path} in the layer:\n{listing}"))
            .to_owned()
    };
    assert_eq!(
        owner_of(&binary),
        "0/0",
        "the binary belongs to root: user 65532 cannot change it"
    );
    // The C runtime it links is in the image: its loader, and every library it or a library
    // needs, found in the image's library directory; and the image's loader runs it with them.
    let (loader, mut wanted) = elf_dependencies(&binary_path);
    let loader = loader.expect("a dynamically linked binary names its loader");
    assert!(
        rootfs.join(loader.trim_start_matches('/')).is_file(),
        "{loader} in the image"
    );
    let library_dir = rootfs.join("lib/x86_64-linux-gnu");
    let mut runtime = vec![loader.trim_start_matches('/').to_owned()];
    while let Some(library) = wanted.pop() {
        let path = library_dir.join(&library);
        let relative = path.strip_prefix(&rootfs).unwrap().display().to_string();
        if runtime.contains(&relative) || library.starts_with("ld-linux") {
            continue;
        }
        assert!(
            path.is_file(),
            "{library}, which the operator needs, is not in the image"
        );
        wanted.extend(elf_dependencies(&path).1);
        runtime.push(relative);
    }
    let ran = Command::new(rootfs.join(loader.trim_start_matches('/')))
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(&library_dir)
        .arg(&binary_path)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "the image's loader runs the binary with the image's libraries: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap();
    assert!(
        passwd
            .lines()
            .any(|line| line.starts_with("nonroot:x:65532:65532:")),
        "{passwd}"
    );
    let certificates =
        std::fs::read_to_string(rootfs.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    assert!(
        certificates.matches("BEGIN CERTIFICATE").count() > 10,
        "a CA bundle"
    );
    assert_eq!(
        settings["Env"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|env| env
                .as_str()
                .unwrap()
                .starts_with("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"))
            .count(),
        1
    );
    let tmp = std::fs::metadata(rootfs.join("tmp")).unwrap();
    assert_eq!(tmp.permissions().mode() & 0o7777, 0o1777);
    assert_eq!(
        owner_of("home/nonroot"),
        "65532/65532",
        "the home of the image's user"
    );
    // Nothing else: the image holds only these.
    let mut files = Vec::new();
    let mut stack = vec![rootfs.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.push(
                    entry
                        .path()
                        .strip_prefix(&rootfs)
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    files.sort();
    let mut expected: Vec<String> = [
        "etc/group",
        "etc/nsswitch.conf",
        "etc/passwd",
        "etc/ssl/certs/ca-certificates.crt",
        binary.as_str(),
    ]
    .iter()
    .map(|file| file.to_string())
    .chain(runtime)
    .collect();
    expected.sort();
    assert_eq!(files, expected);
    eprintln!(
        "image {name}: archive {:.1} MB",
        std::fs::metadata(&archive).unwrap().len() as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A directory of one test only (the sandbox test removes all of `tempfile_dir()` at its end).
fn own_tempdir(name: &str) -> PathBuf {
    let dir = workspace_target_dir().join(format!("release-tests-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sandbox_up_in_cluster_runs_the_operator_as_a_pod_and_down_removes_everything() {
    if let Some(reason) = sagemaker_k8s_testenv::node_unavailable_reason() {
        sagemaker_k8s_testenv::report_skip(&format!("--in-cluster needs a real node: {reason}"));
        return;
    }
    if built_image().is_none() {
        return;
    }
    let base = own_tempdir("in-cluster");
    let dir = base.join("sandbox");
    let guard = SandboxGuard { dir: dir.clone() };
    let started = std::time::Instant::now();
    let output = sandbox_command(
        &dir,
        &[
            "up",
            "--no-build",
            "--in-cluster",
            "--time-scale",
            "0.02",
            "--timeout",
            "240",
        ],
    )
    .output()
    .expect("running scripts/sandbox up --in-cluster");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let node_log = std::fs::read_to_string(dir.join("logs/node.log")).unwrap_or_default();
    assert!(
        output.status.success(),
        "sandbox up --in-cluster failed:\n{stderr}\n--- node log tail ---\n{}",
        node_log
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        stderr.contains("all samples reached a final status"),
        "{stderr}"
    );
    eprintln!("sandbox up --in-cluster took {:.0?}", started.elapsed());

    // The guide's steps, through the sandbox's env file.
    let sourced = |command: &str| {
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}' && {command}",
                dir.join("env").display()
            ))
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (ok, pods) = sourced("kubectl -n sagemaker-k8s-operator-system get pods");
    assert!(
        ok && pods.contains("1/1") && pods.contains("Running"),
        "{pods}"
    );
    let (ok, logs) = sourced(
        "kubectl -n sagemaker-k8s-operator-system logs deployment/sagemaker-k8s-operator-controller-manager -c manager",
    );
    assert!(ok && logs.contains("became leader"), "{logs}");
    let (_, status) =
        sourced("kubectl get trainingjob xgboost-mnist -o jsonpath='{.status.trainingJobStatus}'");
    assert_eq!(status, "Completed");

    let pids: Vec<u32> = ["node", "emulator"]
        .iter()
        .map(|name| {
            std::fs::read_to_string(dir.join("pids").join(format!("{name}.pid")))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    let down = sandbox_command(&dir, &["down"]).output().unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    drop(guard);
    assert!(!dir.exists(), "down removes the sandbox directory");
    assert!(
        !Path::new("/sys/class/net/smtestenv0").exists(),
        "down removes the node's bridge"
    );
    for pid in &pids {
        assert!(!process_is_running(*pid), "pid {pid} still runs after down");
    }
    // Everything the node started names its directory, sagemaker-k8s-testenv/node-<pid>.
    let left = processes_mentioning(&format!("sagemaker-k8s-testenv/node-{}/", pids[0]));
    assert!(left.is_empty(), "node processes left after down: {left:?}");
    let _ = std::fs::remove_dir_all(base);
}
