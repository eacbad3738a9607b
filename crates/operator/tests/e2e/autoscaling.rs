//! HostingAutoscalingPolicy against the emulator's Application Auto Scaling: targets and
//! policies of both metric kinds, scaling under load, an edit that drops a target, waiting for
//! an endpoint, clean deletion, and a HostingDeployment that keeps its autoscaled capacity.

use std::time::Duration;

use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use sagemaker_k8s_api::{HostingAutoscalingPolicy, HostingDeployment};
use sagemaker_k8s_testenv::wait_until;
use serde_json::json;

use crate::harness::{Harness, emulator_control};

const HOSTING_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingdeployment.yaml");
const AUTOSCALING_SAMPLE: &str =
    include_str!("../../../../samples/xgboost-mnist-hostingautoscalingpolicy.yaml");

fn policies(harness: &Harness) -> Api<HostingAutoscalingPolicy> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

fn deployments(harness: &Harness) -> Api<HostingDeployment> {
    Api::namespaced(harness.cluster.client(), &harness.namespace)
}

fn policy_status(policy: &HostingAutoscalingPolicy) -> Option<&str> {
    policy
        .status
        .as_ref()
        .and_then(|status| status.hosting_autoscaling_policy_status.as_deref())
}

async fn autoscaling_client(harness: &Harness) -> aws_sdk_applicationautoscaling::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-west-2"))
        .credentials_provider(aws_sdk_sagemaker::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(&harness.emulator.endpoint)
        .load()
        .await;
    aws_sdk_applicationautoscaling::Client::new(&config)
}

/// The registered targets' resource ids and (resource id, policy name) of every policy.
async fn registered(
    scaling: &aws_sdk_applicationautoscaling::Client,
) -> (Vec<String>, Vec<(String, String)>) {
    let targets = scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .expect("DescribeScalableTargets");
    let mut ids: Vec<String> = targets
        .scalable_targets()
        .iter()
        .map(|target| target.resource_id().to_string())
        .collect();
    ids.sort();
    let listed = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .expect("DescribeScalingPolicies");
    let mut policies: Vec<(String, String)> = listed
        .scaling_policies()
        .iter()
        .map(|policy| {
            (
                policy.resource_id().to_string(),
                policy.policy_name().to_string(),
            )
        })
        .collect();
    policies.sort();
    (ids, policies)
}

async fn hosting_deployment(harness: &Harness, name: &str, extra_spec: &str) -> String {
    let manifest = HOSTING_SAMPLE
        .replace("name: host-xgboost\n", &format!("name: {name}\n"))
        .replace("spec:\n", &format!("spec:\n{extra_spec}"));
    harness.apply(&manifest).await;
    let api = deployments(harness);
    let deployment = wait_until(
        Duration::from_secs(90),
        &format!("{name} InService"),
        || {
            let api = api.clone();
            async move {
                api.get(name).await.ok().filter(|d| {
                    d.status.as_ref().and_then(|s| s.endpoint_status.as_deref())
                        == Some("InService")
                })
            }
        },
    )
    .await;
    deployment.status.unwrap().endpoint_name.unwrap()
}

async fn wait_for_policy(
    harness: &Harness,
    name: &str,
    what: &str,
    check: impl Fn(&HostingAutoscalingPolicy) -> bool,
) -> HostingAutoscalingPolicy {
    let api = policies(harness);
    let log = harness.operator.log_path().display().to_string();
    wait_until(
        Duration::from_secs(90),
        &format!("{name}: {what} (operator log {log})"),
        || {
            let api = api.clone();
            let check = &check;
            async move { api.get_opt(name).await.ok().flatten().filter(|p| check(p)) }
        },
    )
    .await
}

async fn set_load(harness: &Harness, endpoint: &str, per_instance: f64) {
    let body = json!({ "region": "us-west-2", "endpointName": endpoint, "variantName": "all-traffic", "invocationsPerInstance": per_instance }).to_string();
    emulator_control(&harness.emulator, "PUT", "/_emulator/load", &body).await;
}

