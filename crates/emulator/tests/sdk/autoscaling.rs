//! Application Auto Scaling through the real SDK: scalable targets and policies with their errors,
//! and the scaling they cause on an endpoint variant under a load set through the control API.

use aws_sdk_applicationautoscaling::Client as AutoScaling;
use aws_sdk_applicationautoscaling::error::ProvideErrorMetadata;
use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, CustomizedMetricSpecification, MetricDimension, MetricStatistic, MetricType,
    PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace, StepAdjustment,
    StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_sagemaker::types::EndpointStatus;

use crate::harness::{DEADLINE, Emulator};
use crate::hosting::{create_endpoint_config, variant, wait_endpoint};
use crate::transform::create_model;

const DIMENSION: ScalableDimension = ScalableDimension::SageMakerVariantDesiredInstanceCount;

fn resource(endpoint: &str) -> String {
    format!("endpoint/{endpoint}/variant/AllTraffic")
}

/// An InService endpoint `name` with one `AllTraffic` variant of one instance.
async fn serving_endpoint(client: &aws_sdk_sagemaker::Client, name: &str) {
    create_model(client, &format!("{name}-model")).await;
    create_endpoint_config(
        client,
        &format!("{name}-config"),
        variant("AllTraffic", &format!("{name}-model"), 1),
    )
    .await;
    client
        .create_endpoint()
        .endpoint_name(name)
        .endpoint_config_name(format!("{name}-config"))
        .send()
        .await
        .unwrap();
    wait_endpoint(client, name, EndpointStatus::InService).await;
}

async fn register(scaling: &AutoScaling, endpoint: &str, min: i32, max: i32) {
    scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource(endpoint))
        .scalable_dimension(DIMENSION)
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .expect("register scalable target");
}

fn set_load(emulator: &Emulator, endpoint: &str, per_instance: f64, threshold: Option<f64>) {
    let mut body = serde_json::json!({
        "endpointName": endpoint,
        "variantName": "AllTraffic",
        "invocationsPerInstance": per_instance,
    });
    if let Some(threshold) = threshold {
        body["alarmThreshold"] = serde_json::json!(threshold);
    }
    emulator.control("PUT", "load", body);
}

