//! The one reconcile engine: "a Kubernetes object mirrors one SageMaker resource".
//!
//! For every object: ensure the finalizer (before anything exists in SageMaker) → ensure the
//! resource is created exactly once (deterministic name + ownership tag, `ResourceInUse` means
//! "look it up and adopt if ours") → observe → map status and conditions → on delete, stop what
//! is still running and wait until it is terminal before letting the object go.
//! Each kind plugs in through [`Adapter`]; the engine owns every decision.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{FINALIZER, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER, SageMakerSpec};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::{SageMakerClients, SageMakerError, SageMakerHandle};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::Digest;

use crate::conditions::{FAILED, READY, SPEC_OUT_OF_SYNC, set_condition};

/// Annotation holding the hash of the spec the SageMaker resource was created from, so a later
/// spec change (which SageMaker cannot apply to a job) is reported and clears when reverted.
pub const CREATED_SPEC_HASH_ANNOTATION: &str = "sagemaker.aws.amazon.com/created-spec-hash";
/// Label on TrainingJobs that mirror a training job a tuning job launched: they are only
/// observed, never created or stopped by the TrainingJob controller.
pub const SPAWNED_BY_TUNING_JOB_LABEL: &str = "sagemaker.aws.amazon.com/hyperparameter-tuning-job";

/// Where a SageMaker resource is in its life, as far as the engine's decisions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Running; a delete must stop it.
    InProgress,
    /// Being stopped; a delete waits.
    Stopping,
    /// Finished successfully.
    Succeeded,
    /// Finished unsuccessfully (Failed, Stopped).
    Failed,
}

impl Phase {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// What one kind contributes to the engine.
pub trait Adapter: crate::status_poller::ListModified + Send + Sync + 'static {
    type Object: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned
        + Serialize
        + Send
        + Sync
        + 'static;
    type Spec: SageMakerSpec + Serialize + Send + Sync;
    /// What the adapter reads from SageMaker's Describe call.
    type Remote: Send + Sync + Debug;

    /// Kind name for logs, events and metrics.
    const KIND: &'static str;
    /// Name of the status field holding SageMaker's status (e.g. `trainingJobStatus`).
    const STATUS_FIELD: &'static str;
    /// Name of the status field holding the SageMaker name (e.g. `sageMakerTrainingJobName`).
    const NAME_FIELD: &'static str;

    fn spec(object: &Self::Object) -> &Self::Spec;
    /// The SageMaker name: the spec's explicit name or one derived from name and UID.
    fn remote_name(object: &Self::Object) -> String;
    /// The SageMaker status currently recorded in the object's status, if any.
    fn recorded_status(object: &Self::Object) -> Option<String>;
    fn recorded_conditions(object: &Self::Object) -> Vec<Condition>;

    fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &Self::Object,
        remote_name: &str,
        owner_uid: &str,
    ) -> impl Future<Output = Result<(), SageMakerError>> + Send;
    fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> impl Future<Output = Result<Self::Remote, SageMakerError>> + Send;
    fn stop(&self, sagemaker: &SageMakerHandle, remote_name: &str) -> impl Future<Output = Result<(), SageMakerError>> + Send;
    /// ARN of the described resource (for ListTags).
    fn arn(remote: &Self::Remote) -> String;
    fn phase(remote: &Self::Remote) -> Phase;
    /// SageMaker's status text (e.g. `InProgress`).
    fn status_text(remote: &Self::Remote) -> String;
    /// Status fields mapped from SageMaker (without conditions / observedGeneration).
    fn status_fields(object: &Self::Object, remote: &Self::Remote, location: &ApiLocation) -> serde_json::Map<String, Value>;
    /// Objects that only mirror a resource something else created (tuning-job children).
    fn is_observe_only(_object: &Self::Object) -> bool {
        false
    }
}

