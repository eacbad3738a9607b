//! One operator + emulator + namespace per test.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::config::{Credentials, Region};
use kube::Api;
use sagemaker_k8s_api::TrainingJob;
use sagemaker_k8s_testenv::{
    ChildProcess, ControlPlane, Emulator, control_plane, wait_until, workspace_binary,
};

pub struct Harness {
    pub cluster: &'static ControlPlane,
    #[allow(dead_code)] // held so the emulator lives as long as the test
    pub emulator: Emulator,
    pub operator: ChildProcess,
    pub namespace: String,
    pub sagemaker: aws_sdk_sagemaker::Client,
}

impl Harness {
    pub async fn start(prefix: &str) -> Harness {
        let cluster = control_plane().await;
        cluster
            .apply_crds(&sagemaker_k8s_api::all_crds())
            .await
            .expect("CRDs apply");
        let namespace = cluster.create_namespace(prefix).await;
        let emulator = Emulator::start(&["--time-scale", "0.01"]).await;
        let operator = spawn_operator(cluster, &emulator, &namespace);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-west-2"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(&emulator.endpoint)
            .load()
            .await;
        let sagemaker = aws_sdk_sagemaker::Client::new(&config);
        Harness {
            cluster,
            emulator,
            operator,
            namespace,
            sagemaker,
        }
    }

    pub fn training_jobs(&self) -> Api<TrainingJob> {
        Api::namespaced(self.cluster.client(), &self.namespace)
    }

    pub async fn apply(&self, manifest: &str) {
        self.cluster
            .kubectl_stdin(&["apply", "-n", &self.namespace, "-f", "-"], manifest)
            .await
            .expect_success();
    }

    /// Applies a manifest the apiserver must refuse, and checks the refusal names `field` (the
    /// field path, or the words of the rule that refused it).
    pub async fn assert_refused(&self, manifest: &str, field: &str) {
        let output = self
            .cluster
            .kubectl_stdin(&["apply", "-n", &self.namespace, "-f", "-"], manifest)
            .await
            .expect_failure();
        assert!(
            output.stderr.contains(field),
            "the refusal names {field}: {}",
            output.stderr
        );
    }

