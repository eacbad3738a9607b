//! The operations on a pipeline's executions: StartPipelineExecution (ClientRequestToken
//! idempotent per pipeline, parameters checked against the definition),
//! DescribePipelineExecution, StopPipelineExecution, ListPipelineExecutions,
//! ListPipelineExecutionSteps and ListPipelineParametersForExecution. The executions themselves
//! are kept (and advanced) by the pipeline kind.

use rand::Rng;
use serde_json::{Value, json};

use crate::pipeline_definition::{Definition, typed_value};
use crate::pipeline_execution::{Execution, ExecutionSpec, STOP_SECONDS, step_view};
use crate::pipeline_steps::Controls;
use crate::wire::{ApiError, ErrorCode};
use crate::world::{Kind, Service, World, list_response, paginate, str_member, time_member};

/// The operations; their state is the pipeline kind's.
pub fn kind() -> Kind {
    Kind::new::<()>("pipeline execution").operations(
        Service::SageMaker,
        &[
            ("StartPipelineExecution", |world, body, now| {
                world.start_pipeline_execution(&body, now)
            }),
            ("DescribePipelineExecution", |world, body, _| {
                Ok(world.pipeline_execution(&body)?.describe())
            }),
            ("StopPipelineExecution", |world, body, now| {
                world.stop_pipeline_execution(&body, now)
            }),
            ("ListPipelineExecutions", |world, body, _| {
                world.list_pipeline_executions(&body)
            }),
            ("ListPipelineExecutionSteps", |world, body, now| {
                world.list_pipeline_execution_steps(&body, now)
            }),
            ("ListPipelineParametersForExecution", |world, body, _| {
                let rows = world.pipeline_execution(&body)?.parameter_rows();
                let (page, next) = paginate(rows, &body, 10, 100)?;
                Ok(list_response("PipelineParameters", page, next))
            }),
        ],
    )
}

