//! Hyperparameter tuning jobs. A tuning job really launches training jobs, named
//! `<tuning>-<NNN>-<8 hex>`, at most MaxParallelTrainingJobs at a time and MaxNumberOfTrainingJobs
//! in all. Launches are computed from the clock: a slot frees when its child reaches a terminal
//! state, and the next child starts at that instant.

use std::collections::HashMap;

use rand::Rng;
use serde_json::{Map, Value, json};

use crate::training::{
    STOP_DELAY, TrainingJob, TrainingSpec, metric_value, stop_plan, validate_training_definition,
};
use crate::validate::Violations;
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, Outcome, ReservedTags, Service, Settings, World, descending, echoed_request,
    is_terminal_status, paginate, reserved_tags, sorted_names, str_member, terminal_at, time_value,
    visible,
};

/// Emulated seconds between creating a tuning job and its first children.
const LAUNCH_DELAY: f64 = 1.0;

pub struct TuningJob {
    pub name: String,
    pub arn: String,
    pub request: Box<str>,
    pub created: f64,
    pub max_number: usize,
    pub minimize: bool,
    pub objective_metric: String,
    /// When each parallel slot is next free.
    pub slots: Vec<f64>,
    pub children: Vec<String>,
    pub stop_requested: Option<f64>,
    pub child_outcome: Outcome,
    pub child_duration: f64,
    pub child_failure_reason: Option<String>,
}

/// The tuning jobs of one region.
#[derive(Default)]
pub struct TuningJobs {
    jobs: HashMap<String, TuningJob>,
    /// Tuning jobs that may still launch children; only these are advanced on each request.
    active: Vec<String>,
}

pub fn kind() -> Kind {
    let mut kind = Kind::new::<TuningJobs>("hyperparameter tuning job");
    kind.advance = Some(World::advance_tuning_jobs);
    kind.resources = Some(|world| {
        vec![(
            "hyperParameterTuningJobs",
            sorted_names(world.tuning_jobs().keys()),
        )]
    });
    kind.owns_arn = Some(|world, arn| world.tuning_jobs().values().any(|job| job.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateHyperParameterTuningJob", |world, body, now| {
                world.create_tuning_job(body, now)
            }),
            ("DescribeHyperParameterTuningJob", |world, body, now| {
                world.describe_tuning_job(&body, now)
            }),
            ("StopHyperParameterTuningJob", |world, body, now| {
                world.stop_tuning_job(&body, now)
            }),
            ("ListHyperParameterTuningJobs", |world, body, now| {
                world.list_tuning_jobs(&body, now)
            }),
            (
                "ListTrainingJobsForHyperParameterTuningJob",
                |world, body, now| world.list_training_jobs_for_tuning_job(&body, now),
            ),
        ],
    )
}

/// What a tuning job looks like at one instant.
struct TuningView {
    status: &'static str,
    modified: f64,
    ended: Option<f64>,
    completed: u64,
    in_progress: u64,
    failed: u64,
    stopped: u64,
}

fn tuning_missing(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceNotFound,
        format!("Amazon SageMaker can't find a tuning job with name {name}"),
    )
}

