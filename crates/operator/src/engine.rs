//! The one reconcile engine: "a Kubernetes object mirrors one SageMaker resource".
//!
//! For every object: ensure the finalizer (before anything exists in SageMaker) → ensure the
//! resource is created exactly once (deterministic name + ownership tag, `ResourceInUse` means
//! "look it up and adopt if ours") → observe → map status and conditions → on delete, stop what
//! is still running and wait until it is terminal before letting the object go.
//! Each kind plugs in through [`Adapter`]; the engine owns every decision.
//!
//! The decisions that need no I/O (phase, SageMaker name, the status a Describe makes) are in
//! `engine/decide.rs`, table-tested; this file is the state machine that carries them out, in
//! the order a reconcile runs (preparation, create or adopt, ownership, status, finalize), kept
//! in one file so that order reads top to bottom.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::events::EventRecorder;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::Api;
use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    CREATED_SPEC_HASH_ANNOTATION, CREATING_NAME_ANNOTATION, FINALIZER, HasCommonStatus,
    SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER, SageMakerSpec,
};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;
use sagemaker_k8s_aws::{SageMakerClients, SageMakerError, SageMakerHandle};
use serde::Serialize;
use serde_json::{Value, json};

use crate::conditions::{
    DEPENDENCY_NOT_FOUND, DEPENDENCY_RETRY, ENDPOINT_NOT_ALLOWED, SPEC_OUT_OF_SYNC, mark_failed,
};
use crate::digest::json_hash;
use crate::events::publish_event;
use crate::finalizer::{has_finalizer, remove_finalizer};
use crate::object_patch::{ManagedObject, patch_metadata, patch_object};
use crate::status_patch::StatusWriter;
use crate::takeover;

mod decide;

pub use decide::{NameRecord, Phase, resolve_remote_name};
use decide::{Observed, observed_status, out_of_sync_message};

/// While a resource is stopped on delete, how often it is looked at until it is terminal.
const STOPPING_REQUEUE: Duration = Duration::from_secs(2);

