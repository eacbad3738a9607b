//! Training jobs: validation, the lifecycle plan, Describe/List views and the log lines a job
//! writes while it runs.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::logs::{LogProducer, Production};
use crate::rules::RuledJob;
use crate::validate::{Violations, member_path};
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, Outcome, Service, Settings, Step, World, descending, echoed_request,
    is_terminal_status, paginate, reserved_tags, sorted_names, str_member, terminal_at, time_value,
    unit_hash, visible,
};

const DEFAULT_MAX_RUNTIME: f64 = 86400.0;
/// Emulated seconds between Stopping and Stopped (SageMaker takes tens of seconds to stop).
pub const STOP_DELAY: f64 = 30.0;
const LOG_GROUP: &str = "/aws/sagemaker/TrainingJobs";

/// The training jobs of one region, by name.
pub type TrainingJobs = HashMap<String, TrainingJob>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<TrainingJobs>("training job");
    kind.resources =
        Some(|world| vec![("trainingJobs", sorted_names(world.training_jobs().keys()))]);
    kind.owns_arn = Some(|world, arn| world.training_jobs().values().any(|job| job.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateTrainingJob", |world, body, now| {
                world.create_training_job(body, now)
            }),
            ("DescribeTrainingJob", |world, body, now| {
                world.describe_training_job(&body, now)
            }),
            ("StopTrainingJob", |world, body, now| {
                world.stop_training_job(&body, now)
            }),
            ("ListTrainingJobs", |world, body, now| {
                world.list_training_jobs(&body, now)
            }),
        ],
    )
}

pub struct TrainingJob {
    pub name: String,
    pub arn: String,
    /// The Create request as received; Describe echoes it. Kept as text because a parsed JSON
    /// tree costs several times the memory.
    pub request: Box<str>,
    pub created: f64,
    pub plan: Vec<Step>,
    pub failure_reason: Option<String>,
    pub instance_count: u32,
    pub tuning_job_arn: Option<String>,
    /// Hyperparameters chosen by the tuning job that launched this job.
    pub tuned_hyperparameters: Option<Vec<(String, String)>>,
    /// The tuning objective's metric, reported even when the definitions do not name it.
    pub objective_metric: Option<String>,
    /// `DefinitionName` of the tuning job's training job definition this child was made from.
    pub tuning_definition_name: Option<String>,
    /// Real seconds between two "epoch" log lines while Training.
    pub epoch_interval: f64,
    /// Debugger/Profiler rule outcomes chosen by `emulator:rule-outcome` tags (usually empty).
    pub rule_outcomes: Vec<(String, String)>,
}

/// What a Create request turns into before it is stored.
pub struct TrainingSpec {
    pub name: String,
    pub request: Value,
    pub outcome: Outcome,
    pub duration: f64,
    pub failure_reason: Option<String>,
    pub rule_outcomes: Vec<(String, String)>,
    pub tuning_job: Option<(String, String)>,
    pub tuned_hyperparameters: Option<Vec<(String, String)>>,
    pub objective_metric: Option<String>,
    pub tuning_definition_name: Option<String>,
}

/// The member path of `parts` inside the request, under `prefix` (a tuning job's definition).
fn prefixed(prefix: &[&str], parts: &[&str]) -> String {
    let mut all: Vec<&str> = prefix.to_vec();
    all.extend_from_slice(parts);
    member_path(&all)
}

