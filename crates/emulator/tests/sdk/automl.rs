//! AutoML jobs V2: the stages of each problem type to Completed with a best candidate, notebooks
//! and resolved attributes; Failed by tag; Stopping → Stopped; the union of problem types;
//! SageMaker's refusals; ListAutoMLJobs' filters and ListCandidatesForAutoMLJob.

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::operation::create_auto_ml_job_v2::builders::CreateAutoMLJobV2FluentBuilder;
use aws_sdk_sagemaker::operation::describe_auto_ml_job_v2::DescribeAutoMlJobV2Output;
use aws_sdk_sagemaker::types::{
    AutoMlChannelType, AutoMlDataSource, AutoMlJobChannel, AutoMlJobObjective,
    AutoMlJobObjectiveType, AutoMlJobStatus, AutoMlMetricEnum, AutoMlOutputDataConfig,
    AutoMlProblemTypeConfig, AutoMlProblemTypeConfigName, AutoMlProblemTypeResolvedAttributes,
    AutoMlSortBy, AutoMlSortOrder, AutoMls3DataSource, AutoMls3DataType, CandidateSortBy,
    ImageClassificationJobConfig, ProblemType, TabularJobConfig, TextGenerationJobConfig,
    TimeSeriesConfig, TimeSeriesForecastingJobConfig,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{ROLE, error_of, tag};

const OUTPUT: &str = "s3://my-bucket/autopilot/output";

fn channel(uri: &str) -> AutoMlJobChannel {
    AutoMlJobChannel::builder()
        .data_source(
            AutoMlDataSource::builder()
                .s3_data_source(
                    AutoMls3DataSource::builder()
                        .s3_data_type(AutoMls3DataType::S3Prefix)
                        .s3_uri(uri)
                        .build(),
                )
                .build(),
        )
        .build()
}

fn tabular(problem: Option<ProblemType>) -> AutoMlProblemTypeConfig {
    AutoMlProblemTypeConfig::TabularJobConfig(
        TabularJobConfig::builder()
            .target_attribute_name("churn")
            .set_problem_type(problem)
            .build(),
    )
}

/// A complete CreateAutoMLJobV2 request for `config`.
fn automl_request(
    client: &Client,
    name: &str,
    config: AutoMlProblemTypeConfig,
    tags: &[(&str, &str)],
) -> CreateAutoMLJobV2FluentBuilder {
    let mut request = client
        .create_auto_ml_job_v2()
        .auto_ml_job_name(name)
        .auto_ml_job_input_data_config(channel("s3://my-bucket/autopilot/train/"))
        .output_data_config(
            AutoMlOutputDataConfig::builder()
                .s3_output_path(OUTPUT)
                .build(),
        )
        .auto_ml_problem_type_config(config)
        .role_arn(ROLE);
    for (key, value) in tags {
        request = request.tags(tag(key, value));
    }
    request
}

async fn describe(client: &Client, name: &str) -> DescribeAutoMlJobV2Output {
    client
        .describe_auto_ml_job_v2()
        .auto_ml_job_name(name)
        .send()
        .await
        .expect("describe AutoML job")
}

async fn wait_status(
    client: &Client,
    name: &str,
    wanted: AutoMlJobStatus,
) -> DescribeAutoMlJobV2Output {
    eventually("AutoML job status", DEADLINE, || async {
        let job = describe(client, name).await;
        (job.auto_ml_job_status() == Some(&wanted)).then_some(job)
    })
    .await
}

/// The best candidate of the tabular job `Churn` (RMSE, minimized), checked and answered.
fn assert_best_candidate(
    done: &DescribeAutoMlJobV2Output,
) -> &aws_sdk_sagemaker::types::AutoMlCandidate {
    let best = done.best_candidate().expect("a best candidate");
    let metric = best.final_auto_ml_job_objective_metric().unwrap();
    assert_eq!(metric.metric_name(), Some(&AutoMlMetricEnum::Rmse));
    assert_eq!(metric.r#type(), Some(&AutoMlJobObjectiveType::Minimize));
    assert_eq!(
        best.candidate_status().map(|s| s.as_str()),
        Some("Completed")
    );
    assert_eq!(
        best.objective_status().map(|s| s.as_str()),
        Some("Succeeded")
    );
    assert!(best.candidate_name().unwrap().starts_with("Churn-"));
    assert_eq!(best.inference_containers().len(), 2);
    for container in best.inference_containers() {
        assert!(
            container
                .model_data_url()
                .unwrap()
                .starts_with(&format!("{OUTPUT}/Churn/"))
        );
        assert!(
            container
                .model_data_url()
                .unwrap()
                .ends_with("/output/model.tar.gz")
        );
    }
    assert_eq!(best.candidate_steps().len(), 2);
    assert!(best.creation_time().is_some() && best.end_time().is_some());
    best
}

/// The notebooks and resolved attributes of the tabular job `Churn`.
fn assert_notebooks_and_resolved_attributes(done: &DescribeAutoMlJobV2Output) {
    let artifacts = done.auto_ml_job_artifacts().unwrap();
    for notebook in [
        artifacts.candidate_definition_notebook_location().unwrap(),
        artifacts.data_exploration_notebook_location().unwrap(),
    ] {
        assert!(
            notebook.starts_with(&format!("{OUTPUT}/Churn/")),
            "{notebook}"
        );
        assert!(notebook.ends_with(".ipynb"), "{notebook}");
    }
    let resolved = done.resolved_attributes().unwrap();
    assert_eq!(
        resolved
            .auto_ml_job_objective()
            .and_then(|o| o.metric_name()),
        Some(&AutoMlMetricEnum::Rmse)
    );
    assert_eq!(
        resolved
            .completion_criteria()
            .and_then(|c| c.max_candidates()),
        Some(250)
    );
    match resolved.auto_ml_problem_type_resolved_attributes() {
        Some(AutoMlProblemTypeResolvedAttributes::TabularResolvedAttributes(tabular)) => {
            assert_eq!(tabular.problem_type(), Some(&ProblemType::Regression))
        }
        other => panic!("tabular attributes expected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tabular_job_moves_through_its_stages_to_a_best_candidate() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let arn = automl_request(
        &client,
        "Churn",
        tabular(Some(ProblemType::Regression)),
        &[("owner", "team-a"), ("emulator:duration-seconds", "120")],
    )
    .auto_ml_job_objective(
        AutoMlJobObjective::builder()
            .metric_name(AutoMlMetricEnum::Rmse)
            .build(),
    )
    .send()
    .await
    .unwrap()
    .auto_ml_job_arn()
    .unwrap()
    .to_string();
    assert_eq!(
        arn,
        "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn"
    );

    // Every stage is seen on the way (each lasts 0.2 s at time scale 0.01).
    let seen = std::cell::RefCell::new(Vec::<String>::new());
    let done = eventually("the AutoML job completes", DEADLINE, || async {
        let job = describe(&client, "churn").await;
        let secondary = job
            .auto_ml_job_secondary_status()
            .unwrap()
            .as_str()
            .to_string();
        let mut seen = seen.borrow_mut();
        if seen.last() != Some(&secondary) {
            seen.push(secondary);
        }
        (job.auto_ml_job_status() == Some(&AutoMlJobStatus::Completed)).then_some(job)
    })
    .await;
    let seen = seen.into_inner();
    assert_eq!(
        seen,
        [
            "Starting",
            "AnalyzingData",
            "FeatureEngineering",
            "ModelTuning",
            "GeneratingExplainabilityReport",
            "GeneratingModelInsightsReport",
            "Completed"
        ]
    );
    assert_eq!(done.auto_ml_job_name(), Some("Churn"), "the name as given");
    assert_eq!(
        done.auto_ml_problem_type_config_name(),
        Some(&AutoMlProblemTypeConfigName::Tabular)
    );
    assert_eq!(done.end_time(), done.last_modified_time());
    assert!(done.failure_reason().is_none());
    let input = &done.auto_ml_job_input_data_config()[0];
    assert_eq!(input.channel_type(), Some(&AutoMlChannelType::Training));
    assert_eq!(input.content_type(), Some("text/csv;header=present"));

    let best = assert_best_candidate(&done);
    assert_notebooks_and_resolved_attributes(&done);

    // Three candidates; the best has the lowest RMSE.
    let listed = client
        .list_candidates_for_auto_ml_job()
        .auto_ml_job_name("churn")
        .sort_by(CandidateSortBy::FinalObjectiveMetricValue)
        .send()
        .await
        .unwrap();
    let candidates = listed.candidates();
    assert_eq!(candidates.len(), 3);
    assert_eq!(candidates[0].candidate_name(), best.candidate_name());
    let named = client
        .list_candidates_for_auto_ml_job()
        .auto_ml_job_name("churn")
        .candidate_name_equals(candidates[2].candidate_name().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(named.candidates().len(), 1);

    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == Some("owner")));
    let resources = emulator.control("GET", "resources", serde_json::Value::Null);
    assert_eq!(
        resources["regions"]["us-east-1"]["autoMLJobs"],
        serde_json::json!(["Churn"])
    );
}

#[tokio::test]
async fn other_problem_types_train_one_candidate_with_their_default_objective() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let images = AutoMlProblemTypeConfig::ImageClassificationJobConfig(
        ImageClassificationJobConfig::builder().build(),
    );
    let forecast = AutoMlProblemTypeConfig::TimeSeriesForecastingJobConfig(
        TimeSeriesForecastingJobConfig::builder()
            .forecast_frequency("1D")
            .forecast_horizon(14)
            .time_series_config(
                TimeSeriesConfig::builder()
                    .target_attribute_name("demand")
                    .timestamp_attribute_name("day")
                    .item_identifier_attribute_name("store")
                    .build(),
            )
            .build(),
    );
    let text = AutoMlProblemTypeConfig::TextGenerationJobConfig(
        TextGenerationJobConfig::builder().build(),
    );
    for (name, config) in [("images", images), ("forecast", forecast), ("llm", text)] {
        automl_request(&client, name, config, &[])
            .send()
            .await
            .unwrap();
    }
    let expected = [
        (
            "images",
            AutoMlProblemTypeConfigName::ImageClassification,
            Some(AutoMlMetricEnum::Accuracy),
        ),
        (
            "forecast",
            AutoMlProblemTypeConfigName::TimeseriesForecasting,
            Some(AutoMlMetricEnum::AverageWeightedQuantileLoss),
        ),
        ("llm", AutoMlProblemTypeConfigName::TextGeneration, None),
    ];
    for (name, config_name, metric) in expected {
        let done = wait_status(&client, name, AutoMlJobStatus::Completed).await;
        assert_eq!(done.auto_ml_problem_type_config_name(), Some(&config_name));
        let best = done.best_candidate().unwrap();
        assert_eq!(
            best.final_auto_ml_job_objective_metric()
                .and_then(|m| m.metric_name()),
            metric.as_ref(),
            "{name}"
        );
        assert!(
            done.auto_ml_job_artifacts().is_none(),
            "notebooks are tabular only"
        );
        let listed = client
            .list_candidates_for_auto_ml_job()
            .auto_ml_job_name(name)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.candidates().len(), 1, "{name}");
    }
    let llm = describe(&client, "llm").await;
    match llm
        .resolved_attributes()
        .and_then(|r| r.auto_ml_problem_type_resolved_attributes())
    {
        Some(AutoMlProblemTypeResolvedAttributes::TextGenerationResolvedAttributes(text)) => {
            assert_eq!(text.base_model_name(), Some("Falcon7BInstruct"))
        }
        other => panic!("text generation attributes expected, got {other:?}"),
    }
}

