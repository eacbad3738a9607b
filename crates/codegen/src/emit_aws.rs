//! The AWS crate's generated sources (`crates/aws/src/generated/`): SDK requests built from the
//! spec, the status built from the Describe output, and the calls.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use heck::ToSnakeCase;

use crate::emit_api::HEADER;
use crate::error::GenError;
use crate::plan::{Field, KindPlan, Plan, StatusListPlan, Structure, Ty};

/// The SDK's Rust name of a member (`Type` → `r#type`).
fn sdk_field(member: &str) -> String {
    let snake = member.to_snake_case();
    match snake.as_str() {
        "type" => "r#type".into(),
        _ => snake,
    }
}

pub fn files(
    plan: &Plan,
    list_members: &BTreeMap<String, (String, String)>,
) -> Result<BTreeMap<String, String>, GenError> {
    let mut files = BTreeMap::new();
    files.insert("mod.rs".to_string(), module(plan));
    files.insert("shapes.rs".to_string(), shapes(plan)?);
    for kind in &plan.kinds {
        files.insert(
            format!("{}.rs", kind.config_kind.to_snake_case()),
            kind_file(plan, kind, &list_members[&kind.config_kind])?,
        );
    }
    Ok(files)
}

fn module(plan: &Plan) -> String {
    let mut out = String::from(HEADER);
    out.push_str("//! Requests, statuses and calls of the model-driven kinds, written by `sagemaker-k8s-codegen` (docs/dev/GENERATOR.md).\n\n");
    for kind in &plan.kinds {
        let _ = writeln!(out, "pub mod {};", kind.config_kind.to_snake_case());
    }
    out.push_str("mod shapes;\n");
    out.push_str(MODULE_PRELUDE);
    out.push_str(&request_texts_dispatch(plan));
    out
}

/// `request_texts(kind, spec, …)`: every request of any generated kind from a spec given as
/// JSON, so the request-coverage test covers each generated kind without a test of its own.
fn request_texts_dispatch(plan: &Plan) -> String {
    let mut out = String::from(
        "\n/// The Create and Update requests of the generated kind `kind` built from `spec` (JSON, as the\n/// CRD admits it), as debug text; `None` for a kind that is not generated. For the request\n/// coverage test: it covers every generated kind by this one function.\npub fn request_texts(kind: &str, spec: serde_json::Value, sagemaker_name: &str, owner_uid: &str, refs: &ResolvedReferences) -> Option<Result<Vec<String>, String>> {\n    match kind {\n",
    );
    for kind in &plan.kinds {
        let _ = writeln!(
            out,
            "        {:?} => Some(serde_json::from_value(spec).map_err(|error| error.to_string()).and_then(|spec| {}::request_texts(&spec, sagemaker_name, owner_uid, refs).map_err(|error| error.to_string()))),",
            kind.config_kind,
            kind.config_kind.to_snake_case()
        );
    }
    out.push_str("        _ => None,\n    }\n}\n");
    out
}

/// The kind's `request_texts`: its Create and each Update request, built, as debug text.
fn request_texts_fn(kind: &KindPlan) -> String {
    let k = &kind.config_kind;
    let mut out = format!(
        "/// The Create and Update requests of {} spec, built, as debug text (the request coverage test).\npub fn request_texts(value: &{k}Spec, sagemaker_name: &str, owner_uid: &str, refs: &ResolvedReferences) -> Result<Vec<String>, UnresolvedReference> {{\n    Ok(vec![\n        format!(\"{{:?}}\", create_request(value, sagemaker_name, owner_uid, refs)?.build()),\n",
        crate::docs::with_article(k)
    );
    for update in &kind.updates {
        let _ = writeln!(
            out,
            "        format!(\"{{:?}}\", {}_request(value, sagemaker_name, refs)?.build()),",
            update.operation.to_snake_case()
        );
    }
    out.push_str("    ])\n}\n\n");
    out
}

const MODULE_PRELUDE: &str = r#"
use std::collections::BTreeMap;

/// The SageMaker names of the objects a spec refers to: (kind, object name) → SageMaker name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedReferences(BTreeMap<(String, String), String>);

