//! Batch transform jobs: the model must exist; InProgress → Completed | Failed, Stop → Stopping →
//! Stopped; one log stream per instance in /aws/sagemaker/TransformJobs.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::logs::{LogProducer, Production};
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, ReservedTags, Service, Settings, Step, World, descending, echoed_request,
    is_terminal_status, paginate, reserved_tags, sorted_names, str_member, terminal_at, time_value,
    visible,
};

pub struct TransformJob {
    pub name: String,
    pub arn: String,
    pub request: Box<str>,
    pub created: f64,
    pub plan: Vec<Step>,
    pub failure_reason: Option<String>,
    pub instance_count: u32,
}

const LOG_GROUP: &str = "/aws/sagemaker/TransformJobs";

/// The transform jobs of one region, by name.
pub type TransformJobs = HashMap<String, TransformJob>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<TransformJobs>("transform job");
    kind.resources =
        Some(|world| vec![("transformJobs", sorted_names(world.transform_jobs().keys()))]);
    kind.owns_arn = Some(|world, arn| world.transform_jobs().values().any(|job| job.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateTransformJob", |world, body, now| {
                world.create_transform_job(body, now)
            }),
            ("DescribeTransformJob", |world, body, now| {
                world.describe_transform_job(&body, now)
            }),
            ("StopTransformJob", |world, body, now| {
                world.stop_transform_job(&body, now)
            }),
            ("ListTransformJobs", |world, body, now| {
                world.list_transform_jobs(&body, now)
            }),
        ],
    )
}

/// The lifecycle of a transform job created at `now`, and its failure reason if it fails.
fn transform_plan(
    settings: &Settings,
    reserved: ReservedTags,
    now: f64,
) -> (Vec<Step>, Option<String>) {
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
        // Not a status change: marks TransformStartTime and the creation of the log streams.
        Step {
            at: at(0.3),
            status: "InProgress",
            secondary: "Transforming",
            message: "",
        },
    ];
    let failure_reason = if failed {
        plan.push(Step {
            at: at(1.0),
            status: "Failed",
            secondary: "",
            message: "",
        });
        Some(reserved.failure_reason.unwrap_or_else(|| "ClientError: the emulated transform failed (emulator:outcome tag or --default-outcome)".to_string()))
    } else {
        plan.push(Step {
            at: at(1.0),
            status: "Completed",
            secondary: "",
            message: "",
        });
        None
    };
    (plan, failure_reason)
}

impl World {
    pub fn transform_jobs(&self) -> &TransformJobs {
        self.state()
    }

    pub fn transform_jobs_mut(&mut self) -> &mut TransformJobs {
        self.state_mut()
    }

    pub fn create_transform_job(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        // The model checked every member.
        let name = str_member(&body, "TransformJobName")
            .unwrap_or_default()
            .to_string();
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        if let Some(existing) = self.transform_jobs().get(&name) {
            return Err(ApiError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Job name must be unique within an AWS account and region, and a job with this name already exists ({})",
                    existing.arn
                ),
            ));
        }
        let model = str_member(&body, "ModelName").unwrap_or("");
        if !self.models().contains_key(model) {
            return Err(ApiError::validation(format!(
                "Could not find model \"{}\".",
                self.settings.arn("model", model)
            )));
        }
        let (plan, failure_reason) = transform_plan(&self.settings, reserved, now);
        let arn = self.settings.arn("transform-job", &name);
        let instance_count = body
            .pointer("/TransformResources/InstanceCount")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, 64) as u32;
        self.store_tags(&arn, body.get("Tags"));
        self.transform_jobs_mut().insert(
            name.clone(),
            TransformJob {
                name: name.clone(),
                arn: arn.clone(),
                request: body.to_string().into_boxed_str(),
                created: now,
                plan,
                failure_reason,
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
        Ok(json!({ "TransformJobArn": arn }))
    }

    fn transform_job(&self, body: &Value) -> Result<&TransformJob, ApiError> {
        let name = str_member(body, "TransformJobName").unwrap_or_default();
        self.transform_jobs().get(name).ok_or_else(|| {
            ApiError::validation(format!("Could not find requested job with name {name}"))
        })
    }

    pub fn describe_transform_job(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let job = self.transform_job(body)?;
        let shown = visible(&job.plan, now);
        let current = shown.last().expect("plan never empty");
        let mut out: Map<String, Value> = echoed_request(&job.request, &["Tags"]);
        fill_transform_defaults(&mut out);
        out.insert("TransformJobArn".into(), json!(job.arn));
        out.insert("TransformJobStatus".into(), json!(current.status));
        if current.status == "Failed"
            && let Some(reason) = &job.failure_reason
        {
            out.insert("FailureReason".into(), json!(reason));
        }
        out.insert("CreationTime".into(), time_value(job.created));
        if let Some(start) = shown.iter().find(|step| step.secondary == "Transforming") {
            out.insert("TransformStartTime".into(), time_value(start.at));
        }
        if is_terminal_status(current.status) {
            out.insert("TransformEndTime".into(), time_value(current.at));
        }
        Ok(Value::Object(out))
    }

    pub fn stop_transform_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = self.transform_job(body)?.name.clone();
        let delay = self.settings.real(crate::training::STOP_DELAY);
        let job = self
            .transform_jobs_mut()
            .get_mut(&name)
            .expect("checked above");
        let current = visible(&job.plan, now).last().expect("plan never empty");
        if is_terminal_status(current.status) || current.status == "Stopping" {
            return Err(ApiError::validation(format!(
                "The transform job {name} is in status {} and cannot be stopped.",
                current.status
            )));
        }
        job.plan.retain(|step| step.at <= now);
        job.plan.push(Step {
            at: now,
            status: "Stopping",
            secondary: "",
            message: "",
        });
        job.plan.push(Step {
            at: now + delay,
            status: "Stopped",
            secondary: "",
            message: "",
        });
        Ok(json!({}))
    }

    pub fn list_transform_jobs(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<(&TransformJob, &Step)> = self
            .transform_jobs()
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
                    "TransformJobName": job.name,
                    "TransformJobArn": job.arn,
                    "CreationTime": time_value(job.created),
                    "LastModifiedTime": time_value(current.at),
                    "TransformJobStatus": current.status,
                });
                if is_terminal_status(current.status) {
                    summary["TransformEndTime"] = time_value(current.at);
                }
                if current.status == "Failed"
                    && let Some(reason) = &job.failure_reason
                {
                    summary["FailureReason"] = json!(reason);
                }
                summary
            })
            .collect();
        let mut response = json!({ "TransformJobSummaries": summaries });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }
}