/// What one kind contributes to the engine.
pub trait Adapter: crate::status_poller::ListModified + Send + Sync + 'static {
    type Object: ManagedObject + HasStatus<Status = Self::Status>;
    /// The kind's status (the api crate's struct): what the engine builds, compares and writes.
    type Status: HasCommonStatus + Serialize + Clone + Default + Debug + Send + Sync;
    type Spec: SageMakerSpec + Serialize + Send + Sync;
    /// What the adapter reads from SageMaker's Describe call.
    type Remote: Send + Sync + Debug;

    /// Kind name for logs, events and metrics.
    const KIND: &'static str;
    /// Name of the spec field that names the SageMaker resource (e.g. `trainingJobName`). When
    /// the user leaves it empty the engine writes the derived name there, as the original
    /// operator did (`kubectl describe` shows it in the spec).
    const SPEC_NAME_FIELD: Option<&'static str> = None;

    /// Longest name SageMaker allows for the kind: a derived name is cut to it.
    const MAX_NAME_LEN: usize = crate::naming::MAX_NAME_LEN;

    fn spec(object: &Self::Object) -> &Self::Spec;
    /// The SageMaker name the spec asks for (the field [`SPEC_NAME_FIELD`](Self::SPEC_NAME_FIELD)
    /// names), if any.
    fn spec_name(object: &Self::Object) -> Option<&str>;
    /// The SageMaker name: the spec's explicit name or one derived from name and UID.
    fn remote_name(object: &Self::Object) -> String {
        match Self::spec_name(object).filter(|name| !name.is_empty()) {
            Some(name) => name.to_string(),
            None => crate::naming::derived_name(
                &object.name_any(),
                object.meta().uid.as_deref().unwrap_or_default(),
                Self::MAX_NAME_LEN,
            ),
        }
    }
    /// The status fields the engine writes under a name of the kind's, borrowed from its status.
    fn status_fields(status: &mut Self::Status) -> StatusFields<'_>;
    /// The status shown while the resource is being stopped on delete.
    fn stopping(status: &mut Self::Status) {
        *Self::status_fields(status).status = Some("Stopping".into());
    }
    /// The SageMaker status currently recorded in the object's status, if any; also what
    /// metrics count objects by.
    fn recorded_status(object: &Self::Object) -> Option<String> {
        let mut status = object.status()?.clone();
        Self::status_fields(&mut status).status.take()
    }

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
    fn stop(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> impl Future<Output = Result<(), SageMakerError>> + Send;
    /// ARN of the described resource (for ListTags).
    fn arn(remote: &Self::Remote) -> String;
    fn phase(remote: &Self::Remote) -> Phase {
        Phase::of_job_status(&Self::status_text(remote))
    }
    /// SageMaker's status text (e.g. `InProgress`).
    fn status_text(remote: &Self::Remote) -> String;
    /// SageMaker's LastModifiedTime of the described resource (`None` when the kind's Describe
    /// has none): a change the poller lists later than this is one the status does not show yet.
    fn last_modified(remote: &Self::Remote) -> Option<jiff::Timestamp>;
    /// The status SageMaker's description shows: the kind's own fields, and in `additional`
    /// what SageMaker says went wrong. The engine adds the rest of the common tail
    /// (conditions, observedGeneration, lastCheckTime).
    fn status_from(
        object: &Self::Object,
        remote: &Self::Remote,
        location: &ApiLocation,
    ) -> Self::Status;
    /// When to Describe again although the poller reports nothing: for what changes the status
    /// without moving the resource's LastModifiedTime (a finished training job's Debugger rules
    /// are evaluated after it; a tuning job's counters move as its training jobs end). `None`
    /// (the default): only listed changes matter, and a terminal resource is settled.
    fn look_again_after(_remote: &Self::Remote) -> Option<Duration> {
        None
    }
    /// Objects that only mirror a resource something else created (tuning-job children).
    fn is_observe_only(_object: &Self::Object) -> bool {
        false
    }
    /// Work that follows from what SageMaker reported, run after every status mapping (a tuning
    /// job mirrors the training jobs it launched as objects). Must be idempotent; an error
    /// retries the reconcile.
    fn after_observe(
        &self,
        _client: &kube::Client,
        _sagemaker: &SageMakerHandle,
        _object: &Self::Object,
        _remote: &Self::Remote,
    ) -> impl Future<Output = Result<(), EngineError>> + Send {
        async { Ok(()) }
    }
    /// Clean-up before a deleted object's finalizer goes (SageMaker's side is terminal or
    /// absent), for clusters without a garbage collector too. `Ok(false)`: not done, look again.
    fn before_release(
        &self,
        _client: &kube::Client,
        _object: &Self::Object,
    ) -> impl Future<Output = Result<bool, EngineError>> + Send {
        async { Ok(true) }
    }
}

/// The fields of a job's status that mean the same in every kind under different names
/// (`trainingJobStatus` / `transformJobStatus`, `sageMakerTrainingJobName` / …).
pub struct StatusFields<'a> {
    /// SageMaker's status; before SageMaker answered `SynchronizingK8sJobWithSageMaker`, or
    /// `Failed` when the operator cannot go on.
    pub status: &'a mut Option<String>,
    /// The SageMaker name, once the resource was observed.
    pub sagemaker_name: &'a mut Option<String>,
}

/// The SageMaker name the object's status records, if any.
fn recorded_name<A: Adapter>(object: &A::Object) -> Option<String> {
    let mut status = object.status()?.clone();
    A::status_fields(&mut status).sagemaker_name.take()
}

/// Shared state of one kind's controller.
pub struct Context<A: Adapter> {
    pub adapter: A,
    pub client: kube::Client,
    pub clients: Arc<SageMakerClients>,
    pub recorder: EventRecorder,
    pub registry: Arc<crate::status_poller::Registry<A::Object>>,
    pub polling: crate::status_poller::PollerSettings,
    pub backoff: Arc<crate::error_backoff::ErrorBackoff>,
    pub max_concurrent_reconciles: u16,
}

