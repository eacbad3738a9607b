//! Application Auto Scaling (`AnyScaleFrontendService.*`) for SageMaker endpoint variants and
//! inference components (`scaled.rs`): scalable targets, target-tracking and step scaling
//! policies, and the scaling they cause.
//!
//! Scaling is evaluated lazily like every other lifecycle: each target remembers when it was last
//! evaluated, and every request first replays the evaluation periods that have passed since
//! (see `World::advance_scaling`), so an idle target costs nothing.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::scaled::Scaled;
use crate::validate::Violations;
use crate::wire::{ApiError, ErrorCode};
use crate::world::{ACCOUNT_ID, Kind, Service, World, str_member, time_value};

/// Emulated seconds between two evaluations of a target (CloudWatch's one-minute period).
pub const EVALUATION_PERIOD: f64 = 60.0;
/// Cooldown when a policy does not set one (Application Auto Scaling's default for SageMaker).
const DEFAULT_COOLDOWN: f64 = 300.0;

#[derive(Debug, Clone, Default)]
pub struct Suspended {
    pub scale_in: bool,
    pub scale_out: bool,
    pub scheduled: bool,
}

impl Suspended {
    fn to_json(&self) -> Value {
        json!({
            "DynamicScalingInSuspended": self.scale_in,
            "DynamicScalingOutSuspended": self.scale_out,
            "ScheduledScalingSuspended": self.scheduled,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ScalableTarget {
    pub resource_id: String,
    pub scaled: Scaled,
    pub min: i64,
    pub max: i64,
    pub arn: String,
    pub role_arn: String,
    pub created: f64,
    pub suspended: Suspended,
    /// Real time of the next evaluation still to be replayed.
    pub next_evaluation: f64,
    pub last_scale_out: Option<f64>,
    pub last_scaling: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ScalingPolicy {
    pub name: String,
    pub resource_id: String,
    pub dimension: &'static str,
    pub arn: String,
    pub policy_type: String,
    /// The configuration member as sent (`TargetTrackingScalingPolicyConfiguration` or
    /// `StepScalingPolicyConfiguration`); Describe echoes it.
    pub configuration: Value,
    pub alarms: Vec<(String, String)>,
    pub created: f64,
}

/// Application Auto Scaling's state in one region.
#[derive(Default)]
pub struct Scaling {
    /// Targets by resource ID (`endpoint/<e>/variant/<v>`, `inference-component/<c>`).
    targets: BTreeMap<String, ScalableTarget>,
    policies: PolicyMap,
    /// Load per variant or inference component, set through `PUT /_emulator/load`.
    loads: HashMap<Scaled, VariantLoad>,
}

/// Application Auto Scaling, registered like a kind: its operations, the evaluation periods
/// replayed before each request, and the targets that go with a deleted endpoint.
pub fn kind() -> Kind {
    let mut kind = Kind::new::<Scaling>("scalable target");
    kind.advance = Some(World::advance_scaling);
    kind.resources = Some(|world| {
        let (targets, policies) = world.scaling_resources();
        vec![
            ("scalableTargets", json!(targets)),
            ("scalingPolicies", json!(policies)),
        ]
    });
    kind.on_deleted = Some(|world, kind, name| {
        if kind == "endpoint" || kind == "inference component" {
            world.deregister_targets_of(kind, name);
        }
    });
    kind.operations(
        Service::AutoScaling,
        &[
            ("RegisterScalableTarget", |world, body, now| {
                world.register_scalable_target(&body, now)
            }),
            ("DescribeScalableTargets", |world, body, _| {
                world.describe_scalable_targets(&body)
            }),
            ("DeregisterScalableTarget", |world, body, _| {
                world.deregister_scalable_target(&body)
            }),
            ("PutScalingPolicy", |world, body, now| {
                world.put_scaling_policy(&body, now)
            }),
            ("DescribeScalingPolicies", |world, body, _| {
                world.describe_scaling_policies(&body)
            }),
            ("DeleteScalingPolicy", |world, body, _| {
                world.delete_scaling_policy(&body)
            }),
        ],
    )
}

/// A variant's (or inference component's) load, set through the control API
/// (`PUT /_emulator/load`).
#[derive(Debug, Clone, Copy)]
pub struct VariantLoad {
    /// Invocations per minute over the whole variant; the per-instance (per-copy) metric is this
    /// divided by the current instance (copy) count, so adding capacity lowers it as real traffic
    /// would.
    pub total: f64,
    /// The threshold of the alarm that step scaling policies hang on: step bounds are relative
    /// to it, as in CloudWatch.
    pub alarm_threshold: f64,
}

fn object_not_found(message: String) -> ApiError {
    ApiError::new(ErrorCode::ObjectNotFound, message)
}

fn target_missing(resource_id: &str, dimension: &str) -> ApiError {
    object_not_found(format!(
        "No scalable target registered for service namespace: sagemaker, resource ID: {resource_id}, scalable dimension: {dimension}"
    ))
}

/// The three members every call names a target by; only SageMaker variants and inference
/// components are emulated.
fn target_key(body: &Value) -> Result<(String, Scaled), ApiError> {
    let resource_id = str_member(body, "ResourceId").unwrap_or("").to_string();
    let dimension = str_member(body, "ScalableDimension").unwrap_or("");
    if str_member(body, "ServiceNamespace") != Some("sagemaker") {
        return Err(unsupported());
    }
    let scaled = Scaled::parse(&resource_id, dimension).ok_or_else(unsupported)?;
    Ok((resource_id, scaled))
}

fn unsupported() -> ApiError {
    ApiError::validation("Unsupported service namespace, resource type or scalable dimension")
}

/// Whether a Describe call's optional dimension filter admits `dimension`.
fn dimension_wanted(body: &Value, dimension: &str) -> bool {
    str_member(body, "ServiceNamespace") == Some("sagemaker")
        && str_member(body, "ScalableDimension").is_none_or(|d| d == dimension)
}

/// Limits AWS enforces that its model does not state: capacities are not negative, pages hold
/// 1–50 items.
fn unstated_limits(body: &Value) -> Result<(), ApiError> {
    let mut violations = Violations::new();
    for (member, path) in [
        ("MinCapacity", "minCapacity"),
        ("MaxCapacity", "maxCapacity"),
    ] {
        if let Some(value) = body.get(member) {
            violations.range(value, path, Some(0), None);
        }
    }
    if let Some(max) = body.get("MaxResults") {
        violations.range(max, "maxResults", Some(1), Some(50));
    }
    violations.finish()
}

fn page<T>(
    items: Vec<T>,
    body: &Value,
    default_size: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = body
        .get("MaxResults")
        .and_then(Value::as_u64)
        .map_or(default_size, |size| size as usize);
    let start = match str_member(body, "NextToken") {
        None | Some("") => 0,
        Some(token) => token
            .strip_prefix("emulator-aas-")
            .and_then(|offset| offset.parse::<usize>().ok())
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidNextToken, "Invalid token"))?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let end = start.saturating_add(size);
    Ok((page, (end < total).then(|| format!("emulator-aas-{end}"))))
}

fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The CloudWatch alarms a target tracking policy creates: (name, ARN) of AlarmHigh, and of
/// AlarmLow unless scale-in is disabled.
fn tracking_alarms(
    region: &str,
    resource_id: &str,
    configuration: &Value,
) -> Vec<(String, String)> {
    let scale_in = !configuration["DisableScaleIn"].as_bool().unwrap_or(false);
    let mut alarms = vec!["AlarmHigh"];
    if scale_in {
        alarms.push("AlarmLow");
    }
    alarms
        .into_iter()
        .map(|kind| {
            let alarm = format!(
                "TargetTracking-{resource_id}-{kind}-{}",
                uuid::Uuid::new_v4()
            );
            let alarm_arn = format!("arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{alarm}");
            (alarm, alarm_arn)
        })
        .collect()
}

impl World {
    fn scalable_targets(&self) -> &BTreeMap<String, ScalableTarget> {
        &self.state::<Scaling>().targets
    }

    fn scalable_targets_mut(&mut self) -> &mut BTreeMap<String, ScalableTarget> {
        &mut self.state_mut::<Scaling>().targets
    }

    fn scaling_policies(&self) -> &PolicyMap {
        &self.state::<Scaling>().policies
    }

    fn scaling_policies_mut(&mut self) -> &mut PolicyMap {
        &mut self.state_mut::<Scaling>().policies
    }

    fn variant_loads(&self) -> &HashMap<Scaled, VariantLoad> {
        &self.state::<Scaling>().loads
    }

    fn variant_loads_mut(&mut self) -> &mut HashMap<Scaled, VariantLoad> {
        &mut self.state_mut::<Scaling>().loads
    }

    fn register_scalable_target(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let (resource_id, scaled) = target_key(body)?;
        unstated_limits(body)?;
        let min = body.get("MinCapacity").and_then(Value::as_i64);
        let max = body.get("MaxCapacity").and_then(Value::as_i64);
        self.check_scalable(&scaled, &resource_id)?;
        let suspended = body.get("SuspendedState").map(|state| Suspended {
            scale_in: state["DynamicScalingInSuspended"]
                .as_bool()
                .unwrap_or(false),
            scale_out: state["DynamicScalingOutSuspended"]
                .as_bool()
                .unwrap_or(false),
            scheduled: state["ScheduledScalingSuspended"]
                .as_bool()
                .unwrap_or(false),
        });
        let region = self.settings.region.clone();
        let first_evaluation = now + self.settings.real(EVALUATION_PERIOD);
        let target = match self.scalable_targets_mut().get_mut(&resource_id) {
            Some(existing) => {
                let min = min.unwrap_or(existing.min);
                let max = max.unwrap_or(existing.max);
                if min > max {
                    return Err(ApiError::validation(format!(
                        "Minimum capacity cannot be greater than maximum capacity (MinCapacity {min}, MaxCapacity {max})"
                    )));
                }
                existing.min = min;
                existing.max = max;
                if let Some(suspended) = suspended {
                    existing.suspended = suspended;
                }
                existing
            }
            None => {
                let (Some(min), Some(max)) = (min, max) else {
                    return Err(ApiError::validation(
                        "MinCapacity and MaxCapacity are required to register a new scalable target",
                    ));
                };
                if min > max {
                    return Err(ApiError::validation(format!(
                        "Minimum capacity cannot be greater than maximum capacity (MinCapacity {min}, MaxCapacity {max})"
                    )));
                }
                let target = ScalableTarget {
                    resource_id: resource_id.clone(),
                    scaled,
                    min,
                    max,
                    arn: format!(
                        "arn:aws:application-autoscaling:{region}:{ACCOUNT_ID}:scalable-target/{}",
                        &short_id()[..28]
                    ),
                    role_arn: str_member(body, "RoleARN").map(str::to_string).unwrap_or_else(|| format!(
                        "arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
                    )),
                    created: now,
                    suspended: suspended.unwrap_or_default(),
                    next_evaluation: first_evaluation,
                    last_scale_out: None,
                    last_scaling: None,
                };
                tracing::debug!(resource = %resource_id, min, max, "scalable target registered");
                self.scalable_targets_mut()
                    .entry(resource_id.clone())
                    .or_insert(target)
            }
        };
        // A new range is applied at the next evaluation, even without policies.
        target.next_evaluation = target.next_evaluation.min(first_evaluation);
        Ok(json!({ "ScalableTargetARN": target.arn }))
    }

    fn describe_scalable_targets(&self, body: &Value) -> Result<Value, ApiError> {
        unstated_limits(body)?;
        let wanted: Option<Vec<&str>> = body
            .get("ResourceIds")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).collect());
        let targets: Vec<Value> = self
            .scalable_targets()
            .values()
            .filter(|target| dimension_wanted(body, target.scaled.dimension()))
            .filter(|target| {
                wanted
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&target.resource_id.as_str()))
            })
            .map(|target| {
                json!({
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": target.resource_id,
                    "ScalableDimension": target.scaled.dimension(),
                    "MinCapacity": target.min,
                    "MaxCapacity": target.max,
                    "RoleARN": target.role_arn,
                    "CreationTime": time_value(target.created),
                    "SuspendedState": target.suspended.to_json(),
                    "ScalableTargetARN": target.arn,
                })
            })
            .collect();
        let (targets, next) = page(targets, body, 50)?;
        let mut response = json!({ "ScalableTargets": targets });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }

