//! HostingDeployment, Model and EndpointConfig against the emulator: create → InService,
//! updates (instance count, new config, during Creating, failed then corrected), multi-model and
//! pipeline models, deletion without leftovers, invoking the endpoint through sagemaker-runtime.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::Api;
use kube::api::DeleteParams;
use kube::runtime::watcher;
use sagemaker_k8s_api::{EndpointConfig, HOSTING_STATE_ANNOTATION, HostingDeployment, Model};
use sagemaker_k8s_testenv::{poll_until, wait_until};

use crate::harness::Harness;

const SAMPLE: &str = include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml");
const MULTI_MODEL_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-multi-model-hostingdeployment.yaml");
const BATCH_TRANSFORM_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-batchtransform.yaml");

fn deployments(harness: &Harness) -> Api<HostingDeployment> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

fn endpoint_status(deployment: &HostingDeployment) -> Option<&str> {
    deployment
        .status
        .as_ref()
        .and_then(|status| status.endpoint_status.as_deref())
}

fn has_condition(
    conditions: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>,
    type_: &str,
    status: &str,
) -> bool {
    conditions.is_some_and(|conditions| {
        conditions
            .iter()
            .any(|c| c.type_ == type_ && c.status == status)
    })
}

/// Whether a condition of this type is present at all, whatever its status.
fn has_condition_type(
    conditions: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>,
    type_: &str,
) -> bool {
    conditions.is_some_and(|conditions| conditions.iter().any(|c| c.type_ == type_))
}

fn condition(deployment: &HostingDeployment, type_: &str, status: &str) -> bool {
    has_condition(
        deployment
            .status
            .as_ref()
            .and_then(|s| s.common.conditions.as_ref()),
        type_,
        status,
    )
}

fn uid_hex(deployment: &HostingDeployment) -> String {
    deployment.metadata.uid.clone().unwrap().replace('-', "")
}

async fn wait_for(
    harness: &Harness,
    name: &str,
    what: &str,
    check: impl Fn(&HostingDeployment) -> bool,
) -> HostingDeployment {
    let api = deployments(harness);
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(90),
        &format!("{name}: {what} (operator log {log})"),
        || {
            let api = api.clone();
            let check = &check;
            async move { api.get_opt(name).await.ok().flatten().filter(|d| check(d)) }
        },
    )
    .await
}

/// The sample with emulator tags appended to its spec (and optional text replacements).
fn sample_with(tags: &[(&str, &str)], replacements: &[(&str, &str)]) -> String {
    let mut manifest = SAMPLE.to_string();
    for (from, to) in replacements {
        assert!(manifest.contains(from), "sample contains {from}");
        manifest = manifest.replace(from, to);
    }
    if !tags.is_empty() {
        manifest.push_str("  tags:\n");
        for (key, value) in tags {
            manifest.push_str(&format!("    - key: \"{key}\"\n      value: \"{value}\"\n"));
        }
    }
    manifest
}

/// SageMaker's models, endpoint configs and endpoints whose names contain `fragment`.
async fn sagemaker_resources(
    harness: &Harness,
    fragment: &str,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let sm = &harness.sagemaker;
    let models = sm
        .list_models()
        .name_contains(fragment)
        .max_results(100)
        .send()
        .await
        .unwrap();
    let configs = sm
        .list_endpoint_configs()
        .name_contains(fragment)
        .max_results(100)
        .send()
        .await
        .unwrap();
    let endpoints = sm
        .list_endpoints()
        .name_contains(fragment)
        .max_results(100)
        .send()
        .await
        .unwrap();
    (
        models
            .models()
            .iter()
            .filter_map(|m| m.model_name().map(str::to_string))
            .collect(),
        configs
            .endpoint_configs()
            .iter()
            .filter_map(|c| c.endpoint_config_name().map(str::to_string))
            .collect(),
        endpoints
            .endpoints()
            .iter()
            .filter_map(|e| e.endpoint_name().map(str::to_string))
            .collect(),
    )
}

/// Records every `endpointStatus` the object shows, in order, from a watch.
fn record_statuses(harness: &Harness, name: &str) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let api = deployments(harness);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let recorder = seen.clone();
    tokio::spawn(async move {
        let mut events = watcher::watcher(api, config).boxed();
        while let Some(event) = events.next().await {
            let object = match event {
                Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => object,
                _ => continue,
            };
            if let Some(status) = endpoint_status(&object) {
                let mut seen = recorder.lock().unwrap();
                if seen.last().map(String::as_str) != Some(status) {
                    seen.push(status.to_string());
                }
            }
        }
    });
    seen
}

