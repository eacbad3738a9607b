//! References between objects (an EndpointConfig variant's `modelRef`) against the emulator:
//! a referring object waits for a missing Model without calling SageMaker, goes on by itself
//! (the watch on Models wakes it) once the Model is Created, and sends the Model's SageMaker
//! name; deleting a referenced Model leaves the configuration in SageMaker and says so; a chain
//! of references (InferenceComponent → Endpoint → EndpointConfig → Model) applied at once comes
//! up in dependency order.

use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::{DeleteParams, ListParams};
use sagemaker_k8s_api::{Endpoint, EndpointConfig, InferenceComponent, Model};
use sagemaker_k8s_testenv::wait_until;

use crate::harness::Harness;

/// A Model whose object name SageMaker does not accept (the dot), so its SageMaker name is a
/// derived one: an EndpointConfig can only name it by resolving the reference.
const MODEL: &str = "xgb.v1";

fn model_manifest() -> String {
    format!(
        r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: {MODEL}
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
    modelDataUrl: s3://my-bucket/sagemaker/xgboost-mnist/xgboost/model.tar.gz
"#
    )
}

fn config_manifest(name: &str) -> String {
    format!(
        r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: {name}
spec:
  region: us-west-2
  productionVariants:
    - variantName: all-traffic
      modelRef:
        name: {MODEL}
      initialInstanceCount: 1
      instanceType: ml.c5.large
"#
    )
}

/// The (status, reason, message) of the object's `ReferencesReady` condition.
fn references_ready(config: &EndpointConfig) -> Option<(String, String, String)> {
    let conditions = config.status.as_ref()?.common.conditions.as_ref()?;
    let condition = conditions.iter().find(|c| c.type_ == "ReferencesReady")?;
    Some((
        condition.status.clone(),
        condition.reason.clone(),
        condition.message.clone(),
    ))
}

fn state(config: &EndpointConfig) -> Option<&str> {
    config.status.as_ref()?.status.as_deref()
}

async fn wait_for_config(
    harness: &Harness,
    name: &str,
    what: &str,
    check: impl Fn(&EndpointConfig) -> bool,
) -> EndpointConfig {
    let configs: Api<EndpointConfig> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(60),
        &format!("{name}: {what} (operator log {log})"),
        || {
            let (configs, check) = (configs.clone(), &check);
            async move { configs.get_opt(name).await.ok().flatten().filter(check) }
        },
    )
    .await
}

async fn wait_for_model_created(harness: &Harness) -> Model {
    let models: Api<Model> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    wait_until(Duration::from_secs(60), "Model Created", || {
        let models = models.clone();
        async move {
            models.get_opt(MODEL).await.ok().flatten().filter(|model| {
                model.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Created")
            })
        }
    })
    .await
}

/// The model names of the SageMaker endpoint configuration's variants.
async fn sagemaker_variant_models(harness: &Harness, config: &str) -> Option<Vec<String>> {
    let described = harness
        .sagemaker
        .describe_endpoint_config()
        .endpoint_config_name(config)
        .send()
        .await
        .ok()?;
    Some(
        described
            .production_variants()
            .iter()
            .filter_map(|variant| variant.model_name().map(str::to_string))
            .collect(),
    )
}

/// The notes of the object's Events with `reason`, each with how often it was recorded.
async fn events(harness: &Harness, object: &str, reason: &str) -> Vec<(String, i32)> {
    let events: Api<Event> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let listed = events
        .list(&ListParams::default().fields(&format!("involvedObject.name={object}")))
        .await
        .expect("list Events");
    listed
        .items
        .into_iter()
        .filter(|event| event.reason.as_deref() == Some(reason))
        .map(|event| {
            let count = event.count.unwrap_or(1);
            (event.message.unwrap_or_default(), count)
        })
        .collect()
}

