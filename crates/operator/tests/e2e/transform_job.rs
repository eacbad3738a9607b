//! BatchTransformJob paths.

use crate::harness::Harness;

#[tokio::test]
async fn transform_job_with_a_missing_model_fails_clearly_and_runs_once_the_model_exists() {
    let harness = Harness::start("btj-missing").await;
    let manifest = r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: BatchTransformJob
metadata:
  name: xgboost-batch
spec:
  region: us-west-2
  modelName: no-such-model
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
"#;
    harness.apply(manifest).await;
    let api: kube::Api<sagemaker_k8s_api::BatchTransformJob> =
        kube::Api::namespaced(harness.cluster.client(), &harness.namespace);
    let job = sagemaker_k8s_testenv::wait_until(
        std::time::Duration::from_secs(60),
        "missing model reported",
        || {
            let api = api.clone();
            async move {
                let job = api.get("xgboost-batch").await.ok()?;
                let failed = job
                    .status
                    .as_ref()?
                    .common
                    .conditions
                    .as_ref()?
                    .iter()
                    .any(|c| c.type_ == "Failed" && c.status == "True");
                failed.then_some(job)
            }
        },
    )
    .await;
    let status = job.status.unwrap();
    let additional = status.common.additional.unwrap_or_default();
    assert!(
        additional.contains("no-such-model") || additional.to_lowercase().contains("model"),
        "{additional}"
    );
    // STATUS reads Failed, as users of the original expect, not SynchronizingK8sJobWithSageMaker.
    assert_eq!(status.transform_job_status.as_deref(), Some("Failed"));
    // Nothing exists in SageMaker yet, so the status names no SageMaker job; the derived name is
    // in the spec, as the guide's describe output shows.
    assert_eq!(status.sage_maker_transform_job_name, None);
    let sagemaker_name = job
        .spec
        .transform_job_name
        .clone()
        .expect("derived name written into the spec");
    assert!(
        sagemaker_name.starts_with("xgboost-batch-"),
        "{sagemaker_name}"
    );
    let failed = status
        .common
        .conditions
        .as_ref()
        .and_then(|c| c.iter().find(|c| c.type_ == "Failed"))
        .cloned();
    assert_eq!(
        failed.map(|c| c.reason),
        Some("DependencyNotFound".to_string())
    );

    // The model often comes in the same `kubectl apply`, a moment later: once it exists the job
    // is created and runs, without any edit of the job.
    let model = r#"apiVersion: sagemaker.aws.amazon.com/v1
kind: Model
metadata:
  name: no-such-model
spec:
  region: us-west-2
  executionRoleArn: arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole
  primaryContainer:
    image: 433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1
    modelDataUrl: s3://my-bucket/xgboost/model.tar.gz
"#;
    harness.apply(model).await;
    sagemaker_k8s_testenv::wait_until(
        std::time::Duration::from_secs(60),
        "transform job completes once its model exists",
        || {
            let api = api.clone();
            let sagemaker_name = sagemaker_name.clone();
            async move {
                let job = api.get("xgboost-batch").await.ok()?;
                let status = job.status.as_ref()?;
                let ready = status
                    .common
                    .conditions
                    .as_ref()?
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True");
                let named = status.sage_maker_transform_job_name.as_deref()
                    == Some(sagemaker_name.as_str());
                (status.transform_job_status.as_deref() == Some("Completed")
                    && ready
                    && named
                    && status.common.additional.is_none())
                .then_some(())
            }
        },
    )
    .await;
}