impl ResolvedReferences {
    pub fn insert(&mut self, kind: &str, name: &str, sagemaker_name: impl Into<String>) {
        self.0
            .insert((kind.to_string(), name.to_string()), sagemaker_name.into());
    }

    pub fn get(&self, kind: &str, name: &str) -> Option<String> {
        self.0.get(&(kind.to_string(), name.to_string())).cloned()
    }
}

/// A request names an object whose SageMaker name is not known yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {kind} {name} this object refers to has no SageMaker name yet")]
pub struct UnresolvedReference {
    pub kind: String,
    pub name: String,
}

fn check_resolved(
    references: &[sagemaker_k8s_api::generated::Reference<'_>],
    resolved: &ResolvedReferences,
) -> Result<(), UnresolvedReference> {
    match references
        .iter()
        .find(|reference| resolved.get(reference.kind, reference.name).is_none())
    {
        Some(missing) => Err(UnresolvedReference {
            kind: missing.kind.to_string(),
            name: missing.name.to_string(),
        }),
        None => Ok(()),
    }
}

/// Why a create was not sent or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Unresolved(#[from] UnresolvedReference),
    #[error(transparent)]
    SageMaker(#[from] crate::errors::SageMakerError),
}

/// A generated kind's SageMaker calls, for one adapter over every generated kind.
pub trait GeneratedCalls: Send + Sync + 'static {
    type Spec: Send + Sync;
    type Status: Send + Sync;
    /// Sends the Create request built from the spec under `name`; `Some`: the name SageMaker
    /// gave the resource instead (`name` went as the idempotency token).
    fn create(
        handle: &crate::SageMakerHandle,
        spec: &Self::Spec,
        name: &str,
        owner_uid: &str,
        refs: &ResolvedReferences,
    ) -> impl Future<Output = Result<Option<String>, CallError>> + Send;
    fn describe(
        handle: &crate::SageMakerHandle,
        name: &str,
    ) -> impl Future<Output = Result<Described<Self::Status>, crate::errors::SageMakerError>> + Send;
    /// Deletes the resource, or stops the job.
    fn stop_or_delete(
        handle: &crate::SageMakerHandle,
        name: &str,
    ) -> impl Future<Output = Result<(), crate::errors::SageMakerError>> + Send;
    /// The List call with `LastModifiedTimeAfter`, for the status poller.
    fn modified_after(
        handle: &crate::SageMakerHandle,
        after: jiff::Timestamp,
    ) -> impl Future<Output = Result<Vec<(String, jiff::Timestamp)>, crate::errors::SageMakerError>> + Send;
}

/// What a Describe call said about a resource: what the engine decides on, and the kind's
/// status built from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described<S> {
    pub name: String,
    pub arn: String,
    /// SageMaker's status (`InService`, `Creating`, …).
    pub state: String,
    pub failure_reason: Option<String>,
    pub last_modified: Option<jiff::Timestamp>,
    /// The kind's status with SageMaker's side filled in.
    pub status: S,
}

fn time(value: Option<&aws_smithy_types::DateTime>) -> Option<sagemaker_k8s_api::generated::Time> {
    value.and_then(|time| sagemaker_k8s_api::generated::kube_time(time.secs()))
}
"#;

fn to_sdk_fn(name: &str) -> String {
    format!("to_sdk_{}", name.to_snake_case())
}

fn from_sdk_fn(name: &str) -> String {
    format!("from_sdk_{}", name.to_snake_case())
}

/// The SDK's name of a model shape or operation: smithy-rs writes acronyms as words
/// (`AutoMLJobName` → `AutoMlJobName`), as heck does.
fn sdk_type(name: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(name)
}