#[tokio::test]
async fn an_endpoint_config_waits_for_its_model_and_goes_on_by_itself_once_it_is_created() {
    let harness = Harness::start("refs-wait").await;
    let missing = format!(r#"Waiting for Model "{MODEL}": not found"#);
    harness.apply(&config_manifest("serving")).await;
    let waiting = wait_for_config(&harness, "serving", "waits for its Model", |config| {
        references_ready(config)
            .is_some_and(|(status, _, message)| status == "False" && message == missing)
    })
    .await;
    let (_, reason, _) = references_ready(&waiting).unwrap();
    assert_eq!(reason, "ReferenceNotFound");
    let additional = waiting
        .status
        .as_ref()
        .unwrap()
        .common
        .additional
        .as_deref();
    assert_eq!(additional, Some(missing.as_str()));
    assert_ne!(state(&waiting), Some("Created"));
    for operation in ["CreateEndpointConfig", "DescribeEndpointConfig"] {
        assert_eq!(
            harness.sagemaker_calls(operation).await,
            0,
            "no {operation} while the Model is missing"
        );
    }

    // The Model appears: the watch on Models wakes the configuration, no requeue or poll does
    // (a Created-state kind has none).
    harness.apply(&model_manifest()).await;
    let model = wait_for_model_created(&harness).await;
    let model_name = model.status.unwrap().sage_maker_model_name.unwrap();
    assert!(
        model_name.starts_with("xgb-v1-"),
        "a derived name: {model_name}"
    );
    let created = wait_for_config(&harness, "serving", "Created", |config| {
        state(config) == Some("Created")
    })
    .await;
    let (status, _, _) = references_ready(&created).unwrap();
    assert_eq!(status, "True");
    assert_eq!(
        created.status.as_ref().unwrap().common.additional,
        None,
        "the waiting message goes"
    );
    assert_eq!(
        sagemaker_variant_models(&harness, "serving").await,
        Some(vec![model_name]),
        "the SageMaker configuration names the Model's SageMaker name"
    );
    assert_eq!(harness.sagemaker_calls("CreateEndpointConfig").await, 1);
    let announced: Vec<_> = events(&harness, "serving", "WaitingForReference")
        .await
        .into_iter()
        .filter(|(note, _)| *note == missing)
        .collect();
    assert_eq!(announced, [(missing.clone(), 1)], "one Event for the wait");
}

#[tokio::test]
async fn deleting_a_referenced_model_keeps_the_configuration_and_says_the_reference_is_gone() {
    let harness = Harness::start("refs-delete").await;
    harness.apply(&model_manifest()).await;
    harness.apply(&config_manifest("kept")).await;
    let model = wait_for_model_created(&harness).await;
    let model_name = model.status.unwrap().sage_maker_model_name.unwrap();
    wait_for_config(&harness, "kept", "Created", |config| {
        state(config) == Some("Created")
    })
    .await;

    // The Model goes, with its SageMaker model; it is not held back by the reference.
    let models: Api<Model> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    models
        .delete(MODEL, &DeleteParams::default())
        .await
        .expect("delete the Model");
    wait_until(
        Duration::from_secs(60),
        "Model and its SageMaker model gone",
        || {
            let (models, harness, model_name) = (models.clone(), &harness, &model_name);
            async move {
                let object_gone = models.get_opt(MODEL).await.ok()?.is_none();
                let sagemaker_gone = harness
                    .sagemaker
                    .describe_model()
                    .model_name(model_name)
                    .send()
                    .await
                    .is_err();
                (object_gone && sagemaker_gone).then_some(())
            }
        },
    )
    .await;

    // The configuration stays in SageMaker as it was, and says what it waits for.
    let gone = format!(r#"Waiting for Model "{MODEL}": not found"#);
    let shown = wait_for_config(&harness, "kept", "shows the Model gone", |config| {
        references_ready(config)
            .is_some_and(|(status, _, message)| status == "False" && message == gone)
    })
    .await;
    assert_eq!(state(&shown), Some("Created"));
    assert_eq!(
        sagemaker_variant_models(&harness, "kept").await,
        Some(vec![model_name]),
        "the SageMaker configuration is untouched"
    );
    assert_eq!(harness.sagemaker_calls("DeleteEndpointConfig").await, 0);
    // One Event per wait (applied together, the configuration may also have waited for the
    // Model to be Created; while it was deleted, for it to go).
    let announced = events(&harness, "kept", "WaitingForReference").await;
    assert!(announced.contains(&(gone, 1)), "{announced:?}");
    assert!(
        announced.iter().all(|(_, count)| *count == 1),
        "{announced:?}"
    );

    // Deleting the configuration object deletes its SageMaker configuration: nothing is left.
    let configs: Api<EndpointConfig> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    configs
        .delete("kept", &DeleteParams::default())
        .await
        .expect("delete the EndpointConfig");
    wait_until(
        Duration::from_secs(60),
        "configuration gone everywhere",
        || {
            let (configs, harness) = (configs.clone(), &harness);
            async move {
                let object_gone = configs.get_opt("kept").await.ok()?.is_none();
                let sagemaker_gone = sagemaker_variant_models(harness, "kept").await.is_none();
                (object_gone && sagemaker_gone).then_some(())
            }
        },
    )
    .await;
}

/// Model ← EndpointConfig ← Endpoint ← InferenceComponent, each naming the next by reference,
/// applied in one manifest with the last one first and no SageMaker names given: every object
/// waits for what it names and goes on by the watches, and each SageMaker request carries the
/// SageMaker name the referenced object got (derived from its name and UID).
#[tokio::test]
async fn a_chain_of_references_applied_at_once_comes_up_in_dependency_order() {
    let harness = Harness::start("refs-chain").await;
    harness
        .apply(
            "apiVersion: sagemaker.aws.amazon.com/v1
kind: InferenceComponent
metadata:
  name: chain-ic
spec:
  region: us-west-2
  endpointRef:
    name: chain-endpoint
  variantName: AllTraffic
  specification:
    modelRef:
      name: chain.model
    computeResourceRequirements:
      minMemoryRequiredInMb: 1024
      numberOfCpuCoresRequired: 1
  runtimeConfig:
    copyCount: 2
---
apiVersion: sagemaker.aws.amazon.com/v1
kind: Endpoint
metadata:
  name: chain-endpoint
spec:
  region: us-west-2
  endpointConfigRef:
    name: chain-config
---
apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: chain-config
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  productionVariants:
    - variantName: AllTraffic
      initialInstanceCount: 1
      instanceType: ml.c5.large
---
apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: chain.model
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
    modelDataUrl: s3://my-bucket/model.tar.gz
",
        )
        .await;
    let client = harness.cluster.client();
    let components: Api<InferenceComponent> = Api::namespaced(client.clone(), &harness.namespace);
    let component = wait_until(
        Duration::from_secs(120),
        "chain-ic InService with 2 copies",
        || {
            let components = components.clone();
            async move {
                components
                    .get_opt("chain-ic")
                    .await
                    .ok()
                    .flatten()
                    .filter(|c| {
                        let status = c.status.as_ref();
                        status.and_then(|s| s.status.as_deref()) == Some("InService")
                            && status
                                .and_then(|s| s.runtime_config.as_ref())
                                .and_then(|r| r.current_copy_count)
                                == Some(2)
                    })
            }
        },
    )
    .await;
    let endpoints: Api<Endpoint> = Api::namespaced(client.clone(), &harness.namespace);
    let endpoint = endpoints.get("chain-endpoint").await.unwrap();
    let endpoint_name = endpoint
        .status
        .as_ref()
        .and_then(|s| s.sage_maker_name.clone())
        .expect("the endpoint's SageMaker name");
    let models: Api<Model> = Api::namespaced(client, &harness.namespace);
    let model_name = models
        .get("chain.model")
        .await
        .unwrap()
        .status
        .and_then(|s| s.sage_maker_model_name)
        .expect("the model's SageMaker name");
    assert_ne!(
        model_name, "chain.model",
        "a derived name: '.' is not allowed"
    );
    let described = harness
        .sagemaker
        .describe_inference_component()
        .inference_component_name(
            component
                .status
                .as_ref()
                .and_then(|s| s.sage_maker_name.as_deref())
                .expect("the component's SageMaker name"),
        )
        .send()
        .await
        .expect("the component exists in SageMaker");
    assert_eq!(described.endpoint_name(), Some(endpoint_name.as_str()));
    assert_eq!(
        described
            .specification()
            .and_then(|specification| specification.model_name()),
        Some(model_name.as_str())
    );
    let endpoint_described = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint_name)
        .send()
        .await
        .expect("the endpoint exists in SageMaker");
    assert_eq!(
        endpoint_described.endpoint_config_name(),
        endpoint
            .status
            .as_ref()
            .and_then(|s| s.endpoint_config_name.as_deref())
    );
    // Each waiting object announced its wait; the last in the chain waited for the others.
    assert!(
        !events(&harness, "chain-ic", "WaitingForReference")
            .await
            .is_empty(),
        "chain-ic waited for its endpoint and model"
    );
}
