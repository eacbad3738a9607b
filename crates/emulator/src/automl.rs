//! AutoML jobs V2 (Autopilot): `InProgress` while the secondary status moves through the stages
//! of the job's problem type, then `Completed` with a best candidate (or `Failed` by tag, or
//! `Stopping` → `Stopped` on request), over emulated time like the other jobs (a plan of timed
//! steps). What is special here: AutoMLProblemTypeConfig is a union of five problem types, each
//! with its stages, default objective metric and resolved attributes; the job trains a few
//! candidates (deterministic metric values, one best by the objective's direction); names are
//! case-insensitive ("The name must be unique to your account and is case insensitive").

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::training::{STOP_DELAY, metric_value};
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, Outcome, Service, Settings, Step, World, echoed_request, is_terminal_status,
    list_response, paginate, reserved_tags, sort_rows, sorted_names, stop_steps, str_member,
    time_value, unit_hash, visible,
};

/// The problem types of AutoMLProblemTypeConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    ImageClassification,
    TextClassification,
    TimeSeriesForecasting,
    Tabular,
    TextGeneration,
}

/// Each problem type's member of AutoMLProblemTypeConfig and the AutoMLProblemTypeConfigName
/// Describe reports for it.
const PROBLEMS: [(&str, &str, Problem); 5] = [
    (
        "ImageClassificationJobConfig",
        "ImageClassification",
        Problem::ImageClassification,
    ),
    (
        "TextClassificationJobConfig",
        "TextClassification",
        Problem::TextClassification,
    ),
    (
        "TimeSeriesForecastingJobConfig",
        "TimeSeriesForecasting",
        Problem::TimeSeriesForecasting,
    ),
    ("TabularJobConfig", "Tabular", Problem::Tabular),
    (
        "TextGenerationJobConfig",
        "TextGeneration",
        Problem::TextGeneration,
    ),
];

impl Problem {
    fn entry(self) -> (&'static str, &'static str) {
        PROBLEMS
            .iter()
            .find(|(_, _, problem)| *problem == self)
            .map(|(member, name, _)| (*member, *name))
            .expect("every problem type is in the table")
    }

    /// Its configuration in the request (`AutoMLProblemTypeConfig.<member>`).
    fn config(self, request: &Value) -> Option<&Value> {
        request.get("AutoMLProblemTypeConfig")?.get(self.entry().0)
    }
}

/// The stages (secondary statuses while InProgress) of each kind of job, from the
/// AutoMLJobSecondaryStatus values; the second member is the stage that trains the candidates.
const TABULAR_TUNING: (&[&str], Option<&str>) = (
    &[
        "Starting",
        "AnalyzingData",
        "FeatureEngineering",
        "ModelTuning",
        "GeneratingExplainabilityReport",
        "GeneratingModelInsightsReport",
    ],
    Some("ModelTuning"),
);
const TABULAR_ENSEMBLING: (&[&str], Option<&str>) = (
    &[
        "Starting",
        "AnalyzingData",
        "TrainingModels",
        "GeneratingExplainabilityReport",
        "GeneratingModelInsightsReport",
    ],
    Some("TrainingModels"),
);
const TABULAR_DEFINITIONS_ONLY: (&[&str], Option<&str>) =
    (&["Starting", "AnalyzingData", "FeatureEngineering"], None);
const FORECASTING: (&[&str], Option<&str>) = (
    &[
        "Starting",
        "AnalyzingData",
        "TrainingModels",
        "GeneratingExplainabilityReport",
    ],
    Some("TrainingModels"),
);
const SINGLE_MODEL: (&[&str], Option<&str>) = (
    &["Starting", "AnalyzingData", "TrainingModels"],
    Some("TrainingModels"),
);

/// Candidates a tabular job trains (at most MaxCandidates); the other problem types train one,
/// the only MaxCandidates they support.
const TABULAR_CANDIDATES: usize = 3;

/// The documented defaults of CompletionCriteria (the time limits are the emulator's
/// assumption for all but text generation's 72 hours).
const DEFAULT_MAX_CANDIDATES: i64 = 250;
const DEFAULT_MAX_TRAINING_SECONDS: i64 = 86_400;
const TEXT_GENERATION_MAX_TRAINING_SECONDS: i64 = 259_200;
const DEFAULT_MAX_JOB_SECONDS: i64 = 2_592_000;

/// The job's objective metric and its direction (`Maximize` or `Minimize`).
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub metric: String,
    pub direction: &'static str,
}

pub struct AutoMlJob {
    pub name: String,
    pub arn: String,
    /// The Create request as received (compact text).
    pub request: Box<str>,
    pub created: f64,
    pub plan: Vec<Step>,
    pub failure_reason: Option<String>,
    pub problem: Problem,
    /// The stage that trains candidates; None when the job only generates their definitions.
    pub training_stage: Option<&'static str>,
    pub objective: Option<Objective>,
    /// A tabular job's problem type, as given or (when not) as the emulator resolves it.
    pub tabular_problem: Option<String>,
    pub candidate_count: usize,
}

