//! The chaos soak: objects of every kind while SageMaker misbehaves (throttling, 5xx, latency,
//! dropped connections), the operator is SIGKILLed at random moments and the apiserver is
//! restarted (etcd kept). At the end every object must be in its final state with exactly one
//! SageMaker resource, and after deleting everything nothing may be left running in SageMaker
//! and no finalizer may be stuck.
//!
//! A test binary of its own: it restarts the apiserver, which every test of a binary shares.
//! `scripts/chaos-soak` runs it larger (`CHAOS_SCALE`, `CHAOS_KILLS`); `cargo test` runs the
//! test-sized default.

#[path = "../e2e/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kube::Api;
use kube::api::{DeleteParams, ListParams};
use rand::Rng;
use sagemaker_k8s_api::{
    BatchTransformJob, EndpointConfig, HostingDeployment, HyperparameterTuningJob, Model,
    SPAWNED_BY_TUNING_JOB_LABEL, TrainingJob,
};
use sagemaker_k8s_testenv::{poll_until, wait_until};
use serde_json::Value;

use harness::{Harness, emulator_control, spawn_operator, training_job_manifest};

const TRAINING_JOB: &str = include_str!("../../../../samples/xgboost-mnist-trainingjob.yaml");
const TUNING_JOB: &str = include_str!("../../../../samples/xgboost-mnist-hpo.yaml");
const BATCH_TRANSFORM: &str = include_str!("../../../../samples/xgboost-mnist-batchtransform.yaml");
const HOSTING: &str = include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml");

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// `sample` with every occurrence of each `from` replaced by its `to` (object names and the
/// references between them).
fn renamed(sample: &str, renames: &[(&str, &str)]) -> String {
    let mut manifest = sample.to_string();
    for (from, to) in renames {
        assert!(manifest.contains(from), "the sample names {from}");
        manifest = manifest.replace(from, to);
    }
    manifest
}

/// What the soak creates, per unit of `CHAOS_SCALE`.
struct Population {
    training_jobs: usize,
    tuning_jobs: usize,
    transform_jobs: usize,
    hosting_deployments: usize,
    endpoint_configs: usize,
}

impl Population {
    fn manifests(&self) -> String {
        let mut all = Vec::new();
        for i in 0..self.training_jobs {
            // Half from the guide's sample, half with an emulator-chosen duration.
            if i % 2 == 0 {
                all.push(renamed(
                    TRAINING_JOB,
                    &[(
                        "name: xgboost-mnist\n",
                        &format!("name: chaos-training-{i}\n"),
                    )],
                ));
            } else {
                all.push(training_job_manifest(
                    &format!("chaos-training-{i}"),
                    &[("emulator:duration-seconds", "600")],
                    "",
                ));
            }
        }
        for i in 0..self.tuning_jobs {
            all.push(renamed(
                TUNING_JOB,
                &[(
                    "name: xgboost-mnist-hpo\n",
                    &format!("name: chaos-tuning-{i}\n"),
                )],
            ));
        }
        for i in 0..self.transform_jobs {
            // The sample's Model and the BatchTransformJob that uses it.
            all.push(renamed(
                BATCH_TRANSFORM,
                &[
                    ("xgboost-mnist-model", &format!("chaos-model-{i}")),
                    (
                        "xgboost-mnist-batch-transform",
                        &format!("chaos-transform-{i}"),
                    ),
                ],
            ));
        }
        for i in 0..self.endpoint_configs {
            all.push(format!(
                "apiVersion: sagemaker.aws.amazon.com/v1\nkind: EndpointConfig\nmetadata:\n  name: chaos-config-{i}\nspec:\n  region: us-west-2\n  productionVariants:\n    - variantName: all-traffic\n      modelName: chaos-model-{}\n      initialInstanceCount: 1\n      instanceType: ml.c5.large\n",
                i % self.transform_jobs.max(1)
            ));
        }
        for i in 0..self.hosting_deployments {
            all.push(renamed(
                HOSTING,
                &[(
                    "name: host-xgboost\n",
                    &format!("name: chaos-hosting-{i}\n"),
                )],
            ));
        }
        all.iter()
            .map(|manifest| format!("---\n{manifest}\n"))
            .collect()
    }

