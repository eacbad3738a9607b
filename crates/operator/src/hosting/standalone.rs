//! Model and EndpointConfig objects: one SageMaker model or endpoint configuration each, named
//! after the object (so a BatchTransformJob or an endpoint can refer to it by that name).
//! SageMaker cannot change either, so a spec change deletes the old one and creates the new one
//! under the same name; deleting the object deletes it. Neither has a lifecycle in SageMaker, so
//! there is nothing to poll: each reconcile is triggered by the object alone.

use std::future::Future;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    CREATED_SPEC_HASH_ANNOTATION, EndpointConfig, Model, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
    SageMakerSpec,
};
use sagemaker_k8s_aws::hosting::{ResourceDescription, endpoint_config_request, model_request};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::{Map, Value, json};

use super::{HostingContext, HostingError};
use crate::conditions::{
    DEPENDENCY_NOT_FOUND, DEPENDENCY_RETRY, ENDPOINT_NOT_ALLOWED, FAILED, READY, RETRYING,
    failed_for_missing_dependency, remove_condition, set_condition,
};
use crate::naming::object_or_derived_name;
use crate::object_plumbing::{self, ManagedObject, has_finalizer};
use crate::takeover;

/// Status value once the resource exists in SageMaker.
pub const CREATED: &str = "Created";
/// Status value when SageMaker refused the spec.
pub const FAILED_STATUS: &str = "Failed";