#[tokio::test]
async fn the_outcome_tag_fails_a_job_with_a_reason() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    automl_request(
        &client,
        "broken",
        tabular(None),
        &[("emulator:outcome", "Failed")],
    )
    .send()
    .await
    .unwrap();
    automl_request(
        &client,
        "reasoned",
        tabular(None),
        &[
            ("emulator:outcome", "Failed"),
            (
                "emulator:failure-reason",
                "ClientError: target column churn not found",
            ),
        ],
    )
    .send()
    .await
    .unwrap();
    let failed = wait_status(&client, "broken", AutoMlJobStatus::Failed).await;
    assert_eq!(
        failed.auto_ml_job_secondary_status().map(|s| s.as_str()),
        Some("Failed")
    );
    assert!(
        failed
            .failure_reason()
            .unwrap()
            .starts_with("ClientError: ")
    );
    assert!(failed.best_candidate().is_none());
    assert!(failed.end_time().is_some());
    let reasoned = wait_status(&client, "reasoned", AutoMlJobStatus::Failed).await;
    assert_eq!(
        reasoned.failure_reason(),
        Some("ClientError: target column churn not found")
    );
    let listed = client
        .list_auto_ml_jobs()
        .status_equals(AutoMlJobStatus::Failed)
        .name_contains("reason")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.auto_ml_job_summaries()[0].failure_reason(),
        Some("ClientError: target column churn not found")
    );
}