/// HyperParameterTuningJobConfig: strategy, objective (unless every definition has its own),
/// resource limits.
fn validate_config(config: &Value, body: &Value, violations: &mut Violations) {
    let prefix = "hyperParameterTuningJobConfig";
    if let Some(strategy) = violations.required(config, "Strategy", &format!("{prefix}.strategy")) {
        violations.enum_value(
            strategy,
            &format!("{prefix}.strategy"),
            &["Bayesian", "Random", "Hyperband", "Grid"],
        );
    }
    if let Some(objective) = config.get("HyperParameterTuningJobObjective") {
        if let Some(kind) = violations.required(
            objective,
            "Type",
            &format!("{prefix}.hyperParameterTuningJobObjective.type"),
        ) {
            violations.enum_value(
                kind,
                &format!("{prefix}.hyperParameterTuningJobObjective.type"),
                &["Maximize", "Minimize"],
            );
        }
        if let Some(metric) = violations.required(
            objective,
            "MetricName",
            &format!("{prefix}.hyperParameterTuningJobObjective.metricName"),
        ) {
            violations.length(
                metric,
                &format!("{prefix}.hyperParameterTuningJobObjective.metricName"),
                1,
                255,
            );
        }
    } else if !definitions_carry_objectives(body) {
        violations.push(
            &Value::Null,
            &format!("{prefix}.hyperParameterTuningJobObjective"),
            "Member must not be null",
        );
    }
    if let Some(limits) = violations.required(
        config,
        "ResourceLimits",
        &format!("{prefix}.resourceLimits"),
    ) {
        if let Some(number) = limits.get("MaxNumberOfTrainingJobs") {
            violations.range(
                number,
                &format!("{prefix}.resourceLimits.maxNumberOfTrainingJobs"),
                Some(1),
                None,
            );
        }
        if let Some(parallel) = violations.required(
            limits,
            "MaxParallelTrainingJobs",
            &format!("{prefix}.resourceLimits.maxParallelTrainingJobs"),
        ) {
            violations.range(
                parallel,
                &format!("{prefix}.resourceLimits.maxParallelTrainingJobs"),
                Some(1),
                None,
            );
        }
    }
    violations.optional_enum(
        config,
        "TrainingJobEarlyStoppingType",
        &format!("{prefix}.trainingJobEarlyStoppingType"),
        &["Off", "Auto"],
    );
}

/// TrainingJobDefinition or TrainingJobDefinitions, exactly one of them.
fn validate_definitions(body: &Value, violations: &mut Violations) -> Result<(), ApiError> {
    match (
        body.get("TrainingJobDefinition"),
        body.get("TrainingJobDefinitions"),
    ) {
        (Some(definition), None) => {
            validate_training_definition(definition, violations, &["TrainingJobDefinition"])
        }
        (None, Some(definitions)) => {
            let list = definitions
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if list.is_empty() || list.len() > 10 {
                violations.push(
                    &Value::String(format!("{} definitions", list.len())),
                    "trainingJobDefinitions",
                    if list.is_empty() {
                        "Member must have length greater than or equal to 1"
                    } else {
                        "Member must have length less than or equal to 10"
                    },
                );
            }
            for (index, definition) in list.iter().enumerate() {
                let position = (index + 1).to_string();
                validate_training_definition(
                    definition,
                    violations,
                    &["TrainingJobDefinitions", &position, "member"],
                );
            }
        }
        _ => {
            // The violations found so far take precedence over this one, as SageMaker reports.
            std::mem::take(violations).finish()?;
            return Err(ApiError::validation(
                "Exactly one of TrainingJobDefinition and TrainingJobDefinitions must be specified.",
            ));
        }
    }
    Ok(())
}

/// The tuning job a validated request creates at `now` (no child launched yet).
fn new_tuning_job(
    name: &str,
    arn: &str,
    body: &Value,
    reserved: ReservedTags,
    settings: &Settings,
    now: f64,
) -> TuningJob {
    let config = &body["HyperParameterTuningJobConfig"];
    // With several definitions the objective may come from each definition instead.
    let objective = config
        .get("HyperParameterTuningJobObjective")
        .or_else(|| body.pointer("/TrainingJobDefinitions/0/TuningObjective"))
        .cloned()
        .unwrap_or(Value::Null);
    let max_parallel = config
        .pointer("/ResourceLimits/MaxParallelTrainingJobs")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 100) as usize;
    let max_number = config
        .pointer("/ResourceLimits/MaxNumberOfTrainingJobs")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 500) as usize;
    TuningJob {
        name: name.to_string(),
        arn: arn.to_string(),
        created: now,
        max_number,
        minimize: objective.get("Type").and_then(Value::as_str) == Some("Minimize"),
        objective_metric: str_member(&objective, "MetricName")
            .unwrap_or("")
            .to_string(),
        slots: vec![now + settings.real(LAUNCH_DELAY); max_parallel],
        children: Vec::new(),
        stop_requested: None,
        child_outcome: if reserved.outcome.as_deref() == Some("Failed") {
            Outcome::Failed
        } else {
            Outcome::Completed
        },
        child_duration: reserved.duration.unwrap_or(settings.default_duration),
        child_failure_reason: reserved.failure_reason,
        request: body.to_string().into_boxed_str(),
    }
}