/// Whether `sequence` contains `wanted` in order (not necessarily adjacent).
fn in_order(sequence: &[String], wanted: &[&str]) -> bool {
    let mut wanted = wanted.iter().peekable();
    for item in sequence {
        if wanted.peek().is_some_and(|w| **w == item.as_str()) {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

async fn delete_and_expect_nothing_left(
    harness: &Harness,
    name: &str,
    uid_hex: &str,
    endpoint: &str,
) {
    deployments(harness)
        .delete(name, &DeleteParams::default())
        .await
        .unwrap();
    let api = deployments(harness);
    wait_until(Duration::from_secs(60), &format!("{name} deleted"), || {
        let api = api.clone();
        async move { api.get_opt(name).await.unwrap().is_none().then_some(()) }
    })
    .await;
    let (models, configs, _) = sagemaker_resources(harness, uid_hex).await;
    let (_, _, endpoints) = sagemaker_resources(harness, endpoint).await;
    assert!(
        models.is_empty() && configs.is_empty() && endpoints.is_empty(),
        "left in SageMaker: {models:?} {configs:?} {endpoints:?}"
    );
}

#[tokio::test]
async fn hosting_deployment_goes_in_service_answers_invocations_and_deletes_everything() {
    let harness = Harness::start("hd-create").await;
    harness.apply(SAMPLE).await;
    let deployment = wait_for(&harness, "host-xgboost", "InService and Ready", |d| {
        endpoint_status(d) == Some("InService") && condition(d, "Ready", "True")
    })
    .await;
    let uid = uid_hex(&deployment);
    let status = deployment.status.clone().unwrap();
    let endpoint = format!("host-xgboost-{uid}");
    assert_eq!(status.endpoint_name.as_deref(), Some(endpoint.as_str()));
    assert_eq!(
        status.endpoint_config_name,
        Some(format!("host-xgboost-1-{uid}"))
    );
    let model_names = status.model_names.clone().unwrap();
    assert_eq!(model_names.len(), 1);
    assert_eq!(
        (model_names[0].name.as_str(), model_names[0].value.clone()),
        ("xgboost-model", format!("xgboost-model-1-{uid}"))
    );
    assert_eq!(
        status.endpoint_url,
        Some(format!(
            "https://runtime.sagemaker.us-west-2.amazonaws.com/endpoints/{endpoint}/invocations"
        ))
    );
    assert!(
        status
            .endpoint_arn
            .unwrap()
            .ends_with(&format!("endpoint/{endpoint}"))
    );
    assert!(
        status.creation_time.is_some()
            && status.last_modified_time.is_some()
            && status.common.last_check_time.is_some()
    );
    assert!(
        status.common.additional.is_none() && status.failure_reason.is_none(),
        "{:?}",
        status.common.additional
    );
    let variants = status.production_variants.unwrap();
    assert_eq!(variants[0].variant_name.as_deref(), Some("all-traffic"));
    assert_eq!(variants[0].current_instance_count, Some(1));
    assert_eq!(
        status.common.observed_generation,
        deployment.metadata.generation
    );
    // No `Failed` condition on a healthy object (not even one that is False).
    assert!(
        !has_condition_type(
            deployment
                .status
                .as_ref()
                .and_then(|s| s.common.conditions.as_ref()),
            "Failed"
        ),
        "{:?}",
        deployment.status
    );

    // What the operator created carries its ownership tag; the model is a single container.
    let described = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint)
        .send()
        .await
        .unwrap();
    let tags = harness
        .sagemaker
        .list_tags()
        .resource_arn(described.endpoint_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some(sagemaker_k8s_aws::OWNER_UID_TAG)
                && t.value() == deployment.metadata.uid.as_deref())
    );
    let model = harness
        .sagemaker
        .describe_model()
        .model_name(format!("xgboost-model-1-{uid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        model.primary_container().and_then(|c| c.model_data_url()),
        Some("s3://my-bucket/inference/xgboost-mnist/model.tar.gz")
    );

    // The guide's invocation: 784 comma-separated numbers as text/csv → one prediction.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_sdk_sagemakerruntime::config::Region::new("us-west-2"))
        .credentials_provider(aws_sdk_sagemakerruntime::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(&harness.emulator.endpoint)
        .load()
        .await;
    let runtime = aws_sdk_sagemakerruntime::Client::new(&config);
    let body: Vec<String> = (1..=784).map(|i| i.to_string()).collect();
    let answer = runtime
        .invoke_endpoint()
        .endpoint_name(&endpoint)
        .content_type("text/csv")
        .body(aws_sdk_sagemakerruntime::primitives::Blob::new(
            body.join(","),
        ))
        .send()
        .await
        .expect("InvokeEndpoint");
    let prediction: f64 = String::from_utf8(answer.body().unwrap().as_ref().to_vec())
        .unwrap()
        .trim()
        .parse()
        .expect("a number");
    assert!((0.0..10.0).contains(&prediction), "{prediction}");
    assert_eq!(answer.invoked_production_variant(), Some("all-traffic"));

    // kubectl shows the guide's columns.
    let table = harness
        .cluster
        .kubectl(&["get", "hostingdeployments", "-n", &harness.namespace])
        .await;
    let table = table.expect_success().stdout.clone();
    assert!(
        table.contains("SAGEMAKER-ENDPOINT-NAME")
            && table.contains("InService")
            && table.contains(&endpoint),
        "{table}"
    );

    delete_and_expect_nothing_left(&harness, "host-xgboost", &uid, &endpoint).await;
}

#[tokio::test]
async fn instance_count_update_goes_through_reconciling_and_updating_with_weights_and_capacities() {
    let harness = Harness::start("hd-count").await;
    // Each endpoint transition takes 3 s, long enough to see every status.
    let original = sample_with(&[("emulator:duration-seconds", "300")], &[]);
    harness.apply(&original).await;
    let deployment = wait_for(&harness, "host-xgboost", "InService", |d| {
        endpoint_status(d) == Some("InService")
    })
    .await;
    let uid = uid_hex(&deployment);
    let seen = record_statuses(&harness, "host-xgboost");
    // The watch must have its starting point before the edit, or the edit's first statuses
    // could arrive as its initial list.
    wait_until(Duration::from_secs(10), "watch started", || {
        let seen = seen.clone();
        async move { (!seen.lock().unwrap().is_empty()).then_some(()) }
    })
    .await;
    harness
        .apply(&original.replace("initialInstanceCount: 1", "initialInstanceCount: 2"))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "2 instances InService", |d| {
        endpoint_status(d) == Some("InService")
            && condition(d, "Ready", "True")
            && d.status.as_ref().unwrap().common.observed_generation == Some(2)
            && d.status
                .as_ref()
                .unwrap()
                .production_variants
                .as_ref()
                .is_some_and(|v| v[0].current_instance_count == Some(2))
    })
    .await;
    let sequence = seen.lock().unwrap().clone();
    assert!(
        in_order(
            &sequence,
            &["InService", "ReconcilingEndpoint", "Updating", "InService"]
        ),
        "{sequence:?}"
    );
    assert_eq!(
        harness
            .sagemaker_calls("UpdateEndpointWeightsAndCapacities")
            .await,
        1
    );
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 0);
    // The config stays; nothing new was created.
    assert_eq!(
        deployment.status.unwrap().endpoint_config_name,
        Some(format!("host-xgboost-1-{uid}"))
    );
    let (models, configs, _) = sagemaker_resources(&harness, &uid).await;
    assert_eq!(
        (models.len(), configs.len()),
        (1, 1),
        "{models:?} {configs:?}"
    );

    // Reverting is another capacity change, and re-applying the same spec changes nothing.
    harness.apply(&original).await;
    wait_for(&harness, "host-xgboost", "back to 1 instance", |d| {
        endpoint_status(d) == Some("InService")
            && d.status.as_ref().unwrap().common.observed_generation == Some(3)
            && d.status
                .as_ref()
                .unwrap()
                .production_variants
                .as_ref()
                .is_some_and(|v| v[0].current_instance_count == Some(1))
    })
    .await;
    assert_eq!(
        harness
            .sagemaker_calls("UpdateEndpointWeightsAndCapacities")
            .await,
        2
    );
    harness.apply(&original).await;
    let more = poll_until(Duration::from_secs(3), || {
        let harness = &harness;
        async move {
            (harness
                .sagemaker_calls("UpdateEndpointWeightsAndCapacities")
                .await
                > 2
                || harness.sagemaker_calls("UpdateEndpoint").await > 0)
                .then_some(())
        }
    })
    .await;
    assert!(more.is_none(), "an unchanged spec was redeployed");
}

#[tokio::test]
async fn new_image_creates_a_new_config_and_deletes_the_old_one() {
    let harness = Harness::start("hd-image").await;
    harness.apply(SAMPLE).await;
    let deployment = wait_for(&harness, "host-xgboost", "InService", |d| {
        endpoint_status(d) == Some("InService")
    })
    .await;
    let uid = uid_hex(&deployment);
    let updated = SAMPLE.replace("xgboost:latest", "xgboost:2");
    harness.apply(&updated).await;
    let deployment = wait_for(&harness, "host-xgboost", "InService on generation 2", |d| {
        endpoint_status(d) == Some("InService")
            && d.status.as_ref().unwrap().endpoint_config_name
                == Some(format!("host-xgboost-2-{uid}"))
            && condition(d, "Ready", "True")
    })
    .await;
    let status = deployment.status.unwrap();
    assert_eq!(
        status.model_names.unwrap()[0].value,
        format!("xgboost-model-2-{uid}")
    );
    let images = &status.production_variants.unwrap()[0].deployed_images;
    assert!(
        images.as_ref().unwrap()[0]
            .specified_image
            .as_deref()
            .unwrap()
            .ends_with("xgboost:2")
    );
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 1);
    let expected = (
        vec![format!("xgboost-model-2-{uid}")],
        vec![format!("host-xgboost-2-{uid}")],
    );
    wait_until(
        Duration::from_secs(20),
        "old config and model deleted",
        || {
            let harness = &harness;
            let (uid, expected) = (&uid, &expected);
            async move {
                let (models, configs, _) = sagemaker_resources(harness, uid).await;
                (models == expected.0 && configs == expected.1).then_some(())
            }
        },
    )
    .await;
}