#[tokio::test]
async fn stop_stops_a_running_job_and_refuses_a_finished_one() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    automl_request(
        &client,
        "long",
        tabular(None),
        &[("emulator:duration-seconds", "100000")],
    )
    .send()
    .await
    .unwrap();
    client
        .stop_auto_ml_job()
        .auto_ml_job_name("long")
        .send()
        .await
        .unwrap();
    let stopping = describe(&client, "long").await;
    assert_eq!(
        stopping.auto_ml_job_status(),
        Some(&AutoMlJobStatus::Stopping)
    );
    assert_eq!(
        stopping.auto_ml_job_secondary_status().map(|s| s.as_str()),
        Some("Stopping")
    );
    let (code, message) = error_of(
        client
            .stop_auto_ml_job()
            .auto_ml_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "The AutoML job long is in status Stopping and cannot be stopped."
    );
    let stopped = wait_status(&client, "long", AutoMlJobStatus::Stopped).await;
    assert_eq!(
        stopped.auto_ml_job_secondary_status().map(|s| s.as_str()),
        Some("Stopped")
    );
    assert!(stopped.best_candidate().is_none() && stopped.end_time().is_some());
    let (code, _) = error_of(
        client
            .stop_auto_ml_job()
            .auto_ml_job_name("long")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let candidates = client
        .list_candidates_for_auto_ml_job()
        .auto_ml_job_name("long")
        .send()
        .await
        .unwrap();
    assert!(
        candidates.candidates().is_empty(),
        "stopped before training"
    );
}