/// Shared state of one kind's controller.
pub struct Context<A: Adapter> {
    pub adapter: A,
    pub client: kube::Client,
    pub clients: Arc<SageMakerClients>,
    pub recorder: Recorder,
    /// How often an in-progress resource is looked at again when nothing else triggers it (the
    /// status poller normally does, within its interval).
    pub in_progress_requeue: Duration,
    pub registry: Arc<crate::status_poller::Registry<A::Object>>,
    pub poll_interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("SageMaker: {0}")]
    SageMaker(#[from] SageMakerError),
    #[error("Kubernetes: {0}")]
    Kube(#[from] kube::Error),
    #[error("object has no {0}")]
    MissingMetadata(&'static str),
}

fn spec_hash<S: Serialize>(spec: &S) -> String {
    let mut spec = serde_json::to_value(spec).expect("specs serialize to JSON");
    // Region/endpoint/tags do not change the job itself; only the request fields count.
    if let Value::Object(map) = &mut spec {
        map.remove("tags");
    }
    hex::encode(&sha2::Sha256::digest(spec.to_string().as_bytes())[..16])
}

/// Runs one kind's controller until shutdown.
pub async fn run<A: Adapter>(ctx: Arc<Context<A>>, namespace: Option<String>) {
    let api: Api<A::Object> = match &namespace {
        Some(namespace) => Api::namespaced(ctx.client.clone(), namespace),
        None => Api::all(ctx.client.clone()),
    };
    let changed = crate::status_poller::spawn::<A::Object, A>(ctx.registry.clone(), ctx.clients.clone(), ctx.poll_interval, A::KIND);
    let changed = futures::stream::unfold(changed, |mut receiver| async move { receiver.recv().await.map(|object| (object, receiver)) });
    let controller = Controller::new(api, watcher::Config::default().any_semantic());
    crate::metrics::global().track_kind(A::KIND, controller.store(), A::recorded_status);
    controller
        .reconcile_on(changed)
        .shutdown_on_signal()
        .run(reconcile::<A>, error_policy::<A>, ctx)
        .for_each(|result| async move {
            match &result {
                Ok(_) => crate::metrics::global().reconciled(A::KIND, true),
                Err(kube::runtime::controller::Error::ReconcilerFailed(..)) => crate::metrics::global().reconciled(A::KIND, false),
                Err(_) => {}
            }
            if let Err(error) = result {
                tracing::debug!(kind = A::KIND, %error, "reconcile did not finish");
            }
        })
        .await;
}

fn error_policy<A: Adapter>(object: Arc<A::Object>, error: &EngineError, _ctx: Arc<Context<A>>) -> Action {
    // Spread retries so a throttling storm does not come back as one wave: the UID picks a
    // stable offset within a second.
    let jitter = object
        .meta()
        .uid
        .as_deref()
        .map(|uid| uid.bytes().fold(0u64, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(b))) % 1000)
        .unwrap_or(0);
    tracing::warn!(kind = A::KIND, object = %object.name_any(), %error, "reconcile failed, retrying");
    Action::requeue(Duration::from_secs(3) + Duration::from_millis(jitter))
}

impl<A: Adapter> Context<A> {
    fn api(&self, object: &A::Object) -> Api<A::Object> {
        Api::namespaced(self.client.clone(), &object.namespace().unwrap_or_default())
    }

    fn sagemaker(&self, object: &A::Object) -> SageMakerHandle {
        let spec = A::spec(object);
        let location = self.clients.locate(spec.region(), spec.sage_maker_endpoint());
        self.clients.handle(&location)
    }

    async fn event(&self, object: &A::Object, type_: EventType, reason: &str, note: String) {
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        if let Err(error) = self.recorder.publish(&event, &object.object_ref(&())).await {
            tracing::warn!(kind = A::KIND, object = %object.name_any(), %error, "could not publish event");
        }
    }

    async fn patch_status(&self, object: &A::Object, status: Value) -> Result<(), kube::Error> {
        self.api(object)
            .patch_status(&object.name_any(), &PatchParams::default(), &Patch::Merge(json!({ "status": status })))
            .await?;
        Ok(())
    }

    async fn patch_metadata(&self, object: &A::Object, metadata: Value) -> Result<(), kube::Error> {
        self.api(object)
            .patch(&object.name_any(), &PatchParams::default(), &Patch::Merge(json!({ "metadata": metadata })))
            .await?;
        Ok(())
    }

    async fn remove_finalizer(&self, object: &A::Object) -> Result<(), kube::Error> {
        let finalizers: Vec<&String> = object.finalizers().iter().filter(|f| f.as_str() != FINALIZER).collect();
        // A JSON patch with a test on resourceVersion would be stricter; a merge patch of the
        // remaining list is safe because only this operator edits this object's finalizers.
        self.patch_metadata(object, json!({ "finalizers": finalizers })).await
    }

    /// Records an operator-side failure that retrying will not fix.
    async fn report_terminal_error(&self, object: &A::Object, reason: &str, message: String) -> Result<Action, EngineError> {
        let mut conditions = A::recorded_conditions(object);
        let generation = object.meta().generation;
        set_condition(&mut conditions, FAILED, true, reason, &message, generation);
        set_condition(&mut conditions, READY, false, reason, &message, generation);
        if conditions != A::recorded_conditions(object) {
            self.event(object, EventType::Warning, reason, message.clone()).await;
        }
        let mut status = serde_json::Map::new();
        status.insert("additional".into(), json!(message));
        status.insert(A::NAME_FIELD.into(), json!(A::remote_name(object)));
        status.insert("observedGeneration".into(), json!(generation));
        status.insert("conditions".into(), json!(conditions));
        self.patch_status(object, Value::Object(status)).await?;
        Ok(Action::await_change())
    }
}

async fn reconcile<A: Adapter>(object: Arc<A::Object>, ctx: Arc<Context<A>>) -> Result<Action, EngineError> {
    let object = object.as_ref();
    let uid = object.meta().uid.clone().ok_or(EngineError::MissingMetadata("uid"))?;
    let remote_name = A::remote_name(object);
    let span = tracing::info_span!("reconcile", kind = A::KIND, namespace = %object.namespace().unwrap_or_default(), object = %object.name_any(), sagemaker_name = %remote_name);
    let _entered = span.enter();
    drop(_entered);

    if object.meta().deletion_timestamp.is_some() {
        return finalize(object, &ctx, &remote_name, &uid).await;
    }
    let observe_only = A::is_observe_only(object);
    let sagemaker = ctx.sagemaker(object);

    // 1. Finalizer (and the hash of the spec we are about to create from) before SageMaker.
    let current_hash = spec_hash(A::spec(object));
    if !observe_only && !object.finalizers().iter().any(|f| f == FINALIZER) {
        let mut finalizers: Vec<String> = object.finalizers().to_vec();
        finalizers.push(FINALIZER.to_string());
        let mut metadata = json!({ "finalizers": finalizers });
        if !object.annotations().contains_key(CREATED_SPEC_HASH_ANNOTATION) {
            metadata["annotations"] = json!({ CREATED_SPEC_HASH_ANNOTATION: current_hash });
        }
        ctx.patch_metadata(object, metadata).await?;
        if A::recorded_status(object).is_none() {
            ctx.patch_status(
                object,
                json!({ A::STATUS_FIELD: SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER, A::NAME_FIELD: remote_name }),
            )
            .await?;
        }
        // The patch produces a watch event that brings the updated object back.
        return Ok(Action::await_change());
    }

    // 2. Observe; create exactly once.
    let remote = match ctx.adapter.describe(&sagemaker, &remote_name).await {
        Ok(remote) => {
            let never_observed = matches!(A::recorded_status(object).as_deref(), None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER));
            if never_observed && !observe_only {
                // It exists but this object never saw it: created by us before a crash, or a
                // name clash with someone else's resource.
                if let Some(action) = verify_ownership::<A>(object, &ctx, &sagemaker, &remote, &uid).await? {
                    return Ok(action);
                }
            }
            remote
        }
        Err(SageMakerError::NotFound(_)) if observe_only => {
            return ctx.report_terminal_error(object, "NotFoundInSageMaker", format!("{} {remote_name} does not exist in SageMaker", A::KIND)).await;
        }
        Err(SageMakerError::NotFound(_)) => {
            if object.annotations().get(CREATED_SPEC_HASH_ANNOTATION) != Some(&current_hash) {
                // Not created yet, so the spec may still change what gets created.
                ctx.patch_metadata(object, json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: current_hash } })).await?;
            }
            match ctx.adapter.create(&sagemaker, object, &remote_name, &uid).await {
                Ok(()) => {
                    tracing::info!(kind = A::KIND, object = %object.name_any(), sagemaker_name = %remote_name, "created in SageMaker");
                    ctx.event(object, EventType::Normal, "Created", format!("Created {} {remote_name} in SageMaker", A::KIND)).await;
                }
                Err(SageMakerError::ResourceInUse(_)) => {
                    tracing::info!(kind = A::KIND, sagemaker_name = %remote_name, "name in use, checking ownership");
                    let remote = ctx.adapter.describe(&sagemaker, &remote_name).await?;
                    if let Some(action) = verify_ownership::<A>(object, &ctx, &sagemaker, &remote, &uid).await? {
                        return Ok(action);
                    }
                }
                // A create that names something missing (a transform job's model) gets a "not
                // found" message; like a validation error, retrying the same request cannot help.
                Err(SageMakerError::Validation(message) | SageMakerError::NotFound(message)) => {
                    return ctx.report_terminal_error(object, "CreateRejected", format!("SageMaker rejected the request: {message}")).await;
                }
                Err(error) => {
                    record_retryable_error::<A>(object, &ctx, &error).await;
                    return Err(error.into());
                }
            }
            // Created by this call (or adopted above): ownership is settled.
            ctx.adapter.describe(&sagemaker, &remote_name).await?
        }
        Err(error) => {
            record_retryable_error::<A>(object, &ctx, &error).await;
            return Err(error.into());
        }
    };

    // 3. Map status and conditions.
    let phase = A::phase(&remote);
    let status_text = A::status_text(&remote);
    let generation = object.meta().generation;
    let mut fields = A::status_fields(object, &remote, &sagemaker.location);
    let mut conditions = A::recorded_conditions(object);
    let reason_message = fields.get("additional").and_then(Value::as_str).unwrap_or_default().to_string();
    set_condition(&mut conditions, READY, phase == Phase::Succeeded, &status_text, &format!("SageMaker status {status_text}"), generation);
    set_condition(
        &mut conditions,
        FAILED,
        phase == Phase::Failed,
        &status_text,
        if phase == Phase::Failed { &reason_message } else { "" },
        generation,
    );
    let spec_changed = !observe_only && object.annotations().get(CREATED_SPEC_HASH_ANNOTATION).is_some_and(|created| *created != current_hash);
    let was_out_of_sync = A::recorded_conditions(object).iter().any(|c| c.type_ == SPEC_OUT_OF_SYNC && c.status == "True");
    let out_of_sync_message = format!("The spec changed after the {} was created; SageMaker jobs are immutable, so the change is not applied. Revert it, or create a new object.", A::KIND);
    if spec_changed {
        set_condition(&mut conditions, SPEC_OUT_OF_SYNC, true, "SpecChangedAfterCreation", &out_of_sync_message, generation);
        let additional = match fields.get("additional").and_then(Value::as_str) {
            Some(existing) => format!("{existing}; {out_of_sync_message}"),
            None => out_of_sync_message.clone(),
        };
        fields.insert("additional".into(), json!(additional));
    } else {
        set_condition(&mut conditions, SPEC_OUT_OF_SYNC, false, "SpecMatchesSageMaker", "", generation);
        if !fields.contains_key("additional") {
            // Clears an earlier operator message (merge patch: null removes the field).
            fields.insert("additional".into(), Value::Null);
        }
    }
    fields.insert("observedGeneration".into(), json!(generation));
    fields.insert("conditions".into(), json!(conditions));
    // Every status write triggers a watch event and so another reconcile; writing only real
    // changes (not a new lastCheckTime alone) stops that loop, so an idle job costs no calls
    // until the poller reports a change.
    let unchanged = status_matches::<A>(object, &fields);
    fields.insert("lastCheckTime".into(), json!(k8s_openapi::jiff::Timestamp::now()));

    let previous = A::recorded_status(object);
    if previous.as_deref() != Some(status_text.as_str()) {
        let type_ = if phase == Phase::Failed { EventType::Warning } else { EventType::Normal };
        let mut note = format!("SageMaker status {} → {status_text}", previous.as_deref().unwrap_or("none"));
        if !reason_message.is_empty() && phase == Phase::Failed {
            note.push_str(&format!(": {reason_message}"));
        }
        ctx.event(object, type_, &status_text, note).await;
    }
    if spec_changed && !was_out_of_sync {
        ctx.event(object, EventType::Warning, "SpecChangedAfterCreation", out_of_sync_message).await;
    } else if !spec_changed && was_out_of_sync {
        ctx.event(object, EventType::Normal, "SpecMatchesSageMaker", "The spec matches the SageMaker job again".into()).await;
    }
    if !unchanged {
        ctx.patch_status(object, Value::Object(fields)).await?;
    }

    if phase.is_terminal() {
        ctx.registry.forget(&sagemaker.location, &remote_name);
    } else {
        ctx.registry.register(&sagemaker.location, &remote_name, kube::runtime::reflector::ObjectRef::from_obj(object));
    }
    Ok(if phase.is_terminal() { Action::await_change() } else { Action::requeue(ctx.in_progress_requeue) })
}

