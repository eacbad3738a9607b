//! What kubectl shows: the `kubectl get` columns users know from the original operator, the
//! `sagemaker` category and `kubectl explain` descriptions.

use std::time::Duration;

use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use sagemaker_k8s_api::{HyperparameterTuningJob, TrainingJob};
use sagemaker_k8s_testenv::wait_until;

use crate::{
    AUTOSCALING_POLICY_MANIFEST, ENDPOINT_CONFIG_MANIFEST, MODEL_MANIFEST, PROCESSING_JOB_MANIFEST,
    apply_ok, control_plane_with_crds, fixture, kubectl_ok,
};

/// Column names of the first line of `kubectl get` output.
fn header_of(table: &str) -> Vec<String> {
    table
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn kubectl_get_prints_the_original_columns_for_every_kind() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("columns").await;
    for name in [
        "xgboost-mnist-trainingjob.yaml",
        "xgboost-mnist-hpo.yaml",
        "xgboost-mnist-batchtransform.yaml",
        "xgboost-mnist-hostingdeployment.yaml",
    ] {
        apply_ok(control_plane, &namespace, &fixture(name)).await;
    }
    apply_ok(control_plane, &namespace, MODEL_MANIFEST).await;
    apply_ok(control_plane, &namespace, ENDPOINT_CONFIG_MANIFEST).await;
    apply_ok(control_plane, &namespace, PROCESSING_JOB_MANIFEST).await;
    apply_ok(control_plane, &namespace, AUTOSCALING_POLICY_MANIFEST).await;

    let expected: [(&str, &str); 8] = [
        (
            "trainingjobs",
            "NAME STATUS SECONDARY-STATUS CREATION-TIME SAGEMAKER-JOB-NAME",
        ),
        (
            "hyperparametertuningjobs",
            "NAME STATUS CREATION-TIME COMPLETED INPROGRESS ERRORS STOPPED BEST-TRAINING-JOB SAGEMAKER-JOB-NAME",
        ),
        (
            "batchtransformjobs",
            "NAME STATUS CREATION-TIME SAGEMAKER-JOB-NAME",
        ),
        ("hostingdeployments", "NAME STATUS SAGEMAKER-ENDPOINT-NAME"),
        ("models", "NAME STATUS SAGEMAKER-MODEL-NAME"),
        (
            "endpointconfigs",
            "NAME STATUS SAGEMAKER-ENDPOINTCONFIG-NAME",
        ),
        (
            "processingjobs",
            "NAME STATUS CREATION-TIME SAGEMAKER-JOB-NAME",
        ),
        ("hostingautoscalingpolicies", "NAME STATUS CREATION-TIME"),
    ];
    for (plural, columns) in expected {
        let table = kubectl_ok(control_plane, &["get", plural, "-n", &namespace]).await;
        assert_eq!(
            header_of(&table).join(" "),
            columns,
            "kubectl get {plural}:\n{table}"
        );
    }
}

#[tokio::test]
async fn kubectl_get_sagemaker_lists_every_kind() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("category").await;
    for name in [
        "xgboost-mnist-trainingjob.yaml",
        "xgboost-mnist-hpo.yaml",
        "xgboost-mnist-batchtransform.yaml",
        "xgboost-mnist-hostingdeployment.yaml",
    ] {
        apply_ok(control_plane, &namespace, &fixture(name)).await;
    }
    apply_ok(control_plane, &namespace, MODEL_MANIFEST).await;
    apply_ok(control_plane, &namespace, ENDPOINT_CONFIG_MANIFEST).await;
    apply_ok(control_plane, &namespace, PROCESSING_JOB_MANIFEST).await;
    apply_ok(control_plane, &namespace, AUTOSCALING_POLICY_MANIFEST).await;

    let listed = kubectl_ok(
        control_plane,
        &["get", "sagemaker", "-n", &namespace, "-o", "name"],
    )
    .await;
    let mut names: Vec<&str> = listed.lines().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "batchtransformjob.sagemaker.aws.amazon.com/xgboost-mnist",
            "endpointconfig.sagemaker.aws.amazon.com/xgboost-config",
            "hostingautoscalingpolicy.sagemaker.aws.amazon.com/xgboost-autoscaling",
            "hostingdeployment.sagemaker.aws.amazon.com/host-xgboost",
            "hyperparametertuningjob.sagemaker.aws.amazon.com/xgboost-mnist-hpo",
            "model.sagemaker.aws.amazon.com/xgboost-model",
            "processingjob.sagemaker.aws.amazon.com/xgboost-mnist-preprocessing",
            "trainingjob.sagemaker.aws.amazon.com/xgboost-mnist-from-for-s3",
        ]
    );
}

