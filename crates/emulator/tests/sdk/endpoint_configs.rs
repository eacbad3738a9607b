//! Endpoint configurations beyond instance variants: serverless, asynchronous inference, shadow
//! variants, managed instance scaling and routing, through to DescribeEndpoint and
//! InvokeEndpointAsync.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::types::{
    AsyncInferenceConfig, AsyncInferenceOutputConfig, EndpointStatus, ManagedInstanceScalingStatus,
    ProductionVariant, ProductionVariantManagedInstanceScaling, ProductionVariantRoutingConfig,
    ProductionVariantServerlessConfig, RoutingStrategy,
};

use crate::error_of;
use crate::harness::{DEADLINE, Emulator, eventually};
use crate::hosting::{variant, wait_endpoint};
use crate::transform::create_model;

fn serverless(name: &str, model: &str) -> ProductionVariant {
    ProductionVariant::builder()
        .variant_name(name)
        .model_name(model)
        .serverless_config(
            ProductionVariantServerlessConfig::builder()
                .memory_size_in_mb(2048)
                .max_concurrency(5)
                .build(),
        )
        .build()
}

async fn endpoint_on(client: &Client, endpoint: &str, config: &str) {
    client
        .create_endpoint()
        .endpoint_name(endpoint)
        .endpoint_config_name(config)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn serverless_endpoints_report_memory_and_concurrency() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create_model(&client, "m").await;
    client
        .create_endpoint_config()
        .endpoint_config_name("serverless")
        .production_variants(serverless("AllTraffic", "m"))
        .send()
        .await
        .unwrap();
    endpoint_on(&client, "e", "serverless").await;
    let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
    let summary = &endpoint.production_variants()[0];
    let current = summary.current_serverless_config().expect("current");
    assert_eq!(current.memory_size_in_mb(), Some(2048));
    assert_eq!(current.max_concurrency(), Some(5));
    assert_eq!(
        summary
            .desired_serverless_config()
            .and_then(|c| c.max_concurrency()),
        Some(5)
    );
    assert_eq!(summary.current_instance_count(), None, "no instances");

    // Both kinds of capacity at once: refused.
    let mut both = serverless("AllTraffic", "m");
    both.instance_type = Some(aws_sdk_sagemaker::types::ProductionVariantInstanceType::MlM4Xlarge);
    let (code, message) = error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("both")
            .production_variants(both)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Specify either ServerlessConfig or InstanceType and InitialInstanceCount for the production variant AllTraffic, not both."
    );
}

#[tokio::test]
async fn shadow_variants_managed_scaling_and_routing_are_deployed_and_described() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create_model(&client, "m").await;
    create_model(&client, "candidate").await;
    let mut production = variant("AllTraffic", "m", 2);
    production.managed_instance_scaling = Some(
        ProductionVariantManagedInstanceScaling::builder()
            .status(ManagedInstanceScalingStatus::Enabled)
            .min_instance_count(1)
            .max_instance_count(4)
            .build(),
    );
    production.routing_config = Some(
        ProductionVariantRoutingConfig::builder()
            .routing_strategy(RoutingStrategy::LeastOutstandingRequests)
            .build(),
    );
    client
        .create_endpoint_config()
        .endpoint_config_name("shadowed")
        .production_variants(production.clone())
        .shadow_production_variants(variant("Shadow", "candidate", 1))
        .send()
        .await
        .unwrap();
    let described = client
        .describe_endpoint_config()
        .endpoint_config_name("shadowed")
        .send()
        .await
        .unwrap();
    assert_eq!(described.shadow_production_variants().len(), 1);
    endpoint_on(&client, "e", "shadowed").await;
    let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
    let summary = &endpoint.production_variants()[0];
    let scaling = summary.managed_instance_scaling().expect("managed scaling");
    assert_eq!(
        scaling.status(),
        Some(&ManagedInstanceScalingStatus::Enabled)
    );
    assert_eq!(scaling.max_instance_count(), Some(4));
    assert_eq!(
        summary.routing_config().and_then(|r| r.routing_strategy()),
        Some(&RoutingStrategy::LeastOutstandingRequests)
    );
    assert_eq!(summary.current_instance_count(), Some(2));
    let shadows = endpoint.shadow_production_variants();
    assert_eq!(shadows.len(), 1);
    assert_eq!(shadows[0].variant_name(), Some("Shadow"));
    assert_eq!(shadows[0].current_instance_count(), Some(1));

    let (code, message) = error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("two-and-shadow")
            .production_variants(variant("A", "m", 1))
            .production_variants(variant("B", "m", 1))
            .shadow_production_variants(variant("Shadow", "candidate", 1))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "When ShadowProductionVariants is specified, ProductionVariants and ShadowProductionVariants must each have exactly one variant."
    );
    let mut inverted = production;
    inverted.managed_instance_scaling = Some(
        ProductionVariantManagedInstanceScaling::builder()
            .min_instance_count(5)
            .max_instance_count(2)
            .build(),
    );
    let (_, message) = error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("inverted")
            .production_variants(inverted)
            .send()
            .await,
    );
    assert_eq!(
        message,
        "MinInstanceCount (5) cannot be greater than MaxInstanceCount (2) in the ManagedInstanceScaling of the production variant AllTraffic."
    );
}