/// A training job definition, alone (CreateTrainingJob) or inside a tuning job (`prefix`).
pub fn validate_training_definition(body: &Value, violations: &mut Violations, prefix: &[&str]) {
    let path = |parts: &[&str]| prefixed(prefix, parts);
    validate_algorithm(body, violations, prefix);
    violations.role_arn(body, "RoleArn", &path(&["RoleArn"]), true);
    validate_channels(body, violations, prefix);
    if let Some(output) =
        violations.required(body, "OutputDataConfig", &path(&["OutputDataConfig"]))
        && let Some(uri) = violations.required(
            output,
            "S3OutputPath",
            &path(&["OutputDataConfig", "S3OutputPath"]),
        )
    {
        violations.s3_uri(uri, &path(&["OutputDataConfig", "S3OutputPath"]));
    }
    validate_resources(body, violations, prefix);
    if let Some(stopping) =
        violations.required(body, "StoppingCondition", &path(&["StoppingCondition"]))
    {
        if let Some(max) = stopping.get("MaxRuntimeInSeconds") {
            violations.range(
                max,
                &path(&["StoppingCondition", "MaxRuntimeInSeconds"]),
                Some(1),
                None,
            );
        }
        if let Some(max) = stopping.get("MaxWaitTimeInSeconds") {
            violations.range(
                max,
                &path(&["StoppingCondition", "MaxWaitTimeInSeconds"]),
                Some(1),
                None,
            );
        }
    }
}

/// AlgorithmSpecification: an image or algorithm, the input mode, metric definitions.
fn validate_algorithm(body: &Value, violations: &mut Violations, prefix: &[&str]) {
    let path = |parts: &[&str]| prefixed(prefix, parts);
    if let Some(algorithm) = violations.required(
        body,
        "AlgorithmSpecification",
        &path(&["AlgorithmSpecification"]),
    ) {
        if let Some(image) = algorithm.get("TrainingImage") {
            violations.image(image, &path(&["AlgorithmSpecification", "TrainingImage"]));
        }
        if algorithm.get("TrainingImage").is_none() && algorithm.get("AlgorithmName").is_none() {
            violations.push(
                &Value::Null,
                &path(&["AlgorithmSpecification", "TrainingImage"]),
                "Member must not be null",
            );
        }
        if let Some(mode) = violations.required(
            algorithm,
            "TrainingInputMode",
            &path(&["AlgorithmSpecification", "TrainingInputMode"]),
        ) {
            violations.enum_value(
                mode,
                &path(&["AlgorithmSpecification", "TrainingInputMode"]),
                &["Pipe", "File", "FastFile"],
            );
        }
        for (index, metric) in algorithm
            .get("MetricDefinitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let member = format!(
                "{}.{}.member",
                path(&["AlgorithmSpecification", "MetricDefinitions"]),
                index + 1
            );
            if let Some(name) = violations.required(metric, "Name", &format!("{member}.name")) {
                violations.length(name, &format!("{member}.name"), 1, 255);
            }
            if let Some(regex) = violations.required(metric, "Regex", &format!("{member}.regex")) {
                violations.length(regex, &format!("{member}.regex"), 1, 500);
            }
        }
    }
}

/// InputDataConfig: each channel's name, S3 source and modes.
fn validate_channels(body: &Value, violations: &mut Violations, prefix: &[&str]) {
    let path = |parts: &[&str]| prefixed(prefix, parts);
    for (index, channel) in body
        .get("InputDataConfig")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let member = format!("{}.{}.member", path(&["InputDataConfig"]), index + 1);
        if let Some(name) =
            violations.required(channel, "ChannelName", &format!("{member}.channelName"))
        {
            violations.length(name, &format!("{member}.channelName"), 1, 64);
        }
        if let Some(source) =
            violations.required(channel, "DataSource", &format!("{member}.dataSource"))
            && let Some(s3) = source.get("S3DataSource")
        {
            let s3_path = format!("{member}.dataSource.s3DataSource");
            if let Some(kind) =
                violations.required(s3, "S3DataType", &format!("{s3_path}.s3DataType"))
            {
                violations.enum_value(
                    kind,
                    &format!("{s3_path}.s3DataType"),
                    &[
                        "ManifestFile",
                        "S3Prefix",
                        "AugmentedManifestFile",
                        "Converse",
                    ],
                );
            }
            if let Some(uri) = violations.required(s3, "S3Uri", &format!("{s3_path}.s3Uri")) {
                violations.s3_uri(uri, &format!("{s3_path}.s3Uri"));
            }
            violations.optional_enum(
                s3,
                "S3DataDistributionType",
                &format!("{s3_path}.s3DataDistributionType"),
                &["FullyReplicated", "ShardedByS3Key"],
            );
        }
        violations.optional_enum(
            channel,
            "CompressionType",
            &format!("{member}.compressionType"),
            &["None", "Gzip"],
        );
        violations.optional_enum(
            channel,
            "RecordWrapperType",
            &format!("{member}.recordWrapperType"),
            &["None", "RecordIO"],
        );
        violations.optional_enum(
            channel,
            "InputMode",
            &format!("{member}.inputMode"),
            &["Pipe", "File", "FastFile"],
        );
    }
}

