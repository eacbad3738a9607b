//! One run of a pipeline: `Executing` while its steps run in dependency order (as many at once
//! as the parallelism allows), then `Succeeded`, or `Failed` once a step failed and the steps
//! already running have ended (no step starts after a failure); a stop makes it `Stopping`
//! (its running steps too) and `Stopped` a moment later. Like every lifecycle here it is
//! brought up to date lazily: `advance` replays the step ends that have come since the last
//! request, in order, starting the steps each end makes ready at that instant.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::pipeline_definition::{Definition, StepDef, value_text};
use crate::pipeline_expressions::{Scope, resolve};
use crate::pipeline_steps::{Controls, Finished, Launch, StepRun};
use crate::world::{World, time_value};

/// Emulated seconds between Stopping and Stopped.
pub const STOP_SECONDS: f64 = 2.0;
/// Steps running at once when no ParallelismConfiguration says (the emulator's choice).
const DEFAULT_PARALLEL_STEPS: usize = 50;
/// SageMaker's words for an execution that failed because a step failed.
const STEP_FAILURE: &str = "Step failure: One or multiple steps failed.";

/// What an execution is started with.
pub struct ExecutionSpec {
    /// The random part of its ARN (12 lower-case letters and digits).
    pub id: String,
    pub arn: String,
    pub pipeline_name: String,
    pub pipeline_arn: String,
    pub display_name: String,
    pub description: Option<String>,
    /// The pipeline's definition when the execution started (updates do not reach it).
    pub definition: Definition,
    /// Every declared parameter with its value for this run (given, else the default).
    pub parameters: Vec<(String, Value)>,
    /// The request's ParallelismConfiguration, else the pipeline's.
    pub parallelism: Option<Value>,
    pub selective: Option<Value>,
    pub token: String,
    pub version: i64,
    pub controls: Controls,
}

pub struct Execution {
    pub spec: ExecutionSpec,
    pub created: f64,
    pub modified: f64,
    pub status: &'static str,
    pub failure_reason: Option<String>,
    /// The steps that have started, in the order they started.
    pub steps: Vec<StepRun>,
    /// A stop in progress: its ClientRequestToken and when the execution is Stopped.
    pub stop: Option<(String, f64)>,
    pub experiment: Option<Value>,
}

pub fn is_running(status: &str) -> bool {
    matches!(status, "Executing" | "Stopping")
}

impl Execution {
    /// Starts an execution at `now`: the steps that depend on nothing start at once.
    pub fn start(spec: ExecutionSpec, world: &mut World, now: f64) -> Execution {
        let mut execution = Execution {
            spec,
            created: now,
            modified: now,
            status: "Executing",
            failure_reason: None,
            steps: Vec::new(),
            stop: None,
            experiment: None,
        };
        let (parameters, variables) = execution.variables(now);
        execution.experiment = execution.spec.definition.experiment.as_ref().map(|config| {
            let steps = HashMap::new();
            let scope = Scope {
                parameters: &parameters,
                execution: &variables,
                steps: &steps,
            };
            resolve(config, &scope)
        });
        execution.schedule(world, now);
        execution.conclude_if_idle(now);
        tracing::debug!(execution = %execution.spec.arn, started = execution.steps.len(), "pipeline execution started");
        execution
    }

    /// The parameters and execution variables expressions read at `at`.
    fn variables(&self, at: f64) -> (HashMap<String, Value>, Map<String, Value>) {
        let parameters = self.spec.parameters.iter().cloned().collect();
        let mut variables = Map::new();
        variables.insert("PipelineExecutionId".into(), json!(self.spec.id));
        variables.insert("PipelineExecutionArn".into(), json!(self.spec.arn));
        variables.insert("PipelineName".into(), json!(self.spec.pipeline_name));
        variables.insert("PipelineArn".into(), json!(self.spec.pipeline_arn));
        variables.insert("StartDateTime".into(), json!(iso_time(self.created)));
        variables.insert("CurrentDateTime".into(), json!(iso_time(at)));
        (parameters, variables)
    }

    fn max_parallel(&self) -> usize {
        self.spec
            .parallelism
            .as_ref()
            .and_then(|config| config.get("MaxParallelExecutionSteps"))
            .and_then(Value::as_u64)
            .map_or(DEFAULT_PARALLEL_STEPS, |max| max.max(1) as usize)
    }

