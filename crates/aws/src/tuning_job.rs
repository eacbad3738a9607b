//! HyperparameterTuningJob: spec → CreateHyperParameterTuningJob request,
//! DescribeHyperParameterTuningJob → plain values, and the training jobs a tuning job launched.

use aws_sdk_sagemaker::operation::create_hyper_parameter_tuning_job::builders::CreateHyperParameterTuningJobInputBuilder;
use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::HyperparameterTuningJobSpec;
use sagemaker_k8s_api::hyperparameter_tuning_job::{
    HyperParameterTrainingJobDefinition, HyperParameterTuningJobConfig,
    HyperParameterTuningJobObjective, HyperParameterTuningJobWarmStartConfig,
    HyperParameterTuningResourceConfig, ParameterRanges,
};

use crate::clients::SageMakerHandle;
use crate::convert::{key_value_map, tags_with_owner, timestamp, vpc_config};
use crate::errors::{SageMakerError, classify};
use crate::training_definition::{
    checkpoint_config, input_data_config, metric_definitions, output_data_config, resource_config,
    retry_strategy, stopping_condition,
};
use crate::wire_name;

fn objective(
    objective: &HyperParameterTuningJobObjective,
) -> sdk::HyperParameterTuningJobObjective {
    sdk::HyperParameterTuningJobObjective::builder()
        .r#type(sdk::HyperParameterTuningJobObjectiveType::from(
            wire_name(&objective.type_).as_str(),
        ))
        .metric_name(&objective.metric_name)
        .build()
}

fn parameter_ranges(ranges: &ParameterRanges) -> sdk::ParameterRanges {
    let scaling = |kind: &Option<_>| {
        kind.as_ref()
            .map(|kind| sdk::HyperParameterScalingType::from(wire_name(kind).as_str()))
    };
    sdk::ParameterRanges::builder()
        .set_integer_parameter_ranges(ranges.integer_parameter_ranges.as_ref().map(|list| {
            list.iter()
                .map(|range| {
                    sdk::IntegerParameterRange::builder()
                        .name(&range.name)
                        .min_value(&range.min_value)
                        .max_value(&range.max_value)
                        .set_scaling_type(scaling(&range.scaling_type))
                        .build()
                })
                .collect()
        }))
        .set_continuous_parameter_ranges(ranges.continuous_parameter_ranges.as_ref().map(|list| {
            list.iter()
                .map(|range| {
                    sdk::ContinuousParameterRange::builder()
                        .name(&range.name)
                        .min_value(&range.min_value)
                        .max_value(&range.max_value)
                        .set_scaling_type(scaling(&range.scaling_type))
                        .build()
                })
                .collect()
        }))
        .set_categorical_parameter_ranges(ranges.categorical_parameter_ranges.as_ref().map(
            |list| {
                list.iter()
                    .map(|range| {
                        sdk::CategoricalParameterRange::builder()
                            .name(&range.name)
                            .set_values(Some(range.values.clone()))
                            .build()
                    })
                    .collect()
            },
        ))
        .set_auto_parameters(ranges.auto_parameters.as_ref().map(|list| {
            list.iter()
                .map(|parameter| {
                    sdk::AutoParameter::builder()
                        .name(&parameter.name)
                        .value_hint(&parameter.value_hint)
                        .build()
                })
                .collect()
        }))
        .build()
}

