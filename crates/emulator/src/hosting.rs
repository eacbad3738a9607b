//! Hosting: models, endpoint configurations, endpoints (Creating → InService | Failed, Updating,
//! Deleting) and sagemaker-runtime InvokeEndpoint.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::lifecycle::{self, ENDPOINT, End, InProgress, Life, Settled};
use crate::production_variants;
use crate::wire::{self, ApiError, ErrorCode, HttpResponse};
use crate::world::{
    ACCOUNT_ID, Kind, ListFilter, Service, World, descending, echoed_request, paginate,
    reserved_tags, sorted_names, str_member, time_value,
};

pub struct Model {
    pub name: String,
    pub arn: String,
    pub request: Box<str>,
    pub created: f64,
}

pub struct EndpointConfig {
    pub name: String,
    pub arn: String,
    pub request: Box<str>,
    pub created: f64,
    pub variants: Vec<VariantSpec>,
    pub shadows: Vec<VariantSpec>,
    pub async_config: Option<Value>,
    /// `emulator:outcome=Failed` on a config makes endpoints created or updated with it fail.
    pub fails: bool,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VariantSpec {
    pub name: String,
    pub model: String,
    pub weight: f64,
    pub instance_count: i64,
    /// Serverless variants report serverless configs instead of instance counts.
    pub serverless: bool,
    /// What DescribeEndpoint adds to the variant's summary (`production_variants`).
    pub extras: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct VariantState {
    pub name: String,
    pub image: String,
    pub current_weight: f64,
    pub desired_weight: f64,
    pub current_instances: i64,
    pub desired_instances: i64,
    pub serverless: bool,
    pub extras: Map<String, Value>,
}

/// What a finished Creating or Updating applies to an endpoint.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub config: String,
    pub variants: Vec<VariantState>,
    pub shadows: Vec<VariantState>,
    pub async_config: Option<Value>,
}

pub struct Endpoint {
    pub name: String,
    pub arn: String,
    pub created: f64,
    /// Status, failure reason, last modification and the transition in flight (a row of the
    /// lifecycle table).
    pub life: Life<Deployment>,
    pub config: String,
    pub variants: Vec<VariantState>,
    pub shadows: Vec<VariantState>,
    /// The AsyncInferenceConfig of the deployed config (InvokeEndpointAsync needs one).
    pub async_config: Option<Value>,
    /// Emulated seconds each transition takes (the `emulator:duration-seconds` tag at creation).
    pub transition_seconds: f64,
    /// The DeploymentConfig of the last UpdateEndpoint (Describe's LastDeploymentConfig).
    pub last_deployment_config: Option<Value>,
    /// The config an UpdateEndpoint in flight deploys, since when (PendingDeploymentSummary).
    pub updating_to: Option<(String, f64)>,
}

impl Endpoint {
    pub fn status(&self) -> &'static str {
        self.life.status
    }

    /// Starts an update that the emulator itself makes (scaling): Updating until `at`, then
    /// InService with `variants` on the same config.
    pub fn begin_update(&mut self, now: f64, at: f64, variants: Vec<VariantState>) {
        let deployment = Deployment {
            config: self.config.clone(),
            variants,
            shadows: self.shadows.clone(),
            async_config: self.async_config.clone(),
        };
        self.life
            .begin(ENDPOINT.updating, now, at, End::Ready(deployment));
    }
}

pub type Models = HashMap<String, Model>;
pub type EndpointConfigs = HashMap<String, EndpointConfig>;
pub type Endpoints = HashMap<String, Endpoint>;

pub fn model_kind() -> Kind {
    let mut kind = Kind::new::<Models>("model");
    kind.resources = Some(|world| vec![("models", sorted_names(world.models().keys()))]);
    kind.owns_arn = Some(|world, arn| world.models().values().any(|model| model.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateModel", |world, body, now| {
                world.create_model(body, now)
            }),
            ("DescribeModel", |world, body, _| {
                world.describe_model(&body)
            }),
            ("DeleteModel", |world, body, _| world.delete_model(&body)),
            ("ListModels", |world, body, _| world.list_models(&body)),
        ],
    )
}

