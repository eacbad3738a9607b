//! Tags edited in place (docs/controls.md): editing `spec.tags` sets and removes them with
//! AddTags / DeleteTags, for a job (a finished TrainingJob), a replaced kind (a Model: not
//! replaced) and an updated kind (an Endpoint: not updated); the ownership tag and tags the
//! spec never named stay.

use std::collections::BTreeMap;
use std::time::Duration;

use kube::Api;
use sagemaker_k8s_api::{Endpoint, Model};
use sagemaker_k8s_testenv::wait_until;

use crate::endpoint::{configs_created, endpoint_manifest, endpoint_status, wait_for};
use crate::harness::{Harness, status_of, training_job_manifest};

const OWNER_TAG: &str = "sagemaker.aws.amazon.com/owner-uid";

/// Sets the object's `spec.tags` to `tags` (a merge patch replaces the list).
async fn set_spec_tags(harness: &Harness, resource: &str, tags: &[(&str, &str)]) {
    let tags: Vec<_> = tags
        .iter()
        .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
        .collect();
    let patch = serde_json::json!({"spec": {"tags": tags}}).to_string();
    harness
        .cluster
        .kubectl(&[
            "patch",
            "-n",
            &harness.namespace,
            resource,
            "--type",
            "merge",
            "-p",
            &patch,
        ])
        .await
        .expect_success();
}

/// Waits until the resource's tags, the ownership tag aside, are `expected`; returns them all.
async fn wait_for_tags(
    harness: &Harness,
    what: &str,
    arn: &str,
    expected: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    wait_until(
        Duration::from_secs(60),
        &format!("{what}: tags {expected:?}"),
        || async {
            let tags = harness.tags_of(arn).await;
            let mut without_owner = tags.clone();
            without_owner.remove(OWNER_TAG);
            (without_owner == expected).then_some(tags)
        },
    )
    .await
}

#[tokio::test]
async fn editing_spec_tags_sets_and_removes_them_in_place_for_every_lifecycle() {
    let harness = Harness::start("tags").await;

    // A finished job: its tags still follow the spec.
    harness
        .apply(&training_job_manifest(
            "tagged-job",
            &[("emulator:outcome", "Completed"), ("team", "ml")],
            "",
        ))
        .await;
    let job = harness
        .wait_for_training_job("tagged-job", "Completed", |job| {
            status_of(job) == Some("Completed")
        })
        .await;
    let job_name = job.status.unwrap().sage_maker_training_job_name.unwrap();
    let job_arn = harness
        .sagemaker
        .describe_training_job()
        .training_job_name(&job_name)
        .send()
        .await
        .unwrap()
        .training_job_arn()
        .unwrap()
        .to_string();
    // Someone else's tag, which the spec never names.
    harness
        .sagemaker
        .add_tags()
        .resource_arn(&job_arn)
        .tags(
            aws_sdk_sagemaker::types::Tag::builder()
                .key("billing")
                .value("central")
                .build(),
        )
        .send()
        .await
        .unwrap();
    set_spec_tags(
        &harness,
        "trainingjob/tagged-job",
        &[
            ("emulator:outcome", "Completed"),
            ("team", "risk"),
            ("cost-center", "42"),
        ],
    )
    .await;
    let tags = wait_for_tags(
        &harness,
        "the job",
        &job_arn,
        &[
            ("emulator:outcome", "Completed"),
            ("team", "risk"),
            ("cost-center", "42"),
            ("billing", "central"),
        ],
    )
    .await;
    assert!(tags.contains_key(OWNER_TAG), "the ownership tag stays");
    // Dropped from the spec: removed, because the operator wrote it; billing stays.
    set_spec_tags(
        &harness,
        "trainingjob/tagged-job",
        &[("emulator:outcome", "Completed"), ("team", "risk")],
    )
    .await;
    let tags = wait_for_tags(
        &harness,
        "the job",
        &job_arn,
        &[
            ("emulator:outcome", "Completed"),
            ("team", "risk"),
            ("billing", "central"),
        ],
    )
    .await;
    assert!(tags.contains_key(OWNER_TAG), "the ownership tag stays");
    assert_eq!(
        harness.sagemaker_calls("CreateTrainingJob").await,
        1,
        "a tag edit creates nothing"
    );

    // A replaced kind is tagged, not replaced; an updated kind is tagged, not updated.
    configs_created(&harness).await;
    harness
        .apply(&endpoint_manifest(
            "serving",
            "endpointConfigName: config-a",
        ))
        .await;
    let endpoints: Api<Endpoint> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let endpoint = wait_for(&endpoints, "serving", "InService", |e| {
        endpoint_status(e).0 == Some("InService")
    })
    .await;
    let endpoint_name = endpoint.status.unwrap().sage_maker_name.unwrap();
    let models: Api<Model> = Api::namespaced(harness.cluster.client(), &harness.namespace);
    let model_name = models.get("ep-model").await.unwrap().status.unwrap();
    let model_name = model_name.sage_maker_model_name.unwrap();
    let model_arn = harness
        .sagemaker
        .describe_model()
        .model_name(&model_name)
        .send()
        .await
        .unwrap()
        .model_arn()
        .unwrap()
        .to_string();
    let endpoint_arn = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint_name)
        .send()
        .await
        .unwrap()
        .endpoint_arn()
        .unwrap()
        .to_string();
    let (creates, deletes, updates) = (
        harness.sagemaker_calls("CreateModel").await,
        harness.sagemaker_calls("DeleteModel").await,
        harness.sagemaker_calls("UpdateEndpoint").await,
    );
    set_spec_tags(&harness, "model/ep-model", &[("stage", "prod")]).await;
    set_spec_tags(
        &harness,
        "endpoint/serving",
        &[("team", "ml"), ("stage", "prod")],
    )
    .await;
    wait_for_tags(&harness, "the model", &model_arn, &[("stage", "prod")]).await;
    wait_for_tags(
        &harness,
        "the endpoint",
        &endpoint_arn,
        &[("team", "ml"), ("stage", "prod")],
    )
    .await;
    assert_eq!(harness.sagemaker_calls("CreateModel").await, creates);
    assert_eq!(harness.sagemaker_calls("DeleteModel").await, deletes);
    assert_eq!(harness.sagemaker_calls("UpdateEndpoint").await, updates);
    let model = models.get("ep-model").await.unwrap();
    assert_eq!(
        model.status.unwrap().sage_maker_model_name.as_deref(),
        Some(model_name.as_str()),
        "the same model, not a replacement"
    );
}

