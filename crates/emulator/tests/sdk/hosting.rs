use aws_sdk_sagemaker::primitives::Blob;
use aws_sdk_sagemaker::types::{
    DesiredWeightAndCapacity, EndpointStatus, ProductionVariant, ProductionVariantInstanceType,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::transform::create_model;
use crate::{error_of, tag};

pub fn variant(name: &str, model: &str, instances: i32) -> ProductionVariant {
    ProductionVariant::builder()
        .variant_name(name)
        .model_name(model)
        .initial_instance_count(instances)
        .instance_type(ProductionVariantInstanceType::MlM4Xlarge)
        .build()
}

/// An endpoint config with one variant that the test expects SageMaker to accept.
pub async fn create_endpoint_config(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    production_variant: ProductionVariant,
) {
    client
        .create_endpoint_config()
        .endpoint_config_name(name)
        .production_variants(production_variant)
        .send()
        .await
        .unwrap();
}

pub async fn wait_endpoint(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    wanted: EndpointStatus,
) -> aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput {
    eventually("endpoint status", DEADLINE, || async {
        let endpoint = client
            .describe_endpoint()
            .endpoint_name(name)
            .send()
            .await
            .unwrap();
        (endpoint.endpoint_status() == Some(&wanted)).then_some(endpoint)
    })
    .await
}

#[tokio::test]
async fn models_and_endpoint_configs_crud_with_real_errors() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let (code, message) = error_of(client.describe_model().model_name("m1").send().await);
    assert_eq!(code, "ValidationException");
    assert!(message.starts_with("Could not find model"), "{message}");
    create_model(&client, "m1").await;
    let model = client
        .describe_model()
        .model_name("m1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        model.model_arn(),
        Some("arn:aws:sagemaker:us-east-1:123456789012:model/m1")
    );
    assert!(
        model
            .primary_container()
            .unwrap()
            .image()
            .unwrap()
            .contains("xgboost")
    );
    let (code, _) = error_of(
        client
            .create_model()
            .model_name("m1")
            .primary_container(
                aws_sdk_sagemaker::types::ContainerDefinition::builder()
                    .image("x")
                    .build(),
            )
            .send()
            .await,
    );
    // Hosting names in use are a ValidationException "Cannot create already existing …".
    assert_eq!(code, "ValidationException");

    let (_, message) = error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("c1")
            .production_variants(variant("v1", "ghost", 1))
            .send()
            .await,
    );
    assert!(message.starts_with("Could not find model"), "{message}");
    create_endpoint_config(&client, "c1", variant("v1", "m1", 1)).await;
    let config = client
        .describe_endpoint_config()
        .endpoint_config_name("c1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        config.production_variants()[0].initial_variant_weight(),
        Some(1.0)
    );
    let (code, _) = error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("c1")
            .production_variants(variant("v1", "m1", 1))
            .send()
            .await,
    );
    // Hosting names in use are a ValidationException "Cannot create already existing …".
    assert_eq!(code, "ValidationException");
    let (_, message) = error_of(
        client
            .describe_endpoint_config()
            .endpoint_config_name("c2")
            .send()
            .await,
    );
    assert!(
        message.starts_with("Could not find endpoint configuration"),
        "{message}"
    );

    assert_eq!(client.list_models().send().await.unwrap().models().len(), 1);
    assert_eq!(
        client
            .list_endpoint_configs()
            .send()
            .await
            .unwrap()
            .endpoint_configs()
            .len(),
        1
    );
    client
        .delete_endpoint_config()
        .endpoint_config_name("c1")
        .send()
        .await
        .unwrap();
    client.delete_model().model_name("m1").send().await.unwrap();
    let (code, _) = error_of(client.delete_model().model_name("m1").send().await);
    assert_eq!(code, "ValidationException");
    let (code, _) = error_of(
        client
            .delete_endpoint_config()
            .endpoint_config_name("c1")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn endpoint_creates_updates_with_retained_properties_and_deletes() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create_model(&client, "m1").await;
    create_endpoint_config(&client, "c1", variant("AllTraffic", "m1", 1)).await;
    create_endpoint_config(&client, "c2", variant("AllTraffic", "m1", 3)).await;

    let (_, message) = error_of(
        client
            .create_endpoint()
            .endpoint_name("ep")
            .endpoint_config_name("ghost")
            .send()
            .await,
    );
    assert!(
        message.starts_with("Could not find endpoint configuration"),
        "{message}"
    );
    client
        .create_endpoint()
        .endpoint_name("ep")
        .endpoint_config_name("c1")
        .send()
        .await
        .unwrap();
    let creating = client
        .describe_endpoint()
        .endpoint_name("ep")
        .send()
        .await
        .unwrap();
    assert_eq!(creating.endpoint_status(), Some(&EndpointStatus::Creating));
    let (code, message) = error_of(
        client
            .update_endpoint()
            .endpoint_name("ep")
            .endpoint_config_name("c2")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with("Cannot update in-progress endpoint"),
        "{message}"
    );
    let (_, message) = error_of(client.delete_endpoint().endpoint_name("ep").send().await);
    assert!(
        message.starts_with("Cannot update in-progress endpoint"),
        "{message}"
    );
    let (code, _) = error_of(
        client
            .create_endpoint()
            .endpoint_name("ep")
            .endpoint_config_name("c1")
            .send()
            .await,
    );
    // Hosting names in use are a ValidationException "Cannot create already existing …".
    assert_eq!(code, "ValidationException");

    let live = wait_endpoint(&client, "ep", EndpointStatus::InService).await;
    let variant_summary = &live.production_variants()[0];
    assert_eq!(variant_summary.current_instance_count(), Some(1));
    assert_eq!(variant_summary.current_weight(), Some(1.0));
    assert!(!variant_summary.deployed_images().is_empty());

    // Weights and capacities: Updating, then the desired values become current.
    client
        .update_endpoint_weights_and_capacities()
        .endpoint_name("ep")
        .desired_weights_and_capacities(
            DesiredWeightAndCapacity::builder()
                .variant_name("AllTraffic")
                .desired_instance_count(2)
                .desired_weight(0.5)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let updating = client
        .describe_endpoint()
        .endpoint_name("ep")
        .send()
        .await
        .unwrap();
    assert_eq!(updating.endpoint_status(), Some(&EndpointStatus::Updating));
    assert_eq!(
        updating.production_variants()[0].desired_instance_count(),
        Some(2)
    );
    assert_eq!(
        updating.production_variants()[0].current_instance_count(),
        Some(1)
    );
    let live = wait_endpoint(&client, "ep", EndpointStatus::InService).await;
    assert_eq!(
        live.production_variants()[0].current_instance_count(),
        Some(2)
    );
    assert_eq!(live.production_variants()[0].current_weight(), Some(0.5));

    // Update to c2 retaining variant properties keeps 2 instances (c2 says 3).
    client
        .update_endpoint()
        .endpoint_name("ep")
        .endpoint_config_name("c2")
        .retain_all_variant_properties(true)
        .send()
        .await
        .unwrap();
    let live = wait_endpoint(&client, "ep", EndpointStatus::InService).await;
    assert_eq!(live.endpoint_config_name(), Some("c2"));
    assert_eq!(
        live.production_variants()[0].current_instance_count(),
        Some(2)
    );
    // Without retaining, the config's count applies.
    client
        .update_endpoint()
        .endpoint_name("ep")
        .endpoint_config_name("c1")
        .send()
        .await
        .unwrap();
    let live = wait_endpoint(&client, "ep", EndpointStatus::InService).await;
    assert_eq!(live.endpoint_config_name(), Some("c1"));
    assert_eq!(
        live.production_variants()[0].current_instance_count(),
        Some(1)
    );
    assert!(live.last_modified_time().unwrap() > live.creation_time().unwrap());

    let (_, message) = error_of(
        client
            .update_endpoint()
            .endpoint_name("ep")
            .endpoint_config_name("ghost")
            .send()
            .await,
    );
    assert!(
        message.starts_with("Could not find endpoint configuration"),
        "{message}"
    );
    let (_, message) = error_of(
        client
            .update_endpoint()
            .endpoint_name("ghost")
            .endpoint_config_name("c1")
            .send()
            .await,
    );
    assert!(
        message.starts_with("Could not find endpoint \""),
        "{message}"
    );

    // Inference while InService.
    let runtime = emulator.runtime().await;
    let body: Vec<String> = (1..=784).map(|i| i.to_string()).collect();
    let answer = runtime
        .invoke_endpoint()
        .endpoint_name("ep")
        .content_type("text/csv")
        .body(Blob::new(body.join(",")))
        .send()
        .await
        .unwrap();
    let prediction: f64 = std::str::from_utf8(answer.body().unwrap().as_ref())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        prediction, 7.56,
        "the README's documented prediction for the user guide's input"
    );
    let again = runtime
        .invoke_endpoint()
        .endpoint_name("ep")
        .content_type("text/csv")
        .body(Blob::new(body.join(",")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.body().unwrap().as_ref(),
        answer.body().unwrap().as_ref(),
        "deterministic"
    );
    assert_eq!(answer.invoked_production_variant(), Some("AllTraffic"));
    let error = runtime
        .invoke_endpoint()
        .endpoint_name("ghost")
        .content_type("text/csv")
        .body(Blob::new("1,2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_sagemakerruntime::error::ProvideErrorMetadata::code(&error),
        Some("ValidationError")
    );

    client
        .delete_endpoint()
        .endpoint_name("ep")
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .describe_endpoint()
            .endpoint_name("ep")
            .send()
            .await
            .unwrap()
            .endpoint_status(),
        Some(&EndpointStatus::Deleting)
    );
    eventually("endpoint gone", DEADLINE, || async {
        let result = client.describe_endpoint().endpoint_name("ep").send().await;
        result
            .is_err()
            .then(|| error_of(result))
            .filter(|(_, message)| message.starts_with("Could not find endpoint"))
    })
    .await;
    assert!(
        client
            .list_endpoints()
            .send()
            .await
            .unwrap()
            .endpoints()
            .is_empty()
    );
}

#[tokio::test]
async fn endpoint_failures_on_create_and_update() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    create_model(&client, "m1").await;
    create_endpoint_config(&client, "good", variant("AllTraffic", "m1", 1)).await;
    client
        .create_endpoint_config()
        .endpoint_config_name("bad")
        .production_variants(variant("AllTraffic", "m1", 1))
        .tags(tag("emulator:outcome", "Failed"))
        .tags(tag("emulator:failure-reason", "health check failed"))
        .send()
        .await
        .unwrap();
    client
        .create_endpoint()
        .endpoint_name("doomed")
        .endpoint_config_name("good")
        .tags(tag("emulator:outcome", "Failed"))
        .send()
        .await
        .unwrap();
    let failed = wait_endpoint(&client, "doomed", EndpointStatus::Failed).await;
    assert!(failed.failure_reason().is_some());
    // A failed endpoint can be deleted.
    client
        .delete_endpoint()
        .endpoint_name("doomed")
        .send()
        .await
        .unwrap();

    client
        .create_endpoint()
        .endpoint_name("ok")
        .endpoint_config_name("good")
        .send()
        .await
        .unwrap();
    wait_endpoint(&client, "ok", EndpointStatus::InService).await;
    client
        .update_endpoint()
        .endpoint_name("ok")
        .endpoint_config_name("bad")
        .send()
        .await
        .unwrap();
    let rolled_back = eventually("update rolled back", DEADLINE, || async {
        let endpoint = client
            .describe_endpoint()
            .endpoint_name("ok")
            .send()
            .await
            .unwrap();
        (endpoint.endpoint_status() == Some(&EndpointStatus::InService)
            && endpoint.failure_reason().is_some())
        .then_some(endpoint)
    })
    .await;
    assert_eq!(rolled_back.endpoint_config_name(), Some("good"));
    assert_eq!(rolled_back.failure_reason(), Some("health check failed"));
    let listed = client
        .list_endpoints()
        .status_equals(EndpointStatus::InService)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.endpoints().len(), 1);
}
