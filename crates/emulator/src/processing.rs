//! Processing jobs: InProgress → Completed | Failed over emulated time, Stop → Stopping →
//! Stopped; one log stream per instance in /aws/sagemaker/ProcessingJobs, named like a training
//! job's (`<job>/algo-<i>-<epoch seconds>`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::logs::{LogProducer, Production};
use crate::validate::Violations;
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, ReservedTags, Service, Settings, Step, World, descending, echoed_request,
    is_terminal_status, paginate, reserved_tags, sorted_names, str_member, terminal_at, time_value,
    visible,
};

/// The reserved tag that sets `ExitMessage` (the container's last words) of a finished job.
pub const TAG_EXIT_MESSAGE: &str = "emulator:exit-message";
/// Marks the step at which the instances are up: ProcessingStartTime, and the log streams.
const RUNNING: &str = "Processing";

pub struct ProcessingJob {
    pub name: String,
    pub arn: String,
    /// The Create request as received (compact text, as training jobs keep theirs).
    pub request: Box<str>,
    pub created: f64,
    pub plan: Vec<Step>,
    pub failure_reason: Option<String>,
    pub exit_message: Option<String>,
    pub instance_count: u32,
}

const LOG_GROUP: &str = "/aws/sagemaker/ProcessingJobs";

/// The processing jobs of one region, by name.
pub type ProcessingJobs = HashMap<String, ProcessingJob>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<ProcessingJobs>("processing job");
    kind.resources = Some(|world| {
        vec![(
            "processingJobs",
            sorted_names(world.processing_jobs().keys()),
        )]
    });
    kind.owns_arn = Some(|world, arn| world.processing_jobs().values().any(|job| job.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateProcessingJob", |world, body, now| {
                world.create_processing_job(body, now)
            }),
            ("DescribeProcessingJob", |world, body, now| {
                world.describe_processing_job(&body, now)
            }),
            ("StopProcessingJob", |world, body, now| {
                world.stop_processing_job(&body, now)
            }),
            ("ListProcessingJobs", |world, body, now| {
                world.list_processing_jobs(&body, now)
            }),
        ],
    )
}

fn validate_inputs(body: &Value, violations: &mut Violations) {
    let Some(inputs) = body.get("ProcessingInputs") else {
        return;
    };
    let list = inputs.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.len() > 10 {
        violations.push(
            &Value::String(format!("{} inputs", list.len())),
            "processingInputs",
            "Member must have length less than or equal to 10",
        );
    }
    for (index, input) in list.iter().enumerate() {
        let member = format!("processingInputs.{}.member", index + 1);
        if let Some(name) = violations.required(input, "InputName", &format!("{member}.inputName"))
        {
            violations.length(name, &format!("{member}.inputName"), 1, 256);
        }
        let Some(s3) = input.get("S3Input") else {
            if input.get("DatasetDefinition").is_none() {
                // One of the two sources is required; AWS names the S3 one.
                violations.push(
                    &Value::Null,
                    &format!("{member}.s3Input"),
                    "Member must not be null",
                );
            }
            continue;
        };
        let s3_path = format!("{member}.s3Input");
        if let Some(uri) = violations.required(s3, "S3Uri", &format!("{s3_path}.s3Uri")) {
            violations.s3_uri(uri, &format!("{s3_path}.s3Uri"));
        }
        if let Some(path) = s3.get("LocalPath") {
            violations.length(path, &format!("{s3_path}.localPath"), 0, 256);
        }
        if let Some(kind) = violations.required(s3, "S3DataType", &format!("{s3_path}.s3DataType"))
        {
            violations.enum_value(
                kind,
                &format!("{s3_path}.s3DataType"),
                &["ManifestFile", "S3Prefix"],
            );
        }
        violations.optional_enum(
            s3,
            "S3InputMode",
            &format!("{s3_path}.s3InputMode"),
            &["Pipe", "File"],
        );
        violations.optional_enum(
            s3,
            "S3DataDistributionType",
            &format!("{s3_path}.s3DataDistributionType"),
            &["FullyReplicated", "ShardedByS3Key"],
        );
        violations.optional_enum(
            s3,
            "S3CompressionType",
            &format!("{s3_path}.s3CompressionType"),
            &["None", "Gzip"],
        );
    }
}