impl<A: Adapter> Context<A> {
    pub fn new(adapter: A, shared: &crate::controller_run::ControllerShared) -> Arc<Self> {
        Arc::new(Context {
            adapter,
            client: shared.client.clone(),
            clients: shared.clients.clone(),
            recorder: shared.recorder.clone(),
            registry: Default::default(),
            polling: shared.polling.clone(),
            backoff: shared.backoff.clone(),
            max_concurrent_reconciles: shared.max_concurrent_reconciles,
        })
    }
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

/// Hash of the spec a resource is (to be) created from. `name_to_fill` is the spec name field
/// and the SageMaker name when the engine is about to write that name into the spec, so the hash
/// already covers the spec as it will read after the write.
fn spec_hash<S: Serialize>(spec: &S, name_to_fill: Option<(&str, &str)>) -> String {
    let mut spec = serde_json::to_value(spec).expect("specs serialize to JSON");
    if let Value::Object(map) = &mut spec {
        // Tags do not change the job itself; only the request fields count.
        map.remove("tags");
        if let Some((field, name)) = name_to_fill {
            map.insert(field.to_string(), json!(name));
        }
    }
    json_hash(&spec)
}

/// The spec name field when it is empty and the engine should fill it in.
fn spec_name_to_fill<A: Adapter>(object: &A::Object) -> Option<&'static str> {
    let field = A::SPEC_NAME_FIELD?;
    A::spec_name(object)
        .is_none_or(str::is_empty)
        .then_some(field)
}

/// The SageMaker name this object maps to ([`resolve_remote_name`]).
fn remote_name_of<A: Adapter>(object: &A::Object) -> String {
    let wanted = A::remote_name(object);
    let recorded = recorded_name::<A>(object);
    resolve_remote_name(NameRecord {
        recorded: recorded.as_deref(),
        creating: object
            .annotations()
            .get(CREATING_NAME_ANNOTATION)
            .map(String::as_str),
        wanted: &wanted,
    })
    .to_string()
}

/// Whether this object has ever observed its SageMaker resource (a successful status mapping
/// writes `lastCheckTime`). Until then an existing resource of that name must prove by its
/// ownership tag that it was created for this object.
fn has_observed_remote<A: Adapter>(object: &A::Object) -> bool {
    object
        .status()
        .is_some_and(|status| status.common().last_check_time.is_some())
}

/// Runs one kind's controller until shutdown.
pub async fn run<A: Adapter>(ctx: Arc<Context<A>>, namespace: Option<String>) {
    let api: Api<A::Object> = match &namespace {
        Some(namespace) => Api::namespaced(ctx.client.clone(), namespace),
        None => Api::all(ctx.client.clone()),
    };
    let changed = crate::status_poller::spawn::<A::Object, A>(
        ctx.registry.clone(),
        ctx.clients.clone(),
        ctx.polling.clone(),
        A::KIND,
    );
    let changed = futures::stream::unfold(changed, |mut receiver| async move {
        receiver.recv().await.map(|object| (object, receiver))
    });
    // Only spec edits (and deletion, which bumps the generation) wake a job object: the
    // operator's own status and metadata writes do not, and SageMaker's changes come from the
    // poller.
    let controller =
        crate::controller_run::generation_driven_controller(api, ctx.max_concurrent_reconciles)
            .reconcile_on(changed);
    crate::controller_run::drive(
        A::KIND,
        ctx.backoff.clone(),
        controller,
        A::recorded_status,
        reconcile::<A>,
        error_policy::<A>,
        ctx,
    )
    .await;
}

fn error_policy<A: Adapter>(
    object: Arc<A::Object>,
    error: &EngineError,
    ctx: Arc<Context<A>>,
) -> Action {
    crate::controller_run::retry_after_error(A::KIND, &ctx.backoff, object.as_ref(), error)
}

impl<A: Adapter> Context<A> {
    /// The client for the object's region and endpoint, unless the endpoint is refused.
    fn sagemaker(&self, object: &A::Object) -> Result<SageMakerHandle, EndpointRefused> {
        let spec = A::spec(object);
        let location = self
            .clients
            .locate(spec.region(), spec.sage_maker_endpoint())?;
        Ok(self.clients.handle(&location))
    }

    async fn event(&self, object: &A::Object, type_: EventType, reason: &str, note: String) {
        publish_event(&self.recorder, A::KIND, object, type_, reason, note).await;
    }

    /// The writer of the object's status during this reconcile.
    fn status<'a>(&'a self, object: &'a A::Object) -> StatusWriter<'a, A::Object> {
        StatusWriter::new(&self.client, object)
    }

