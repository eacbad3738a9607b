//! Model and EndpointConfig objects: one SageMaker model or endpoint configuration each, named
//! after the object (so a BatchTransformJob or an endpoint can refer to it by that name).
//! SageMaker cannot change either, so a spec change deletes the old one and creates the new one
//! under the same name; deleting the object deletes it. Neither has a lifecycle in SageMaker, so
//! there is nothing to poll: each reconcile is triggered by the object alone.

mod kinds;

pub use kinds::{EndpointConfigKind, ModelKind};

use std::future::Future;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::Api;
use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    CREATED_SPEC_HASH_ANNOTATION, CommonStatus, HasCommonStatus,
    SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER, SageMakerSpec,
};
use sagemaker_k8s_aws::hosting::ResourceDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::json;

use super::{HostingContext, HostingError};
use crate::conditions::{
    DEPENDENCY_NOT_FOUND, DEPENDENCY_RETRY, ENDPOINT_NOT_ALLOWED, FAILED, READY, RETRYING,
    failed_for_missing_dependency, mark_failed, remove_condition, set_condition,
};
use crate::digest::json_hash;
use crate::events::publish_event;
use crate::finalizer::{add_finalizer, has_finalizer, remove_finalizer};
use crate::naming::object_or_derived_name;
use crate::object_patch::{ManagedObject, patch_metadata};
use crate::status_patch::{StatusWriter, record_retryable_error};
use crate::takeover;

/// Status value once the resource exists in SageMaker.
pub const CREATED: &str = "Created";
/// Status value when SageMaker refused the spec.
pub const FAILED_STATUS: &str = "Failed";

/// What a standalone kind contributes: its SageMaker calls and where its status keeps what.
pub trait StandaloneKind: Send + Sync + 'static {
    type Object: ManagedObject + HasStatus<Status = Self::Status>;
    type Spec: SageMakerSpec + serde::Serialize;
    type Status: HasCommonStatus + serde::Serialize + Clone + Default + Send + Sync;
    const KIND: &'static str;

    fn spec(object: &Self::Object) -> &Self::Spec;
    /// The status fields this controller writes, borrowed from the kind's status.
    fn status_fields(status: &mut Self::Status) -> StatusFields<'_>;
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

/// The fields of a Model's or an EndpointConfig's status, which mean the same in both kinds
/// under different names (`sageMakerModelName` / `sageMakerEndpointConfigName`, …).
pub struct StatusFields<'a> {
    /// `Created`, `Failed` or `SynchronizingK8sJobWithSageMaker`.
    pub status: &'a mut Option<String>,
    pub sagemaker_name: &'a mut Option<String>,
    pub arn: &'a mut Option<String>,
    /// The original operator's name for `lastCheckTime`, kept for scripts written for it.
    pub last_update_time: &'a mut Option<Time>,
    pub common: &'a mut CommonStatus,
}

/// The recorded status value (`Created`, …); also what metrics count objects by.
fn recorded_status<S: StandaloneKind>(object: &S::Object) -> Option<String> {
    let mut status = object.status()?.clone();
    S::status_fields(&mut status).status.take()
}

/// The SageMaker name the status records, if any.
fn recorded_name<S: StandaloneKind>(object: &S::Object) -> Option<String> {
    let mut status = object.status()?.clone();
    S::status_fields(&mut status).sagemaker_name.take()
}

fn recorded_conditions<S: StandaloneKind>(object: &S::Object) -> Vec<Condition> {
    object
        .status()
        .and_then(|status| status.common().conditions.clone())
        .unwrap_or_default()
}

