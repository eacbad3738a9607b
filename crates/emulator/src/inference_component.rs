//! Inference components: models hosted on an existing endpoint's variant, each with its compute
//! requirements and a copy count. Their lifecycle is a row of the lifecycle table; what is
//! special here is the specification and the copy counts a finished transition applies.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::lifecycle::{End, INFERENCE_COMPONENT, InProgress, Life, Settled};
use crate::wire::ApiError;
use crate::world::{
    Kind, ListFilter, Service, TAG_FAILURE_REASON, TAG_OUTCOME, World, descending, paginate,
    reserved_tags, sorted_names, str_member, time_value,
};

/// What a finished Creating or Updating applies.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `Specification` / `Specifications` as the request sent them.
    pub specification: Map<String, Value>,
    pub copies: i64,
}

pub struct InferenceComponent {
    pub name: String,
    pub arn: String,
    pub endpoint: String,
    pub endpoint_arn: String,
    pub variant: String,
    pub created: f64,
    pub life: Life<Deployment>,
    pub specification: Map<String, Value>,
    pub desired_copies: i64,
    pub current_copies: i64,
    /// Emulated seconds each transition takes (the duration tag, or the endpoint duration).
    pub transition_seconds: f64,
    pub last_deployment_config: Option<Value>,
}

pub type InferenceComponents = HashMap<String, InferenceComponent>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<InferenceComponents>("inference component");
    kind.advance = Some(World::settle_inference_components);
    kind.resources = Some(|world| {
        vec![(
            "inferenceComponents",
            sorted_names(world.inference_components().keys()),
        )]
    });
    kind.owns_arn = Some(|world, arn| {
        world
            .inference_components()
            .values()
            .any(|component| component.arn == arn)
    });
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateInferenceComponent", |world, body, now| {
                world.create_inference_component(&body, now)
            }),
            ("DescribeInferenceComponent", |world, body, _| {
                world.describe_inference_component(&body)
            }),
            ("UpdateInferenceComponent", |world, body, now| {
                world.update_inference_component(&body, now)
            }),
            (
                "UpdateInferenceComponentRuntimeConfig",
                |world, body, now| world.update_inference_component_runtime_config(&body, now),
            ),
            ("DeleteInferenceComponent", |world, body, now| {
                world.delete_inference_component(&body, now)
            }),
            ("ListInferenceComponents", |world, body, _| {
                world.list_inference_components(&body)
            }),
        ],
    )
}

/// The members of a request that make up the specification Describe echoes.
fn specification_of(body: &Value) -> Map<String, Value> {
    ["Specification", "Specifications"]
        .into_iter()
        .filter_map(|member| Some((member.to_string(), body.get(member)?.clone())))
        .collect()
}