impl World {
    pub fn tuning_jobs(&self) -> &HashMap<String, TuningJob> {
        &self.state::<TuningJobs>().jobs
    }

    pub fn tuning_jobs_mut(&mut self) -> &mut HashMap<String, TuningJob> {
        &mut self.state_mut::<TuningJobs>().jobs
    }

    #[cfg(test)]
    fn active_tuning_jobs(&self) -> &Vec<String> {
        &self.state::<TuningJobs>().active
    }

    fn active_tuning_jobs_mut(&mut self) -> &mut Vec<String> {
        &mut self.state_mut::<TuningJobs>().active
    }

    pub fn create_tuning_job(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        let mut violations = Violations::new();
        let name = violations.tuning_name(
            &body,
            "HyperParameterTuningJobName",
            "hyperParameterTuningJobName",
        );
        if let Some(config) = violations.required(
            &body,
            "HyperParameterTuningJobConfig",
            "hyperParameterTuningJobConfig",
        ) {
            validate_config(config, &body, &mut violations);
        }
        validate_definitions(&body, &mut violations)?;
        violations.tags(body.get("Tags"), "tags");
        violations.finish()?;
        let name = name.unwrap_or_default();
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        let arn = self.settings.arn("hyper-parameter-tuning-job", &name);
        if self.tuning_jobs().contains_key(&name) {
            return Err(ApiError::new(
                ErrorCode::ResourceInUse,
                format!("Hyperparameter tuning job \"{arn}\" already exists."),
            ));
        }
        let job = new_tuning_job(&name, &arn, &body, reserved, &self.settings, now);
        self.store_tags(&arn, body.get("Tags"));
        self.tuning_jobs_mut().insert(name.clone(), job);
        self.active_tuning_jobs_mut().push(name);
        self.advance_tuning_jobs(now);
        Ok(json!({ "HyperParameterTuningJobArn": arn }))
    }

    /// Launches every child whose slot freed by `now`, at the instant it freed.
    pub fn advance_tuning_jobs(&mut self, now: f64) {
        let mut still_active = Vec::new();
        for name in std::mem::take(self.active_tuning_jobs_mut()) {
            while let Some(tuning) = self.tuning_jobs().get(&name) {
                if tuning.stop_requested.is_some() || tuning.children.len() >= tuning.max_number {
                    break;
                }
                let (slot, free_at) = tuning
                    .slots
                    .iter()
                    .copied()
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .expect("at least one slot");
                if free_at > now {
                    break;
                }
                let spec = child_spec(tuning);
                let child_name = spec.name.clone();
                // Children live in their tuning job's world, hence in its region.
                self.insert_training_job(spec, free_at);
                let ends = self
                    .training_jobs()
                    .get(&child_name)
                    .and_then(|job| terminal_at(&job.plan))
                    .unwrap_or(f64::INFINITY);
                let tuning = self
                    .tuning_jobs_mut()
                    .get_mut(&name)
                    .expect("present above");
                tuning.children.push(child_name);
                tuning.slots[slot] = ends;
            }
            if let Some(tuning) = self.tuning_jobs().get(&name)
                && tuning.stop_requested.is_none()
                && tuning.children.len() < tuning.max_number
            {
                still_active.push(name);
            }
        }
        *self.active_tuning_jobs_mut() = still_active;
    }

