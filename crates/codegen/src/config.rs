//! `kinds.yaml`: what the API model cannot say about each kind (see the file's header).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::GenError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub kinds: Vec<KindConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindConfig {
    pub kind: String,
    pub plural: String,
    pub doc: String,
    /// What the status's descriptions call the resource (default: the kind's words, lower case).
    #[serde(default)]
    pub noun: Option<String>,
    /// `updated` (the default: updated in place, deleted on delete) or `job` (stopped on
    /// delete, every member fixed at creation, no updates).
    #[serde(default)]
    pub lifecycle: Lifecycle,
    pub operations: Operations,
    pub name_member: String,
    /// SageMaker names the resource itself (a versioned model package's ARN): see [`Assigned`].
    #[serde(default)]
    pub assigned_name: Option<Assigned>,
    /// The Create member that takes an idempotency token: the object's UID is sent in it, so a
    /// create sent again after a crash answers with what the first made. Not in the spec.
    #[serde(default)]
    pub token: Option<String>,
    /// String members whose text is a JSON document (a pipeline definition): the spec holds
    /// the document as an object, sent as its JSON text.
    #[serde(default)]
    pub json_members: Vec<String>,
    /// Groups of Create members of which exactly one must be set (a CEL rule naming them).
    #[serde(default)]
    pub exactly_one: Vec<Vec<String>>,
    /// Lists mirrored into the status from a List call of their own (a pipeline execution's
    /// steps): see [`StatusList`].
    #[serde(default)]
    pub status_lists: Vec<StatusList>,
    /// A spec field (e.g. `registeredBy`) naming a step of a PipelineExecution object that
    /// made the resource (a RegisterModel step's version): set, the object takes over what the
    /// step made instead of creating it, the `required` members are not asked for, and the
    /// `immutable` ones (the step set them) may not be set. See `docs/dev/GENERATOR.md`.
    #[serde(default)]
    pub registered_by: Option<String>,
    /// Create members the model marks optional that the kind requires.
    #[serde(default)]
    pub required: Vec<String>,
    /// Create members the kind does not offer (SageMaker refuses them for what the kind
    /// creates): not in the spec, never sent.
    #[serde(default)]
    pub left_out: Vec<String>,
    #[serde(default)]
    pub immutable: Vec<String>,
    pub states: States,
    pub arn_member: String,
    #[serde(default)]
    pub status: Vec<String>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub renames: BTreeMap<String, String>,
    #[serde(default)]
    pub not_in_sdk: Vec<String>,
    #[serde(default)]
    pub columns: Vec<Column>,
    #[serde(default)]
    pub short_names: Vec<String>,
}

/// A resource SageMaker names on create: the name member is not in the spec, the create is sent
/// with the object's UID in the idempotency-token member (`token`, which such a kind must have:
/// a create sent again after a crash answers with what the first made), and the Create answer's
/// `output` member names the resource from then on — in Describe and Delete (by the name
/// member, which takes it) and in the updates (by the `output` member).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Assigned {
    pub output: String,
}

/// A status list read with a List call of its own, which takes the resource's name in the
/// kind's name member: `operation`, its output member with the items, and the status field.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StatusList {
    pub operation: String,
    pub items: String,
    pub field: String,
}

/// How a kind's resource lives.
#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    /// Updated in place (its `updates`), deleted on delete.
    #[default]
    Updated,
    /// A job: runs once as created (every member immutable), stopped on delete (`stop`);
    /// SageMaker keeps its record.
    Job,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operations {
    pub create: String,
    pub describe: String,
    /// What ends the resource on delete: `delete` (updated kinds) or `stop` (jobs).
    #[serde(default)]
    pub delete: Option<String>,
    #[serde(default)]
    pub stop: Option<String>,
    pub list: String,
    #[serde(default)]
    pub updates: Vec<Update>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub operation: String,
    /// Update member -> spec (Create) member, where the names differ.
    #[serde(default)]
    pub from: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct States {
    pub member: String,
    pub steady: Vec<String>,
    pub failed: Vec<String>,
    pub deleting: Vec<String>,
    /// A job's words for "being stopped".
    #[serde(default)]
    pub stopping: Vec<String>,
    pub transitional: Vec<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub field: String,
    pub member: String,
    /// The structure holding the member; `None`: the Create request.
    #[serde(default)]
    pub shape: Option<String>,
    pub kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    pub path: String,
    pub description: String,
    #[serde(default = "string_type", rename = "type")]
    pub type_: String,
}

fn string_type() -> String {
    "string".into()
}

pub fn load(path: &Path) -> Result<Config, GenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|error| GenError::Config {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}