    fn deregister_scalable_target(&mut self, body: &Value) -> Result<Value, ApiError> {
        let (resource_id, scaled) = target_key(body)?;
        if self.scalable_targets_mut().remove(&resource_id).is_none() {
            return Err(target_missing(&resource_id, scaled.dimension()));
        }
        // Deregistering a target deletes its policies (and their alarms).
        self.scaling_policies_mut()
            .retain(|(resource, _), _| *resource != resource_id);
        tracing::debug!(resource = %resource_id, "scalable target deregistered");
        Ok(json!({}))
    }

    fn put_scaling_policy(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let (resource_id, scaled) = target_key(body)?;
        let name = str_member(body, "PolicyName").unwrap_or("").to_string();
        if !self.scalable_targets().contains_key(&resource_id) {
            return Err(target_missing(&resource_id, scaled.dimension()));
        }
        if self.capacity(&scaled).is_none() {
            // Registered, but the resource has gone since (an update deployed a config without
            // the variant): the service cannot reach it.
            return Err(ApiError::new(
                ErrorCode::FailedResourceAccess,
                format!(
                    "Failed to access {} (resource ID {resource_id}): it is not deployed",
                    scaled.describe()
                ),
            ));
        }
        let key = (resource_id.clone(), name.clone());
        let existing = self.scaling_policies().get(&key);
        let policy_type = match (str_member(body, "PolicyType"), existing) {
            (Some(kind), _) => kind.to_string(),
            (None, Some(existing)) => existing.policy_type.clone(),
            (None, None) => {
                return Err(ApiError::validation(
                    "1 validation error detected: Value null at 'policyType' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        let configuration = match policy_type.as_str() {
            "TargetTrackingScaling" => validate_target_tracking(body, &scaled)?,
            "StepScaling" => validate_step_scaling(body)?,
            _ => {
                return Err(ApiError::validation(
                    "Predictive scaling is not supported for the sagemaker service namespace",
                ));
            }
        };
        let region = self.settings.region.clone();
        let arn = existing.map(|policy| policy.arn.clone()).unwrap_or_else(|| {
            format!(
                "arn:aws:autoscaling:{region}:{ACCOUNT_ID}:scalingPolicy:{}:resource/sagemaker/{resource_id}:policyName/{name}",
                uuid::Uuid::new_v4()
            )
        });
        let created = existing.map_or(now, |policy| policy.created);
        let alarms = if policy_type == "TargetTrackingScaling" {
            tracking_alarms(&region, &resource_id, &configuration)
        } else {
            Vec::new()
        };
        let response_alarms: Vec<Value> = alarms
            .iter()
            .map(|(name, arn)| json!({ "AlarmName": name, "AlarmARN": arn }))
            .collect();
        tracing::debug!(resource = %resource_id, policy = %name, kind = %policy_type, "scaling policy put");
        self.scaling_policies_mut().insert(
            key,
            ScalingPolicy {
                name,
                resource_id: resource_id.clone(),
                dimension: scaled.dimension(),
                arn: arn.clone(),
                policy_type,
                configuration,
                alarms,
                created,
            },
        );
        // A new policy is evaluated one period from now.
        let next_evaluation = now + self.settings.real(EVALUATION_PERIOD);
        if let Some(target) = self.scalable_targets_mut().get_mut(&resource_id) {
            target.next_evaluation = target.next_evaluation.min(next_evaluation);
        }
        Ok(json!({ "PolicyARN": arn, "Alarms": response_alarms }))
    }

    fn describe_scaling_policies(&self, body: &Value) -> Result<Value, ApiError> {
        unstated_limits(body)?;
        let names: Option<Vec<&str>> = body
            .get("PolicyNames")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect());
        let resource = str_member(body, "ResourceId");
        let policies: Vec<Value> = self
            .scaling_policies()
            .values()
            .filter(|policy| dimension_wanted(body, policy.dimension))
            .filter(|policy| resource.is_none_or(|id| id == policy.resource_id))
            .filter(|policy| {
                names
                    .as_ref()
                    .is_none_or(|names| names.contains(&policy.name.as_str()))
            })
            .map(|policy| {
                let mut out = Map::new();
                out.insert("PolicyARN".into(), json!(policy.arn));
                out.insert("PolicyName".into(), json!(policy.name));
                out.insert("ServiceNamespace".into(), json!("sagemaker"));
                out.insert("ResourceId".into(), json!(policy.resource_id));
                out.insert("ScalableDimension".into(), json!(policy.dimension));
                out.insert("PolicyType".into(), json!(policy.policy_type));
                let member = if policy.policy_type == "TargetTrackingScaling" {
                    "TargetTrackingScalingPolicyConfiguration"
                } else {
                    "StepScalingPolicyConfiguration"
                };
                out.insert(member.into(), policy.configuration.clone());
                let alarms: Vec<Value> = policy
                    .alarms
                    .iter()
                    .map(|(name, arn)| json!({ "AlarmName": name, "AlarmARN": arn }))
                    .collect();
                out.insert("Alarms".into(), Value::Array(alarms));
                out.insert("CreationTime".into(), time_value(policy.created));
                Value::Object(out)
            })
            .collect();
        let (policies, next) = page(policies, body, 10)?;
        let mut response = json!({ "ScalingPolicies": policies });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }

    fn delete_scaling_policy(&mut self, body: &Value) -> Result<Value, ApiError> {
        let (resource_id, scaled) = target_key(body)?;
        let name = str_member(body, "PolicyName").unwrap_or("").to_string();
        if self
            .scaling_policies_mut()
            .remove(&(resource_id.clone(), name.clone()))
            .is_none()
        {
            return Err(object_not_found(format!(
                "No scaling policy found for service namespace: sagemaker, resource ID: {resource_id}, scalable dimension: {}, policy name: {name}",
                scaled.dimension()
            )));
        }
        Ok(json!({}))
    }

    /// DeleteEndpoint's (DeleteInferenceComponent's) clean-up: the targets of the endpoint's
    /// variants (of the component), their policies and loads go with it.
    pub fn deregister_targets_of(&mut self, kind: &str, name: &str) {
        let goes = |scaled: &Scaled| match scaled {
            Scaled::Component(component) => kind == "inference component" && component == name,
            variant => kind == "endpoint" && variant.on_endpoint(name),
        };
        let gone: Vec<String> = self
            .scalable_targets()
            .values()
            .filter(|target| goes(&target.scaled))
            .map(|target| target.resource_id.clone())
            .collect();
        for resource_id in &gone {
            self.scalable_targets_mut().remove(resource_id);
            self.scaling_policies_mut()
                .retain(|(resource, _), _| resource != resource_id);
            tracing::debug!(resource = %resource_id, %kind, "scalable target deregistered with its resource");
        }
        self.variant_loads_mut().retain(|scaled, _| !goes(scaled));
    }

    /// What a target names must exist to be registered.
    fn check_scalable(&self, scaled: &Scaled, resource_id: &str) -> Result<(), ApiError> {
        if self.capacity(scaled).is_some() {
            return Ok(());
        }
        let message = match scaled {
            Scaled::Variant { endpoint, .. } if !self.endpoints().contains_key(endpoint) => {
                format!(
                    "Unable to find the SageMaker endpoint {endpoint}: resource ID {resource_id} does not exist"
                )
            }
            Scaled::Variant { endpoint, variant } => format!(
                "The SageMaker endpoint {endpoint} has no deployed variant {variant}: resource ID {resource_id} does not exist"
            ),
            Scaled::Component(name) => format!(
                "Unable to find the SageMaker inference component {name}: resource ID {resource_id} does not exist"
            ),
        };
        Err(ApiError::validation(message))
    }

    /// Sets a variant's (inference component's) load (control API). `invocations_per_instance`
    /// is measured at the current instance (copy) count.
    pub fn set_load(
        &mut self,
        scaled: Scaled,
        invocations_per_instance: f64,
        alarm_threshold: f64,
    ) -> Result<VariantLoad, String> {
        if !(invocations_per_instance.is_finite()
            && invocations_per_instance >= 0.0
            && alarm_threshold.is_finite())
        {
            return Err(
                "invocationsPerInstance must be a non-negative number and alarmThreshold a number"
                    .into(),
            );
        }
        let capacity = self
            .capacity(&scaled)
            .ok_or_else(|| format!("no deployed {}", scaled.describe()))?;
        let load = VariantLoad {
            total: invocations_per_instance * capacity.current.max(1) as f64,
            alarm_threshold,
        };
        self.variant_loads_mut().insert(scaled, load);
        Ok(load)
    }

    /// Replays every evaluation period that has passed, oldest first across all targets, so a
    /// scaling activity sees the endpoint as it was at that instant.
    pub fn advance_scaling(&mut self, now: f64) {
        let period = self.settings.real(EVALUATION_PERIOD);
        loop {
            let Some((resource_id, at)) = self
                .scalable_targets()
                .values()
                .filter(|target| target.next_evaluation <= now)
                .min_by(|a, b| a.next_evaluation.total_cmp(&b.next_evaluation))
                .map(|target| (target.resource_id.clone(), target.next_evaluation))
            else {
                return;
            };
            self.settle_endpoints(at);
            self.settle_inference_components(at);
            let steady = self.evaluate_target(&resource_id, at);
            // Settling may have deleted what the target scales, and the target with it.
            let Some(target) = self.scalable_targets_mut().get_mut(&resource_id) else {
                continue;
            };
            target.next_evaluation = if steady {
                // Nothing can change without a new load, policy or range (each of which moves
                // the next evaluation forward again): skip straight to the period after `now`.
                let periods = ((now - at) / period).floor() + 1.0;
                at + periods * period
            } else {
                at + period
            };
        }
    }

    /// One evaluation at `at`; true when the target is steady (no change wanted or possible
    /// until something external changes).
    fn evaluate_target(&mut self, resource_id: &str, at: f64) -> bool {
        let Some(target) = self.scalable_targets().get(resource_id).cloned() else {
            return true;
        };
        let Some(capacity) = self.capacity(&target.scaled) else {
            return true;
        };
        if !capacity.ready {
            // Scaling waits for the resource; Updating ends by itself.
            return !capacity.in_transition;
        }
        let current = capacity.current;
        let load = self.variant_loads().get(&target.scaled).copied();
        let per_instance = load.map(|load| load.total / current.max(1) as f64);
        let mut out: Option<i64> = None;
        let mut inward: Option<i64> = None;
        let mut blocked = false;
        for policy in self
            .scaling_policies()
            .values()
            .filter(|policy| policy.resource_id == resource_id)
        {
            let Some(per_instance) = per_instance else {
                continue;
            };
            let config = &policy.configuration;
            let (wanted, scale_in_allowed, out_cooldown, in_cooldown) =
                if policy.policy_type == "TargetTrackingScaling" {
                    let goal = config["TargetValue"]
                        .as_f64()
                        .unwrap_or(1.0)
                        .max(f64::MIN_POSITIVE);
                    let total = per_instance * current.max(1) as f64;
                    let wanted = ((total / goal) - 1e-9).ceil().max(0.0) as i64;
                    (
                        Some(wanted),
                        !config["DisableScaleIn"].as_bool().unwrap_or(false),
                        config["ScaleOutCooldown"]
                            .as_f64()
                            .unwrap_or(DEFAULT_COOLDOWN),
                        config["ScaleInCooldown"]
                            .as_f64()
                            .unwrap_or(DEFAULT_COOLDOWN),
                    )
                } else {
                    let breach = per_instance - load.map_or(0.0, |load| load.alarm_threshold);
                    let cooldown = config["Cooldown"].as_f64().unwrap_or(DEFAULT_COOLDOWN);
                    (
                        step_capacity(config, current, breach),
                        true,
                        cooldown,
                        cooldown,
                    )
                };
            let Some(wanted) = wanted else { continue };
            if wanted > current {
                let ready = target
                    .last_scale_out
                    .is_none_or(|last| at >= last + self.settings.real(out_cooldown));
                if ready {
                    out = Some(out.map_or(wanted, |other| other.max(wanted)));
                } else {
                    blocked = true;
                }
            } else if wanted < current && scale_in_allowed {
                let ready = target
                    .last_scaling
                    .is_none_or(|last| at >= last + self.settings.real(in_cooldown));
                if ready {
                    inward = Some(inward.map_or(wanted, |other| other.max(wanted)));
                } else {
                    blocked = true;
                }
            } else {
                // A policy content with the current capacity vetoes scaling in (the largest
                // capacity wins).
                inward = Some(inward.map_or(current, |other| other.max(current)));
            }
        }
        let mut desired = match (out, inward) {
            (Some(out), _) if !target.suspended.scale_out => out,
            (None, Some(inward)) if !target.suspended.scale_in => inward,
            _ => current,
        };
        desired = desired.clamp(target.min, target.max);
        if desired == current {
            return !blocked;
        }
        self.scale(&target, current, desired, at);
        false
    }

    fn scale(&mut self, target: &ScalableTarget, current: i64, desired: i64, at: f64) {
        self.set_capacity(&target.scaled, desired, at);
        tracing::debug!(resource = %target.resource_id, from = current, to = desired, "scaling activity");
        if let Some(stored) = self.scalable_targets_mut().get_mut(&target.resource_id) {
            if desired > current {
                stored.last_scale_out = Some(at);
            }
            stored.last_scaling = Some(at);
        }
    }

    /// Targets and policies of this region, for the control API's resource listing.
    pub fn scaling_resources(&self) -> (Vec<String>, Vec<Value>) {
        let targets = self.scalable_targets().keys().cloned().collect();
        let policies = self
            .scaling_policies()
            .values()
            .map(|policy| json!({ "resourceId": policy.resource_id, "policyName": policy.name }))
            .collect();
        (targets, policies)
    }
}

/// The capacity a step policy asks for at `breach` (metric minus alarm threshold); None when the
/// breach falls in no step (the alarm would not fire).
fn step_capacity(config: &Value, current: i64, breach: f64) -> Option<i64> {
    let step = config["StepAdjustments"].as_array()?.iter().find(|step| {
        let lower = step["MetricIntervalLowerBound"].as_f64();
        let upper = step["MetricIntervalUpperBound"].as_f64();
        // No lower bound means negative infinity, no upper bound positive infinity; the
        // lower bound is inclusive for breaches above the threshold, as in CloudWatch.
        lower.is_none_or(|lower| breach >= lower) && upper.is_none_or(|upper| breach < upper)
    })?;
    let adjustment = step["ScalingAdjustment"].as_i64()?;
    let wanted = match config["AdjustmentType"]
        .as_str()
        .unwrap_or("ChangeInCapacity")
    {
        "ExactCapacity" => adjustment,
        "PercentChangeInCapacity" => {
            let mut change = (current as f64 * adjustment as f64 / 100.0).trunc() as i64;
            let magnitude = config["MinAdjustmentMagnitude"]
                .as_i64()
                .unwrap_or(1)
                .max(1);
            if adjustment != 0 && change.abs() < magnitude {
                change = magnitude * adjustment.signum();
            }
            current + change
        }
        _ => current + adjustment,
    };
    Some(wanted)
}

fn validate_target_tracking(body: &Value, scaled: &Scaled) -> Result<Value, ApiError> {
    let path = "targetTrackingScalingPolicyConfiguration";
    let mut violations = Violations::new();
    let config = violations.required(body, "TargetTrackingScalingPolicyConfiguration", path);
    if let Some(config) = config {
        if let Some(value) =
            violations.required(config, "TargetValue", &format!("{path}.targetValue"))
            && value.as_f64().is_some_and(|value| value <= 0.0)
        {
            violations.push(
                value,
                &format!("{path}.targetValue"),
                "Member must have value greater than or equal to 8.515920e-109",
            );
        }
        for member in ["ScaleOutCooldown", "ScaleInCooldown"] {
            if let Some(value) = config.get(member) {
                let mut chars = member.chars();
                let lower: String = chars
                    .next()
                    .map(|c| c.to_ascii_lowercase())
                    .into_iter()
                    .chain(chars)
                    .collect();
                violations.range(value, &format!("{path}.{lower}"), Some(0), Some(31536000));
            }
        }
        if let Some(predefined) = config.get("PredefinedMetricSpecification") {
            violations.required(
                predefined,
                "PredefinedMetricType",
                &format!("{path}.predefinedMetricSpecification.predefinedMetricType"),
            );
        }
        if let Some(custom) = config.get("CustomizedMetricSpecification")
            && custom.get("Metrics").is_none()
        {
            let custom_path = format!("{path}.customizedMetricSpecification");
            for (member, lower) in [
                ("MetricName", "metricName"),
                ("Namespace", "namespace"),
                ("Statistic", "statistic"),
            ] {
                violations.required(custom, member, &format!("{custom_path}.{lower}"));
            }
            violations.optional_enum(
                custom,
                "Statistic",
                &format!("{custom_path}.statistic"),
                &["Average", "Minimum", "Maximum", "SampleCount", "Sum"],
            );
            for (index, dimension) in custom["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let member = format!("{custom_path}.dimensions.{}.member", index + 1);
                violations.required(dimension, "Name", &format!("{member}.name"));
                violations.required(dimension, "Value", &format!("{member}.value"));
            }
        }
    }
    violations.finish()?;
    let config = config.cloned().unwrap_or(Value::Null);
    match (
        config.get("PredefinedMetricSpecification"),
        config.get("CustomizedMetricSpecification"),
    ) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::validation(
                "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified",
            ));
        }
        (Some(predefined), None) => {
            let kind = str_member(predefined, "PredefinedMetricType").unwrap_or("");
            if !scaled.metrics().contains(&kind) {
                return Err(ApiError::validation(format!(
                    "Scalable dimension {} only supports the following predefined metric types: {}",
                    scaled.dimension(),
                    scaled.metrics().join(", ")
                )));
            }
        }
        (None, Some(_)) => {}
    }
    Ok(config)
}