    fn tuning_view(&self, tuning: &TuningJob, now: f64) -> TuningView {
        let mut view = TuningView {
            status: "InProgress",
            modified: tuning.created,
            ended: None,
            completed: 0,
            in_progress: 0,
            failed: 0,
            stopped: 0,
        };
        let mut last_end: f64 = tuning.created;
        let mut all_terminal = true;
        for child in tuning
            .children
            .iter()
            .filter_map(|name| self.training_jobs().get(name))
        {
            let shown = visible(&child.plan, now);
            let current = shown.last().expect("plan never empty");
            view.modified = view.modified.max(child.created);
            match current.status {
                "Completed" => view.completed += 1,
                "Failed" => view.failed += 1,
                "Stopped" => view.stopped += 1,
                _ => view.in_progress += 1,
            }
            match terminal_at(&child.plan) {
                Some(end) if end <= now => last_end = last_end.max(end),
                _ => all_terminal = false,
            }
        }
        if let Some(stop) = tuning.stop_requested {
            let done = if all_terminal {
                last_end.max(stop + self.settings.real(STOP_DELAY))
            } else {
                f64::INFINITY
            };
            if done <= now {
                view.status = "Stopped";
                view.ended = Some(done);
                view.modified = done;
            } else {
                view.status = "Stopping";
                view.modified = view.modified.max(stop);
            }
        } else if all_terminal && tuning.children.len() >= tuning.max_number {
            view.status = if view.completed == 0 {
                "Failed"
            } else {
                "Completed"
            };
            view.ended = Some(last_end);
            view.modified = last_end;
        }
        view
    }

    fn best_child(&self, tuning: &TuningJob, now: f64) -> Option<&TrainingJob> {
        tuning
            .children
            .iter()
            .filter_map(|name| self.training_jobs().get(name))
            .filter(|child| {
                visible(&child.plan, now)
                    .last()
                    .is_some_and(|step| step.status == "Completed")
            })
            .min_by(|a, b| {
                let (a, b) = (
                    metric_value(&a.name, &tuning.objective_metric),
                    metric_value(&b.name, &tuning.objective_metric),
                );
                if tuning.minimize {
                    a.total_cmp(&b)
                } else {
                    b.total_cmp(&a)
                }
            })
    }

    fn tuning_job(&self, body: &Value) -> Result<&TuningJob, ApiError> {
        let mut violations = Violations::new();
        let name = violations
            .tuning_name(
                body,
                "HyperParameterTuningJobName",
                "hyperParameterTuningJobName",
            )
            .unwrap_or_default();
        violations.finish()?;
        self.tuning_jobs()
            .get(&name)
            .ok_or_else(|| tuning_missing(&name))
    }

    pub fn describe_tuning_job(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let tuning = self.tuning_job(body)?;
        let view = self.tuning_view(tuning, now);
        let mut out = echoed_request(&tuning.request, &["Tags"]);
        out.insert("HyperParameterTuningJobArn".into(), json!(tuning.arn));
        out.insert("HyperParameterTuningJobStatus".into(), json!(view.status));
        out.insert("CreationTime".into(), time_value(tuning.created));
        if let Some(ended) = view.ended {
            out.insert("HyperParameterTuningEndTime".into(), time_value(ended));
        }
        out.insert("LastModifiedTime".into(), time_value(view.modified));
        out.insert(
            "TrainingJobStatusCounters".into(),
            json!({ "Completed": view.completed, "InProgress": view.in_progress, "RetryableError": 0, "NonRetryableError": view.failed, "Stopped": view.stopped }),
        );
        out.insert(
            "ObjectiveStatusCounters".into(),
            json!({ "Succeeded": view.completed, "Pending": view.in_progress, "Failed": view.failed + view.stopped }),
        );
        if view.status == "Failed" {
            let reason = tuning.child_failure_reason.clone().unwrap_or_else(|| "All training jobs failed. Please take a look at the training jobs' failure reasons.".to_string());
            out.insert("FailureReason".into(), json!(reason));
        }
        if let Some(best) = self.best_child(tuning, now) {
            out.insert(
                "BestTrainingJob".into(),
                Value::Object(child_summary(best, tuning, now)),
            );
        }
        Ok(Value::Object(out))
    }