/// Why a create failed.
pub enum CreateError {
    /// A spec field this operator cannot send (named in the message).
    Unsupported(String),
    SageMaker(SageMakerError),
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
        recorded_status::<S>,
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
    json_hash(&serde_json::to_value(S::spec(object)).expect("specs serialize to JSON"))
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
    let status = StatusWriter::new(&ctx.client, object);
    // Once recorded, the name stays: the original operator derived other names than this one
    // (`<name>-<uid hex>`), and its objects keep theirs when this operator takes them over.
    let name = match recorded_name::<S>(object) {
        Some(recorded) if !recorded.is_empty() => recorded,
        _ => object_or_derived_name(&object.name_any(), &uid),
    };
    let spec = S::spec(object);
    let sagemaker = match ctx
        .clients
        .locate(spec.region(), spec.sage_maker_endpoint())
    {
        Ok(location) => ctx.clients.handle(&location),
        Err(refused) => {
            let never_created = !matches!(recorded_status::<S>(object).as_deref(), Some(CREATED));
            if object.meta().deletion_timestamp.is_some() && never_created {
                // Nothing was ever sent to that endpoint, so nothing can be left there.
                if has_finalizer(object) {
                    remove_finalizer(&ctx.client, object).await?;
                }
                return Ok(Action::await_change());
            }
            return report_failure::<S>(&ctx, &status, ENDPOINT_NOT_ALLOWED, refused.to_string())
                .await;
        }
    };
    if object.meta().deletion_timestamp.is_some() {
        return finalize::<S>(object, &ctx, &sagemaker, &name, &uid).await;
    }
    let current_hash = spec_hash::<S>(object);
    if !has_finalizer(object) {
        add_finalizer(&ctx.client, object, json!({})).await?;
        if recorded_status::<S>(object).is_none() {
            // The SageMaker name appears in the status once the resource exists.
            let mut synchronizing = status.recorded();
            *S::status_fields(&mut synchronizing).status =
                Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER.to_string());
            status.write(synchronizing).await?;
        }
        return Ok(Action::await_change());
    }
    let mut created_hash = object
        .annotations()
        .get(CREATED_SPEC_HASH_ANNOTATION)
        .cloned();
    if recorded_status::<S>(object).as_deref() == Some(FAILED_STATUS)
        && created_hash.as_deref() == Some(current_hash.as_str())
        && !failed_for_missing_dependency(&recorded_conditions::<S>(object))
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
            if created_hash.is_none()
                && takeover::status_written_by_original_operator(object.status())
            {
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
                            &status,
                            "NameOwnedByAnotherResource",
                            message,
                        )
                        .await;
                    }
                }
            }
            let never_observed = matches!(
                recorded_status::<S>(object).as_deref(),
                None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER) | Some(FAILED_STATUS)
            );
            if never_observed && !owns(&sagemaker, &existing.arn, &uid).await? {
                return report_failure::<S>(&ctx, &status, "NameOwnedByAnotherResource", format!("{} {name} already exists in SageMaker and was not created for this object; rename the object", S::KIND)).await;
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
                publish_event(
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
                patch_metadata(
                    &ctx.client,
                    object,
                    json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: current_hash } }),
                )
                .await?;
            }
            match S::create(&sagemaker, object, &name, &uid).await {
                Ok(()) => {
                    tracing::info!(kind = S::KIND, sagemaker_name = %name, "created in SageMaker");
                    publish_event(
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
                        return report_failure::<S>(&ctx, &status, "NameOwnedByAnotherResource", format!("{} {name} already exists in SageMaker and was not created for this object; rename the object", S::KIND)).await;
                    }
                }
                Err(CreateError::Unsupported(message)) => {
                    return report_failure::<S>(&ctx, &status, "UnsupportedSpec", message).await;
                }
                Err(CreateError::SageMaker(SageMakerError::Validation(message))) => {
                    return report_failure::<S>(
                        &ctx,
                        &status,
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
                    report_failure::<S>(&ctx, &status, DEPENDENCY_NOT_FOUND, message).await?;
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
    let mut created = status.recorded();
    let mut conditions = created.common().conditions.clone().unwrap_or_default();
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
    let fields = S::status_fields(&mut created);
    *fields.status = Some(CREATED.to_string());
    *fields.sagemaker_name = Some(existing.name);
    *fields.arn = Some(existing.arn);
    fields.common.additional = None;
    fields.common.observed_generation = generation;
    fields.common.conditions = Some(conditions);
    write_status::<S>(&ctx, &status, created).await?;
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
    match sagemaker.owner_uid_of(&existing.arn).await? {
        // Tagged by an earlier takeover that did not get to record the spec.
        Some(owner) if owner == uid => {}
        Some(_) => return Ok(None),
        // The caller checked that the original operator wrote the status.
        None if takeover::original_name_is_this_objects(
            recorded_name::<S>(object).as_deref(),
            None,
            name,
            uid,
        ) =>
        {
            sagemaker.add_owner_tag(&existing.arn, uid).await?
        }
        None => return Ok(None),
    }
    patch_metadata(
        &ctx.client,
        object,
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: current_hash } }),
    )
    .await?;
    tracing::info!(kind = S::KIND, object = %object.name_any(), sagemaker_name = %name, "took over from the original operator");
    publish_event(
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
    record_retryable_error(&ctx.client, &ctx.recorder, S::KIND, object, &error).await;
    error.into()
}

/// Writes the status when it changed, with an Event for a new status value.
async fn write_status<S: StandaloneKind>(
    ctx: &HostingContext,
    status: &StatusWriter<'_, S::Object>,
    mut desired: S::Status,
) -> Result<(), HostingError> {
    let previous = S::status_fields(&mut status.recorded()).status.clone();
    let state = S::status_fields(&mut desired)
        .status
        .clone()
        .unwrap_or_default();
    let stamp = |desired: &mut S::Status| {
        let now = Some(Time(k8s_openapi::jiff::Timestamp::now()));
        let fields = S::status_fields(desired);
        fields.common.last_check_time = now.clone();
        // The original operator's name for it; scripts written for it read this one.
        *fields.last_update_time = now;
    };
    let changed = status.would_change(&desired);
    if changed && previous.as_deref() != Some(state.as_str()) && state != FAILED_STATUS {
        let note = format!("Status {} → {state}", previous.as_deref().unwrap_or("none"));
        publish_event(
            &ctx.recorder,
            S::KIND,
            status.object(),
            EventType::Normal,
            &state,
            note,
        )
        .await;
    }
    status.write_stamped(desired, stamp).await?;
    Ok(())
}

/// Records a failure retrying will not fix: status `Failed`, `additional`, conditions, Event.
async fn report_failure<S: StandaloneKind>(
    ctx: &HostingContext,
    status: &StatusWriter<'_, S::Object>,
    reason: &str,
    message: String,
) -> Result<Action, HostingError> {
    let object = status.object();
    let mut failed = status.recorded();
    let fields = S::status_fields(&mut failed);
    *fields.status = Some(FAILED_STATUS.to_string());
    mark_failed(
        fields.common,
        reason,
        message.clone(),
        object.meta().generation,
    );
    if status.would_change(&failed) {
        publish_event(
            &ctx.recorder,
            S::KIND,
            object,
            EventType::Warning,
            reason,
            message,
        )
        .await;
    }
    write_status::<S>(ctx, status, failed).await?;
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
                publish_event(
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
    remove_finalizer(&ctx.client, object).await?;
    Ok(Action::await_change())
}
