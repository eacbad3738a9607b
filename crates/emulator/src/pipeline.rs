//! SageMaker Pipelines: a pipeline is a name, a role and a JSON definition (given inline or read
//! from an S3 object the control API stored); it is `Active` from creation and gone when
//! deleted. Its executions (`pipeline_execution.rs`, served by `pipeline_runs.rs`) live in this
//! kind's state, and this kind's `advance` moves them on. What is special here: the
//! ClientRequestToken idempotency of Create and Delete, the definition's validation, and that
//! a pipeline with running executions cannot be deleted (the API reference's rule).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::pipeline_definition::{Definition, parse};
use crate::pipeline_execution::{Execution, is_running};
use crate::pipeline_steps::Controls;
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, Service, World, paginate, sorted_names, str_member, time_member, time_value,
};

pub struct Pipeline {
    /// The name as created (names are compared without regard to case, as their ARNs are).
    pub name: String,
    pub arn: String,
    pub display_name: String,
    pub description: Option<String>,
    pub role_arn: String,
    /// The definition's text, as Describe returns it (for an S3 location, the object's text).
    pub definition_text: String,
    pub definition: Definition,
    pub parallelism: Option<Value>,
    pub created: f64,
    pub modified: f64,
    pub last_run: Option<f64>,
    /// The CreatePipeline token: the same token and name again answer this pipeline.
    pub token: String,
    /// 1 at creation, one more for each update that brings a definition.
    pub version: i64,
}

/// The pipelines of one region (by lower-cased name), their executions (by ARN) and the tokens
/// of the deletions done (token → ARN), so a repeated DeletePipeline answers as the first did.
#[derive(Default)]
pub struct Pipelines {
    pub pipelines: HashMap<String, Pipeline>,
    pub executions: HashMap<String, Execution>,
    pub deleted: HashMap<String, String>,
}

pub fn kind() -> Kind {
    let mut kind = Kind::new::<Pipelines>("pipeline");
    kind.advance = Some(advance_executions);
    kind.resources = Some(|world| {
        let state = world.pipelines();
        let executions = state
            .executions
            .values()
            .map(|e| format!("{}/{}", e.spec.pipeline_name, e.spec.id))
            .collect::<Vec<_>>();
        vec![
            (
                "pipelines",
                sorted_names(state.pipelines.values().map(|p| &p.name)),
            ),
            ("pipelineExecutions", sorted_names(executions.iter())),
        ]
    });
    kind.owns_arn = Some(|world, arn| world.pipelines().pipelines.values().any(|p| p.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreatePipeline", |world, body, now| {
                world.create_pipeline(&body, now)
            }),
            ("DescribePipeline", |world, body, _| {
                world.describe_pipeline(&body)
            }),
            ("UpdatePipeline", |world, body, now| {
                world.update_pipeline(&body, now)
            }),
            ("DeletePipeline", |world, body, _| {
                world.delete_pipeline(&body)
            }),
            ("ListPipelines", |world, body, _| {
                world.list_pipelines(&body)
            }),
        ],
    )
}

/// Brings every running execution up to `now` (each is taken out of the state while it
/// advances, as its steps create jobs and packages in the world).
fn advance_executions(world: &mut World, now: f64) {
    let running: Vec<String> = world
        .pipelines()
        .executions
        .values()
        .filter(|execution| is_running(execution.status))
        .map(|execution| execution.spec.arn.clone())
        .collect();
    for arn in running {
        if let Some(mut execution) = world.pipelines_mut().executions.remove(&arn) {
            execution.advance(world, now);
            world.pipelines_mut().executions.insert(arn, execution);
        }
    }
}

/// The definition a Create or Update request gives: inline or from S3, exactly one of them
/// (an update may give neither). The wording of both refusals is SageMaker's as moto reports
/// it; an unreadable S3 object's is the emulator's.
fn definition_text(
    world: &World,
    body: &Value,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match (
        str_member(body, "PipelineDefinition"),
        body.get("PipelineDefinitionS3Location"),
    ) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "Both Pipeline Definition and Pipeline Definition S3 Location shouldn't be present",
        )),
        (None, None) if required => Err(ApiError::validation(
            "Either Pipeline Definition or Pipeline Definition S3 location should be provided",
        )),
        (None, None) => Ok(None),
        (Some(text), None) => Ok(Some(text.to_string())),
        (None, Some(location)) => {
            let bucket = str_member(location, "Bucket").unwrap_or_default();
            let key = str_member(location, "ObjectKey").unwrap_or_default();
            match world.s3_object(bucket, key) {
                Some(text) => Ok(Some(text.to_string())),
                None => Err(ApiError::validation(format!(
                    "The pipeline definition could not be read from s3://{bucket}/{key}: no such object."
                ))),
            }
        }
    }
}

