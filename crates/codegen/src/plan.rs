//! From the model and the configuration to what gets written: the structures (spec shapes shared
//! between kinds, status shapes), their fields with types and constraints, the kinds with their
//! references, immutable members, updates and status members. Pure: no I/O, no text emission.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToLowerCamelCase, ToSnakeCase};

use crate::config::{Config, KindConfig, Lifecycle, Reference};
use crate::docs::plain_paragraphs;
use crate::error::GenError;
use crate::model::{Constraints, Model};
use crate::re2;

/// A field's type, in both the CRD and the SDK.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// A string; `Some(shape)` when the model gives it an enum (the SDK's enum type).
    Str(Option<String>),
    I32,
    I64,
    F32,
    F64,
    Bool,
    Time,
    List(Box<Ty>),
    /// A map of its values' type; `Some(shape)` when its keys are an enum (the SDK's keys are
    /// then that enum).
    Map(Box<Ty>, Option<String>),
    Struct(String),
    /// The spec's tags (the API crate's `Tag`, plus the ownership tag in requests).
    Tags,
    /// `{name}` of an object in the same namespace, standing for a member.
    ObjectRef,
    /// A string member holding a JSON document (`config::KindConfig::json_members`): an
    /// object in the spec, its JSON text in the request.
    Json,
    /// `{pipelineExecutionRef: {name}, stepName}`: the pipeline run step that made the resource
    /// (`config::KindConfig::registered_by`); in no request.
    StepRef,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// AWS member name (`EndpointConfigName`); for a reference field, the member it fills.
    pub member: String,
    pub json: String,
    pub rust: String,
    pub ty: Ty,
    pub optional: bool,
    pub doc: Vec<String>,
    pub constraints: Constraints,
    /// For a reference field: the kind it names.
    pub references: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Structure {
    pub name: String,
    pub doc: Vec<String>,
    pub fields: Vec<Field>,
    /// CEL rules (rule, message) on the structure.
    pub rules: Vec<(String, String)>,
    /// A union: exactly one member set (a CEL rule in a spec), the SDK's enum.
    pub union: bool,
}

#[derive(Debug)]
pub struct UpdatePlan {
    pub operation: String,
    /// (update member's Rust name in the SDK, the spec field it takes its value from)
    pub members: Vec<(String, Field)>,
    /// The update member carrying the resource's name.
    pub name_member: String,
}

#[derive(Debug)]
pub struct KindPlan {
    pub config_kind: String,
    /// What descriptions call the resource ("pipeline execution", "AutoML job").
    pub noun: String,
    pub plural: String,
    pub doc: String,
    pub create: String,
    pub describe: String,
    pub delete: String,
    pub list: String,
    /// The List takes `LastModifiedTimeAfter`, so the status poller can find changes by it;
    /// otherwise the operator looks at a transitional resource again itself.
    pub listed_by_modification: bool,
    /// The Describe output has `FailureReason` / `LastModifiedTime`.
    pub has_failure_reason: bool,
    pub has_last_modified: bool,
    pub name_member: String,
    /// SageMaker names the resource (`config::Assigned`): the Create output member with the
    /// name SageMaker gave.
    pub assigned: Option<crate::config::Assigned>,
    /// The Create member the object's UID goes in as the idempotency token.
    pub token: Option<String>,
    /// Status lists read with a List call of their own.
    pub status_lists: Vec<StatusListPlan>,
    pub spec: Structure,
    pub status_fields: Vec<Field>,
    pub state_member: String,
    pub arn_member: String,
    pub updates: Vec<UpdatePlan>,
    pub steady: Vec<String>,
    pub failed: Vec<String>,
    pub deleting: Vec<String>,
    pub stopping: Vec<String>,
    pub transitional: Vec<String>,
    /// A job (`config::Lifecycle::Job`): stopped on delete, fixed at creation.
    pub job: bool,
    /// The longest name SageMaker takes for the resource (its name member's maximum).
    pub max_name_len: usize,
    pub columns: Vec<(String, String, String, String)>,
    pub short_names: Vec<String>,
    pub references: Vec<Reference>,
}

/// A status list read with a List call of its own (`config::StatusList`).
#[derive(Debug)]
pub struct StatusListPlan {
    pub operation: String,
    /// The status field, typed as a list of the items.
    pub field: Field,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub kinds: Vec<KindPlan>,
    /// Spec structures by shape name, each emitted once and shared between kinds.
    pub structures: BTreeMap<String, Structure>,
    /// Status structures by shape name (every field optional, no constraints).
    pub status_structures: BTreeMap<String, Structure>,
    /// (shape, pattern, why) of the model patterns RE2 cannot compile.
    pub dropped_patterns: BTreeSet<(String, String, String)>,
}

/// The names a kind's spec may not use for members: what every spec adds.
const RESERVED: &[&str] = &["region", "sageMakerEndpoint"];