pub fn endpoint_config_kind() -> Kind {
    let mut kind = Kind::new::<EndpointConfigs>("endpoint configuration");
    kind.resources = Some(|world| {
        vec![(
            "endpointConfigs",
            sorted_names(world.endpoint_configs().keys()),
        )]
    });
    kind.owns_arn = Some(|world, arn| {
        world
            .endpoint_configs()
            .values()
            .any(|config| config.arn == arn)
    });
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateEndpointConfig", |world, body, now| {
                world.create_endpoint_config(body, now)
            }),
            ("DescribeEndpointConfig", |world, body, _| {
                world.describe_endpoint_config(&body)
            }),
            ("DeleteEndpointConfig", |world, body, _| {
                world.delete_endpoint_config(&body)
            }),
            ("ListEndpointConfigs", |world, body, _| {
                world.list_endpoint_configs(&body)
            }),
        ],
    )
}

/// Endpoints; their `advance` finishes the transitions whose time has come.
pub fn endpoint_kind() -> Kind {
    let mut kind = Kind::new::<Endpoints>("endpoint");
    kind.advance = Some(World::settle_endpoints);
    kind.resources = Some(|world| vec![("endpoints", sorted_names(world.endpoints().keys()))]);
    kind.owns_arn = Some(|world, arn| {
        world
            .endpoints()
            .values()
            .any(|endpoint| endpoint.arn == arn)
    });
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateEndpoint", |world, body, now| {
                world.create_endpoint(body, now)
            }),
            ("DescribeEndpoint", |world, body, _| {
                world.describe_endpoint(&body)
            }),
            ("UpdateEndpoint", |world, body, now| {
                world.update_endpoint(&body, now)
            }),
            ("UpdateEndpointWeightsAndCapacities", |world, body, now| {
                world.update_endpoint_weights_and_capacities(&body, now)
            }),
            ("DeleteEndpoint", |world, body, now| {
                world.delete_endpoint(&body, now)
            }),
            ("ListEndpoints", |world, body, _| {
                world.list_endpoints(&body)
            }),
        ],
    )
}

fn model_missing(world: &World, name: &str) -> ApiError {
    ApiError::validation(format!(
        "Could not find model \"{}\".",
        world.settings.arn("model", name)
    ))
}
fn config_missing(world: &World, name: &str) -> ApiError {
    ApiError::validation(format!(
        "Could not find endpoint configuration \"{}\".",
        world.settings.arn("endpoint-config", name)
    ))
}
fn endpoint_missing(world: &World, name: &str) -> ApiError {
    ApiError::validation(format!(
        "Could not find endpoint \"{}\".",
        world.settings.arn("endpoint", name)
    ))
}

/// A name member of a request (the model has checked it is there and well-formed).
fn named(body: &Value, member: &str) -> String {
    str_member(body, member).unwrap_or_default().to_string()
}

fn in_progress(arn: &str) -> ApiError {
    ApiError::validation(format!("Cannot update in-progress endpoint \"{arn}\"."))
}