/// Parses a definition, refused with SageMaker's "Unable to parse pipeline definition." and the
/// emulator's reason.
fn parsed(text: &str) -> Result<Definition, ApiError> {
    parse(text).map_err(|reason| {
        ApiError::validation(format!("Unable to parse pipeline definition. {reason}"))
    })
}

/// What Describe and List both show of a pipeline.
fn summary(pipeline: &Pipeline) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("PipelineArn".into(), json!(pipeline.arn));
    out.insert("PipelineName".into(), json!(pipeline.name));
    out.insert("PipelineDisplayName".into(), json!(pipeline.display_name));
    if let Some(description) = &pipeline.description {
        out.insert("PipelineDescription".into(), json!(description));
    }
    out.insert("RoleArn".into(), json!(pipeline.role_arn));
    out.insert("CreationTime".into(), time_value(pipeline.created));
    out.insert("LastModifiedTime".into(), time_value(pipeline.modified));
    out
}

impl World {
    pub fn pipelines(&self) -> &Pipelines {
        self.state()
    }

    pub fn pipelines_mut(&mut self) -> &mut Pipelines {
        self.state_mut()
    }

    /// The pipeline a request names, by name (in any case) or ARN; a missing one is
    /// ResourceNotFound (the API reference's code; the wording is the emulator's).
    pub fn pipeline(&self, named: &str) -> Result<&Pipeline, ApiError> {
        let (name, arn) = match named.strip_prefix("arn:") {
            Some(_) => {
                let name = named.split_once(":pipeline/").map_or("", |(_, rest)| rest);
                (
                    name.split('/').next().unwrap_or(name),
                    Some(named.to_lowercase()),
                )
            }
            None => (named, None),
        };
        self.pipelines()
            .pipelines
            .get(&name.to_lowercase())
            .filter(|pipeline| arn.as_ref().is_none_or(|arn| *arn == pipeline.arn))
            .ok_or_else(|| {
                let arn = arn.unwrap_or_else(|| self.settings.arn("pipeline", name));
                ApiError::new(
                    ErrorCode::ResourceNotFound,
                    format!("Pipeline '{arn}' does not exist."),
                )
            })
    }

    pub fn create_pipeline(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = str_member(body, "PipelineName")
            .unwrap_or_default()
            .to_string();
        let token = str_member(body, "ClientRequestToken").unwrap_or_default();
        if let Some(existing) = self.pipelines().pipelines.get(&name.to_lowercase()) {
            if existing.token == token {
                tracing::debug!(pipeline = %name, "CreatePipeline repeated with its token");
                return Ok(json!({ "PipelineArn": existing.arn }));
            }
            // The first sentence is what the SDKs match on; the rest is moto's.
            return Err(ApiError::validation(format!(
                "Pipeline names must be unique within an AWS account and region. Pipeline with name ({name}) already exists."
            )));
        }
        let text = definition_text(self, body, true)?.unwrap_or_default();
        let definition = parsed(&text)?;
        let tags = body.get("Tags").and_then(Value::as_array);
        let pairs = tags.into_iter().flatten().filter_map(|tag| {
            Some((
                str_member(tag, "Key")?,
                str_member(tag, "Value").unwrap_or(""),
            ))
        });
        Controls::parse(pairs)?;
        let arn = self.settings.arn("pipeline", &name);
        self.store_tags(&arn, body.get("Tags"));
        let pipeline = Pipeline {
            display_name: str_member(body, "PipelineDisplayName")
                .unwrap_or(&name)
                .to_string(),
            name: name.clone(),
            arn: arn.clone(),
            description: str_member(body, "PipelineDescription").map(str::to_string),
            role_arn: str_member(body, "RoleArn").unwrap_or_default().to_string(),
            definition_text: text,
            definition,
            parallelism: body.get("ParallelismConfiguration").cloned(),
            created: now,
            modified: now,
            last_run: None,
            token: token.to_string(),
            version: 1,
        };
        tracing::debug!(pipeline = %name, steps = pipeline.definition.steps.len(), "pipeline created");
        self.pipelines_mut()
            .pipelines
            .insert(name.to_lowercase(), pipeline);
        Ok(json!({ "PipelineArn": arn }))
    }

