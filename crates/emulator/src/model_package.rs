//! The model registry's packages: a version in a model package group (numbered by the group) or
//! an unversioned package (named by the caller). A package is Pending, then InProgress, then
//! Completed or Failed (a row of the lifecycle table with a midway status); UpdateModelPackage
//! changes it in place at once; it is deleted in the background. What is special here is the
//! rule between a name and a group, ClientToken idempotency, what an update merges, and that
//! List shows only unversioned packages unless told otherwise (as documented).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::lifecycle::{End, InProgress, Life, MODEL_PACKAGE};
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, Service, World, is_reserved_tag, paginate, reserved_tags, sorted_names,
    str_member, time_value,
};

/// Emulated seconds from creation to Completed (half of it Pending, half InProgress) unless the
/// duration tag says otherwise; Deleting takes half of it.
const PACKAGE_SECONDS: f64 = 2.0;

/// Create members Describe does not echo: it states the names itself, and tags and the token
/// are not part of a description.
const NOT_ECHOED: &[&str] = &[
    "ModelPackageName",
    "ModelPackageGroupName",
    "Tags",
    "ClientToken",
];

/// UpdateModelPackage members that replace what the package had.
const REPLACED_BY_UPDATE: &[&str] = &[
    "ModelApprovalStatus",
    "ApprovalDescription",
    "InferenceSpecification",
    "SourceUri",
    "ModelCard",
    "ModelLifeCycle",
    "ModelPackageRegistrationType",
];

/// "Total number of additional Inference Specifications can not exceed 15" (UpdateModelPackage).
const MAX_ADDITIONAL_SPECIFICATIONS: usize = 15;

pub struct ModelPackage {
    /// ModelPackageName as Describe shows it: the group's name for a version.
    pub name: String,
    /// The group and the number of a version.
    pub version: Option<(String, i64)>,
    /// The package's part of its ARN as the caller spelled it: `name` or `group/version`.
    pub id: String,
    pub arn: String,
    pub created: f64,
    pub life: Life<()>,
    pub transition_seconds: f64,
    /// The Create request's ClientToken: the same token again answers this package.
    pub client_token: Option<String>,
    /// ClientTokens of the updates applied: the same update again changes nothing.
    pub update_tokens: Vec<String>,
    /// Every other member the Create request sent, as updates have changed them.
    pub members: Map<String, Value>,
}

impl ModelPackage {
    fn group(&self) -> Option<&str> {
        self.version.as_ref().map(|(group, _)| group.as_str())
    }

    fn approval(&self) -> Option<&str> {
        self.members
            .get("ModelApprovalStatus")
            .and_then(Value::as_str)
    }
}

/// Packages by ARN.
pub type ModelPackages = HashMap<String, ModelPackage>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<ModelPackages>("model package");
    kind.advance = Some(|world, now| {
        world.settle_lives::<ModelPackage>(now, |package| (&mut package.life, &package.arn))
    });
    kind.resources = Some(|world| {
        vec![(
            "modelPackages",
            sorted_names(world.model_packages().values().map(|p| &p.id)),
        )]
    });
    kind.owns_arn = Some(|world, arn| world.model_packages().contains_key(arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateModelPackage", |world, body, now| {
                world.create_model_package(&body, now)
            }),
            ("DescribeModelPackage", |world, body, _| {
                world.describe_model_package(&body)
            }),
            ("UpdateModelPackage", |world, body, now| {
                world.update_model_package(&body, now)
            }),
            ("DeleteModelPackage", |world, body, now| {
                world.delete_model_package(&body, now)
            }),
            ("ListModelPackages", |world, body, _| {
                world.list_model_packages(&body)
            }),
        ],
    )
}