#[tokio::test]
async fn an_edit_during_creating_is_applied_once_in_service() {
    let harness = Harness::start("hd-creating").await;
    let original = sample_with(&[("emulator:duration-seconds", "300")], &[]);
    harness.apply(&original).await;
    let deployment = wait_for(&harness, "host-xgboost", "Creating", |d| {
        endpoint_status(d) == Some("Creating")
    })
    .await;
    let uid = uid_hex(&deployment);
    harness
        .apply(&original.replace("xgboost:latest", "xgboost:2"))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "generation 2 InService", |d| {
        endpoint_status(d) == Some("InService")
            && d.status.as_ref().unwrap().endpoint_config_name
                == Some(format!("host-xgboost-2-{uid}"))
    })
    .await;
    assert!(condition(&deployment, "Ready", "True"));
    assert_eq!(harness.sagemaker_calls("CreateEndpoint").await, 1);
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 1);
}

#[tokio::test]
async fn a_failed_update_stays_on_the_last_good_config_until_the_spec_is_corrected() {
    let harness = Harness::start("hd-failed-update").await;
    harness.apply(SAMPLE).await;
    let deployment = wait_for(&harness, "host-xgboost", "InService", |d| {
        endpoint_status(d) == Some("InService")
    })
    .await;
    let uid = uid_hex(&deployment);
    // The emulator rolls back an update to a config tagged emulator:outcome=Failed.
    let failing = sample_with(
        &[
            ("emulator:outcome", "Failed"),
            ("emulator:failure-reason", "image xgboost:broken not found"),
        ],
        &[("xgboost:latest", "xgboost:broken")],
    );
    harness.apply(&failing).await;
    let deployment = wait_for(&harness, "host-xgboost", "update failure reported", |d| {
        condition(d, "Failed", "True") && endpoint_status(d) == Some("InService")
    })
    .await;
    let status = deployment.status.clone().unwrap();
    assert_eq!(
        status.endpoint_config_name,
        Some(format!("host-xgboost-1-{uid}")),
        "still on the last good config"
    );
    assert!(
        status
            .common
            .additional
            .as_deref()
            .unwrap_or_default()
            .contains("image xgboost:broken not found"),
        "{:?}",
        status.common.additional
    );
    assert!(condition(&deployment, "Ready", "False"));
    // The failed spec is not retried.
    let retried = poll_until(Duration::from_secs(3), || {
        let harness = &harness;
        async move { (harness.sagemaker_calls("UpdateEndpoint").await > 1).then_some(()) }
    })
    .await;
    assert!(retried.is_none(), "a failed spec was sent again");
    // Reverting to what runs clears the failure without a redeploy.
    harness.apply(SAMPLE).await;
    wait_for(
        &harness,
        "host-xgboost",
        "failure cleared by the revert",
        |d| {
            condition(d, "Ready", "True")
                && !has_condition_type(
                    d.status.as_ref().and_then(|s| s.common.conditions.as_ref()),
                    "Failed",
                )
        },
    )
    .await;
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, 1);
    // A corrected spec is applied; the failed generation's resources go away.
    harness
        .apply(&SAMPLE.replace("xgboost:latest", "xgboost:3"))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "corrected spec InService", |d| {
        endpoint_status(d) == Some("InService")
            && condition(d, "Ready", "True")
            && d.status.as_ref().unwrap().endpoint_config_name
                == Some(format!("host-xgboost-4-{uid}"))
    })
    .await;
    assert!(!has_condition_type(
        deployment
            .status
            .as_ref()
            .and_then(|s| s.common.conditions.as_ref()),
        "Failed"
    ));
    assert!(deployment.status.unwrap().common.additional.is_none());
    // Generations: 1 deployed, 2 failed, 3 the revert, 4 the correction.
    wait_until(Duration::from_secs(20), "only generation 4 left", || {
        let harness = &harness;
        let uid = &uid;
        async move {
            let (models, configs, _) = sagemaker_resources(harness, uid).await;
            (models == vec![format!("xgboost-model-4-{uid}")]
                && configs == vec![format!("host-xgboost-4-{uid}")])
            .then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn a_failed_endpoint_is_reported_and_deleted_without_leftovers() {
    let harness = Harness::start("hd-failed").await;
    harness
        .apply(&sample_with(
            &[
                ("emulator:outcome", "Failed"),
                ("emulator:failure-reason", "ping health check failed"),
            ],
            &[],
        ))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "Failed", |d| {
        endpoint_status(d) == Some("Failed") && condition(d, "Failed", "True")
    })
    .await;
    let status = deployment.status.clone().unwrap();
    assert_eq!(
        status.failure_reason.as_deref(),
        Some("ping health check failed")
    );
    assert!(condition(&deployment, "Ready", "False"));
    let uid = uid_hex(&deployment);
    let endpoint = status.endpoint_name.unwrap();
    delete_and_expect_nothing_left(&harness, "host-xgboost", &uid, &endpoint).await;
}

#[tokio::test]
async fn multi_model_and_pipeline_variants_and_the_multi_model_sample() {
    let harness = Harness::start("hd-multi").await;
    let manifest = r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: HostingDeployment
metadata:
  name: two-models
spec:
  region: us-west-2
  productionVariants:
    - variantName: single
      modelName: xgboost
      initialInstanceCount: 1
      instanceType: ml.c5.large
      initialVariantWeight: 0.7
    - variantName: pipeline
      modelName: preprocessed-xgboost
      initialInstanceCount: 1
      instanceType: ml.c5.large
      initialVariantWeight: 0.3
  models:
    - name: xgboost
      executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
      primaryContainer: xgboost
    - name: preprocessed-xgboost
      executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
      containers:
        - preprocess
        - xgboost
  containers:
    - containerHostname: preprocess
      image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/preprocess:1
    - containerHostname: xgboost
      modelDataUrl: s3://my-bucket/inference/xgboost-mnist/model.tar.gz
      image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest
"#;
    harness.apply(manifest).await;
    harness.apply(MULTI_MODEL_SAMPLE).await;
    let deployment = wait_for(&harness, "two-models", "InService", |d| {
        endpoint_status(d) == Some("InService")
    })
    .await;
    let uid = uid_hex(&deployment);
    let status = deployment.status.unwrap();
    let names: Vec<(String, String)> = status
        .model_names
        .unwrap()
        .into_iter()
        .map(|pair| (pair.name, pair.value))
        .collect();
    assert_eq!(
        names,
        vec![
            ("xgboost".into(), format!("xgboost-1-{uid}")),
            (
                "preprocessed-xgboost".into(),
                format!("preprocessed-xgboost-1-{uid}")
            )
        ]
    );
    let variants = status.production_variants.unwrap();
    assert_eq!(variants.len(), 2);
    assert!(
        (variants[1].current_weight.unwrap() - 0.3).abs() < 1e-6,
        "{variants:?}"
    );
    let single = harness
        .sagemaker
        .describe_model()
        .model_name(format!("xgboost-1-{uid}"))
        .send()
        .await
        .unwrap();
    assert!(single.primary_container().is_some() && single.containers().is_empty());
    let pipeline = harness
        .sagemaker
        .describe_model()
        .model_name(format!("preprocessed-xgboost-1-{uid}"))
        .send()
        .await
        .unwrap();
    let hostnames: Vec<_> = pipeline
        .containers()
        .iter()
        .filter_map(|c| c.container_hostname())
        .collect();
    assert_eq!(hostnames, ["preprocess", "xgboost"]);
    assert!(pipeline.primary_container().is_none());

    let multi = wait_for(&harness, "host-xgboost-multi-model", "InService", |d| {
        endpoint_status(d) == Some("InService")
    })
    .await;
    let multi_model = multi.status.unwrap().model_names.unwrap()[0].value.clone();
    let described = harness
        .sagemaker
        .describe_model()
        .model_name(&multi_model)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .primary_container()
            .and_then(|c| c.mode())
            .map(|m| m.as_str()),
        Some("MultiModel")
    );
}

#[tokio::test]
async fn a_spec_referring_to_an_undefined_container_is_reported_on_the_field() {
    let harness = Harness::start("hd-invalid").await;
    harness
        .apply(&SAMPLE.replace(
            "primaryContainer: xgboost\n      containers:\n        - xgboost",
            "primaryContainer: missing",
        ))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "invalid spec reported", |d| {
        condition(d, "Failed", "True")
    })
    .await;
    let additional = deployment.status.unwrap().common.additional.unwrap();
    assert!(
        additional.contains("spec.models[0]") && additional.contains("\"missing\""),
        "{additional}"
    );
    let uid = deployment.metadata.uid.unwrap().replace('-', "");
    assert_eq!(
        sagemaker_resources(&harness, &uid).await,
        (vec![], vec![], vec![])
    );
}