pub fn plan(model: &Model, config: &Config) -> Result<Plan, GenError> {
    let mut plan = Plan::default();
    for kind in &config.kinds {
        let kind_plan = plan_kind(model, kind, &mut plan)?;
        plan.kinds.push(kind_plan);
    }
    Ok(plan)
}

fn plan_kind(model: &Model, kind: &KindConfig, plan: &mut Plan) -> Result<KindPlan, GenError> {
    let create_input = model.operation_shape(&kind.operations.create, "input")?;
    let mut spec = structure(model, kind, &create_input, plan, true)?;
    spec.name = format!("{}Spec", kind.kind);
    spec.doc = vec![format!(
        "Desired state of {}: the {} request SageMaker receives, plus the region and endpoint to send it to.",
        crate::docs::with_article(&kind.kind),
        kind.operations.create
    )];
    for field in &mut spec.fields {
        if field.member == kind.name_member && field.references.is_none() {
            field.optional = true;
        }
    }
    check_spec(kind, &spec)?;
    let noun = kind
        .noun
        .clone()
        .unwrap_or_else(|| kind.kind.to_snake_case().replace('_', " "));
    if let Some(step) = &kind.registered_by {
        let taken = step_given_members(kind, &spec)?;
        spec.fields.push(step_ref_field(step, &noun));
        spec.rules.extend(registered_by_rules(step, &taken));
    }
    let max_name_len = spec
        .fields
        .iter()
        .find(|f| f.member == kind.name_member && f.references.is_none())
        .and_then(|f| f.constraints.max)
        .map_or(63, |max| max as usize);
    let immutable = immutable_members(kind, &spec);
    spec.rules.extend(immutable_rules(kind, &immutable, &spec)?);
    spec.rules.extend(exactly_one_rules(kind, &spec)?);
    let describe_output = model.operation_shape(&kind.operations.describe, "output")?;
    let status_fields = status_fields(model, kind, &describe_output, plan)?;
    let status_lists = kind
        .status_lists
        .iter()
        .map(|list| status_list(model, kind, list, plan))
        .collect::<Result<_, _>>()?;
    let updates = kind
        .operations
        .updates
        .iter()
        .map(|update| plan_update(model, kind, update, &spec))
        .collect::<Result<_, _>>()?;
    Ok(KindPlan {
        config_kind: kind.kind.clone(),
        noun,
        plural: kind.plural.clone(),
        doc: kind.doc.clone(),
        create: kind.operations.create.clone(),
        describe: kind.operations.describe.clone(),
        delete: ending_operation(kind)?,
        list: kind.operations.list.clone(),
        listed_by_modification: has_member(
            model,
            &model.operation_shape(&kind.operations.list, "input")?,
            "LastModifiedTimeAfter",
        )?,
        has_failure_reason: has_member(model, &describe_output, "FailureReason")?,
        has_last_modified: has_member(model, &describe_output, "LastModifiedTime")?,
        name_member: kind.name_member.clone(),
        assigned: kind.assigned_name.clone(),
        token: kind.token.clone(),
        spec,
        status_fields,
        status_lists,
        state_member: kind.states.member.clone(),
        arn_member: kind.arn_member.clone(),
        updates,
        steady: kind.states.steady.clone(),
        failed: kind.states.failed.clone(),
        deleting: kind.states.deleting.clone(),
        stopping: kind.states.stopping.clone(),
        job: kind.lifecycle == Lifecycle::Job,
        max_name_len,
        transitional: kind.states.transitional.clone(),
        short_names: kind.short_names.clone(),
        columns: kind
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.type_.clone(),
                    c.path.clone(),
                    c.description.clone(),
                )
            })
            .collect(),
        references: kind.references.clone(),
    })
}

/// What the configuration asks of a kind's spec: its required members are there, no member
/// clashes with what every spec adds, a kind SageMaker names has a token to be created under.
fn check_spec(kind: &KindConfig, spec: &Structure) -> Result<(), GenError> {
    for member in &kind.required {
        if !spec.fields.iter().any(|f| &f.member == member) {
            return Err(config_error(
                kind,
                format!("required {member} is not in the spec"),
            ));
        }
    }
    if let Some(clash) = spec
        .fields
        .iter()
        .find(|f| RESERVED.contains(&f.json.as_str()))
    {
        return Err(config_error(
            kind,
            format!("member {} clashes", clash.member),
        ));
    }
    if kind.assigned_name.is_some() && kind.token.is_none() {
        return Err(config_error(
            kind,
            "a kind SageMaker names needs a token member".into(),
        ));
    }
    Ok(())
}