/// What a standalone kind contributes: its SageMaker calls and status field names.
pub trait StandaloneKind: Send + Sync + 'static {
    type Object: ManagedObject;
    type Spec: SageMakerSpec + serde::Serialize;
    const KIND: &'static str;
    /// Status field with the SageMaker name (e.g. `sageMakerModelName`).
    const NAME_FIELD: &'static str;
    /// Status field with the ARN (e.g. `modelArn`).
    const ARN_FIELD: &'static str;

    fn spec(object: &Self::Object) -> &Self::Spec;
    fn recorded_status(object: &Self::Object) -> Option<String>;
    fn recorded_conditions(object: &Self::Object) -> Vec<Condition>;
    /// Creates the resource; `Err(Ok(message))` is a spec the operator cannot send.
    fn create(
        sagemaker: &SageMakerHandle,
        object: &Self::Object,
        name: &str,
        owner_uid: &str,
    ) -> impl Future<Output = Result<(), CreateError>> + Send;
    fn describe(
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> impl Future<Output = Result<ResourceDescription, SageMakerError>> + Send;
    fn delete(
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> impl Future<Output = Result<(), SageMakerError>> + Send;
}

/// Why a create failed.
pub enum CreateError {
    /// A spec field this operator cannot send (named in the message).
    Unsupported(String),
    SageMaker(SageMakerError),
}

pub struct ModelKind;

impl StandaloneKind for ModelKind {
    type Object = Model;
    type Spec = sagemaker_k8s_api::ModelSpec;
    const KIND: &'static str = "Model";
    const NAME_FIELD: &'static str = "sageMakerModelName";
    const ARN_FIELD: &'static str = "modelArn";

    fn spec(object: &Model) -> &Self::Spec {
        &object.spec
    }
    fn recorded_status(object: &Model) -> Option<String> {
        object
            .status
            .as_ref()
            .and_then(|status| status.status.clone())
    }
    fn recorded_conditions(object: &Model) -> Vec<Condition> {
        object
            .status
            .as_ref()
            .and_then(|status| status.common.conditions.clone())
            .unwrap_or_default()
    }
    async fn create(
        sagemaker: &SageMakerHandle,
        object: &Model,
        name: &str,
        owner_uid: &str,
    ) -> Result<(), CreateError> {
        sagemaker
            .create_model(model_request(&object.spec, name, owner_uid))
            .await
            .map(|_| ())
            .map_err(CreateError::SageMaker)
    }
    async fn describe(
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        sagemaker.describe_model(name).await
    }
    async fn delete(sagemaker: &SageMakerHandle, name: &str) -> Result<(), SageMakerError> {
        sagemaker.delete_model(name).await
    }
}

pub struct EndpointConfigKind;

impl StandaloneKind for EndpointConfigKind {
    type Object = EndpointConfig;
    type Spec = sagemaker_k8s_api::EndpointConfigSpec;
    const KIND: &'static str = "EndpointConfig";
    const NAME_FIELD: &'static str = "sageMakerEndpointConfigName";
    const ARN_FIELD: &'static str = "endpointConfigArn";

    fn spec(object: &EndpointConfig) -> &Self::Spec {
        &object.spec
    }
    fn recorded_status(object: &EndpointConfig) -> Option<String> {
        object
            .status
            .as_ref()
            .and_then(|status| status.status.clone())
    }
    fn recorded_conditions(object: &EndpointConfig) -> Vec<Condition> {
        object
            .status
            .as_ref()
            .and_then(|status| status.common.conditions.clone())
            .unwrap_or_default()
    }
    async fn create(
        sagemaker: &SageMakerHandle,
        object: &EndpointConfig,
        name: &str,
        owner_uid: &str,
    ) -> Result<(), CreateError> {
        let request = endpoint_config_request(&object.spec, name, owner_uid)
            .map_err(|error| CreateError::Unsupported(error.to_string()))?;
        sagemaker
            .create_endpoint_config(request)
            .await
            .map(|_| ())
            .map_err(CreateError::SageMaker)
    }
    async fn describe(
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        sagemaker.describe_endpoint_config(name).await
    }
    async fn delete(sagemaker: &SageMakerHandle, name: &str) -> Result<(), SageMakerError> {
        sagemaker.delete_endpoint_config(name).await
    }
}

/// Runs one standalone kind's controller until shutdown.
pub async fn run<S: StandaloneKind>(ctx: Arc<HostingContext>, namespace: Option<String>) {
    let api: Api<S::Object> = match &namespace {
        Some(namespace) => Api::namespaced(ctx.client.clone(), namespace),
        None => Api::all(ctx.client.clone()),
    };
    let controller =
        crate::controller_run::trimmed_cache_controller(api, ctx.max_concurrent_reconciles);
    crate::controller_run::drive(
        S::KIND,
        ctx.backoff.clone(),
        controller,
        S::recorded_status,
        reconcile::<S>,
        error_policy::<S>,
        ctx,
    )
    .await;
}

fn error_policy<S: StandaloneKind>(
    object: Arc<S::Object>,
    error: &HostingError,
    ctx: Arc<HostingContext>,
) -> Action {
    crate::controller_run::retry_after_error(S::KIND, &ctx.backoff, object.as_ref(), error)
}

fn spec_hash<S: StandaloneKind>(object: &S::Object) -> String {
    object_plumbing::json_hash(
        &serde_json::to_value(S::spec(object)).expect("specs serialize to JSON"),
    )
}

async fn reconcile<S: StandaloneKind>(
    object: Arc<S::Object>,
    ctx: Arc<HostingContext>,
) -> Result<Action, HostingError> {
    let object = object.as_ref();
    let uid = object
        .meta()
        .uid
        .clone()
        .ok_or(HostingError::MissingMetadata("uid"))?;
    let status = object_plumbing::status_json(object);
    // Once recorded, the name stays: the original operator derived other names than this one
    // (`<name>-<uid hex>`), and its objects keep theirs when this operator takes them over.
    let name = match status.get(S::NAME_FIELD).and_then(Value::as_str) {
        Some(recorded) if !recorded.is_empty() => recorded.to_string(),
        _ => object_or_derived_name(&object.name_any(), &uid),
    };
    let spec = S::spec(object);
    let sagemaker = match ctx
        .clients
        .locate(spec.region(), spec.sage_maker_endpoint())
    {
        Ok(location) => ctx.clients.handle(&location),
        Err(refused) => {
            let never_created = !matches!(S::recorded_status(object).as_deref(), Some(CREATED));
            if object.meta().deletion_timestamp.is_some() && never_created {
                // Nothing was ever sent to that endpoint, so nothing can be left there.
                if has_finalizer(object) {
                    object_plumbing::remove_finalizer(&ctx.client, object).await?;
                }
                return Ok(Action::await_change());
            }
            return report_failure::<S>(&ctx, object, ENDPOINT_NOT_ALLOWED, refused.to_string())
                .await;
        }
    };
    if object.meta().deletion_timestamp.is_some() {
        return finalize::<S>(object, &ctx, &sagemaker, &name, &uid).await;
    }
    let current_hash = spec_hash::<S>(object);
    if !has_finalizer(object) {
        object_plumbing::add_finalizer(&ctx.client, object, json!({})).await?;
        if S::recorded_status(object).is_none() {
            // The SageMaker name appears in the status once the resource exists.
            let status = json!({ "status": SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER });
            object_plumbing::patch_status(&ctx.client, object, status).await?;
        }
        return Ok(Action::await_change());
    }
    let mut created_hash = object
        .annotations()
        .get(CREATED_SPEC_HASH_ANNOTATION)
        .cloned();
    if S::recorded_status(object).as_deref() == Some(FAILED_STATUS)
        && created_hash.as_deref() == Some(current_hash.as_str())
        && !failed_for_missing_dependency(&S::recorded_conditions(object))
    {
        // This spec was refused; the status says why. A spec change brings the next try.
        return Ok(Action::await_change());
    }
    let existing = match S::describe(&sagemaker, &name).await {
        Ok(existing) => Some(existing),
        Err(SageMakerError::NotFound(_)) => None,
        Err(error) => return Err(retryable::<S>(&ctx, object, error).await),
    };
    let existing = match existing {
        Some(existing) => {
            if created_hash.is_none() && takeover::written_by_original_operator(&status) {
                match take_over::<S>(
                    &ctx,
                    object,
                    &sagemaker,
                    &existing,
                    &name,
                    &uid,
                    &current_hash,
                )
                .await?
                {
                    Some(hash) => created_hash = Some(hash),
                    // Never replace (delete) what the original's records do not prove is ours.
                    None => {
                        let message = format!(
                            "{} {name} exists in SageMaker, and nothing proves it was created for this object; rename the object",
                            S::KIND
                        );
                        return report_failure::<S>(
                            &ctx,
                            object,
                            "NameOwnedByAnotherResource",
                            message,
                        )
                        .await;
                    }
                }
            }
            let never_observed = matches!(
                S::recorded_status(object).as_deref(),
                None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER) | Some(FAILED_STATUS)
            );
            if never_observed && !owns(&sagemaker, &existing.arn, &uid).await? {
                return report_failure::<S>(&ctx, object, "NameOwnedByAnotherResource", format!("{} {name} already exists in SageMaker and was not created for this object; rename the object", S::KIND)).await;
            }
            if created_hash.as_deref() == Some(current_hash.as_str()) {
                Some(existing)
            } else {
                // SageMaker cannot change it: replace it under the same name.
                match S::delete(&sagemaker, &name).await {
                    Ok(()) | Err(SageMakerError::NotFound(_)) => {}
                    Err(error) => return Err(retryable::<S>(&ctx, object, error).await),
                }
                tracing::info!(kind = S::KIND, sagemaker_name = %name, "spec changed, deleted to replace");
                object_plumbing::publish_event(
                    &ctx.recorder,
                    S::KIND,
                    object,
                    EventType::Normal,
                    "Replacing",
                    format!(
                        "The spec changed: replacing {} {name} in SageMaker",
                        S::KIND
                    ),
                )
                .await;
                None
            }
        }
        None => None,
    };
    let existing = match existing {
        Some(existing) => existing,
        None => {
            // Record what is about to be created before creating it, so a crash in between
            // adopts the result instead of replacing it.
            if created_hash.as_deref() != Some(current_hash.as_str()) {
                object_plumbing::patch_metadata(
                    &ctx.client,
                    object,
                    json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: current_hash } }),
                )
                .await?;
            }
            match S::create(&sagemaker, object, &name, &uid).await {
                Ok(()) => {
                    tracing::info!(kind = S::KIND, sagemaker_name = %name, "created in SageMaker");
                    object_plumbing::publish_event(
                        &ctx.recorder,
                        S::KIND,
                        object,
                        EventType::Normal,
                        "Created",
                        format!("Created {} {name} in SageMaker", S::KIND),
                    )
                    .await;
                }
                Err(CreateError::SageMaker(SageMakerError::ResourceInUse(_))) => {
                    let existing = S::describe(&sagemaker, &name).await?;
                    if !owns(&sagemaker, &existing.arn, &uid).await? {
                        return report_failure::<S>(&ctx, object, "NameOwnedByAnotherResource", format!("{} {name} already exists in SageMaker and was not created for this object; rename the object", S::KIND)).await;
                    }
                }
                Err(CreateError::Unsupported(message)) => {
                    return report_failure::<S>(&ctx, object, "UnsupportedSpec", message).await;
                }
                Err(CreateError::SageMaker(SageMakerError::Validation(message))) => {
                    return report_failure::<S>(
                        &ctx,
                        object,
                        "CreateRejected",
                        format!("SageMaker rejected the request: {message}"),
                    )
                    .await;
                }
                // An endpoint config's model that is not created yet (often applied together).
                Err(CreateError::SageMaker(SageMakerError::NotFound(message))) => {
                    let message = format!(
                        "SageMaker could not find what the spec names (retrying every {} s): {message}",
                        DEPENDENCY_RETRY.as_secs()
                    );
                    report_failure::<S>(&ctx, object, DEPENDENCY_NOT_FOUND, message).await?;
                    return Ok(Action::requeue(DEPENDENCY_RETRY));
                }
                Err(CreateError::SageMaker(error)) => {
                    return Err(retryable::<S>(&ctx, object, error).await);
                }
            }
            S::describe(&sagemaker, &name).await?
        }
    };
    let generation = object.meta().generation;
    let mut conditions = S::recorded_conditions(object);
    remove_condition(&mut conditions, RETRYING);
    set_condition(
        &mut conditions,
        READY,
        true,
        CREATED,
        &format!("{} {name} exists in SageMaker", S::KIND),
        generation,
    );
    set_condition(&mut conditions, FAILED, false, CREATED, "", generation);
    let mut fields = Map::new();
    fields.insert("status".into(), json!(CREATED));
    fields.insert(S::NAME_FIELD.into(), json!(existing.name));
    fields.insert(S::ARN_FIELD.into(), json!(existing.arn));
    fields.insert("additional".into(), Value::Null);
    fields.insert("observedGeneration".into(), json!(generation));
    fields.insert("conditions".into(), json!(conditions));
    write_status::<S>(&ctx, object, fields).await?;
    Ok(Action::await_change())
}