#[tokio::test]
async fn model_and_endpoint_config_objects_are_created_replaced_and_deleted() {
    let harness = Harness::start("hd-standalone").await;
    // The batch transform sample's Model (its job refers to the model by the object's name).
    let model_manifest = BATCH_TRANSFORM_SAMPLE
        .split("---")
        .next()
        .unwrap()
        .to_string();
    harness.apply(&model_manifest).await;
    let config_manifest = r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: xgboost-config
spec:
  region: us-west-2
  productionVariants:
    - variantName: all-traffic
      modelName: xgboost-mnist-model
      initialInstanceCount: 1
      instanceType: ml.c5.large
"#;
    harness.apply(config_manifest).await;
    let models: Api<Model> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let configs: Api<EndpointConfig> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let model =
        wait_until(Duration::from_secs(60), "model Created", || {
            let models = models.clone();
            async move {
                models.get("xgboost-mnist-model").await.ok().filter(|m| {
                    m.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
                })
            }
        })
        .await;
    let model_status = model.status.unwrap();
    assert_eq!(
        model_status.sage_maker_model_name.as_deref(),
        Some("xgboost-mnist-model")
    );
    assert!(
        model_status
            .model_arn
            .unwrap()
            .ends_with("model/xgboost-mnist-model")
    );
    assert!(has_condition(
        model_status.common.conditions.as_ref(),
        "Ready",
        "True"
    ));
    wait_until(Duration::from_secs(60), "config Created", || {
        let configs = configs.clone();
        async move {
            configs.get("xgboost-config").await.ok().filter(|c| {
                c.status
                    .as_ref()
                    .and_then(|s| s.sage_maker_endpoint_config_name.as_deref())
                    == Some("xgboost-config")
                    && c.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
            })
        }
    })
    .await;
    let table = harness
        .cluster
        .kubectl(&["get", "models,endpointconfigs", "-n", &harness.namespace])
        .await
        .expect_success()
        .stdout
        .clone();
    assert!(
        table.contains("SAGEMAKER-MODEL-NAME") && table.contains("Created"),
        "{table}"
    );

    // A spec change replaces the SageMaker model under the same name.
    harness
        .apply(&model_manifest.replace("xgboost:1", "xgboost:2"))
        .await;
    wait_until(Duration::from_secs(60), "model replaced", || {
        let harness = &harness;
        async move {
            let described = harness
                .sagemaker
                .describe_model()
                .model_name("xgboost-mnist-model")
                .send()
                .await
                .ok()?;
            described
                .primary_container()?
                .image()?
                .ends_with("xgboost:2")
                .then_some(())
        }
    })
    .await;
    assert_eq!(harness.sagemaker_calls("DeleteModel").await, 1);

    // Deleting the objects deletes the SageMaker resources.
    configs
        .delete("xgboost-config", &DeleteParams::default())
        .await
        .unwrap();
    models
        .delete("xgboost-mnist-model", &DeleteParams::default())
        .await
        .unwrap();
    wait_until(
        Duration::from_secs(60),
        "objects and SageMaker resources gone",
        || {
            let (harness, models, configs) = (&harness, models.clone(), configs.clone());
            async move {
                let gone = models.get_opt("xgboost-mnist-model").await.ok()?.is_none()
                    && configs.get_opt("xgboost-config").await.ok()?.is_none();
                let (sm_models, sm_configs, _) = sagemaker_resources(harness, "xgboost").await;
                (gone && sm_models.is_empty() && sm_configs.is_empty()).then_some(())
            }
        },
    )
    .await;
}