/// The operation that ends the resource on delete: a job's stop, or the delete.
fn ending_operation(kind: &KindConfig) -> Result<String, GenError> {
    let operations = &kind.operations;
    match (kind.lifecycle, &operations.delete, &operations.stop) {
        (Lifecycle::Updated, Some(delete), None) => Ok(delete.clone()),
        (Lifecycle::Job, _, Some(stop)) if operations.updates.is_empty() => Ok(stop.clone()),
        (Lifecycle::Job, _, _) => Err(config_error(
            kind,
            "a job needs operations.stop and has no updates".into(),
        )),
        (Lifecycle::Updated, _, _) => Err(config_error(
            kind,
            "operations.delete, and no stop (that is lifecycle: job)".into(),
        )),
    }
}

/// The members fixed at creation: a job's every spec member but its tags (which the operator
/// edits in place, AddTags / DeleteTags, for every kind), else the configuration's list.
fn immutable_members(kind: &KindConfig, spec: &Structure) -> Vec<String> {
    if kind.lifecycle != Lifecycle::Job {
        return kind.immutable.clone();
    }
    let mut members: Vec<String> = spec
        .fields
        .iter()
        .filter(|f| f.member != "Tags")
        .map(|f| f.member.clone())
        .collect();
    members.dedup();
    members
}

fn config_error(kind: &KindConfig, message: String) -> GenError {
    GenError::Config {
        path: "kinds.yaml".into(),
        message: format!("{}: {message}", kind.kind),
    }
}

pub fn json_name(kind: &KindConfig, member: &str) -> String {
    kind.renames
        .get(member)
        .cloned()
        .unwrap_or_else(|| member.to_lower_camel_case())
}

/// Rust field name of a JSON name (`sageMakerEndpoint` → `sage_maker_endpoint`).
pub fn rust_name(json: &str) -> String {
    let snake = json.to_snake_case();
    match snake.as_str() {
        "type" => "r#type".into(),
        _ => snake,
    }
}

/// A spec structure (the Create request at the top, `top == true`), its nested structures
/// recorded in `plan.structures`.
fn structure(
    model: &Model,
    kind: &KindConfig,
    shape: &str,
    plan: &mut Plan,
    top: bool,
) -> Result<Structure, GenError> {
    let required = model.required(shape)?;
    let mut fields = Vec::new();
    let mut rules = Vec::new();
    for (member, member_shape, member_doc) in model.members(shape)? {
        if kind.not_in_sdk.contains(&format!("{shape}.{member}"))
            || (top && (is_assigned_member(kind, &member) || kind.left_out.contains(&member)))
        {
            continue;
        }
        let doc = if member_doc.is_empty() {
            model.documentation(&member_shape)?
        } else {
            member_doc
        };
        let ty = if top && member == "Tags" {
            Ty::Tags
        } else if top && kind.json_members.contains(&member) {
            Ty::Json
        } else {
            field_type(model, kind, &member_shape, plan, false)?
        };
        let json = json_name(kind, &member);
        let constraints = field_constraints(model, &member_shape, &ty, plan)?;
        let reference = kind
            .references
            .iter()
            .find(|r| r.member == member && r.shape.as_deref().map_or(top, |s| s == shape));
        let is_required = required.contains(&member) || (top && kind.required.contains(&member));
        // A required member a pipeline step may give instead (`registered_by`).
        let or_step = kind.registered_by.as_deref().filter(|_| top && is_required);
        match (reference, or_step) {
            (Some(reference), Some(step)) => rules.push(exactly_one_rule(&[
                step.to_string(),
                reference.field.clone(),
                json.clone(),
            ])),
            (Some(reference), None) => {
                rules.push(exclusive_rule(&reference.field, &json, is_required));
            }
            (None, Some(step)) => rules.push(exactly_one_rule(&[step.to_string(), json.clone()])),
            (None, None) => {}
        }
        if let Some(reference) = reference {
            fields.push(reference_field(reference, &member));
        }
        fields.push(Field {
            member: member.clone(),
            rust: rust_name(&json),
            json,
            ty,
            optional: !is_required || reference.is_some() || or_step.is_some(),
            doc: plain_paragraphs(&doc),
            constraints,
            references: None,
        });
    }
    let union = model.is_union(shape)?;
    if union {
        let names: Vec<String> = fields.iter().map(|f| f.json.clone()).collect();
        rules.push(exactly_one_rule(&names));
    }
    Ok(Structure {
        name: shape.to_string(),
        doc: plain_paragraphs(&model.documentation(shape)?),
        fields,
        rules,
        union,
    })
}

/// Whether a Create member is the engine's, not the spec's: the idempotency token, and the name
/// of a resource SageMaker names.
fn is_assigned_member(kind: &KindConfig, member: &str) -> bool {
    kind.token.as_deref() == Some(member)
        || (kind.assigned_name.is_some() && member == kind.name_member)
}