/// Waits until the endpoint's variant runs `count` instances and is InService.
async fn wait_for_instances(harness: &Harness, endpoint: &str, count: i32) {
    wait_until(
        Duration::from_secs(120),
        &format!("{endpoint} at {count} instance(s)"),
        || async {
            let described = harness
                .sagemaker
                .describe_endpoint()
                .endpoint_name(endpoint)
                .send()
                .await
                .ok()?;
            let variant = described.production_variants().first()?;
            (described.endpoint_status()?.as_str() == "InService"
                && variant.current_instance_count() == Some(count))
            .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn policies_of_both_metric_kinds_scale_endpoints_follow_edits_and_leave_nothing_behind() {
    let harness = Harness::start("hap-scale").await;
    let scaling = autoscaling_client(&harness).await;
    let endpoint_a = hosting_deployment(&harness, "hd-a", "").await;
    let endpoint_b = hosting_deployment(&harness, "hd-b", "").await;
    let id_a = format!("endpoint/{endpoint_a}/variant/all-traffic");
    let id_b = format!("endpoint/{endpoint_b}/variant/all-traffic");

    // The sample's predefined-metric policy, on both deployments (named by their objects).
    let predefined = AUTOSCALING_SAMPLE
        .replace("name: xgboost-autoscaling\n", "name: invocations\n")
        .replace("    - endpointName: host-xgboost\n      variantName: all-traffic\n", "    - endpointName: hd-a\n      variantName: all-traffic\n    - endpointName: hd-b\n      variantName: all-traffic\n");
    harness.apply(&predefined).await;
    let policy = wait_for_policy(&harness, "invocations", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    let status = policy.status.clone().unwrap();
    let applied: Vec<&str> = status
        .policies
        .iter()
        .flatten()
        .map(|p| p.resource_id.as_str())
        .collect();
    assert_eq!(applied.len(), 2, "{applied:?}");
    assert!(status.policies.iter().flatten().all(|p| {
        p.policy_arn
            .as_deref()
            .is_some_and(|arn| arn.contains(":scalingPolicy:"))
    }));
    let (targets, put) = registered(&scaling).await;
    let mut expected = vec![id_a.clone(), id_b.clone()];
    expected.sort();
    assert_eq!(targets, expected);
    assert_eq!(put.len(), 2, "{put:?}");

    // Load moves the instance count up, within maxCapacity, and back down.
    set_load(&harness, &endpoint_a, 350.0).await;
    wait_for_instances(&harness, &endpoint_a, 3).await;
    set_load(&harness, &endpoint_a, 10.0).await;
    wait_for_instances(&harness, &endpoint_a, 1).await;

    // Dropping a resource id deregisters its target (and its policy).
    policies(&harness)
        .patch("invocations", &PatchParams::default(), &Patch::Merge(json!({ "spec": { "resourceId": [{ "endpointName": "hd-a", "variantName": "all-traffic" }] } })))
        .await
        .unwrap();
    wait_for_policy(&harness, "invocations", "one target", |p| {
        policy_status(p) == Some("Created")
            && p.status
                .as_ref()
                .and_then(|s| s.policies.as_ref())
                .is_some_and(|l| l.len() == 1)
    })
    .await;
    let (targets, put) = registered(&scaling).await;
    assert_eq!(
        targets,
        vec![id_a.clone()],
        "the dropped target is deregistered"
    );
    assert_eq!(put.len(), 1, "{put:?}");

    // A customized CloudWatch metric on the other endpoint.
    let customized = format!(
        r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: HostingAutoscalingPolicy
metadata:
  name: cpu
spec:
  region: us-west-2
  resourceId:
    - endpointName: {endpoint_b}
      variantName: all-traffic
  minCapacity: 1
  maxCapacity: 2
  policyName: cpu-utilization
  targetTrackingScalingPolicyConfiguration:
    targetValue: 60
    customizedMetricSpecification:
      metricName: CPUUtilization
      namespace: /aws/sagemaker/Endpoints
      statistic: Average
      unit: Percent
      dimensions:
        - name: EndpointName
          value: {endpoint_b}
        - name: VariantName
          value: all-traffic
    disableScaleIn: true
"#
    );
    harness.apply(&customized).await;
    wait_for_policy(&harness, "cpu", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    let described = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(&id_b)
        .send()
        .await
        .unwrap();
    let policy = &described.scaling_policies()[0];
    assert_eq!(policy.policy_name(), "cpu-utilization");
    let metric = policy
        .target_tracking_scaling_policy_configuration()
        .unwrap()
        .customized_metric_specification()
        .unwrap();
    assert_eq!(metric.metric_name(), Some("CPUUtilization"));
    assert_eq!(metric.dimensions().len(), 2);

    // Deleting both leaves no target and no policy.
    for name in ["invocations", "cpu"] {
        policies(&harness)
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
    }
    let api = policies(&harness);
    wait_until(
        Duration::from_secs(60),
        "both policies' objects gone",
        || {
            let api = api.clone();
            async move {
                (api.get_opt("invocations").await.ok()?.is_none()
                    && api.get_opt("cpu").await.ok()?.is_none())
                .then_some(())
            }
        },
    )
    .await;
    assert_eq!(
        registered(&scaling).await,
        (Vec::new(), Vec::new()),
        "nothing left in Application Auto Scaling"
    );
}

#[tokio::test]
async fn a_policy_waits_with_a_clear_status_until_its_endpoint_is_in_service() {
    let harness = Harness::start("hap-wait").await;
    harness
        .apply(&AUTOSCALING_SAMPLE.replace("name: xgboost-autoscaling\n", "name: early\n"))
        .await;
    let waiting = wait_for_policy(&harness, "early", "waiting", |p| {
        policy_status(p) == Some("Creating")
            && p.status
                .as_ref()
                .and_then(|s| s.common.additional.as_deref())
                .is_some()
    })
    .await;
    let additional = waiting.status.unwrap().common.additional.unwrap();
    assert!(additional.contains("waiting for"), "{additional}");
    // The deployment comes: the policy follows.
    hosting_deployment(&harness, "host-xgboost", "").await;
    let created = wait_for_policy(&harness, "early", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    assert!(created.status.unwrap().common.additional.is_none());
}

#[tokio::test]
async fn a_deployment_that_retains_variant_properties_keeps_its_autoscaled_instances() {
    let harness = Harness::start("hap-retain").await;
    // The original operator's flow: count 1 → autoscaled to 2 → a weight change in the spec
    // keeps the 2 instances and takes the new weight.
    let retain = "  retainAllVariantProperties: true\n  excludeRetainedVariantProperties:\n    - variantPropertyType: DesiredWeight\n";
    let endpoint = hosting_deployment(&harness, "host-xgboost", retain).await;
    harness
        .apply(&AUTOSCALING_SAMPLE.replace("maxCapacity: 3", "maxCapacity: 2"))
        .await;
    wait_for_policy(&harness, "xgboost-autoscaling", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    set_load(&harness, &endpoint, 350.0).await;
    wait_for_instances(&harness, &endpoint, 2).await;
    // Traffic holds; the user changes the variant's weight.
    deployments(&harness)
        .patch(
            "host-xgboost",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "productionVariants": [{ "variantName": "all-traffic", "modelName": "xgboost-model", "initialInstanceCount": 1, "instanceType": "ml.c5.large", "initialVariantWeight": 0.5 }] } })),
        )
        .await
        .unwrap();
    let api = deployments(&harness);
    wait_until(Duration::from_secs(90), "the new weight deployed", || {
        let api = api.clone();
        async move {
            let deployment = api.get("host-xgboost").await.ok()?;
            let status = deployment.status?;
            let variant = status.production_variants?.into_iter().next()?;
            (status.endpoint_status.as_deref() == Some("InService")
                && variant
                    .current_weight
                    .is_some_and(|w| (w - 0.5).abs() < 1e-6))
            .then_some(())
        }
    })
    .await;
    let described = harness
        .sagemaker
        .describe_endpoint()
        .endpoint_name(&endpoint)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.production_variants()[0].current_instance_count(),
        Some(2),
        "the autoscaled count is kept"
    );
}

#[tokio::test]
async fn a_step_scaling_policy_adds_capacity_when_its_alarm_metric_breaches() {
    let harness = Harness::start("hap-step").await;
    let endpoint = hosting_deployment(&harness, "host-xgboost", "").await;
    let step = r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: HostingAutoscalingPolicy
metadata:
  name: stepped
spec:
  region: us-west-2
  resourceId:
    - endpointName: host-xgboost
      variantName: all-traffic
  minCapacity: 1
  maxCapacity: 2
  policyType: StepScaling
  stepScalingPolicyConfiguration:
    adjustmentType: ChangeInCapacity
    cooldown: 60
    metricAggregationType: Average
    stepAdjustments:
      - metricIntervalLowerBound: 0
        scalingAdjustment: 1
"#;
    harness.apply(step).await;
    wait_for_policy(&harness, "stepped", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    let scaling = autoscaling_client(&harness).await;
    let described = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.scaling_policies()[0].policy_type().as_str(),
        "StepScaling"
    );
    // The emulator plays the alarm: 150 invocations per instance against a threshold of 100.
    let body = json!({ "region": "us-west-2", "endpointName": endpoint, "variantName": "all-traffic", "invocationsPerInstance": 150.0, "alarmThreshold": 100.0 }).to_string();
    emulator_control(&harness.emulator, "PUT", "/_emulator/load", &body).await;
    wait_for_instances(&harness, &endpoint, 2).await;
}

/// The operator's record annotations (the policy's registered targets, the deployment's
/// deployed state) unreadable: each object says so (`Failed`, reason `CorruptRecord`, naming
/// the annotation) instead of reading "nothing was created", and deleting both still leaves no
/// scalable target, policy, endpoint, endpoint config or model behind.
#[tokio::test]
async fn corrupt_records_are_reported_and_deletion_still_leaves_nothing() {
    let harness = Harness::start("hap-corrupt").await;
    let scaling = autoscaling_client(&harness).await;
    let endpoint = hosting_deployment(&harness, "hd-c", "").await;
    let policy = AUTOSCALING_SAMPLE
        .replace("name: xgboost-autoscaling\n", "name: corrupt\n")
        .replace("endpointName: host-xgboost", "endpointName: hd-c");
    harness.apply(&policy).await;
    wait_for_policy(&harness, "corrupt", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    assert_eq!(registered(&scaling).await.0.len(), 1);

    // The policy's record is cut short, and its spec now names another endpoint: the target it
    // registered is neither recorded nor in the spec any more.
    let targets_annotation = sagemaker_k8s_api::AUTOSCALING_TARGETS_ANNOTATION;
    policies(&harness)
        .patch(
            "corrupt",
            &PatchParams::default(),
            &Patch::Merge(json!({
                "metadata": { "annotations": { targets_annotation: "[\"endpoint/" } },
                "spec": { "resourceId": [{ "endpointName": "elsewhere", "variantName": "all-traffic" }] },
            })),
        )
        .await
        .unwrap();
    let failed = wait_for_policy(&harness, "corrupt", "Failed: CorruptRecord", |p| {
        failed_condition(p.status.as_ref().map(|s| &s.common)).is_some()
    })
    .await;
    let message = failed_condition(failed.status.as_ref().map(|s| &s.common)).unwrap();
    assert!(message.contains(targets_annotation), "{message}");

    let state_annotation = sagemaker_k8s_api::HOSTING_STATE_ANNOTATION;
    deployments(&harness)
        .patch(
            "hd-c",
            &PatchParams::default(),
            &Patch::Merge(
                json!({ "metadata": { "annotations": { state_annotation: "{\"deployed\":" } } }),
            ),
        )
        .await
        .unwrap();
    let api = deployments(&harness);
    let deployment = wait_until(
        Duration::from_secs(60),
        "hd-c Failed: CorruptRecord",
        || {
            let api = api.clone();
            async move {
                api.get("hd-c")
                    .await
                    .ok()
                    .filter(|d| failed_condition(d.status.as_ref().map(|s| &s.common)).is_some())
            }
        },
    )
    .await;
    let message = failed_condition(deployment.status.as_ref().map(|s| &s.common)).unwrap();
    assert!(message.contains(state_annotation), "{message}");
    assert_eq!(
        deployment.status.unwrap().endpoint_status.as_deref(),
        Some("InService"),
        "the endpoint serves on: its status is SageMaker's"
    );

    policies(&harness)
        .delete("corrupt", &DeleteParams::default())
        .await
        .unwrap();
    deployments(&harness)
        .delete("hd-c", &DeleteParams::default())
        .await
        .unwrap();
    let (policies_api, deployments_api) = (policies(&harness), deployments(&harness));
    wait_until(Duration::from_secs(90), "both objects gone", || {
        let (policies_api, deployments_api) = (policies_api.clone(), deployments_api.clone());
        async move {
            (policies_api.get_opt("corrupt").await.ok()?.is_none()
                && deployments_api.get_opt("hd-c").await.ok()?.is_none())
            .then_some(())
        }
    })
    .await;
    assert_eq!(
        registered(&scaling).await,
        (Vec::new(), Vec::new()),
        "nothing left in Application Auto Scaling"
    );
    let endpoints = harness
        .sagemaker
        .list_endpoints()
        .name_contains(&endpoint)
        .send()
        .await
        .unwrap();
    assert!(endpoints.endpoints().is_empty(), "{endpoints:?}");
    let uid = deployment.metadata.uid.unwrap().replace('-', "");
    let configs = harness
        .sagemaker
        .list_endpoint_configs()
        .send()
        .await
        .unwrap();
    let models = harness.sagemaker.list_models().send().await.unwrap();
    let left: Vec<&str> = configs
        .endpoint_configs()
        .iter()
        .filter_map(|config| config.endpoint_config_name())
        .chain(
            models
                .models()
                .iter()
                .filter_map(|model| model.model_name()),
        )
        .filter(|name| name.contains(&uid[..8]))
        .collect();
    assert!(left.is_empty(), "left in SageMaker: {left:?}");
}

/// The `Failed` condition's message when it is true with reason `CorruptRecord`.
fn failed_condition(common: Option<&sagemaker_k8s_api::CommonStatus>) -> Option<String> {
    common
        .and_then(|common| common.conditions.as_ref())
        .and_then(|conditions| {
            conditions
                .iter()
                .find(|c| c.type_ == "Failed" && c.status == "True" && c.reason == "CorruptRecord")
        })
        .map(|condition| condition.message.clone())
}

/// Inference components scale by their copy count: a policy naming an InferenceComponent object
/// registers its SageMaker component (`inference-component/<name>`, DesiredCopyCount, down to 0
/// copies) once it is InService, and deleting the policy deregisters it.
#[tokio::test]
async fn a_policy_scales_an_inference_component_named_by_its_object() {
    use crate::inference_component::{component_manifest, copies, serving_endpoint};
    use sagemaker_k8s_api::InferenceComponent;

    let harness = Harness::start("autoscaling-ic").await;
    serving_endpoint(&harness).await;
    harness.apply(&component_manifest("scaled", "")).await;
    let components: Api<InferenceComponent> =
        Api::namespaced(harness.cluster.client(), &harness.namespace);
    let component = crate::endpoint::wait_for(&components, "scaled", "InService", |c| {
        copies(c).0 == Some("InService")
    })
    .await;
    let sagemaker_name = component
        .status
        .and_then(|status| status.sage_maker_name)
        .expect("the component's SageMaker name");

    let manifest = AUTOSCALING_SAMPLE
        .replace("name: xgboost-autoscaling\n", "name: copies\n")
        .replace(
            "    - endpointName: host-xgboost\n      variantName: all-traffic\n",
            "    - inferenceComponentName: scaled\n",
        )
        .replace("minCapacity: 1", "minCapacity: 0")
        .replace(
            "SageMakerVariantInvocationsPerInstance",
            "SageMakerInferenceComponentInvocationsPerCopy",
        );
    harness.apply(&manifest).await;
    wait_for_policy(&harness, "copies", "Created", |p| {
        policy_status(p) == Some("Created")
    })
    .await;
    let scaling = autoscaling_client(&harness).await;
    let id = format!("inference-component/{sagemaker_name}");
    let (targets, policies) = registered(&scaling).await;
    assert_eq!(targets, std::slice::from_ref(&id));
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].0, id);
    let described = scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(&id)
        .send()
        .await
        .expect("DescribeScalableTargets");
    let target = &described.scalable_targets()[0];
    assert_eq!(
        (
            target.scalable_dimension().as_str(),
            target.min_capacity(),
            target.max_capacity()
        ),
        ("sagemaker:inference-component:DesiredCopyCount", 0, 3)
    );

    policies_api_delete(&harness, "copies").await;
    let (targets, policies) = registered(&scaling).await;
    assert!(
        targets.is_empty() && policies.is_empty(),
        "left behind: {targets:?} {policies:?}"
    );
}

/// Deletes a policy object and waits until it is gone (its finalizer released).
async fn policies_api_delete(harness: &Harness, name: &str) {
    let api = policies(harness);
    api.delete(name, &DeleteParams::default()).await.unwrap();
    wait_until(Duration::from_secs(90), &format!("{name} deleted"), || {
        let api = api.clone();
        async move { api.get_opt(name).await.unwrap().is_none().then_some(()) }
    })
    .await;
}
