//! What a pipeline step does when it starts, and what it leaves for the steps after it. A
//! Training step creates a real emulated training job (named as SageMaker names a pipeline's
//! jobs, `pipelines-<execution id>-<step>-<random>`) and ends when the job does; a RegisterModel
//! step registers a model package version in the model registry through CreateModelPackage
//! itself; a Condition step evaluates its conditions; a Fail step fails. Other job steps
//! (Processing, Transform, Tuning, Model, AutoML) are given the name and ARN their job would
//! have, and every other type just succeeds. Every step takes the pipeline's step duration.

use std::collections::HashMap;

use rand::Rng;
use serde_json::{Map, Value, json};

use crate::pipeline_definition::{StepDef, value_text};
use crate::pipeline_expressions::{Scope, evaluate, resolve};
use crate::training::{TrainingSpec, describe_training, stop_plan};
use crate::wire::ApiError;
use crate::world::{Outcome, TAG_DURATION, TAG_FAILURE_REASON, World, terminal_at, visible};

/// Emulated seconds a step takes unless the pipeline's tags say otherwise.
pub const STEP_SECONDS: f64 = 3.0;
/// The tag naming the step that fails (its value is a step name).
pub const TAG_FAIL_STEP: &str = "emulator:fail-step";
/// Share of a step's time it is reported `Starting` before `Executing`.
const STARTING_SHARE: f64 = 0.2;

/// The pipeline's reserved tags as an execution reads them when it starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controls {
    /// `emulator:duration-seconds`: every step's emulated seconds.
    pub seconds: Option<f64>,
    /// `emulator:duration-seconds/<StepName>`: one step's.
    pub step_seconds: HashMap<String, f64>,
    pub fail_step: Option<String>,
    pub failure_reason: Option<String>,
}

impl Controls {
    /// Reads the reserved tags among `tags` (key, value); a duration that is not a number of
    /// seconds is refused as the other kinds refuse it.
    pub fn parse<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Result<Self, ApiError> {
        let mut controls = Controls::default();
        let seconds = |key: &str, value: &str| match value.parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
            _ => Err(ApiError::validation(format!(
                "Tag {key} must be a non-negative number of seconds, got '{value}'"
            ))),
        };
        for (key, value) in tags {
            if key == TAG_DURATION {
                controls.seconds = Some(seconds(key, value)?);
            } else if let Some(step) = key
                .strip_prefix(TAG_DURATION)
                .and_then(|rest| rest.strip_prefix('/'))
            {
                controls
                    .step_seconds
                    .insert(step.to_string(), seconds(key, value)?);
            } else if key == TAG_FAIL_STEP {
                controls.fail_step = Some(value.to_string());
            } else if key == TAG_FAILURE_REASON {
                controls.failure_reason = Some(value.to_string());
            }
        }
        Ok(controls)
    }

    /// Emulated seconds `step` takes.
    pub fn seconds_of(&self, step: &str) -> f64 {
        self.step_seconds
            .get(step)
            .copied()
            .or(self.seconds)
            .unwrap_or(STEP_SECONDS)
    }

    /// The reason `step` fails with when the fail-step tag names it.
    pub fn forced_failure(&self, step: &str) -> Option<String> {
        (self.fail_step.as_deref() == Some(step)).then(|| {
            self.failure_reason.clone().unwrap_or_else(|| {
                format!("AlgorithmError: step {step} failed (emulator:fail-step tag)")
            })
        })
    }
}

/// What a started step's work is, to follow it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Nothing outside the step: it ends when its time is up.
    Timed,
    /// The training job it created (by name): the step ends when the job does.
    TrainingJob(String),
    /// The model package version it registered (by ARN).
    ModelPackage(String),
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub at: f64,
    pub status: &'static str,
    pub failure: Option<String>,
}