    /// SageMaker refused to create under the pinned name, so nothing exists under it: the spec's
    /// name may be edited again (to get past a name clash).
    async fn release_creating_name(&self, object: &A::Object) -> Result<(), kube::Error> {
        if !object.annotations().contains_key(CREATING_NAME_ANNOTATION) {
            return Ok(());
        }
        patch_metadata(
            &self.client,
            object,
            json!({ "annotations": { CREATING_NAME_ANNOTATION: Value::Null } }),
        )
        .await
    }

    /// Records an operator-side failure that retrying will not fix.
    async fn report_terminal_error(
        &self,
        status: &StatusWriter<'_, A::Object>,
        reason: &str,
        message: String,
    ) -> Result<Action, EngineError> {
        let object = status.object();
        let mut desired = status.recorded();
        let recorded_conditions = desired.common().conditions.clone();
        mark_failed(
            desired.common_mut(),
            reason,
            message.clone(),
            object.meta().generation,
        );
        if desired.common().conditions != recorded_conditions {
            self.event(object, EventType::Warning, reason, message)
                .await;
        }
        // STATUS shows Failed (as users of the original expect), while the missing
        // lastCheckTime still tells the engine the resource was never observed as ours.
        *A::status_fields(&mut desired).status = Some("Failed".into());
        status.write(desired).await?;
        Ok(Action::await_change())
    }
}

/// One reconcile, inside a span naming the object, so every log line of it (the SDK's and
/// kube's included) says which object it is about.
async fn reconcile<A: Adapter>(
    object: Arc<A::Object>,
    ctx: Arc<Context<A>>,
) -> Result<Action, EngineError> {
    use tracing::Instrument as _;
    let remote_name = remote_name_of::<A>(&object);
    let span = tracing::info_span!("reconcile", kind = A::KIND, namespace = %object.namespace().unwrap_or_default(), object = %object.name_any(), sagemaker_name = %remote_name);
    let result = reconcile_object::<A>(&object, &ctx, remote_name)
        .instrument(span)
        .await;
    if result.is_err() {
        // What a failed reconcile observed may not be in the status: the retry looks again.
        ctx.registry
            .unobserve(&crate::status_poller::key_of(object.as_ref()));
    }
    result
}

