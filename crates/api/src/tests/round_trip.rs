//! The user guide's example manifests (tests/fixtures) must deserialize into the types and
//! serialize back to the same document: same field names, same values, nothing dropped.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common::{CompressionType, S3DataDistributionType, S3DataType, TrainingInputMode};
use crate::hosting_deployment::ModelContainer;
use crate::hyperparameter_tuning_job::{
    HyperParameterTuningJobStrategyType, TrainingJobEarlyStoppingType,
};
use crate::{
    BatchTransformJob, CommonStatus, HostingDeployment, HyperparameterTuningJob,
    HyperparameterTuningJobStatus, KeyValuePair, TrainingJob, TrainingJobStatus,
};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses the fixture both as `T` and as untyped JSON, and checks that `T` serializes back to
/// exactly the untyped document.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let text = fixture(name);
    let typed: T = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{name} does not fit the type: {e}"));
    let untyped: Value = serde_saphyr::from_str(&text).unwrap();
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, untyped, "{name} changed on the way through the types");
    typed
}

#[test]
fn guide_training_job_round_trips() {
    let job: TrainingJob = round_trip("xgboost-mnist-trainingjob.yaml");
    let spec = &job.spec;
    assert_eq!(
        spec.algorithm_specification.training_input_mode,
        TrainingInputMode::File
    );
    assert_eq!(spec.resource_config.volume_size_in_gb, 5);
    assert_eq!(
        spec.resource_config.instance_type.as_deref(),
        Some("ml.m4.xlarge")
    );
    assert_eq!(spec.stopping_condition.max_runtime_in_seconds, Some(86400));
    let hyper_parameters = spec.hyper_parameters.as_ref().unwrap();
    assert_eq!(hyper_parameters.len(), 8);
    assert!(hyper_parameters.contains(&KeyValuePair::new("objective", "multi:softmax")));
    let channels = spec.input_data_config.as_ref().unwrap();
    let names: Vec<&str> = channels.iter().map(|c| c.channel_name.as_str()).collect();
    assert_eq!(names, ["train", "validation"]);
    let s3 = channels[0].data_source.s3_data_source.as_ref().unwrap();
    assert_eq!(s3.s3_data_type, S3DataType::S3Prefix);
    assert_eq!(
        s3.s3_data_distribution_type,
        Some(S3DataDistributionType::FullyReplicated)
    );
    assert_eq!(channels[0].compression_type, Some(CompressionType::None));
    assert!(job.status.is_none());
}

#[test]
fn guide_tuning_job_round_trips() {
    let job: HyperparameterTuningJob = round_trip("xgboost-mnist-hpo.yaml");
    let config = &job.spec.hyper_parameter_tuning_job_config;
    assert_eq!(
        config.strategy,
        HyperParameterTuningJobStrategyType::Bayesian
    );
    assert_eq!(
        config.training_job_early_stopping_type,
        Some(TrainingJobEarlyStoppingType::Off)
    );
    assert_eq!(config.resource_limits.max_parallel_training_jobs, 10);
    let range = &config
        .parameter_ranges
        .as_ref()
        .unwrap()
        .integer_parameter_ranges
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        (range.min_value.as_str(), range.max_value.as_str()),
        ("10", "20")
    );
    let definition = job.spec.training_job_definition.as_ref().unwrap();
    assert_eq!(
        definition.static_hyper_parameters.as_ref().unwrap().len(),
        25
    );
}

#[test]
fn guide_batch_transform_job_round_trips() {
    let job: BatchTransformJob = round_trip("xgboost-mnist-batchtransform.yaml");
    assert_eq!(job.spec.model_name, "TrainingJob-20190814SMJOb-IKEB");
    assert_eq!(job.spec.transform_resources.instance_count, 1);
    assert_eq!(
        job.spec.transform_output.s3_output_path,
        "s3://my-bucket/mnist_kmeans_example/output"
    );
}

#[test]
fn guide_hosting_deployment_round_trips() {
    let deployment: HostingDeployment = round_trip("xgboost-mnist-hostingdeployment.yaml");
    let spec = &deployment.spec;
    assert_eq!(spec.production_variants[0].initial_instance_count, Some(2));
    assert_eq!(
        spec.models[0].containers.as_deref(),
        Some(&[ModelContainer::Hostname("xgboost".to_owned())][..])
    );
    let container = &spec.containers.as_ref().unwrap()[0];
    assert_eq!(container.container_hostname.as_deref(), Some("xgboost"));
    assert_eq!(
        container.model_data_url.as_deref(),
        Some("s3://my-bucket/inference/xgboost-mnist/model.tar.gz")
    );
}