/// One step of an execution, from the instant it started.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub name: String,
    pub kind: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub start: f64,
    /// When the step's time is up (a training step ends with its job instead).
    pub planned_end: f64,
    /// The reason it fails with when it ends, if it fails.
    pub failure: Option<String>,
    /// `Metadata` of ListPipelineExecutionSteps (`{"TrainingJob": {"Arn": …}}`, …).
    pub metadata: Map<String, Value>,
    /// What later steps read with `{"Get": "Steps.<name>…"}` when the work has no Describe.
    pub properties: Value,
    pub work: Work,
    /// A Condition step's outcome.
    pub outcome: Option<bool>,
    /// A stop in progress: when it was asked for and when the step is Stopped.
    pub stop: Option<(f64, f64)>,
    pub finished: Option<Finished>,
}

impl StepRun {
    fn new(step: &StepDef, start: f64, planned_end: f64, failure: Option<String>) -> Self {
        StepRun {
            name: step.name.clone(),
            kind: step.kind.clone(),
            display_name: step.display_name.clone(),
            description: step.description.clone(),
            start,
            planned_end,
            failure,
            metadata: Map::new(),
            properties: json!({}),
            work: Work::Timed,
            outcome: None,
            stop: None,
            finished: None,
        }
    }

    /// The step could not start its work: it fails at once.
    fn fail_now(&mut self, reason: String) {
        self.planned_end = self.start;
        self.failure = Some(reason);
    }

    /// StepStatus at `now`.
    pub fn status(&self, now: f64) -> &'static str {
        if let Some(finished) = &self.finished {
            return finished.status;
        }
        if self.stop.is_some() {
            return "Stopping";
        }
        let starting = self.start + (self.planned_end - self.start) * STARTING_SHARE;
        if now < starting {
            "Starting"
        } else {
            "Executing"
        }
    }
}

/// Everything a step needs to start.
pub struct Launch<'a> {
    pub execution_id: &'a str,
    pub step: &'a StepDef,
    pub scope: &'a Scope<'a>,
    /// The instant it starts (real seconds).
    pub at: f64,
    /// Emulated seconds it takes.
    pub seconds: f64,
    /// The reason it fails with, when the fail-step tag names it.
    pub forced_failure: Option<String>,
}

/// The job steps whose work is only named: (step type, metadata member, ARN resource, the
/// Describe members naming the job).
const NAMED_JOBS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Processing",
        "ProcessingJob",
        "processing-job",
        "ProcessingJobName",
        "ProcessingJobArn",
    ),
    (
        "Transform",
        "TransformJob",
        "transform-job",
        "TransformJobName",
        "TransformJobArn",
    ),
    (
        "Tuning",
        "TuningJob",
        "hyper-parameter-tuning-job",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobArn",
    ),
    ("Model", "Model", "model", "ModelName", "ModelArn"),
    ("CreateModel", "Model", "model", "ModelName", "ModelArn"),
    (
        "AutoML",
        "AutoMLJob",
        "automl-job",
        "AutoMLJobName",
        "AutoMLJobArn",
    ),
];

/// A job name as SageMaker gives a pipeline's jobs, `pipelines-<execution id>-<step>-<10 random
/// letters and digits>`, the step's part cut to fit `max` characters (a tuning job's 32 leave
/// no room for it, nor for the prefix).
pub fn job_name(execution_id: &str, step: &str, max: usize) -> String {
    let mut rng = rand::rng();
    let random: String = (0..10)
        .map(|_| {
            let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            char::from(alphabet[rng.random_range(0..alphabet.len())])
        })
        .collect();
    let prefix = format!("pipelines-{execution_id}-");
    let room = max.saturating_sub(prefix.len() + random.len() + 1);
    if room == 0 {
        return format!("{execution_id}-{random}");
    }
    let step: String = step
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(room)
        .collect();
    format!("{prefix}{step}-{random}")
}