/// The CEL rules of `exactly_one`: one of each group's fields is set.
fn exactly_one_rules(
    kind: &KindConfig,
    spec: &Structure,
) -> Result<Vec<(String, String)>, GenError> {
    let mut rules = Vec::new();
    for group in &kind.exactly_one {
        let mut names = Vec::new();
        for member in group {
            let field = spec
                .fields
                .iter()
                .find(|f| &f.member == member && f.references.is_none())
                .ok_or_else(|| {
                    config_error(kind, format!("exactly_one {member} is not in the spec"))
                })?;
            names.push(field.json.clone());
        }
        rules.push(exactly_one_rule(&names));
    }
    Ok(rules)
}

/// The CEL rule (and its message) that exactly one of the fields `names` is set: a union's
/// members, or an `exactly_one` group.
fn exactly_one_rule(names: &[String]) -> (String, String) {
    let set: Vec<String> = names
        .iter()
        .map(|name| format!("has(self.{name})"))
        .collect();
    (
        format!("[{}].filter(set, set).size() == 1", set.join(", ")),
        format!("exactly one of {} must be set", names.join(", ")),
    )
}

/// The spec fields a pipeline step gives when `registered_by` names it: the immutable members
/// and the references standing for them, but not the required ones (an "exactly one" rule
/// covers those).
fn step_given_members(kind: &KindConfig, spec: &Structure) -> Result<Vec<String>, GenError> {
    let mut taken = Vec::new();
    for member in immutable_members(kind, spec) {
        if kind.required.contains(&member) {
            continue;
        }
        let fields = spec.fields.iter().filter(|f| f.member == member);
        let before = taken.len();
        taken.extend(fields.map(|f| f.json.clone()));
        if taken.len() == before {
            return Err(config_error(
                kind,
                format!("immutable {member} is not in the spec"),
            ));
        }
    }
    Ok(taken)
}

/// The `registered_by` field: the pipeline run step that made the resource.
fn step_ref_field(json: &str, noun: &str) -> Field {
    Field {
        member: String::new(),
        json: json.to_string(),
        rust: rust_name(json),
        ty: Ty::StepRef,
        optional: true,
        doc: vec![format!(
            "The step of a PipelineExecution object of this namespace that made this {noun} (a RegisterModel step): once that run has succeeded, this object takes over what the step made instead of creating one, and then changes and deletes it as its own. The step gives everything fixed at creation: with this set, set only what may change."
        )],
        constraints: Constraints::default(),
        references: None,
    }
}

/// The CEL rules of a `registered_by` field `step`: the `taken` fields (the step's) are not set
/// with it, and the step named stays the one taken over.
fn registered_by_rules(step: &str, taken: &[String]) -> Vec<(String, String)> {
    let mut rules = vec![fixed_rule(step, true)];
    if !taken.is_empty() {
        let set: Vec<String> = taken
            .iter()
            .map(|name| format!("has(self.{name})"))
            .collect();
        rules.push((
            format!(
                "!has(self.{step}) || ![{}].exists(set, set)",
                set.join(", ")
            ),
            format!(
                "with {step} set, the pipeline step gives {}: leave them out",
                taken.join(", ")
            ),
        ));
    }
    rules
}

fn reference_field(reference: &Reference, member: &str) -> Field {
    Field {
        member: member.to_string(),
        json: reference.field.clone(),
        rust: rust_name(&reference.field),
        ty: Ty::ObjectRef,
        optional: true,
        doc: vec![format!(
            "The {} object of this namespace whose SageMaker name fills `{}` (instead of giving that name).",
            reference.kind,
            member.to_lower_camel_case()
        )],
        constraints: Constraints::default(),
        references: Some(reference.kind.clone()),
    }
}

/// The CEL rule of a reference and the member it stands for.
fn exclusive_rule(reference: &str, member: &str, required: bool) -> (String, String) {
    if required {
        (
            format!("has(self.{reference}) != has(self.{member})"),
            format!("exactly one of {reference} and {member} must be set"),
        )
    } else {
        (
            format!("!(has(self.{reference}) && has(self.{member}))"),
            format!("at most one of {reference} and {member} may be set"),
        )
    }
}

/// Transition rules of the immutable members (and the references standing for them).
fn immutable_rules(
    kind: &KindConfig,
    immutable: &[String],
    spec: &Structure,
) -> Result<Vec<(String, String)>, GenError> {
    let mut rules = Vec::new();
    for member in immutable {
        let fields: Vec<&Field> = spec.fields.iter().filter(|f| &f.member == member).collect();
        if fields.is_empty() {
            return Err(config_error(
                kind,
                format!("immutable {member} is not in the spec"),
            ));
        }
        for field in fields {
            let json = &field.json;
            if field.member == kind.name_member {
                // The operator writes the derived name into an empty name field: once set, the
                // name stays.
                rules.push((
                    format!("!has(oldSelf.{json}) || (has(self.{json}) && self.{json} == oldSelf.{json})"),
                    format!("spec.{json} cannot be changed or removed once set: the resource keeps its name. Delete this object and create a new one."),
                ));
                continue;
            }
            rules.push(fixed_rule(json, field.optional));
        }
    }
    Ok(rules)
}

