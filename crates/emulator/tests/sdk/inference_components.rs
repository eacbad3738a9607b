//! Inference components on an endpoint, and UpdateEndpoint's deployment configuration.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::operation::describe_inference_component::DescribeInferenceComponentOutput;
use aws_sdk_sagemaker::types::{
    AutoRollbackConfig, BlueGreenUpdatePolicy, CapacitySize, CapacitySizeType, DeploymentConfig,
    EndpointStatus, InferenceComponentComputeResourceRequirements, InferenceComponentRuntimeConfig,
    InferenceComponentSortKey, InferenceComponentSpecification, InferenceComponentStatus, OrderKey,
    RollingUpdatePolicy, TrafficRoutingConfig, TrafficRoutingConfigType,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::hosting::{create_endpoint_config, variant, wait_endpoint};
use crate::transform::create_model;
use crate::{error_of, tag};

fn specification(model: &str) -> InferenceComponentSpecification {
    InferenceComponentSpecification::builder()
        .model_name(model)
        .compute_resource_requirements(
            InferenceComponentComputeResourceRequirements::builder()
                .min_memory_required_in_mb(1024)
                .number_of_cpu_cores_required(1.0)
                .build(),
        )
        .build()
}

fn copies(count: i32) -> InferenceComponentRuntimeConfig {
    InferenceComponentRuntimeConfig::builder()
        .copy_count(count)
        .build()
}

/// Emulated seconds per transition of the endpoint and components whose intermediate states a
/// test looks at: 1 s real, long enough to see them on a loaded machine.
const OBSERVABLE: &str = "100";

/// A model `m1`, and an endpoint `e` InService on config `c1` with variant `AllTraffic`.
async fn serving_endpoint(client: &Client) {
    create_model(client, "m1").await;
    create_endpoint_config(client, "c1", variant("AllTraffic", "m1", 1)).await;
    client
        .create_endpoint()
        .endpoint_name("e")
        .endpoint_config_name("c1")
        .tags(tag("emulator:duration-seconds", OBSERVABLE))
        .send()
        .await
        .unwrap();
    wait_endpoint(client, "e", EndpointStatus::InService).await;
}

async fn wait_component(
    client: &Client,
    name: &str,
    wanted: InferenceComponentStatus,
) -> DescribeInferenceComponentOutput {
    eventually("inference component status", DEADLINE, || async {
        let component = client
            .describe_inference_component()
            .inference_component_name(name)
            .send()
            .await
            .unwrap();
        (component.inference_component_status() == Some(&wanted)).then_some(component)
    })
    .await
}

fn copy_counts(component: &DescribeInferenceComponentOutput) -> (Option<i32>, Option<i32>) {
    let runtime = component.runtime_config().expect("runtime config");
    (runtime.desired_copy_count(), runtime.current_copy_count())
}

#[tokio::test]
async fn inference_component_creates_scales_updates_and_deletes() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    serving_endpoint(&client).await;
    create_model(&client, "m2").await;

    let arn = client
        .create_inference_component()
        .inference_component_name("ic1")
        .endpoint_name("e")
        .variant_name("AllTraffic")
        .specification(specification("m1"))
        .runtime_config(copies(2))
        .tags(tag("team", "search"))
        .tags(tag("emulator:duration-seconds", OBSERVABLE))
        .send()
        .await
        .unwrap()
        .inference_component_arn()
        .expect("an ARN")
        .to_string();
    assert_eq!(
        arn,
        "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic1"
    );
    let creating = client
        .describe_inference_component()
        .inference_component_name("ic1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        creating.inference_component_status(),
        Some(&InferenceComponentStatus::Creating)
    );
    assert_eq!(copy_counts(&creating), (Some(2), Some(0)));
    assert_eq!(creating.endpoint_name(), Some("e"));
    assert_eq!(
        creating.endpoint_arn(),
        Some("arn:aws:sagemaker:us-east-1:123456789012:endpoint/e")
    );

    let ready = wait_component(&client, "ic1", InferenceComponentStatus::InService).await;
    assert_eq!(copy_counts(&ready), (Some(2), Some(2)));
    assert_eq!(ready.variant_name(), Some("AllTraffic"));
    let spec = ready.specification().expect("specification");
    assert_eq!(spec.model_name(), Some("m1"));
    assert_eq!(
        spec.compute_resource_requirements()
            .and_then(|r| r.min_memory_required_in_mb()),
        Some(1024)
    );
    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    assert_eq!(tags.tags().len(), 2);

    // The copy count alone.
    client
        .update_inference_component_runtime_config()
        .inference_component_name("ic1")
        .desired_runtime_config(copies(4))
        .send()
        .await
        .unwrap();
    let updating = client
        .describe_inference_component()
        .inference_component_name("ic1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        updating.inference_component_status(),
        Some(&InferenceComponentStatus::Updating)
    );
    assert_eq!(copy_counts(&updating), (Some(4), Some(2)));
    let (code, message) = error_of(
        client
            .update_inference_component_runtime_config()
            .inference_component_name("ic1")
            .desired_runtime_config(copies(5))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Cannot update in-progress inference component \"arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic1\"."
    );
    let scaled = wait_component(&client, "ic1", InferenceComponentStatus::InService).await;
    assert_eq!(copy_counts(&scaled), (Some(4), Some(4)));

    // The specification: another model.
    client
        .update_inference_component()
        .inference_component_name("ic1")
        .specification(specification("m2"))
        .send()
        .await
        .unwrap();
    let updated = eventually("specification applied", DEADLINE, || async {
        let component = wait_component(&client, "ic1", InferenceComponentStatus::InService).await;
        (component.specification().and_then(|s| s.model_name()) == Some("m2")).then_some(component)
    })
    .await;
    assert_eq!(copy_counts(&updated), (Some(4), Some(4)), "copies kept");

    client
        .delete_inference_component()
        .inference_component_name("ic1")
        .send()
        .await
        .unwrap();
    let deleting = client
        .describe_inference_component()
        .inference_component_name("ic1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleting.inference_component_status(),
        Some(&InferenceComponentStatus::Deleting)
    );
    eventually("component gone", DEADLINE, || async {
        let result = client
            .describe_inference_component()
            .inference_component_name("ic1")
            .send()
            .await;
        result.is_err().then_some(())
    })
    .await;
    let (code, message) = error_of(
        client
            .describe_inference_component()
            .inference_component_name("ic1")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Could not find inference component \"arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic1\"."
    );
    let resources = emulator.control("GET", "resources", serde_json::Value::Null);
    assert_eq!(
        resources["regions"]["us-east-1"]["inferenceComponents"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn inference_component_errors_name_what_is_missing() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let (code, message) = error_of(
        client
            .create_inference_component()
            .inference_component_name("ic")
            .endpoint_name("nowhere")
            .specification(specification("m1"))
            .runtime_config(copies(1))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Could not find endpoint \"arn:aws:sagemaker:us-east-1:123456789012:endpoint/nowhere\"."
    );
    serving_endpoint(&client).await;
    let (code, message) = error_of(
        client
            .create_inference_component()
            .inference_component_name("ic")
            .endpoint_name("e")
            .specification(specification("no-such-model"))
            .runtime_config(copies(1))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Could not find model \"arn:aws:sagemaker:us-east-1:123456789012:model/no-such-model\"."
    );
    let (code, message) = error_of(
        client
            .create_inference_component()
            .inference_component_name("ic")
            .endpoint_name("e")
            .variant_name("Other")
            .specification(specification("m1"))
            .runtime_config(copies(1))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "The variant name(s) [Other] is/are not present in the endpoint \"arn:aws:sagemaker:us-east-1:123456789012:endpoint/e\"."
    );
    // Long enough to be still Creating below, however slow the machine.
    let create = || {
        client
            .create_inference_component()
            .inference_component_name("ic")
            .endpoint_name("e")
            .specification(specification("m1"))
            .runtime_config(copies(1))
            .tags(tag("emulator:duration-seconds", "100000"))
    };
    create().send().await.unwrap();
    let (code, message) = error_of(create().send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Cannot create already existing inference component \"arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic\"."
    );
    let (code, message) = error_of(
        client
            .delete_inference_component()
            .inference_component_name("ic")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException", "deleting while Creating");
    assert!(message.starts_with("Cannot delete in-progress inference component"));
}

#[tokio::test]
async fn inference_component_failures_by_outcome_tag() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    serving_endpoint(&client).await;
    client
        .create_inference_component()
        .inference_component_name("doomed")
        .endpoint_name("e")
        .specification(specification("m1"))
        .runtime_config(copies(1))
        .tags(tag("emulator:outcome", "Failed"))
        .tags(tag("emulator:failure-reason", "not enough memory"))
        .send()
        .await
        .unwrap();
    let failed = wait_component(&client, "doomed", InferenceComponentStatus::Failed).await;
    assert_eq!(failed.failure_reason(), Some("not enough memory"));
    assert_eq!(copy_counts(&failed), (Some(1), Some(0)));

    // An update to a model tagged to fail rolls back to what was serving, with the reason.
    client
        .create_model()
        .model_name("broken")
        .execution_role_arn(crate::ROLE)
        .primary_container(
            aws_sdk_sagemaker::types::ContainerDefinition::builder()
                .image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .build(),
        )
        .tags(tag("emulator:outcome", "Failed"))
        .tags(tag("emulator:failure-reason", "model did not load"))
        .send()
        .await
        .unwrap();
    client
        .create_inference_component()
        .inference_component_name("ok")
        .endpoint_name("e")
        .specification(specification("m1"))
        .runtime_config(copies(1))
        .send()
        .await
        .unwrap();
    wait_component(&client, "ok", InferenceComponentStatus::InService).await;
    client
        .update_inference_component()
        .inference_component_name("ok")
        .specification(specification("broken"))
        .runtime_config(copies(3))
        .send()
        .await
        .unwrap();
    let rolled_back = eventually("update rolled back", DEADLINE, || async {
        let component = wait_component(&client, "ok", InferenceComponentStatus::InService).await;
        component.failure_reason().is_some().then_some(component)
    })
    .await;
    assert_eq!(rolled_back.failure_reason(), Some("model did not load"));
    assert_eq!(
        rolled_back.specification().and_then(|s| s.model_name()),
        Some("m1")
    );
    assert_eq!(copy_counts(&rolled_back), (Some(1), Some(1)));
    // A failed component can be deleted.
    client
        .delete_inference_component()
        .inference_component_name("doomed")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn inference_components_list_with_filters_sort_and_pages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    serving_endpoint(&client).await;
    for name in ["b-ic", "a-ic", "c-other"] {
        client
            .create_inference_component()
            .inference_component_name(name)
            .endpoint_name("e")
            .specification(specification("m1"))
            .runtime_config(copies(1))
            .send()
            .await
            .unwrap();
    }
    let names = |output: &aws_sdk_sagemaker::operation::list_inference_components::ListInferenceComponentsOutput| {
        output
            .inference_components()
            .iter()
            .map(|c| c.inference_component_name().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let newest_first = client.list_inference_components().send().await.unwrap();
    assert_eq!(names(&newest_first), ["c-other", "a-ic", "b-ic"]);
    let by_name = client
        .list_inference_components()
        .sort_by(InferenceComponentSortKey::Name)
        .sort_order(OrderKey::Ascending)
        .name_contains("ic")
        .send()
        .await
        .unwrap();
    assert_eq!(names(&by_name), ["a-ic", "b-ic"]);
    let first = client
        .list_inference_components()
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.inference_components().len(), 2);
    let rest = client
        .list_inference_components()
        .max_results(2)
        .next_token(first.next_token().expect("a second page"))
        .send()
        .await
        .unwrap();
    assert_eq!(names(&rest), ["b-ic"]);
    assert_eq!(rest.next_token(), None);
    let elsewhere = client
        .list_inference_components()
        .endpoint_name_equals("other")
        .send()
        .await
        .unwrap();
    assert!(elsewhere.inference_components().is_empty());
    // Created last, so InService last.
    wait_component(&client, "c-other", InferenceComponentStatus::InService).await;
    let serving = client
        .list_inference_components()
        .status_equals(InferenceComponentStatus::InService)
        .endpoint_name_equals("e")
        .variant_name_equals("AllTraffic")
        .send()
        .await
        .unwrap();
    assert_eq!(serving.inference_components().len(), 3);
    let summary = &serving.inference_components()[0];
    assert_eq!(summary.endpoint_name(), Some("e"));
    assert_eq!(summary.variant_name(), Some("AllTraffic"));
}

fn percent(value: i32) -> CapacitySize {
    CapacitySize::builder()
        .r#type(CapacitySizeType::CapacityPercent)
        .value(value)
        .build()
}

#[tokio::test]
async fn update_endpoint_with_deployment_config_reports_it_and_rolls_back() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    serving_endpoint(&client).await;
    create_endpoint_config(&client, "c2", variant("AllTraffic", "m1", 2)).await;
    let blue_green = DeploymentConfig::builder()
        .blue_green_update_policy(
            BlueGreenUpdatePolicy::builder()
                .traffic_routing_configuration(
                    TrafficRoutingConfig::builder()
                        .r#type(TrafficRoutingConfigType::Canary)
                        .wait_interval_in_seconds(60)
                        .canary_size(percent(10))
                        .build(),
                )
                .build(),
        )
        .auto_rollback_configuration(
            AutoRollbackConfig::builder()
                .alarms(
                    aws_sdk_sagemaker::types::Alarm::builder()
                        .alarm_name("errors")
                        .build(),
                )
                .build(),
        )
        .build();
    client
        .update_endpoint()
        .endpoint_name("e")
        .endpoint_config_name("c2")
        .deployment_config(blue_green.clone())
        .send()
        .await
        .unwrap();
    let updating = client
        .describe_endpoint()
        .endpoint_name("e")
        .send()
        .await
        .unwrap();
    assert_eq!(updating.endpoint_status(), Some(&EndpointStatus::Updating));
    assert_eq!(updating.endpoint_config_name(), Some("c1"));
    assert_eq!(
        updating
            .pending_deployment_summary()
            .and_then(|p| p.endpoint_config_name()),
        Some("c2")
    );
    let done = eventually("updated to c2", DEADLINE, || async {
        let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
        (endpoint.endpoint_config_name() == Some("c2")).then_some(endpoint)
    })
    .await;
    assert_eq!(done.last_deployment_config(), Some(&blue_green));
    assert_eq!(done.pending_deployment_summary(), None);
    assert_eq!(
        done.production_variants()[0].current_instance_count(),
        Some(2)
    );

    // Both policies at once: refused, nothing changes.
    let rolling = RollingUpdatePolicy::builder()
        .maximum_batch_size(percent(50))
        .wait_interval_in_seconds(30)
        .build();
    let (code, message) = error_of(
        client
            .update_endpoint()
            .endpoint_name("e")
            .endpoint_config_name("c1")
            .deployment_config(
                DeploymentConfig::builder()
                    .blue_green_update_policy(
                        blue_green.blue_green_update_policy().unwrap().clone(),
                    )
                    .rolling_update_policy(rolling.clone())
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be specified in DeploymentConfig."
    );

    // A failing update with a rolling policy: back on c2, InService, with the reason.
    client
        .create_endpoint_config()
        .endpoint_config_name("bad")
        .production_variants(variant("AllTraffic", "m1", 1))
        .tags(tag("emulator:outcome", "Failed"))
        .tags(tag("emulator:failure-reason", "alarm errors fired"))
        .send()
        .await
        .unwrap();
    let rolling_config = DeploymentConfig::builder()
        .rolling_update_policy(rolling)
        .build();
    client
        .update_endpoint()
        .endpoint_name("e")
        .endpoint_config_name("bad")
        .deployment_config(rolling_config.clone())
        .send()
        .await
        .unwrap();
    let rolled_back = eventually("rolled back", DEADLINE, || async {
        let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
        endpoint.failure_reason().is_some().then_some(endpoint)
    })
    .await;
    assert_eq!(rolled_back.endpoint_config_name(), Some("c2"));
    assert_eq!(rolled_back.failure_reason(), Some("alarm errors fired"));
    assert_eq!(rolled_back.last_deployment_config(), Some(&rolling_config));
    assert_eq!(
        rolled_back.production_variants()[0].current_instance_count(),
        Some(2)
    );

    // RetainDeploymentConfig reuses the last one; without it there is none.
    client
        .update_endpoint()
        .endpoint_name("e")
        .endpoint_config_name("c1")
        .retain_deployment_config(true)
        .send()
        .await
        .unwrap();
    let retained = eventually("updated to c1", DEADLINE, || async {
        let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
        (endpoint.endpoint_config_name() == Some("c1")).then_some(endpoint)
    })
    .await;
    assert_eq!(retained.last_deployment_config(), Some(&rolling_config));
    assert_eq!(retained.failure_reason(), None);
    client
        .update_endpoint()
        .endpoint_name("e")
        .endpoint_config_name("c2")
        .send()
        .await
        .unwrap();
    let plain = eventually("updated to c2", DEADLINE, || async {
        let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
        (endpoint.endpoint_config_name() == Some("c2")).then_some(endpoint)
    })
    .await;
    assert_eq!(plain.last_deployment_config(), None);
}

#[tokio::test]
async fn inference_component_copies_scale_under_load_and_targets_go_with_it() {
    use aws_sdk_applicationautoscaling::types::{
        MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
        TargetTrackingScalingPolicyConfiguration,
    };
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;
    serving_endpoint(&client).await;
    let dimension = ScalableDimension::SageMakerInferenceComponentDesiredCopyCount;
    let register = || {
        scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id("inference-component/ic")
            .scalable_dimension(dimension.clone())
            .min_capacity(1)
            .max_capacity(4)
    };
    let (code, message) = crate::autoscaling::code_of(register().send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Unable to find the SageMaker inference component ic: resource ID inference-component/ic does not exist"
    );
    client
        .create_inference_component()
        .inference_component_name("ic")
        .endpoint_name("e")
        .specification(specification("m1"))
        .runtime_config(copies(1))
        .send()
        .await
        .unwrap();
    wait_component(&client, "ic", InferenceComponentStatus::InService).await;
    register().send().await.unwrap();
    let policy = |metric: MetricType| {
        scaling
            .put_scaling_policy()
            .policy_name("copies")
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id("inference-component/ic")
            .scalable_dimension(dimension.clone())
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(100.0)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(metric)
                            .build()
                            .unwrap(),
                    )
                    .scale_out_cooldown(0)
                    .build()
                    .unwrap(),
            )
    };
    let (code, message) = crate::autoscaling::code_of(
        policy(MetricType::SageMakerVariantInvocationsPerInstance)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Scalable dimension sagemaker:inference-component:DesiredCopyCount only supports the following predefined metric types: SageMakerInferenceComponentInvocationsPerCopy, SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
    );
    policy(MetricType::SageMakerInferenceComponentInvocationsPerCopy)
        .send()
        .await
        .unwrap();
    emulator.control(
        "PUT",
        "load",
        serde_json::json!({ "inferenceComponentName": "ic", "invocationsPerInstance": 350 }),
    );
    let updating = eventually("scale-out starts", DEADLINE, || async {
        let component = client
            .describe_inference_component()
            .inference_component_name("ic")
            .send()
            .await
            .unwrap();
        (component.inference_component_status() == Some(&InferenceComponentStatus::Updating))
            .then_some(component)
    })
    .await;
    assert_eq!(copy_counts(&updating), (Some(4), Some(1)));
    let scaled = wait_component(&client, "ic", InferenceComponentStatus::InService).await;
    assert_eq!(
        copy_counts(&scaled),
        (Some(4), Some(4)),
        "350/100 → 4 copies"
    );
    let targets = scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .scalable_dimension(dimension.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(targets.scalable_targets().len(), 1);
    assert_eq!(
        targets.scalable_targets()[0].scalable_dimension(),
        &dimension
    );

    client
        .delete_inference_component()
        .inference_component_name("ic")
        .send()
        .await
        .unwrap();
    eventually(
        "targets deregistered with the component",
        DEADLINE,
        || async {
            let targets = scaling
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Sagemaker)
                .send()
                .await
                .unwrap();
            targets.scalable_targets().is_empty().then_some(())
        },
    )
    .await;
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .unwrap();
    assert!(policies.scaling_policies().is_empty());
}