impl World {
    /// Starts a step: its side effects happen now (at `launch.at`), and the run says when and
    /// how it ends.
    pub fn launch_step(&mut self, launch: &Launch) -> StepRun {
        let step = launch.step;
        let end = launch.at + self.settings.real(launch.seconds);
        let mut run = StepRun::new(step, launch.at, end, launch.forced_failure.clone());
        let arguments = resolve(&step.arguments, launch.scope);
        match step.kind.as_str() {
            "Training" => self.launch_training(&mut run, arguments, launch),
            "RegisterModel" => self.register_model(&mut run, arguments, launch),
            "Condition" => {
                let conditions = arguments.get("Conditions").cloned().unwrap_or(Value::Null);
                // Conditions on values the emulator cannot know (property files) take the If branch.
                let outcome = evaluate(&conditions, launch.scope).unwrap_or(true);
                run.outcome = Some(outcome);
                let word = if outcome { "True" } else { "False" };
                run.metadata
                    .insert("Condition".into(), json!({ "Outcome": word }));
                run.properties = json!({ "Outcome": word });
            }
            "Fail" => {
                let message = arguments
                    .get("ErrorMessage")
                    .map(value_text)
                    .unwrap_or_default();
                run.metadata
                    .insert("Fail".into(), json!({ "ErrorMessage": message }));
                run.failure = Some(message);
            }
            kind => {
                if let Some(&(_, member, resource, name_member, arn_member)) =
                    NAMED_JOBS.iter().find(|job| job.0 == kind)
                {
                    let max = if resource == "hyper-parameter-tuning-job" {
                        32
                    } else {
                        63
                    };
                    let name = job_name(launch.execution_id, &step.name, max);
                    let arn = self.settings.arn(resource, &name);
                    run.metadata.insert(member.into(), json!({ "Arn": arn }));
                    let mut properties = arguments.as_object().cloned().unwrap_or_default();
                    properties.insert(name_member.into(), json!(name));
                    properties.insert(arn_member.into(), json!(arn));
                    run.properties = Value::Object(properties);
                } else {
                    run.properties = arguments;
                }
            }
        }
        tracing::debug!(step = %step.name, kind = %step.kind, failing = run.failure.is_some(), "pipeline step started");
        run
    }

    /// A Training step: a real training job with the step's arguments (checked as
    /// CreateTrainingJob checks them), lasting the step's time, failing when the step must.
    fn launch_training(&mut self, run: &mut StepRun, arguments: Value, launch: &Launch) {
        let name = job_name(launch.execution_id, &launch.step.name, 63);
        let mut request = arguments.as_object().cloned().unwrap_or_default();
        request.insert("TrainingJobName".into(), json!(name));
        let request = Value::Object(request);
        if let Err(error) = crate::api_model::check("SageMaker", "CreateTrainingJob", &request) {
            run.fail_now(format!("{}: {}", error.code.wire_name(), error.message));
            return;
        }
        let spec = TrainingSpec {
            name: name.clone(),
            request,
            outcome: match launch.forced_failure {
                Some(_) => Outcome::Failed,
                None => Outcome::Completed,
            },
            duration: launch.seconds,
            failure_reason: launch.forced_failure.clone(),
            rule_outcomes: Vec::new(),
            tuning_job: None,
            tuned_hyperparameters: None,
            objective_metric: None,
            tuning_definition_name: None,
        };
        let arn = self.insert_training_job(spec, launch.at);
        run.metadata
            .insert("TrainingJob".into(), json!({ "Arn": arn }));
        run.work = Work::TrainingJob(name);
    }