async fn reconcile_object<A: Adapter>(
    object: &A::Object,
    ctx: &Context<A>,
    remote_name: String,
) -> Result<Action, EngineError> {
    let uid = object
        .meta()
        .uid
        .clone()
        .ok_or(EngineError::MissingMetadata("uid"))?;

    if object.meta().deletion_timestamp.is_some() {
        return finalize(object, ctx, &remote_name, &uid).await;
    }
    let observe_only = A::is_observe_only(object);
    let sagemaker = match ctx.sagemaker(object) {
        Ok(sagemaker) => sagemaker,
        Err(refused) => {
            return ctx
                .report_terminal_error(
                    &ctx.status(object),
                    ENDPOINT_NOT_ALLOWED,
                    refused.to_string(),
                )
                .await;
        }
    };
    let object_ref = crate::status_poller::key_of(object);
    let (observed, listed) = ctx.registry.observation(&object_ref);
    if !crate::status_poller::must_describe(
        observed.as_ref(),
        listed,
        object.meta().generation,
        std::time::Instant::now(),
    ) {
        // Nothing happened since the last look that the status does not show already (this
        // wake-up is the operator's own write, or a change it has seen): no call, no write.
        return Ok(Action::await_change());
    }

    // 1. Finalizer, the SageMaker name in the spec, and the hash of the spec we are about to
    //    create from — all in one patch, before anything exists in SageMaker.
    let name_to_fill = if observe_only {
        None
    } else {
        spec_name_to_fill::<A>(object)
    };
    let current_hash = spec_hash(
        A::spec(object),
        name_to_fill.map(|field| (field, remote_name.as_str())),
    );
    // The registry knows of an observation before the (possibly lagging) watch cache shows it.
    let never_observed = !has_observed_remote::<A>(object) && observed.is_none();
    let prepared;
    let object = if !observe_only && (!has_finalizer(object) || name_to_fill.is_some()) {
        let mut finalizers: Vec<String> = object.finalizers().to_vec();
        if !finalizers.iter().any(|f| f == FINALIZER) {
            finalizers.push(FINALIZER.to_string());
        }
        let mut patch = json!({ "metadata": { "finalizers": finalizers } });
        if never_observed {
            // About to create: pin the name and the spec it is created from (see
            // CREATING_NAME_ANNOTATION).
            patch["metadata"]["annotations"] = json!({
                CREATED_SPEC_HASH_ANNOTATION: current_hash,
                CREATING_NAME_ANNOTATION: remote_name,
            });
        } else if !object
            .annotations()
            .contains_key(CREATED_SPEC_HASH_ANNOTATION)
        {
            patch["metadata"]["annotations"] =
                json!({ CREATED_SPEC_HASH_ANNOTATION: current_hash });
        }
        if let Some(field) = name_to_fill {
            patch["spec"] = json!({ field: remote_name });
        }
        // Carry on with the object as the apiserver now has it: no wake-up is waited for.
        prepared = patch_object(&ctx.client, object, patch).await?;
        &prepared
    } else {
        object
    };
    // The poller follows the name from before the first call, so no change is missed between
    // the create and the first status write.
    ctx.registry
        .register(&sagemaker.location, &remote_name, object_ref.clone());
    let covered = ctx.registry.take_listed(&object_ref);

    // 2. Observe; create exactly once.
    let status = ctx.status(object);
    let takeover = !observe_only && takeover::status_written_by_original_operator(object.status());
    let mut created_now = false;
    let remote = if observe_only {
        match ctx.adapter.describe(&sagemaker, &remote_name).await {
            Ok(remote) => remote,
            Err(SageMakerError::NotFound(_)) => {
                ctx.registry.forget(&sagemaker.location, &remote_name);
                return ctx
                    .report_terminal_error(
                        &status,
                        "NotFoundInSageMaker",
                        format!("{} {remote_name} does not exist in SageMaker", A::KIND),
                    )
                    .await;
            }
            Err(error) => {
                record_retryable_error::<A>(&status, ctx, &error).await;
                return Err(error.into());
            }
        }
    } else {
        // A new object is created at once (a Describe first would only say "not found").
        // SageMaker refusing the name means it exists: created by us before a crash, or a name
        // clash with someone else's resource — the ownership tag tells which. An object with
        // any status (a refused or failed create before) is described first instead.
        let create_first = never_observed && !takeover && A::recorded_status(object).is_none();
        let described = if create_first {
            None
        } else {
            match ctx.adapter.describe(&sagemaker, &remote_name).await {
                Ok(remote) => {
                    if takeover || never_observed {
                        // It exists but this object never saw it: created by us before a crash,
                        // or a name clash. Or the original operator saw it, and this operator
                        // takes it over.
                        if let Some(action) =
                            verify_ownership::<A>(&status, ctx, &sagemaker, &remote, &uid).await?
                        {
                            ctx.registry.forget(&sagemaker.location, &remote_name);
                            return Ok(action);
                        }
                    }
                    Some(remote)
                }
                Err(SageMakerError::NotFound(_)) => None,
                Err(error) => {
                    record_retryable_error::<A>(&status, ctx, &error).await;
                    return Err(error.into());
                }
            }
        };
        match described {
            Some(remote) => remote,
            None => match create_or_adopt::<A>(
                &status,
                ctx,
                &sagemaker,
                &remote_name,
                &uid,
                &current_hash,
            )
            .await?
            {
                Created::Remote { remote, created } => {
                    created_now = created;
                    remote
                }
                Created::Done(action) => {
                    ctx.registry.forget(&sagemaker.location, &remote_name);
                    return Ok(action);
                }
            },
        }
    };

    // 3. Map status and conditions.
    let phase = A::phase(&remote);
    let status_text = A::status_text(&remote);
    let generation = object.meta().generation;
    let spec_changed = !observe_only
        && object
            .annotations()
            .get(CREATED_SPEC_HASH_ANNOTATION)
            .is_some_and(|created| *created != current_hash);
    let out_of_sync_message = out_of_sync_message(A::KIND);
    let mut recorded = status.recorded();
    let mapped = A::status_from(object, &remote, &sagemaker.location);
    let reason_message = mapped.common().additional.clone().unwrap_or_default();
    let desired = observed_status(
        &recorded,
        mapped,
        Observed {
            phase,
            status_text: &status_text,
            generation,
            spec_changed: spec_changed.then_some(out_of_sync_message.as_str()),
        },
    );
    let was_out_of_sync = recorded
        .common()
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == SPEC_OUT_OF_SYNC && c.status == "True");

    let previous = A::status_fields(&mut recorded).status.take();
    if created_now {
        // One Event for a new resource, not "Created" and then "none → InProgress".
        ctx.event(
            object,
            EventType::Normal,
            "Created",
            format!(
                "Created {} {remote_name} in SageMaker (status {status_text})",
                A::KIND
            ),
        )
        .await;
    } else if let Some((type_, note)) = crate::events::status_change(
        previous.as_deref(),
        &status_text,
        phase == Phase::Failed,
        &reason_message,
    ) {
        ctx.event(object, type_, &status_text, note).await;
    }
    if spec_changed && !was_out_of_sync {
        ctx.event(
            object,
            EventType::Warning,
            "SpecChangedAfterCreation",
            out_of_sync_message,
        )
        .await;
    } else if !spec_changed && was_out_of_sync {
        ctx.event(
            object,
            EventType::Normal,
            "SpecMatchesSageMaker",
            "The spec matches the SageMaker job again".into(),
        )
        .await;
    }
    // Only real changes are written, lastCheckTime with them: a write that changes nothing
    // costs the apiserver a write and every watcher an event, N times over.
    status
        .write_stamped(desired, |desired| {
            desired.common_mut().last_check_time = Some(Time(k8s_openapi::jiff::Timestamp::now()));
        })
        .await?;
    if !observe_only {
        ctx.adapter
            .after_observe(&ctx.client, &sagemaker, object, &remote)
            .await?;
    }

    let look_again = A::look_again_after(&remote);
    if phase.is_terminal() && look_again.is_none() {
        ctx.registry.forget(&sagemaker.location, &remote_name);
        return Ok(Action::await_change());
    }
    ctx.registry.record(
        object_ref,
        crate::status_poller::Observation {
            generation,
            modified: A::last_modified(&remote),
            look_again_at: look_again.map(|after| std::time::Instant::now() + after),
        },
        covered,
    );
    // Otherwise the poller wakes the object when SageMaker reports a change.
    Ok(match look_again {
        Some(after) => Action::requeue(after),
        None => Action::await_change(),
    })
}