    fn objects(&self) -> usize {
        self.training_jobs
            + self.tuning_jobs
            + 2 * self.transform_jobs
            + self.endpoint_configs
            + self.hosting_deployments
    }
}

/// Every item of a paginated SageMaker List call (`$request`: the request builder, `$items`: the
/// output's list). The List operations share no trait, hence a macro.
macro_rules! all_pages {
    ($request:expr, $items:ident, $operation:literal) => {{
        let mut items = Vec::new();
        let mut token = None;
        loop {
            let page = $request
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .expect($operation);
            items.extend(page.$items().iter().cloned());
            match page.next_token() {
                Some(next) => token = Some(next.to_string()),
                None => break items,
            }
        }
    }};
}

/// Every SageMaker resource the emulator holds, by kind, with its status where it has one.
#[derive(Debug, Default)]
struct SageMakerInventory {
    training_jobs: BTreeMap<String, String>,
    tuning_jobs: BTreeMap<String, String>,
    transform_jobs: BTreeMap<String, String>,
    endpoints: BTreeMap<String, String>,
    endpoint_configs: BTreeSet<String>,
    models: BTreeSet<String>,
}

impl SageMakerInventory {
    /// Read without faults getting in the way: the test's own client retries like any SDK user.
    async fn read(harness: &Harness) -> Self {
        let sagemaker = &harness.sagemaker;
        let status = |status: Option<&str>| status.unwrap_or_default().to_string();
        Self {
            training_jobs: all_pages!(
                sagemaker.list_training_jobs(),
                training_job_summaries,
                "ListTrainingJobs"
            )
            .iter()
            .map(|job| {
                (
                    status(job.training_job_name()),
                    status(job.training_job_status().map(|s| s.as_str())),
                )
            })
            .collect(),
            tuning_jobs: all_pages!(
                sagemaker.list_hyper_parameter_tuning_jobs(),
                hyper_parameter_tuning_job_summaries,
                "ListHyperParameterTuningJobs"
            )
            .iter()
            .map(|job| {
                (
                    status(job.hyper_parameter_tuning_job_name()),
                    status(job.hyper_parameter_tuning_job_status().map(|s| s.as_str())),
                )
            })
            .collect(),
            transform_jobs: all_pages!(
                sagemaker.list_transform_jobs(),
                transform_job_summaries,
                "ListTransformJobs"
            )
            .iter()
            .map(|job| {
                (
                    status(job.transform_job_name()),
                    status(job.transform_job_status().map(|s| s.as_str())),
                )
            })
            .collect(),
            endpoints: all_pages!(sagemaker.list_endpoints(), endpoints, "ListEndpoints")
                .iter()
                .map(|endpoint| {
                    (
                        status(endpoint.endpoint_name()),
                        status(endpoint.endpoint_status().map(|s| s.as_str())),
                    )
                })
                .collect(),
            endpoint_configs: all_pages!(
                sagemaker.list_endpoint_configs(),
                endpoint_configs,
                "ListEndpointConfigs"
            )
            .iter()
            .filter_map(|config| config.endpoint_config_name().map(str::to_string))
            .collect(),
            models: all_pages!(sagemaker.list_models(), models, "ListModels")
                .iter()
                .filter_map(|model| model.model_name().map(str::to_string))
                .collect(),
        }
    }