fn model_image(request: &str) -> String {
    let request: Value = serde_json::from_str(request).unwrap_or(Value::Null);
    request
        .pointer("/PrimaryContainer/Image")
        .or_else(|| request.pointer("/Containers/0/Image"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl World {
    pub fn models(&self) -> &Models {
        self.state()
    }

    fn models_mut(&mut self) -> &mut Models {
        self.state_mut()
    }

    pub fn endpoint_configs(&self) -> &EndpointConfigs {
        self.state()
    }

    fn endpoint_configs_mut(&mut self) -> &mut EndpointConfigs {
        self.state_mut()
    }

    pub fn endpoints(&self) -> &Endpoints {
        self.state()
    }

    pub fn endpoints_mut(&mut self) -> &mut Endpoints {
        self.state_mut()
    }

    // ---- models -------------------------------------------------------------------------

    pub fn create_model(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        // The model checked each member; what is left are the rules between them.
        if body.get("PrimaryContainer").is_none()
            && body.get("Containers").is_none()
            && body.get("InferenceExecutionConfig").is_none()
        {
            return Err(ApiError::validation(
                "Either PrimaryContainer or Containers must be specified.",
            ));
        }
        let name = str_member(&body, "ModelName")
            .unwrap_or_default()
            .to_string();
        let arn = self.settings.arn("model", &name);
        if self.models().contains_key(&name) {
            // SageMaker answers a used hosting name with a ValidationException, not the
            // ResourceInUse of the job APIs.
            return Err(ApiError::validation(format!(
                "Cannot create already existing model \"{arn}\"."
            )));
        }
        self.store_tags(&arn, body.get("Tags"));
        self.models_mut().insert(
            name.clone(),
            Model {
                name,
                arn: arn.clone(),
                request: body.to_string().into_boxed_str(),
                created: now,
            },
        );
        Ok(json!({ "ModelArn": arn }))
    }

    pub fn describe_model(&self, body: &Value) -> Result<Value, ApiError> {
        let name = named(body, "ModelName");
        let model = self
            .models()
            .get(&name)
            .ok_or_else(|| model_missing(self, &name))?;
        let mut out = echoed_request(&model.request, &["Tags"]);
        out.insert("ModelArn".into(), json!(model.arn));
        out.insert("CreationTime".into(), time_value(model.created));
        out.entry("EnableNetworkIsolation").or_insert(json!(false));
        Ok(Value::Object(out))
    }

    pub fn delete_model(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = named(body, "ModelName");
        let model = self
            .models_mut()
            .remove(&name)
            .ok_or_else(|| model_missing(self, &name))?;
        self.tags.remove(&model.arn);
        Ok(json!({}))
    }

    pub fn list_models(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<&Model> = self
            .models()
            .values()
            .filter(|m| filter.accepts(&m.name, None, m.created, m.created))
            .collect();
        sort_named(&mut rows, body, |m| (&m.name, m.created));
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|m| json!({ "ModelName": m.name, "ModelArn": m.arn, "CreationTime": time_value(m.created) }))
            .collect();
        Ok(with_token(json!({ "Models": items }), next))
    }

    // ---- endpoint configurations -------------------------------------------------------

    pub fn create_endpoint_config(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        // The model checked each member; what is left are the rules between them.
        if let Some(reason) = production_variants::refusal(&body) {
            return Err(ApiError::validation(reason));
        }
        let name = str_member(&body, "EndpointConfigName")
            .unwrap_or_default()
            .to_string();
        let reserved = reserved_tags(body.get("Tags"), &["InService", "Failed"])?;
        let arn = self.settings.arn("endpoint-config", &name);
        if self.endpoint_configs().contains_key(&name) {
            // SageMaker answers a used hosting name with a ValidationException, not the
            // ResourceInUse of the job APIs.
            return Err(ApiError::validation(format!(
                "Cannot create already existing endpoint configuration \"{arn}\"."
            )));
        }
        let mut stored = body.clone();
        let variants = self.variant_specs(&mut stored, "ProductionVariants")?;
        let shadows = self.variant_specs(&mut stored, "ShadowProductionVariants")?;
        self.store_tags(&arn, body.get("Tags"));
        self.endpoint_configs_mut().insert(
            name.clone(),
            EndpointConfig {
                name,
                arn: arn.clone(),
                request: stored.to_string().into_boxed_str(),
                created: now,
                variants,
                shadows,
                async_config: body.get("AsyncInferenceConfig").cloned(),
                fails: reserved.outcome.as_deref() == Some("Failed"),
                failure_reason: reserved.failure_reason,
            },
        );
        Ok(json!({ "EndpointConfigArn": arn }))
    }

    /// The variants of one list of a CreateEndpointConfig request (their models must exist);
    /// the stored request gets the default weight filled in.
    fn variant_specs(
        &self,
        stored: &mut Value,
        member: &str,
    ) -> Result<Vec<VariantSpec>, ApiError> {
        let mut specs = Vec::new();
        let list = stored
            .get_mut(member)
            .and_then(Value::as_array_mut)
            .map(std::mem::take)
            .unwrap_or_default();
        for variant in &list {
            // A variant without a model hosts inference components (`refusal` checked that the
            // configuration has the role they need).
            let model = str_member(variant, "ModelName").unwrap_or("").to_string();
            if !model.is_empty() && !self.models().contains_key(&model) {
                return Err(model_missing(self, &model));
            }
            specs.push(VariantSpec {
                name: str_member(variant, "VariantName").unwrap_or("").to_string(),
                model,
                weight: variant
                    .get("InitialVariantWeight")
                    .and_then(Value::as_f64)
                    .unwrap_or(1.0),
                instance_count: variant
                    .get("InitialInstanceCount")
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
                serverless: variant.get("ServerlessConfig").is_some(),
                extras: production_variants::summary_extras(variant),
            });
        }
        if !list.is_empty() {
            let filled = list
                .into_iter()
                .zip(&specs)
                .map(|(mut variant, spec)| {
                    variant["InitialVariantWeight"] = json!(spec.weight);
                    variant
                })
                .collect();
            stored[member] = Value::Array(filled);
        }
        Ok(specs)
    }

    pub fn describe_endpoint_config(&self, body: &Value) -> Result<Value, ApiError> {
        let name = named(body, "EndpointConfigName");
        let config = self
            .endpoint_configs()
            .get(&name)
            .ok_or_else(|| config_missing(self, &name))?;
        let mut out = echoed_request(&config.request, &["Tags"]);
        // InitialVariantWeight defaults to 1.0 (API reference).
        for variant in out
            .get_mut("ProductionVariants")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Value::Object(variant) = variant {
                variant.entry("InitialVariantWeight").or_insert(json!(1.0));
            }
        }
        out.insert("EndpointConfigArn".into(), json!(config.arn));
        out.insert("CreationTime".into(), time_value(config.created));
        Ok(Value::Object(out))
    }

    pub fn delete_endpoint_config(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = named(body, "EndpointConfigName");
        let config = self
            .endpoint_configs_mut()
            .remove(&name)
            .ok_or_else(|| config_missing(self, &name))?;
        self.tags.remove(&config.arn);
        Ok(json!({}))
    }

    pub fn list_endpoint_configs(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<&EndpointConfig> = self
            .endpoint_configs()
            .values()
            .filter(|c| filter.accepts(&c.name, None, c.created, c.created))
            .collect();
        sort_named(&mut rows, body, |c| (&c.name, c.created));
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|c| json!({ "EndpointConfigName": c.name, "EndpointConfigArn": c.arn, "CreationTime": time_value(c.created) }))
            .collect();
        Ok(with_token(json!({ "EndpointConfigs": items }), next))
    }

    // ---- endpoints ------------------------------------------------------------------------

    /// What an endpoint becomes on `config` (with the retained properties of `previous`).
    fn deployment(
        &self,
        config: &EndpointConfig,
        previous: Option<(&[VariantState], bool, &[String])>,
    ) -> Deployment {
        Deployment {
            config: config.name.clone(),
            variants: self.deployed_variants(&config.variants, previous),
            shadows: self.deployed_variants(&config.shadows, None),
            async_config: config.async_config.clone(),
        }
    }

    fn deployed_variants(
        &self,
        specs: &[VariantSpec],
        previous: Option<(&[VariantState], bool, &[String])>,
    ) -> Vec<VariantState> {
        specs
            .iter()
            .map(|variant| {
                let image = self
                    .models()
                    .get(&variant.model)
                    .map(|m| model_image(&m.request))
                    .unwrap_or_default();
                let mut state = VariantState {
                    name: variant.name.clone(),
                    image,
                    current_weight: variant.weight,
                    desired_weight: variant.weight,
                    current_instances: variant.instance_count,
                    desired_instances: variant.instance_count,
                    serverless: variant.serverless,
                    extras: variant.extras.clone(),
                };
                // RetainAllVariantProperties keeps the weights and instance counts a variant of the
                // same name has now, except the properties listed for exclusion.
                if let Some((old, true, excluded)) = previous
                    && let Some(old) = old.iter().find(|old| old.name == variant.name)
                {
                    if !excluded.iter().any(|p| p == "DesiredWeight") {
                        state.current_weight = old.current_weight;
                        state.desired_weight = old.desired_weight;
                    }
                    if !excluded.iter().any(|p| p == "DesiredInstanceCount") {
                        state.current_instances = old.current_instances;
                        state.desired_instances = old.desired_instances;
                    }
                }
                state
            })
            .collect()
    }

    pub fn create_endpoint(&mut self, body: Value, now: f64) -> Result<Value, ApiError> {
        let (name, config_name) = (
            named(&body, "EndpointName"),
            named(&body, "EndpointConfigName"),
        );
        let reserved = reserved_tags(body.get("Tags"), &["InService", "Failed"])?;
        let arn = self.settings.arn("endpoint", &name);
        if self.endpoints().contains_key(&name) {
            // SageMaker answers a used hosting name with a ValidationException, not the
            // ResourceInUse of the job APIs.
            return Err(ApiError::validation(format!(
                "Cannot create already existing endpoint \"{arn}\"."
            )));
        }
        let config = self
            .endpoint_configs()
            .get(&config_name)
            .ok_or_else(|| config_missing(self, &config_name))?;
        let duration = reserved.duration.unwrap_or(self.settings.endpoint_duration);
        let fails = reserved
            .outcome
            .as_deref()
            .map(|o| o == "Failed")
            .unwrap_or(config.fails);
        let kind = if fails {
            let reason = reserved.failure_reason.or_else(|| config.failure_reason.clone()).unwrap_or_else(|| {
                "The primary container for production variant did not pass the ping health check (emulated failure).".to_string()
            });
            End::Fail(reason)
        } else {
            End::Ready(self.deployment(config, None))
        };
        self.store_tags(&arn, body.get("Tags"));
        let ready_at = now + self.settings.real(duration);
        self.endpoints_mut().insert(
            name.clone(),
            Endpoint {
                name,
                arn: arn.clone(),
                created: now,
                life: Life::creating(&ENDPOINT, now, ready_at, kind),
                config: config_name,
                variants: Vec::new(),
                shadows: Vec::new(),
                async_config: None,
                transition_seconds: duration,
                last_deployment_config: None,
                updating_to: None,
            },
        );
        Ok(json!({ "EndpointArn": arn }))
    }

    /// Finishes endpoint transitions whose time has come; deleted endpoints disappear.
    pub fn settle_endpoints(&mut self, now: f64) {
        let mut gone = Vec::new();
        for endpoint in self.endpoints_mut().values_mut() {
            let settled = endpoint.life.settle(now);
            if settled.is_some() {
                endpoint.updating_to = None;
            }
            match settled {
                None => continue,
                Some(Settled::Ready(deployment)) => {
                    endpoint.config = deployment.config;
                    endpoint.variants = deployment.variants;
                    endpoint.shadows = deployment.shadows;
                    endpoint.async_config = deployment.async_config;
                }
                // A failed creation has no variants; a failed update keeps the last good
                // config and variants, wanting no more than they have.
                Some(Settled::Failed | Settled::RolledBack) => {
                    for variant in &mut endpoint.variants {
                        variant.desired_weight = variant.current_weight;
                        variant.desired_instances = variant.current_instances;
                    }
                }
                Some(Settled::Gone) => gone.push((endpoint.name.clone(), endpoint.arn.clone())),
                // Endpoints have no stop statuses, so nothing stops them.
                Some(Settled::Stopped) => {}
            }
            tracing::debug!(endpoint = %endpoint.name, status = endpoint.status(), "endpoint transition finished");
        }
        for (name, arn) in gone {
            self.endpoints_mut().remove(&name);
            self.tags.remove(&arn);
        }
    }

    fn endpoint(&self, body: &Value) -> Result<&Endpoint, ApiError> {
        let name = named(body, "EndpointName");
        self.endpoints()
            .get(&name)
            .ok_or_else(|| endpoint_missing(self, &name))
    }

    pub fn describe_endpoint(&self, body: &Value) -> Result<Value, ApiError> {
        let endpoint = self.endpoint(body)?;
        let mut out = Map::new();
        out.insert("EndpointName".into(), json!(endpoint.name));
        out.insert("EndpointArn".into(), json!(endpoint.arn));
        out.insert("EndpointConfigName".into(), json!(endpoint.config));
        for (member, variants) in [
            ("ProductionVariants", &endpoint.variants),
            ("ShadowProductionVariants", &endpoint.shadows),
        ] {
            if !variants.is_empty() {
                let summaries = variants
                    .iter()
                    .map(|variant| variant_summary(variant, endpoint.created))
                    .collect();
                out.insert(member.into(), Value::Array(summaries));
            }
        }
        if let Some(config) = &endpoint.async_config {
            out.insert(
                "AsyncInferenceConfig".into(),
                production_variants::async_summary(config),
            );
        }
        out.insert("EndpointStatus".into(), json!(endpoint.status()));
        if let Some(reason) = &endpoint.life.failure_reason {
            out.insert("FailureReason".into(), json!(reason));
        }
        out.insert("CreationTime".into(), time_value(endpoint.created));
        out.insert(
            "LastModifiedTime".into(),
            time_value(endpoint.life.modified),
        );
        if let Some(config) = &endpoint.last_deployment_config {
            out.insert("LastDeploymentConfig".into(), config.clone());
        }
        if let Some((config, since)) = &endpoint.updating_to {
            out.insert(
                "PendingDeploymentSummary".into(),
                json!({ "EndpointConfigName": config, "StartTime": time_value(*since) }),
            );
        }
        Ok(Value::Object(out))
    }

    fn require_in_service(&self, endpoint: &Endpoint) -> Result<(), ApiError> {
        if !lifecycle::allows(&ENDPOINT, endpoint.status(), lifecycle::Request::Update) {
            return Err(in_progress(&endpoint.arn));
        }
        Ok(())
    }

    pub fn update_endpoint(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let (name, config_name) = (
            named(body, "EndpointName"),
            named(body, "EndpointConfigName"),
        );
        crate::deployment::check(body.get("DeploymentConfig"))?;
        let endpoint = self
            .endpoints()
            .get(&name)
            .ok_or_else(|| endpoint_missing(self, &name))?;
        let config = self
            .endpoint_configs()
            .get(&config_name)
            .ok_or_else(|| config_missing(self, &config_name))?;
        self.require_in_service(endpoint)?;
        let retain = body
            .get("RetainAllVariantProperties")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let excluded: Vec<String> = body
            .get("ExcludeRetainedVariantProperties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("VariantPropertyType")?.as_str().map(str::to_string))
            .collect();
        let kind = if config.fails {
            let reason = config.failure_reason.clone().unwrap_or_else(|| {
                "The update could not be applied; the endpoint was rolled back to its previous configuration (emulated failure).".to_string()
            });
            End::Fail(reason)
        } else {
            End::Ready(self.deployment(config, Some((&endpoint.variants, retain, &excluded))))
        };
        let at = now + self.settings.real(endpoint.transition_seconds);
        // The deployment config applies to this update; RetainDeploymentConfig reuses the last.
        let deployment_config = match body.get("DeploymentConfig") {
            Some(config) => Some(config.clone()),
            None if body.get("RetainDeploymentConfig").and_then(Value::as_bool) == Some(true) => {
                endpoint.last_deployment_config.clone()
            }
            None => None,
        };
        let endpoint = self.endpoints_mut().get_mut(&name).expect("checked above");
        endpoint
            .life
            .update(now, at, kind)
            .map_err(|InProgress| in_progress(&endpoint.arn))?;
        endpoint.last_deployment_config = deployment_config;
        endpoint.updating_to = Some((config_name, now));
        Ok(json!({ "EndpointArn": endpoint.arn }))
    }

    pub fn update_endpoint_weights_and_capacities(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let endpoint = self.endpoint(body)?;
        self.require_in_service(endpoint)?;
        let desired = body
            .get("DesiredWeightsAndCapacities")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if desired.is_empty() {
            return Err(ApiError::validation(
                "1 validation error detected: Value null at 'desiredWeightsAndCapacities' failed to satisfy constraint: Member must not be null",
            ));
        }
        let mut variants = endpoint.variants.clone();
        for change in &desired {
            let variant_name = str_member(change, "VariantName").unwrap_or("");
            let variant = variants.iter_mut().find(|v| v.name == variant_name).ok_or_else(|| {
                ApiError::validation(format!("The variant name(s) [{variant_name}] is/are not present in the endpoint \"{}\".", endpoint.arn))
            })?;
            if let Some(weight) = change.get("DesiredWeight").and_then(Value::as_f64) {
                variant.desired_weight = weight;
            }
            if let Some(count) = change.get("DesiredInstanceCount").and_then(Value::as_i64) {
                variant.desired_instances = count;
            }
        }
        let settled = settled(&variants);
        let at = now + self.settings.real(endpoint.transition_seconds);
        let endpoint = self
            .endpoints_mut()
            .get_mut(body["EndpointName"].as_str().unwrap_or(""))
            .expect("checked above");
        endpoint.variants = variants;
        endpoint.begin_update(now, at, settled);
        Ok(json!({ "EndpointArn": endpoint.arn }))
    }

    pub fn delete_endpoint(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let endpoint = self.endpoint(body)?;
        if !lifecycle::allows(&ENDPOINT, endpoint.status(), lifecycle::Request::Delete) {
            return Err(in_progress(&endpoint.arn));
        }
        let name = endpoint.name.clone();
        let duration = self.settings.real(endpoint.transition_seconds);
        // SageMaker deregisters the Application Auto Scaling targets of the endpoint's variants
        // as part of DeleteEndpoint (it fails when the caller may not deregister them).
        self.resource_deleted("endpoint", &name);
        let endpoint = self.endpoints_mut().get_mut(&name).expect("checked above");
        endpoint
            .life
            .delete(now, duration)
            .map_err(|InProgress| in_progress(&endpoint.arn))?;
        Ok(json!({}))
    }

    pub fn list_endpoints(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<&Endpoint> = self
            .endpoints()
            .values()
            .filter(|e| filter.accepts(&e.name, Some(e.status()), e.created, e.life.modified))
            .collect();
        match str_member(body, "SortBy").unwrap_or("CreationTime") {
            "Name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            "Status" => rows.sort_by(|a, b| a.status().cmp(b.status()).then(a.name.cmp(&b.name))),
            _ => rows.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.name.cmp(&b.name))),
        }
        if descending(body) {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|e| {
                json!({
                    "EndpointName": e.name,
                    "EndpointArn": e.arn,
                    "CreationTime": time_value(e.created),
                    "LastModifiedTime": time_value(e.life.modified),
                    "EndpointStatus": e.status(),
                })
            })
            .collect();
        Ok(with_token(json!({ "Endpoints": items }), next))
    }

    // ---- sagemaker-runtime --------------------------------------------------------------

    /// The endpoint a runtime call reaches: one that serves (an updating endpoint keeps serving).
    pub fn serving_endpoint(&self, name: &str) -> Result<&Endpoint, ApiError> {
        self.endpoints()
            .get(name)
            .filter(|e| matches!(e.status(), "InService" | "Updating"))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::RuntimeValidation,
                    format!("Endpoint {name} of account {ACCOUNT_ID} not found."),
                )
            })
    }

    pub fn invoke_endpoint(
        &mut self,
        name: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Invocation, ApiError> {
        let endpoint = self.serving_endpoint(name)?;
        let variant = endpoint
            .variants
            .first()
            .map(|v| v.name.clone())
            .unwrap_or_else(|| "AllTraffic".to_string());
        let text = String::from_utf8_lossy(body);
        let (content_type, payload) = if content_type.starts_with("application/json") {
            (
                "application/json",
                json!({ "predictions": [{ "score": prediction(&text) }] }).to_string(),
            )
        } else {
            // text/csv and everything else: one number per input line, as the built-in
            // algorithms answer CSV.
            let lines: Vec<String> = text
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| format_number(prediction(line)))
                .collect();
            (
                "text/csv; charset=utf-8",
                if lines.is_empty() {
                    format_number(prediction(""))
                } else {
                    lines.join("\n")
                },
            )
        };
        Ok(Invocation {
            content_type,
            variant,
            payload,
        })
    }
}

