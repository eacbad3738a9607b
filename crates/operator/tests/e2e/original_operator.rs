//! Users of the original Go operator move over unchanged: objects in the shapes it released reach
//! their final state with the SageMaker requests it sent, and their status reads as its scripts
//! expect (`grep -i fail` finds nothing on a healthy object, `kubectl wait` works).

use std::time::Duration;

use sagemaker_k8s_testenv::wait_until;
use serde_json::Value;

use crate::harness::Harness;

const INLINE: &str =
    include_str!("../../../api/tests/fixtures/original-inline-hostingdeployment.yaml");
const PIPELINE: &str =
    include_str!("../../../api/tests/fixtures/original-multi-container-hostingdeployment.yaml");
const MULTI_MODEL: &str =
    include_str!("../../../api/tests/fixtures/original-multi-model-hostingdeployment.yaml");
const DEBUGGER_SPOT: &str =
    include_str!("../../../api/tests/fixtures/original-debugger-trainingjob.yaml");
const BATCH_TRANSFORM: &str =
    include_str!("../../../api/tests/fixtures/original-batchtransform.yaml");
const HPO_SAMPLE: &str = include_str!("../../../../samples/xgboost-mnist-hpo.yaml");

/// The object as JSON, once `check` holds (60 s, then the test fails naming `what`).
pub async fn wait_for_json(
    harness: &Harness,
    resource: &str,
    name: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(60),
        &format!("{resource} {name}: {what} (operator log {log})"),
        || {
            let check = &check;
            async move {
                let output = harness
                    .cluster
                    .kubectl(&[
                        "get",
                        resource,
                        name,
                        "-n",
                        &harness.namespace,
                        "-o",
                        "json",
                    ])
                    .await;
                let object: Value = serde_json::from_str(&output.stdout).ok()?;
                check(&object).then_some(object)
            }
        },
    )
    .await
}

fn condition(object: &Value, type_: &str) -> Option<String> {
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| c["status"].as_str().unwrap_or_default().to_string())
}

/// What the original operator's integration tests run to decide "the job failed":
/// `kubectl get KIND NAME -o=custom-columns=STATUS:.status | grep -i fail`. On a healthy object
/// it must find nothing (and no `Failed` condition may exist at all).
pub async fn assert_scripts_see_no_failure(harness: &Harness, resource: &str, name: &str) {
    let output = harness
        .cluster
        .kubectl(&[
            "get",
            resource,
            name,
            "-n",
            &harness.namespace,
            "-o=custom-columns=STATUS:.status",
        ])
        .await
        .expect_success();
    assert!(
        output.stdout.contains("STATUS") && output.stdout.lines().count() == 2,
        "{output}"
    );
    assert!(
        !output.stdout.to_lowercase().contains("fail"),
        "`grep -i fail` matches the status of healthy {resource} {name}:\n{}",
        output.stdout
    );
}