/// Takes over a resource the original operator created for this object (it recorded the name
/// in the status, and the name carries the object's UID): tags it and records the current spec
/// as the one it was created from, so it is neither replaced nor reported as someone else's.
/// Returns that spec hash, or `None` when the proof does not hold (the ordinary checks decide).
async fn take_over<S: StandaloneKind>(
    ctx: &HostingContext,
    object: &S::Object,
    sagemaker: &SageMakerHandle,
    existing: &ResourceDescription,
    name: &str,
    uid: &str,
    current_hash: &str,
) -> Result<Option<String>, HostingError> {
    let status = object_plumbing::status_json(object);
    match sagemaker.owner_uid_of(&existing.arn).await? {
        // Tagged by an earlier takeover that did not get to record the spec.
        Some(owner) if owner == uid => {}
        Some(_) => return Ok(None),
        None if takeover::recorded_by_original_operator(
            &status,
            S::NAME_FIELD,
            None,
            name,
            uid,
        ) =>
        {
            sagemaker.add_owner_tag(&existing.arn, uid).await?
        }
        None => return Ok(None),
    }
    object_plumbing::patch_metadata(
        &ctx.client,
        object,
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: current_hash } }),
    )
    .await?;
    tracing::info!(kind = S::KIND, object = %object.name_any(), sagemaker_name = %name, "took over from the original operator");
    object_plumbing::publish_event(
        &ctx.recorder,
        S::KIND,
        object,
        EventType::Normal,
        "TakenOver",
        format!(
            "Following {} {name}, which the original operator created",
            S::KIND
        ),
    )
    .await;
    Ok(Some(current_hash.to_string()))
}