/// An execution id as SageMaker's: 12 lower-case letters and digits.
fn execution_id() -> String {
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Every declared parameter with its value for a run: the one given (as the parameter's
/// Type), else its default. A name the definition does not declare, a value not of the
/// parameter's type, or a parameter with neither value nor default is refused (the emulator's
/// wording).
fn effective_parameters(
    definition: &Definition,
    given: Option<&Value>,
) -> Result<Vec<(String, Value)>, ApiError> {
    let given: Vec<(&str, &str)> = given
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| Some((str_member(item, "Name")?, str_member(item, "Value")?)))
        .collect();
    if let Some((name, _)) = given
        .iter()
        .find(|(name, _)| !definition.parameters.iter().any(|p| p.name == *name))
    {
        return Err(ApiError::validation(format!(
            "Parameter {name} is not defined in the pipeline definition."
        )));
    }
    definition
        .parameters
        .iter()
        .map(|parameter| {
            let value = match given.iter().rev().find(|(name, _)| *name == parameter.name) {
                Some((_, text)) => typed_value(&parameter.kind, text).ok_or_else(|| {
                    ApiError::validation(format!(
                        "Value '{text}' of parameter {} is not of its Type {}.",
                        parameter.name, parameter.kind
                    ))
                })?,
                None => parameter.default.clone().ok_or_else(|| {
                    ApiError::validation(format!(
                        "Parameter {} has no DefaultValue and was not given a value.",
                        parameter.name
                    ))
                })?,
            };
            Ok((parameter.name.clone(), value))
        })
        .collect()
}

impl World {
    /// The execution a request names by `PipelineExecutionArn`; a missing one is
    /// ResourceNotFound (the API reference's code; the wording is the emulator's).
    fn pipeline_execution(&self, body: &Value) -> Result<&Execution, ApiError> {
        let arn = str_member(body, "PipelineExecutionArn").unwrap_or_default();
        self.pipelines()
            .executions
            .get(&arn.to_lowercase())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ResourceNotFound,
                    format!("Pipeline execution '{arn}' does not exist."),
                )
            })
    }

    fn start_pipeline_execution(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(str_member(body, "PipelineName").unwrap_or_default())?;
        let token = str_member(body, "ClientRequestToken").unwrap_or_default();
        if let Some(existing) = self
            .pipelines()
            .executions
            .values()
            .find(|e| e.spec.pipeline_arn == pipeline.arn && e.spec.token == token)
        {
            tracing::debug!(execution = %existing.spec.arn, "StartPipelineExecution repeated with its token");
            return Ok(json!({ "PipelineExecutionArn": existing.spec.arn }));
        }
        let parameters =
            effective_parameters(&pipeline.definition, body.get("PipelineParameters"))?;
        let tags = self.tags.get(&pipeline.arn).into_iter().flatten();
        let controls = Controls::parse(tags.map(|(key, value)| (key.as_str(), value.as_str())))?;
        let id = execution_id();
        let key = pipeline.name.to_lowercase();
        let spec = ExecutionSpec {
            arn: self
                .settings
                .arn("pipeline", &format!("{}/execution/{id}", pipeline.name)),
            pipeline_name: pipeline.name.clone(),
            pipeline_arn: pipeline.arn.clone(),
            display_name: str_member(body, "PipelineExecutionDisplayName").map_or_else(
                || format!("execution-{}", (now * 1000.0) as i64),
                str::to_string,
            ),
            description: str_member(body, "PipelineExecutionDescription").map(str::to_string),
            definition: pipeline.definition.clone(),
            parameters,
            parallelism: body
                .get("ParallelismConfiguration")
                .or(pipeline.parallelism.as_ref())
                .cloned(),
            selective: body.get("SelectiveExecutionConfig").cloned(),
            token: token.to_string(),
            version: pipeline.version,
            controls,
            id,
        };
        let arn = spec.arn.clone();
        let execution = Execution::start(spec, self, now);
        let state = self.pipelines_mut();
        state.executions.insert(arn.clone(), execution);
        if let Some(pipeline) = state.pipelines.get_mut(&key) {
            pipeline.last_run = Some(now);
        }
        Ok(json!({ "PipelineExecutionArn": arn }))
    }

    /// StopPipelineExecution: an Executing execution is Stopping now and Stopped STOP_SECONDS
    /// later; the same token again changes nothing. Stopping one that is not Executing is
    /// refused (the emulator's wording).
    fn stop_pipeline_execution(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let execution = self.pipeline_execution(body)?;
        let arn = execution.spec.arn.clone();
        let token = str_member(body, "ClientRequestToken").unwrap_or_default();
        if execution
            .stop
            .as_ref()
            .is_some_and(|(used, _)| used == token)
        {
            return Ok(json!({ "PipelineExecutionArn": arn }));
        }
        if execution.status != "Executing" {
            return Err(ApiError::validation(format!(
                "Pipeline execution '{arn}' is in status {} and cannot be stopped.",
                execution.status
            )));
        }
        let done = now + self.settings.real(STOP_SECONDS);
        let mut execution = self
            .pipelines_mut()
            .executions
            .remove(&arn)
            .expect("looked up above");
        execution.stop(self, token, now, done);
        self.pipelines_mut()
            .executions
            .insert(arn.clone(), execution);
        tracing::debug!(execution = %arn, "pipeline execution stopping");
        Ok(json!({ "PipelineExecutionArn": arn }))
    }

    /// ListPipelineExecutions: one pipeline's, by creation time; sorted by CreationTime
    /// (default) or PipelineExecutionArn, Descending unless told otherwise.
    fn list_pipeline_executions(&self, body: &Value) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(str_member(body, "PipelineName").unwrap_or_default())?;
        let after = time_member(body, "CreatedAfter");
        let before = time_member(body, "CreatedBefore");
        let mut rows: Vec<&Execution> = self
            .pipelines()
            .executions
            .values()
            .filter(|e| e.spec.pipeline_arn == pipeline.arn)
            .filter(|e| {
                after.is_none_or(|at| e.created > at) && before.is_none_or(|at| e.created < at)
            })
            .collect();
        match str_member(body, "SortBy") {
            Some("PipelineExecutionArn") => rows.sort_by(|a, b| a.spec.arn.cmp(&b.spec.arn)),
            _ => rows.sort_by(|a, b| {
                a.created
                    .total_cmp(&b.created)
                    .then(a.spec.arn.cmp(&b.spec.arn))
            }),
        }
        if str_member(body, "SortOrder") != Some("Ascending") {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items = page.into_iter().map(Execution::summary).collect();
        Ok(list_response("PipelineExecutionSummaries", items, next))
    }

    /// ListPipelineExecutionSteps: the steps that have started, by start time, Descending
    /// (latest first) unless told otherwise.
    fn list_pipeline_execution_steps(&self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let execution = self.pipeline_execution(body)?;
        let mut runs: Vec<_> = execution.steps.iter().collect();
        // Started in this order already; a stable sort keeps definition order among equals.
        runs.sort_by(|a, b| a.start.total_cmp(&b.start));
        if str_member(body, "SortOrder") != Some("Ascending") {
            runs.reverse();
        }
        let rows: Vec<Value> = runs.into_iter().map(|run| step_view(run, now)).collect();
        let (page, next) = paginate(rows, body, 10, 100)?;
        Ok(list_response("PipelineExecutionSteps", page, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline_definition::parse;

    #[test]
    fn parameters_take_the_given_value_or_their_default() {
        let definition = parse(
            &json!({
                "Parameters": [
                    { "Name": "Count", "Type": "Integer", "DefaultValue": 1 },
                    { "Name": "Approval", "Type": "String", "DefaultValue": "PendingManualApproval" },
                    { "Name": "Input", "Type": "String" },
                ],
                "Steps": [{ "Name": "A", "Type": "Fail" }],
            })
            .to_string(),
        )
        .unwrap();
        let given = |pairs: &[(&str, &str)]| {
            json!(
                pairs
                    .iter()
                    .map(|(n, v)| json!({ "Name": n, "Value": v }))
                    .collect::<Vec<_>>()
            )
        };
        let run = effective_parameters(
            &definition,
            Some(&given(&[("Count", "3"), ("Input", "s3://b/k")])),
        );
        assert_eq!(
            run.unwrap(),
            vec![
                ("Count".to_string(), json!(3)),
                ("Approval".to_string(), json!("PendingManualApproval")),
                ("Input".to_string(), json!("s3://b/k")),
            ]
        );
        let table = [
            (
                given(&[("Input", "x"), ("Other", "1")]),
                "Parameter Other is not defined",
            ),
            (
                given(&[("Input", "x"), ("Count", "many")]),
                "Value 'many' of parameter Count",
            ),
            (given(&[]), "Parameter Input has no DefaultValue"),
        ];
        for (body, expected) in table {
            let refused = effective_parameters(&definition, Some(&body)).unwrap_err();
            assert_eq!(refused.code, ErrorCode::Validation);
            assert!(refused.message.contains(expected), "{}", refused.message);
        }
        assert!(
            execution_id()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(execution_id().len(), 12);
    }
}
