//! Debugger and Profiler rules of a training job: each configured rule is evaluated by a
//! processing job of its own, reported in DescribeTrainingJob as `DebugRuleEvaluationStatuses` /
//! `ProfilerRuleEvaluationStatuses`: InProgress while the job runs, then NoIssuesFound (or the
//! outcome the `emulator:rule-outcome` tags choose) shortly after the job ends.

use serde_json::{Map, Value, json};

use crate::validate::Violations;
use crate::wire::ApiError;
use crate::world::{Settings, Step, terminal_at, time_value, unit_hash};

/// Outcome of every rule of the job.
pub const TAG_RULE_OUTCOME: &str = "emulator:rule-outcome";
/// `emulator:rule-outcome/<RuleConfigurationName>`: the outcome of one rule.
const TAG_RULE_OUTCOME_PREFIX: &str = "emulator:rule-outcome/";
const RULE_OUTCOMES: &[&str] = &["NoIssuesFound", "IssuesFound", "Error"];
/// Emulated seconds a rule keeps evaluating after its training job ended.
const RULE_LAG: f64 = 10.0;

const KINDS: &[(&str, &str, &str)] = &[
    (
        "DebugRuleConfigurations",
        "DebugRuleEvaluationStatuses",
        "debugRuleConfigurations",
    ),
    (
        "ProfilerRuleConfigurations",
        "ProfilerRuleEvaluationStatuses",
        "profilerRuleConfigurations",
    ),
];

pub fn validate_rules(body: &Value, violations: &mut Violations) {
    for (member, _, path) in KINDS {
        let Some(list) = body.get(*member).and_then(Value::as_array) else {
            continue;
        };
        if list.len() > 20 {
            violations.push(
                &Value::String(format!("{} rules", list.len())),
                path,
                "Member must have length less than or equal to 20",
            );
        }
        for (index, rule) in list.iter().enumerate() {
            let item = format!("{path}.{}.member", index + 1);
            if let Some(name) = violations.required(
                rule,
                "RuleConfigurationName",
                &format!("{item}.ruleConfigurationName"),
            ) {
                violations.length(name, &format!("{item}.ruleConfigurationName"), 1, 256);
            }
            if let Some(image) = violations.required(
                rule,
                "RuleEvaluatorImage",
                &format!("{item}.ruleEvaluatorImage"),
            ) {
                violations.image(image, &format!("{item}.ruleEvaluatorImage"));
            }
            if let Some(kind) = rule.get("InstanceType") {
                violations.instance_type(kind, &format!("{item}.instanceType"));
            }
            if let Some(size) = rule.get("VolumeSizeInGB") {
                violations.range(size, &format!("{item}.volumeSizeInGB"), Some(0), None);
            }
        }
    }
}

/// The rule outcomes the request's tags choose: `("", outcome)` for every rule, `(rule,
/// outcome)` for one. An unknown outcome is refused like the other reserved tags.
pub fn rule_outcomes(tags: Option<&Value>) -> Result<Vec<(String, String)>, ApiError> {
    let mut outcomes = Vec::new();
    for tag in tags.and_then(Value::as_array).into_iter().flatten() {
        let key = tag.get("Key").and_then(Value::as_str).unwrap_or("");
        let rule = if key == TAG_RULE_OUTCOME {
            ""
        } else if let Some(rule) = key.strip_prefix(TAG_RULE_OUTCOME_PREFIX) {
            rule
        } else {
            continue;
        };
        let value = tag.get("Value").and_then(Value::as_str).unwrap_or("");
        if !RULE_OUTCOMES.contains(&value) {
            return Err(ApiError::validation(format!(
                "Tag {key} must be one of [{}], got '{value}'",
                RULE_OUTCOMES.join(", ")
            )));
        }
        outcomes.push((rule.to_string(), value.to_string()));
    }
    Ok(outcomes)
}

/// What the rule statuses are computed from: the parts of a training job they depend on (rules
/// know nothing else of training jobs).
pub struct RuledJob<'a> {
    pub name: &'a str,
    pub created: f64,
    pub plan: &'a [Step],
    /// The outcomes `rule_outcomes` read from the job's tags.
    pub rule_outcomes: &'a [(String, String)],
}

fn outcome_of<'a>(job: &RuledJob<'a>, rule: &str) -> &'a str {
    job.rule_outcomes
        .iter()
        .find(|(name, _)| name == rule)
        .or_else(|| job.rule_outcomes.iter().find(|(name, _)| name.is_empty()))
        .map_or("NoIssuesFound", |(_, outcome)| outcome.as_str())
}

/// The name of the processing job that evaluates `rule`: `<job>-<rule>-<8 hex>`, lower-cased and
/// cut to fit the 63-character limit.
fn rule_job_name(job: &str, rule: &str) -> String {
    let suffix = format!(
        "{:08x}",
        (unit_hash(&format!("{job}/{rule}")) * f64::from(u32::MAX)) as u32
    );
    let cleaned: String = rule
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    let mut prefix = format!("{}-{cleaned}", job.to_lowercase());
    prefix.truncate(63 - suffix.len() - 1);
    format!("{}-{suffix}", prefix.trim_end_matches('-'))
}

/// Adds the evaluation statuses of the job's rules to a DescribeTrainingJob answer (`out` holds
/// the echoed request, rule configurations included).
pub fn add_rule_statuses(
    out: &mut Map<String, Value>,
    job: &RuledJob<'_>,
    settings: &Settings,
    shown: &[Step],
    now: f64,
) {
    let current = shown.last().expect("plan never empty");
    let ended = terminal_at(job.plan).filter(|end| *end <= now);
    let stopped = current.status == "Stopped" && current.secondary != "MaxRuntimeExceeded";
    let finished_at = ended.map(|end| {
        if stopped {
            end
        } else {
            end + settings.real(RULE_LAG)
        }
    });
    for (member, statuses_member, _) in KINDS {
        let Some(rules) = out.get(*member).and_then(Value::as_array) else {
            continue;
        };
        let statuses: Vec<Value> = rules
            .iter()
            .filter_map(|rule| rule.get("RuleConfigurationName")?.as_str())
            .map(|rule| {
                let arn = settings.arn("processing-job", &rule_job_name(job.name, rule));
                let mut status = json!({
                    "RuleConfigurationName": rule,
                    "RuleEvaluationJobArn": arn,
                });
                match finished_at.filter(|at| *at <= now) {
                    Some(at) if stopped => {
                        status["RuleEvaluationStatus"] = json!("Stopped");
                        status["LastModifiedTime"] = time_value(at);
                    }
                    Some(at) => {
                        let outcome = outcome_of(job, rule);
                        status["RuleEvaluationStatus"] = json!(outcome);
                        match outcome {
                            "IssuesFound" => {
                                status["StatusDetails"] = json!(format!(
                                    "RuleEvaluationConditionMet: Evaluation of the rule {rule} at step 42 resulted in the condition being met"
                                ))
                            }
                            "Error" => {
                                status["StatusDetails"] = json!(format!(
                                    "ClientError: the rule evaluator of {rule} exited with an error (emulator:rule-outcome tag)"
                                ))
                            }
                            _ => {}
                        }
                        status["LastModifiedTime"] = time_value(at);
                    }
                    None => {
                        status["RuleEvaluationStatus"] = json!("InProgress");
                        status["LastModifiedTime"] = time_value(job.created);
                    }
                }
                status
            })
            .collect();
        if !statuses.is_empty() {
            out.insert((*statuses_member).to_string(), Value::Array(statuses));
        }
    }
}