fn validate_outputs(body: &Value, violations: &mut Violations) {
    let Some(config) = body.get("ProcessingOutputConfig") else {
        return;
    };
    let Some(outputs) = violations.required(config, "Outputs", "processingOutputConfig.outputs")
    else {
        return;
    };
    let list = outputs.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.len() > 10 {
        violations.push(
            &Value::String(format!("{} outputs", list.len())),
            "processingOutputConfig.outputs",
            "Member must have length less than or equal to 10",
        );
    }
    for (index, output) in list.iter().enumerate() {
        let member = format!("processingOutputConfig.outputs.{}.member", index + 1);
        if let Some(name) =
            violations.required(output, "OutputName", &format!("{member}.outputName"))
        {
            violations.length(name, &format!("{member}.outputName"), 1, 256);
        }
        let Some(s3) = output.get("S3Output") else {
            if output.get("FeatureStoreOutput").is_none() {
                violations.push(
                    &Value::Null,
                    &format!("{member}.s3Output"),
                    "Member must not be null",
                );
            }
            continue;
        };
        let s3_path = format!("{member}.s3Output");
        if let Some(uri) = violations.required(s3, "S3Uri", &format!("{s3_path}.s3Uri")) {
            violations.s3_uri(uri, &format!("{s3_path}.s3Uri"));
        }
        if let Some(path) = s3.get("LocalPath") {
            violations.length(path, &format!("{s3_path}.localPath"), 0, 256);
        }
        if let Some(mode) =
            violations.required(s3, "S3UploadMode", &format!("{s3_path}.s3UploadMode"))
        {
            violations.enum_value(
                mode,
                &format!("{s3_path}.s3UploadMode"),
                &["Continuous", "EndOfJob"],
            );
        }
    }
}

fn validate_request(body: &Value, violations: &mut Violations) {
    if let Some(resources) = violations.required(body, "ProcessingResources", "processingResources")
        && let Some(cluster) = violations.required(
            resources,
            "ClusterConfig",
            "processingResources.clusterConfig",
        )
    {
        let path = "processingResources.clusterConfig";
        if let Some(count) =
            violations.required(cluster, "InstanceCount", &format!("{path}.instanceCount"))
        {
            violations.range(count, &format!("{path}.instanceCount"), Some(1), Some(100));
        }
        if let Some(kind) =
            violations.required(cluster, "InstanceType", &format!("{path}.instanceType"))
        {
            violations.instance_type(kind, &format!("{path}.instanceType"));
        }
        if let Some(size) =
            violations.required(cluster, "VolumeSizeInGB", &format!("{path}.volumeSizeInGB"))
        {
            violations.range(
                size,
                &format!("{path}.volumeSizeInGB"),
                Some(1),
                Some(16384),
            );
        }
    }
    if let Some(app) = violations.required(body, "AppSpecification", "appSpecification")
        && let Some(image) = violations.required(app, "ImageUri", "appSpecification.imageUri")
    {
        violations.image(image, "appSpecification.imageUri");
    }
    violations.role_arn(body, "RoleArn", "roleArn", true);
    if let Some(stopping) = body.get("StoppingCondition")
        && let Some(max) = violations.required(
            stopping,
            "MaxRuntimeInSeconds",
            "stoppingCondition.maxRuntimeInSeconds",
        )
    {
        violations.range(
            max,
            "stoppingCondition.maxRuntimeInSeconds",
            Some(1),
            Some(777600),
        );
    }
    if let Some(environment) = body.get("Environment").and_then(Value::as_object) {
        if environment.len() > 100 {
            violations.push(
                &Value::String(format!("{} entries", environment.len())),
                "environment",
                "Member must have length less than or equal to 100",
            );
        }
        for (key, value) in environment {
            if key.chars().count() > 256 {
                violations.push(
                    &Value::String(key.clone()),
                    "environment.key",
                    "Member must have length less than or equal to 256",
                );
            }
            violations.length(value, "environment.value", 0, 256);
        }
    }
    validate_inputs(body, violations);
    validate_outputs(body, violations);
    violations.tags(body.get("Tags"), "tags");
}

/// The lifecycle of a processing job created at `now`, with its failure reason and exit message.
fn processing_plan(
    settings: &Settings,
    reserved: ReservedTags,
    exit_message: Option<String>,
    now: f64,
) -> (Vec<Step>, Option<String>, Option<String>) {
    let duration = reserved.duration.unwrap_or(settings.default_duration);
    let at = |fraction: f64| now + settings.real(duration * fraction);
    let failed = match reserved.outcome.as_deref() {
        Some(outcome) => outcome == "Failed",
        None => settings.default_outcome == crate::world::Outcome::Failed,
    };
    let mut plan = vec![
        Step {
            at: now,
            status: "InProgress",
            secondary: "",
            message: "",
        },
        Step {
            at: at(0.2),
            status: "InProgress",
            secondary: RUNNING,
            message: "",
        },
    ];
    let (failure_reason, exit_message) = if failed {
        plan.push(Step {
            at: at(1.0),
            status: "Failed",
            secondary: "",
            message: "",
        });
        (
            Some(reserved.failure_reason.unwrap_or_else(|| {
                "AlgorithmError: See job logs for more information".to_string()
            })),
            Some(exit_message.unwrap_or_else(|| {
                "the emulated processing container exited with code 1 (emulator:outcome tag or --default-outcome)".to_string()
            })),
        )
    } else {
        plan.push(Step {
            at: at(1.0),
            status: "Completed",
            secondary: "",
            message: "",
        });
        (None, exit_message)
    };
    (plan, failure_reason, exit_message)
}