    pub fn stop_tuning_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let tuning = self.tuning_job(body)?;
        let view = self.tuning_view(tuning, now);
        if view.status != "InProgress" {
            return Err(ApiError::validation(format!(
                "The hyperparameter tuning job {} is in status {} and cannot be stopped.",
                tuning.name, view.status
            )));
        }
        let name = tuning.name.clone();
        let children = tuning.children.clone();
        let delay = self.settings.real(STOP_DELAY);
        for child in children {
            if let Some(job) = self.training_jobs_mut().get_mut(&child) {
                let current = visible(&job.plan, now).last().expect("plan never empty");
                if !is_terminal_status(current.status) && current.status != "Stopping" {
                    stop_plan(&mut job.plan, now, delay);
                }
            }
        }
        if let Some(tuning) = self.tuning_jobs_mut().get_mut(&name) {
            tuning.stop_requested = Some(now);
        }
        self.active_tuning_jobs_mut()
            .retain(|active| active != &name);
        tracing::debug!(tuning = %name, "tuning job stopping with its children");
        Ok(json!({}))
    }

    pub fn list_tuning_jobs(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<(&TuningJob, TuningView)> = self
            .tuning_jobs()
            .values()
            .map(|tuning| (tuning, self.tuning_view(tuning, now)))
            .filter(|(tuning, view)| {
                filter.accepts(
                    &tuning.name,
                    Some(view.status),
                    tuning.created,
                    view.modified,
                )
            })
            .collect();
        match str_member(body, "SortBy").unwrap_or("CreationTime") {
            "Name" => rows.sort_by(|a, b| a.0.name.cmp(&b.0.name)),
            "Status" => {
                rows.sort_by(|a, b| a.1.status.cmp(b.1.status).then(a.0.name.cmp(&b.0.name)))
            }
            _ => rows.sort_by(|a, b| {
                a.0.created
                    .total_cmp(&b.0.created)
                    .then(a.0.name.cmp(&b.0.name))
            }),
        }
        if descending(body) {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|(tuning, view)| {
                let request: Value = serde_json::from_str(&tuning.request).unwrap_or(Value::Null);
                let mut item = json!({
                    "HyperParameterTuningJobName": tuning.name,
                    "HyperParameterTuningJobArn": tuning.arn,
                    "HyperParameterTuningJobStatus": view.status,
                    "Strategy": request.pointer("/HyperParameterTuningJobConfig/Strategy").cloned().unwrap_or(json!("Bayesian")),
                    "CreationTime": time_value(tuning.created),
                    "LastModifiedTime": time_value(view.modified),
                    "TrainingJobStatusCounters": { "Completed": view.completed, "InProgress": view.in_progress, "RetryableError": 0, "NonRetryableError": view.failed, "Stopped": view.stopped },
                    "ObjectiveStatusCounters": { "Succeeded": view.completed, "Pending": view.in_progress, "Failed": view.failed + view.stopped },
                });
                if let Some(limits) = request.pointer("/HyperParameterTuningJobConfig/ResourceLimits") {
                    item["ResourceLimits"] = limits.clone();
                }
                if let Some(ended) = view.ended {
                    item["HyperParameterTuningEndTime"] = time_value(ended);
                }
                item
            })
            .collect();
        let mut response = json!({ "HyperParameterTuningJobSummaries": items });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }

    pub fn list_training_jobs_for_tuning_job(
        &self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let tuning = self.tuning_job(body)?;
        let wanted = str_member(body, "StatusEquals");
        let mut rows: Vec<&TrainingJob> = tuning
            .children
            .iter()
            .filter_map(|name| self.training_jobs().get(name))
            .filter(|child| {
                wanted.is_none_or(|wanted| {
                    visible(&child.plan, now)
                        .last()
                        .is_some_and(|step| step.status == wanted)
                })
            })
            .collect();
        match str_member(body, "SortBy").unwrap_or("CreationTime") {
            "Name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            "Status" => rows.sort_by_key(|child| {
                visible(&child.plan, now)
                    .last()
                    .map(|step| step.status)
                    .unwrap_or("")
            }),
            "FinalObjectiveMetricValue" => rows.sort_by(|a, b| {
                metric_value(&a.name, &tuning.objective_metric)
                    .total_cmp(&metric_value(&b.name, &tuning.objective_metric))
            }),
            _ => rows.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.name.cmp(&b.name))),
        }
        if descending(body) {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|child| Value::Object(child_summary(child, tuning, now)))
            .collect();
        let mut response = json!({ "TrainingJobSummaries": items });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }
}