/// ResourceConfig (optional in a tuning definition that sizes with its own config).
fn validate_resources(body: &Value, violations: &mut Violations, prefix: &[&str]) {
    let path = |parts: &[&str]| prefixed(prefix, parts);
    // A tuning job's definition may size its instances with HyperParameterTuningResourceConfig
    // instead of ResourceConfig.
    let tuning_resources =
        !prefix.is_empty() && body.get("HyperParameterTuningResourceConfig").is_some();
    let resources = if tuning_resources {
        body.get("ResourceConfig")
    } else {
        violations.required(body, "ResourceConfig", &path(&["ResourceConfig"]))
    };
    if let Some(resources) = resources {
        if let Some(kind) = resources.get("InstanceType") {
            violations.instance_type(kind, &path(&["ResourceConfig", "InstanceType"]));
        }
        if let Some(count) = resources.get("InstanceCount") {
            violations.range(
                count,
                &path(&["ResourceConfig", "InstanceCount"]),
                Some(0),
                None,
            );
        }
        if let Some(size) = violations.required(
            resources,
            "VolumeSizeInGB",
            &path(&["ResourceConfig", "VolumeSizeInGB"]),
        ) {
            violations.range(
                size,
                &path(&["ResourceConfig", "VolumeSizeInGB"]),
                Some(0),
                None,
            );
        }
    }
}

fn validate_hyperparameters(body: &Value, member: &str, violations: &mut Violations) {
    if let Some(map) = body.get(member).and_then(Value::as_object) {
        if map.len() > 100 {
            violations.push(
                &Value::String(format!("{} entries", map.len())),
                &member_path(&[member]),
                "Member must have length less than or equal to 100",
            );
        }
        for (key, value) in map {
            if key.chars().count() > 256 {
                violations.push(
                    &Value::String(key.clone()),
                    &format!("{}.key", member_path(&[member])),
                    "Member must have length less than or equal to 256",
                );
            }
            violations.length(value, &format!("{}.value", member_path(&[member])), 0, 2500);
        }
    }
}

/// The lifecycle of a training job created at `created`, and its failure reason if it fails.
fn training_plan(
    settings: &Settings,
    spec: &TrainingSpec,
    created: f64,
) -> (Vec<Step>, Option<String>) {
    let max_runtime = spec
        .request
        .pointer("/StoppingCondition/MaxRuntimeInSeconds")
        .and_then(Value::as_f64)
        .unwrap_or(DEFAULT_MAX_RUNTIME);
    let duration = spec.duration;
    let at = |fraction: f64| created + settings.real(duration * fraction);
    let mut plan = vec![
        Step {
            at: created,
            status: "InProgress",
            secondary: "Starting",
            message: "Preparing the instances for training",
        },
        Step {
            at: at(0.2),
            status: "InProgress",
            secondary: "Downloading",
            message: "Downloading input data",
        },
        Step {
            at: at(0.4),
            status: "InProgress",
            secondary: "Training",
            message: "Training image download completed. Training in progress.",
        },
    ];
    let mut failure_reason = None;
    let runtime_exceeded = spec.outcome == Outcome::MaxRuntimeExceeded || duration > max_runtime;
    if runtime_exceeded {
        // The limit cuts the job off: at MaxRuntimeInSeconds, or at the requested duration when
        // the outcome was forced by tag (so tests need not wait a day).
        let end_emulated = if duration > max_runtime {
            max_runtime
        } else {
            duration
        };
        let end = created + settings.real(end_emulated);
        plan.retain(|step| step.at < end || step.secondary == "Starting");
        plan.push(Step {
            at: end,
            status: "Stopped",
            secondary: "MaxRuntimeExceeded",
            message: "Training job stopped: MaxRuntimeInSeconds exceeded",
        });
    } else if spec.outcome == Outcome::Failed {
        plan.push(Step {
            at: at(1.0),
            status: "Failed",
            secondary: "Failed",
            message: "Training job failed",
        });
        failure_reason = Some(spec.failure_reason.clone().unwrap_or_else(|| {
            "AlgorithmError: the emulated algorithm exited with a non-zero code (requested by the emulator:outcome tag or --default-outcome)".to_string()
        }));
    } else {
        plan.push(Step {
            at: at(0.85),
            status: "InProgress",
            secondary: "Uploading",
            message: "Uploading generated training model",
        });
        plan.push(Step {
            at: at(1.0),
            status: "Completed",
            secondary: "Completed",
            message: "Training job completed",
        });
    }
    (plan, failure_reason)
}

