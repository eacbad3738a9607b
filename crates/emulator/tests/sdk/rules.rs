//! Debugger and Profiler rule evaluation statuses in DescribeTrainingJob.

use aws_sdk_sagemaker::types::{
    DebugRuleConfiguration, ProfilerRuleConfiguration, RuleEvaluationStatus, TrainingJobStatus,
};

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::{error_of, training_request};

const RULE_IMAGE: &str =
    "503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest";

fn debug_rule(name: &str) -> DebugRuleConfiguration {
    DebugRuleConfiguration::builder()
        .rule_configuration_name(name)
        .rule_evaluator_image(RULE_IMAGE)
        .rule_parameters("rule_to_invoke", name)
        .build()
}

fn profiler_rule(name: &str) -> ProfilerRuleConfiguration {
    ProfilerRuleConfiguration::builder()
        .rule_configuration_name(name)
        .rule_evaluator_image(RULE_IMAGE)
        .build()
}

#[tokio::test]
async fn rules_are_in_progress_then_report_their_outcome() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(
        &client,
        "debugged",
        &[
            ("emulator:duration-seconds", "100"),
            ("emulator:rule-outcome/Overfit", "IssuesFound"),
        ],
    )
    .debug_rule_configurations(debug_rule("LossNotDecreasing"))
    .debug_rule_configurations(debug_rule("Overfit"))
    .profiler_rule_configurations(profiler_rule("ProfilerReport"))
    .send()
    .await
    .expect("create with rules");

    let job = client
        .describe_training_job()
        .training_job_name("debugged")
        .send()
        .await
        .unwrap();
    let statuses = job.debug_rule_evaluation_statuses();
    assert_eq!(statuses.len(), 2);
    for status in statuses {
        assert_eq!(
            status.rule_evaluation_status(),
            Some(&RuleEvaluationStatus::InProgress)
        );
        let arn = status
            .rule_evaluation_job_arn()
            .expect("evaluation job arn");
        assert!(
            arn.starts_with("arn:aws:sagemaker:us-east-1:123456789012:processing-job/debugged-"),
            "{arn}"
        );
        assert!(status.last_modified_time().is_some());
    }
    assert_eq!(
        job.profiler_rule_evaluation_statuses()[0].rule_evaluation_status(),
        Some(&RuleEvaluationStatus::InProgress)
    );

    // The rules finish a little after the job: wait for the job, then for the rules.
    eventually("completion", DEADLINE, || async {
        let job = client
            .describe_training_job()
            .training_job_name("debugged")
            .send()
            .await
            .unwrap();
        (job.training_job_status() == Some(&TrainingJobStatus::Completed)).then_some(())
    })
    .await;
    let job = eventually("rule results", DEADLINE, || async {
        let job = client
            .describe_training_job()
            .training_job_name("debugged")
            .send()
            .await
            .unwrap();
        job.debug_rule_evaluation_statuses()
            .iter()
            .all(|s| s.rule_evaluation_status() != Some(&RuleEvaluationStatus::InProgress))
            .then_some(job)
    })
    .await;
    let by_name = |name: &str| {
        job.debug_rule_evaluation_statuses()
            .iter()
            .find(|s| s.rule_configuration_name() == Some(name))
            .cloned()
            .unwrap()
    };
    let loss = by_name("LossNotDecreasing");
    assert_eq!(
        loss.rule_evaluation_status(),
        Some(&RuleEvaluationStatus::NoIssuesFound)
    );
    assert!(loss.status_details().is_none());
    let overfit = by_name("Overfit");
    assert_eq!(
        overfit.rule_evaluation_status(),
        Some(&RuleEvaluationStatus::IssuesFound)
    );
    assert!(
        overfit
            .status_details()
            .is_some_and(|d| d.starts_with("RuleEvaluationConditionMet")),
        "{overfit:?}"
    );
    assert!(
        overfit.last_modified_time().unwrap().as_secs_f64()
            > job.training_end_time().unwrap().as_secs_f64()
    );
    assert_ne!(
        loss.rule_evaluation_job_arn(),
        overfit.rule_evaluation_job_arn()
    );
    let profiler = &job.profiler_rule_evaluation_statuses()[0];
    assert_eq!(
        profiler.rule_evaluation_status(),
        Some(&RuleEvaluationStatus::NoIssuesFound)
    );
}

#[tokio::test]
async fn error_outcome_stopped_jobs_and_bad_tags() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    training_request(&client, "erroring", &[("emulator:rule-outcome", "Error")])
        .debug_rule_configurations(debug_rule("VanishingGradient"))
        .send()
        .await
        .unwrap();
    training_request(
        &client,
        "stopped",
        &[("emulator:duration-seconds", "100000")],
    )
    .debug_rule_configurations(debug_rule("VanishingGradient"))
    .send()
    .await
    .unwrap();
    client
        .stop_training_job()
        .training_job_name("stopped")
        .send()
        .await
        .unwrap();
    for (job, wanted) in [
        ("erroring", RuleEvaluationStatus::Error),
        ("stopped", RuleEvaluationStatus::Stopped),
    ] {
        let status = eventually("a terminal rule status", DEADLINE, || async {
            let described = client
                .describe_training_job()
                .training_job_name(job)
                .send()
                .await
                .unwrap();
            let status = described.debug_rule_evaluation_statuses()[0].clone();
            (status.rule_evaluation_status() != Some(&RuleEvaluationStatus::InProgress))
                .then_some(status)
        })
        .await;
        assert_eq!(status.rule_evaluation_status(), Some(&wanted), "{job}");
    }
    // No rules configured: no statuses at all.
    training_request(&client, "plain", &[])
        .send()
        .await
        .unwrap();
    let plain = client
        .describe_training_job()
        .training_job_name("plain")
        .send()
        .await
        .unwrap();
    assert!(plain.debug_rule_evaluation_statuses().is_empty());
    assert!(plain.profiler_rule_evaluation_statuses().is_empty());

    let (code, message) = error_of(
        training_request(&client, "bad-tag", &[("emulator:rule-outcome", "Maybe")])
            .debug_rule_configurations(debug_rule("VanishingGradient"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("emulator:rule-outcome"), "{message}");
    let (code, message) = error_of(
        training_request(&client, "no-image", &[])
            .debug_rule_configurations(
                DebugRuleConfiguration::builder()
                    .rule_configuration_name("x")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("'debugRuleConfigurations.1.member.ruleEvaluatorImage' failed to satisfy constraint: Member must not be null"),
        "{message}"
    );
}