/// What [`create_or_adopt`] came to.
enum Created<R> {
    /// The resource exists and is this object's; `created`: by this call.
    Remote { remote: R, created: bool },
    /// Nothing to observe: the reconcile ends with this action (refused, reported, retried).
    Done(Action),
}

/// Sends the create under the pinned name; `ResourceInUse` means the name exists, and it is
/// adopted only when its ownership tag says it is this object's. A refused create releases the
/// pinned name, so the spec's name may be edited past a clash.
async fn create_or_adopt<A: Adapter>(
    status: &StatusWriter<'_, A::Object>,
    ctx: &Context<A>,
    sagemaker: &SageMakerHandle,
    remote_name: &str,
    uid: &str,
    current_hash: &str,
) -> Result<Created<A::Remote>, EngineError> {
    let object = status.object();
    if object
        .annotations()
        .get(CREATED_SPEC_HASH_ANNOTATION)
        .map(String::as_str)
        != Some(current_hash)
        || object
            .annotations()
            .get(CREATING_NAME_ANNOTATION)
            .map(String::as_str)
            != Some(remote_name)
    {
        // Not created yet, so the spec may still change what gets created; from here on the
        // name is fixed until SageMaker answers.
        patch_metadata(
            &ctx.client,
            object,
            json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: current_hash, CREATING_NAME_ANNOTATION: remote_name } }),
        )
        .await?;
    }
    match ctx
        .adapter
        .create(sagemaker, object, remote_name, uid)
        .await
    {
        Ok(()) => {
            tracing::info!(kind = A::KIND, object = %object.name_any(), sagemaker_name = %remote_name, "created in SageMaker");
            let remote = ctx.adapter.describe(sagemaker, remote_name).await?;
            Ok(Created::Remote {
                remote,
                created: true,
            })
        }
        Err(SageMakerError::ResourceInUse(_)) => {
            tracing::info!(kind = A::KIND, sagemaker_name = %remote_name, "name in use, checking ownership");
            let remote = ctx.adapter.describe(sagemaker, remote_name).await?;
            match verify_ownership::<A>(status, ctx, sagemaker, &remote, uid).await? {
                Some(action) => Ok(Created::Done(action)),
                None => Ok(Created::Remote {
                    remote,
                    created: false,
                }),
            }
        }
        Err(SageMakerError::Validation(message)) => {
            ctx.release_creating_name(object).await?;
            ctx.report_terminal_error(
                status,
                "CreateRejected",
                format!("SageMaker rejected the request: {message}"),
            )
            .await
            .map(Created::Done)
        }
        // "Not found" on a create means something the spec names is missing (a transform job's
        // model), possibly applied together with this object and not created yet.
        Err(SageMakerError::NotFound(message)) => {
            let message = format!(
                "SageMaker could not find what the spec names (retrying every {} s): {message}",
                DEPENDENCY_RETRY.as_secs()
            );
            ctx.report_terminal_error(status, DEPENDENCY_NOT_FOUND, message)
                .await?;
            Ok(Created::Done(Action::requeue(DEPENDENCY_RETRY)))
        }
        Err(error) => {
            record_retryable_error::<A>(status, ctx, &error).await;
            Err(error.into())
        }
    }
}

