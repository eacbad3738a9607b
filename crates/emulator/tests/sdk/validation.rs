//! Every request is checked against AWS's API model: one test per constraint class, with the
//! exact message SageMaker sends.

use aws_sdk_sagemaker::types::{
    InferenceComponentRuntimeConfig, InferenceComponentSortKey, ProductionVariant,
    ProductionVariantInstanceType,
};

use crate::error_of;
use crate::harness::Emulator;

fn validation(result: (String, String)) -> String {
    assert_eq!(result.0, "ValidationException", "{}", result.1);
    result.1
}

#[tokio::test]
async fn each_constraint_class_is_answered_as_sagemaker_words_it() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;

    // required
    let message = validation(error_of(
        client
            .create_inference_component()
            .inference_component_name("ic")
            .send()
            .await,
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value null at 'endpointName' failed to satisfy constraint: Member must not be null"
    );

    // enum
    let message = validation(error_of(
        client
            .list_inference_components()
            .sort_by(InferenceComponentSortKey::from("Size"))
            .send()
            .await,
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value 'Size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [Name, CreationTime, Status]"
    );

    // pattern
    let message = validation(error_of(
        client
            .describe_inference_component()
            .inference_component_name("bad_name")
            .send()
            .await,
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value 'bad_name' at 'inferenceComponentName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$"
    );

    // length
    let long = "a".repeat(64);
    let message = validation(error_of(
        client
            .describe_inference_component()
            .inference_component_name(&long)
            .send()
            .await,
    ));
    assert_eq!(
        message,
        format!(
            "1 validation error detected: Value '{long}' at 'inferenceComponentName' failed to satisfy constraint: Member must have length less than or equal to 63"
        )
    );

    // range, in a nested structure
    let message = validation(error_of(
        client
            .update_inference_component_runtime_config()
            .inference_component_name("ic")
            .desired_runtime_config(
                InferenceComponentRuntimeConfig::builder()
                    .copy_count(-1)
                    .build(),
            )
            .send()
            .await,
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value '-1' at 'desiredRuntimeConfig.copyCount' failed to satisfy constraint: Member must have value greater than or equal to 0"
    );
}

#[tokio::test]
async fn violations_in_lists_are_counted_and_joined_in_model_order() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let bad_variant = ProductionVariant::builder()
        .variant_name("bad_variant")
        .model_name("m")
        .initial_instance_count(0)
        .instance_type(ProductionVariantInstanceType::from("ml.imaginary.large"))
        .build();
    let message = validation(error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("c")
            .production_variants(bad_variant)
            .send()
            .await,
    ));
    assert!(
        message.starts_with("3 validation errors detected: Value 'bad_variant' at 'productionVariants.1.member.variantName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$; Value '0' at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1; Value 'ml.imaginary.large' at 'productionVariants.1.member.instanceType' failed to satisfy constraint: Member must satisfy enum value set: [ml.t2.medium, "),
        "{message}"
    );
    let message = validation(error_of(
        client
            .create_endpoint_config()
            .endpoint_config_name("c")
            .send()
            .await,
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value null at 'productionVariants' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn cloudwatch_logs_answers_its_own_code() {
    use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
    let emulator = Emulator::start();
    let logs = emulator.logs().await;
    let error = logs
        .create_log_group()
        .log_group_name("no spaces allowed")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Some("InvalidParameterException"));
    assert_eq!(
        error.message(),
        Some(
            "1 validation error detected: Value 'no spaces allowed' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\.\\-_/#A-Za-z0-9]+$"
        )
    );
}