fn tuning_job_config(config: &HyperParameterTuningJobConfig) -> sdk::HyperParameterTuningJobConfig {
    let limits = &config.resource_limits;
    sdk::HyperParameterTuningJobConfig::builder()
        .strategy(sdk::HyperParameterTuningJobStrategyType::from(
            wire_name(&config.strategy).as_str(),
        ))
        .set_strategy_config(config.strategy_config.as_ref().map(|strategy| {
            sdk::HyperParameterTuningJobStrategyConfig::builder()
                .set_hyperband_strategy_config(strategy.hyperband_strategy_config.as_ref().map(
                    |hyperband| {
                        sdk::HyperbandStrategyConfig::builder()
                            .set_min_resource(hyperband.min_resource)
                            .set_max_resource(hyperband.max_resource)
                            .build()
                    },
                ))
                .build()
        }))
        .set_hyper_parameter_tuning_job_objective(
            config
                .hyper_parameter_tuning_job_objective
                .as_ref()
                .map(objective),
        )
        .resource_limits(
            sdk::ResourceLimits::builder()
                .set_max_number_of_training_jobs(limits.max_number_of_training_jobs)
                .max_parallel_training_jobs(limits.max_parallel_training_jobs)
                // The CRD bounds it to 15768000, well inside i32.
                .set_max_runtime_in_seconds(
                    limits
                        .max_runtime_in_seconds
                        .map(|seconds| seconds.clamp(0, i64::from(i32::MAX)) as i32),
                )
                .build(),
        )
        .set_parameter_ranges(config.parameter_ranges.as_ref().map(parameter_ranges))
        .set_training_job_early_stopping_type(
            config
                .training_job_early_stopping_type
                .map(|kind| sdk::TrainingJobEarlyStoppingType::from(wire_name(&kind).as_str())),
        )
        .set_tuning_job_completion_criteria(config.tuning_job_completion_criteria.as_ref().map(
            |criteria| {
                sdk::TuningJobCompletionCriteria::builder()
                    .set_target_objective_metric_value(criteria.target_objective_metric_value)
                    .set_best_objective_not_improving(
                        criteria.best_objective_not_improving.as_ref().map(|rule| {
                            sdk::BestObjectiveNotImproving::builder()
                                .set_max_number_of_training_jobs_not_improving(
                                    rule.max_number_of_training_jobs_not_improving,
                                )
                                .build()
                        }),
                    )
                    .set_convergence_detected(criteria.convergence_detected.as_ref().map(|rule| {
                        sdk::ConvergenceDetected::builder()
                            .set_complete_on_convergence(
                                rule.complete_on_convergence
                                    .as_deref()
                                    .map(sdk::CompleteOnConvergence::from),
                            )
                            .build()
                    }))
                    .build()
            },
        ))
        .set_random_seed(config.random_seed)
        .build()
}

fn tuning_resource_config(
    config: &HyperParameterTuningResourceConfig,
) -> sdk::HyperParameterTuningResourceConfig {
    sdk::HyperParameterTuningResourceConfig::builder()
        .set_instance_type(
            config
                .instance_type
                .as_deref()
                .map(sdk::TrainingInstanceType::from),
        )
        .set_instance_count(config.instance_count)
        .set_volume_size_in_gb(config.volume_size_in_gb)
        .set_volume_kms_key_id(config.volume_kms_key_id.clone())
        .set_allocation_strategy(config.allocation_strategy.map(|strategy| {
            sdk::HyperParameterTuningAllocationStrategy::from(wire_name(&strategy).as_str())
        }))
        .set_instance_configs(config.instance_configs.as_ref().map(|configs| {
            configs
                .iter()
                .map(|instance| {
                    sdk::HyperParameterTuningInstanceConfig::builder()
                        .instance_type(sdk::TrainingInstanceType::from(
                            instance.instance_type.as_str(),
                        ))
                        .instance_count(instance.instance_count)
                        .volume_size_in_gb(instance.volume_size_in_gb)
                        .build()
                })
                .collect()
        }))
        .build()
}