/// The deterministic "model": a weighted sum of the numbers on a line, folded into [0, 10).
/// The same input always gets the same prediction, on every endpoint.
pub fn prediction(line: &str) -> f64 {
    let numbers: Vec<f64> = line
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .collect();
    let raw = if numbers.is_empty() {
        crate::world::unit_hash(line) * 10.0
    } else {
        numbers
            .iter()
            .enumerate()
            .map(|(i, x)| x * (i as f64 + 1.0))
            .sum::<f64>()
            .abs()
            % 10_000.0
            / 1000.0
    };
    (raw * 1e11).round() / 1e11
}

pub fn format_number(value: f64) -> String {
    let text = format!("{value:.11}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub struct Invocation {
    content_type: &'static str,
    variant: String,
    payload: String,
}

impl Invocation {
    pub fn into_response(self) -> HttpResponse {
        let mut response = wire::plain(
            hyper::StatusCode::OK,
            self.content_type,
            self.payload.into_bytes(),
        );
        if let Ok(value) = hyper::header::HeaderValue::from_str(&self.variant) {
            response
                .headers_mut()
                .insert("x-amzn-invoked-production-variant", value);
        }
        response
    }
}

/// The variants as they will be when an update in flight is done: desired is current.
pub fn settled(variants: &[VariantState]) -> Vec<VariantState> {
    variants
        .iter()
        .map(|v| VariantState {
            current_weight: v.desired_weight,
            current_instances: v.desired_instances,
            ..v.clone()
        })
        .collect()
}

/// A deployed variant as DescribeEndpoint reports it.
fn variant_summary(variant: &VariantState, created: f64) -> Value {
    let mut summary = json!({
        "VariantName": variant.name,
        "DeployedImages": [{ "SpecifiedImage": variant.image, "ResolvedImage": variant.image, "ResolutionTime": time_value(created) }],
        "CurrentWeight": variant.current_weight,
        "DesiredWeight": variant.desired_weight,
    });
    if !variant.serverless {
        summary["CurrentInstanceCount"] = json!(variant.current_instances);
        summary["DesiredInstanceCount"] = json!(variant.desired_instances);
    }
    if let Value::Object(map) = &mut summary {
        map.extend(variant.extras.clone());
    }
    summary
}

fn sort_named<T>(rows: &mut [&T], body: &Value, key: impl Fn(&T) -> (&String, f64)) {
    if str_member(body, "SortBy") == Some("Name") {
        rows.sort_by(|a, b| key(a).0.cmp(key(b).0));
    } else {
        rows.sort_by(|a, b| key(a).1.total_cmp(&key(b).1).then(key(a).0.cmp(key(b).0)));
    }
    if descending(body) {
        rows.reverse();
    }
}

fn with_token(mut response: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        response["NextToken"] = json!(next);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{Outcome, Registry, Settings};

    #[test]
    fn the_duration_tag_times_every_endpoint_transition() {
        let kinds = vec![model_kind(), endpoint_config_kind(), endpoint_kind()];
        let mut world = World::new(
            Settings {
                region: "us-east-1".into(),
                time_scale: 1.0,
                default_outcome: Outcome::Completed,
                default_duration: 60.0,
                endpoint_duration: 30.0,
            },
            std::sync::Arc::new(Registry::new(kinds)),
        );
        world
            .create_model(
                json!({ "ModelName": "m", "PrimaryContainer": { "Image": "img" } }),
                0.0,
            )
            .unwrap();
        let variant = json!([{ "VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m4.xlarge" }]);
        world
            .create_endpoint_config(
                json!({ "EndpointConfigName": "c", "ProductionVariants": variant }),
                0.0,
            )
            .unwrap();
        let tags = json!([{ "Key": "emulator:duration-seconds", "Value": "100" }]);
        world
            .create_endpoint(
                json!({ "EndpointName": "e", "EndpointConfigName": "c", "Tags": tags }),
                0.0,
            )
            .unwrap();
        let status = |world: &mut World, at: f64| {
            world.advance(at);
            world.endpoints().get("e").map(|endpoint| endpoint.status())
        };
        assert_eq!(status(&mut world, 99.0), Some("Creating"));
        assert_eq!(status(&mut world, 100.0), Some("InService"));
        world
            .update_endpoint(
                &json!({ "EndpointName": "e", "EndpointConfigName": "c" }),
                100.0,
            )
            .unwrap();
        assert_eq!(status(&mut world, 199.0), Some("Updating"));
        assert_eq!(status(&mut world, 200.0), Some("InService"));
        world
            .delete_endpoint(&json!({ "EndpointName": "e" }), 200.0)
            .unwrap();
        assert_eq!(status(&mut world, 249.0), Some("Deleting"));
        assert_eq!(status(&mut world, 250.0), None);
    }
}