/// Whether writing `fields` would change nothing in the recorded status (`null` = absent).
fn status_matches<A: Adapter>(object: &A::Object, fields: &serde_json::Map<String, Value>) -> bool {
    let current = serde_json::to_value(object).ok().and_then(|value| value.get("status").cloned()).unwrap_or(Value::Null);
    fields.iter().all(|(key, value)| current.get(key).unwrap_or(&Value::Null) == value)
}

/// Checks the ownership tag of an existing resource: `None` = ours, carry on.
async fn verify_ownership<A: Adapter>(
    object: &A::Object,
    ctx: &Context<A>,
    sagemaker: &SageMakerHandle,
    remote: &A::Remote,
    uid: &str,
) -> Result<Option<Action>, EngineError> {
    let owner = sagemaker.owner_uid_of(&A::arn(remote)).await?;
    if owner.as_deref() == Some(uid) {
        return Ok(None);
    }
    let name = A::remote_name(object);
    let message = format!(
        "{} {name} already exists in SageMaker and was not created for this object (owner tag {}); choose another name",
        A::KIND,
        owner.as_deref().unwrap_or("absent")
    );
    ctx.report_terminal_error(object, "NameOwnedByAnotherResource", message).await.map(Some)
}

async fn record_retryable_error<A: Adapter>(object: &A::Object, ctx: &Context<A>, error: &SageMakerError) {
    let message = format!("SageMaker call failed, retrying: {error}");
    if let Err(patch_error) = ctx.patch_status(object, json!({ "additional": message })).await {
        tracing::warn!(kind = A::KIND, %patch_error, "could not record error in status");
    }
    ctx.event(object, EventType::Warning, "SageMakerCallFailed", message).await;
}