fn child_summary(child: &TrainingJob, tuning: &TuningJob, now: f64) -> Map<String, Value> {
    let shown = visible(&child.plan, now);
    let current = shown.last().expect("plan never empty");
    let mut out = Map::new();
    out.insert("TrainingJobName".into(), json!(child.name));
    out.insert("TrainingJobArn".into(), json!(child.arn));
    out.insert("TuningJobName".into(), json!(tuning.name));
    out.insert("CreationTime".into(), time_value(child.created));
    if let Some(start) = shown
        .iter()
        .find(|step| step.secondary == "Downloading" || step.secondary == "Training")
    {
        out.insert("TrainingStartTime".into(), time_value(start.at));
    }
    if is_terminal_status(current.status) {
        out.insert("TrainingEndTime".into(), time_value(current.at));
    }
    out.insert("TrainingJobStatus".into(), json!(current.status));
    if let Some(definition) = &child.tuning_definition_name {
        out.insert("TrainingJobDefinitionName".into(), json!(definition));
    }
    let tuned: Map<String, Value> = child
        .tuned_hyperparameters
        .iter()
        .flatten()
        .map(|(key, value)| (key.clone(), json!(value)))
        .collect();
    out.insert("TunedHyperParameters".into(), Value::Object(tuned));
    match current.status {
        "Completed" => {
            out.insert(
                "FinalHyperParameterTuningJobObjectiveMetric".into(),
                json!({
                    "Type": if tuning.minimize { "Minimize" } else { "Maximize" },
                    "MetricName": tuning.objective_metric,
                    "Value": metric_value(&child.name, &tuning.objective_metric),
                }),
            );
            out.insert("ObjectiveStatus".into(), json!("Succeeded"));
        }
        "Failed" | "Stopped" => {
            out.insert("ObjectiveStatus".into(), json!("Failed"));
            if let Some(reason) = child
                .failure_reason
                .as_ref()
                .filter(|_| current.status == "Failed")
            {
                out.insert("FailureReason".into(), json!(reason));
            }
        }
        _ => {
            out.insert("ObjectiveStatus".into(), json!("Pending"));
        }
    }
    out
}

/// One random value from each range, as SageMaker's Random strategy picks them.
fn choose_hyperparameters(ranges: &Value, rng: &mut impl Rng) -> Vec<(String, String)> {
    let mut tuned: Vec<(String, String)> = Vec::new();
    for range in ranges
        .get("IntegerParameterRanges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(key), Some(min), Some(max)) = (
            str_member(range, "Name"),
            number(range, "MinValue"),
            number(range, "MaxValue"),
        ) else {
            continue;
        };
        let (low, high) = (min.min(max).round() as i64, min.max(max).round() as i64);
        tuned.push((key.to_string(), rng.random_range(low..=high).to_string()));
    }
    for range in ranges
        .get("ContinuousParameterRanges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(key), Some(min), Some(max)) = (
            str_member(range, "Name"),
            number(range, "MinValue"),
            number(range, "MaxValue"),
        ) else {
            continue;
        };
        let (low, high) = (min.min(max), min.max(max));
        let value = if str_member(range, "ScalingType") == Some("Logarithmic") && low > 0.0 {
            (low.ln() + rng.random::<f64>() * (high.ln() - low.ln())).exp()
        } else {
            low + rng.random::<f64>() * (high - low)
        };
        tuned.push((key.to_string(), format!("{value:.6}")));
    }
    for range in ranges
        .get("CategoricalParameterRanges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = str_member(range, "Name") else {
            continue;
        };
        let values: Vec<&str> = range
            .get("Values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !values.is_empty() {
            // SageMaker passes categorical values to the algorithm JSON-quoted.
            tuned.push((
                key.to_string(),
                format!("\"{}\"", values[rng.random_range(0..values.len())]),
            ));
        }
    }
    tuned
}