impl World {
    pub fn processing_jobs(&self) -> &ProcessingJobs {
        self.state()
    }

    pub fn processing_jobs_mut(&mut self) -> &mut ProcessingJobs {
        self.state_mut()
    }

    pub fn create_processing_job(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        let mut violations = Violations::new();
        let name = violations.resource_name(&body, "ProcessingJobName", "processingJobName");
        validate_request(&body, &mut violations);
        violations.finish()?;
        let name = name.unwrap_or_default();
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        if let Some(existing) = self.processing_jobs().get(&name) {
            return Err(ApiError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Job name must be unique within an AWS account and region, and a job with this name already exists ({})",
                    existing.arn
                ),
            ));
        }
        let exit_message = body
            .get("Tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|tag| str_member(tag, "Key") == Some(TAG_EXIT_MESSAGE))
            .and_then(|tag| str_member(tag, "Value"))
            .map(str::to_string);
        let (plan, failure_reason, exit_message) =
            processing_plan(&self.settings, reserved, exit_message, now);
        let arn = self.settings.arn("processing-job", &name);
        let instance_count = body
            .pointer("/ProcessingResources/ClusterConfig/InstanceCount")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, 100) as u32;
        self.store_tags(&arn, body.get("Tags"));
        let failed = failure_reason.is_some();
        tracing::debug!(job = %name, failed, "processing job created");
        self.processing_jobs_mut().insert(
            name.clone(),
            ProcessingJob {
                name: name.clone(),
                arn: arn.clone(),
                request: body.to_string().into_boxed_str(),
                created: now,
                plan,
                failure_reason,
                exit_message,
                instance_count,
            },
        );
        self.state_mut::<crate::logs::LogStore>()
            .producers
            .push(LogProducer {
                group: LOG_GROUP,
                job: name,
                written_until: now,
                produce: produce_logs,
            });
        Ok(json!({ "ProcessingJobArn": arn }))
    }

    fn processing_job(&self, body: &Value) -> Result<&ProcessingJob, ApiError> {
        let mut violations = Violations::new();
        let name = violations.resource_name(body, "ProcessingJobName", "processingJobName");
        violations.finish()?;
        let name = name.unwrap_or_default();
        self.processing_jobs().get(&name).ok_or_else(|| {
            ApiError::validation(format!("Could not find requested job with name {name}"))
        })
    }

    pub fn describe_processing_job(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let job = self.processing_job(body)?;
        let shown = visible(&job.plan, now);
        let current = shown.last().expect("plan never empty");
        let mut out: Map<String, Value> = echoed_request(&job.request, &["Tags"]);
        fill_processing_defaults(&mut out);
        out.insert("ProcessingJobArn".into(), json!(job.arn));
        out.insert("ProcessingJobStatus".into(), json!(current.status));
        if is_terminal_status(current.status)
            && let Some(message) = &job.exit_message
        {
            out.insert("ExitMessage".into(), json!(message));
        }
        if current.status == "Failed"
            && let Some(reason) = &job.failure_reason
        {
            out.insert("FailureReason".into(), json!(reason));
        }
        out.insert("CreationTime".into(), time_value(job.created));
        if let Some(start) = shown.iter().find(|step| step.secondary == RUNNING) {
            out.insert("ProcessingStartTime".into(), time_value(start.at));
        }
        if is_terminal_status(current.status) {
            out.insert("ProcessingEndTime".into(), time_value(current.at));
        }
        out.insert("LastModifiedTime".into(), time_value(current.at));
        Ok(Value::Object(out))
    }

    pub fn stop_processing_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = self.processing_job(body)?.name.clone();
        let delay = self.settings.real(crate::training::STOP_DELAY);
        let job = self
            .processing_jobs_mut()
            .get_mut(&name)
            .expect("checked above");
        let current = visible(&job.plan, now).last().expect("plan never empty");
        if is_terminal_status(current.status) || current.status == "Stopping" {
            return Err(ApiError::validation(format!(
                "The processing job {name} is in status {} and cannot be stopped.",
                current.status
            )));
        }
        crate::world::stop_steps(
            &mut job.plan,
            now,
            delay,
            ["Stopping the processing job", "Processing job stopped"],
        );
        tracing::debug!(job = %name, "processing job stopping");
        Ok(json!({}))
    }

    pub fn list_processing_jobs(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<(&ProcessingJob, &Step)> = self
            .processing_jobs()
            .values()
            .filter_map(|job| {
                let current = visible(&job.plan, now).last()?;
                filter
                    .accepts(&job.name, Some(current.status), job.created, current.at)
                    .then_some((job, current))
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
            .map(|(job, current)| {
                let mut summary = json!({
                    "ProcessingJobName": job.name,
                    "ProcessingJobArn": job.arn,
                    "CreationTime": time_value(job.created),
                    "LastModifiedTime": time_value(current.at),
                    "ProcessingJobStatus": current.status,
                });
                if is_terminal_status(current.status) {
                    summary["ProcessingEndTime"] = time_value(current.at);
                    if let Some(message) = &job.exit_message {
                        summary["ExitMessage"] = json!(message);
                    }
                }
                if current.status == "Failed"
                    && let Some(reason) = &job.failure_reason
                {
                    summary["FailureReason"] = json!(reason);
                }
                summary
            })
            .collect();
        let mut response = json!({ "ProcessingJobSummaries": summaries });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }
}

/// What SageMaker reports for members the Create request left out: S3 inputs fully replicated,
/// uncompressed and in File mode, inputs and outputs not app-managed.
fn fill_processing_defaults(out: &mut Map<String, Value>) {
    for input in out
        .get_mut("ProcessingInputs")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Value::Object(input) = input else {
            continue;
        };
        input.entry("AppManaged").or_insert(json!(false));
        if let Some(Value::Object(s3)) = input.get_mut("S3Input") {
            s3.entry("S3DataDistributionType")
                .or_insert(json!("FullyReplicated"));
            s3.entry("S3CompressionType").or_insert(json!("None"));
            s3.entry("S3InputMode").or_insert(json!("File"));
        }
    }
    for output in out
        .get_mut("ProcessingOutputConfig")
        .and_then(|config| config.get_mut("Outputs"))
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Value::Object(output) = output {
            output.entry("AppManaged").or_insert(json!(false));
        }
    }
}