async fn owns(sagemaker: &SageMakerHandle, arn: &str, uid: &str) -> Result<bool, HostingError> {
    Ok(sagemaker.owner_uid_of(arn).await?.as_deref() == Some(uid))
}

async fn retryable<S: StandaloneKind>(
    ctx: &HostingContext,
    object: &S::Object,
    error: SageMakerError,
) -> HostingError {
    object_plumbing::record_retryable_error(&ctx.client, &ctx.recorder, S::KIND, object, &error)
        .await;
    error.into()
}

/// Writes the status when it changed, with an Event for a new status value.
async fn write_status<S: StandaloneKind>(
    ctx: &HostingContext,
    object: &S::Object,
    mut fields: Map<String, Value>,
) -> Result<(), HostingError> {
    let previous = S::recorded_status(object);
    let status = fields
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if object_plumbing::status_matches(object, &fields) {
        return Ok(());
    }
    if previous.as_deref() != Some(status.as_str()) && status != FAILED_STATUS {
        let note = format!(
            "Status {} → {status}",
            previous.as_deref().unwrap_or("none")
        );
        object_plumbing::publish_event(
            &ctx.recorder,
            S::KIND,
            object,
            EventType::Normal,
            &status,
            note,
        )
        .await;
    }
    let now = json!(k8s_openapi::jiff::Timestamp::now());
    fields.insert("lastCheckTime".into(), now.clone());
    // The original operator's name for it; scripts written for it read this one.
    fields.insert("lastUpdateTime".into(), now);
    object_plumbing::patch_status(&ctx.client, object, Value::Object(fields)).await?;
    Ok(())
}