/// The CEL transition rule (and its message) fixing the spec field `json` at creation: an
/// immutable member, or the `registered_by` field.
fn fixed_rule(json: &str, optional: bool) -> (String, String) {
    let rule = if optional {
        format!(
            "has(self.{json}) == has(oldSelf.{json}) && (!has(self.{json}) || self.{json} == oldSelf.{json})"
        )
    } else {
        format!("self.{json} == oldSelf.{json}")
    };
    (
        rule,
        format!(
            "spec.{json} cannot be set, changed or removed after creation: delete this object and create a new one."
        ),
    )
}

fn field_type(
    model: &Model,
    kind: &KindConfig,
    shape: &str,
    plan: &mut Plan,
    status: bool,
) -> Result<Ty, GenError> {
    Ok(match model.type_of(shape)?.as_str() {
        "string" => Ty::Str(
            model
                .constraints(shape)?
                .enum_values
                .map(|_| shape.to_string()),
        ),
        "integer" => Ty::I32,
        "long" => Ty::I64,
        "float" => Ty::F32,
        "double" => Ty::F64,
        "boolean" => Ty::Bool,
        "timestamp" => Ty::Time,
        "list" => Ty::List(Box::new(field_type(
            model,
            kind,
            &model.element(shape)?,
            plan,
            status,
        )?)),
        "map" => Ty::Map(
            Box::new(field_type(
                model,
                kind,
                &model.element(shape)?,
                plan,
                status,
            )?),
            model.key_enum(shape)?,
        ),
        "structure" if status => {
            if !plan.status_structures.contains_key(shape) {
                let structure = status_structure(model, kind, shape, plan)?;
                plan.status_structures.insert(shape.to_string(), structure);
            }
            Ty::Struct(shape.to_string())
        }
        "structure" => {
            if !plan.structures.contains_key(shape) {
                let structure = structure(model, kind, shape, plan, false)?;
                plan.structures.insert(shape.to_string(), structure);
            }
            Ty::Struct(shape.to_string())
        }
        other => {
            return Err(GenError::Model {
                what: shape.into(),
                message: format!("type {other} is not supported"),
            });
        }
    })
}

/// The constraints a field's schema gets: the member shape's own, a pattern only when RE2
/// takes it (recorded as dropped otherwise); list lengths are item counts.
fn field_constraints(
    model: &Model,
    shape: &str,
    ty: &Ty,
    plan: &mut Plan,
) -> Result<Constraints, GenError> {
    let mut constraints = model.constraints(shape)?;
    if matches!(
        ty,
        Ty::Map(..) | Ty::Struct(_) | Ty::Tags | Ty::Bool | Ty::Time | Ty::Json
    ) {
        return Ok(Constraints::default());
    }
    if let Some(pattern) = constraints.pattern.take() {
        let pattern = re2::widen_repeats(&pattern);
        match re2::unsupported(&pattern) {
            None => constraints.pattern = Some(re2::anchored(&pattern)),
            Some(why) => {
                plan.dropped_patterns
                    .insert((shape.to_string(), pattern, why.to_string()));
            }
        }
    }
    // An enum says everything a pattern or length would.
    if constraints.enum_values.is_some() {
        constraints.pattern = None;
        constraints.min = None;
        constraints.max = None;
    }
    // A minimum length of 0 says nothing.
    if matches!(ty, Ty::Str(_) | Ty::List(_)) && constraints.min == Some(0.0) {
        constraints.min = None;
    }
    Ok(constraints)
}

fn status_structure(
    model: &Model,
    kind: &KindConfig,
    shape: &str,
    plan: &mut Plan,
) -> Result<Structure, GenError> {
    let mut fields = Vec::new();
    for (member, member_shape, member_doc) in model.members(shape)? {
        if kind.not_in_sdk.contains(&format!("{shape}.{member}")) {
            continue;
        }
        let doc = if member_doc.is_empty() {
            model.documentation(&member_shape)?
        } else {
            member_doc
        };
        let json = json_name(kind, &member);
        fields.push(Field {
            member,
            rust: rust_name(&json),
            json,
            ty: field_type(model, kind, &member_shape, plan, true)?,
            optional: true,
            doc: plain_paragraphs(&doc),
            constraints: Constraints::default(),
            references: None,
        });
    }
    Ok(Structure {
        name: shape.to_string(),
        doc: plain_paragraphs(&model.documentation(shape)?),
        fields,
        rules: Vec::new(),
        union: model.is_union(shape)?,
    })
}

fn has_member(model: &Model, shape: &str, member: &str) -> Result<bool, GenError> {
    Ok(model
        .members(shape)?
        .iter()
        .any(|(name, _, _)| name == member))
}