/// The CreateTrainingJob request of a child: the definition's members, its static
/// hyperparameters and the tuned ones.
fn child_request(name: &str, definition: &Value, tuned: &[(String, String)]) -> Map<String, Value> {
    let mut child = Map::new();
    child.insert("TrainingJobName".into(), json!(name));
    for member in [
        "AlgorithmSpecification",
        "RoleArn",
        "InputDataConfig",
        "VpcConfig",
        "OutputDataConfig",
        "ResourceConfig",
        "StoppingCondition",
        "EnableNetworkIsolation",
        "EnableInterContainerTrafficEncryption",
        "EnableManagedSpotTraining",
        "CheckpointConfig",
    ] {
        if let Some(value) = definition.get(member) {
            child.insert(member.into(), value.clone());
        }
    }
    if !child.contains_key("ResourceConfig")
        && let Some(resources) = definition.get("HyperParameterTuningResourceConfig")
    {
        // The first instance configuration stands for the whole choice.
        let chosen = resources.pointer("/InstanceConfigs/0").unwrap_or(resources);
        let mut config = Map::new();
        for member in ["InstanceType", "InstanceCount", "VolumeSizeInGB"] {
            if let Some(value) = chosen.get(member).or_else(|| resources.get(member)) {
                config.insert(member.into(), value.clone());
            }
        }
        child.insert("ResourceConfig".into(), Value::Object(config));
    }
    let mut hyperparameters: Map<String, Value> = definition
        .get("StaticHyperParameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (key, value) in tuned {
        hyperparameters.insert(key.clone(), json!(value));
    }
    child.insert("HyperParameters".into(), Value::Object(hyperparameters));
    child
}

/// The next child of a tuning job: its name, hyperparameters sampled from the ranges, and the
/// training request built from the tuning job's training job definition.
fn child_spec(tuning: &TuningJob) -> TrainingSpec {
    let mut rng = rand::rng();
    let index = tuning.children.len() + 1;
    let name = format!("{}-{index:03}-{:08x}", tuning.name, rng.random::<u32>());
    let request: Value = serde_json::from_str(&tuning.request).unwrap_or(Value::Null);
    // Several definitions take turns; each may bring its own ranges.
    let definition = match request
        .get("TrainingJobDefinitions")
        .and_then(Value::as_array)
    {
        Some(list) if !list.is_empty() => list[(index - 1) % list.len()].clone(),
        _ => request
            .get("TrainingJobDefinition")
            .cloned()
            .unwrap_or(json!({})),
    };
    let ranges = definition
        .get("HyperParameterRanges")
        .or_else(|| request.pointer("/HyperParameterTuningJobConfig/ParameterRanges"))
        .cloned()
        .unwrap_or(Value::Null);
    let tuned = choose_hyperparameters(&ranges, &mut rng);
    let child = child_request(&name, &definition, &tuned);
    TrainingSpec {
        name,
        request: Value::Object(child),
        outcome: tuning.child_outcome,
        duration: tuning.child_duration,
        failure_reason: tuning.child_failure_reason.clone(),
        rule_outcomes: Vec::new(),
        tuning_job: Some((tuning.name.clone(), tuning.arn.clone())),
        tuned_hyperparameters: Some(tuned),
        objective_metric: Some(tuning.objective_metric.clone()),
        tuning_definition_name: str_member(&definition, "DefinitionName").map(str::to_string),
    }
}

