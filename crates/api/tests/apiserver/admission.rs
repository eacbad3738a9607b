//! Invalid specs are rejected when they are applied, with the offending field named.

use crate::{control_plane_with_crds, fixture};

/// Applies the user guide's training job after `edit`, and returns kubectl's error output.
async fn rejection_of(edit: impl Fn(String) -> String) -> String {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("invalid").await;
    let manifest = edit(fixture("xgboost-mnist-trainingjob.yaml"));
    let output = control_plane
        .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifest)
        .await;
    assert!(
        !output.status.success(),
        "the apiserver accepted:\n{manifest}"
    );
    output.stderr
}

fn assert_names(stderr: &str, field: &str) {
    assert!(
        stderr.contains(field),
        "the rejection does not name {field}:\n{stderr}"
    );
}

#[tokio::test]
async fn instance_count_zero_is_rejected() {
    let stderr = rejection_of(|m| m.replace("instanceCount: 1", "instanceCount: 0")).await;
    assert_names(&stderr, "spec.resourceConfig.instanceCount");
    assert_names(&stderr, "greater than or equal to 1");
}

#[tokio::test]
async fn non_s3_uri_is_rejected() {
    let stderr = rejection_of(|m| {
        m.replace(
            "s3Uri: https://s3-us-east-2.amazonaws.com/my-bucket/sagemaker/xgboost-mnist/train/",
            "s3Uri: ftp://x",
        )
    })
    .await;
    assert_names(
        &stderr,
        "spec.inputDataConfig[0].dataSource.s3DataSource.s3Uri",
    );
    assert_names(&stderr, "ftp://x");
}

#[tokio::test]
async fn missing_role_arn_is_rejected() {
    let stderr = rejection_of(|m| {
        m.lines()
            .filter(|line| !line.contains("roleArn:"))
            .collect::<Vec<_>>()
            .join("\n")
    })
    .await;
    assert_names(&stderr, "spec.roleArn");
    assert_names(&stderr, "Required value");
}

#[tokio::test]
async fn unknown_training_input_mode_is_rejected() {
    let stderr =
        rejection_of(|m| m.replace("trainingInputMode: File", "trainingInputMode: Stream")).await;
    assert_names(&stderr, "spec.algorithmSpecification.trainingInputMode");
    assert_names(&stderr, "\"Stream\"");
}

#[tokio::test]
async fn training_job_name_of_64_characters_is_rejected() {
    let name = "a".repeat(64);
    let stderr = rejection_of(|m| {
        m.replace(
            "\nspec:\n",
            &format!("\nspec:\n  trainingJobName: {name}\n"),
        )
    })
    .await;
    assert_names(&stderr, "spec.trainingJobName");
}

#[tokio::test]
async fn training_job_name_of_63_characters_is_accepted() {
    // The other side of the limit: the pattern must not be stricter than SageMaker.
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("name-limit").await;
    let manifest = fixture("xgboost-mnist-trainingjob.yaml").replace(
        "\nspec:\n",
        &format!("\nspec:\n  trainingJobName: a-{}\n", "b".repeat(61)),
    );
    crate::apply_ok(control_plane, &namespace, &manifest).await;
}

#[tokio::test]
async fn a_processing_input_needs_exactly_one_source() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("invalid-processing").await;
    let manifest = crate::PROCESSING_JOB_MANIFEST.replace(
        "    - inputName: code\n      s3Input:\n        s3Uri: s3://my-bucket/xgboost-mnist/code/preprocess.py\n        localPath: /opt/ml/processing/input/code\n        s3DataType: S3Prefix\n        s3InputMode: File\n",
        "    - inputName: code\n",
    );
    assert_ne!(manifest, crate::PROCESSING_JOB_MANIFEST, "the edit applies");
    let output = control_plane
        .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifest)
        .await;
    assert!(
        !output.status.success(),
        "the apiserver accepted:\n{manifest}"
    );
    assert_names(&output.stderr, "spec.processingInputs[1]");
    assert_names(
        &output.stderr,
        "exactly one of s3Input and datasetDefinition",
    );
}