/// Records a failure retrying will not fix: status `Failed`, `additional`, conditions, Event.
async fn report_failure<S: StandaloneKind>(
    ctx: &HostingContext,
    object: &S::Object,
    reason: &str,
    message: String,
) -> Result<Action, HostingError> {
    let generation = object.meta().generation;
    let mut conditions = S::recorded_conditions(object);
    set_condition(&mut conditions, FAILED, true, reason, &message, generation);
    set_condition(&mut conditions, READY, false, reason, &message, generation);
    let mut fields = Map::new();
    fields.insert("status".into(), json!(FAILED_STATUS));
    fields.insert("additional".into(), json!(message));
    fields.insert("observedGeneration".into(), json!(generation));
    fields.insert("conditions".into(), json!(conditions));
    if !object_plumbing::status_matches(object, &fields) {
        object_plumbing::publish_event(
            &ctx.recorder,
            S::KIND,
            object,
            EventType::Warning,
            reason,
            message,
        )
        .await;
    }
    write_status::<S>(ctx, object, fields).await?;
    Ok(Action::await_change())
}

async fn finalize<S: StandaloneKind>(
    object: &S::Object,
    ctx: &HostingContext,
    sagemaker: &SageMakerHandle,
    name: &str,
    uid: &str,
) -> Result<Action, HostingError> {
    if !has_finalizer(object) {
        return Ok(Action::await_change());
    }
    match S::describe(sagemaker, name).await {
        Ok(existing) => {
            // Never delete someone else's resource (a name clash reported earlier).
            if owns(sagemaker, &existing.arn, uid).await? {
                match S::delete(sagemaker, name).await {
                    Ok(()) | Err(SageMakerError::NotFound(_)) => {}
                    Err(error) => return Err(retryable::<S>(ctx, object, error).await),
                }
                tracing::info!(kind = S::KIND, sagemaker_name = %name, "deleted in SageMaker");
                object_plumbing::publish_event(
                    &ctx.recorder,
                    S::KIND,
                    object,
                    EventType::Normal,
                    "Deleted",
                    format!("Deleted {} {name} in SageMaker", S::KIND),
                )
                .await;
            }
        }
        Err(SageMakerError::NotFound(_)) => {}
        Err(error) => return Err(retryable::<S>(ctx, object, error).await),
    }
    object_plumbing::remove_finalizer(&ctx.client, object).await?;
    Ok(Action::await_change())
}