    /// Waits until the object's status satisfies `check`, returning the object.
    pub async fn wait_for_training_job(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&TrainingJob) -> bool,
    ) -> TrainingJob {
        let api = self.training_jobs();
        let operator_log = self.operator.log_path().to_path_buf();
        wait_until(
            Duration::from_secs(60),
            &format!("{name}: {what} (operator log {})", operator_log.display()),
            || {
                let api = api.clone();
                let check = &check;
                async move {
                    api.get_opt(name)
                        .await
                        .ok()
                        .flatten()
                        .filter(|job| check(job))
                }
            },
        )
        .await
    }

    /// The emulator's call counter for one SageMaker operation (e.g. `DescribeTrainingJob`).
    pub async fn sagemaker_calls(&self, operation: &str) -> u64 {
        self.emulator_calls(&format!("SageMaker.{operation}")).await
    }

    /// The emulator's call counter for one operation of any service, by its wire name
    /// (`SageMaker.DescribeEndpoint`, `AnyScaleFrontendService.PutScalingPolicy`).
    pub async fn emulator_calls(&self, target: &str) -> u64 {
        let response = emulator_control(&self.emulator, "GET", "/_emulator/calls", "").await;
        let body = &response[response.find('{').expect("JSON body")..];
        let counts: serde_json::Value = serde_json::from_str(body.trim_end()).expect("calls JSON");
        counts
            .get(target)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    }

    /// Every tag on the resource `arn`, by key.
    pub async fn tags_of(&self, arn: &str) -> std::collections::BTreeMap<String, String> {
        let tags = self
            .sagemaker
            .list_tags()
            .resource_arn(arn)
            .send()
            .await
            .expect("ListTags");
        tags.tags()
            .iter()
            .map(|tag| {
                (
                    tag.key().unwrap_or_default().to_string(),
                    tag.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The status SageMaker's DescribeTrainingJob gives for the job `name`.
    pub async fn sagemaker_training_job_status(&self, name: &str) -> String {
        let described = self
            .sagemaker
            .describe_training_job()
            .training_job_name(name)
            .send()
            .await
            .expect("DescribeTrainingJob");
        described
            .training_job_status()
            .expect("a training job status")
            .as_str()
            .to_owned()
    }

    /// SageMaker training jobs whose name contains `fragment`.
    pub async fn sagemaker_training_jobs(&self, fragment: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .sagemaker
                .list_training_jobs()
                .name_contains(fragment)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .expect("ListTrainingJobs");
            names.extend(
                page.training_job_summaries()
                    .iter()
                    .filter_map(|s| s.training_job_name().map(str::to_string)),
            );
            match page.next_token() {
                Some(next) => token = Some(next.to_string()),
                None => return names,
            }
        }
    }
}

/// Starts the operator for one namespace against the emulator.
pub fn spawn_operator(
    cluster: &ControlPlane,
    emulator: &Emulator,
    namespace: &str,
) -> ChildProcess {
    spawn_operator_with(
        cluster,
        emulator,
        namespace,
        &[],
        &format!("operator-{namespace}"),
    )
}

/// Starts an operator with extra arguments; probes and metrics on free 127.0.0.1 ports (tests
/// run in parallel, so the default 0.0.0.0:8443 would clash).
pub fn spawn_operator_with(
    cluster: &ControlPlane,
    emulator: &Emulator,
    namespace: &str,
    extra_args: &[&str],
    name: &str,
) -> ChildProcess {
    let mut builder = ChildProcess::builder(workspace_binary("sagemaker-k8s-operator"))
        .name(name)
        .args([
            "run",
            "--namespace",
            namespace,
            "--health-probe-bind-address",
            "127.0.0.1:0",
        ])
        .args(if extra_args.contains(&"--metrics-bind-address") {
            &[][..]
        } else {
            &["--metrics-bind-address", "127.0.0.1:0"][..]
        })
        .args(extra_args)
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .env("RUST_LOG", "info,sagemaker_k8s_operator=debug");
    for (key, value) in emulator.sdk_env() {
        builder = builder.env(key, value);
    }
    builder.spawn()
}

/// POSTs (or DELETEs) JSON to the emulator's control API with a minimal HTTP/1.1 exchange.
pub async fn emulator_control(emulator: &Emulator, method: &str, path: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = emulator.endpoint.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("emulator reachable");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 2"),
        "control API {method} {path}: {response}"
    );
    response
}

/// A TrainingJob manifest with emulator outcome tags.
pub fn training_job_manifest(name: &str, tags: &[(&str, &str)], extra_spec: &str) -> String {
    let tags: String = tags
        .iter()
        .map(|(k, v)| format!("\n    - key: \"{k}\"\n      value: \"{v}\""))
        .collect();
    format!(
        r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: TrainingJob
metadata:
  name: {name}
spec:
  region: us-west-2
  roleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  algorithmSpecification:
    trainingImage: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
    trainingInputMode: File
  hyperParameters:
    - name: max_depth
      value: "5"
  inputDataConfig:
    - channelName: train
      dataSource:
        s3DataSource:
          s3DataType: S3Prefix
          s3Uri: s3://my-bucket/xgboost-mnist/train/
          s3DataDistributionType: FullyReplicated
      contentType: text/csv
  outputDataConfig:
    s3OutputPath: s3://my-bucket/xgboost/
  resourceConfig:
    instanceCount: 1
    instanceType: ml.m4.xlarge
    volumeSizeInGB: 5
  stoppingCondition:
    maxRuntimeInSeconds: 86400
  tags:{tags}
{extra_spec}"#
    )
}

/// The reason and message of the condition `type_` if it is True.
pub fn true_condition(
    conditions: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>,
    type_: &str,
) -> Option<(String, String)> {
    conditions?
        .iter()
        .find(|c| c.type_ == type_ && c.status == "True")
        .map(|c| (c.reason.clone(), c.message.clone()))
}

pub fn condition_is(job: &TrainingJob, type_: &str, status: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.common.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c.type_ == type_ && c.status == status)
        })
}

pub fn status_of(job: &TrainingJob) -> Option<&str> {
    job.status
        .as_ref()
        .and_then(|s| s.training_job_status.as_deref())
}