/// The AutoML jobs of one region, by lower-cased name.
pub type AutoMlJobs = HashMap<String, AutoMlJob>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<AutoMlJobs>("AutoML job");
    kind.resources = Some(|world| {
        vec![(
            "autoMLJobs",
            sorted_names(world.automl_jobs().values().map(|job| &job.name)),
        )]
    });
    kind.owns_arn = Some(|world, arn| world.automl_jobs().values().any(|job| job.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateAutoMLJobV2", |world, body, now| {
                world.create_automl_job(&body, now)
            }),
            ("DescribeAutoMLJobV2", |world, body, now| {
                world.describe_automl_job(&body, now)
            }),
            ("StopAutoMLJob", |world, body, now| {
                world.stop_automl_job(&body, now)
            }),
            ("ListAutoMLJobs", |world, body, now| {
                world.list_automl_jobs(&body, now)
            }),
            ("ListCandidatesForAutoMLJob", |world, body, now| {
                world.list_automl_candidates(&body, now)
            }),
        ],
    )
}

/// The one problem type AutoMLProblemTypeConfig sets. It is a union: exactly one member; the
/// wording of the refusal is the emulator's.
fn problem(body: &Value) -> Result<Problem, ApiError> {
    let config = body.get("AutoMLProblemTypeConfig");
    let set: Vec<Problem> = PROBLEMS
        .iter()
        .filter(|(member, ..)| {
            config
                .and_then(|c| c.get(*member))
                .is_some_and(|v| !v.is_null())
        })
        .map(|(.., problem)| *problem)
        .collect();
    match set.as_slice() {
        [one] => Ok(*one),
        _ => {
            let members: Vec<&str> = PROBLEMS.iter().map(|(member, ..)| *member).collect();
            Err(ApiError::validation(format!(
                "AutoMLProblemTypeConfig is a union: exactly one of {} must be set, but {} {} set.",
                members.join(", "),
                set.len(),
                if set.len() == 1 { "was" } else { "were" }
            )))
        }
    }
}

/// The documented rules between members the model cannot state (the wordings are the
/// emulator's): a tabular job gives both its ProblemType and an objective, or neither; a
/// forecasting job has no DataSplitConfig; only tabular jobs take more than one candidate.
fn check_rules(body: &Value, problem: Problem) -> Result<(), ApiError> {
    let config = problem.config(body);
    if problem == Problem::Tabular {
        let typed = config.and_then(|c| c.get("ProblemType")).is_some();
        if typed != body.get("AutoMLJobObjective").is_some() {
            return Err(ApiError::validation(
                "You must either provide both the AutoMLJobObjective and the ProblemType of TabularJobConfig, or none at all.",
            ));
        }
    }
    if problem == Problem::TimeSeriesForecasting && body.get("DataSplitConfig").is_some() {
        return Err(ApiError::validation(
            "DataSplitConfig must not be set for the time-series forecasting problem type.",
        ));
    }
    let candidates = config.and_then(|c| c.pointer("/CompletionCriteria/MaxCandidates"));
    if problem != Problem::Tabular && candidates.and_then(Value::as_i64).is_some_and(|n| n != 1) {
        return Err(ApiError::validation(format!(
            "MaxCandidates must be 1 for the {} problem type.",
            problem.entry().1
        )));
    }
    Ok(())
}

/// A tabular job's problem type: the request's, else the one the emulator resolves (Autopilot
/// infers it from the target column; the emulator always answers binary classification).
fn tabular_problem(body: &Value, problem: Problem) -> Option<String> {
    (problem == Problem::Tabular).then(|| {
        problem
            .config(body)
            .and_then(|c| str_member(c, "ProblemType"))
            .unwrap_or("BinaryClassification")
            .to_string()
    })
}

/// The objective: the request's metric, else the documented default of the problem type (text
/// generation has none in the metric enumeration: it fine-tunes on cross-entropy loss).
fn objective(body: &Value, problem: Problem, tabular: Option<&str>) -> Option<Objective> {
    let given = body
        .get("AutoMLJobObjective")
        .and_then(|o| str_member(o, "MetricName"));
    let metric = match (given, problem) {
        (Some(metric), _) => metric,
        (None, Problem::Tabular) => match tabular {
            Some("Regression") => "MSE",
            Some("MulticlassClassification") => "Accuracy",
            _ => "F1",
        },
        (None, Problem::ImageClassification | Problem::TextClassification) => "Accuracy",
        (None, Problem::TimeSeriesForecasting) => "AverageWeightedQuantileLoss",
        (None, Problem::TextGeneration) => return None,
    };
    let minimized = matches!(
        metric,
        "MSE" | "RMSE" | "MAE" | "MAPE" | "MASE" | "WAPE" | "AverageWeightedQuantileLoss"
    );
    Some(Objective {
        metric: metric.to_string(),
        direction: if minimized { "Minimize" } else { "Maximize" },
    })
}