fn definitions_carry_objectives(body: &Value) -> bool {
    body.get("TrainingJobDefinitions")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            !list.is_empty() && list.iter().all(|d| d.get("TuningObjective").is_some())
        })
}

/// Range bounds are strings in the API ("0.1"); numbers are accepted too.
fn number(range: &Value, member: &str) -> Option<f64> {
    match range.get(member)? {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => number.as_f64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{Registry, Settings};

    fn world() -> World {
        let kinds = vec![crate::training::kind(), kind(), crate::logs::kind()];
        World::new(
            Settings {
                region: "us-east-1".into(),
                time_scale: 1.0,
                default_outcome: Outcome::Completed,
                default_duration: 10.0,
                endpoint_duration: 5.0,
            },
            std::sync::Arc::new(Registry::new(kinds)),
        )
    }

    fn request(number: u32, parallel: u32) -> Value {
        json!({
            "HyperParameterTuningJobName": "hpo",
            "HyperParameterTuningJobConfig": {
                "Strategy": "Random",
                "HyperParameterTuningJobObjective": { "Type": "Minimize", "MetricName": "loss" },
                "ResourceLimits": { "MaxNumberOfTrainingJobs": number, "MaxParallelTrainingJobs": parallel }
            },
            "TrainingJobDefinition": {
                "AlgorithmSpecification": { "TrainingImage": "img", "TrainingInputMode": "File" },
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "OutputDataConfig": { "S3OutputPath": "s3://b/o" },
                "ResourceConfig": { "InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5 },
                "StoppingCondition": { "MaxRuntimeInSeconds": 100 }
            }
        })
    }

    /// Launch instants are computed from the clock, whenever the state is looked at: observing
    /// the job once at the end gives the same schedule as watching it continuously.
    #[test]
    fn children_fill_slots_as_they_free_even_when_observed_late() {
        let mut lazy = world();
        lazy.create_tuning_job(request(5, 2), 1000.0).unwrap();
        lazy.advance(1000.0 + 1000.0);
        let mut watched = world();
        watched.create_tuning_job(request(5, 2), 1000.0).unwrap();
        let mut now = 1000.0;
        while now < 2000.0 {
            now += 0.5;
            watched.advance(now);
        }
        for world in [&lazy, &watched] {
            let tuning = &world.tuning_jobs()["hpo"];
            let mut starts: Vec<f64> = tuning
                .children
                .iter()
                .map(|name| world.training_jobs()[name].created)
                .collect();
            starts.sort_by(f64::total_cmp);
            // Two start after the 1 s launch delay, then pairs every 10 s as both slots free.
            assert_eq!(starts, vec![1001.0, 1001.0, 1011.0, 1011.0, 1021.0]);
            assert!(
                world.active_tuning_jobs().is_empty(),
                "nothing left to launch"
            );
            let view = world.tuning_view(tuning, 2000.0);
            assert_eq!(
                (view.status, view.completed, view.ended),
                ("Completed", 5, Some(1031.0))
            );
        }
    }

    #[test]
    fn stopping_freezes_launches() {
        let mut world = world();
        world.create_tuning_job(request(10, 3), 0.0).unwrap();
        world.advance(5.0);
        world
            .stop_tuning_job(&json!({ "HyperParameterTuningJobName": "hpo" }), 5.0)
            .unwrap();
        world.advance(500.0);
        let tuning = &world.tuning_jobs()["hpo"];
        assert_eq!(tuning.children.len(), 3);
        let view = world.tuning_view(tuning, 500.0);
        assert_eq!((view.status, view.stopped), ("Stopped", 3));
    }
}
