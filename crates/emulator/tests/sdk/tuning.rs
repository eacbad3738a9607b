use std::collections::BTreeSet;

use aws_sdk_sagemaker::types::{
    CategoricalParameterRange, ContinuousParameterRange, HyperParameterTrainingJobDefinition,
    HyperParameterTuningJobConfig, HyperParameterTuningJobObjective,
    HyperParameterTuningJobObjectiveType, HyperParameterTuningJobStatus,
    HyperParameterTuningJobStrategyType, IntegerParameterRange, OutputDataConfig, ParameterRanges,
    ResourceConfig, ResourceLimits, StoppingCondition, TrainingInputMode, TrainingInstanceType,
    TrainingJobStatus,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{ROLE, error_of, tag};

pub fn tuning_request(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    number: i32,
    parallel: i32,
    objective: HyperParameterTuningJobObjectiveType,
) -> aws_sdk_sagemaker::operation::create_hyper_parameter_tuning_job::builders::CreateHyperParameterTuningJobFluentBuilder{
    client
        .create_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name(name)
        .hyper_parameter_tuning_job_config(
            HyperParameterTuningJobConfig::builder()
                .strategy(HyperParameterTuningJobStrategyType::Bayesian)
                .hyper_parameter_tuning_job_objective(
                    HyperParameterTuningJobObjective::builder()
                        .r#type(objective)
                        .metric_name("validation:error")
                        .build(),
                )
                .resource_limits(
                    ResourceLimits::builder()
                        .max_number_of_training_jobs(number)
                        .max_parallel_training_jobs(parallel)
                        .build(),
                )
                .parameter_ranges(
                    ParameterRanges::builder()
                        .integer_parameter_ranges(
                            IntegerParameterRange::builder()
                                .name("max_depth")
                                .min_value("3")
                                .max_value("9")
                                .build(),
                        )
                        .continuous_parameter_ranges(
                            ContinuousParameterRange::builder()
                                .name("eta")
                                .min_value("0.1")
                                .max_value("0.5")
                                .build(),
                        )
                        .categorical_parameter_ranges(
                            CategoricalParameterRange::builder()
                                .name("booster")
                                .values("gbtree")
                                .values("dart")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .training_job_definition(
            HyperParameterTrainingJobDefinition::builder()
                .algorithm_specification(
                    aws_sdk_sagemaker::types::HyperParameterAlgorithmSpecification::builder()
                        .training_image("433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                        .training_input_mode(TrainingInputMode::File)
                        .build(),
                )
                .role_arn(ROLE)
                .static_hyper_parameters("num_round", "10")
                .output_data_config(
                    OutputDataConfig::builder()
                        .s3_output_path("s3://my-bucket/hpo")
                        .build(),
                )
                .resource_config(
                    ResourceConfig::builder()
                        .instance_type(TrainingInstanceType::MlM4Xlarge)
                        .instance_count(1)
                        .volume_size_in_gb(5)
                        .build(),
                )
                .stopping_condition(
                    StoppingCondition::builder()
                        .max_runtime_in_seconds(3600)
                        .build(),
                )
                .build(),
        )
}

/// Waits until the tuning job reports `status`, returning its description.
async fn tuning_reaches(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    status: HyperParameterTuningJobStatus,
) -> aws_sdk_sagemaker::operation::describe_hyper_parameter_tuning_job::DescribeHyperParameterTuningJobOutput{
    eventually(
        &format!("tuning job {name} {status:?}"),
        DEADLINE,
        || async {
            let tuning = client
                .describe_hyper_parameter_tuning_job()
                .hyper_parameter_tuning_job_name(name)
                .send()
                .await
                .unwrap();
            (tuning.hyper_parameter_tuning_job_status() == Some(&status)).then_some(tuning)
        },
    )
    .await
}

#[tokio::test]
async fn tuning_job_launches_children_in_parallel_slots_and_picks_the_best() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    tuning_request(
        &client,
        "hpo-min",
        5,
        2,
        HyperParameterTuningJobObjectiveType::Minimize,
    )
    .tags(tag("emulator:duration-seconds", "20"))
    .send()
    .await
    .expect("create");

    let mut max_in_progress = 0;
    let started = std::time::Instant::now();
    let tuning = loop {
        let tuning = client
            .describe_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("hpo-min")
            .send()
            .await
            .unwrap();
        let counters = tuning.training_job_status_counters().unwrap();
        max_in_progress = max_in_progress.max(counters.in_progress().unwrap_or(0));
        if tuning.hyper_parameter_tuning_job_status()
            == Some(&HyperParameterTuningJobStatus::Completed)
        {
            break tuning;
        }
        assert!(started.elapsed() < DEADLINE, "tuning job did not complete");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert!(
        max_in_progress <= 2,
        "never more than MaxParallelTrainingJobs at once, saw {max_in_progress}"
    );
    let counters = tuning.training_job_status_counters().unwrap();
    assert_eq!(counters.completed(), Some(5));
    assert_eq!(
        tuning.objective_status_counters().unwrap().succeeded(),
        Some(5)
    );
    assert!(tuning.hyper_parameter_tuning_end_time().is_some());

    let children = client
        .list_training_jobs_for_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("hpo-min")
        .max_results(100)
        .send()
        .await
        .unwrap();
    let summaries = children.training_job_summaries();
    assert_eq!(summaries.len(), 5);
    let pattern = regex::Regex::new(r"^hpo-min-00[1-5]-[0-9a-f]{8}$").unwrap();
    let indexes: BTreeSet<_> = summaries
        .iter()
        .map(|s| s.training_job_name().unwrap()[8..11].to_string())
        .collect();
    assert_eq!(indexes.len(), 5);
    for summary in summaries {
        assert!(
            pattern.is_match(summary.training_job_name().unwrap()),
            "{:?}",
            summary.training_job_name()
        );
        let tuned = summary.tuned_hyper_parameters().unwrap();
        let depth: i64 = tuned["max_depth"].parse().unwrap();
        assert!((3..=9).contains(&depth));
        let eta: f64 = tuned["eta"].parse().unwrap();
        assert!((0.1..=0.5).contains(&eta));
        assert!(["\"gbtree\"", "\"dart\""].contains(&tuned["booster"].as_str()));
        assert!(
            !tuned.contains_key("num_round"),
            "static hyperparameters are not tuned"
        );
    }
    // Children are real training jobs, linked back to the tuning job.
    let child = client
        .describe_training_job()
        .training_job_name(summaries[0].training_job_name().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        child.tuning_job_arn(),
        tuning.hyper_parameter_tuning_job_arn()
    );
    assert_eq!(child.hyper_parameters().unwrap()["num_round"], "10");
    // The third child cannot start before one of the first two ended.
    let mut created: Vec<_> = summaries
        .iter()
        .map(|s| {
            (
                s.training_job_name().unwrap().to_string(),
                s.creation_time().unwrap().as_secs_f64(),
                s.training_end_time().unwrap().as_secs_f64(),
            )
        })
        .collect();
    created.sort_by(|a, b| a.0[8..11].cmp(&b.0[8..11]));
    let first_end = created[0].2.min(created[1].2);
    assert!(
        created[2].1 >= first_end - 0.002,
        "child 3 started {} before a slot freed {}",
        created[2].1,
        first_end
    );

    let best = tuning.best_training_job().expect("best training job");
    let best_value = best
        .final_hyper_parameter_tuning_job_objective_metric()
        .unwrap()
        .value();
    let min = summaries
        .iter()
        .map(|s| {
            s.final_hyper_parameter_tuning_job_objective_metric()
                .unwrap()
                .value()
                .unwrap()
        })
        .fold(f32::MAX, f32::min);
    assert_eq!(best_value, Some(min), "Minimize picks the lowest objective");
    assert!(best.tuned_hyper_parameters().is_some());

    let listed = client
        .list_hyper_parameter_tuning_jobs()
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.hyper_parameter_tuning_job_summaries()[0].hyper_parameter_tuning_job_name(),
        Some("hpo-min")
    );
}

#[tokio::test]
async fn maximize_picks_the_highest_objective() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    tuning_request(
        &client,
        "hpo-max",
        3,
        3,
        HyperParameterTuningJobObjectiveType::Maximize,
    )
    .tags(tag("emulator:duration-seconds", "10"))
    .send()
    .await
    .unwrap();
    let tuning = tuning_reaches(&client, "hpo-max", HyperParameterTuningJobStatus::Completed).await;
    let children = client
        .list_training_jobs_for_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("hpo-max")
        .send()
        .await
        .unwrap();
    let max = children
        .training_job_summaries()
        .iter()
        .map(|s| {
            s.final_hyper_parameter_tuning_job_objective_metric()
                .unwrap()
                .value()
                .unwrap()
        })
        .fold(f32::MIN, f32::max);
    assert_eq!(
        tuning
            .best_training_job()
            .unwrap()
            .final_hyper_parameter_tuning_job_objective_metric()
            .unwrap()
            .value(),
        Some(max)
    );
}

#[tokio::test]
async fn stopping_a_tuning_job_stops_its_children() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    tuning_request(
        &client,
        "hpo-stop",
        10,
        2,
        HyperParameterTuningJobObjectiveType::Minimize,
    )
    .tags(tag("emulator:duration-seconds", "6000"))
    .send()
    .await
    .unwrap();
    eventually("two children running", DEADLINE, || async {
        let children = client
            .list_training_jobs_for_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("hpo-stop")
            .send()
            .await
            .unwrap();
        (children.training_job_summaries().len() == 2).then_some(())
    })
    .await;
    client
        .stop_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("hpo-stop")
        .send()
        .await
        .unwrap();
    let tuning = client
        .describe_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("hpo-stop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tuning.hyper_parameter_tuning_job_status(),
        Some(&HyperParameterTuningJobStatus::Stopping)
    );
    let tuning = tuning_reaches(&client, "hpo-stop", HyperParameterTuningJobStatus::Stopped).await;
    assert_eq!(
        tuning.training_job_status_counters().unwrap().stopped(),
        Some(2)
    );
    let children = client
        .list_training_jobs_for_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("hpo-stop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        children.training_job_summaries().len(),
        2,
        "no launches after the stop"
    );
    assert!(
        children
            .training_job_summaries()
            .iter()
            .all(|s| s.training_job_status() == Some(&TrainingJobStatus::Stopped))
    );
    let (code, _) = error_of(
        client
            .stop_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("hpo-stop")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn failed_children_fail_the_tuning_job_and_missing_jobs_are_resource_not_found() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    tuning_request(
        &client,
        "hpo-fail",
        2,
        2,
        HyperParameterTuningJobObjectiveType::Minimize,
    )
    .tags(tag("emulator:outcome", "Failed"))
    .tags(tag("emulator:duration-seconds", "5"))
    .send()
    .await
    .unwrap();
    let tuning = tuning_reaches(&client, "hpo-fail", HyperParameterTuningJobStatus::Failed).await;
    assert!(tuning.failure_reason().is_some());
    assert_eq!(
        tuning
            .training_job_status_counters()
            .unwrap()
            .non_retryable_error(),
        Some(2)
    );
    assert!(tuning.best_training_job().is_none());

    let (code, message) = error_of(
        client
            .describe_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("nope")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    assert!(
        message.starts_with("Amazon SageMaker can't find a tuning job"),
        "{message}"
    );
    let (code, _) = error_of(
        client
            .stop_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("nope")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    let (code, _) = error_of(
        client
            .list_training_jobs_for_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("nope")
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFound");
    let (code, _) = error_of(
        tuning_request(
            &client,
            "hpo-fail",
            1,
            1,
            HyperParameterTuningJobObjectiveType::Minimize,
        )
        .send()
        .await,
    );
    assert_eq!(code, "ResourceInUse");
    let (code, message) = error_of(
        tuning_request(
            &client,
            &"a".repeat(33),
            1,
            1,
            HyperParameterTuningJobObjectiveType::Minimize,
        )
        .send()
        .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("Member must have length less than or equal to 32"),
        "{message}"
    );
}

#[tokio::test]
async fn several_training_job_definitions_take_turns() {
    use aws_sdk_sagemaker::types::{
        HyperParameterTuningInstanceConfig, HyperParameterTuningResourceConfig,
    };
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let definition = |name: &str, depth_max: &str| {
        HyperParameterTrainingJobDefinition::builder()
            .definition_name(name)
            .tuning_objective(
                HyperParameterTuningJobObjective::builder()
                    .r#type(HyperParameterTuningJobObjectiveType::Minimize)
                    .metric_name("validation:error")
                    .build(),
            )
            .hyper_parameter_ranges(
                ParameterRanges::builder()
                    .integer_parameter_ranges(
                        IntegerParameterRange::builder()
                            .name("max_depth")
                            .min_value("1")
                            .max_value(depth_max)
                            .build(),
                    )
                    .build(),
            )
            .algorithm_specification(
                aws_sdk_sagemaker::types::HyperParameterAlgorithmSpecification::builder()
                    .training_image(format!("{name}:1"))
                    .training_input_mode(TrainingInputMode::File)
                    .build(),
            )
            .role_arn(ROLE)
            .output_data_config(
                OutputDataConfig::builder()
                    .s3_output_path("s3://my-bucket/hpo")
                    .build(),
            )
            .hyper_parameter_tuning_resource_config(
                HyperParameterTuningResourceConfig::builder()
                    .instance_configs(
                        HyperParameterTuningInstanceConfig::builder()
                            .instance_type(
                                aws_sdk_sagemaker::types::TrainingInstanceType::MlC5Xlarge,
                            )
                            .instance_count(2)
                            .volume_size_in_gb(10)
                            .build(),
                    )
                    .build(),
            )
            .stopping_condition(
                StoppingCondition::builder()
                    .max_runtime_in_seconds(3600)
                    .build(),
            )
            .build()
    };
    client
        .create_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("multi")
        .hyper_parameter_tuning_job_config(
            HyperParameterTuningJobConfig::builder()
                .strategy(HyperParameterTuningJobStrategyType::Random)
                .resource_limits(
                    ResourceLimits::builder()
                        .max_number_of_training_jobs(4)
                        .max_parallel_training_jobs(4)
                        .build(),
                )
                .build(),
        )
        .training_job_definitions(definition("shallow", "2"))
        .training_job_definitions(definition("deep", "9"))
        .tags(tag("emulator:duration-seconds", "10"))
        .send()
        .await
        .expect("create with TrainingJobDefinitions");
    let children = eventually("four children", DEADLINE, || async {
        let children = client
            .list_training_jobs_for_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("multi")
            .sort_by(aws_sdk_sagemaker::types::TrainingJobSortByOptions::Name)
            .sort_order(aws_sdk_sagemaker::types::SortOrder::Ascending)
            .send()
            .await
            .unwrap();
        (children.training_job_summaries().len() == 4).then_some(children)
    })
    .await;
    let definitions: Vec<_> = children
        .training_job_summaries()
        .iter()
        .map(|s| s.training_job_definition_name().unwrap().to_string())
        .collect();
    assert_eq!(definitions, ["shallow", "deep", "shallow", "deep"]);
    for summary in children.training_job_summaries() {
        let depth: i64 = summary.tuned_hyper_parameters().unwrap()["max_depth"]
            .parse()
            .unwrap();
        let max = if summary.training_job_definition_name() == Some("shallow") {
            2
        } else {
            9
        };
        assert!(
            (1..=max).contains(&depth),
            "each definition samples its own ranges"
        );
    }
    let first = client
        .describe_training_job()
        .training_job_name(
            children.training_job_summaries()[0]
                .training_job_name()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let resources = first.resource_config().unwrap();
    assert_eq!(
        (resources.instance_count(), resources.volume_size_in_gb()),
        (Some(2), Some(10))
    );
    assert_eq!(
        first.algorithm_specification().unwrap().training_image(),
        Some("shallow:1")
    );

    let (code, message) = error_of(
        client
            .create_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("neither")
            .hyper_parameter_tuning_job_config(
                HyperParameterTuningJobConfig::builder()
                    .strategy(HyperParameterTuningJobStrategyType::Random)
                    .resource_limits(
                        ResourceLimits::builder()
                            .max_number_of_training_jobs(1)
                            .max_parallel_training_jobs(1)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("hyperParameterTuningJobObjective")
            || message.contains("TrainingJobDefinition"),
        "{message}"
    );
}