/// The SDK value of the API value `v` (an expression of type `&T`).
fn to_sdk(plan: &Plan, ty: &Ty, v: &str) -> Result<String, GenError> {
    Ok(match ty {
        Ty::Str(None) => format!("{v}.clone()"),
        Ty::Str(Some(sdk_enum)) => format!("sdk::{}::from({v}.as_str())", sdk_type(sdk_enum)),
        Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 | Ty::Bool => format!("*{v}"),
        Ty::List(item) => match function_of(plan, item) {
            Some(function) => format!("{v}.iter().map({function}).collect::<Vec<_>>()"),
            None if **item == Ty::Str(None) => format!("{v}.clone()"),
            None => format!(
                "{v}.iter().map(|item| {}).collect::<Vec<_>>()",
                to_sdk(plan, item, "item")?
            ),
        },
        Ty::Map(item, key) => format!(
            "{v}.iter().map(|(key, item)| ({}, {})).collect::<std::collections::HashMap<_, _>>()",
            match key {
                Some(key_enum) => format!("sdk::{}::from(key.as_str())", sdk_type(key_enum)),
                None => "key.clone()".to_string(),
            },
            to_sdk(plan, item, "item")?
        ),
        Ty::Struct(name) if is_union(plan, name) => {
            return Err(GenError::Model {
                what: name.clone(),
                message: "a union is supported as a structure's member only".into(),
            });
        }
        Ty::Struct(name) if has_refs(plan, name) => {
            format!("super::shapes::{}({v}, refs)", to_sdk_fn(name))
        }
        Ty::Struct(name) => format!("super::shapes::{}({v})", to_sdk_fn(name)),
        Ty::Tags => format!("crate::convert::tags_with_owner({v}, owner_uid)"),
        Ty::Json => format!("serde_json::Value::Object({v}.clone()).to_string()"),
        Ty::Time | Ty::ObjectRef | Ty::StepRef => {
            return Err(GenError::Model {
                what: format!("{ty:?}"),
                message: "cannot be sent in a request".into(),
            });
        }
    })
}

/// The conversion of a structure without references, as a function to map with.
fn function_of(plan: &Plan, ty: &Ty) -> Option<String> {
    match ty {
        Ty::Struct(name) if !has_refs(plan, name) && !is_union(plan, name) => {
            Some(format!("super::shapes::{}", to_sdk_fn(name)))
        }
        _ => None,
    }
}

fn has_refs(plan: &Plan, structure: &str) -> bool {
    plan.structures.get(structure).is_some_and(|s| {
        s.fields.iter().any(|field| match innermost(&field.ty) {
            Ty::ObjectRef => true,
            Ty::Struct(inner) => has_refs(plan, inner),
            _ => false,
        })
    })
}

fn innermost(ty: &Ty) -> &Ty {
    match ty {
        Ty::List(inner) | Ty::Map(inner, _) => innermost(inner),
        other => other,
    }
}

/// `.set_member(value)` of one field of `value` (the API struct), given its siblings (a member
/// with a reference field takes the referenced object's SageMaker name when that is set).
fn setter(
    plan: &Plan,
    field: &Field,
    siblings: &[Field],
    setter_member: &str,
) -> Result<String, GenError> {
    let access = format!("value.{}", field.rust);
    let reference = siblings
        .iter()
        .find(|f| f.references.is_some() && f.member == field.member);
    if field.ty == Ty::Tags {
        return Ok(format!(
            ".set_tags(Some(crate::convert::tags_with_owner({access}.as_deref().unwrap_or_default(), owner_uid)))"
        ));
    }
    if let Ty::Struct(name) = &field.ty
        && is_union(plan, name)
    {
        // The SDK's union is an enum: `None` when no member is set.
        let function = format!("super::shapes::{}", to_sdk_fn(name));
        let value = if field.optional {
            format!("{access}.as_ref().and_then({function})")
        } else {
            format!("{function}(&{access})")
        };
        return Ok(format!(
            ".set_{}({value})",
            sdk_field(setter_member).trim_start_matches("r#")
        ));
    }
    let value = match reference {
        Some(reference) => format!(
            "match &value.{} {{ Some(reference) => refs.get({:?}, &reference.name), None => {access}.clone() }}",
            reference.rust,
            reference.references.as_deref().unwrap_or_default()
        ),
        None if field.optional => match (&field.ty, function_of(plan, &field.ty)) {
            (Ty::Str(None), _) => format!("{access}.clone()"),
            (Ty::List(item), _) if **item == Ty::Str(None) => format!("{access}.clone()"),
            (Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 | Ty::Bool, _) => access.clone(),
            (_, Some(function)) => format!("{access}.as_ref().map({function})"),
            _ => format!(
                "{access}.as_ref().map(|value| {})",
                to_sdk(plan, &field.ty, "value")?
            ),
        },
        None => format!(
            "Some({{ let value = &{access}; {} }})",
            to_sdk(plan, &field.ty, "value")?
        ),
    };
    Ok(format!(
        ".set_{}({value})",
        sdk_field(setter_member).trim_start_matches("r#")
    ))
}