/// Deletion: stop what runs, wait through Stopping, then let the object go. Any failed call
/// keeps the finalizer (the error policy retries), so throttling cannot leak a running job.
async fn finalize<A: Adapter>(object: &A::Object, ctx: &Context<A>, remote_name: &str, uid: &str) -> Result<Action, EngineError> {
    if !object.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    if A::is_observe_only(object) {
        ctx.remove_finalizer(object).await?;
        return Ok(Action::await_change());
    }
    let sagemaker = ctx.sagemaker(object);
    let remote = match ctx.adapter.describe(&sagemaker, remote_name).await {
        Err(SageMakerError::NotFound(_)) => {
            tracing::info!(kind = A::KIND, sagemaker_name = %remote_name, "never created in SageMaker, releasing object");
            ctx.remove_finalizer(object).await?;
            return Ok(Action::await_change());
        }
        other => other?,
    };
    match A::phase(&remote) {
        Phase::InProgress => {
            if sagemaker.owner_uid_of(&A::arn(&remote)).await?.as_deref() != Some(uid) {
                // Not ours (a name clash reported earlier): never stop someone else's job.
                ctx.remove_finalizer(object).await?;
                return Ok(Action::await_change());
            }
            match ctx.adapter.stop(&sagemaker, remote_name).await {
                Ok(()) | Err(SageMakerError::Validation(_)) => {}
                Err(error) => return Err(error.into()),
            }
            ctx.event(object, EventType::Normal, "Stopping", format!("Stopping {} {remote_name} in SageMaker", A::KIND)).await;
            ctx.registry.register(&sagemaker.location, remote_name, kube::runtime::reflector::ObjectRef::from_obj(object));
            let _ = ctx.patch_status(object, json!({ A::STATUS_FIELD: "Stopping", "secondaryStatus": Value::Null })).await;
            Ok(Action::requeue(Duration::from_secs(2)))
        }
        Phase::Stopping => {
            let _ = ctx.patch_status(object, json!({ A::STATUS_FIELD: "Stopping", "secondaryStatus": Value::Null })).await;
            Ok(Action::requeue(Duration::from_secs(2)))
        }
        Phase::Succeeded | Phase::Failed => {
            ctx.registry.forget(&sagemaker.location, remote_name);
            tracing::info!(kind = A::KIND, sagemaker_name = %remote_name, status = %A::status_text(&remote), "terminal in SageMaker, releasing object");
            ctx.remove_finalizer(object).await?;
            Ok(Action::await_change())
        }
    }
}

/// Builds the event recorder every controller shares.
pub fn recorder(client: kube::Client) -> Recorder {
    Recorder::new(client, Reporter { controller: "sagemaker-k8s-operator".into(), instance: std::env::var("HOSTNAME").ok() })
}