/// Whether the original operator's status records prove `name` is this object's resource
/// (see [`takeover`]).
fn recorded_by_original_operator<A: Adapter>(object: &A::Object, name: &str, uid: &str) -> bool {
    // The spec's name proves nothing once this operator wrote it there (from the status, which
    // it writes together with the created-spec-hash annotation): only a name the user chose does.
    let filled_by_us = object
        .annotations()
        .contains_key(CREATED_SPEC_HASH_ANNOTATION);
    let spec_name = A::spec_name(object).filter(|_| !filled_by_us);
    takeover::recorded_by_original_operator(
        object.status(),
        recorded_name::<A>(object).as_deref(),
        spec_name,
        name,
        uid,
    )
}

/// Checks the ownership tag of an existing resource: `None` = ours, carry on. An untagged
/// resource the original operator recorded for this object is taken over (tagged) instead.
async fn verify_ownership<A: Adapter>(
    status: &StatusWriter<'_, A::Object>,
    ctx: &Context<A>,
    sagemaker: &SageMakerHandle,
    remote: &A::Remote,
    uid: &str,
) -> Result<Option<Action>, EngineError> {
    let object = status.object();
    let owner = sagemaker.owner_uid_of(&A::arn(remote)).await?;
    if owner.as_deref() == Some(uid) {
        return Ok(None);
    }
    let name = remote_name_of::<A>(object);
    if owner.is_none() && recorded_by_original_operator::<A>(object, &name, uid) {
        // The original operator's object: tag the resource, so the tag proves ownership from now.
        sagemaker.add_owner_tag(&A::arn(remote), uid).await?;
        tracing::info!(kind = A::KIND, object = %object.name_any(), sagemaker_name = %name, "took over from the original operator");
        ctx.event(
            object,
            EventType::Normal,
            "TakenOver",
            format!(
                "Following {} {name}, which the original operator created",
                A::KIND
            ),
        )
        .await;
        return Ok(None);
    }
    let mut recorded = status.recorded();
    if takeover::status_written_by_original_operator(Some(&recorded)) {
        // The original's lastCheckTime would make the next reconcile take the resource for an
        // observed one of ours; without it the refusal stands.
        recorded.common_mut().last_check_time = None;
        status.write(recorded).await?;
    }
    let message = format!(
        "{} {name} already exists in SageMaker and was not created for this object (owner tag {}); set another name in the spec{}",
        A::KIND,
        owner.as_deref().unwrap_or("absent"),
        A::SPEC_NAME_FIELD
            .map(|field| format!(" ({field})"))
            .unwrap_or_default(),
    );
    // The name belongs to someone else, so no create of ours succeeded under it.
    ctx.release_creating_name(object).await?;
    ctx.report_terminal_error(status, "NameOwnedByAnotherResource", message)
        .await
        .map(Some)
}

async fn record_retryable_error<A: Adapter>(
    status: &StatusWriter<'_, A::Object>,
    ctx: &Context<A>,
    error: &SageMakerError,
) {
    let mut synchronizing = status.recorded();
    let recorded = A::status_fields(&mut synchronizing).status;
    if recorded.is_none() {
        // A new object whose first call failed: STATUS says the operator is on it, as the
        // original operator's did (a successful create writes the real status at once instead).
        *recorded = Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER.into());
        if let Err(patch_error) = status.write(synchronizing).await {
            tracing::warn!(kind = A::KIND, %patch_error, "could not record the status");
        }
    }
    status
        .record_retryable_error(&ctx.recorder, A::KIND, error)
        .await;
}