/// The stages of a job: by problem type, and for a tabular job by its mode (AUTO, the default,
/// is taken as HYPERPARAMETER_TUNING) and whether it only generates candidate definitions.
fn stages(body: &Value, problem: Problem) -> (&'static [&'static str], Option<&'static str>) {
    let config = problem.config(body);
    match problem {
        Problem::Tabular => {
            let only_definitions = config
                .and_then(|c| c.get("GenerateCandidateDefinitionsOnly"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            match config.and_then(|c| str_member(c, "Mode")) {
                _ if only_definitions => TABULAR_DEFINITIONS_ONLY,
                Some("ENSEMBLING") => TABULAR_ENSEMBLING,
                _ => TABULAR_TUNING,
            }
        }
        Problem::TimeSeriesForecasting => FORECASTING,
        _ => SINGLE_MODEL,
    }
}

/// The plan of a job created at `now` lasting `duration` emulated seconds: its stages evenly
/// spaced, then Completed (CandidateDefinitionsGenerated for a definitions-only job). A failing
/// job fails at the end of its duration, right after its training stage.
fn automl_plan(
    settings: &Settings,
    stages: (&'static [&'static str], Option<&'static str>),
    failed: bool,
    duration: f64,
    now: f64,
) -> Vec<Step> {
    let (names, training) = stages;
    let count = names.len() as f64;
    let at = |index: usize| now + settings.real(duration * index as f64 / count);
    let step = |at: f64, status: &'static str, secondary: &'static str| Step {
        at,
        status,
        secondary,
        message: "",
    };
    let mut plan: Vec<Step> = names
        .iter()
        .enumerate()
        .map(|(index, stage)| step(at(index), "InProgress", stage))
        .collect();
    let end = now + settings.real(duration);
    if failed {
        if let Some(last) = training.and_then(|t| names.iter().position(|s| *s == t)) {
            plan.truncate(last + 1);
        }
        plan.push(step(end, "Failed", "Failed"));
    } else if training.is_none() {
        plan.push(step(end, "Completed", "CandidateDefinitionsGenerated"));
    } else {
        plan.push(step(end, "Completed", "Completed"));
    }
    plan
}

/// Whether the job has finished `stage` normally by `now` (the next step has come and is
/// neither a failure nor a stop).
fn passed(plan: &[Step], stage: &str, now: f64) -> bool {
    plan.iter()
        .position(|step| step.secondary == stage)
        .and_then(|index| plan.get(index + 1))
        .is_some_and(|next| next.at <= now && matches!(next.status, "InProgress" | "Completed"))
}

/// A candidate the job trained.
struct Candidate {
    name: String,
    value: Option<f64>,
    created: f64,
    ended: f64,
}

/// The candidates a job has trained by `now`: none until its training stage has ended. Names
/// and metric values are deterministic functions of the job's name.
fn candidates(job: &AutoMlJob, now: f64) -> Vec<Candidate> {
    let Some(stage) = job.training_stage else {
        return Vec::new();
    };
    let Some(index) = job.plan.iter().position(|step| step.secondary == stage) else {
        return Vec::new();
    };
    if !passed(&job.plan, stage, now) {
        return Vec::new();
    }
    let (created, ended) = (job.plan[index].at, job.plan[index + 1].at);
    (1..=job.candidate_count)
        .map(|number| {
            let name = format!(
                "{}-{number:03}-{}",
                job.name,
                hex8(&format!("{}/{number}", job.name))
            );
            let value = job
                .objective
                .as_ref()
                .map(|objective| metric_value(&name, &objective.metric));
            Candidate {
                name,
                value,
                created,
                ended,
            }
        })
        .collect()
}

/// The best candidate by the objective's direction (the first, without an objective).
fn best(job: &AutoMlJob, candidates: Vec<Candidate>) -> Option<Candidate> {
    let minimize = job
        .objective
        .as_ref()
        .is_some_and(|o| o.direction == "Minimize");
    candidates.into_iter().reduce(|best, next| {
        let (b, n) = (best.value.unwrap_or(0.0), next.value.unwrap_or(0.0));
        let better = if minimize { n < b } else { n > b };
        if better { next } else { best }
    })
}

/// Eight hexadecimal digits derived from `text`, for names SageMaker makes unique.
fn hex8(text: &str) -> String {
    format!("{:08x}", (unit_hash(text) * f64::from(u32::MAX)) as u32)
}

/// Where a job's outputs go: `<S3OutputPath>/<job>`.
fn output_prefix(request: &Value, job: &str) -> String {
    let path = request
        .pointer("/OutputDataConfig/S3OutputPath")
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!("{}/{job}", path.trim_end_matches('/'))
}

/// The steps of a candidate: a tabular candidate's data processing job, then its training job
/// (named after the candidate). They are not created as jobs of their own.
fn candidate_steps(job: &AutoMlJob, candidate: &str, settings: &Settings) -> Value {
    let step = |kind: &str, resource: &str, name: String| {
        json!({
            "CandidateStepType": kind,
            "CandidateStepArn": settings.arn(resource, &name),
            "CandidateStepName": name,
        })
    };
    let mut steps = Vec::new();
    if job.problem == Problem::Tabular {
        steps.push(step(
            "AWS::SageMaker::ProcessingJob",
            "processing-job",
            format!("{candidate}-dpp"),
        ));
    }
    steps.push(step(
        "AWS::SageMaker::TrainingJob",
        "training-job",
        candidate.to_string(),
    ));
    Value::Array(steps)
}

/// A candidate's inference containers, with their model data under the job's output path. The
/// images are representative of what Autopilot recommends, not looked up per region.
fn containers(problem: Problem, candidate: &str, settings: &Settings, prefix: &str) -> Value {
    let images: &[(&str, &str, &str)] = match problem {
        Problem::Tabular => &[
            (
                "683313688378",
                "sagemaker-sklearn-automl:2.5-1-cpu-py3",
                "data-processor-models",
            ),
            ("683313688378", "sagemaker-xgboost:1.7-1", "tuning"),
        ],
        Problem::TimeSeriesForecasting => &[(
            "763104351884",
            "autogluon-inference:1.1-cpu-py311",
            "models",
        )],
        Problem::ImageClassification | Problem::TextClassification => &[(
            "763104351884",
            "huggingface-pytorch-inference:2.1-transformers4.37-gpu-py310-cu118-ubuntu20.04",
            "models",
        )],
        Problem::TextGeneration => &[(
            "763104351884",
            "huggingface-pytorch-tgi-inference:2.1-tgi1.4-gpu-py310-cu121-ubuntu22.04",
            "models",
        )],
    };
    let region = &settings.region;
    Value::Array(
        images
            .iter()
            .map(|(account, image, folder)| {
                json!({
                    "Image": format!("{account}.dkr.ecr.{region}.amazonaws.com/{image}"),
                    "ModelDataUrl": format!("{prefix}/{folder}/{candidate}/output/model.tar.gz"),
                })
            })
            .collect(),
    )
}

/// A tabular or forecasting candidate's artifact locations and validation metric.
fn candidate_properties(job: &AutoMlJob, candidate: &Candidate, prefix: &str) -> Option<Value> {
    if !matches!(
        job.problem,
        Problem::Tabular | Problem::TimeSeriesForecasting
    ) {
        return None;
    }
    let mut locations = json!({
        "Explainability": format!("{prefix}/documentation/explainability/{}/output", candidate.name),
        "ModelInsights": format!("{prefix}/documentation/model_monitor/{}/output", candidate.name),
    });
    if job.problem == Problem::TimeSeriesForecasting {
        locations["BacktestResults"] = json!(format!("{prefix}/backtest/{}", candidate.name));
    }
    let metrics: Vec<Value> = match (&job.objective, candidate.value) {
        (Some(objective), Some(value)) => vec![json!({
            "MetricName": objective.metric,
            "Value": value,
            "Set": "Validation",
            "StandardMetricName": objective.metric,
        })],
        _ => Vec::new(),
    };
    Some(json!({ "CandidateArtifactLocations": locations, "CandidateMetrics": metrics }))
}

/// A candidate as Describe's BestCandidate and ListCandidatesForAutoMLJob show it.
fn candidate_json(
    job: &AutoMlJob,
    candidate: &Candidate,
    settings: &Settings,
    prefix: &str,
) -> Value {
    let mut out = Map::new();
    out.insert("CandidateName".into(), json!(candidate.name));
    if let (Some(objective), Some(value)) = (&job.objective, candidate.value) {
        out.insert(
            "FinalAutoMLJobObjectiveMetric".into(),
            json!({
                "Type": objective.direction,
                "MetricName": objective.metric,
                "Value": value,
                "StandardMetricName": objective.metric,
            }),
        );
    }
    out.insert("ObjectiveStatus".into(), json!("Succeeded"));
    out.insert(
        "CandidateSteps".into(),
        candidate_steps(job, &candidate.name, settings),
    );
    out.insert("CandidateStatus".into(), json!("Completed"));
    out.insert(
        "InferenceContainers".into(),
        containers(job.problem, &candidate.name, settings, prefix),
    );
    out.insert("CreationTime".into(), time_value(candidate.created));
    out.insert("EndTime".into(), time_value(candidate.ended));
    out.insert("LastModifiedTime".into(), time_value(candidate.ended));
    if let Some(properties) = candidate_properties(job, candidate, prefix) {
        out.insert("CandidateProperties".into(), properties);
    }
    Value::Object(out)
}

/// A tabular job's notebooks: the data exploration notebook once the data is analyzed, the
/// candidate definition notebook once features are engineered (not in ensembling mode).
fn artifacts(job: &AutoMlJob, prefix: &str, now: f64) -> Option<Value> {
    if job.problem != Problem::Tabular {
        return None;
    }
    let notebooks = format!(
        "{prefix}/sagemaker-automl-candidates/{}-pr-1-{}/notebooks",
        job.name,
        hex8(&job.name)
    );
    let mut out = Map::new();
    if passed(&job.plan, "AnalyzingData", now) {
        out.insert(
            "DataExplorationNotebookLocation".into(),
            json!(format!(
                "{notebooks}/SageMakerAutopilotDataExplorationNotebook.ipynb"
            )),
        );
    }
    if passed(&job.plan, "FeatureEngineering", now) {
        out.insert(
            "CandidateDefinitionNotebookLocation".into(),
            json!(format!(
                "{notebooks}/SageMakerAutopilotCandidateDefinitionNotebook.ipynb"
            )),
        );
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// What the job resolved once it has analyzed the data: its objective, its completion criteria
/// with their defaults, and the problem type's own attributes (tabular: the problem type; text
/// generation: the base model, Falcon7BInstruct unless named).
fn resolved_attributes(job: &AutoMlJob, request: &Value, now: f64) -> Option<Value> {
    if !passed(&job.plan, "AnalyzingData", now) {
        return None;
    }
    let config = job.problem.config(request);
    let criteria = config.and_then(|c| c.get("CompletionCriteria"));
    let limit = |member: &str, default: i64| {
        criteria
            .and_then(|c| c.get(member))
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    let (candidates, training) = match job.problem {
        Problem::Tabular => (DEFAULT_MAX_CANDIDATES, DEFAULT_MAX_TRAINING_SECONDS),
        Problem::TextGeneration => (1, TEXT_GENERATION_MAX_TRAINING_SECONDS),
        _ => (1, DEFAULT_MAX_TRAINING_SECONDS),
    };
    let mut out = Map::new();
    if let Some(objective) = &job.objective {
        out.insert(
            "AutoMLJobObjective".into(),
            json!({ "MetricName": objective.metric }),
        );
    }
    out.insert(
        "CompletionCriteria".into(),
        json!({
            "MaxCandidates": limit("MaxCandidates", candidates),
            "MaxRuntimePerTrainingJobInSeconds": limit("MaxRuntimePerTrainingJobInSeconds", training),
            "MaxAutoMLJobRuntimeInSeconds": limit("MaxAutoMLJobRuntimeInSeconds", DEFAULT_MAX_JOB_SECONDS),
        }),
    );
    let specific = match job.problem {
        Problem::Tabular => Some(json!({
            "TabularResolvedAttributes": { "ProblemType": job.tabular_problem }
        })),
        Problem::TextGeneration => Some(json!({
            "TextGenerationResolvedAttributes": {
                "BaseModelName": config.and_then(|c| str_member(c, "BaseModelName")).unwrap_or("Falcon7BInstruct")
            }
        })),
        _ => None,
    };
    if let Some(specific) = specific {
        out.insert("AutoMLProblemTypeResolvedAttributes".into(), specific);
    }
    Some(Value::Object(out))
}

/// The documented defaults of the input channels: training data, uncompressed, and for tabular
/// problems CSV with a header.
fn fill_channel_defaults(out: &mut Map<String, Value>, problem: Problem) {
    for channel in out
        .get_mut("AutoMLJobInputDataConfig")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Value::Object(channel) = channel {
            channel.entry("ChannelType").or_insert(json!("training"));
            channel.entry("CompressionType").or_insert(json!("None"));
            if problem == Problem::Tabular {
                channel
                    .entry("ContentType")
                    .or_insert(json!("text/csv;header=present"));
            }
        }
    }
}

/// How many candidates a job trains: a tabular job a few (no more than its MaxCandidates).
fn candidate_count(body: &Value, problem: Problem) -> usize {
    if problem != Problem::Tabular {
        return 1;
    }
    let limit = problem
        .config(body)
        .and_then(|c| c.pointer("/CompletionCriteria/MaxCandidates"))
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_CANDIDATES as u64);
    TABULAR_CANDIDATES.min(limit as usize)
}

impl World {
    pub fn automl_jobs(&self) -> &AutoMlJobs {
        self.state()
    }

    fn automl_jobs_mut(&mut self) -> &mut AutoMlJobs {
        self.state_mut()
    }

    /// The job a request names (case-insensitively). A missing job is ResourceNotFound in
    /// SageMaker's words (as DescribeAutoMLJob answers it).
    fn automl_job(&self, body: &Value) -> Result<&AutoMlJob, ApiError> {
        let name = str_member(body, "AutoMLJobName").unwrap_or_default();
        self.automl_jobs().get(&name.to_lowercase()).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("Amazon SageMaker can't find an AutoML job called {name}."),
            )
        })
    }

    pub fn create_automl_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = str_member(body, "AutoMLJobName")
            .unwrap_or_default()
            .to_string();
        let problem = problem(body)?;
        check_rules(body, problem)?;
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        if let Some(existing) = self.automl_jobs().get(&name.to_lowercase()) {
            // The wording SageMaker gives for taken processing and transform job names.
            return Err(ApiError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Job name must be unique within an AWS account and region, and a job with this name already exists ({})",
                    existing.arn
                ),
            ));
        }
        let failed = match reserved.outcome.as_deref() {
            Some(outcome) => outcome == "Failed",
            None => self.settings.default_outcome == Outcome::Failed,
        };
        let failure_reason = failed.then(|| {
            reserved.failure_reason.unwrap_or_else(|| {
                "ClientError: the emulated AutoML job failed (emulator:outcome tag or --default-outcome)".to_string()
            })
        });
        let stages = stages(body, problem);
        let duration = reserved.duration.unwrap_or(self.settings.default_duration);
        let tabular_problem = tabular_problem(body, problem);
        let arn = self.settings.arn("automl-job", &name);
        let job = AutoMlJob {
            name: name.clone(),
            arn: arn.clone(),
            request: body.to_string().into_boxed_str(),
            created: now,
            plan: automl_plan(&self.settings, stages, failed, duration, now),
            failure_reason,
            problem,
            training_stage: stages.1,
            objective: objective(body, problem, tabular_problem.as_deref()),
            tabular_problem,
            candidate_count: candidate_count(body, problem),
        };
        tracing::debug!(job = %name, failed, "AutoML job created");
        self.store_tags(&arn, body.get("Tags"));
        self.automl_jobs_mut().insert(name.to_lowercase(), job);
        Ok(json!({ "AutoMLJobArn": arn }))
    }

    pub fn describe_automl_job(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let job = self.automl_job(body)?;
        let request: Value = serde_json::from_str(&job.request).unwrap_or(Value::Null);
        let current = visible(&job.plan, now).last().expect("plan never empty");
        let mut out = echoed_request(&job.request, &["Tags"]);
        fill_channel_defaults(&mut out, job.problem);
        out.insert("AutoMLJobArn".into(), json!(job.arn));
        out.insert(
            "AutoMLProblemTypeConfigName".into(),
            json!(job.problem.entry().1),
        );
        out.insert("CreationTime".into(), time_value(job.created));
        if is_terminal_status(current.status) {
            out.insert("EndTime".into(), time_value(current.at));
        }
        out.insert("LastModifiedTime".into(), time_value(current.at));
        if let (Some(reason), "Failed") = (&job.failure_reason, current.status) {
            out.insert("FailureReason".into(), json!(reason));
        }
        out.insert("AutoMLJobStatus".into(), json!(current.status));
        out.insert("AutoMLJobSecondaryStatus".into(), json!(current.secondary));
        let prefix = output_prefix(&request, &job.name);
        if current.status == "Completed"
            && let Some(best) = best(job, candidates(job, now))
        {
            let best = candidate_json(job, &best, &self.settings, &prefix);
            out.insert("BestCandidate".into(), best);
        }
        if let Some(artifacts) = artifacts(job, &prefix, now) {
            out.insert("AutoMLJobArtifacts".into(), artifacts);
        }
        if let Some(resolved) = resolved_attributes(job, &request, now) {
            out.insert("ResolvedAttributes".into(), resolved);
        }
        Ok(Value::Object(out))
    }

    pub fn stop_automl_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let key = self.automl_job(body)?.name.to_lowercase();
        let delay = self.settings.real(STOP_DELAY);
        let job = self
            .automl_jobs_mut()
            .get_mut(&key)
            .expect("looked up above");
        let current = visible(&job.plan, now).last().expect("plan never empty");
        // The emulator's wording, as for the other jobs: SageMaker's is not documented.
        if is_terminal_status(current.status) || current.status == "Stopping" {
            return Err(ApiError::validation(format!(
                "The AutoML job {} is in status {} and cannot be stopped.",
                job.name, current.status
            )));
        }
        stop_steps(
            &mut job.plan,
            now,
            delay,
            ["Stopping the AutoML job", "AutoML job stopped"],
        );
        tracing::debug!(job = %job.name, "AutoML job stopping");
        Ok(json!({}))
    }

    /// ListAutoMLJobs: the common filters; sorted by Name (default), CreationTime or Status,
    /// Descending unless told otherwise (both documented defaults).
    pub fn list_automl_jobs(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<(&AutoMlJob, &Step)> = self
            .automl_jobs()
            .values()
            .filter_map(|job| {
                let current = visible(&job.plan, now).last()?;
                filter
                    .accepts(&job.name, Some(current.status), job.created, current.at)
                    .then_some((job, current))
            })
            .collect();
        sort_rows(&mut rows, body, "Name", true, |(job, current)| {
            (&job.name, job.created, current.status)
        });
        let (page, next) = paginate(rows, body, 10, 100)?;
        let summaries = page
            .into_iter()
            .map(|(job, current)| {
                let mut summary = json!({
                    "AutoMLJobName": job.name,
                    "AutoMLJobArn": job.arn,
                    "AutoMLJobStatus": current.status,
                    "AutoMLJobSecondaryStatus": current.secondary,
                    "CreationTime": time_value(job.created),
                    "LastModifiedTime": time_value(current.at),
                });
                if is_terminal_status(current.status) {
                    summary["EndTime"] = time_value(current.at);
                }
                if let (Some(reason), "Failed") = (&job.failure_reason, current.status) {
                    summary["FailureReason"] = json!(reason);
                }
                summary
            })
            .collect();
        Ok(list_response("AutoMLJobSummaries", summaries, next))
    }

    /// ListCandidatesForAutoMLJob: the candidates trained so far, by status and name; sorted by
    /// CreationTime (default), Status or FinalObjectiveMetricValue, Ascending by default.
    pub fn list_automl_candidates(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let job = self.automl_job(body)?;
        let status = str_member(body, "StatusEquals");
        let named = str_member(body, "CandidateNameEquals");
        // Every candidate the emulator lists has completed.
        let mut rows: Vec<Candidate> = candidates(job, now)
            .into_iter()
            .filter(|c| {
                status.is_none_or(|s| s == "Completed") && named.is_none_or(|n| n == c.name)
            })
            .collect();
        if str_member(body, "SortBy") == Some("FinalObjectiveMetricValue") {
            rows.sort_by(|a, b| a.value.unwrap_or(0.0).total_cmp(&b.value.unwrap_or(0.0)));
            if str_member(body, "SortOrder") == Some("Descending") {
                rows.reverse();
            }
        } else {
            sort_rows(&mut rows, body, "CreationTime", false, |c| {
                (&c.name, c.created, "Completed")
            });
        }
        let request: Value = serde_json::from_str(&job.request).unwrap_or(Value::Null);
        let prefix = output_prefix(&request, &job.name);
        let (page, next) = paginate(rows, body, 10, 300)?;
        let listed = page
            .iter()
            .map(|candidate| candidate_json(job, candidate, &self.settings, &prefix))
            .collect();
        Ok(list_response("Candidates", listed, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_config(member: &str, config: Value) -> Value {
        json!({ "AutoMLProblemTypeConfig": { member: config } })
    }

    #[test]
    fn the_problem_type_config_is_a_union_of_exactly_one_member() {
        for (member, name, problem) in PROBLEMS {
            let body = with_config(member, json!({}));
            assert_eq!(super::problem(&body).unwrap(), problem, "{member}");
            assert_eq!(problem.entry().1, name);
        }
        let two = json!({ "AutoMLProblemTypeConfig": {
            "TabularJobConfig": { "TargetAttributeName": "y" },
            "ImageClassificationJobConfig": {},
        }});
        for (body, count) in [
            (two, "2 were"),
            (json!({ "AutoMLProblemTypeConfig": {} }), "0 were"),
        ] {
            let refused = problem(&body).unwrap_err();
            assert_eq!(refused.code, ErrorCode::Validation);
            assert!(
                refused
                    .message
                    .starts_with("AutoMLProblemTypeConfig is a union")
            );
            assert!(
                refused.message.ends_with(&format!("{count} set.")),
                "{}",
                refused.message
            );
        }
    }

    #[test]
    fn documented_rules_between_members_are_checked() {
        let tabular = |config: Value, extra: Value| {
            let mut body = with_config("TabularJobConfig", config);
            if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
                body.extend(extra);
            }
            check_rules(&body, Problem::Tabular).map_err(|e| e.message)
        };
        let objective = json!({ "AutoMLJobObjective": { "MetricName": "F1" } });
        assert!(tabular(json!({ "TargetAttributeName": "y" }), json!({})).is_ok());
        assert!(tabular(json!({ "ProblemType": "Regression" }), objective.clone()).is_ok());
        assert!(tabular(json!({ "ProblemType": "Regression" }), json!({})).is_err());
        assert!(tabular(json!({}), objective).is_err());
        let forecasting = json!({
            "AutoMLProblemTypeConfig": { "TimeSeriesForecastingJobConfig": {} },
            "DataSplitConfig": { "ValidationFraction": 0.2 },
        });
        assert!(check_rules(&forecasting, Problem::TimeSeriesForecasting).is_err());
        let images = |n: i64| {
            with_config(
                "ImageClassificationJobConfig",
                json!({ "CompletionCriteria": { "MaxCandidates": n } }),
            )
        };
        assert!(check_rules(&images(1), Problem::ImageClassification).is_ok());
        let refused = check_rules(&images(5), Problem::ImageClassification).unwrap_err();
        assert_eq!(
            refused.message,
            "MaxCandidates must be 1 for the ImageClassification problem type."
        );
    }

    #[test]
    fn the_objective_defaults_by_problem_type() {
        let table = [
            (
                Problem::Tabular,
                Some("Regression"),
                None,
                Some(("MSE", "Minimize")),
            ),
            (
                Problem::Tabular,
                Some("BinaryClassification"),
                None,
                Some(("F1", "Maximize")),
            ),
            (
                Problem::Tabular,
                Some("MulticlassClassification"),
                None,
                Some(("Accuracy", "Maximize")),
            ),
            (
                Problem::Tabular,
                Some("Regression"),
                Some("RMSE"),
                Some(("RMSE", "Minimize")),
            ),
            (
                Problem::ImageClassification,
                None,
                None,
                Some(("Accuracy", "Maximize")),
            ),
            (
                Problem::TextClassification,
                None,
                None,
                Some(("Accuracy", "Maximize")),
            ),
            (
                Problem::TimeSeriesForecasting,
                None,
                None,
                Some(("AverageWeightedQuantileLoss", "Minimize")),
            ),
            (
                Problem::TimeSeriesForecasting,
                None,
                Some("MAPE"),
                Some(("MAPE", "Minimize")),
            ),
            (Problem::TextGeneration, None, None, None),
        ];
        for (problem, tabular, given, expected) in table {
            let body = match given {
                Some(metric) => json!({ "AutoMLJobObjective": { "MetricName": metric } }),
                None => json!({}),
            };
            let got = objective(&body, problem, tabular);
            let expected = expected.map(|(metric, direction)| Objective {
                metric: metric.to_string(),
                direction,
            });
            assert_eq!(got, expected, "{problem:?} {tabular:?} {given:?}");
        }
        assert_eq!(
            tabular_problem(
                &with_config("TabularJobConfig", json!({})),
                Problem::Tabular
            )
            .as_deref(),
            Some("BinaryClassification")
        );
    }

    #[test]
    fn plans_move_through_the_stages_of_their_problem_type() {
        let settings = Settings {
            region: "us-east-1".into(),
            time_scale: 1.0,
            default_outcome: Outcome::Completed,
            default_duration: 60.0,
            endpoint_duration: 30.0,
        };
        let secondaries = |plan: &[Step]| plan.iter().map(|s| s.secondary).collect::<Vec<_>>();
        let tabular = stages(
            &with_config("TabularJobConfig", json!({})),
            Problem::Tabular,
        );
        let plan = automl_plan(&settings, tabular, false, 60.0, 0.0);
        assert_eq!(
            secondaries(&plan),
            [
                "Starting",
                "AnalyzingData",
                "FeatureEngineering",
                "ModelTuning",
                "GeneratingExplainabilityReport",
                "GeneratingModelInsightsReport",
                "Completed"
            ]
        );
        assert_eq!(
            plan.iter().map(|s| s.at).collect::<Vec<_>>(),
            [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
        );
        assert!(passed(&plan, "ModelTuning", 40.0) && !passed(&plan, "ModelTuning", 39.9));

        let failed = automl_plan(&settings, tabular, true, 60.0, 0.0);
        assert_eq!(
            secondaries(&failed),
            [
                "Starting",
                "AnalyzingData",
                "FeatureEngineering",
                "ModelTuning",
                "Failed"
            ]
        );
        assert!(
            !passed(&failed, "ModelTuning", 100.0),
            "a failure is not a finished stage"
        );

        let ensembling = with_config("TabularJobConfig", json!({ "Mode": "ENSEMBLING" }));
        assert_eq!(
            stages(&ensembling, Problem::Tabular).1,
            Some("TrainingModels")
        );
        let only = with_config(
            "TabularJobConfig",
            json!({ "GenerateCandidateDefinitionsOnly": true, "Mode": "ENSEMBLING" }),
        );
        let definitions = automl_plan(&settings, stages(&only, Problem::Tabular), false, 60.0, 0.0);
        assert_eq!(
            secondaries(&definitions),
            [
                "Starting",
                "AnalyzingData",
                "FeatureEngineering",
                "CandidateDefinitionsGenerated"
            ]
        );
        for problem in [
            Problem::ImageClassification,
            Problem::TextClassification,
            Problem::TextGeneration,
        ] {
            assert_eq!(stages(&json!({}), problem), SINGLE_MODEL, "{problem:?}");
        }
        assert_eq!(
            stages(&json!({}), Problem::TimeSeriesForecasting),
            FORECASTING
        );
    }
}