fn validate_step_scaling(body: &Value) -> Result<Value, ApiError> {
    let path = "stepScalingPolicyConfiguration";
    let mut violations = Violations::new();
    let config = violations.required(body, "StepScalingPolicyConfiguration", path);
    if let Some(config) = config {
        violations.optional_enum(
            config,
            "AdjustmentType",
            &format!("{path}.adjustmentType"),
            &[
                "ChangeInCapacity",
                "PercentChangeInCapacity",
                "ExactCapacity",
            ],
        );
        violations.optional_enum(
            config,
            "MetricAggregationType",
            &format!("{path}.metricAggregationType"),
            &["Average", "Minimum", "Maximum"],
        );
        if let Some(cooldown) = config.get("Cooldown") {
            violations.range(
                cooldown,
                &format!("{path}.cooldown"),
                Some(0),
                Some(31536000),
            );
        }
        for (index, step) in config["StepAdjustments"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            violations.required(
                step,
                "ScalingAdjustment",
                &format!(
                    "{path}.stepAdjustments.{}.member.scalingAdjustment",
                    index + 1
                ),
            );
        }
    }
    violations.finish()?;
    let config = config.cloned().unwrap_or(Value::Null);
    let steps = config["StepAdjustments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if config.get("AdjustmentType").is_none() || steps.is_empty() {
        return Err(ApiError::validation(
            "AdjustmentType and at least one StepAdjustment are required for a StepScaling policy",
        ));
    }
    for step in &steps {
        if let (Some(lower), Some(upper)) = (
            step["MetricIntervalLowerBound"].as_f64(),
            step["MetricIntervalUpperBound"].as_f64(),
        ) && lower >= upper
        {
            return Err(ApiError::validation(format!(
                "MetricIntervalLowerBound ({lower}) must be less than MetricIntervalUpperBound ({upper})"
            )));
        }
    }
    let unbounded_below = steps
        .iter()
        .filter(|step| step.get("MetricIntervalLowerBound").is_none())
        .count();
    let unbounded_above = steps
        .iter()
        .filter(|step| step.get("MetricIntervalUpperBound").is_none())
        .count();
    if unbounded_below > 1 || unbounded_above > 1 {
        return Err(ApiError::validation(
            "At most one step adjustment may have a null lower bound and at most one a null upper bound",
        ));
    }
    Ok(config)
}