/// The values in a `kubectl get` row, by column name.
fn row_values(table: &str, row_name: &str) -> std::collections::HashMap<String, String> {
    let header = header_of(table);
    let row = table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(row_name))
        .unwrap_or_else(|| panic!("no row {row_name} in:\n{table}"));
    header
        .into_iter()
        .zip(row.split_whitespace().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn printer_columns_show_the_status_the_operator_writes() {
    let control_plane = control_plane_with_crds().await;
    let namespace = control_plane.create_namespace("status-columns").await;
    apply_ok(
        control_plane,
        &namespace,
        &fixture("xgboost-mnist-trainingjob.yaml"),
    )
    .await;
    apply_ok(
        control_plane,
        &namespace,
        &fixture("xgboost-mnist-hpo.yaml"),
    )
    .await;

    // Written through the status subresource, as the operator does.
    let training: Api<TrainingJob> = Api::namespaced(control_plane.client(), &namespace);
    let status = json!({"status": {
        "trainingJobStatus": "InProgress",
        "secondaryStatus": "Starting",
        "sageMakerTrainingJobName": "xgboost-mnist-from-for-s3-examplef11eab94e0ed4671d5a8f",
        "lastCheckTime": "2019-11-20T23:44:29Z",
    }});
    training
        .patch_status(
            "xgboost-mnist-from-for-s3",
            &PatchParams::default(),
            &Patch::Merge(&status),
        )
        .await
        .unwrap();
    let table = kubectl_ok(control_plane, &["get", "trainingjobs", "-n", &namespace]).await;
    let row = row_values(&table, "xgboost-mnist-from-for-s3");
    assert_eq!(row["STATUS"], "InProgress", "{table}");
    assert_eq!(row["SECONDARY-STATUS"], "Starting", "{table}");
    assert_eq!(
        row["SAGEMAKER-JOB-NAME"], "xgboost-mnist-from-for-s3-examplef11eab94e0ed4671d5a8f",
        "{table}"
    );

    let tuning: Api<HyperparameterTuningJob> = Api::namespaced(control_plane.client(), &namespace);
    let status = json!({"status": {
        "hyperParameterTuningJobStatus": "Completed",
        "sageMakerHyperParameterTuningJobName": "xgboostha92f5e3cf07b11e9bf6c123",
        "bestTrainingJob": {"trainingJobName": "xgboostha92f5e3cf07b11e9bf6c06d6-009-4c7a123"},
        "trainingJobStatusCounters": {"completed": 10, "inProgress": 0, "totalError": 2, "stopped": 1},
    }});
    tuning
        .patch_status(
            "xgboost-mnist-hpo",
            &PatchParams::default(),
            &Patch::Merge(&status),
        )
        .await
        .unwrap();
    let table = kubectl_ok(
        control_plane,
        &["get", "hyperparametertuningjobs", "-n", &namespace],
    )
    .await;
    let row = row_values(&table, "xgboost-mnist-hpo");
    assert_eq!(row["STATUS"], "Completed", "{table}");
    assert_eq!(row["COMPLETED"], "10", "{table}");
    assert_eq!(row["INPROGRESS"], "0", "{table}");
    assert_eq!(row["ERRORS"], "2", "{table}");
    assert_eq!(row["STOPPED"], "1", "{table}");
    assert_eq!(
        row["BEST-TRAINING-JOB"], "xgboostha92f5e3cf07b11e9bf6c06d6-009-4c7a123",
        "{table}"
    );
    assert_eq!(
        row["SAGEMAKER-JOB-NAME"], "xgboostha92f5e3cf07b11e9bf6c123",
        "{table}"
    );
}

#[tokio::test]
async fn kubectl_explain_describes_the_resource_config() {
    let control_plane = control_plane_with_crds().await;
    let expected = [
        "Instances and storage the job runs on.",
        "volumeSizeInGB",
        "Size in GB of the ML storage volume attached to each instance, at least 1.",
        "instanceCount",
        "instanceType",
    ];
    // The apiserver publishes a new CRD's OpenAPI a moment after it is Established.
    let explained = wait_until(
        Duration::from_secs(60),
        "kubectl explain to know TrainingJob",
        || async {
            let output = control_plane
                .kubectl(&["explain", "trainingjob.spec.resourceConfig"])
                .await;
            output.status.success().then_some(output.stdout)
        },
    )
    .await;
    for text in expected {
        assert!(
            explained.contains(text),
            "`{text}` missing from kubectl explain:\n{explained}"
        );
    }
}
