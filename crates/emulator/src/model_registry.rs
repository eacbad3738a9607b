//! The model registry's groups: a model package group is Pending for a moment, then Completed,
//! and is deleted in the background. Its lifecycle is a row of the lifecycle table; what is
//! special is only its wording (SageMaker answers a taken or missing group in words of its own)
//! and that its List filters by creation time only. A group numbers the versions registered in
//! it (`model_package.rs`) and cannot be deleted while it holds any.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::lifecycle::{End, InProgress, Life, MODEL_PACKAGE_GROUP};
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, Service, World, descending, paginate, reserved_tags, sorted_names,
    str_member, time_value,
};

/// Emulated seconds a group spends Pending (and Deleting, by the row's share) unless its
/// duration tag says otherwise: setting up a group takes SageMaker a moment.
const GROUP_SECONDS: f64 = 2.0;

pub struct ModelPackageGroup {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub managed_configuration: Option<Value>,
    pub created: f64,
    pub life: Life<()>,
    pub transition_seconds: f64,
    /// Versions registered in the group so far: the next one is this plus one ("incremented
    /// with each new model package added", says the developer guide; a deleted version's
    /// number is not given again).
    pub versions: i64,
}

pub type ModelPackageGroups = HashMap<String, ModelPackageGroup>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<ModelPackageGroups>("model package group");
    kind.advance = Some(|world, now| {
        world.settle_lives::<ModelPackageGroup>(now, |group| (&mut group.life, &group.arn))
    });
    kind.resources = Some(|world| {
        vec![(
            "modelPackageGroups",
            sorted_names(world.model_package_groups().keys()),
        )]
    });
    kind.owns_arn = Some(|world, arn| {
        world
            .model_package_groups()
            .values()
            .any(|group| group.arn == arn)
    });
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateModelPackageGroup", |world, body, now| {
                world.create_model_package_group(&body, now)
            }),
            ("DescribeModelPackageGroup", |world, body, _| {
                world.describe_model_package_group(&body)
            }),
            ("DeleteModelPackageGroup", |world, body, now| {
                world.delete_model_package_group(&body, now)
            }),
            ("ListModelPackageGroups", |world, body, _| {
                world.list_model_package_groups(&body)
            }),
        ],
    )
}

impl World {
    pub fn model_package_groups(&self) -> &ModelPackageGroups {
        self.state()
    }

    pub fn model_package_groups_mut(&mut self) -> &mut ModelPackageGroups {
        self.state_mut()
    }

    /// The group a request names (by name or ARN, as SageMaker accepts both).
    pub fn model_package_group(&self, body: &Value) -> Result<&ModelPackageGroup, ApiError> {
        let named = str_member(body, "ModelPackageGroupName").unwrap_or_default();
        let name = named.rsplit('/').next().unwrap_or(named);
        self.model_package_groups().get(name).ok_or_else(|| {
            ApiError::validation(format!(
                "ModelPackageGroup {} does not exist.",
                self.settings.arn("model-package-group", name)
            ))
        })
    }

    pub fn create_model_package_group(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let name = str_member(body, "ModelPackageGroupName")
            .unwrap_or_default()
            .to_string();
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        let arn = self.settings.arn("model-package-group", &name);
        if self.model_package_groups().contains_key(&name) {
            return Err(ApiError::validation(format!(
                "Model Package Group already exists: {arn}"
            )));
        }
        let duration = reserved.duration.unwrap_or(GROUP_SECONDS);
        let end = match reserved.outcome.as_deref() {
            Some("Failed") => End::Fail(reserved.failure_reason.clone().unwrap_or_else(|| {
                "The model package group could not be set up (emulated failure).".to_string()
            })),
            _ => End::Ready(()),
        };
        let at = now + self.settings.real(duration);
        self.store_tags(&arn, body.get("Tags"));
        tracing::debug!(group = %name, "model package group pending");
        self.model_package_groups_mut().insert(
            name.clone(),
            ModelPackageGroup {
                name,
                arn: arn.clone(),
                description: str_member(body, "ModelPackageGroupDescription").map(str::to_string),
                managed_configuration: body.get("ManagedConfiguration").cloned(),
                created: now,
                life: Life::creating(&MODEL_PACKAGE_GROUP, now, at, end),
                transition_seconds: duration,
                versions: 0,
            },
        );
        Ok(json!({ "ModelPackageGroupArn": arn }))
    }

    pub fn describe_model_package_group(&self, body: &Value) -> Result<Value, ApiError> {
        let group = self.model_package_group(body)?;
        let mut out = summary(group);
        out.insert("CreatedBy".into(), json!({ "UserProfileName": "emulator" }));
        Ok(Value::Object(out))
    }

    pub fn delete_model_package_group(
        &mut self,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        let name = self.model_package_group(body)?.name.clone();
        // DeleteModelPackageGroup's one documented error is ConflictException; SageMaker's
        // wording for a group that still holds versions is not documented, so this is ours.
        if self.group_has_packages(&name) {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "Cannot delete model package group \"{}\": it still contains model packages. Delete them first.",
                    self.model_package_groups()[&name].arn
                ),
            ));
        }
        let duration = self
            .settings
            .real(self.model_package_groups()[&name].transition_seconds);
        let group = self
            .model_package_groups_mut()
            .get_mut(&name)
            .expect("looked up above");
        group.life.delete(now, duration).map_err(|InProgress| {
            ApiError::validation(format!(
                "Cannot delete in-progress model package group \"{}\".",
                group.arn
            ))
        })?;
        Ok(json!({}))
    }

    /// ListModelPackageGroups: filtered by name and creation time (the API has no modification
    /// time filter), sorted by name or creation time.
    pub fn list_model_package_groups(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<&ModelPackageGroup> = self
            .model_package_groups()
            .values()
            .filter(|g| filter.accepts(&g.name, None, g.created, g.created))
            .collect();
        match str_member(body, "SortBy").unwrap_or("CreationTime") {
            "Name" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            _ => rows.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.name.cmp(&b.name))),
        }
        if descending(body) {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|g| Value::Object(summary(g)))
            .collect();
        let mut response = json!({ "ModelPackageGroupSummaryList": items });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }
}

/// What Describe and List both show of a group.
fn summary(group: &ModelPackageGroup) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("ModelPackageGroupName".into(), json!(group.name));
    out.insert("ModelPackageGroupArn".into(), json!(group.arn));
    if let Some(description) = &group.description {
        out.insert("ModelPackageGroupDescription".into(), json!(description));
    }
    if let Some(config) = &group.managed_configuration {
        out.insert("ManagedConfiguration".into(), config.clone());
    }
    out.insert("CreationTime".into(), time_value(group.created));
    out.insert("ModelPackageGroupStatus".into(), json!(group.life.status));
    out
}