    /// A RegisterModel step: CreateModelPackage with the step's arguments, as that operation
    /// checks and answers them (the group must exist; versions default to
    /// PendingManualApproval). A step the fail-step tag names registers nothing.
    fn register_model(&mut self, run: &mut StepRun, arguments: Value, launch: &Launch) {
        if launch.forced_failure.is_some() {
            return;
        }
        let registered = crate::api_model::check("SageMaker", "CreateModelPackage", &arguments)
            .and_then(|()| self.create_model_package(&arguments, launch.at));
        match registered {
            Ok(response) => {
                let arn = response["ModelPackageArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                run.metadata
                    .insert("RegisterModel".into(), json!({ "Arn": arn }));
                run.properties = json!({ "ModelPackageArn": arn });
                run.work = Work::ModelPackage(arn);
            }
            Err(error) => run.fail_now(format!("{}: {}", error.code.wire_name(), error.message)),
        }
    }

    /// When a started step's work ends: a stop's end, its training job's end (None while the
    /// job has not reached a terminal status), or its planned end.
    pub fn step_end(&self, run: &StepRun) -> Option<f64> {
        if let Some((_, done)) = run.stop {
            return Some(done);
        }
        match &run.work {
            Work::TrainingJob(name) => self
                .training_jobs()
                .get(name)
                .map_or(Some(run.planned_end), |job| terminal_at(&job.plan)),
            _ => Some(run.planned_end),
        }
    }

    /// Why a step whose work ended at `at` failed, if it did: a training step fails unless its
    /// job Completed.
    pub fn step_failure(&self, run: &StepRun, at: f64) -> Option<String> {
        let Work::TrainingJob(name) = &run.work else {
            return run.failure.clone();
        };
        let job = self.training_jobs().get(name)?;
        let status = visible(&job.plan, at)
            .last()
            .map_or("Completed", |step| step.status);
        match status {
            "Completed" => None,
            "Failed" => Some(
                job.failure_reason
                    .clone()
                    .unwrap_or_else(|| format!("Training job {name} failed.")),
            ),
            other => Some(format!("Training job {name} ended in status {other}.")),
        }
    }

    /// What `{"Get": "Steps.<name>…"}` reads of a finished step at `at`: the Describe response
    /// of its training job or model package, or the properties it was given.
    pub fn step_properties(&self, run: &StepRun, at: f64) -> Value {
        match &run.work {
            Work::TrainingJob(name) => match self.training_jobs().get(name) {
                Some(job) => Value::Object(describe_training(job, &self.settings, at)),
                None => run.properties.clone(),
            },
            Work::ModelPackage(arn) => self
                .describe_model_package(&json!({ "ModelPackageName": arn }))
                .unwrap_or_else(|_| run.properties.clone()),
            Work::Timed => run.properties.clone(),
        }
    }

    /// Stops what a running step started: its training job goes Stopping now, Stopped at
    /// `done`, as the step does.
    pub fn stop_step_work(&mut self, run: &StepRun, now: f64, done: f64) {
        if let Work::TrainingJob(name) = &run.work
            && let Some(job) = self.training_jobs_mut().get_mut(name)
        {
            let current = visible(&job.plan, now)
                .last()
                .map_or("", |step| step.status);
            if !matches!(current, "Completed" | "Failed" | "Stopped" | "Stopping") {
                stop_plan(&mut job.plan, now, done - now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_follow_sagemaker_and_fit_their_kind() {
        let name = job_name("abc123def456", "TrainAbalone_Model", 63);
        assert!(
            name.starts_with("pipelines-abc123def456-TrainAbalone-Model-"),
            "{name}"
        );
        assert_eq!(
            name.len(),
            "pipelines-abc123def456-TrainAbalone-Model-".len() + 10
        );
        let long = job_name("abc123def456", &"S".repeat(64), 63);
        assert_eq!(long.len(), 63, "{long}");
        let tuning = job_name("abc123def456", "Tune", 32);
        assert!(
            tuning.starts_with("abc123def456-") && tuning.len() == 23,
            "{tuning}"
        );
    }

    #[test]
    fn controls_come_from_the_reserved_tags() {
        let tags = [
            ("emulator:duration-seconds", "10"),
            ("emulator:duration-seconds/Train", "40"),
            ("emulator:fail-step", "Train"),
            ("owner", "ml"),
        ];
        let controls = Controls::parse(tags.iter().copied()).unwrap();
        assert_eq!(controls.seconds_of("Train"), 40.0);
        assert_eq!(controls.seconds_of("Register"), 10.0);
        assert_eq!(Controls::default().seconds_of("Register"), STEP_SECONDS);
        assert_eq!(
            controls.forced_failure("Train").as_deref(),
            Some("AlgorithmError: step Train failed (emulator:fail-step tag)")
        );
        assert_eq!(controls.forced_failure("Register"), None);
        let refused = Controls::parse([("emulator:duration-seconds/Train", "soon")].into_iter());
        assert!(refused.unwrap_err().message.contains("non-negative number"));
    }
}