    fn run(&self, name: &str) -> Option<&StepRun> {
        self.steps.iter().find(|run| run.name == name)
    }

    /// Whether a step may start: not started yet, every step it runs after succeeded, and for a
    /// nested step, its Condition chose its branch.
    fn ready(&self, step: &StepDef) -> bool {
        let succeeded = |name: &str| {
            self.run(name)
                .and_then(|run| run.finished.as_ref())
                .is_some_and(|finished| finished.status == "Succeeded")
        };
        let chosen = step.branch.as_ref().is_none_or(|(parent, taken)| {
            self.run(parent).and_then(|run| run.outcome) == Some(*taken)
        });
        self.run(&step.name).is_none() && chosen && step.after.iter().all(|name| succeeded(name))
    }

    /// Starts, at `at`, every step that is ready, in definition order, as long as the
    /// parallelism allows; nothing starts after a failure or a stop.
    fn schedule(&mut self, world: &mut World, at: f64) {
        if self.failure_reason.is_some() || self.stop.is_some() {
            return;
        }
        loop {
            let running = self
                .steps
                .iter()
                .filter(|run| run.finished.is_none())
                .count();
            if running >= self.max_parallel() {
                return;
            }
            let Some(step) = self
                .spec
                .definition
                .steps
                .iter()
                .find(|s| self.ready(s))
                .cloned()
            else {
                return;
            };
            let (parameters, variables) = self.variables(at);
            let steps: HashMap<String, Value> = self
                .steps
                .iter()
                .filter(|run| {
                    run.finished
                        .as_ref()
                        .is_some_and(|f| f.status == "Succeeded")
                })
                .map(|run| (run.name.clone(), world.step_properties(run, at)))
                .collect();
            let scope = Scope {
                parameters: &parameters,
                execution: &variables,
                steps: &steps,
            };
            let launch = Launch {
                execution_id: &self.spec.id,
                step: &step,
                scope: &scope,
                at,
                seconds: self.spec.controls.seconds_of(&step.name),
                forced_failure: self.spec.controls.forced_failure(&step.name),
            };
            let run = world.launch_step(&launch);
            self.steps.push(run);
            self.modified = at;
        }
    }

    /// Replays what has happened up to `now`: step ends in order (each starting the steps it
    /// makes ready), then the end of the execution.
    pub fn advance(&mut self, world: &mut World, now: f64) {
        while is_running(self.status) {
            if let Some((_, done)) = &self.stop {
                let done = *done;
                if done <= now {
                    self.finish_stopped(done);
                }
                return;
            }
            let next = self
                .steps
                .iter()
                .enumerate()
                .filter(|(_, run)| run.finished.is_none())
                .filter_map(|(index, run)| world.step_end(run).map(|end| (index, end)))
                .filter(|(_, end)| *end <= now)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let Some((index, at)) = next else {
                return;
            };
            self.finish_step(world, index, at);
            self.schedule(world, at);
            self.conclude_if_idle(at);
        }
    }

    /// Records how step `index` ended at `at`; the first failure becomes the execution's.
    fn finish_step(&mut self, world: &World, index: usize, at: f64) {
        let failure = world.step_failure(&self.steps[index], at);
        let run = &mut self.steps[index];
        let status = if failure.is_some() {
            "Failed"
        } else {
            "Succeeded"
        };
        tracing::debug!(execution = %self.spec.arn, step = %run.name, status, "pipeline step ended");
        if let (Some(reason), None) = (&failure, &self.failure_reason) {
            self.failure_reason = Some(match run.kind.as_str() {
                "Fail" => reason.clone(),
                _ => format!("{STEP_FAILURE} Step {} failed: {reason}", run.name),
            });
        }
        run.finished = Some(Finished {
            at,
            status,
            failure,
        });
        self.modified = at;
    }

    /// Ends the execution when no step runs and none can start.
    fn conclude_if_idle(&mut self, at: f64) {
        if self.steps.iter().any(|run| run.finished.is_none()) {
            return;
        }
        self.status = if self.failure_reason.is_some() {
            "Failed"
        } else {
            "Succeeded"
        };
        self.modified = at;
        tracing::debug!(execution = %self.spec.arn, status = self.status, "pipeline execution ended");
    }

    fn finish_stopped(&mut self, at: f64) {
        for run in self.steps.iter_mut().filter(|run| run.finished.is_none()) {
            run.finished = Some(Finished {
                at,
                status: "Stopped",
                failure: None,
            });
        }
        self.status = "Stopped";
        self.modified = at;
    }

