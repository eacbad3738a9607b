//! In-place takeover: objects as the original operator left them (its finalizer, its status
//! written through the status subresource, SageMaker resources without this operator's tag),
//! and this operator started in its place follows them: no second create, status updates,
//! updates and deletes work, spawned training jobs are adopted without duplicates.

use std::collections::BTreeMap;
use std::time::Duration;

use sagemaker_k8s_api::{
    FINALIZER, HostingDeploymentSpec, HyperparameterTuningJobSpec, ORIGINAL_TUNING_CHILD_FINALIZER,
    SPAWNED_BY_TUNING_JOB_LABEL, TrainingJobSpec,
};
use sagemaker_k8s_aws::OWNER_UID_TAG;
use sagemaker_k8s_testenv::{poll_until, wait_until};
use serde_json::{Value, json};

use crate::harness::{Harness, spawn_operator, training_job_manifest};
use crate::original_operator::{assert_scripts_see_no_failure, wait_for_json};

const HOSTING_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml");
const HPO_SAMPLE: &str = include_str!("../../../../samples/xgboost-mnist-hpo.yaml");

/// A harness whose operator is not running yet: the test first sets the scene as the original
/// operator left it, then calls [`start_operator`].
async fn without_operator(prefix: &str) -> Harness {
    let mut harness = Harness::start(prefix).await;
    harness.operator.kill_hard();
    harness
}

fn start_operator(harness: &mut Harness) {
    harness.operator = spawn_operator(harness.cluster, &harness.emulator, &harness.namespace);
}

async fn get_json(harness: &Harness, resource: &str, name: &str) -> Value {
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
        .await
        .expect_success();
    serde_json::from_str(&output.stdout).unwrap()
}

/// Applies `manifest` and makes it look like the original operator's object: its finalizer and
/// `status` written through the status subresource. Returns the object's UID without dashes.
async fn as_the_original_left_it(
    harness: &Harness,
    resource: &str,
    name: &str,
    finalizers: &[&str],
    status: impl Fn(&str) -> Value,
) -> String {
    let object = get_json(harness, resource, name).await;
    assert!(
        object["status"].is_null(),
        "no operator may have touched {resource} {name} yet: {object}"
    );
    let uid = object["metadata"]["uid"].as_str().unwrap().replace('-', "");
    let ns = harness.namespace.as_str();
    let finalizers = json!({ "metadata": { "finalizers": finalizers } }).to_string();
    harness
        .cluster
        .kubectl(&[
            "patch",
            resource,
            name,
            "-n",
            ns,
            "--type=merge",
            "-p",
            &finalizers,
        ])
        .await
        .expect_success();
    let status = json!({ "status": status(&uid) }).to_string();
    harness
        .cluster
        .kubectl(&[
            "patch",
            resource,
            name,
            "-n",
            ns,
            "--subresource=status",
            "--type=merge",
            "-p",
            &status,
        ])
        .await
        .expect_success();
    uid
}

async fn owner_tag(harness: &Harness, arn: &str) -> Option<String> {
    let tags = harness
        .sagemaker
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    tags.tags()
        .iter()
        .find(|tag| tag.key() == Some(OWNER_UID_TAG))
        .and_then(|tag| tag.value().map(str::to_string))
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}