fn model_names(deployment: &Value) -> Vec<String> {
    deployment["status"]["modelNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair["value"].as_str().unwrap().to_string())
        .collect()
}

async fn in_service(harness: &Harness, name: &str) -> Value {
    wait_for_json(
        harness,
        "hostingdeployment",
        name,
        "InService and Ready",
        |d| {
            d["status"]["endpointStatus"] == "InService"
                && condition(d, "Ready").as_deref() == Some("True")
        },
    )
    .await
}

#[tokio::test]
async fn hosting_deployments_in_the_original_shapes_go_in_service_with_the_containers_as_written() {
    let harness = Harness::start("orig-hosting").await;
    harness.apply(INLINE).await;
    harness.apply(PIPELINE).await;
    harness.apply(MULTI_MODEL).await;

    // One container in place: the model's primary container, environment and all.
    let inline = in_service(&harness, "inline-xgboost").await;
    assert_eq!(inline["status"]["endpointName"], "inline-xgboost-endpoint");
    let model = harness
        .sagemaker
        .describe_model()
        .model_name(&model_names(&inline)[0])
        .send()
        .await
        .unwrap();
    let primary = model
        .primary_container()
        .expect("a single container is the primary container");
    assert_eq!(
        primary.image(),
        Some("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest")
    );
    assert_eq!(
        primary.model_data_url(),
        Some("s3://my-bucket/inference/xgboost-mnist/model.tar.gz")
    );
    assert_eq!(
        primary.environment().unwrap()["SAGEMAKER_PROGRAM"],
        "inference.py"
    );
    assert!(model.containers().is_empty());

    // Two containers in place: a pipeline in the order written.
    let pipeline = in_service(&harness, "pipeline-xgboost").await;
    let model = harness
        .sagemaker
        .describe_model()
        .model_name(&model_names(&pipeline)[0])
        .send()
        .await
        .unwrap();
    let hostnames: Vec<_> = model
        .containers()
        .iter()
        .filter_map(|c| c.container_hostname())
        .collect();
    assert_eq!(hostnames, ["preprocess", "predict"]);
    assert!(model.primary_container().is_none());

    // A multi-model container.
    let multi = in_service(&harness, "multi-model-xgboost").await;
    let model = harness
        .sagemaker
        .describe_model()
        .model_name(&model_names(&multi)[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        model
            .primary_container()
            .and_then(|c| c.mode())
            .map(|m| m.as_str()),
        Some("MultiModel")
    );

    for name in ["inline-xgboost", "pipeline-xgboost", "multi-model-xgboost"] {
        assert_scripts_see_no_failure(&harness, "hostingdeployment", name).await;
    }
    let waited = harness
        .cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "hostingdeployment/inline-xgboost",
            "-n",
            &harness.namespace,
            "--timeout=30s",
        ])
        .await;
    assert!(waited.success(), "{waited}");

    // An update with the variant properties retained (but the weight taken from the spec) is
    // deployed like any other.
    harness
        .apply(&INLINE.replace("xgboost:latest", "xgboost:2"))
        .await;
    let updated = wait_for_json(
        &harness,
        "hostingdeployment",
        "inline-xgboost",
        "the new image deployed",
        |d| {
            d["status"]["endpointStatus"] == "InService"
                && d["status"]["observedGeneration"] == 2
                && condition(d, "Ready").as_deref() == Some("True")
        },
    )
    .await;
    let endpoint = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name("inline-xgboost-endpoint")
        .send()
        .await
        .unwrap();
    assert_eq!(
        endpoint.endpoint_config_name(),
        updated["status"]["endpointConfigName"].as_str()
    );
    assert_ne!(
        updated["status"]["endpointConfigName"],
        inline["status"]["endpointConfigName"]
    );
    assert_scripts_see_no_failure(&harness, "hostingdeployment", "inline-xgboost").await;
}

#[tokio::test]
async fn a_spot_training_job_with_checkpoints_debugger_and_a_custom_endpoint_completes() {
    let harness = Harness::start("orig-training").await;
    // The original's custom-endpoint samples point spec.sageMakerEndpoint at the API to use.
    let manifest = DEBUGGER_SPOT.replace(
        "  region: us-west-2\n",
        &format!(
            "  region: us-west-2\n  sageMakerEndpoint: {}\n",
            harness.emulator.endpoint
        ),
    );
    harness.apply(&manifest).await;
    let waited = harness
        .cluster
        .kubectl(&[
            "wait",
            "--for=jsonpath={.status.trainingJobStatus}=Completed",
            "trainingjob/xgboost-debugger-spot",
            "-n",
            &harness.namespace,
            "--timeout=60s",
        ])
        .await;
    assert!(waited.success(), "{waited}");
    let waited = harness
        .cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "trainingjob/xgboost-debugger-spot",
            "-n",
            &harness.namespace,
            "--timeout=30s",
        ])
        .await;
    assert!(waited.success(), "{waited}");
    let job = wait_for_json(
        &harness,
        "trainingjob",
        "xgboost-debugger-spot",
        "Completed",
        |j| j["status"]["trainingJobStatus"] == "Completed",
    )
    .await;
    let name = job["status"]["sageMakerTrainingJobName"].as_str().unwrap();
    let described = harness
        .sagemaker
        .describe_training_job()
        .training_job_name(name)
        .send()
        .await
        .unwrap();
    assert_eq!(described.enable_managed_spot_training(), Some(true));
    assert_eq!(
        described.checkpoint_config().map(|c| c.s3_uri()),
        Some(Some("s3://my-bucket/xgboost/checkpoints/"))
    );
    // The hook's parameters, written under the original's name `ruleParameters`.
    assert_eq!(
        described
            .debug_hook_config()
            .and_then(|hook| hook.hook_parameters())
            .map(|p| p["save_interval"].as_str()),
        Some("1")
    );
    assert_eq!(
        described.debug_rule_configurations()[0].rule_configuration_name(),
        Some("LossNotDecreasing")
    );
    assert_scripts_see_no_failure(&harness, "trainingjob", "xgboost-debugger-spot").await;
}