#[tokio::test]
async fn taken_and_missing_names_and_the_union_answer_as_sagemaker() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    automl_request(&client, "once", tabular(None), &[])
        .send()
        .await
        .unwrap();
    // Names are case-insensitive.
    let (code, message) = error_of(
        automl_request(&client, "ONCE", tabular(None), &[])
            .send()
            .await,
    );
    assert_eq!(code, "ResourceInUse");
    assert!(message.contains("automl-job/once"), "{message}");
    assert_eq!(
        describe(&client, "Once").await.auto_ml_job_name(),
        Some("once")
    );

    let describe = client
        .describe_auto_ml_job_v2()
        .auto_ml_job_name("ghost")
        .send()
        .await;
    let stop = client
        .stop_auto_ml_job()
        .auto_ml_job_name("ghost")
        .send()
        .await;
    let candidates = client
        .list_candidates_for_auto_ml_job()
        .auto_ml_job_name("ghost")
        .send()
        .await;
    for (code, message) in [error_of(describe), error_of(stop), error_of(candidates)] {
        assert_eq!(code, "ResourceNotFound");
        assert_eq!(
            message,
            "Amazon SageMaker can't find an AutoML job called ghost."
        );
    }

    // A tabular ProblemType without an objective.
    let (code, message) = error_of(
        automl_request(
            &client,
            "half",
            tabular(Some(ProblemType::BinaryClassification)),
            &[],
        )
        .send()
        .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("AutoMLJobObjective"), "{message}");

    // The SDK cannot send a union with two members or none: send them by hand.
    let raw = |config: &str| {
        let body = format!(
            r#"{{"AutoMLJobName":"union","AutoMLJobInputDataConfig":[{{"DataSource":{{"S3DataSource":{{"S3DataType":"S3Prefix","S3Uri":"s3://my-bucket/train"}}}}}}],"OutputDataConfig":{{"S3OutputPath":"s3://my-bucket/out"}},"AutoMLProblemTypeConfig":{config},"RoleArn":"{ROLE}"}}"#
        );
        emulator.http(
            "POST",
            "/",
            &[
                ("x-amz-target", "SageMaker.CreateAutoMLJobV2"),
                ("content-type", "application/x-amz-json-1.1"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
                ),
                ("x-amz-date", "20260101T000000Z"),
            ],
            &body,
        )
    };
    let (status, body) = raw(
        r#"{"TabularJobConfig":{"TargetAttributeName":"y"},"ImageClassificationJobConfig":{}}"#,
    );
    assert_eq!(status, 400);
    assert!(body.contains("ValidationException"), "{body}");
    assert!(
        body.contains("AutoMLProblemTypeConfig is a union"),
        "{body}"
    );
    assert!(body.contains("but 2 were set"), "{body}");
    let (status, body) = raw("{}");
    assert_eq!(status, 400);
    assert!(body.contains("but 0 were set"), "{body}");
    let (status, _) = raw(r#"{"TabularJobConfig":{"TargetAttributeName":"y"}}"#);
    assert_eq!(status, 200, "one member is a job");
}