#[tokio::test]
async fn an_autoscaling_policy_needs_the_configuration_of_its_type_and_a_sound_range() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("invalid-autoscaling").await;
    let sample = crate::AUTOSCALING_POLICY_MANIFEST;
    let cases = [
        (sample.replace("policyType: TargetTrackingScaling", "policyType: StepScaling"), "policyType StepScaling needs stepScalingPolicyConfiguration"),
        (sample.replace("minCapacity: 1", "minCapacity: 5"), "minCapacity must not be greater than maxCapacity"),
        (
            sample.replace("    predefinedMetricSpecification:\n      predefinedMetricType: SageMakerVariantInvocationsPerInstance\n", ""),
            "exactly one of predefinedMetricSpecification and customizedMetricSpecification",
        ),
        (sample.replace("    - endpointName: host-xgboost\n      variantName: all-traffic\n", ""), "spec.resourceId"),
        // Inference components as targets: never mixed with variants, with their own dimension.
        (
            sample.replace("      variantName: all-traffic\n", "      variantName: all-traffic\n    - inferenceComponentName: ic-a\n"),
            "spec.resourceId mixes endpoint variants and inference components",
        ),
        (
            sample.replace("    - endpointName: host-xgboost\n      variantName: all-traffic\n", "    - endpointName: host-xgboost\n      inferenceComponentName: ic-a\n"),
            "each resourceId names an endpoint variant (endpointName and variantName) or an inference component",
        ),
        (
            sample.replace("minCapacity: 1", "minCapacity: 0"),
            "spec.minCapacity 0 is for inference components only",
        ),
        (
            sample.replace("maxCapacity: 3", "maxCapacity: 3\n  scalableDimension: sagemaker:inference-component:DesiredCopyCount"),
            "spec.scalableDimension must be sagemaker:inference-component:DesiredCopyCount for inference components",
        ),
    ];
    for (manifest, message) in cases {
        assert_ne!(manifest, sample, "the edit applies for {message}");
        let output = control_plane
            .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifest)
            .await;
        assert!(
            !output.status.success(),
            "the apiserver accepted:\n{manifest}"
        );
        assert_names(&output.stderr, message);
    }
}

#[tokio::test]
async fn an_endpoint_config_variant_names_its_model_by_model_name_or_model_ref_not_both() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("invalid-model-ref").await;
    let by_ref = crate::ENDPOINT_CONFIG_MANIFEST.replace(
        "      modelName: xgboost-model\n",
        "      modelRef:\n        name: xgboost-model\n",
    );
    assert_ne!(by_ref, crate::ENDPOINT_CONFIG_MANIFEST, "the edit applies");
    crate::apply_ok(control_plane, &namespace, &by_ref).await;
    let both = crate::ENDPOINT_CONFIG_MANIFEST
        .replace(
            "      modelName: xgboost-model\n",
            "      modelName: xgboost-model\n      modelRef:\n        name: xgboost-model\n",
        )
        .replace("name: xgboost-config", "name: xgboost-config-both");
    let output = control_plane
        .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &both)
        .await;
    assert!(!output.status.success(), "the apiserver accepted:\n{both}");
    assert_names(&output.stderr, "spec.productionVariants[0]");
    assert_names(&output.stderr, "by modelName or modelRef, not both");
}

#[tokio::test]
async fn an_autoscaling_policy_scales_inference_components_down_to_zero_copies() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane
        .create_namespace("component-autoscaling")
        .await;
    let manifest = crate::AUTOSCALING_POLICY_MANIFEST
        .replace(
            "    - endpointName: host-xgboost\n      variantName: all-traffic\n",
            "    - inferenceComponentName: ic-a\n    - inferenceComponentName: ic-b\n",
        )
        .replace("minCapacity: 1", "minCapacity: 0")
        .replace(
            "SageMakerVariantInvocationsPerInstance",
            "SageMakerInferenceComponentInvocationsPerCopy",
        );
    let output = control_plane
        .kubectl_stdin(&["apply", "-n", &namespace, "-f", "-"], &manifest)
        .await;
    assert!(
        output.status.success(),
        "the apiserver refused:\n{manifest}\n{}",
        output.stderr
    );
}