/// Keyed by (resource ID, policy name): a policy name is unique per target.
pub type PolicyMap = BTreeMap<(String, String), ScalingPolicy>;

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(kind: &str, adjustment: i64, magnitude: Option<i64>) -> Value {
        let mut config = json!({
            "AdjustmentType": kind,
            "StepAdjustments": [
                { "MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 50.0, "ScalingAdjustment": adjustment },
                { "MetricIntervalUpperBound": -20.0, "ScalingAdjustment": -1 }
            ]
        });
        if let Some(magnitude) = magnitude {
            config["MinAdjustmentMagnitude"] = json!(magnitude);
        }
        config
    }

    #[test]
    fn step_bounds_are_lower_inclusive_upper_exclusive() {
        let config = steps("ChangeInCapacity", 2, None);
        assert_eq!(step_capacity(&config, 3, 0.0), Some(5));
        assert_eq!(step_capacity(&config, 3, 49.9), Some(5));
        assert_eq!(step_capacity(&config, 3, 50.0), None, "no step above 50");
        assert_eq!(
            step_capacity(&config, 3, -10.0),
            None,
            "no step in (-20, 0)"
        );
        assert_eq!(step_capacity(&config, 3, -20.5), Some(2));
    }

    #[test]
    fn percent_and_exact_adjustments() {
        let percent = steps("PercentChangeInCapacity", 50, None);
        assert_eq!(step_capacity(&percent, 4, 10.0), Some(6));
        // 10 % of 3 truncates to 0; the minimum magnitude still moves it.
        let small = steps("PercentChangeInCapacity", 10, Some(2));
        assert_eq!(step_capacity(&small, 3, 10.0), Some(5));
        let exact = steps("ExactCapacity", 7, None);
        assert_eq!(step_capacity(&exact, 3, 10.0), Some(7));
    }
}