/// What CreateModelPackage makes: a version in a group, or a package with a name of its own.
#[derive(Debug, PartialEq)]
enum Identity<'a> {
    Versioned { group: &'a str },
    Unversioned { name: &'a str },
}

/// The name is "required for unversioned models" and "not applicable to versioned models"; the
/// wording of both refusals is SageMaker's as reported (the API reference does not quote it).
fn identity(body: &Value) -> Result<Identity<'_>, ApiError> {
    match (
        str_member(body, "ModelPackageName"),
        str_member(body, "ModelPackageGroupName"),
    ) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.",
        )),
        (None, None) => Err(ApiError::validation("Missing ARN.")),
        (Some(name), None) => Ok(Identity::Unversioned { name }),
        (None, Some(group)) => Ok(Identity::Versioned { group }),
    }
}

/// A version "uses the tags associated with the model group", and then "you cannot supply a tag
/// argument" (CreateModelPackage's Tags); the wording is SageMaker's answer as reported. Only
/// the emulator's reserved tags may come with a version, being no tags AWS would see.
fn refuse_version_tags(tags: Option<&Value>) -> Result<(), ApiError> {
    let real = tags
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| str_member(tag, "Key"))
        .any(|key| !is_reserved_tag(key));
    if real {
        return Err(ApiError::validation(
            "Tags are not supported in Model Package versions. Please add them to the Model Package Group",
        ));
    }
    Ok(())
}

/// The members Describe echoes; a version is PendingManualApproval unless the request said.
fn created_members(body: &Value, versioned: bool) -> Map<String, Value> {
    let mut members = body.as_object().cloned().unwrap_or_default();
    for member in NOT_ECHOED {
        members.remove(*member);
    }
    if versioned {
        members
            .entry("ModelApprovalStatus")
            .or_insert_with(|| json!("PendingManualApproval"));
    }
    members
}