/// Every model a specification names (single or list form).
fn models_named(specification: &Map<String, Value>) -> Vec<String> {
    let single = specification.get("Specification").into_iter();
    let listed = specification
        .get("Specifications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    single
        .chain(listed)
        .filter_map(|spec| str_member(spec, "ModelName").map(str::to_string))
        .collect()
}

fn copy_count(config: Option<&Value>) -> Option<i64> {
    config?.get("CopyCount")?.as_i64()
}

impl World {
    pub fn inference_components(&self) -> &InferenceComponents {
        self.state()
    }

    pub fn inference_components_mut(&mut self) -> &mut InferenceComponents {
        self.state_mut()
    }

    fn component_missing(&self, name: &str) -> ApiError {
        ApiError::validation(format!(
            "Could not find inference component \"{}\".",
            self.settings.arn("inference-component", name)
        ))
    }

    fn component(&self, body: &Value) -> Result<&InferenceComponent, ApiError> {
        let name = str_member(body, "InferenceComponentName").unwrap_or_default();
        self.inference_components()
            .get(name)
            .ok_or_else(|| self.component_missing(name))
    }

    /// The failure a deployment of these models ends in: a model tagged `emulator:outcome=Failed`
    /// fails every component deployed with it (as a failing endpoint config fails endpoints).
    fn failing_model(&self, models: &[String]) -> Option<String> {
        models.iter().find_map(|model| {
            let tags = self.tags.get(&self.settings.arn("model", model))?;
            let tag = |key: &str| {
                tags.iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, value)| value.clone())
            };
            (tag(TAG_OUTCOME).as_deref() == Some("Failed")).then(|| {
                tag(TAG_FAILURE_REASON).unwrap_or_else(|| {
                    format!("The model {model} could not be loaded by the inference component (emulated failure).")
                })
            })
        })
    }

    /// Models and base components the specification names must exist.
    fn check_references(&self, specification: &Map<String, Value>) -> Result<(), ApiError> {
        for model in models_named(specification) {
            if !self.models().contains_key(&model) {
                return Err(ApiError::validation(format!(
                    "Could not find model \"{}\".",
                    self.settings.arn("model", &model)
                )));
            }
        }
        let base = specification
            .get("Specification")
            .and_then(|spec| str_member(spec, "BaseInferenceComponentName"));
        if let Some(base) = base
            && !self.inference_components().contains_key(base)
        {
            return Err(self.component_missing(base));
        }
        Ok(())
    }

    /// The endpoint and variant a new component goes on: the endpoint must be serving, and the
    /// variant (its first one unless named) deployed on it.
    fn placement(&self, body: &Value) -> Result<(String, String, String), ApiError> {
        let endpoint_name = str_member(body, "EndpointName").unwrap_or_default();
        let endpoint = self.endpoints().get(endpoint_name).ok_or_else(|| {
            ApiError::validation(format!(
                "Could not find endpoint \"{}\".",
                self.settings.arn("endpoint", endpoint_name)
            ))
        })?;
        if !matches!(endpoint.status(), "InService" | "Updating") {
            return Err(ApiError::validation(format!(
                "Endpoint \"{}\" is in status {}; inference components can only be created on an endpoint that is InService.",
                endpoint.arn,
                endpoint.status()
            )));
        }
        let variant = match str_member(body, "VariantName") {
            Some(variant) => variant.to_string(),
            None => endpoint
                .variants
                .first()
                .map(|v| v.name.clone())
                .unwrap_or_default(),
        };
        if !endpoint.variants.iter().any(|v| v.name == variant) {
            return Err(ApiError::validation(format!(
                "The variant name(s) [{variant}] is/are not present in the endpoint \"{}\".",
                endpoint.arn
            )));
        }
        Ok((endpoint_name.to_string(), endpoint.arn.clone(), variant))
    }

    pub fn create_inference_component(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let name = str_member(body, "InferenceComponentName")
            .unwrap_or_default()
            .to_string();
        let reserved = reserved_tags(body.get("Tags"), &["InService", "Failed"])?;
        let arn = self.settings.arn("inference-component", &name);
        if self.inference_components().contains_key(&name) {
            return Err(ApiError::validation(format!(
                "Cannot create already existing inference component \"{arn}\"."
            )));
        }
        let (endpoint, endpoint_arn, variant) = self.placement(body)?;
        let specification = specification_of(body);
        self.check_references(&specification)?;
        let copies = copy_count(body.get("RuntimeConfig")).unwrap_or(1);
        let duration = reserved.duration.unwrap_or(self.settings.endpoint_duration);
        let failure = if reserved.outcome.as_deref() == Some("Failed") {
            Some(reserved.failure_reason.clone().unwrap_or_else(|| {
                "The inference component could not be placed on the endpoint (emulated failure)."
                    .to_string()
            }))
        } else {
            self.failing_model(&models_named(&specification))
        };
        let end = match failure {
            Some(reason) => End::Fail(reason),
            None => End::Ready(Deployment {
                specification: specification.clone(),
                copies,
            }),
        };
        let at = now + self.settings.real(duration);
        self.store_tags(&arn, body.get("Tags"));
        tracing::debug!(component = %name, endpoint = %endpoint, "inference component creating");
        self.inference_components_mut().insert(
            name.clone(),
            InferenceComponent {
                name,
                arn: arn.clone(),
                endpoint,
                endpoint_arn,
                variant,
                created: now,
                life: Life::creating(&INFERENCE_COMPONENT, now, at, end),
                specification,
                desired_copies: copies,
                current_copies: 0,
                transition_seconds: duration,
                last_deployment_config: None,
            },
        );
        Ok(json!({ "InferenceComponentArn": arn }))
    }

    pub fn describe_inference_component(&self, body: &Value) -> Result<Value, ApiError> {
        let component = self.component(body)?;
        let mut out = Map::new();
        out.insert("InferenceComponentName".into(), json!(component.name));
        out.insert("InferenceComponentArn".into(), json!(component.arn));
        out.insert("EndpointName".into(), json!(component.endpoint));
        out.insert("EndpointArn".into(), json!(component.endpoint_arn));
        out.insert("VariantName".into(), json!(component.variant));
        out.extend(component.specification.clone());
        out.insert(
            "RuntimeConfig".into(),
            json!({
                "DesiredCopyCount": component.desired_copies,
                "CurrentCopyCount": component.current_copies,
            }),
        );
        out.insert(
            "InferenceComponentStatus".into(),
            json!(component.life.status),
        );
        if let Some(reason) = &component.life.failure_reason {
            out.insert("FailureReason".into(), json!(reason));
        }
        if let Some(config) = &component.last_deployment_config {
            out.insert("LastDeploymentConfig".into(), config.clone());
        }
        out.insert("CreationTime".into(), time_value(component.created));
        out.insert(
            "LastModifiedTime".into(),
            time_value(component.life.modified),
        );
        Ok(Value::Object(out))
    }

    /// Starts an update of a component to `deployment` (or to a failure, when its models fail).
    fn begin_component_update(
        &mut self,
        name: &str,
        deployment: Deployment,
        deployment_config: Option<Value>,
        now: f64,
    ) -> Result<Value, ApiError> {
        let failure = self.failing_model(&models_named(&deployment.specification));
        let time_scale = self.settings.time_scale;
        let component = self
            .inference_components_mut()
            .get_mut(name)
            .expect("looked up by the caller");
        let desired = deployment.copies;
        let end = match failure {
            Some(reason) => End::Fail(reason),
            None => End::Ready(deployment),
        };
        let at = now + component.transition_seconds * time_scale;
        component.life.update(now, at, end).map_err(|InProgress| {
            ApiError::validation(format!(
                "Cannot update in-progress inference component \"{}\".",
                component.arn
            ))
        })?;
        component.desired_copies = desired;
        if deployment_config.is_some() {
            component.last_deployment_config = deployment_config;
        }
        Ok(json!({ "InferenceComponentArn": component.arn }))
    }

    pub fn update_inference_component(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let component = self.component(body)?;
        let name = component.name.clone();
        let mut specification = specification_of(body);
        if specification.is_empty() {
            specification = component.specification.clone();
        }
        let copies = copy_count(body.get("RuntimeConfig")).unwrap_or(component.desired_copies);
        self.check_references(&specification)?;
        let deployment = Deployment {
            specification,
            copies,
        };
        self.begin_component_update(
            &name,
            deployment,
            body.get("DeploymentConfig").cloned(),
            now,
        )
    }

    pub fn update_inference_component_runtime_config(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let component = self.component(body)?;
        let name = component.name.clone();
        let deployment = Deployment {
            specification: component.specification.clone(),
            copies: copy_count(body.get("DesiredRuntimeConfig")).unwrap_or(0),
        };
        self.begin_component_update(&name, deployment, None, now)
    }

    pub fn delete_inference_component(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let component = self.component(body)?;
        let name = component.name.clone();
        let duration = self.settings.real(component.transition_seconds);
        let component = self
            .inference_components_mut()
            .get_mut(&name)
            .expect("looked up above");
        component.life.delete(now, duration).map_err(|InProgress| {
            ApiError::validation(format!(
                "Cannot delete in-progress inference component \"{}\".",
                component.arn
            ))
        })?;
        // As for endpoints, the component's scalable targets go with the request.
        self.resource_deleted("inference component", &name);
        Ok(json!({}))
    }

    pub fn list_inference_components(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let endpoint = str_member(body, "EndpointNameEquals");
        let variant = str_member(body, "VariantNameEquals");
        let mut rows: Vec<&InferenceComponent> = self
            .inference_components()
            .values()
            .filter(|c| {
                filter.accepts(&c.name, Some(c.life.status), c.created, c.life.modified)
                    && endpoint.is_none_or(|e| e == c.endpoint)
                    && variant.is_none_or(|v| v == c.variant)
            })
            .collect();
        match str_member(body, "SortBy").unwrap_or("CreationTime") {
            "Name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            "Status" => {
                rows.sort_by(|a, b| a.life.status.cmp(b.life.status).then(a.name.cmp(&b.name)))
            }
            _ => rows.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.name.cmp(&b.name))),
        }
        if descending(body) {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|c| {
                json!({
                    "InferenceComponentName": c.name,
                    "InferenceComponentArn": c.arn,
                    "EndpointName": c.endpoint,
                    "EndpointArn": c.endpoint_arn,
                    "VariantName": c.variant,
                    "InferenceComponentStatus": c.life.status,
                    "CreationTime": time_value(c.created),
                    "LastModifiedTime": time_value(c.life.modified),
                })
            })
            .collect();
        let mut response = json!({ "InferenceComponents": items });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }

    /// Finishes the transitions whose time has come; deleted components disappear.
    pub fn settle_inference_components(&mut self, now: f64) {
        let mut gone = Vec::new();
        for component in self.inference_components_mut().values_mut() {
            match component.life.settle(now) {
                None => continue,
                Some(Settled::Ready(deployment)) => {
                    component.specification = deployment.specification;
                    component.desired_copies = deployment.copies;
                    component.current_copies = deployment.copies;
                }
                Some(Settled::Failed) => component.current_copies = 0,
                // The copies that were running keep running.
                Some(Settled::RolledBack) => component.desired_copies = component.current_copies,
                Some(Settled::Gone) => gone.push((component.name.clone(), component.arn.clone())),
                // Inference components have no stop statuses, so nothing stops them.
                Some(Settled::Stopped) => {}
            }
            tracing::debug!(component = %component.name, status = component.life.status, "inference component transition finished");
        }
        for (name, arn) in gone {
            self.inference_components_mut().remove(&name);
            self.tags.remove(&arn);
        }
    }
}