/// Tabular jobs created in this order, each running for a long time.
async fn long_jobs(client: &Client, names: &[&str]) {
    for name in names {
        automl_request(
            client,
            name,
            tabular(None),
            &[("emulator:duration-seconds", "100000")],
        )
        .send()
        .await
        .unwrap();
    }
}

fn names(summaries: &[aws_sdk_sagemaker::types::AutoMlJobSummary]) -> Vec<String> {
    summaries
        .iter()
        .map(|s| s.auto_ml_job_name().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    long_jobs(&client, &["auto-b", "auto-a", "other-c"]).await;
    let default = client.list_auto_ml_jobs().send().await.unwrap();
    assert_eq!(
        names(default.auto_ml_job_summaries()),
        ["other-c", "auto-b", "auto-a"],
        "Name, Descending by default"
    );
    let by_creation = client
        .list_auto_ml_jobs()
        .sort_by(AutoMlSortBy::CreationTime)
        .sort_order(AutoMlSortOrder::Ascending)
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(by_creation.auto_ml_job_summaries()),
        ["auto-b", "auto-a", "other-c"]
    );
    let containing = client
        .list_auto_ml_jobs()
        .name_contains("AUTO")
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(containing.auto_ml_job_summaries()),
        ["auto-b", "auto-a"]
    );
    let first = client
        .list_auto_ml_jobs()
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(names(first.auto_ml_job_summaries()), ["other-c", "auto-b"]);
    let second = client
        .list_auto_ml_jobs()
        .max_results(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(names(second.auto_ml_job_summaries()), ["auto-a"]);
    assert!(second.next_token().is_none());
}

#[tokio::test]
async fn list_finds_the_jobs_whose_status_changed_after_an_instant() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    long_jobs(&client, &["auto-b", "auto-a", "other-c"]).await;
    // The job whose status changed after T is listed with LastModifiedTimeAfter = T; the others
    // (unchanged since their creation, at or before T) are not.
    let t = describe(&client, "other-c")
        .await
        .last_modified_time()
        .copied()
        .unwrap();
    client
        .stop_auto_ml_job()
        .auto_ml_job_name("auto-a")
        .send()
        .await
        .unwrap();
    wait_status(&client, "auto-a", AutoMlJobStatus::Stopped).await;
    let changed = client
        .list_auto_ml_jobs()
        .last_modified_time_after(t)
        .send()
        .await
        .unwrap();
    assert_eq!(names(changed.auto_ml_job_summaries()), ["auto-a"]);
    let summary = &changed.auto_ml_job_summaries()[0];
    assert_eq!(
        summary.auto_ml_job_status(),
        Some(&AutoMlJobStatus::Stopped)
    );
    assert!(summary.end_time().is_some());
    let stopped = client
        .list_auto_ml_jobs()
        .status_equals(AutoMlJobStatus::Stopped)
        .send()
        .await
        .unwrap();
    assert_eq!(names(stopped.auto_ml_job_summaries()), ["auto-a"]);
    let created_after = client
        .list_auto_ml_jobs()
        .creation_time_after(t)
        .send()
        .await
        .unwrap();
    assert!(created_after.auto_ml_job_summaries().is_empty());
}

#[tokio::test]
async fn faults_reach_the_automl_operations() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    emulator.control(
        "POST",
        "faults",
        serde_json::json!({ "operation": "ListAutoMLJobs", "kind": "internal", "count": 1 }),
    );
    let (code, _) = error_of(client.list_auto_ml_jobs().send().await);
    assert_eq!(code, "InternalFailure");
    client.list_auto_ml_jobs().send().await.unwrap();
}