/// What UpdateModelPackage does to a package's members: the members it names replace theirs,
/// customer metadata is merged and then loses the keys to remove, additional inference
/// specifications are appended (15 at most in all).
fn apply_update(members: &mut Map<String, Value>, body: &Value) -> Result<(), ApiError> {
    let listed = |value: Option<&Value>| -> Vec<Value> {
        value.and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let mut additional = listed(members.get("AdditionalInferenceSpecifications"));
    additional.extend(listed(body.get("AdditionalInferenceSpecificationsToAdd")));
    if additional.len() > MAX_ADDITIONAL_SPECIFICATIONS {
        return Err(ApiError::validation(format!(
            "Total number of additional Inference Specifications can not exceed {MAX_ADDITIONAL_SPECIFICATIONS}."
        )));
    }
    for member in REPLACED_BY_UPDATE {
        if let Some(value) = body.get(*member) {
            members.insert(member.to_string(), value.clone());
        }
    }
    if !additional.is_empty() {
        members.insert(
            "AdditionalInferenceSpecifications".into(),
            Value::Array(additional),
        );
    }
    let mut metadata = match members.remove("CustomerMetadataProperties") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(Value::Object(added)) = body.get("CustomerMetadataProperties") {
        metadata.extend(added.clone());
    }
    for key in listed(body.get("CustomerMetadataPropertiesToRemove")) {
        if let Some(key) = key.as_str() {
            metadata.remove(key);
        }
    }
    // The map has at least one entry when present, so an emptied one goes.
    if !metadata.is_empty() {
        members.insert("CustomerMetadataProperties".into(), Value::Object(metadata));
    }
    Ok(())
}

/// ModelPackageStatusDetails: one validation status per validation profile, following the
/// package's status (a failed package without profiles reports its reason under its own name);
/// no image is scanned.
fn status_details(
    name: &str,
    status: &str,
    failure_reason: Option<&str>,
    members: &Map<String, Value>,
) -> Value {
    let detailed = match status {
        "Pending" => "NotStarted",
        "InProgress" => "InProgress",
        "Failed" => "Failed",
        _ => "Completed",
    };
    let item = |name: &str| {
        let mut item = json!({ "Name": name, "Status": detailed });
        if let (Some(reason), "Failed") = (failure_reason, detailed) {
            item["FailureReason"] = json!(reason);
        }
        item
    };
    let mut statuses: Vec<Value> = members
        .get("ValidationSpecification")
        .and_then(|spec| spec.get("ValidationProfiles"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|profile| str_member(profile, "ProfileName"))
        .map(item)
        .collect();
    if statuses.is_empty() && detailed == "Failed" {
        statuses.push(item(name));
    }
    json!({ "ValidationStatuses": statuses, "ImageScanStatuses": [] })
}

/// Which kinds of package ListModelPackages shows, as (versioned, unversioned). Without
/// ModelPackageType the documented default is unversioned packages only; naming a group asks
/// for that group's versions (the developer guide's way of listing a group's versions).
fn listed_types(body: &Value) -> (bool, bool) {
    match str_member(body, "ModelPackageType") {
        Some("Versioned") => (true, false),
        Some("Unversioned") => (false, true),
        Some(_) => (true, true),
        None if body.get("ModelPackageGroupName").is_some() => (true, false),
        None => (false, true),
    }
}

/// What List shows of a package. A version's summary has no ModelPackageName, as SageMaker's.
fn summary(package: &ModelPackage) -> Value {
    let mut out = Map::new();
    match &package.version {
        Some((group, version)) => {
            out.insert("ModelPackageGroupName".into(), json!(group));
            out.insert("ModelPackageVersion".into(), json!(version));
        }
        None => {
            out.insert("ModelPackageName".into(), json!(package.name));
        }
    }
    out.insert("ModelPackageArn".into(), json!(package.arn));
    for member in [
        "ModelPackageDescription",
        "ModelApprovalStatus",
        "ModelLifeCycle",
        "ModelPackageRegistrationType",
    ] {
        if let Some(value) = package.members.get(member) {
            out.insert(member.into(), value.clone());
        }
    }
    out.insert("CreationTime".into(), time_value(package.created));
    out.insert("ModelPackageStatus".into(), json!(package.life.status));
    Value::Object(out)
}

impl World {
    pub fn model_packages(&self) -> &ModelPackages {
        self.state()
    }

    fn model_packages_mut(&mut self) -> &mut ModelPackages {
        self.state_mut()
    }

    /// Whether a group holds any package (Deleting ones included: they exist until gone).
    pub fn group_has_packages(&self, group: &str) -> bool {
        self.model_packages()
            .values()
            .any(|package| package.group() == Some(group))
    }

    /// The package a request names in `member`: by name, `group/version` or ARN (a compilation
    /// job's ModelPackageVersionArn too).
    pub fn model_package(&self, body: &Value, member: &str) -> Result<&ModelPackage, ApiError> {
        let named = str_member(body, member).unwrap_or_default();
        let arn = if named.starts_with("arn:") {
            named.to_lowercase()
        } else {
            self.settings.arn("model-package", named)
        };
        self.model_packages()
            .get(&arn)
            .ok_or_else(|| ApiError::validation(format!("ModelPackage {arn} does not exist.")))
    }

    /// The package an earlier Create with this ClientToken made, unless it has been deleted.
    fn package_for_token(&self, token: Option<&str>) -> Option<String> {
        let token = token?;
        self.model_packages()
            .values()
            .find(|package| {
                package.client_token.as_deref() == Some(token)
                    && package.life.status != MODEL_PACKAGE.deleting
            })
            .map(|package| package.arn.clone())
    }

    /// The next version of the group the request names: (group name, ARN part, version). The
    /// group must exist and not be on its way out.
    fn next_version(&mut self, body: &Value) -> Result<(String, String, i64), ApiError> {
        let group = self.model_package_group(body)?;
        if group.life.status == crate::lifecycle::MODEL_PACKAGE_GROUP.deleting {
            return Err(ApiError::validation(format!(
                "ModelPackageGroup {} does not exist.",
                group.arn
            )));
        }
        let name = group.name.clone();
        let group = self
            .model_package_groups_mut()
            .get_mut(&name)
            .expect("looked up above");
        group.versions += 1;
        let version = group.versions;
        Ok((name.clone(), format!("{name}/{version}"), version))
    }

    pub fn create_model_package(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let identity = identity(body)?;
        if let Some(arn) = self.package_for_token(str_member(body, "ClientToken")) {
            tracing::debug!(package = %arn, "CreateModelPackage repeated with its ClientToken");
            return Ok(json!({ "ModelPackageArn": arn }));
        }
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        let (name, id, version) = match identity {
            Identity::Versioned { .. } => {
                refuse_version_tags(body.get("Tags"))?;
                let (group, id, version) = self.next_version(body)?;
                (group.clone(), id, Some((group, version)))
            }
            Identity::Unversioned { name } => {
                let arn = self.settings.arn("model-package", name);
                if self.model_packages().contains_key(&arn) {
                    // By analogy with the group's "Model Package Group already exists: <arn>".
                    return Err(ApiError::validation(format!(
                        "Model Package already exists: {arn}"
                    )));
                }
                (name.to_string(), name.to_string(), None)
            }
        };
        let arn = self.settings.arn("model-package", &id);
        let duration = reserved.duration.unwrap_or(PACKAGE_SECONDS);
        let end = match reserved.outcome.as_deref() {
            Some("Failed") => End::Fail(reserved.failure_reason.clone().unwrap_or_else(|| {
                "The model package could not be validated (emulated failure).".to_string()
            })),
            _ => End::Ready(()),
        };
        let at = now + self.settings.real(duration);
        self.store_tags(&arn, body.get("Tags"));
        tracing::debug!(package = %arn, "model package pending");
        let members = created_members(body, version.is_some());
        self.model_packages_mut().insert(
            arn.clone(),
            ModelPackage {
                name,
                version,
                id,
                arn: arn.clone(),
                created: now,
                life: Life::creating(&MODEL_PACKAGE, now, at, end),
                transition_seconds: duration,
                client_token: str_member(body, "ClientToken").map(str::to_string),
                update_tokens: Vec::new(),
                members,
            },
        );
        Ok(json!({ "ModelPackageArn": arn }))
    }

    pub fn describe_model_package(&self, body: &Value) -> Result<Value, ApiError> {
        let package = self.model_package(body, "ModelPackageName")?;
        let mut out = package.members.clone();
        out.insert("ModelPackageName".into(), json!(package.name));
        if let Some((group, version)) = &package.version {
            out.insert("ModelPackageGroupName".into(), json!(group));
            out.insert("ModelPackageVersion".into(), json!(version));
        }
        out.insert("ModelPackageArn".into(), json!(package.arn));
        out.insert("CreationTime".into(), time_value(package.created));
        out.insert("LastModifiedTime".into(), time_value(package.life.modified));
        out.insert("ModelPackageStatus".into(), json!(package.life.status));
        out.insert(
            "ModelPackageStatusDetails".into(),
            status_details(
                &package.name,
                package.life.status,
                package.life.failure_reason.as_deref(),
                &package.members,
            ),
        );
        Ok(Value::Object(out))
    }

    pub fn update_model_package(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let arn = self.model_package(body, "ModelPackageArn")?.arn.clone();
        let package = self
            .model_packages_mut()
            .get_mut(&arn)
            .expect("looked up above");
        // UpdateModelPackage's one documented error; the wording is the emulator's.
        if package.life.status == MODEL_PACKAGE.deleting {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("Cannot update model package \"{arn}\" while it is being deleted."),
            ));
        }
        let token = str_member(body, "ClientToken");
        if token.is_some_and(|token| package.update_tokens.iter().any(|used| used == token)) {
            return Ok(json!({ "ModelPackageArn": arn }));
        }
        apply_update(&mut package.members, body)?;
        package.update_tokens.extend(token.map(str::to_string));
        package.life.modified = now;
        Ok(json!({ "ModelPackageArn": arn }))
    }

    pub fn delete_model_package(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let arn = self.model_package(body, "ModelPackageName")?.arn.clone();
        let duration = self
            .settings
            .real(self.model_packages()[&arn].transition_seconds);
        let package = self
            .model_packages_mut()
            .get_mut(&arn)
            .expect("looked up above");
        // DeleteModelPackage's one documented error; the wording is the emulator's.
        package.life.delete(now, duration).map_err(|InProgress| {
            ApiError::new(
                ErrorCode::Conflict,
                format!("Cannot delete in-progress model package \"{arn}\"."),
            )
        })?;
        Ok(json!({}))
    }

    /// ListModelPackages: by name and creation time, type, group and approval status; sorted by
    /// name or creation time, ascending unless told otherwise (both documented defaults).
    pub fn list_model_packages(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let (versioned, unversioned) = listed_types(body);
        let group = str_member(body, "ModelPackageGroupName")
            .map(|named| named.rsplit('/').next().unwrap_or(named));
        let approval = str_member(body, "ModelApprovalStatus");
        let of_listed_type = |p: &ModelPackage| match p.version {
            Some(_) => versioned,
            None => unversioned,
        };
        let mut rows: Vec<&ModelPackage> = self
            .model_packages()
            .values()
            .filter(|p| {
                filter.accepts(&p.name, None, p.created, p.created)
                    && of_listed_type(p)
                    && group.is_none_or(|g| p.group().is_some_and(|n| n.eq_ignore_ascii_case(g)))
                    && approval.is_none_or(|a| p.approval() == Some(a))
            })
            .collect();
        let number = |p: &ModelPackage| p.version.as_ref().map_or(0, |(_, v)| *v);
        match str_member(body, "SortBy").unwrap_or("CreationTime") {
            "Name" => rows.sort_by(|a, b| a.name.cmp(&b.name).then(number(a).cmp(&number(b)))),
            _ => rows.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.arn.cmp(&b.arn))),
        }
        if str_member(body, "SortOrder") == Some("Descending") {
            rows.reverse();
        }
        let (page, next) = paginate(rows, body, 10, 100)?;
        let items: Vec<Value> = page.into_iter().map(summary).collect();
        let mut response = json!({ "ModelPackageSummaryList": items });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_either_a_version_or_named() {
        let table = [
            (
                json!({ "ModelPackageGroupName": "g" }),
                Ok(Identity::Versioned { group: "g" }),
            ),
            (
                json!({ "ModelPackageName": "p" }),
                Ok(Identity::Unversioned { name: "p" }),
            ),
            (
                json!({ "ModelPackageName": "p", "ModelPackageGroupName": "g" }),
                Err(
                    "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.",
                ),
            ),
            (json!({}), Err("Missing ARN.")),
        ];
        for (body, expected) in table {
            let got = identity(&body).map_err(|error| error.message);
            assert_eq!(got, expected.map_err(str::to_string), "{body}");
        }
    }

    #[test]
    fn versions_take_only_reserved_tags() {
        let tags = |keys: &[&str]| {
            json!(
                keys.iter()
                    .map(|k| json!({ "Key": k, "Value": "v" }))
                    .collect::<Vec<_>>()
            )
        };
        assert!(refuse_version_tags(None).is_ok());
        assert!(refuse_version_tags(Some(&tags(&[]))).is_ok());
        assert!(refuse_version_tags(Some(&tags(&["emulator:outcome"]))).is_ok());
        let refused = refuse_version_tags(Some(&tags(&["emulator:outcome", "owner"]))).unwrap_err();
        assert_eq!(refused.code, ErrorCode::Validation);
        assert!(
            refused
                .message
                .starts_with("Tags are not supported in Model Package versions")
        );
    }

    #[test]
    fn list_shows_unversioned_packages_unless_told_or_given_a_group() {
        let table = [
            (json!({}), (false, true)),
            (json!({ "ModelPackageGroupName": "g" }), (true, false)),
            (json!({ "ModelPackageType": "Versioned" }), (true, false)),
            (json!({ "ModelPackageType": "Unversioned" }), (false, true)),
            (json!({ "ModelPackageType": "Both" }), (true, true)),
            (
                json!({ "ModelPackageType": "Both", "ModelPackageGroupName": "g" }),
                (true, true),
            ),
        ];
        for (body, expected) in table {
            assert_eq!(listed_types(&body), expected, "{body}");
        }
    }

    #[test]
    fn an_update_replaces_merges_removes_and_appends() {
        let mut members = created_members(
            &json!({
                "ModelPackageGroupName": "g",
                "ClientToken": "t",
                "Tags": [],
                "SourceUri": "s3://old",
                "CustomerMetadataProperties": { "a": "1", "b": "2" },
                "AdditionalInferenceSpecifications": [{ "Name": "x" }],
            }),
            true,
        );
        assert_eq!(members["ModelApprovalStatus"], "PendingManualApproval");
        assert!(!members.contains_key("ClientToken") && !members.contains_key("Tags"));
        apply_update(
            &mut members,
            &json!({
                "ModelApprovalStatus": "Approved",
                "SourceUri": "s3://new",
                "CustomerMetadataProperties": { "b": "3", "c": "4" },
                "CustomerMetadataPropertiesToRemove": ["a"],
                "AdditionalInferenceSpecificationsToAdd": [{ "Name": "y" }],
            }),
        )
        .unwrap();
        assert_eq!(members["ModelApprovalStatus"], "Approved");
        assert_eq!(members["SourceUri"], "s3://new");
        assert_eq!(
            members["CustomerMetadataProperties"],
            json!({ "b": "3", "c": "4" })
        );
        assert_eq!(
            members["AdditionalInferenceSpecifications"],
            json!([{ "Name": "x" }, { "Name": "y" }])
        );
        apply_update(
            &mut members,
            &json!({ "CustomerMetadataPropertiesToRemove": ["b", "c"] }),
        )
        .unwrap();
        assert!(!members.contains_key("CustomerMetadataProperties"));

        let sixteen: Vec<Value> = (0..16)
            .map(|i| json!({ "Name": format!("s{i}") }))
            .collect();
        let before = members.clone();
        let refused = apply_update(
            &mut members,
            &json!({ "AdditionalInferenceSpecificationsToAdd": sixteen }),
        )
        .unwrap_err();
        assert!(
            refused.message.contains("can not exceed 15"),
            "{}",
            refused.message
        );
        assert_eq!(members, before, "a refused update changes nothing");
    }

    #[test]
    fn status_details_follow_the_package() {
        let profiles = created_members(
            &json!({ "ValidationSpecification": { "ValidationProfiles": [{ "ProfileName": "p1" }] } }),
            false,
        );
        let none = Map::new();
        let table = [
            (
                "Pending",
                None,
                &profiles,
                json!([{ "Name": "p1", "Status": "NotStarted" }]),
            ),
            (
                "InProgress",
                None,
                &profiles,
                json!([{ "Name": "p1", "Status": "InProgress" }]),
            ),
            (
                "Completed",
                None,
                &profiles,
                json!([{ "Name": "p1", "Status": "Completed" }]),
            ),
            (
                "Failed",
                Some("bad"),
                &profiles,
                json!([{ "Name": "p1", "Status": "Failed", "FailureReason": "bad" }]),
            ),
            ("Completed", None, &none, json!([])),
            (
                "Failed",
                Some("bad"),
                &none,
                json!([{ "Name": "pkg", "Status": "Failed", "FailureReason": "bad" }]),
            ),
        ];
        for (status, reason, members, expected) in table {
            let details = status_details("pkg", status, reason, members);
            assert_eq!(details["ValidationStatuses"], expected, "{status}");
            assert_eq!(details["ImageScanStatuses"], json!([]));
        }
    }
}