/// Polls the endpoint until its variant's current count is `wanted` and it is InService,
/// returning every (status, desired, current) it went through.
async fn watch_until_count(
    client: &aws_sdk_sagemaker::Client,
    endpoint: &str,
    wanted: i32,
) -> Vec<(EndpointStatus, i32, i32)> {
    let mut seen: Vec<(EndpointStatus, i32, i32)> = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let described = client
            .describe_endpoint()
            .endpoint_name(endpoint)
            .send()
            .await
            .unwrap();
        let status = described.endpoint_status().cloned().unwrap();
        let variant = &described.production_variants()[0];
        let state = (
            status.clone(),
            variant.desired_instance_count().unwrap_or(-1),
            variant.current_instance_count().unwrap_or(-1),
        );
        let done = status == EndpointStatus::InService && state.2 == wanted;
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        if done {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{endpoint} never reached {wanted} instances InService: {seen:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    seen
}

pub fn code_of<E: ProvideErrorMetadata, R>(
    result: Result<
        R,
        aws_sdk_applicationautoscaling::error::SdkError<
            E,
            aws_sdk_applicationautoscaling::config::http::HttpResponse,
        >,
    >,
) -> (String, String) {
    let Err(error) = result else {
        panic!("the call should fail")
    };
    (
        error.code().unwrap_or("<no code>").to_string(),
        error.message().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn target_tracking_scales_out_and_back_in_through_updating() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;
    serving_endpoint(&client, "tracked").await;
    register(&scaling, "tracked", 1, 4).await;
    let targets = scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(resource("tracked"))
        .send()
        .await
        .unwrap();
    let target = &targets.scalable_targets()[0];
    assert_eq!(
        (target.min_capacity(), target.max_capacity()),
        (1, 4),
        "{target:?}"
    );
    assert_eq!(target.scalable_dimension(), &DIMENSION);
    assert!(target.scalable_target_arn().is_some_and(|arn| {
        arn.starts_with("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/")
    }));

    let put = scaling
        .put_scaling_policy()
        .policy_name("invocations")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource("tracked"))
        .scalable_dimension(DIMENSION)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(100.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::SageMakerVariantInvocationsPerInstance)
                        .build()
                        .unwrap(),
                )
                .scale_out_cooldown(60)
                .scale_in_cooldown(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put target tracking policy");
    assert!(
        put.policy_arn().contains(":scalingPolicy:")
            && put.policy_arn().ends_with(
                ":resource/sagemaker/endpoint/tracked/variant/AllTraffic:policyName/invocations"
            )
    );
    let alarms: Vec<&str> = put.alarms().iter().map(|a| a.alarm_name()).collect();
    assert_eq!(alarms.len(), 2, "{alarms:?}");
    assert!(alarms[0].starts_with("TargetTracking-endpoint/tracked/variant/AllTraffic-AlarmHigh-"));
    assert!(alarms[1].starts_with("TargetTracking-endpoint/tracked/variant/AllTraffic-AlarmLow-"));

    // 350 invocations per instance on one instance against a target of 100: four instances
    // would bring it to 87.5, and four is the maximum.
    set_load(&emulator, "tracked", 350.0, None);
    let seen = watch_until_count(&client, "tracked", 4).await;
    assert!(
        seen.contains(&(EndpointStatus::Updating, 4, 1)),
        "scaling out passes through Updating with DesiredInstanceCount ahead of CurrentInstanceCount: {seen:?}"
    );

    // Traffic stops: back to the minimum once the scale-in cooldown has passed.
    set_load(&emulator, "tracked", 0.0, None);
    let seen = watch_until_count(&client, "tracked", 1).await;
    assert!(
        seen.iter().any(
            |(status, desired, current)| *status == EndpointStatus::Updating
                && *desired == 1
                && *current == 4
        ),
        "scaling in passes through Updating: {seen:?}"
    );

    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource("tracked"))
        .send()
        .await
        .unwrap();
    let policy = &policies.scaling_policies()[0];
    assert_eq!(policy.policy_name(), "invocations");
    assert_eq!(policy.policy_type(), &PolicyType::TargetTrackingScaling);
    assert_eq!(
        policy
            .target_tracking_scaling_policy_configuration()
            .map(|c| c.target_value()),
        Some(100.0)
    );
    let listed = emulator.control("GET", "resources?region=us-east-1", serde_json::Value::Null);
    assert_eq!(
        listed["scalableTargets"],
        serde_json::json!(["endpoint/tracked/variant/AllTraffic"])
    );
}

#[tokio::test]
async fn disabled_scale_in_keeps_the_capacity_and_a_customized_metric_tracks_too() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;
    serving_endpoint(&client, "sticky").await;
    register(&scaling, "sticky", 1, 3).await;
    let put = scaling
        .put_scaling_policy()
        .policy_name("custom")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource("sticky"))
        .scalable_dimension(DIMENSION)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(50.0)
                .customized_metric_specification(
                    CustomizedMetricSpecification::builder()
                        .metric_name("InvocationsPerInstance")
                        .namespace("AWS/SageMaker")
                        .statistic(MetricStatistic::Average)
                        .dimensions(
                            MetricDimension::builder()
                                .name("EndpointName")
                                .value("sticky")
                                .build()
                                .unwrap(),
                        )
                        .dimensions(
                            MetricDimension::builder()
                                .name("VariantName")
                                .value("AllTraffic")
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .scale_out_cooldown(0)
                .disable_scale_in(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // No AlarmLow when scale-in is disabled.
    assert_eq!(put.alarms().len(), 1, "{:?}", put.alarms());
    set_load(&emulator, "sticky", 120.0, None);
    watch_until_count(&client, "sticky", 3).await;
    set_load(&emulator, "sticky", 0.0, None);
    // Nothing observable happens when scale-in is disabled, so watch several evaluation periods
    // (60 emulated s = 0.6 s each) and require the count to hold throughout.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < until {
        let described = client
            .describe_endpoint()
            .endpoint_name("sticky")
            .send()
            .await
            .unwrap();
        assert_eq!(
            described.endpoint_status(),
            Some(&EndpointStatus::InService)
        );
        assert_eq!(
            described.production_variants()[0].current_instance_count(),
            Some(3)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn step_scaling_applies_the_matching_adjustment() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;
    serving_endpoint(&client, "stepped").await;
    register(&scaling, "stepped", 1, 5).await;
    // Relative to an alarm threshold of 100 invocations per instance: above it add two
    // instances, more than 60 below it remove one.
    let steps = StepScalingPolicyConfiguration::builder()
        .adjustment_type(AdjustmentType::ChangeInCapacity)
        .step_adjustments(
            StepAdjustment::builder()
                .metric_interval_lower_bound(0.0)
                .scaling_adjustment(2)
                .build()
                .unwrap(),
        )
        .step_adjustments(
            StepAdjustment::builder()
                .metric_interval_upper_bound(-60.0)
                .scaling_adjustment(-1)
                .build()
                .unwrap(),
        )
        .cooldown(60)
        .build();
    scaling
        .put_scaling_policy()
        .policy_name("steps")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource("stepped"))
        .scalable_dimension(DIMENSION)
        .policy_type(PolicyType::StepScaling)
        .step_scaling_policy_configuration(steps)
        .send()
        .await
        .expect("put step policy");
    // 150 per instance: breach +50 → +2 → 3 instances (50 each: breach −50, no step applies).
    set_load(&emulator, "stepped", 150.0, Some(100.0));
    watch_until_count(&client, "stepped", 3).await;
    // 10 per instance on 3: breach −90 → −1 at a time down to the minimum.
    set_load(&emulator, "stepped", 10.0, Some(100.0));
    let seen = watch_until_count(&client, "stepped", 1).await;
    assert!(
        seen.iter()
            .any(|(_, desired, current)| *desired == 2 && *current == 3),
        "one instance at a time: {seen:?}"
    );
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .policy_names("steps")
        .send()
        .await
        .unwrap();
    let config = policies.scaling_policies()[0]
        .step_scaling_policy_configuration()
        .expect("step configuration echoed");
    assert_eq!(config.step_adjustments().len(), 2);
    assert_eq!(
        config.adjustment_type(),
        Some(&AdjustmentType::ChangeInCapacity)
    );
}

#[tokio::test]
async fn errors_are_application_auto_scaling_codes() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;

    // A target for an endpoint that does not exist, or a variant it does not have.
    let (code, message) = code_of(
        scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource("nowhere"))
            .scalable_dimension(DIMENSION)
            .min_capacity(1)
            .max_capacity(2)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("nowhere"), "{message}");
    serving_endpoint(&client, "errs").await;
    let (code, message) = code_of(
        scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id("endpoint/errs/variant/Other")
            .scalable_dimension(DIMENSION)
            .min_capacity(1)
            .max_capacity(2)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("Other"), "{message}");
    let (code, _) = code_of(
        scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource("errs"))
            .scalable_dimension(DIMENSION)
            .send()
            .await,
    );
    assert_eq!(
        code, "ValidationException",
        "a new target needs min and max"
    );
    let (code, message) = code_of(
        scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource("errs"))
            .scalable_dimension(DIMENSION)
            .min_capacity(3)
            .max_capacity(2)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Minimum capacity cannot be greater than maximum capacity"),
        "{message}"
    );
    let (code, message) = code_of(
        scaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id("endpoint/errs")
            .scalable_dimension(DIMENSION)
            .min_capacity(1)
            .max_capacity(2)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "ValidationException",
            "Unsupported service namespace, resource type or scalable dimension"
        )
    );

    // Policies need a registered target.
    let tracking = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(10.0)
        .predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::SageMakerVariantInvocationsPerInstance)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let put = |name: &str| {
        scaling
            .put_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource("errs"))
            .scalable_dimension(DIMENSION)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(tracking.clone())
    };
    let (code, message) = code_of(put("p").send().await);
    assert_eq!(code, "ObjectNotFoundException");
    assert_eq!(
        message,
        "No scalable target registered for service namespace: sagemaker, resource ID: endpoint/errs/variant/AllTraffic, scalable dimension: sagemaker:variant:DesiredInstanceCount"
    );
    register(&scaling, "errs", 1, 2).await;
    // A predefined metric of another dimension.
    let (code, message) = code_of(
        put("p")
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(0.5)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(
                                MetricType::SageMakerVariantProvisionedConcurrencyUtilization,
                            )
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Scalable dimension sagemaker:variant:DesiredInstanceCount only supports the following predefined metric types: SageMakerVariantInvocationsPerInstance"),
        "{message}"
    );
    put("p").send().await.expect("a valid policy");
    let (code, message) = code_of(
        scaling
            .delete_scaling_policy()
            .policy_name("missing")
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource("errs"))
            .scalable_dimension(DIMENSION)
            .send()
            .await,
    );
    assert_eq!(code, "ObjectNotFoundException");
    assert!(message.starts_with("No scaling policy found for service namespace: sagemaker, resource ID: endpoint/errs/variant/AllTraffic"), "{message}");

    // An injected ConcurrentUpdateException reaches the SDK with its code.
    emulator.control(
        "POST",
        "faults",
        serde_json::json!({"operation": "PutScalingPolicy", "kind": "error", "code": "ConcurrentUpdateException", "message": "Concurrent update in progress", "count": 1}),
    );
    let (code, message) = code_of(put("p").send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ConcurrentUpdateException", "Concurrent update in progress")
    );

    // The target is regional.
    let west = emulator.autoscaling_in("us-west-2").await;
    let described = west
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .unwrap();
    assert!(described.scalable_targets().is_empty());

    // An update deploys a config without the variant: the service can no longer reach it.
    create_endpoint_config(&client, "errs-other", variant("Other", "errs-model", 1)).await;
    client
        .update_endpoint()
        .endpoint_name("errs")
        .endpoint_config_name("errs-other")
        .send()
        .await
        .unwrap();
    wait_endpoint(&client, "errs", EndpointStatus::InService).await;
    let (code, message) = code_of(put("p").send().await);
    assert_eq!(code, "FailedResourceAccessException");
    assert!(message.contains("AllTraffic"), "{message}");

    // Deregistering removes the target and its policies; a second time it is not found.
    scaling
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource("errs"))
        .scalable_dimension(DIMENSION)
        .send()
        .await
        .expect("deregister");
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .unwrap();
    assert!(policies.scaling_policies().is_empty());
    let (code, _) = code_of(
        scaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource("errs"))
            .scalable_dimension(DIMENSION)
            .send()
            .await,
    );
    assert_eq!(code, "ObjectNotFoundException");
    assert!(emulator.calls("AnyScaleFrontendService.PutScalingPolicy") >= 5);
}

#[tokio::test]
async fn deleting_the_endpoint_deregisters_its_targets() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;
    serving_endpoint(&client, "doomed").await;
    register(&scaling, "doomed", 1, 2).await;
    scaling
        .put_scaling_policy()
        .policy_name("p")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource("doomed"))
        .scalable_dimension(DIMENSION)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(10.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::SageMakerVariantInvocationsPerInstance)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    client
        .delete_endpoint()
        .endpoint_name("doomed")
        .send()
        .await
        .unwrap();
    let targets = scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .unwrap();
    assert!(targets.scalable_targets().is_empty(), "{targets:?}");
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .send()
        .await
        .unwrap();
    assert!(policies.scaling_policies().is_empty(), "{policies:?}");
}

#[tokio::test]
async fn a_range_above_the_current_count_scales_out_without_any_policy() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let scaling = emulator.autoscaling_in("us-east-1").await;
    serving_endpoint(&client, "floor").await;
    register(&scaling, "floor", 2, 3).await;
    let seen = watch_until_count(&client, "floor", 2).await;
    assert!(
        seen.contains(&(EndpointStatus::Updating, 2, 1)),
        "the new minimum is applied through an update: {seen:?}"
    );
}