#[test]
fn every_spec_tells_where_its_sagemaker_api_is() {
    use crate::SageMakerSpec;
    let deployment: HostingDeployment =
        serde_saphyr::from_str(&fixture("xgboost-mnist-hostingdeployment.yaml")).unwrap();
    assert_eq!(deployment.spec.region(), "us-east-2");
    assert_eq!(deployment.spec.sage_maker_endpoint(), None);
    assert!(deployment.spec.tags().is_empty());

    let text = fixture("xgboost-mnist-batchtransform.yaml")
        .replace("  region: us-east-1\n", "  region: us-east-1\n  sageMakerEndpoint: http://127.0.0.1:4566\n  tags:\n    - key: emulator:outcome\n      value: Failed\n");
    let job: BatchTransformJob = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(
        job.spec.sage_maker_endpoint(),
        Some("http://127.0.0.1:4566")
    );
    assert_eq!(
        job.spec.tags(),
        [crate::Tag::new("emulator:outcome", "Failed")]
    );
}

#[test]
fn enums_reject_values_sagemaker_does_not_know() {
    let text = fixture("xgboost-mnist-trainingjob.yaml")
        .replace("trainingInputMode: File", "trainingInputMode: Stream");
    let error = serde_saphyr::from_str::<TrainingJob>(&text)
        .unwrap_err()
        .to_string();
    assert!(error.contains("Stream"), "{error}");
}

#[test]
fn statuses_use_the_guides_field_names() {
    let status = TrainingJobStatus {
        training_job_status: Some("InProgress".into()),
        secondary_status: Some("Downloading".into()),
        sage_maker_training_job_name: Some("xgboost-mnist-from-for-s3-6d7fa0af".into()),
        cloud_watch_log_url: Some("https://console.aws.amazon.com/cloudwatch".into()),
        common: CommonStatus {
            observed_generation: Some(2),
            ..Default::default()
        },
        ..Default::default()
    };
    // The common fields sit at the top level of the status, beside the kind's own.
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        json!({
            "trainingJobStatus": "InProgress",
            "secondaryStatus": "Downloading",
            "sageMakerTrainingJobName": "xgboost-mnist-from-for-s3-6d7fa0af",
            "cloudWatchLogUrl": "https://console.aws.amazon.com/cloudwatch",
            "observedGeneration": 2,
        })
    );

    let tuning: HyperparameterTuningJobStatus = serde_json::from_value(json!({
        "hyperParameterTuningJobStatus": "Completed",
        "lastCheckTime": "2019-10-17T01:21:01Z",
        "sageMakerHyperParameterTuningJobName": "xgboostha92f5e3cf07b11e9bf6c06d6",
        "bestTrainingJob": {
            "creationTime": "2019-10-17T01:16:14Z",
            "finalHyperParameterTuningJobObjectiveMetric": {"metricName": "validation:error", "type": "Minimize", "value": 0.25},
            "objectiveStatus": "Succeeded",
            "trainingJobName": "xgboostha92f5e3cf07b11e9bf6c06d6-009-4c7a3059",
            "trainingJobStatus": "Completed",
            "tunedHyperParameters": [{"name": "num_round", "value": "18"}]
        },
        "trainingJobStatusCounters": {"completed": 10, "inProgress": 0, "nonRetryableError": 0, "retryableError": 0, "stopped": 0, "totalError": 0}
    }))
    .unwrap();
    let best = tuning.best_training_job.as_ref().unwrap();
    assert_eq!(
        best.final_hyper_parameter_tuning_job_objective_metric
            .as_ref()
            .unwrap()
            .value
            .as_deref(),
        // Stored as a number by earlier versions, read as the original's decimal string.
        Some("0.25")
    );
    assert_eq!(
        tuning
            .training_job_status_counters
            .as_ref()
            .unwrap()
            .completed,
        Some(10)
    );
    let back = serde_json::to_value(&tuning).unwrap();
    assert_eq!(back["lastCheckTime"], "2019-10-17T01:21:01Z");
    assert_eq!(
        back["bestTrainingJob"]["finalHyperParameterTuningJobObjectiveMetric"]["value"], "0.25",
        "written as a string, the type the original operator wrote"
    );
    assert_eq!(
        back["bestTrainingJob"]["tunedHyperParameters"][0]["value"],
        "18"
    );
}