    pub fn describe_pipeline(&self, body: &Value) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(str_member(body, "PipelineName").unwrap_or_default())?;
        let mut out = summary(pipeline);
        out.insert("PipelineDefinition".into(), json!(pipeline.definition_text));
        out.insert("PipelineStatus".into(), json!("Active"));
        if let Some(at) = pipeline.last_run {
            out.insert("LastRunTime".into(), time_value(at));
        }
        if let Some(parallelism) = &pipeline.parallelism {
            out.insert("ParallelismConfiguration".into(), parallelism.clone());
        }
        Ok(Value::Object(out))
    }

    /// UpdatePipeline: the members given replace the pipeline's; a new definition is a new
    /// version, which executions started from now on run.
    pub fn update_pipeline(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let key = self
            .pipeline(str_member(body, "PipelineName").unwrap_or_default())?
            .name
            .to_lowercase();
        let definition = match definition_text(self, body, false)? {
            Some(text) => Some((parsed(&text)?, text)),
            None => None,
        };
        let pipeline = self
            .pipelines_mut()
            .pipelines
            .get_mut(&key)
            .expect("looked up above");
        if let Some((definition, text)) = definition {
            pipeline.definition = definition;
            pipeline.definition_text = text;
            pipeline.version += 1;
        }
        if let Some(name) = str_member(body, "PipelineDisplayName") {
            pipeline.display_name = name.to_string();
        }
        if let Some(description) = str_member(body, "PipelineDescription") {
            pipeline.description = Some(description.to_string());
        }
        if let Some(role) = str_member(body, "RoleArn") {
            pipeline.role_arn = role.to_string();
        }
        if let Some(parallelism) = body.get("ParallelismConfiguration") {
            pipeline.parallelism = Some(parallelism.clone());
        }
        pipeline.modified = now;
        Ok(json!({ "PipelineArn": pipeline.arn, "PipelineVersionId": pipeline.version }))
    }

    /// DeletePipeline: "if there are no running instances of the pipeline" (the API reference;
    /// otherwise ConflictException, in the emulator's words). The pipeline, its executions and
    /// its tags are gone at once. The same token again answers the deleted pipeline's ARN.
    pub fn delete_pipeline(&mut self, body: &Value) -> Result<Value, ApiError> {
        let named = str_member(body, "PipelineName").unwrap_or_default();
        let token = str_member(body, "ClientRequestToken").unwrap_or_default();
        let expected = self.settings.arn("pipeline", named);
        if let Some(arn) = self.pipelines().deleted.get(token)
            && *arn == expected
        {
            return Ok(json!({ "PipelineArn": arn }));
        }
        let arn = self.pipeline(named)?.arn.clone();
        let state = self.pipelines();
        if state
            .executions
            .values()
            .any(|e| e.spec.pipeline_arn == arn && is_running(e.status))
        {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "Pipeline '{arn}' has executions that are still running. Stop them with StopPipelineExecution before deleting the pipeline."
                ),
            ));
        }
        let state = self.pipelines_mut();
        state.pipelines.retain(|_, pipeline| pipeline.arn != arn);
        state.executions.retain(|_, e| e.spec.pipeline_arn != arn);
        state.deleted.insert(token.to_string(), arn.clone());
        self.tags.remove(&arn);
        tracing::debug!(pipeline = %arn, "pipeline deleted");
        Ok(json!({ "PipelineArn": arn }))
    }

    /// ListPipelines: by name prefix (in any case) and creation time; sorted by Name or
    /// CreationTime (default), Descending unless told otherwise (neither default is documented
    /// beyond the field).
    pub fn list_pipelines(&self, body: &Value) -> Result<Value, ApiError> {
        let prefix = str_member(body, "PipelineNamePrefix").map(str::to_lowercase);
        let after = time_member(body, "CreatedAfter");
        let before = time_member(body, "CreatedBefore");
        let mut rows: Vec<&Pipeline> = self
            .pipelines()
            .pipelines
            .values()
            .filter(|p| {
                prefix
                    .as_ref()
                    .is_none_or(|pre| p.name.to_lowercase().starts_with(pre))
            })
            .filter(|p| {
                after.is_none_or(|at| p.created > at) && before.is_none_or(|at| p.created < at)
            })
            .collect();
        match str_member(body, "SortBy") {
            Some("Name") => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            _ => rows.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.name.cmp(&b.name))),
        }
        if str_member(body, "SortOrder") != Some("Ascending") {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items = page
            .into_iter()
            .map(|pipeline| {
                let mut out = summary(pipeline);
                if let Some(at) = pipeline.last_run {
                    out.insert("LastExecutionTime".into(), time_value(at));
                }
                Value::Object(out)
            })
            .collect();
        Ok(crate::world::list_response(
            "PipelineSummaries",
            items,
            next,
        ))
    }
}