impl World {
    pub fn training_jobs(&self) -> &TrainingJobs {
        self.state()
    }

    pub fn training_jobs_mut(&mut self) -> &mut TrainingJobs {
        self.state_mut()
    }

    pub fn create_training_job(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        let mut violations = Violations::new();
        let name = violations.resource_name(&body, "TrainingJobName", "trainingJobName");
        validate_training_definition(&body, &mut violations, &[]);
        validate_hyperparameters(&body, "HyperParameters", &mut violations);
        crate::rules::validate_rules(&body, &mut violations);
        violations.tags(body.get("Tags"), "tags");
        violations.finish()?;
        let rule_outcomes = crate::rules::rule_outcomes(body.get("Tags"))?;
        let name = name.unwrap_or_default();
        let reserved = reserved_tags(
            body.get("Tags"),
            &["Completed", "Failed", "MaxRuntimeExceeded"],
        )?;
        if let Some(existing) = self.training_jobs().get(&name) {
            return Err(ApiError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Training job names must be unique within an AWS account and region, and a training job with this name already exists ({})",
                    existing.arn
                ),
            ));
        }
        let outcome = reserved
            .outcome
            .as_deref()
            .and_then(Outcome::parse)
            .unwrap_or(self.settings.default_outcome);
        let spec = TrainingSpec {
            name,
            outcome,
            duration: reserved.duration.unwrap_or(self.settings.default_duration),
            failure_reason: reserved.failure_reason,
            rule_outcomes,
            request: body,
            tuning_job: None,
            tuned_hyperparameters: None,
            objective_metric: None,
            tuning_definition_name: None,
        };
        let arn = self.insert_training_job(spec, now);
        Ok(json!({ "TrainingJobArn": arn }))
    }

    /// Stores a validated job whose life starts at `created` (tuning jobs launch children at the
    /// instant a slot freed, which may lie slightly in the past of the request that notices it).
    pub fn insert_training_job(&mut self, spec: TrainingSpec, created: f64) -> String {
        let settings = &self.settings;
        let arn = settings.arn("training-job", &spec.name);
        let (plan, failure_reason) = training_plan(settings, &spec, created);
        let duration = spec.duration;
        let instance_count = spec
            .request
            .pointer("/ResourceConfig/InstanceCount")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, 64) as u32;
        let tags = spec.request.get("Tags").cloned();
        let job = TrainingJob {
            name: spec.name.clone(),
            arn: arn.clone(),
            request: spec.request.to_string().into_boxed_str(),
            created,
            plan,
            failure_reason,
            instance_count,
            tuning_job_arn: spec.tuning_job.map(|(_, arn)| arn),
            tuned_hyperparameters: spec.tuned_hyperparameters,
            objective_metric: spec.objective_metric,
            tuning_definition_name: spec.tuning_definition_name,
            epoch_interval: settings.real(duration * 0.045).max(0.001),
            rule_outcomes: spec.rule_outcomes,
        };
        tracing::debug!(job = %job.name, created, terminal = ?terminal_at(&job.plan), "training job created");
        self.training_jobs_mut().insert(spec.name.clone(), job);
        self.store_tags(&arn, tags.as_ref());
        self.state_mut::<crate::logs::LogStore>()
            .producers
            .push(LogProducer {
                group: LOG_GROUP,
                job: spec.name,
                written_until: created,
                produce: produce_logs,
            });
        arn
    }

    fn training_job(&self, body: &Value) -> Result<&TrainingJob, ApiError> {
        let mut violations = Violations::new();
        let name = violations.resource_name(body, "TrainingJobName", "trainingJobName");
        violations.finish()?;
        self.training_jobs()
            .get(name.as_deref().unwrap_or(""))
            .ok_or_else(|| ApiError::validation("Requested resource not found."))
    }

    pub fn describe_training_job(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let job = self.training_job(body)?;
        Ok(Value::Object(describe_training(job, &self.settings, now)))
    }

    pub fn stop_training_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = self.training_job(body)?.name.clone();
        let delay = self.settings.real(STOP_DELAY);
        let job = self
            .training_jobs_mut()
            .get_mut(&name)
            .expect("checked above");
        let current = visible(&job.plan, now).last().expect("plan never empty");
        if is_terminal_status(current.status) || current.status == "Stopping" {
            return Err(ApiError::validation(format!(
                "The training job {} is in status {} and cannot be stopped.",
                job.name, current.status
            )));
        }
        stop_plan(&mut job.plan, now, delay);
        tracing::debug!(job = %name, "training job stopping");
        Ok(json!({}))
    }

    pub fn list_training_jobs(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<(&TrainingJob, &Step, f64)> = self
            .training_jobs()
            .values()
            .filter_map(|job| {
                let shown = visible(&job.plan, now);
                let current = shown.last()?;
                let modified = current.at;
                filter
                    .accepts(&job.name, Some(current.status), job.created, modified)
                    .then_some((job, current, modified))
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
        let summaries: Vec<Value> = page
            .into_iter()
            .map(|(job, current, modified)| {
                let mut summary = Map::new();
                summary.insert("TrainingJobName".into(), json!(job.name));
                summary.insert("TrainingJobArn".into(), json!(job.arn));
                summary.insert("CreationTime".into(), time_value(job.created));
                if is_terminal_status(current.status) {
                    summary.insert("TrainingEndTime".into(), time_value(current.at));
                }
                summary.insert("LastModifiedTime".into(), time_value(modified));
                summary.insert("TrainingJobStatus".into(), json!(current.status));
                summary.insert("SecondaryStatus".into(), json!(current.secondary));
                Value::Object(summary)
            })
            .collect();
        let mut response = json!({ "TrainingJobSummaries": summaries });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }
}

/// Replaces the future of a running plan with Stopping now and Stopped after `delay`.
pub fn stop_plan(plan: &mut Vec<Step>, now: f64, delay: f64) {
    crate::world::stop_steps(
        plan,
        now,
        delay,
        ["Stopping the training job", "Training job stopped"],
    );
}

/// Final value of a metric: deterministic per job and metric, so tests can predict the best job.
pub fn metric_value(job: &str, metric: &str) -> f64 {
    let value = 0.05 + 0.9 * unit_hash(&format!("{job}/{metric}"));
    (value * 1_000_000.0).round() / 1_000_000.0
}

pub fn metric_names(request: &Value) -> Vec<String> {
    request
        .pointer("/AlgorithmSpecification/MetricDefinitions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|metric| metric.get("Name")?.as_str().map(str::to_string))
        .collect()
}

pub fn describe_training(job: &TrainingJob, settings: &Settings, now: f64) -> Map<String, Value> {
    let mut out = echoed_request(&job.request, &["TrainingJobName", "Tags"]);
    let shown = visible(&job.plan, now);
    let current = shown.last().expect("plan never empty");
    out.insert("TrainingJobName".into(), json!(job.name));
    out.insert("TrainingJobArn".into(), json!(job.arn));
    if let Some(tuning) = &job.tuning_job_arn {
        out.insert("TuningJobArn".into(), json!(tuning));
    }
    out.insert("TrainingJobStatus".into(), json!(current.status));
    out.insert("SecondaryStatus".into(), json!(current.secondary));
    if current.status == "Failed"
        && let Some(reason) = &job.failure_reason
    {
        out.insert("FailureReason".into(), json!(reason));
    }
    out.entry("StoppingCondition")
        .or_insert_with(|| json!({ "MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME as i64 }));
    fill_training_defaults(&mut out);
    out.entry("EnableNetworkIsolation").or_insert(json!(false));
    out.entry("EnableInterContainerTrafficEncryption")
        .or_insert(json!(false));
    out.entry("EnableManagedSpotTraining")
        .or_insert(json!(false));
    out.insert("CreationTime".into(), time_value(job.created));
    if let Some(start) = shown
        .iter()
        .find(|step| step.secondary == "Downloading" || step.secondary == "Training")
    {
        out.insert("TrainingStartTime".into(), time_value(start.at));
    }
    out.insert("LastModifiedTime".into(), time_value(current.at));
    let transitions: Vec<Value> = shown
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let mut transition = json!({ "Status": step.secondary, "StartTime": time_value(step.at), "StatusMessage": step.message });
            if let Some(next) = shown.get(index + 1) {
                transition["EndTime"] = time_value(next.at);
            } else if is_terminal_status(step.status) {
                transition["EndTime"] = time_value(step.at);
            }
            transition
        })
        .collect();
    out.insert(
        "SecondaryStatusTransitions".into(),
        Value::Array(transitions),
    );
    if is_terminal_status(current.status) {
        out.insert("TrainingEndTime".into(), time_value(current.at));
        let seconds = ((current.at - job.created) / settings.time_scale)
            .round()
            .max(1.0) as i64;
        out.insert("TrainingTimeInSeconds".into(), json!(seconds));
        out.insert("BillableTimeInSeconds".into(), json!(seconds));
    }
    // ModelArtifacts is a required member of the response: its location is known from the start.
    let output = job_output_path(&job.request);
    out.insert("ModelArtifacts".into(), json!({ "S3ModelArtifacts": format!("{}/{}/output/model.tar.gz", output.trim_end_matches('/'), job.name) }));
    if current.status == "Completed" {
        let request: Value = serde_json::from_str(&job.request).unwrap_or(Value::Null);
        let mut names = metric_names(&request);
        if let Some(objective) = &job.objective_metric
            && !names.iter().any(|name| name == objective)
        {
            names.push(objective.clone());
        }
        let metrics: Vec<Value> = names
            .iter()
            .map(|name| json!({ "MetricName": name, "Value": metric_value(&job.name, name), "Timestamp": time_value(current.at) }))
            .collect();
        if !metrics.is_empty() {
            out.insert("FinalMetricDataList".into(), Value::Array(metrics));
        }
    }
    let ruled = RuledJob {
        name: &job.name,
        created: job.created,
        plan: &job.plan,
        rule_outcomes: &job.rule_outcomes,
    };
    crate::rules::add_rule_statuses(&mut out, &ruled, settings, shown, now);
    out
}

/// What SageMaker reports for members the Create request left out (API reference defaults):
/// model output is gzipped, channels are uncompressed, unwrapped and fully replicated, metrics
/// time series are off. RetryStrategy, CheckpointConfig and the like stay absent.
fn fill_training_defaults(out: &mut Map<String, Value>) {
    if let Some(Value::Object(output)) = out.get_mut("OutputDataConfig") {
        output.entry("CompressionType").or_insert(json!("GZIP"));
    }
    if let Some(Value::Object(algorithm)) = out.get_mut("AlgorithmSpecification") {
        algorithm
            .entry("EnableSageMakerMetricsTimeSeries")
            .or_insert(json!(false));
    }
    for channel in out
        .get_mut("InputDataConfig")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Value::Object(channel) = channel else {
            continue;
        };
        channel.entry("CompressionType").or_insert(json!("None"));
        channel.entry("RecordWrapperType").or_insert(json!("None"));
        if let Some(Value::Object(s3)) = channel
            .get_mut("DataSource")
            .and_then(|source| source.get_mut("S3DataSource"))
        {
            s3.entry("S3DataDistributionType")
                .or_insert(json!("FullyReplicated"));
        }
    }
}

fn job_output_path(raw: &str) -> String {
    serde_json::from_str::<Value>(raw)
        .ok()
        .and_then(|request| {
            request
                .pointer("/OutputDataConfig/S3OutputPath")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// The log lines instance `instance` (1-based) of a job writes, with their real timestamps in
/// milliseconds. Instances write at the same instants plus `instance` ms, so their streams
/// interleave in time. Lines after a stop do not exist because the plan no longer has them.
pub fn training_log_lines(job: &TrainingJob, instance: u32) -> Vec<(i64, String)> {
    let mut lines = Vec::new();
    let offset = i64::from(instance);
    let ms = |at: f64| (at * 1000.0).round() as i64 + offset;
    let request: Value = serde_json::from_str(&job.request).unwrap_or(Value::Null);
    let metrics = metric_names(&request);
    for (index, step) in job.plan.iter().enumerate() {
        if step.secondary == "Starting" {
            continue;
        }
        lines.push((
            ms(step.at),
            format!("[algo-{instance}] {}: {}", step.secondary, step.message),
        ));
        if step.secondary == "Training" {
            let end = job
                .plan
                .get(index + 1)
                .map(|next| next.at)
                .unwrap_or(step.at);
            let mut epoch = 0u32;
            let mut at = step.at + job.epoch_interval;
            while at < end {
                epoch += 1;
                let progress = f64::from(epoch);
                let error = 0.5 / (1.0 + progress)
                    + 0.01 * unit_hash(&format!("{}/{instance}/{epoch}", job.name));
                lines.push((
                    ms(at),
                    format!(
                        "[{epoch}]#011train-error:{error:.5}#011validation-error:{:.5}",
                        error * 1.1
                    ),
                ));
                at += job.epoch_interval;
            }
            if job
                .plan
                .get(index + 1)
                .is_some_and(|next| next.secondary == "Uploading")
            {
                for metric in &metrics {
                    lines.push((
                        ms(end) - 1,
                        format!("#metric {metric}={}", metric_value(&job.name, metric)),
                    ));
                }
            }
        }
    }
    lines
}

/// The instant the per-instance streams are created: when the job starts downloading.
pub fn stream_start(job: &TrainingJob) -> Option<f64> {
    job.plan
        .iter()
        .find(|step| step.secondary != "Starting")
        .map(|step| step.at)
}

/// The log lines of training job `name` as of `now`: one stream per instance, created when the
/// job starts downloading.
fn produce_logs(world: &World, name: &str, now: f64) -> Production {
    let Some(job) = world.training_jobs().get(name) else {
        return Production::Wait { finished: true };
    };
    let Some(start) = stream_start(job) else {
        return Production::Wait { finished: false };
    };
    if start > now {
        return Production::Wait { finished: false };
    }
    let mut lines = Vec::new();
    for instance in 1..=job.instance_count {
        let stream = format!("{}/algo-{instance}-{}", job.name, start.floor() as i64);
        for (timestamp, message) in training_log_lines(job, instance) {
            lines.push((stream.clone(), (start * 1000.0) as i64, timestamp, message));
        }
    }
    Production::Write {
        lines,
        finished: terminal_at(&job.plan).is_some_and(|end| end <= now),
    }
}