/// Deletion: stop what runs, wait through Stopping, then let the object go. Any failed call
/// keeps the finalizer (the error policy retries), so throttling cannot leak a running job.
async fn finalize<A: Adapter>(
    object: &A::Object,
    ctx: &Context<A>,
    remote_name: &str,
    uid: &str,
) -> Result<Action, EngineError> {
    if !has_finalizer(object) {
        return Ok(Action::await_change());
    }
    if A::is_observe_only(object) {
        remove_finalizer(&ctx.client, object).await?;
        return Ok(Action::await_change());
    }
    let status = ctx.status(object);
    let sagemaker = match ctx.sagemaker(object) {
        Ok(sagemaker) => sagemaker,
        // Nothing was ever sent there: nothing can exist.
        Err(_) if !has_observed_remote::<A>(object) => return release(object, ctx).await,
        Err(refused) => {
            // The operator's allow-list changed after this object's resource was created:
            // releasing the object would orphan the resource, so say what blocks the delete.
            ctx.report_terminal_error(
                &status,
                ENDPOINT_NOT_ALLOWED,
                format!("cannot stop the SageMaker resource: {refused}"),
            )
            .await?;
            return Ok(Action::requeue(Duration::from_secs(60)));
        }
    };
    let remote = match ctx.adapter.describe(&sagemaker, remote_name).await {
        Err(SageMakerError::NotFound(_)) => {
            tracing::info!(kind = A::KIND, sagemaker_name = %remote_name, "never created in SageMaker, releasing object");
            ctx.registry.forget(&sagemaker.location, remote_name);
            return release(object, ctx).await;
        }
        other => other?,
    };
    match A::phase(&remote) {
        Phase::InProgress => {
            let owner = sagemaker.owner_uid_of(&A::arn(&remote)).await?;
            let ours = owner.as_deref() == Some(uid)
                || (owner.is_none()
                    && recorded_by_original_operator::<A>(object, remote_name, uid));
            if !ours {
                // Not ours (a name clash reported earlier): never stop someone else's job.
                ctx.registry.forget(&sagemaker.location, remote_name);
                return release(object, ctx).await;
            }
            match ctx.adapter.stop(&sagemaker, remote_name).await {
                Ok(()) | Err(SageMakerError::Validation(_)) => {}
                Err(error) => return Err(error.into()),
            }
            ctx.event(
                object,
                EventType::Normal,
                "Stopping",
                format!("Stopping {} {remote_name} in SageMaker", A::KIND),
            )
            .await;
            ctx.registry.register(
                &sagemaker.location,
                remote_name,
                crate::status_poller::key_of(object),
            );
            show_stopping::<A>(&status).await;
            Ok(Action::requeue(STOPPING_REQUEUE))
        }
        Phase::Stopping => {
            show_stopping::<A>(&status).await;
            Ok(Action::requeue(STOPPING_REQUEUE))
        }
        Phase::Succeeded | Phase::Failed => {
            ctx.registry.forget(&sagemaker.location, remote_name);
            tracing::info!(kind = A::KIND, sagemaker_name = %remote_name, status = %A::status_text(&remote), "terminal in SageMaker, releasing object");
            release(object, ctx).await
        }
    }
}

/// The status shows `Stopping` while a deleted object's resource stops (best effort: the
/// delete goes on whether or not it is shown).
async fn show_stopping<A: Adapter>(status: &StatusWriter<'_, A::Object>) {
    let mut stopping = status.recorded();
    A::stopping(&mut stopping);
    let _ = status.write(stopping).await;
}

/// Lets a deleted object go once the adapter's clean-up is done.
async fn release<A: Adapter>(object: &A::Object, ctx: &Context<A>) -> Result<Action, EngineError> {
    if !ctx.adapter.before_release(&ctx.client, object).await? {
        return Ok(Action::requeue(Duration::from_secs(2)));
    }
    remove_finalizer(&ctx.client, object).await?;
    Ok(Action::await_change())
}