/// One line a job writes: (stream, timestamp in ms, message).
pub type LogLine = (String, i64, String);

/// When a processing job's streams appear (its instances are up), and every line it writes:
/// (stream, ms, message). None while the instances are still starting.
pub fn processing_log_lines(job: &ProcessingJob) -> Option<(f64, Vec<LogLine>)> {
    let start = job.plan.iter().find(|step| step.secondary == RUNNING)?.at;
    let end = job
        .plan
        .last()
        .filter(|step| is_terminal_status(step.status));
    let mut lines = Vec::new();
    for instance in 1..=job.instance_count {
        let stream = format!("{}/algo-{instance}-{}", job.name, start.floor() as i64);
        let ms = |at: f64| (at * 1000.0).round() as i64 + i64::from(instance);
        lines.push((
            stream.clone(),
            ms(start),
            format!("[algo-{instance}] Starting the processing container"),
        ));
        lines.push((
            stream.clone(),
            ms(start) + 10,
            format!("[algo-{instance}] Reading inputs from /opt/ml/processing/input"),
        ));
        if let Some(end) = end {
            let text = match end.status {
                "Completed" => "Processing completed; outputs written".to_string(),
                "Failed" => job
                    .exit_message
                    .clone()
                    .unwrap_or_else(|| "Processing failed".to_string()),
                other => format!("Processing {}", other.to_lowercase()),
            };
            lines.push((stream, ms(end.at) - 1, format!("[algo-{instance}] {text}")));
        }
    }
    Some((start, lines))
}

/// The log lines of processing job `name` as of `now`.
fn produce_logs(world: &World, name: &str, now: f64) -> Production {
    let Some(job) = world.processing_jobs().get(name) else {
        return Production::Wait { finished: true };
    };
    let ended = terminal_at(&job.plan).is_some_and(|end| end <= now);
    let Some((start, lines)) = processing_log_lines(job) else {
        // Stopped before its instances came up: it never writes a line.
        return Production::Wait { finished: ended };
    };
    if start > now {
        return Production::Wait { finished: false };
    }
    let created = (start * 1000.0) as i64;
    Production::Write {
        lines: lines
            .into_iter()
            .map(|(stream, timestamp, message)| (stream, created, timestamp, message))
            .collect(),
        finished: ended,
    }
}