#[tokio::test]
async fn a_hosting_deployments_tag_edit_retags_what_runs_without_a_new_deployment() {
    let harness = Harness::start("hd-tags").await;
    let sample = include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml").replacen(
        "spec:\n",
        "spec:\n  tags:\n    - key: team\n      value: ml\n",
        1,
    );
    harness.apply(&sample).await;
    let deployments: Api<sagemaker_k8s_api::HostingDeployment> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let deployment = wait_for(&deployments, "host-xgboost", "InService", |d| {
        d.status.as_ref().and_then(|s| s.endpoint_status.as_deref()) == Some("InService")
    })
    .await;
    let status = deployment.status.unwrap();
    let endpoint_arn = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(status.endpoint_name.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .endpoint_arn()
        .unwrap()
        .to_string();
    let config_arn = harness
        .sagemaker
        .describe_endpoint_config()
        .endpoint_config_name(status.endpoint_config_name.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .endpoint_config_arn()
        .unwrap()
        .to_string();
    let model = &status.model_names.as_ref().unwrap()[0].value;
    let model_arn = harness
        .sagemaker
        .describe_model()
        .model_name(model)
        .send()
        .await
        .unwrap()
        .model_arn()
        .unwrap()
        .to_string();
    let calls = [
        "CreateEndpointConfig",
        "CreateModel",
        "UpdateEndpoint",
        "UpdateEndpointWeightsAndCapacities",
    ];
    let mut before = Vec::new();
    for call in calls {
        before.push(harness.sagemaker_calls(call).await);
    }
    set_spec_tags(
        &harness,
        "hostingdeployment/host-xgboost",
        &[("team", "risk"), ("stage", "prod")],
    )
    .await;
    for (what, arn) in [
        ("the endpoint", &endpoint_arn),
        ("its endpoint config", &config_arn),
        ("its model", &model_arn),
    ] {
        let tags = wait_for_tags(&harness, what, arn, &[("team", "risk"), ("stage", "prod")]).await;
        assert!(
            tags.contains_key(OWNER_TAG),
            "{what}: the ownership tag stays"
        );
    }
    for (call, before) in calls.into_iter().zip(before) {
        assert_eq!(
            harness.sagemaker_calls(call).await,
            before,
            "a tag edit sends no {call}"
        );
    }
    let deployment = deployments.get("host-xgboost").await.unwrap();
    assert_eq!(
        deployment.status.unwrap().endpoint_config_name,
        status.endpoint_config_name,
        "the same deployment runs"
    );
}