/// One training job definition; the channel, output, resource, stopping, VPC, checkpoint and
/// retry parts are the same conversions CreateTrainingJob uses.
fn training_job_definition(
    definition: &HyperParameterTrainingJobDefinition,
) -> sdk::HyperParameterTrainingJobDefinition {
    let algorithm = &definition.algorithm_specification;
    sdk::HyperParameterTrainingJobDefinition::builder()
        .set_definition_name(definition.definition_name.clone())
        .set_tuning_objective(definition.tuning_objective.as_ref().map(objective))
        .set_hyper_parameter_ranges(
            definition
                .hyper_parameter_ranges
                .as_ref()
                .map(parameter_ranges),
        )
        .set_static_hyper_parameters(key_value_map(&definition.static_hyper_parameters))
        .algorithm_specification(
            sdk::HyperParameterAlgorithmSpecification::builder()
                .set_training_image(algorithm.training_image.clone())
                .training_input_mode(sdk::TrainingInputMode::from(
                    wire_name(&algorithm.training_input_mode).as_str(),
                ))
                .set_algorithm_name(algorithm.algorithm_name.clone())
                .set_metric_definitions(metric_definitions(&algorithm.metric_definitions))
                .build(),
        )
        .role_arn(&definition.role_arn)
        .set_input_data_config(input_data_config(&definition.input_data_config))
        .set_vpc_config(definition.vpc_config.as_ref().map(vpc_config))
        .output_data_config(output_data_config(&definition.output_data_config))
        .set_resource_config(definition.resource_config.as_ref().map(resource_config))
        .set_hyper_parameter_tuning_resource_config(
            definition
                .hyper_parameter_tuning_resource_config
                .as_ref()
                .map(tuning_resource_config),
        )
        .stopping_condition(stopping_condition(&definition.stopping_condition))
        .set_enable_network_isolation(definition.enable_network_isolation)
        .set_enable_inter_container_traffic_encryption(
            definition.enable_inter_container_traffic_encryption,
        )
        .set_enable_managed_spot_training(definition.enable_managed_spot_training)
        .set_checkpoint_config(definition.checkpoint_config.as_ref().map(checkpoint_config))
        .set_retry_strategy(definition.retry_strategy.as_ref().map(retry_strategy))
        .set_environment(key_value_map(&definition.environment))
        .build()
}

fn warm_start_config(
    config: &HyperParameterTuningJobWarmStartConfig,
) -> sdk::HyperParameterTuningJobWarmStartConfig {
    sdk::HyperParameterTuningJobWarmStartConfig::builder()
        .set_parent_hyper_parameter_tuning_jobs(Some(
            config
                .parent_hyper_parameter_tuning_jobs
                .iter()
                .map(|parent| {
                    sdk::ParentHyperParameterTuningJob::builder()
                        .set_hyper_parameter_tuning_job_name(
                            parent.hyper_parameter_tuning_job_name.clone(),
                        )
                        .build()
                })
                .collect(),
        ))
        .warm_start_type(sdk::HyperParameterTuningJobWarmStartType::from(
            wire_name(&config.warm_start_type).as_str(),
        ))
        .build()
}

/// The CreateHyperParameterTuningJob request for a spec under the given SageMaker name, tagged
/// with the owning object's UID.
pub fn create_request(
    spec: &HyperparameterTuningJobSpec,
    job_name: &str,
    owner_uid: &str,
) -> CreateHyperParameterTuningJobInputBuilder {
    aws_sdk_sagemaker::operation::create_hyper_parameter_tuning_job::CreateHyperParameterTuningJobInput::builder()
        .hyper_parameter_tuning_job_name(job_name)
        .hyper_parameter_tuning_job_config(tuning_job_config(&spec.hyper_parameter_tuning_job_config))
        .set_training_job_definition(spec.training_job_definition.as_ref().map(training_job_definition))
        .set_training_job_definitions(
            spec.training_job_definitions.as_ref().map(|definitions| definitions.iter().map(training_job_definition).collect()),
        )
        .set_warm_start_config(spec.warm_start_config.as_ref().map(warm_start_config))
        .set_autotune(spec.autotune.as_ref().map(|autotune| sdk::Autotune::builder().mode(sdk::AutotuneMode::from(autotune.mode.as_str())).build()))
        .set_tags(Some(tags_with_owner(spec.tags.as_deref().unwrap_or_default(), owner_uid)))
}

/// Training jobs of a tuning job per state (SageMaker's TrainingJobStatusCounters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusCounters {
    pub completed: i64,
    pub in_progress: i64,
    pub retryable_error: i64,
    pub non_retryable_error: i64,
    pub stopped: i64,
}

/// The objective value a training job reached.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectiveMetric {
    pub type_: Option<String>,
    pub metric_name: Option<String>,
    pub value: Option<f64>,
}