    /// Resources that still cost money: running jobs and any endpoint.
    fn running(&self) -> Vec<String> {
        let running = |status: &String| matches!(status.as_str(), "InProgress" | "Stopping");
        let mut leaked: Vec<String> = Vec::new();
        leaked.extend(
            self.training_jobs
                .iter()
                .filter(|(_, s)| running(s))
                .map(|(n, s)| format!("training job {n} {s}")),
        );
        leaked.extend(
            self.tuning_jobs
                .iter()
                .filter(|(_, s)| running(s))
                .map(|(n, s)| format!("tuning job {n} {s}")),
        );
        leaked.extend(
            self.transform_jobs
                .iter()
                .filter(|(_, s)| running(s))
                .map(|(n, s)| format!("transform job {n} {s}")),
        );
        leaked.extend(
            self.endpoints
                .iter()
                .map(|(n, s)| format!("endpoint {n} {s}")),
        );
        leaked
    }
}

fn status_text<K: serde::Serialize>(object: &K, field: &str) -> Option<String> {
    serde_json::to_value(object)
        .ok()?
        .get("status")?
        .get(field)?
        .as_str()
        .map(str::to_string)
}

fn printed_call_count(calls: &str) -> u64 {
    let body = calls.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: Value = serde_json::from_str(body.trim()).unwrap_or(Value::Null);
    json.as_object()
        .map(|map| map.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn chaos_soak_leaves_exactly_one_resource_per_object_and_nothing_behind() {
    let started = Instant::now();
    let scale = env_number("CHAOS_SCALE", 1).max(1);
    let kills = env_number("CHAOS_KILLS", 3);
    let population = Population {
        training_jobs: 6 * scale,
        tuning_jobs: scale,
        transform_jobs: 2 * scale,
        hosting_deployments: scale,
        endpoint_configs: scale,
    };
    let mut harness = Harness::start("chaos").await;
    let namespace = harness.namespace.clone();
    for fault in [
        r#"{"operation": "*", "kind": "throttling", "probability": 0.10}"#,
        r#"{"operation": "*", "kind": "internal", "probability": 0.02}"#,
        r#"{"operation": "*", "kind": "drop", "probability": 0.01}"#,
        r#"{"operation": "*", "kind": "latency", "latencyMs": 200}"#,
    ] {
        emulator_control(&harness.emulator, "POST", "/_emulator/faults", fault).await;
    }
    harness.apply(&population.manifests()).await;

    // The chaos: `kills` SIGKILLs of the operator at random moments and one apiserver restart
    // somewhere among them, all while objects are being created and reconciled.
    let mut rng = rand::rng();
    let mut moments: Vec<(Duration, bool)> = (0..kills)
        .map(|_| {
            (
                Duration::from_millis(rng.random_range(1_000..15_000)),
                false,
            )
        })
        .collect();
    moments.push((Duration::from_millis(rng.random_range(3_000..12_000)), true));
    moments.sort();
    let chaos_start = Instant::now();
    let mut apiserver_downtime = Duration::ZERO;
    for (at, restart_apiserver) in &moments {
        if let Some(wait) = at.checked_sub(chaos_start.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        if *restart_apiserver {
            apiserver_downtime = harness
                .cluster
                .restart_apiserver()
                .await
                .expect("the apiserver comes back");
            eprintln!(
                "[chaos] {:>5.1}s apiserver restarted (down {:.1}s)",
                chaos_start.elapsed().as_secs_f64(),
                apiserver_downtime.as_secs_f64()
            );
        } else {
            harness.operator.kill_hard();
            harness.operator = spawn_operator(harness.cluster, &harness.emulator, &namespace);
            eprintln!(
                "[chaos] {:>5.1}s operator SIGKILLed and started again",
                chaos_start.elapsed().as_secs_f64()
            );
        }
    }

    // Every object reaches its final state.
    let client = harness.cluster.client();
    let trainings: Api<TrainingJob> = Api::namespaced(client.clone(), &namespace);
    let tunings: Api<HyperparameterTuningJob> = Api::namespaced(client.clone(), &namespace);
    let transforms: Api<BatchTransformJob> = Api::namespaced(client.clone(), &namespace);
    let deployments: Api<HostingDeployment> = Api::namespaced(client.clone(), &namespace);
    let models: Api<Model> = Api::namespaced(client.clone(), &namespace);
    let configs: Api<EndpointConfig> = Api::namespaced(client.clone(), &namespace);
    let log = harness.operator.log_path().display().to_string();
    let pending = || async {
        let mut pending = Vec::new();
        for job in trainings.list(&ListParams::default()).await.ok()?.items {
            if status_text(&job, "trainingJobStatus").as_deref() != Some("Completed") {
                pending.push(format!(
                    "TrainingJob {} {:?}",
                    job.metadata.name.clone().unwrap_or_default(),
                    status_text(&job, "trainingJobStatus")
                ));
            }
        }
        for job in tunings.list(&ListParams::default()).await.ok()?.items {
            if status_text(&job, "hyperParameterTuningJobStatus").as_deref() != Some("Completed") {
                pending.push(format!(
                    "HyperparameterTuningJob {}",
                    job.metadata.name.unwrap_or_default()
                ));
            }
        }
        for job in transforms.list(&ListParams::default()).await.ok()?.items {
            if status_text(&job, "transformJobStatus").as_deref() != Some("Completed") {
                pending.push(format!(
                    "BatchTransformJob {}",
                    job.metadata.name.unwrap_or_default()
                ));
            }
        }
        for deployment in deployments.list(&ListParams::default()).await.ok()?.items {
            if status_text(&deployment, "endpointStatus").as_deref() != Some("InService") {
                pending.push(format!(
                    "HostingDeployment {}",
                    deployment.metadata.name.unwrap_or_default()
                ));
            }
        }
        for model in models.list(&ListParams::default()).await.ok()?.items {
            if status_text(&model, "status").as_deref() != Some("Created") {
                pending.push(format!("Model {}", model.metadata.name.unwrap_or_default()));
            }
        }
        for config in configs.list(&ListParams::default()).await.ok()?.items {
            if status_text(&config, "status").as_deref() != Some("Created") {
                pending.push(format!(
                    "EndpointConfig {}",
                    config.metadata.name.unwrap_or_default()
                ));
            }
        }
        Some(pending)
    };
    let settled = poll_until(Duration::from_secs(600), || async {
        pending()
            .await
            .filter(|pending| pending.is_empty())
            .map(|_| ())
    })
    .await;
    if settled.is_none() {
        panic!(
            "not every object reached its final state within 600 s (operator log {log}); still pending: {:#?}",
            pending().await
        );
    }
    let settled_after = started.elapsed();

    // Exactly one SageMaker resource per object.
    let inventory = SageMakerInventory::read(&harness).await;
    let training_objects = trainings.list(&ListParams::default()).await.unwrap().items;
    let (children, own): (Vec<_>, Vec<_>) = training_objects.iter().partition(|job| {
        job.metadata
            .labels
            .as_ref()
            .is_some_and(|labels| labels.contains_key(SPAWNED_BY_TUNING_JOB_LABEL))
    });
    let mut duplicates = Vec::new();
    let own_names: BTreeSet<String> = own
        .iter()
        .filter_map(|job| status_text(*job, "sageMakerTrainingJobName"))
        .collect();
    let child_names: BTreeSet<String> = children
        .iter()
        .filter_map(|job| job.spec.training_job_name.clone())
        .collect();
    assert_eq!(
        own_names.len(),
        population.training_jobs,
        "each TrainingJob names its own job"
    );
    assert_eq!(
        child_names.len(),
        children.len(),
        "each spawned training job is mirrored once"
    );
    for name in inventory.training_jobs.keys() {
        if !own_names.contains(name) && !child_names.contains(name) {
            duplicates.push(format!("training job {name} belongs to no object"));
        }
    }
    if inventory.tuning_jobs.len() != population.tuning_jobs {
        duplicates.push(format!(
            "{} tuning jobs for {} objects: {:?}",
            inventory.tuning_jobs.len(),
            population.tuning_jobs,
            inventory.tuning_jobs.keys()
        ));
    }
    if inventory.transform_jobs.len() != population.transform_jobs {
        duplicates.push(format!(
            "{} transform jobs for {} objects",
            inventory.transform_jobs.len(),
            population.transform_jobs
        ));
    }
    if inventory.endpoints.len() != population.hosting_deployments {
        duplicates.push(format!(
            "{} endpoints for {} HostingDeployments: {:?}",
            inventory.endpoints.len(),
            population.hosting_deployments,
            inventory.endpoints
        ));
    }
    // A HostingDeployment of the sample has one model and one config; Model and EndpointConfig
    // objects one each.
    let expected_models = population.hosting_deployments + population.transform_jobs;
    let expected_configs = population.hosting_deployments + population.endpoint_configs;
    if inventory.models.len() != expected_models {
        duplicates.push(format!(
            "{} models, expected {expected_models}: {:?}",
            inventory.models.len(),
            inventory.models
        ));
    }
    if inventory.endpoint_configs.len() != expected_configs {
        duplicates.push(format!(
            "{} endpoint configs, expected {expected_configs}: {:?}",
            inventory.endpoint_configs.len(),
            inventory.endpoint_configs
        ));
    }
    assert!(
        duplicates.is_empty(),
        "duplicates or strays in SageMaker: {duplicates:#?}"
    );

    // Delete everything, chaos still on: no finalizer may stay stuck, nothing may keep running.
    for result in [
        trainings
            .delete_collection(
                &DeleteParams::default(),
                &ListParams::default().labels(&format!("!{SPAWNED_BY_TUNING_JOB_LABEL}")),
            )
            .await
            .map(|_| ()),
        tunings
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .map(|_| ()),
        transforms
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .map(|_| ()),
        deployments
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .map(|_| ()),
        configs
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .map(|_| ()),
        models
            .delete_collection(&DeleteParams::default(), &ListParams::default())
            .await
            .map(|_| ()),
    ] {
        result.expect("delete collection");
    }
    wait_until(
        Duration::from_secs(300),
        &format!("every object gone, no finalizer stuck (operator log {log})"),
        || async {
            let left = trainings
                .list(&ListParams::default())
                .await
                .ok()?
                .items
                .len()
                + tunings.list(&ListParams::default()).await.ok()?.items.len()
                + transforms
                    .list(&ListParams::default())
                    .await
                    .ok()?
                    .items
                    .len()
                + deployments
                    .list(&ListParams::default())
                    .await
                    .ok()?
                    .items
                    .len()
                + configs.list(&ListParams::default()).await.ok()?.items.len()
                + models.list(&ListParams::default()).await.ok()?.items.len();
            (left == 0).then_some(())
        },
    )
    .await;
    let after = SageMakerInventory::read(&harness).await;
    let mut leaked = after.running();
    leaked.extend(after.models.iter().map(|model| format!("model {model}")));
    leaked.extend(
        after
            .endpoint_configs
            .iter()
            .map(|config| format!("endpoint config {config}")),
    );

    let injected =
        emulator_control(&harness.emulator, "GET", "/_emulator/faults/injected", "").await;
    let injected_body = injected
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    let calls = printed_call_count(
        &emulator_control(&harness.emulator, "GET", "/_emulator/calls", "").await,
    );
    println!(
        "chaos soak: {} objects ({} with spawned training jobs), {calls} SageMaker calls, faults injected {injected_body} (+200 ms on every call), {} operator kills, 1 apiserver restart ({:.1} s down), settled after {:.1} s, total {:.1} s; resources leaked = {}, duplicates = {}",
        population.objects(),
        population.objects() + children.len(),
        kills,
        apiserver_downtime.as_secs_f64(),
        settled_after.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        leaked.len(),
        duplicates.len()
    );
    assert!(
        leaked.is_empty(),
        "left in SageMaker after every object was deleted: {leaked:#?}"
    );
}