#[tokio::test]
async fn a_failed_endpoint_is_recreated_from_a_corrected_spec() {
    let harness = Harness::start("hd-recreate").await;
    // The emulator fails it for its tag; the correction is a real spec change (a tag edit alone
    // is applied in place, never redeployed).
    harness
        .apply(&sample_with(
            &[("emulator:outcome", "Failed")],
            &[("ml.c5.large", "ml.m5.large")],
        ))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "Failed", |d| {
        endpoint_status(d) == Some("Failed")
    })
    .await;
    let uid = uid_hex(&deployment);
    // Unchanged, a failed endpoint stays as it is.
    let retried = poll_until(Duration::from_secs(2), || {
        let harness = &harness;
        async move { (harness.sagemaker_calls("DeleteEndpoint").await > 0).then_some(()) }
    })
    .await;
    assert!(
        retried.is_none(),
        "a failed endpoint with an unchanged spec was deleted"
    );
    harness.apply(SAMPLE).await;
    let deployment = wait_for(&harness, "host-xgboost", "recreated InService", |d| {
        endpoint_status(d) == Some("InService") && condition(d, "Ready", "True")
    })
    .await;
    assert_eq!(
        deployment.status.unwrap().endpoint_config_name,
        Some(format!("host-xgboost-2-{uid}"))
    );
    assert_eq!(harness.sagemaker_calls("CreateEndpoint").await, 2);
    assert_eq!(harness.sagemaker_calls("DeleteEndpoint").await, 1);
}