/// One training job a tuning job launched (SageMaker's HyperParameterTrainingJobSummary).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingJobSummary {
    pub name: String,
    pub arn: Option<String>,
    pub status: Option<String>,
    /// Sorted by name: SageMaker sends a map, and a stable order keeps status writes idempotent.
    pub tuned_hyper_parameters: Vec<(String, String)>,
    pub final_objective_metric: Option<ObjectiveMetric>,
    pub creation_time: Option<jiff::Timestamp>,
    pub training_start_time: Option<jiff::Timestamp>,
    pub training_end_time: Option<jiff::Timestamp>,
    pub objective_status: Option<String>,
    pub failure_reason: Option<String>,
    /// The tuning job that launched it (SageMaker's `TuningJobName`).
    pub tuning_job_name: Option<String>,
}

/// What the operator needs from DescribeHyperParameterTuningJob.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TuningJobDescription {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub counters: StatusCounters,
    pub best_training_job: Option<TrainingJobSummary>,
    /// SageMaker's LastModifiedTime: what the status poller compares its listings with.
    pub last_modified: Option<jiff::Timestamp>,
}

fn summary(summary: &sdk::HyperParameterTrainingJobSummary) -> TrainingJobSummary {
    let mut tuned: Vec<(String, String)> = summary
        .tuned_hyper_parameters()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    tuned.sort();
    TrainingJobSummary {
        name: summary.training_job_name().unwrap_or_default().to_string(),
        arn: summary.training_job_arn().map(str::to_string),
        status: summary
            .training_job_status()
            .map(|status| status.as_str().to_string()),
        tuned_hyper_parameters: tuned,
        final_objective_metric: summary
            .final_hyper_parameter_tuning_job_objective_metric()
            .map(|metric| ObjectiveMetric {
                type_: metric.r#type().map(|kind| kind.as_str().to_string()),
                metric_name: metric.metric_name().map(str::to_string),
                // SageMaker sends a 32-bit float; widening 0.1f32 gives 0.10000000149…, so go through
                // its shortest decimal form to show the value SageMaker shows.
                value: metric
                    .value()
                    .map(|value| value.to_string().parse().unwrap_or(f64::from(value))),
            }),
        creation_time: timestamp(summary.creation_time()),
        training_start_time: timestamp(summary.training_start_time()),
        training_end_time: timestamp(summary.training_end_time()),
        objective_status: summary
            .objective_status()
            .map(|status| status.as_str().to_string()),
        failure_reason: summary.failure_reason().map(str::to_string),
        tuning_job_name: summary.tuning_job_name().map(str::to_string),
    }
}

/// Calls on hyperparameter tuning jobs.
impl SageMakerHandle {
    pub async fn create_tuning_job(
        &self,
        spec: &HyperparameterTuningJobSpec,
        job_name: &str,
        owner_uid: &str,
    ) -> Result<(), SageMakerError> {
        let request = create_request(spec, job_name, owner_uid);
        self.throttle("CreateHyperParameterTuningJob").await;
        request.send_with(&self.client).await.map_err(classify)?;
        Ok(())
    }

    pub async fn describe_tuning_job(
        &self,
        job_name: &str,
    ) -> Result<TuningJobDescription, SageMakerError> {
        self.throttle("DescribeHyperParameterTuningJob").await;
        let output = self
            .client
            .describe_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        let counters = output.training_job_status_counters();
        let count = |value: Option<i32>| i64::from(value.unwrap_or(0));
        Ok(TuningJobDescription {
            name: output
                .hyper_parameter_tuning_job_name()
                .unwrap_or(job_name)
                .to_string(),
            last_modified: timestamp(output.last_modified_time()),
            arn: output
                .hyper_parameter_tuning_job_arn()
                .unwrap_or_default()
                .to_string(),
            status: output
                .hyper_parameter_tuning_job_status()
                .map(|status| status.as_str().to_string())
                .unwrap_or_default(),
            failure_reason: output.failure_reason().map(str::to_string),
            counters: StatusCounters {
                completed: count(counters.and_then(|c| c.completed())),
                in_progress: count(counters.and_then(|c| c.in_progress())),
                retryable_error: count(counters.and_then(|c| c.retryable_error())),
                non_retryable_error: count(counters.and_then(|c| c.non_retryable_error())),
                stopped: count(counters.and_then(|c| c.stopped())),
            },
            best_training_job: output.best_training_job().map(summary),
        })
    }