fn shapes(plan: &Plan) -> Result<String, GenError> {
    let mut out = String::from(HEADER);
    out.push_str("//! SDK structures from the API crate's shared structures, and back for the statuses.\n\nuse aws_sdk_sagemaker::types as sdk;\nuse sagemaker_k8s_api::generated::shapes as api;\n\n#[allow(unused_imports)]\nuse super::ResolvedReferences;\n\n");
    for structure in plan.structures.values() {
        out.push_str(&to_sdk_source(plan, structure)?);
    }
    for (name, structure) in &plan.status_structures {
        if !plan.structures.contains_key(name) {
            out.push_str(&from_sdk_source(structure)?);
        }
    }
    Ok(out)
}

/// Whether a spec structure is a union (the SDK's enum).
fn is_union(plan: &Plan, name: &str) -> bool {
    plan.structures.get(name).is_some_and(|s| s.union)
}

/// A union's conversion: the variant of the member set (admission lets exactly one be).
fn union_to_sdk_source(plan: &Plan, structure: &Structure) -> Result<String, GenError> {
    let name = &structure.name;
    let sdk = sdk_type(name);
    let mut out = format!(
        "pub(super) fn {}(value: &api::{name}) -> Option<sdk::{sdk}> {{
",
        to_sdk_fn(name)
    );
    for field in &structure.fields {
        let _ = writeln!(
            out,
            "    if let Some(value) = &value.{} {{
        return Some(sdk::{sdk}::{}({}));
    }}",
            field.rust,
            sdk_type(&field.member),
            to_sdk(plan, &field.ty, "value")?
        );
    }
    out.push_str(
        "    None
}

",
    );
    Ok(out)
}

fn to_sdk_source(plan: &Plan, structure: &Structure) -> Result<String, GenError> {
    if structure.union {
        return union_to_sdk_source(plan, structure);
    }
    let name = &structure.name;
    let refs = if has_refs(plan, name) {
        ", refs: &ResolvedReferences"
    } else {
        ""
    };
    let mut out = format!(
        "pub(super) fn {}(value: &api::{name}{refs}) -> sdk::{sdk} {{\n    sdk::{sdk}::builder()\n",
        to_sdk_fn(name),
        sdk = sdk_type(name)
    );
    for field in &structure.fields {
        if field.references.is_some() {
            continue;
        }
        let _ = writeln!(
            out,
            "        {}",
            setter(plan, field, &structure.fields, &field.member)?
        );
    }
    out.push_str("        .build()\n}\n\n");
    Ok(out)
}

/// The API value of the SDK's `Option<T>` field `v`.
fn from_sdk(ty: &Ty, v: &str) -> Result<String, GenError> {
    Ok(match ty {
        Ty::Str(None) => format!("{v}.clone()"),
        Ty::Str(Some(_)) => format!("{v}.as_ref().map(|value| value.as_str().to_string())"),
        Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 | Ty::Bool => v.to_string(),
        Ty::Time => format!("super::time({v}.as_ref())"),
        Ty::Struct(name) => format!("{v}.as_ref().map(super::shapes::{})", from_sdk_fn(name)),
        Ty::List(item) if matches!(**item, Ty::Struct(_)) => {
            let Ty::Struct(name) = &**item else {
                unreachable!()
            };
            format!(
                "{v}.as_ref().map(|items| items.iter().map(super::shapes::{}).collect())",
                from_sdk_fn(name)
            )
        }
        Ty::List(item) if matches!(**item, Ty::Str(None)) => format!("{v}.clone()"),
        Ty::List(_) | Ty::Map(..) => {
            format!(
                "{v}.as_ref().map(|value| {})",
                from_sdk_value(ty, "value", 0)?
            )
        }
        other => {
            return Err(GenError::Model {
                what: format!("{other:?}"),
                message: "is not supported in a status".into(),
            });
        }
    })
}