/// The Describe members mirrored into the status: the configured ones, plus the failure
/// reason and times when the output has them.
fn status_fields(
    model: &Model,
    kind: &KindConfig,
    output: &str,
    plan: &mut Plan,
) -> Result<Vec<Field>, GenError> {
    let members = model.members(output)?;
    let optional = ["FailureReason", "CreationTime", "LastModifiedTime"];
    let wanted: Vec<&str> = optional
        .into_iter()
        .chain(kind.status.iter().map(String::as_str))
        .chain([kind.arn_member.as_str(), kind.states.member.as_str()])
        .collect();
    for name in wanted.iter().filter(|name| !optional.contains(name)) {
        if !members.iter().any(|(member, _, _)| member == name) {
            return Err(config_error(kind, format!("{output} has no member {name}")));
        }
    }
    let mut fields = Vec::new();
    for (member, member_shape, member_doc) in members {
        if !wanted.contains(&member.as_str()) || member == kind.states.member {
            continue;
        }
        let doc = if member_doc.is_empty() {
            model.documentation(&member_shape)?
        } else {
            member_doc
        };
        let json = json_name(kind, &member);
        fields.push(Field {
            member,
            rust: rust_name(&json),
            json,
            ty: field_type(model, kind, &member_shape, plan, true)?,
            optional: true,
            doc: plain_paragraphs(&doc),
            constraints: Constraints::default(),
            references: None,
        });
    }
    Ok(fields)
}

/// A status list: the List's output member and its items' type, as a status field.
fn status_list(
    model: &Model,
    kind: &KindConfig,
    list: &crate::config::StatusList,
    plan: &mut Plan,
) -> Result<StatusListPlan, GenError> {
    let input = model.operation_shape(&list.operation, "input")?;
    if !has_member(model, &input, &kind.name_member)? {
        return Err(config_error(
            kind,
            format!("{} has no {}", list.operation, kind.name_member),
        ));
    }
    let output = model.operation_shape(&list.operation, "output")?;
    let (_, shape, doc) = model
        .members(&output)?
        .into_iter()
        .find(|(member, _, _)| member == &list.items)
        .ok_or_else(|| config_error(kind, format!("{output} has no member {}", list.items)))?;
    let ty = field_type(model, kind, &shape, plan, true)?;
    if !matches!(ty, Ty::List(_)) {
        return Err(config_error(kind, format!("{} is not a list", list.items)));
    }
    let doc = if doc.is_empty() {
        model.documentation(&shape)?
    } else {
        doc
    };
    Ok(StatusListPlan {
        operation: list.operation.clone(),
        field: Field {
            member: list.items.clone(),
            rust: rust_name(&list.field),
            json: list.field.clone(),
            ty,
            optional: true,
            doc: plain_paragraphs(&doc),
            constraints: Constraints::default(),
            references: None,
        },
    })
}