    pub async fn stop_tuning_job(&self, job_name: &str) -> Result<(), SageMakerError> {
        self.throttle("StopHyperParameterTuningJob").await;
        self.client
            .stop_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Every training job the tuning job launched so far (all pages).
    pub async fn training_jobs_of_tuning_job(
        &self,
        job_name: &str,
    ) -> Result<Vec<TrainingJobSummary>, SageMakerError> {
        let pages = self
            .client
            .list_training_jobs_for_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name(job_name)
            .max_results(100)
            .into_paginator()
            .send();
        let mut summaries = Vec::new();
        crate::listing::read_pages!(
            self,
            "ListTrainingJobsForHyperParameterTuningJob",
            pages,
            |page| {
                summaries.extend(page.training_job_summaries().iter().map(summary));
                page.next_token().is_some()
            }
        )?;
        Ok(summaries)
    }

    crate::listing::modified_after_listing!(
        /// Names and last-modified times of tuning jobs modified after `after` (all pages).
        tuning_jobs_modified_after, "ListHyperParameterTuningJobs", list_hyper_parameter_tuning_jobs, hyper_parameter_tuning_job_summaries, hyper_parameter_tuning_job_name
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OWNER_UID_TAG;

    fn example_spec() -> HyperparameterTuningJobSpec {
        serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "hyperParameterTuningJobConfig": {
                "strategy": "Bayesian",
                "trainingJobEarlyStoppingType": "Off",
                "hyperParameterTuningJobObjective": {"type": "Minimize", "metricName": "validation:error"},
                "resourceLimits": {"maxNumberOfTrainingJobs": 4, "maxParallelTrainingJobs": 2, "maxRuntimeInSeconds": 3600},
                "parameterRanges": {
                    "integerParameterRanges": [{"name": "num_round", "minValue": "10", "maxValue": "20", "scalingType": "Linear"}],
                    "continuousParameterRanges": [{"name": "eta", "minValue": "0.1", "maxValue": "0.5"}],
                    "categoricalParameterRanges": [{"name": "booster", "values": ["gbtree", "dart"]}]
                },
                "tuningJobCompletionCriteria": {"targetObjectiveMetricValue": 0.05}
            },
            "trainingJobDefinition": {
                "staticHyperParameters": [{"name": "objective", "value": "reg:linear"}],
                "algorithmSpecification": {"trainingImage": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1", "trainingInputMode": "File"},
                "roleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
                "inputDataConfig": [{"channelName": "train", "dataSource": {"s3DataSource": {"s3DataType": "S3Prefix", "s3Uri": "s3://b/train/"}}, "contentType": "text/csv"}],
                "outputDataConfig": {"s3OutputPath": "s3://b/out"},
                "resourceConfig": {"instanceType": "ml.m4.xlarge", "instanceCount": 1, "volumeSizeInGB": 5},
                "stoppingCondition": {"maxRuntimeInSeconds": 86400},
                "retryStrategy": {"maximumRetryAttempts": 2}
            },
            "warmStartConfig": {"parentHyperParameterTuningJobs": [{"hyperParameterTuningJobName": "earlier"}], "warmStartType": "TransferLearning"},
            "tags": [{"key": "team", "value": "ml"}, {"key": OWNER_UID_TAG, "value": "forged"}]
        }))
        .expect("spec parses")
    }