/// The API value of the SDK value `v` (a list item or map value, not an `Option`); `depth`
/// keeps the closures' names apart.
fn from_sdk_value(ty: &Ty, v: &str, depth: usize) -> Result<String, GenError> {
    let item = format!("item{depth}");
    Ok(match ty {
        Ty::Str(None) => format!("{v}.clone()"),
        Ty::Str(Some(_)) => format!("{v}.as_str().to_string()"),
        Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 | Ty::Bool => format!("*{v}"),
        Ty::Struct(name) => format!("super::shapes::{}({v})", from_sdk_fn(name)),
        Ty::List(inner) => format!(
            "{v}.iter().map(|{item}| {}).collect()",
            from_sdk_value(inner, &item, depth + 1)?
        ),
        Ty::Map(inner, key) => format!(
            "{v}.iter().map(|(key, {item})| ({}, {})).collect()",
            if key.is_some() {
                "key.as_str().to_string()"
            } else {
                "key.clone()"
            },
            from_sdk_value(inner, &item, depth + 1)?
        ),
        other => {
            return Err(GenError::Model {
                what: format!("{other:?}"),
                message: "is not supported in a status".into(),
            });
        }
    })
}

/// A union's status: the member of the variant SageMaker answered with set.
fn union_from_sdk_source(structure: &Structure) -> Result<String, GenError> {
    let name = &structure.name;
    let sdk = sdk_type(name);
    let mut out = format!(
        "pub(super) fn {}(value: &sdk::{sdk}) -> api::{name} {{
    match value {{
",
        from_sdk_fn(name)
    );
    for field in &structure.fields {
        let _ = writeln!(
            out,
            "        sdk::{sdk}::{}(value) => api::{name} {{ {}: Some({}), ..Default::default() }},",
            sdk_type(&field.member),
            field.rust,
            from_sdk_value(&field.ty, "value", 0)?
        );
    }
    let _ = write!(out, "        _ => api::{name}::default(),\n    }}\n}}\n\n");
    Ok(out)
}

fn from_sdk_source(structure: &Structure) -> Result<String, GenError> {
    if structure.union {
        return union_from_sdk_source(structure);
    }
    let name = &structure.name;
    let mut out = format!(
        "pub(super) fn {}(value: &sdk::{}) -> api::{name} {{\n    api::{name} {{\n",
        from_sdk_fn(name),
        sdk_type(name)
    );
    for field in &structure.fields {
        let _ = writeln!(
            out,
            "        {}: {},",
            field.rust,
            from_sdk(&field.ty, &format!("value.{}", sdk_field(&field.member)))?
        );
    }
    out.push_str("    }\n}\n\n");
    Ok(out)
}

fn kind_file(plan: &Plan, kind: &KindPlan, list: &(String, String)) -> Result<String, GenError> {
    let k = &kind.config_kind;
    let snake = k.to_snake_case();
    let mut out = String::from(HEADER);
    let _ = writeln!(out, "//! `{k}`: requests, status and calls.\n");
    let _ = writeln!(
        out,
        "#[allow(unused_imports)]\nuse aws_sdk_sagemaker::types as sdk;\nuse sagemaker_k8s_api::generated::{{{k}Spec, {k}Status}};\n\nuse super::{{Described, ResolvedReferences, UnresolvedReference}};\nuse crate::clients::SageMakerHandle;\nuse crate::errors::{{SageMakerError, classify}};\n"
    );
    out.push_str(&create_fn(plan, kind)?);
    for update in &kind.updates {
        out.push_str(&update_fn(plan, kind, update)?);
    }
    out.push_str(&request_texts_fn(kind));
    out.push_str(&describe_fn(kind)?);
    out.push_str(&calls(kind, &snake, list)?);
    Ok(out)
}

fn create_fn(plan: &Plan, kind: &KindPlan) -> Result<String, GenError> {
    let k = &kind.config_kind;
    let a_k = crate::docs::with_article(k);
    let op = kind.create.to_snake_case();
    let mut out = format!(
        "/// {} for {a_k} object: every spec member, the name SageMaker gets, the spec's tags plus the ownership tag, references resolved.\npub fn create_request(value: &{k}Spec, sagemaker_name: &str, owner_uid: &str, refs: &ResolvedReferences) -> Result<aws_sdk_sagemaker::operation::{op}::builders::{}InputBuilder, UnresolvedReference> {{\n",
        kind.create,
        sdk_type(&kind.create)
    );
    out.push_str(&references_check(plan, kind));
    if !kind.spec.fields.iter().any(|f| f.ty == Ty::Tags) && kind.token.is_none() {
        out.push_str("    let _ = owner_uid;\n");
    }
    // A resource SageMaker names has no name to send: the token stands for it until the
    // answer names it.
    if kind.assigned.is_some() {
        out.push_str("    let _ = sagemaker_name;\n");
    }
    let _ = write!(
        out,
        "    Ok(aws_sdk_sagemaker::operation::{op}::{}Input::builder()",
        sdk_type(&kind.create),
    );
    // The object's UID is the idempotency token: a create sent again answers with what the
    // first made.
    if let Some(token) = &kind.token {
        let _ = write!(out, "\n        .{}(owner_uid)", sdk_field(token));
    }
    if kind.assigned.is_none() {
        let _ = write!(
            out,
            "\n        .{}(sagemaker_name)",
            sdk_field(&kind.name_member)
        );
    }
    out.push('\n');
    for field in &kind.spec.fields {
        // A step reference is what the object takes over instead of creating (the operator
        // reads it): it is in no request.
        if field.references.is_some() || field.member == kind.name_member || field.ty == Ty::StepRef
        {
            continue;
        }
        let _ = writeln!(
            out,
            "        {}",
            setter(plan, field, &kind.spec.fields, &field.member)?
        );
    }
    out.push_str("    )\n}\n\n");
    Ok(out)
}

fn references_check(plan: &Plan, kind: &KindPlan) -> String {
    let refs = kind.spec.fields.iter().any(|f| {
        f.references.is_some()
            || matches!(innermost(&f.ty), Ty::Struct(name) if has_refs(plan, name))
    });
    if refs {
        "    let mut references = Vec::new();\n    value.collect_references(\"\", &mut references);\n    super::check_resolved(&references, refs)?;\n".into()
    } else {
        "    let _ = refs;\n".into()
    }
}

fn update_fn(
    plan: &Plan,
    kind: &KindPlan,
    update: &crate::plan::UpdatePlan,
) -> Result<String, GenError> {
    let k = &kind.config_kind;
    let a_k = crate::docs::with_article(k);
    let op = update.operation.to_snake_case();
    let mut out = format!(
        "/// {} from {a_k} spec: the members it shares with the spec.\npub fn {op}_request(value: &{k}Spec, sagemaker_name: &str, refs: &ResolvedReferences) -> Result<aws_sdk_sagemaker::operation::{op}::builders::{}InputBuilder, UnresolvedReference> {{\n",
        update.operation,
        sdk_type(&update.operation)
    );
    out.push_str(&references_check(plan, kind));
    let _ = writeln!(
        out,
        "    Ok(aws_sdk_sagemaker::operation::{op}::{}Input::builder()\n        .{}(sagemaker_name)",
        sdk_type(&update.operation),
        update.name_member
    );
    for (member, field) in &update.members {
        let _ = writeln!(
            out,
            "        {}",
            setter(plan, field, &kind.spec.fields, member)?
        );
    }
    out.push_str("    )\n}\n\n");
    Ok(out)
}

fn describe_fn(kind: &KindPlan) -> Result<String, GenError> {
    let k = &kind.config_kind;
    let op = kind.describe.to_snake_case();
    let mut out = format!(
        "/// The {k} status SageMaker's {} answer shows.\npub fn described(output: &aws_sdk_sagemaker::operation::{op}::{}Output, name: &str) -> Described<{k}Status> {{\n    let state = output.{}.as_ref().map(|state| state.as_str().to_string()).unwrap_or_default();\n    let status = {k}Status {{\n        status: Some(state.clone()),\n        sage_maker_name: Some(name.to_string()),\n",
        kind.describe,
        sdk_type(&kind.describe),
        sdk_field(&kind.state_member)
    );
    for field in &kind.status_fields {
        let _ = writeln!(
            out,
            "        {}: {},",
            field.rust,
            from_sdk(&field.ty, &format!("output.{}", sdk_field(&field.member)))?
        );
    }
    let _ = write!(
        out,
        "        ..Default::default()\n    }};\n    Described {{\n        name: output.{}.clone().unwrap_or_else(|| name.to_string()),\n        arn: output.{}.clone().unwrap_or_default(),\n        state,\n        failure_reason: {},\n        last_modified: {},\n        status,\n    }}\n}}\n\n",
        // What SageMaker named (a versioned package's name is its group's): its ARN.
        sdk_field(if kind.assigned.is_some() {
            &kind.arn_member
        } else {
            &kind.name_member
        }),
        sdk_field(&kind.arn_member),
        if kind.has_failure_reason {
            "output.failure_reason.clone()"
        } else {
            "None"
        },
        if kind.has_last_modified {
            "crate::convert::timestamp(output.last_modified_time.as_ref())"
        } else {
            "None"
        }
    );
    Ok(out)
}

fn calls(kind: &KindPlan, snake: &str, list: &(String, String)) -> Result<String, GenError> {
    let k = &kind.config_kind;
    let name_setter = sdk_field(&kind.name_member);
    let mut out = String::new();
    let _ = write!(
        out,
        "/// {create}: {what}.\npub async fn create(handle: &SageMakerHandle, request: aws_sdk_sagemaker::operation::{c}::builders::{create_type}InputBuilder) -> Result<String, SageMakerError> {{\n    handle.throttle({create:?}).await;\n    let output = request.send_with(&handle.client).await.map_err(classify)?;\n    Ok(output.{arn}().unwrap_or_default().to_string())\n}}\n\n",
        create = kind.create,
        create_type = sdk_type(&kind.create),
        c = kind.create.to_snake_case(),
        what = match &kind.assigned {
            Some(assigned) => format!(
                "the {} SageMaker named the new resource by",
                assigned.output
            ),
            None => "the ARN of the new resource".to_string(),
        },
        arn = sdk_field(
            kind.assigned
                .as_ref()
                .map_or(&kind.arn_member, |assigned| &assigned.output)
        )
    );
    out.push_str(&describe_call(kind)?);
    let _ = write!(
        out,
        "/// {delete}: what ends the resource when its object is deleted.\npub async fn stop_or_delete(handle: &SageMakerHandle, name: &str) -> Result<(), SageMakerError> {{\n    handle.throttle({delete:?}).await;\n    handle.client.{d}().{name_setter}(name).send().await.map_err(classify)?;\n    Ok(())\n}}\n\n",
        delete = kind.delete,
        d = kind.delete.to_snake_case()
    );
    for update in &kind.updates {
        let _ = write!(
            out,
            "/// {u}.\npub async fn {s}(handle: &SageMakerHandle, request: aws_sdk_sagemaker::operation::{s}::builders::{u_type}InputBuilder) -> Result<(), SageMakerError> {{\n    handle.throttle({u:?}).await;\n    request.send_with(&handle.client).await.map_err(classify)?;\n    Ok(())\n}}\n\n",
            u = update.operation,
            u_type = sdk_type(&update.operation),
            s = update.operation.to_snake_case()
        );
    }
    let _ = write!(
        out,
        "/// The kind's calls, for the operator's generic adapter.\npub struct Calls;\n\nimpl super::GeneratedCalls for Calls {{\n    type Spec = {k}Spec;\n    type Status = {k}Status;\n    async fn create(handle: &SageMakerHandle, spec: &{k}Spec, name: &str, owner_uid: &str, refs: &ResolvedReferences) -> Result<Option<String>, super::CallError> {{\n        {create_body}\n    }}\n    async fn describe(handle: &SageMakerHandle, name: &str) -> Result<Described<{k}Status>, SageMakerError> {{\n        describe(handle, name).await\n    }}\n    async fn stop_or_delete(handle: &SageMakerHandle, name: &str) -> Result<(), SageMakerError> {{\n        stop_or_delete(handle, name).await\n    }}\n    async fn modified_after(handle: &SageMakerHandle, after: jiff::Timestamp) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {{\n        {modified_after}\n    }}\n}}\n\n",
        create_body = if kind.assigned.is_some() {
            "Ok(Some(create(handle, create_request(spec, name, owner_uid, refs)?).await?))"
        } else {
            "create(handle, create_request(spec, name, owner_uid, refs)?).await?;\n        Ok(None)"
        },
        modified_after = if kind.listed_by_modification {
            format!("handle.{snake}_modified_after(after).await")
        } else {
            "// The List has no LastModifiedTimeAfter: no poller runs for the kind, which is\n        // Described again while transitional.\n        let _ = (handle, after);\n        Ok(Vec::new())".to_string()
        }
    );
    if !kind.listed_by_modification {
        return Ok(out);
    }
    let _ = write!(
        out,
        "impl SageMakerHandle {{\n    crate::listing::modified_after_listing!(\n        /// {list} with `LastModifiedTimeAfter`: names and last-modified times (all pages).\n        {snake}_modified_after, {list:?}, {l}, {summaries}, {name}\n    );\n}}\n",
        list = kind.list,
        l = kind.list.to_snake_case(),
        summaries = list.0,
        name = list.1
    );
    Ok(out)
}

/// The describe call: Describe, and each status list's List (every page).
fn describe_call(kind: &KindPlan) -> Result<String, GenError> {
    let k = &kind.config_kind;
    let name_setter = sdk_field(&kind.name_member);
    let mut out = String::new();
    let _ = write!(
        out,
        "/// {describe}{lists}, as the {k} status.\npub async fn describe(handle: &SageMakerHandle, name: &str) -> Result<Described<{k}Status>, SageMakerError> {{\n    handle.throttle({describe:?}).await;\n    let output = handle.client.{d}().{name_setter}(name).send().await.map_err(classify)?;\n",
        describe = kind.describe,
        lists = kind
            .status_lists
            .iter()
            .map(|list| format!(" and {} (every page)", list.operation))
            .collect::<String>(),
        d = kind.describe.to_snake_case()
    );
    if kind.status_lists.is_empty() {
        out.push_str("    Ok(described(&output, name))\n}\n\n");
        return Ok(out);
    }
    out.push_str("    let mut described = described(&output, name);\n");
    let mut lists = String::new();
    for list in &kind.status_lists {
        let l = list.operation.to_snake_case();
        let _ = write!(
            out,
            "    let items = {l}(handle, name).await?;\n    described.status.{field} = {value};\n",
            field = list.field.rust,
            value = from_sdk(&list.field.ty, "Some(items)")?
        );
        lists.push_str(&list_call(list, &l, &name_setter)?);
    }
    out.push_str("    Ok(described)\n}\n\n");
    out.push_str(&lists);
    Ok(out)
}

/// A status list's List call on its own (every page, through the SDK's paginator): what
/// `describe` reads, and what the operator's own code reads of the same list.
fn list_call(list: &StatusListPlan, l: &str, name_setter: &str) -> Result<String, GenError> {
    let Ty::List(item) = &list.field.ty else {
        return Err(GenError::Model {
            what: list.operation.clone(),
            message: "a status list's field is a list".into(),
        });
    };
    let Ty::Struct(item) = item.as_ref() else {
        return Err(GenError::Model {
            what: list.operation.clone(),
            message: "a status list holds structures".into(),
        });
    };
    Ok(format!(
        "/// {operation} for the resource `name`, every page.\npub async fn {l}(handle: &SageMakerHandle, name: &str) -> Result<Vec<sdk::{item}>, SageMakerError> {{\n    handle.throttle({operation:?}).await;\n    handle.client.{l}().{name_setter}(name).into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.map_err(classify)\n}}\n\n",
        operation = list.operation,
        item = sdk_type(item),
    ))
}