fn plan_update(
    model: &Model,
    kind: &KindConfig,
    update: &crate::config::Update,
    spec: &Structure,
) -> Result<UpdatePlan, GenError> {
    let input = model.operation_shape(&update.operation, "input")?;
    // An update names a resource SageMaker named by the name it gave (a model package's ARN).
    let name_member = kind
        .assigned_name
        .as_ref()
        .map_or(&kind.name_member, |assigned| &assigned.output);
    let mut members = Vec::new();
    for (member, _, _) in model.members(&input)? {
        // An immutable member cannot have changed: sending it again would only ask SageMaker
        // to accept what it holds.
        if member == *name_member || kind.immutable.contains(&member) {
            continue;
        }
        let from = update.from.get(&member).unwrap_or(&member);
        if let Some(field) = spec
            .fields
            .iter()
            .find(|f| &f.member == from && f.references.is_none())
        {
            members.push((member.to_snake_case(), field.clone()));
        }
    }
    if !model
        .members(&input)?
        .iter()
        .any(|(m, _, _)| m == name_member)
    {
        return Err(config_error(
            kind,
            format!("{} has no {name_member}", update.operation),
        ));
    }
    Ok(UpdatePlan {
        operation: update.operation.clone(),
        members,
        name_member: name_member.to_snake_case(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned() -> Plan {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let model = Model::load(&workspace.join("api-models/sagemaker/service-2.json.gz"))
            .expect("the model");
        let config =
            crate::config::load(&workspace.join("crates/codegen/kinds.yaml")).expect("config");
        plan(&model, &config).expect("a plan")
    }

    fn field<'a>(structure: &'a Structure, json: &str) -> &'a Field {
        structure
            .fields
            .iter()
            .find(|f| f.json == json)
            .unwrap_or_else(|| panic!("{} has no {json}", structure.name))
    }

    #[test]
    fn spec_fields_their_types_and_whether_they_are_required() {
        let plan = planned();
        let endpoint = &plan.kinds[0].spec;
        let component = &plan.kinds[1].spec;
        let specification = &plan.structures["InferenceComponentSpecification"];
        let requirements = &plan.structures["InferenceComponentComputeResourceRequirements"];
        let rows: &[(&Structure, &str, Ty, bool)] = &[
            // The name member: derived when empty.
            (endpoint, "endpointName", Ty::Str(None), true),
            // A required member with a reference: one of the two.
            (endpoint, "endpointConfigName", Ty::Str(None), true),
            (endpoint, "endpointConfigRef", Ty::ObjectRef, true),
            (
                endpoint,
                "deploymentConfig",
                Ty::Struct("DeploymentConfig".into()),
                true,
            ),
            (endpoint, "tags", Ty::Tags, true),
            (component, "endpointRef", Ty::ObjectRef, true),
            (
                component,
                "specifications",
                Ty::List(Box::new(Ty::Struct(
                    "InferenceComponentSpecification".into(),
                ))),
                true,
            ),
            (specification, "modelRef", Ty::ObjectRef, true),
            (
                specification,
                "instanceType",
                Ty::Str(Some("ProductionVariantInstanceType".into())),
                true,
            ),
            (requirements, "minMemoryRequiredInMb", Ty::I32, false),
            (requirements, "numberOfCpuCoresRequired", Ty::F32, true),
        ];
        for (structure, json, ty, optional) in rows {
            let found = field(structure, json);
            assert_eq!(
                (&found.ty, found.optional),
                (ty, *optional),
                "{}.{json}",
                structure.name
            );
        }
    }

    /// `registered_by`: the step field is in the spec and in no request; the group becomes one of
    /// three; what the step gives is refused with it; the step is fixed.
    #[test]
    fn a_version_registered_by_a_step_asks_for_no_group_and_refuses_what_the_step_gives() {
        let plan = planned();
        let package = plan
            .kinds
            .iter()
            .find(|k| k.config_kind == "ModelPackage")
            .expect("ModelPackage");
        let step = field(&package.spec, "registeredBy");
        assert_eq!((&step.ty, step.optional), (&Ty::StepRef, true));
        assert!(field(&package.spec, "modelPackageGroupName").optional);
        let rules: Vec<&str> = package.spec.rules.iter().map(|(r, _)| r.as_str()).collect();
        let table = [
            // One of step, group object, group name.
            "[has(self.registeredBy), has(self.modelPackageGroupRef), has(self.modelPackageGroupName)].filter(set, set).size() == 1",
            // The step named is fixed.
            "has(self.registeredBy) == has(oldSelf.registeredBy) && (!has(self.registeredBy) || self.registeredBy == oldSelf.registeredBy)",
        ];
        for rule in table {
            assert!(rules.contains(&rule), "{rule} in {rules:#?}");
        }
        let (taken, message) = package
            .spec
            .rules
            .iter()
            .find(|(rule, _)| rule.starts_with("!has(self.registeredBy) ||"))
            .expect("the rule on what the step gives");
        for given in [
            "inferenceSpecification",
            "modelMetrics",
            "modelPackageDescription",
        ] {
            assert!(taken.contains(&format!("has(self.{given})")), "{taken}");
            assert!(message.contains(given), "{message}");
        }
        // What may change stays allowed; the group is the "one of three" rule's.
        for allowed in [
            "modelApprovalStatus",
            "customerMetadataProperties",
            "modelPackageGroupName",
        ] {
            assert!(
                !taken.contains(&format!("has(self.{allowed})")),
                "{allowed}: {taken}"
            );
        }
        // No other kind has the field.
        let others = plan
            .kinds
            .iter()
            .filter(|k| k.spec.fields.iter().any(|f| f.ty == Ty::StepRef))
            .count();
        assert_eq!(others, 1);
    }

    #[test]
    fn constraints_from_the_model() {
        let plan = planned();
        let endpoint = &plan.kinds[0].spec;
        let traffic = &plan.structures["TrafficRoutingConfig"];
        let requirements = &plan.structures["InferenceComponentComputeResourceRequirements"];
        let alarm = &plan.structures["Alarm"];
        let name = &field(endpoint, "endpointName").constraints;
        assert_eq!(name.max, Some(63.0));
        assert_eq!(name.min, None, "a minimum length of 0 says nothing");
        assert_eq!(
            name.pattern.as_deref(),
            Some("^(?:[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$")
        );
        let wait = &field(traffic, "waitIntervalInSeconds").constraints;
        assert_eq!((wait.min, wait.max), (Some(0.0), Some(3600.0)));
        let kind = &field(traffic, "type").constraints;
        assert_eq!(
            kind.enum_values.as_deref(),
            Some(&["ALL_AT_ONCE".to_string(), "CANARY".into(), "LINEAR".into()][..])
        );
        assert_eq!(
            field(requirements, "numberOfCpuCoresRequired")
                .constraints
                .min,
            Some(0.25)
        );
        // RE2 cannot take the alarm name's lookahead: no pattern, the lengths stay.
        let alarm_name = &field(alarm, "alarmName").constraints;
        assert_eq!(
            (alarm_name.pattern.as_deref(), alarm_name.max),
            (None, Some(255.0))
        );
    }

    #[test]
    fn rules_of_references_and_immutable_members() {
        let plan = planned();
        let rules: Vec<&str> = plan.kinds[1]
            .spec
            .rules
            .iter()
            .map(|(rule, _)| rule.as_str())
            .collect();
        for wanted in [
            "has(self.endpointRef) != has(self.endpointName)",
            "!has(oldSelf.inferenceComponentName) || (has(self.inferenceComponentName) && self.inferenceComponentName == oldSelf.inferenceComponentName)",
            "has(self.endpointRef) == has(oldSelf.endpointRef) && (!has(self.endpointRef) || self.endpointRef == oldSelf.endpointRef)",
        ] {
            assert!(rules.contains(&wanted), "{wanted} in {rules:#?}");
        }
        let nested = &plan.structures["InferenceComponentSpecification"].rules;
        assert_eq!(nested[0].0, "!(has(self.modelRef) && has(self.modelName))");
    }

    #[test]
    fn updates_send_the_members_they_share_with_the_spec() {
        let plan = planned();
        let sent = |kind: usize, update: usize| -> Vec<(String, String)> {
            plan.kinds[kind].updates[update]
                .members
                .iter()
                .map(|(member, field)| (member.clone(), field.json.clone()))
                .collect()
        };
        let pairs = |rows: &[(&str, &str)]| -> Vec<(String, String)> {
            rows.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            sent(0, 0),
            pairs(&[
                ("deployment_config", "deploymentConfig"),
                ("endpoint_config_name", "endpointConfigName")
            ])
        );
        assert_eq!(
            sent(1, 0),
            pairs(&[
                ("runtime_config", "runtimeConfig"),
                ("specification", "specification"),
                ("specifications", "specifications")
            ])
        );
        assert_eq!(
            sent(1, 1),
            pairs(&[("desired_runtime_config", "runtimeConfig")])
        );
    }

    fn kind<'a>(plan: &'a Plan, name: &str) -> &'a KindPlan {
        plan.kinds
            .iter()
            .find(|k| k.config_kind == name)
            .unwrap_or_else(|| panic!("no kind {name}"))
    }

    /// A pipeline: its definition an object, one of definition and S3 location, the token the
    /// engine's; a run: named by its ARN, its steps read by a List of their own.
    #[test]
    fn json_documents_one_of_rules_tokens_and_status_lists() {
        let plan = planned();
        let pipeline = kind(&plan, "Pipeline");
        assert_eq!(field(&pipeline.spec, "pipelineDefinition").ty, Ty::Json);
        assert_eq!(pipeline.token.as_deref(), Some("ClientRequestToken"));
        assert!(
            !pipeline
                .spec
                .fields
                .iter()
                .any(|f| f.member == "ClientRequestToken"),
            "the token is not in the spec"
        );
        assert!(pipeline.spec.rules.contains(&(
            "[has(self.pipelineDefinition), has(self.pipelineDefinitionS3Location)].filter(set, set).size() == 1".to_string(),
            "exactly one of pipelineDefinition, pipelineDefinitionS3Location must be set".to_string(),
        )));
        let run = kind(&plan, "PipelineExecution");
        assert!(run.assigned.is_some() && run.job);
        let steps = &run.status_lists[0];
        assert_eq!(steps.operation, "ListPipelineExecutionSteps");
        assert_eq!(steps.field.json, "steps");
        assert_eq!(
            steps.field.ty,
            Ty::List(Box::new(Ty::Struct("PipelineExecutionStep".into())))
        );
        assert!(plan.status_structures.contains_key("PipelineExecutionStep"));
    }

    /// A union: optional members and the "exactly one" rule; a map keyed by an enum keeps its
    /// key shape for the SDK.
    #[test]
    fn unions_and_maps_keyed_by_an_enum() {
        let plan = planned();
        let problem = &plan.structures["AutoMLProblemTypeConfig"];
        assert!(problem.union);
        assert!(problem.fields.iter().all(|f| f.optional));
        assert!(
            problem.rules[0]
                .1
                .starts_with("exactly one of imageClassificationJobConfig, ")
        );
        let transformations = &plan.structures["TimeSeriesTransformations"];
        assert_eq!(
            field(transformations, "filling").ty,
            Ty::Map(
                Box::new(Ty::Map(Box::new(Ty::Str(None)), Some("FillingType".into()))),
                None
            )
        );
        assert!(!plan.structures["TabularJobConfig"].union);
    }
}