#[tokio::test]
async fn asynchronous_endpoints_answer_with_an_output_location_that_fills() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let runtime = emulator.runtime().await;
    create_model(&client, "m").await;
    client
        .create_endpoint_config()
        .endpoint_config_name("async")
        .production_variants(variant("AllTraffic", "m", 1))
        .async_inference_config(
            AsyncInferenceConfig::builder()
                .output_config(
                    AsyncInferenceOutputConfig::builder()
                        .s3_output_path("s3://my-bucket/async-out")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    create_model(&client, "plain-model").await;
    client
        .create_endpoint_config()
        .endpoint_config_name("plain")
        .production_variants(variant("AllTraffic", "plain-model", 1))
        .send()
        .await
        .unwrap();
    endpoint_on(&client, "e", "async").await;
    endpoint_on(&client, "sync", "plain").await;
    let endpoint = wait_endpoint(&client, "e", EndpointStatus::InService).await;
    assert_eq!(
        endpoint
            .async_inference_config()
            .and_then(|c| c.output_config())
            .and_then(|o| o.s3_output_path()),
        Some("s3://my-bucket/async-out")
    );

    let answer = runtime
        .invoke_endpoint_async()
        .endpoint_name("e")
        .input_location("s3://my-bucket/input/1,2,3.csv")
        .inference_id("request-1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.inference_id(), Some("request-1"));
    assert_eq!(
        answer.output_location(),
        Some("s3://my-bucket/async-out/request-1.out")
    );
    let objects = eventually("the output object appears", DEADLINE, || async {
        let listed = emulator.control("GET", "objects", serde_json::Value::Null);
        let objects = listed["objects"].as_array().cloned().unwrap_or_default();
        (!objects.is_empty()).then_some(objects)
    })
    .await;
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["uri"], "s3://my-bucket/async-out/request-1.out");
    assert!(objects[0]["body"].as_str().is_some_and(|b| !b.is_empty()));

    // Without an id the emulator makes one; an endpoint without async config refuses.
    let generated = runtime
        .invoke_endpoint_async()
        .endpoint_name("e")
        .input_location("s3://my-bucket/input/2.csv")
        .send()
        .await
        .unwrap();
    let id = generated.inference_id().expect("an inference id");
    assert_eq!(
        generated.output_location(),
        Some(format!("s3://my-bucket/async-out/{id}.out").as_str())
    );
    wait_endpoint(&client, "sync", EndpointStatus::InService).await;
    let refused = runtime
        .invoke_endpoint_async()
        .endpoint_name("sync")
        .input_location("s3://my-bucket/input/3.csv")
        .send()
        .await
        .expect_err("not an async endpoint");
    use aws_sdk_sagemakerruntime::error::ProvideErrorMetadata;
    assert_eq!(refused.code(), Some("ValidationError"));
    assert_eq!(
        refused.message(),
        Some("Endpoint sync is not configured for asynchronous inference.")
    );
    assert_eq!(emulator.calls("SageMakerRuntime.InvokeEndpointAsync"), 3);
}