    #[test]
    fn create_request_maps_config_definition_and_warm_start() {
        let input = create_request(&example_spec(), "hpo-1", "uid-1")
            .build()
            .unwrap();
        assert_eq!(input.hyper_parameter_tuning_job_name(), Some("hpo-1"));
        let config = input.hyper_parameter_tuning_job_config().unwrap();
        assert_eq!(config.strategy().unwrap().as_str(), "Bayesian");
        assert_eq!(
            config.training_job_early_stopping_type().unwrap().as_str(),
            "Off"
        );
        let objective = config.hyper_parameter_tuning_job_objective().unwrap();
        assert_eq!(
            (
                objective.r#type().unwrap().as_str(),
                objective.metric_name()
            ),
            ("Minimize", Some("validation:error"))
        );
        let limits = config.resource_limits().unwrap();
        assert_eq!(
            (
                limits.max_number_of_training_jobs(),
                limits.max_parallel_training_jobs(),
                limits.max_runtime_in_seconds()
            ),
            (Some(4), Some(2), Some(3600))
        );
        let ranges = config.parameter_ranges().unwrap();
        let integer = &ranges.integer_parameter_ranges()[0];
        assert_eq!(
            (integer.name(), integer.min_value(), integer.max_value()),
            (Some("num_round"), Some("10"), Some("20"))
        );
        assert_eq!(integer.scaling_type().unwrap().as_str(), "Linear");
        assert_eq!(
            ranges.continuous_parameter_ranges()[0].max_value(),
            Some("0.5")
        );
        assert_eq!(
            ranges.categorical_parameter_ranges()[0].values(),
            ["gbtree", "dart"]
        );
        assert_eq!(
            config
                .tuning_job_completion_criteria()
                .unwrap()
                .target_objective_metric_value(),
            Some(0.05)
        );

        let definition = input.training_job_definition().unwrap();
        assert_eq!(
            definition.static_hyper_parameters().unwrap()["objective"],
            "reg:linear"
        );
        assert_eq!(
            definition
                .algorithm_specification()
                .unwrap()
                .training_input_mode()
                .unwrap()
                .as_str(),
            "File"
        );
        assert_eq!(
            definition.role_arn(),
            Some("arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole")
        );
        assert_eq!(
            definition.input_data_config()[0]
                .data_source()
                .unwrap()
                .s3_data_source()
                .unwrap()
                .s3_uri(),
            Some("s3://b/train/")
        );
        assert_eq!(
            definition.output_data_config().unwrap().s3_output_path(),
            Some("s3://b/out")
        );
        assert_eq!(
            definition.resource_config().unwrap().instance_count(),
            Some(1)
        );
        assert_eq!(
            definition
                .stopping_condition()
                .unwrap()
                .max_runtime_in_seconds(),
            Some(86400)
        );
        assert_eq!(
            definition
                .retry_strategy()
                .unwrap()
                .maximum_retry_attempts(),
            Some(2)
        );
        assert!(input.training_job_definitions().is_empty());

        let warm = input.warm_start_config().unwrap();
        assert_eq!(warm.warm_start_type().unwrap().as_str(), "TransferLearning");
        assert_eq!(
            warm.parent_hyper_parameter_tuning_jobs()[0].hyper_parameter_tuning_job_name(),
            Some("earlier")
        );
    }

    #[test]
    fn ownership_tag_replaces_a_forged_one() {
        let input = create_request(&example_spec(), "hpo-1", "uid-1")
            .build()
            .unwrap();
        let tags: Vec<_> = input
            .tags()
            .iter()
            .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
            .collect();
        assert_eq!(tags, [("team", "ml"), (OWNER_UID_TAG, "uid-1")]);
    }

    #[test]
    fn summaries_sort_tuned_hyperparameters() {
        let sdk_summary = sdk::HyperParameterTrainingJobSummary::builder()
            .training_job_name("hpo-1-001-abc")
            .tuned_hyper_parameters("num_round", "18")
            .tuned_hyper_parameters("eta", "0.2")
            .final_hyper_parameter_tuning_job_objective_metric(
                sdk::FinalHyperParameterTuningJobObjectiveMetric::builder()
                    .metric_name("validation:error")
                    .value(0.25)
                    .build(),
            )
            .build();
        let plain = summary(&sdk_summary);
        assert_eq!(
            plain.tuned_hyper_parameters,
            [
                ("eta".to_string(), "0.2".to_string()),
                ("num_round".to_string(), "18".to_string())
            ]
        );
        assert_eq!(plain.final_objective_metric.unwrap().value, Some(0.25));
        let odd = sdk::HyperParameterTrainingJobSummary::builder()
            .final_hyper_parameter_tuning_job_objective_metric(
                sdk::FinalHyperParameterTuningJobObjectiveMetric::builder()
                    .value(0.1)
                    .build(),
            )
            .build();
        assert_eq!(
            summary(&odd).final_objective_metric.unwrap().value,
            Some(0.1)
        );
    }
}