#[tokio::test]
async fn a_spot_tuning_job_completes_and_scripts_read_its_status() {
    let harness = Harness::start("orig-hpo").await;
    let manifest = HPO_SAMPLE.replace(
        "maxRuntimeInSeconds: 86400",
        "maxRuntimeInSeconds: 3600\n      maxWaitTimeInSeconds: 3600",
    );
    assert_ne!(
        manifest, HPO_SAMPLE,
        "the sample has a stopping condition to extend"
    );
    let manifest = manifest.replace(
        "  trainingJobDefinition:\n",
        "  trainingJobDefinition:\n    enableManagedSpotTraining: true\n",
    );
    harness.apply(&manifest).await;
    let name = serde_saphyr::from_str::<Value>(HPO_SAMPLE).unwrap()["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let job = wait_for_json(
        &harness,
        "hyperparametertuningjob",
        &name,
        "Completed",
        |j| {
            j["status"]["hyperParameterTuningJobStatus"] == "Completed"
                && condition(j, "Ready").as_deref() == Some("True")
        },
    )
    .await;
    // The original wrote the objective metric's value as a string; scripts compare it as one.
    let value =
        &job["status"]["bestTrainingJob"]["finalHyperParameterTuningJobObjectiveMetric"]["value"];
    assert!(
        value
            .as_str()
            .is_some_and(|text| text.parse::<f64>().is_ok()),
        "{value}"
    );
    let sagemaker_name = job["status"]["sageMakerHyperParameterTuningJobName"]
        .as_str()
        .unwrap();
    let described = harness
        .sagemaker
        .describe_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name(sagemaker_name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .training_job_definition()
            .and_then(|d| d.enable_managed_spot_training()),
        Some(true)
    );
    assert_scripts_see_no_failure(&harness, "hyperparametertuningjob", &name).await;
    let children = harness
        .cluster
        .kubectl(&[
            "get",
            "trainingjobs",
            "-n",
            &harness.namespace,
            "-o",
            "name",
        ])
        .await
        .expect_success();
    let children: Vec<&str> = children.stdout.lines().collect();
    assert!(!children.is_empty());
    for child in children {
        assert_scripts_see_no_failure(
            &harness,
            "trainingjob",
            child.trim_start_matches("trainingjob.sagemaker.aws.amazon.com/"),
        )
        .await;
    }
}

#[tokio::test]
async fn batch_transform_model_and_endpoint_config_in_the_original_shapes_read_healthy() {
    let harness = Harness::start("orig-batch").await;
    harness
        .apply(
            r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: xgboost-model
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    containerHostname: xgboost
    image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest
    modelDataUrl: s3://my-bucket/inference/xgboost-mnist/model.tar.gz
---
apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: xgboost-config
spec:
  region: us-west-2
  productionVariants:
    - variantName: AllTraffic
      modelName: xgboost-model
      initialInstanceCount: 1
      instanceType: ml.r5.large
      initialVariantWeight: 1
"#,
        )
        .await;
    harness.apply(BATCH_TRANSFORM).await;
    let job = wait_for_json(
        &harness,
        "batchtransformjob",
        "xgboost-join",
        "Completed",
        |j| j["status"]["transformJobStatus"] == "Completed",
    )
    .await;
    let described = harness
        .sagemaker
        .describe_transform_job()
        .transform_job_name(job["status"]["sageMakerTransformJobName"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let processing = described.data_processing().expect("data processing sent");
    assert_eq!(processing.join_source().map(|j| j.as_str()), Some("Input"));
    assert_eq!(processing.output_filter(), Some("$[0,-1]"));
    let model = wait_for_json(&harness, "model", "xgboost-model", "Created", |m| {
        m["status"]["status"] == "Created"
    })
    .await;
    assert_eq!(
        model["status"]["lastUpdateTime"], model["status"]["lastCheckTime"],
        "the original's name for the time is written too"
    );
    wait_for_json(
        &harness,
        "endpointconfig",
        "xgboost-config",
        "Created",
        |c| c["status"]["status"] == "Created",
    )
    .await;
    for (resource, name) in [
        ("batchtransformjob", "xgboost-join"),
        ("model", "xgboost-model"),
        ("endpointconfig", "xgboost-config"),
    ] {
        assert_scripts_see_no_failure(&harness, resource, name).await;
    }
    let waited = harness
        .cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "model/xgboost-model",
            "endpointconfig/xgboost-config",
            "batchtransformjob/xgboost-join",
            "-n",
            &harness.namespace,
            "--timeout=30s",
        ])
        .await;
    assert!(waited.success(), "{waited}");
}