#[tokio::test]
async fn a_restarted_operator_without_its_record_adopts_the_endpoint_instead_of_redeploying() {
    let mut harness = Harness::start("hd-restart").await;
    harness
        .apply(&sample_with(&[("emulator:duration-seconds", "300")], &[]))
        .await;
    let deployment = wait_for(&harness, "host-xgboost", "Creating", |d| {
        endpoint_status(d) == Some("Creating")
    })
    .await;
    // Crash, and lose the operator's record too (as if it died between the call and the write).
    harness.operator.kill_hard();
    harness
        .cluster
        .kubectl(&[
            "annotate",
            "-n",
            &harness.namespace,
            "hostingdeployment/host-xgboost",
            &format!("{HOSTING_STATE_ANNOTATION}-"),
        ])
        .await
        .expect_success();
    harness.operator =
        crate::harness::spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
    let deployment_after = wait_for(
        &harness,
        "host-xgboost",
        "InService and Ready after restart",
        |d| endpoint_status(d) == Some("InService") && condition(d, "Ready", "True"),
    )
    .await;
    assert_eq!(deployment_after.metadata.uid, deployment.metadata.uid);
    for operation in ["CreateEndpoint", "CreateEndpointConfig", "CreateModel"] {
        assert_eq!(harness.sagemaker_calls(operation).await, 1, "{operation}");
    }
    assert_eq!(
        harness.sagemaker_calls("UpdateEndpoint").await
            + harness
                .sagemaker_calls("UpdateEndpointWeightsAndCapacities")
                .await,
        0
    );
    let events: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let reasons: Vec<String> = events
        .list(&kube::api::ListParams::default().fields("involvedObject.name=host-xgboost"))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|event| event.reason)
        .collect();
    for reason in ["Created", "Creating", "InService"] {
        assert!(
            reasons.iter().any(|r| r == reason),
            "no {reason} Event in {reasons:?}"
        );
    }
}