/// What SageMaker reports for members the Create request left out (API reference defaults):
/// input neither split nor compressed, the whole record in and out of the model, one request at
/// a time per instance, 6 MB payloads.
fn fill_transform_defaults(out: &mut Map<String, Value>) {
    if let Some(Value::Object(input)) = out.get_mut("TransformInput") {
        input.entry("SplitType").or_insert(json!("None"));
        input.entry("CompressionType").or_insert(json!("None"));
    }
    let processing = out.entry("DataProcessing").or_insert_with(|| json!({}));
    if let Value::Object(processing) = processing {
        processing.entry("InputFilter").or_insert(json!("$"));
        processing.entry("OutputFilter").or_insert(json!("$"));
        processing.entry("JoinSource").or_insert(json!("None"));
    }
    out.entry("MaxConcurrentTransforms").or_insert(json!(1));
    out.entry("MaxPayloadInMB").or_insert(json!(6));
}

/// When a transform job's streams appear, and every line it writes: (stream, ms, message).
pub fn transform_log_lines(job: &TransformJob) -> (f64, Vec<(String, i64, String)>) {
    let start = job
        .plan
        .iter()
        .find(|step| step.secondary == "Transforming" || step.status != "InProgress")
        .map(|step| step.at)
        .unwrap_or(job.created);
    let mut lines = Vec::new();
    for instance in 1..=job.instance_count {
        let stream = format!("{}/algo-{instance}-{}", job.name, start.floor() as i64);
        let ms = |at: f64| (at * 1000.0).round() as i64 + i64::from(instance);
        lines.push((
            stream.clone(),
            ms(start),
            format!("[algo-{instance}] Starting the inference server"),
        ));
        lines.push((
            stream.clone(),
            ms(start) + 10,
            format!("[algo-{instance}] POST /invocations 200"),
        ));
        if let Some(end) = job
            .plan
            .last()
            .filter(|step| is_terminal_status(step.status))
        {
            lines.push((
                stream,
                ms(end.at) - 1,
                format!("[algo-{instance}] Transform {}", end.status.to_lowercase()),
            ));
        }
    }
    (start, lines)
}

/// The log lines of transform job `name` as of `now`.
fn produce_logs(world: &World, name: &str, now: f64) -> Production {
    let Some(job) = world.transform_jobs().get(name) else {
        return Production::Wait { finished: true };
    };
    let (start, lines) = transform_log_lines(job);
    if start > now {
        return Production::Wait { finished: false };
    }
    let created = (start * 1000.0) as i64;
    Production::Write {
        lines: lines
            .into_iter()
            .map(|(stream, timestamp, message)| (stream, created, timestamp, message))
            .collect(),
        finished: terminal_at(&job.plan).is_some_and(|end| end <= now),
    }
}