#[tokio::test]
async fn training_jobs_are_followed_to_completion_and_stopped_on_delete_without_a_second_create() {
    let mut harness = without_operator("takeover-tj").await;
    // Two jobs the original started: one finishes on its own, one runs until it is deleted.
    harness
        .apply(&training_job_manifest(
            "finishing",
            &[("emulator:duration-seconds", "300")],
            "",
        ))
        .await;
    harness
        .apply(&training_job_manifest(
            "running",
            &[("emulator:duration-seconds", "100000")],
            "",
        ))
        .await;
    // And one whose status names a job its records do not prove is its own (no UID in the name).
    harness
        .apply(&training_job_manifest(
            "foreign",
            &[("emulator:duration-seconds", "100000")],
            "",
        ))
        .await;
    let mut names = BTreeMap::new();
    for name in ["finishing", "running", "foreign"] {
        let object = get_json(&harness, "trainingjob", name).await;
        let uid = object["metadata"]["uid"].as_str().unwrap().replace('-', "");
        // The original's derivation: `<object name>-<uid hex>`.
        let sagemaker_name = if name == "foreign" {
            "someone-elses-job".to_string()
        } else {
            format!("{name}-{uid}")
        };
        let spec: TrainingJobSpec = serde_json::from_value(object["spec"].clone()).unwrap();
        let tags: Vec<_> = spec
            .tags
            .iter()
            .flatten()
            .map(|tag| {
                aws_sdk_sagemaker::types::Tag::builder()
                    .key(&tag.key)
                    .value(&tag.value)
                    .build()
            })
            .collect();
        sagemaker_k8s_aws::training_job::create_request(&spec, &sagemaker_name, "ignored")
            .unwrap()
            .set_tags(Some(tags))
            .send_with(&harness.sagemaker)
            .await
            .expect("CreateTrainingJob as the original sent it");
        as_the_original_left_it(&harness, "trainingjob", name, &[FINALIZER], |_| {
            json!({ "trainingJobStatus": "InProgress", "secondaryStatus": "Starting", "sageMakerTrainingJobName": sagemaker_name, "lastCheckTime": now() })
        })
        .await;
        names.insert(name, sagemaker_name);
    }
    assert_eq!(harness.sagemaker_calls("CreateTrainingJob").await, 3);
    start_operator(&mut harness);

    let finished = wait_for_json(&harness, "trainingjob", "finishing", "Completed", |j| {
        j["status"]["trainingJobStatus"] == "Completed"
    })
    .await;
    assert_eq!(
        finished["status"]["sageMakerTrainingJobName"],
        names["finishing"].as_str()
    );
    assert_eq!(
        finished["spec"]["trainingJobName"],
        names["finishing"].as_str(),
        "the name the original derived is kept"
    );
    assert!(
        finished["status"]["modelPath"]
            .as_str()
            .unwrap()
            .contains(&names["finishing"])
    );
    assert_scripts_see_no_failure(&harness, "trainingjob", "finishing").await;
    let running = wait_for_json(&harness, "trainingjob", "running", "followed", |j| {
        j["status"]["observedGeneration"].is_number()
    })
    .await;
    let described = harness
        .sagemaker
        .describe_training_job()
        .training_job_name(&names["running"])
        .send()
        .await
        .unwrap();
    let uid = running["metadata"]["uid"].as_str().unwrap();
    assert_eq!(
        owner_tag(&harness, described.training_job_arn().unwrap())
            .await
            .as_deref(),
        Some(uid),
        "our marker recorded after the takeover"
    );
    assert_eq!(
        harness.sagemaker_calls("CreateTrainingJob").await,
        3,
        "no second create"
    );

    // Not proven: refused, and the refusal stands on later reconciles (the status keeps saying so).
    let refused = |j: &Value| {
        j["status"]["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Failed" && c["reason"] == "NameOwnedByAnotherResource")
        })
    };
    wait_for_json(&harness, "trainingjob", "foreign", "refused", refused).await;
    let flipped = poll_until(Duration::from_secs(3), || async {
        let job = get_json(&harness, "trainingjob", "foreign").await;
        (!refused(&job)).then_some(job)
    })
    .await;
    assert!(flipped.is_none(), "the refusal was lifted: {flipped:?}");
    let foreign = harness
        .sagemaker
        .describe_training_job()
        .training_job_name("someone-elses-job")
        .send()
        .await
        .unwrap();
    assert_eq!(
        owner_tag(&harness, foreign.training_job_arn().unwrap()).await,
        None,
        "someone else's job is not tagged"
    );
    harness
        .cluster
        .kubectl(&["delete", "trainingjob", "foreign", "-n", &harness.namespace])
        .await
        .expect_success();
    let foreign = harness
        .sagemaker
        .describe_training_job()
        .training_job_name("someone-elses-job")
        .send()
        .await
        .unwrap();
    assert_eq!(
        foreign.training_job_status().map(|s| s.as_str()),
        Some("InProgress"),
        "someone else's job is never stopped"
    );

    harness
        .cluster
        .kubectl(&[
            "delete",
            "trainingjob",
            "running",
            "-n",
            &harness.namespace,
            "--wait=false",
        ])
        .await
        .expect_success();
    wait_until(
        Duration::from_secs(60),
        "the taken-over job stopped and the object gone",
        || async {
            let described = harness
                .sagemaker
                .describe_training_job()
                .training_job_name(&names["running"])
                .send()
                .await
                .ok()?;
            let gone = !harness
                .cluster
                .kubectl(&["get", "trainingjob", "running", "-n", &harness.namespace])
                .await
                .success();
            (described.training_job_status().map(|s| s.as_str()) == Some("Stopped") && gone)
                .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_hosting_deployment_is_followed_updated_and_deleted_without_a_redeploy() {
    let mut harness = without_operator("takeover-hd").await;
    harness.apply(HOSTING_SAMPLE).await;
    let object = get_json(&harness, "hostingdeployment", "host-xgboost").await;
    let uid = object["metadata"]["uid"].as_str().unwrap().replace('-', "");
    let spec: HostingDeploymentSpec = serde_json::from_value(object["spec"].clone()).unwrap();
    // What the original created: its own model and config names, the endpoint `<name>-<uid hex>`,
    // no ownership tag anywhere.
    let endpoint = format!("host-xgboost-{uid}");
    let (model, config) = (
        "host-xgboost-model-original".to_string(),
        "host-xgboost-config-original".to_string(),
    );
    sagemaker_k8s_aws::hosting::hosting_model_request(
        &spec,
        0,
        &model,
        "ignored",
        &Default::default(),
    )
    .unwrap()
    .set_tags(None)
    .send_with(&harness.sagemaker)
    .await
    .unwrap();
    let models = BTreeMap::from([("xgboost-model".to_string(), model.clone())]);
    sagemaker_k8s_aws::hosting::hosting_endpoint_config_request(&spec, &config, &models, "ignored")
        .set_tags(None)
        .send_with(&harness.sagemaker)
        .await
        .unwrap();
    harness
        .sagemaker
        .create_endpoint()
        .endpoint_name(&endpoint)
        .endpoint_config_name(&config)
        .send()
        .await
        .unwrap();
    wait_until(
        Duration::from_secs(60),
        "the original's endpoint InService",
        || async {
            let described = harness
                .sagemaker
                .describe_endpoint()
                .endpoint_name(&endpoint)
                .send()
                .await
                .ok()?;
            (described.endpoint_status().map(|s| s.as_str()) == Some("InService")).then_some(())
        },
    )
    .await;
    as_the_original_left_it(
        &harness,
        "hostingdeployment",
        "host-xgboost",
        &[FINALIZER],
        |_| {
            json!({
                "endpointStatus": "InService",
                "endpointName": endpoint,
                "endpointConfigName": config,
                "modelNames": [{"name": "xgboost-model", "value": model}],
                "lastCheckTime": now(),
            })
        },
    )
    .await;
    start_operator(&mut harness);

    let followed = wait_for_json(
        &harness,
        "hostingdeployment",
        "host-xgboost",
        "followed",
        |d| {
            d["status"]["observedGeneration"].is_number()
                && d["status"]["endpointStatus"] == "InService"
        },
    )
    .await;
    assert_eq!(followed["status"]["endpointConfigName"], config.as_str());
    let arn = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint)
        .send()
        .await
        .unwrap()
        .endpoint_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        owner_tag(&harness, &arn).await,
        followed["metadata"]["uid"].as_str().map(str::to_string)
    );
    // Taking over changed nothing in SageMaker.
    let quiet = poll_until(Duration::from_secs(3), || async {
        let touched = harness.sagemaker_calls("UpdateEndpoint").await
            + harness.sagemaker_calls("CreateEndpoint").await
            + harness.sagemaker_calls("CreateModel").await;
        (touched != 2).then_some(touched)
    })
    .await;
    assert_eq!(
        quiet, None,
        "the takeover must not create or update anything"
    );
    assert_scripts_see_no_failure(&harness, "hostingdeployment", "host-xgboost").await;

    // An update works: a new image is a new model and config under this operator's names.
    harness
        .apply(&HOSTING_SAMPLE.replace("xgboost:latest", "xgboost:2"))
        .await;
    let updated = wait_for_json(
        &harness,
        "hostingdeployment",
        "host-xgboost",
        "the update deployed",
        |d| {
            d["status"]["endpointStatus"] == "InService"
                && d["status"]["endpointConfigName"]
                    .as_str()
                    .is_some_and(|c| c.contains(&uid))
        },
    )
    .await;
    assert_eq!(
        harness.sagemaker_calls("CreateEndpoint").await,
        1,
        "the same endpoint, updated"
    );
    assert_eq!(updated["status"]["endpointName"], endpoint.as_str());

    harness
        .cluster
        .kubectl(&[
            "delete",
            "hostingdeployment",
            "host-xgboost",
            "-n",
            &harness.namespace,
            "--wait=false",
        ])
        .await
        .expect_success();
    wait_until(
        Duration::from_secs(60),
        "the endpoint deleted and the object gone",
        || async {
            let endpoint_gone = harness
                .sagemaker
                .describe_endpoint()
                .endpoint_name(&endpoint)
                .send()
                .await
                .is_err();
            let gone = !harness
                .cluster
                .kubectl(&[
                    "get",
                    "hostingdeployment",
                    "host-xgboost",
                    "-n",
                    &harness.namespace,
                ])
                .await
                .success();
            (endpoint_gone && gone).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_tuning_job_and_its_spawned_training_jobs_are_adopted_without_duplicates() {
    let mut harness = without_operator("takeover-hpo").await;
    harness.apply(HPO_SAMPLE).await;
    let name = serde_saphyr::from_str::<Value>(HPO_SAMPLE).unwrap()["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let object = get_json(&harness, "hyperparametertuningjob", &name).await;
    let uid = object["metadata"]["uid"].as_str().unwrap().replace('-', "");
    // The original's derivation for tuning jobs (32 characters at most): the UID alone.
    let sagemaker_name = uid.clone();
    let spec: HyperparameterTuningJobSpec = serde_json::from_value(object["spec"].clone()).unwrap();
    sagemaker_k8s_aws::tuning_job::create_request(&spec, &sagemaker_name, "ignored")
        .set_tags(None)
        .send_with(&harness.sagemaker)
        .await
        .unwrap();
    let children = wait_until(
        Duration::from_secs(60),
        "the tuning job completed in SageMaker",
        || async {
            let described = harness
                .sagemaker
                .describe_hyper_parameter_tuning_job()
                .hyper_parameter_tuning_job_name(&sagemaker_name)
                .send()
                .await
                .ok()?;
            if described
                .hyper_parameter_tuning_job_status()
                .map(|s| s.as_str())
                != Some("Completed")
            {
                return None;
            }
            let listed = harness
                .sagemaker
                .list_training_jobs_for_hyper_parameter_tuning_job()
                .hyper_parameter_tuning_job_name(&sagemaker_name)
                .send()
                .await
                .ok()?;
            Some(
                listed
                    .training_job_summaries()
                    .iter()
                    .filter_map(|s| s.training_job_name().map(str::to_string))
                    .collect::<Vec<_>>(),
            )
        },
    )
    .await;
    assert!(!children.is_empty());
    // The original's spec name field holds the derived name.
    let ns = harness.namespace.clone();
    let spec_name =
        json!({ "spec": { "hyperParameterTuningJobName": sagemaker_name } }).to_string();
    harness
        .cluster
        .kubectl(&[
            "patch",
            "hyperparametertuningjob",
            &name,
            "-n",
            &ns,
            "--type=merge",
            "-p",
            &spec_name,
        ])
        .await
        .expect_success();
    as_the_original_left_it(&harness, "hyperparametertuningjob", &name, &[FINALIZER], |_| {
        json!({ "hyperParameterTuningJobStatus": "InProgress", "sageMakerHyperParameterTuningJobName": sagemaker_name, "lastCheckTime": now() })
    })
    .await;
    // Its spawner made a TrainingJob per training job, named after it, with its own finalizer.
    for child in &children {
        let manifest = training_job_manifest(child, &[], &format!("  trainingJobName: {child}\n"));
        harness.apply(&manifest).await;
        as_the_original_left_it(&harness, "trainingjob", child, &[ORIGINAL_TUNING_CHILD_FINALIZER, FINALIZER], |_| {
            json!({ "trainingJobStatus": "Completed", "sageMakerTrainingJobName": child, "lastCheckTime": now() })
        })
        .await;
    }
    let creates = harness
        .sagemaker_calls("CreateHyperParameterTuningJob")
        .await;
    start_operator(&mut harness);

    let job = wait_for_json(
        &harness,
        "hyperparametertuningjob",
        &name,
        "Completed under this operator",
        |j| {
            j["status"]["hyperParameterTuningJobStatus"] == "Completed"
                && j["status"]["observedGeneration"].is_number()
        },
    )
    .await;
    assert_eq!(
        job["status"]["sageMakerHyperParameterTuningJobName"],
        sagemaker_name.as_str()
    );
    assert_eq!(
        harness
            .sagemaker_calls("CreateHyperParameterTuningJob")
            .await,
        creates,
        "no second create"
    );
    // The spawned objects become this operator's mirrors: labelled and owned, no duplicates.
    let adopted = wait_until(
        Duration::from_secs(60),
        "the spawned training jobs adopted",
        || async {
            let output = harness
                .cluster
                .kubectl(&[
                    "get",
                    "trainingjobs",
                    "-n",
                    &harness.namespace,
                    "-o",
                    "json",
                ])
                .await;
            let list: Value = serde_json::from_str(&output.stdout).ok()?;
            let items = list["items"].as_array()?.clone();
            let all_adopted = items.iter().all(|item| {
                item["metadata"]["labels"][SPAWNED_BY_TUNING_JOB_LABEL] == sagemaker_name.as_str()
                    && item["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|owners| owners.iter().any(|o| o["name"] == name.as_str()))
                    && !item["metadata"]["finalizers"]
                        .as_array()
                        .is_some_and(|f| f.iter().any(|f| f == ORIGINAL_TUNING_CHILD_FINALIZER))
            });
            all_adopted.then_some(items)
        },
    )
    .await;
    assert_eq!(adopted.len(), children.len(), "one object per training job");
    assert_scripts_see_no_failure(&harness, "hyperparametertuningjob", &name).await;

    harness
        .cluster
        .kubectl(&[
            "delete",
            "hyperparametertuningjob",
            &name,
            "-n",
            &harness.namespace,
            "--wait=false",
        ])
        .await
        .expect_success();
    wait_until(
        Duration::from_secs(60),
        "the tuning job and its training jobs gone",
        || async {
            let output = harness
                .cluster
                .kubectl(&[
                    "get",
                    "hyperparametertuningjobs,trainingjobs",
                    "-n",
                    &harness.namespace,
                    "-o",
                    "name",
                ])
                .await;
            (output.success() && output.stdout.trim().is_empty()).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn models_are_followed_when_the_originals_records_prove_it_and_never_replaced_otherwise() {
    let mut harness = without_operator("takeover-model").await;
    let manifest = |name: &str| {
        format!(
            r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: {name}
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    containerHostname: xgboost
    image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest
    modelDataUrl: s3://my-bucket/inference/xgboost-mnist/model.tar.gz
"#
        )
    };
    let mut sagemaker_names = BTreeMap::new();
    for name in ["proven", "unproven"] {
        harness.apply(&manifest(name)).await;
        let object = get_json(&harness, "model", name).await;
        let uid = object["metadata"]["uid"].as_str().unwrap().replace('-', "");
        // `proven` carries its UID, as the original derived it; `unproven` does not.
        let sagemaker_name = if name == "proven" {
            format!("{name}-{uid}")
        } else {
            "someone-elses-model".to_string()
        };
        let spec: sagemaker_k8s_api::ModelSpec =
            serde_json::from_value(object["spec"].clone()).unwrap();
        sagemaker_k8s_aws::hosting::model_request(
            &spec,
            &sagemaker_name,
            "ignored",
            &Default::default(),
        )
        .set_tags(None)
        .send_with(&harness.sagemaker)
        .await
        .unwrap();
        as_the_original_left_it(&harness, "model", name, &[FINALIZER], |_| {
            json!({ "status": "CreatedModel", "sageMakerModelName": sagemaker_name, "lastUpdateTime": now() })
        })
        .await;
        sagemaker_names.insert(name, sagemaker_name);
    }
    start_operator(&mut harness);

    let proven = wait_for_json(&harness, "model", "proven", "followed", |m| {
        m["status"]["status"] == "Created" && m["status"]["observedGeneration"].is_number()
    })
    .await;
    assert_eq!(
        proven["status"]["sageMakerModelName"],
        sagemaker_names["proven"].as_str()
    );
    let arn = proven["status"]["modelArn"].as_str().unwrap();
    assert_eq!(
        owner_tag(&harness, arn).await.as_deref(),
        proven["metadata"]["uid"].as_str()
    );
    let unproven = wait_for_json(&harness, "model", "unproven", "refused", |m| {
        m["status"]["status"] == "Failed"
    })
    .await;
    let refused = unproven["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Failed" && c["reason"] == "NameOwnedByAnotherResource");
    assert!(refused, "{unproven}");
    assert_eq!(
        harness.sagemaker_calls("CreateModel").await,
        2,
        "nothing created twice"
    );
    assert_eq!(
        harness.sagemaker_calls("DeleteModel").await,
        0,
        "nothing replaced"
    );

    harness
        .cluster
        .kubectl(&[
            "delete",
            "model",
            "proven",
            "unproven",
            "-n",
            &harness.namespace,
        ])
        .await
        .expect_success();
    assert!(
        harness
            .sagemaker
            .describe_model()
            .model_name(&sagemaker_names["proven"])
            .send()
            .await
            .is_err(),
        "the taken-over model is deleted with its object"
    );
    assert!(
        harness
            .sagemaker
            .describe_model()
            .model_name(&sagemaker_names["unproven"])
            .send()
            .await
            .is_ok(),
        "a model not proven ours is left alone"
    );
}

#[tokio::test]
async fn batch_transform_jobs_and_endpoint_configs_are_followed_without_a_second_create() {
    let mut harness = without_operator("takeover-bt").await;
    // A model the transform job and the endpoint config use, made outside any object.
    let model = "orig-xgboost-model";
    let model_spec: sagemaker_k8s_api::ModelSpec = serde_json::from_value(json!({
        "region": "us-west-2",
        "executionRoleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
        "primaryContainer": {"image": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest", "modelDataUrl": "s3://my-bucket/m.tar.gz"}
    }))
    .unwrap();
    sagemaker_k8s_aws::hosting::model_request(&model_spec, model, "ignored", &Default::default())
        .set_tags(None)
        .send_with(&harness.sagemaker)
        .await
        .unwrap();
    harness
        .apply(&format!(
            r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: BatchTransformJob
metadata:
  name: orig-batch
spec:
  region: us-west-2
  modelName: {model}
  transformInput:
    contentType: text/csv
    dataSource:
      s3DataSource:
        s3DataType: S3Prefix
        s3Uri: s3://my-bucket/batch/input
  transformOutput:
    s3OutputPath: s3://my-bucket/batch/output
  transformResources:
    instanceCount: 1
    instanceType: ml.m4.xlarge
  tags:
    - key: emulator:duration-seconds
      value: "300"
---
apiVersion: sagemaker.aws.amazon.com/v1
kind: EndpointConfig
metadata:
  name: orig-config
spec:
  region: us-west-2
  productionVariants:
    - variantName: AllTraffic
      modelName: {model}
      initialInstanceCount: 1
      instanceType: ml.r5.large
      initialVariantWeight: 1
"#
        ))
        .await;
    let batch = get_json(&harness, "batchtransformjob", "orig-batch").await;
    let batch_name = format!(
        "orig-batch-{}",
        batch["metadata"]["uid"].as_str().unwrap().replace('-', "")
    );
    let spec: sagemaker_k8s_api::BatchTransformJobSpec =
        serde_json::from_value(batch["spec"].clone()).unwrap();
    let tags = vec![
        aws_sdk_sagemaker::types::Tag::builder()
            .key("emulator:duration-seconds")
            .value("300")
            .build(),
    ];
    sagemaker_k8s_aws::transform_job::create_request(&spec, &batch_name, "ignored")
        .set_tags(Some(tags))
        .send_with(&harness.sagemaker)
        .await
        .unwrap();
    as_the_original_left_it(&harness, "batchtransformjob", "orig-batch", &[FINALIZER], |_| {
        json!({ "transformJobStatus": "InProgress", "sageMakerTransformJobName": batch_name, "lastCheckTime": now() })
    })
    .await;
    let config = get_json(&harness, "endpointconfig", "orig-config").await;
    let config_name = format!(
        "orig-config-{}",
        config["metadata"]["uid"].as_str().unwrap().replace('-', "")
    );
    let spec: sagemaker_k8s_api::EndpointConfigSpec =
        serde_json::from_value(config["spec"].clone()).unwrap();
    sagemaker_k8s_aws::hosting::endpoint_config_request(
        &spec,
        &config_name,
        "ignored",
        &Default::default(),
    )
    .unwrap()
    .set_tags(None)
    .send_with(&harness.sagemaker)
    .await
    .unwrap();
    as_the_original_left_it(&harness, "endpointconfig", "orig-config", &[FINALIZER], |_| {
        json!({ "status": "Created", "sageMakerEndpointConfigName": config_name, "lastUpdateTime": now() })
    })
    .await;
    start_operator(&mut harness);

    let batch = wait_for_json(
        &harness,
        "batchtransformjob",
        "orig-batch",
        "Completed under this operator",
        |j| {
            j["status"]["transformJobStatus"] == "Completed"
                && j["status"]["observedGeneration"].is_number()
        },
    )
    .await;
    assert_eq!(
        batch["status"]["sageMakerTransformJobName"],
        batch_name.as_str()
    );
    let arn = harness
        .sagemaker
        .describe_transform_job()
        .transform_job_name(&batch_name)
        .send()
        .await
        .unwrap()
        .transform_job_arn()
        .unwrap()
        .to_string();
    assert_eq!(
        owner_tag(&harness, &arn).await.as_deref(),
        batch["metadata"]["uid"].as_str()
    );
    assert_scripts_see_no_failure(&harness, "batchtransformjob", "orig-batch").await;
    let config = wait_for_json(&harness, "endpointconfig", "orig-config", "followed", |c| {
        c["status"]["observedGeneration"].is_number()
    })
    .await;
    assert_eq!(config["status"]["status"], "Created");
    assert_eq!(
        config["status"]["sageMakerEndpointConfigName"],
        config_name.as_str()
    );
    assert_scripts_see_no_failure(&harness, "endpointconfig", "orig-config").await;
    assert_eq!(
        (
            harness.sagemaker_calls("CreateTransformJob").await,
            harness.sagemaker_calls("CreateEndpointConfig").await
        ),
        (1, 1),
        "no second create"
    );

    harness
        .cluster
        .kubectl(&[
            "delete",
            "endpointconfig",
            "orig-config",
            "-n",
            &harness.namespace,
        ])
        .await
        .expect_success();
    assert!(
        harness
            .sagemaker
            .describe_endpoint_config()
            .endpoint_config_name(&config_name)
            .send()
            .await
            .is_err(),
        "deleted with its object"
    );
}