    /// StopPipelineExecution: Stopping now (the running steps and their jobs too), Stopped at
    /// `done`.
    pub fn stop(&mut self, world: &mut World, token: &str, now: f64, done: f64) {
        for run in self.steps.iter_mut().filter(|run| run.finished.is_none()) {
            run.stop = Some((now, done));
            world.stop_step_work(run, now, done);
        }
        self.stop = Some((token.to_string(), done));
        self.status = "Stopping";
        self.modified = now;
    }

    /// DescribePipelineExecution.
    pub fn describe(&self) -> Value {
        let mut out = Map::new();
        out.insert("PipelineArn".into(), json!(self.spec.pipeline_arn));
        out.insert("PipelineExecutionArn".into(), json!(self.spec.arn));
        out.insert(
            "PipelineExecutionDisplayName".into(),
            json!(self.spec.display_name),
        );
        out.insert("PipelineExecutionStatus".into(), json!(self.status));
        if let Some(description) = &self.spec.description {
            out.insert("PipelineExecutionDescription".into(), json!(description));
        }
        if let Some(experiment) = &self.experiment {
            out.insert("PipelineExperimentConfig".into(), experiment.clone());
        }
        if let (Some(reason), "Failed") = (&self.failure_reason, self.status) {
            out.insert("FailureReason".into(), json!(reason));
        }
        out.insert("CreationTime".into(), time_value(self.created));
        out.insert("LastModifiedTime".into(), time_value(self.modified));
        if let Some(parallelism) = &self.spec.parallelism {
            out.insert("ParallelismConfiguration".into(), parallelism.clone());
        }
        if let Some(selective) = &self.spec.selective {
            out.insert("SelectiveExecutionConfig".into(), selective.clone());
        }
        out.insert("PipelineVersionId".into(), json!(self.spec.version));
        Value::Object(out)
    }

    /// ListPipelineExecutions' summary.
    pub fn summary(&self) -> Value {
        let mut out = Map::new();
        out.insert("PipelineExecutionArn".into(), json!(self.spec.arn));
        out.insert("StartTime".into(), time_value(self.created));
        out.insert("PipelineExecutionStatus".into(), json!(self.status));
        if let Some(description) = &self.spec.description {
            out.insert("PipelineExecutionDescription".into(), json!(description));
        }
        out.insert(
            "PipelineExecutionDisplayName".into(),
            json!(self.spec.display_name),
        );
        if let (Some(reason), "Failed") = (&self.failure_reason, self.status) {
            out.insert("PipelineExecutionFailureReason".into(), json!(reason));
        }
        Value::Object(out)
    }

    /// ListPipelineParametersForExecution's rows, as text, in declaration order.
    pub fn parameter_rows(&self) -> Vec<Value> {
        self.spec
            .parameters
            .iter()
            .map(|(name, value)| json!({ "Name": name, "Value": value_text(value) }))
            .collect()
    }
}

/// ListPipelineExecutionSteps' entry for a started step.
pub fn step_view(run: &StepRun, now: f64) -> Value {
    let mut out = Map::new();
    out.insert("StepName".into(), json!(run.name));
    if let Some(name) = &run.display_name {
        out.insert("StepDisplayName".into(), json!(name));
    }
    if let Some(description) = &run.description {
        out.insert("StepDescription".into(), json!(description));
    }
    out.insert("StartTime".into(), time_value(run.start));
    let status = run.status(now);
    if let Some(finished) = &run.finished {
        out.insert("EndTime".into(), time_value(finished.at));
        if let Some(reason) = &finished.failure {
            out.insert("FailureReason".into(), json!(reason));
        }
    }
    out.insert("StepStatus".into(), json!(status));
    out.insert("AttemptCount".into(), json!(1));
    let mut metadata = run.metadata.clone();
    // A Condition's outcome is reported once it has been evaluated to the end.
    if status != "Succeeded" {
        metadata.remove("Condition");
    }
    if !metadata.is_empty() {
        out.insert("Metadata".into(), Value::Object(metadata));
    }
    Value::Object(out)
}

/// An instant as the ISO 8601 text of the `Execution.*DateTime` variables.
fn iso_time(seconds: f64) -> String {
    jiff::Timestamp::from_millisecond((seconds * 1000.0) as i64)
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}
