//! The single-resource strategy: "a Kubernetes object mirrors one SageMaker resource". Every
//! kind whose SageMaker side is one resource runs through it (the job kinds, Model,
//! EndpointConfig, and the kinds generated from SageMaker's API model): one decision core, one
//! executor, and per kind a [`Kind`] — its configuration (what its status shows, what a delete
//! and a spec change do, how it is named) and its hooks (create, describe, stop or delete, the
//! status a Describe makes).
//!
//! For every object: one metadata patch before anything exists in SageMaker (the finalizer, the
//! spec's empty name filled in, the name and spec hash the create is sent under) → the steps of
//! the decision core (`decide.rs`: create exactly once, adopt only with the ownership tag, take
//! over the original operator's resources, stop or delete on delete, replace on a spec change)
//! carried out by `steps.rs` → the status mapped from the Describe (`mirror.rs`).

mod decide;
mod drift;
mod mirror;
mod status_map;
mod steps;

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

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
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde::Serialize;
use serde_json::{Value, json};

use super::{EngineError, Run, Strategy, Wake};
use crate::conditions::failed_for_missing_dependency;
use crate::digest::json_hash;
use crate::engine::controller::ControllerShared;
use crate::engine::{DeletionPolicy, tags};
use crate::finalizer::{add_operations, has_finalizer};
use crate::object_patch::{ManagedObject, map_operations, patch_json, pointer_token};
use crate::status_poller::ListModified;
use crate::takeover;

pub use crate::engine::references::Resolved;
use crate::engine::references::{
    REFERENCES_READY, Recorded, Referable, Reference, Target, WAITING_FOR_REFERENCE, Waiting,
};
pub use decide::{Lifecycle, OnDelete, OnSpecChange, Phase, StateWords};
pub use status_map::{CREATED, NameRecord, resolve_remote_name};

/// While a resource is stopped on delete, how often it is looked at until it is terminal.
const STOPPING_REQUEUE: Duration = Duration::from_secs(2);

/// The status value a failure the operator cannot get past shows.
const FAILED_STATE: &str = "Failed";

/// What a kind's status shows, and so how its objects are woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum States {
    /// SageMaker moves the resource through states of its own (a job runs and ends): the status
    /// shows them, a status poller follows them (the kind lists what changed), and the watch
    /// wakes an object only for a new generation.
    SageMaker,
    /// The resource has no states in SageMaker, it exists or not: the status shows
    /// [`CREATED`] once it exists, nothing is polled, and every change of the object wakes it.
    Created,
}

/// What one kind contributes: its configuration, its SageMaker calls and its status. The
/// strategy owns every decision.
pub trait Kind: Send + Sync + 'static {
    type Object: ManagedObject + HasStatus<Status = Self::Status>;
    /// The kind's status (the api crate's struct): what the engine builds, compares and writes.
    type Status: HasCommonStatus + Serialize + Clone + Default + Debug + Send + Sync;
    type Spec: SageMakerSpec + Serialize + Send + Sync;
    /// What the kind reads from SageMaker's Describe call.
    type Remote: Send + Sync + Debug;
    /// Lists the kind's resources changed after a time, for the status poller
    /// ([`States::SageMaker`]; else [`NotPolled`](crate::status_poller::NotPolled)).
    type Lister: ListModified;

    /// Kind name for logs, events and metrics.
    const KIND: &'static str;
    const STATES: States;
    /// What a delete and a spec change do to the resource.
    const LIFECYCLE: Lifecycle;
    /// Name of the spec field that names the SageMaker resource (e.g. `trainingJobName`). When
    /// the user leaves it empty the engine writes the derived name there, as the original
    /// operator did (`kubectl describe` shows it in the spec), and the name a create is sent
    /// under is pinned until the resource is observed. `None`: the object's name names it.
    const SPEC_NAME_FIELD: Option<&'static str> = None;
    /// SageMaker names the resource itself (a versioned model package's ARN): the create is
    /// sent under an idempotency token, and answers with the name ([`Created::Assigned`]).
    const NAMED_BY_SAGEMAKER: bool = false;
    /// Longest name SageMaker allows for the kind: a derived name is cut to it.
    const MAX_NAME_LEN: usize = crate::naming::MAX_NAME_LEN;
    /// The kind's own words for its resource's states ([`States::SageMaker`]), which the
    /// default [`phase`](Self::phase) reads; `None`: a job's (`InProgress`, `Completed`, …).
    const STATE_WORDS: Option<StateWords> = None;
    /// The kinds this kind's objects may refer to ([`references`](Self::references)); the
    /// engine watches them and wakes the objects that refer to one when it changes.
    const REFERENCED: &'static [&'static Target] = &[];

    /// The other objects of its namespace this object's spec names (a spec field, the kind, the
    /// object's name). The engine resolves them to their SageMaker names before a create or an
    /// update and hands those to [`create`](Self::create) and [`update`](Self::update); while
    /// one is missing or not ready, the object waits.
    fn references(_object: &Self::Object) -> Vec<Reference> {
        Vec::new()
    }

    fn spec(object: &Self::Object) -> &Self::Spec;
    /// The SageMaker name the spec asks for (the field [`SPEC_NAME_FIELD`](Self::SPEC_NAME_FIELD)
    /// names), if any.
    fn spec_name(_object: &Self::Object) -> Option<&str> {
        None
    }
    /// The SageMaker name a create is sent under: the spec's explicit name or one derived from
    /// name and UID.
    fn remote_name(object: &Self::Object) -> String {
        derived_remote_name::<Self>(object)
    }
    /// The status fields the engine writes under a name of the kind's, borrowed from its status.
    fn status_fields(status: &mut Self::Status) -> StatusFields<'_>;
    /// The status shown while the resource is being stopped on delete.
    fn stopping(status: &mut Self::Status) {
        *Self::status_fields(status).status = Some("Stopping".into());
    }

    /// Creates the resource under `remote_name`; `references` holds the SageMaker names the
    /// object's references resolved to.
    fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &Self::Object,
        remote_name: &str,
        owner_uid: &str,
        references: &Resolved,
    ) -> impl Future<Output = Result<Created, CreateError>> + Send;
    /// Updates the steady resource `remote` to the object's spec ([`OnSpecChange::Update`]
    /// only: the decision core sends no update to a kind with another lifecycle).
    fn update(
        &self,
        _sagemaker: &SageMakerHandle,
        _object: &Self::Object,
        _remote_name: &str,
        _remote: &Self::Remote,
        _references: &Resolved,
    ) -> impl Future<Output = Result<(), CreateError>> + Send {
        async {
            Err(CreateError::Unsupported(format!(
                "{} cannot be updated in place",
                Self::KIND
            )))
        }
    }
    fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> impl Future<Output = Result<Self::Remote, SageMakerError>> + Send;
    /// Stops the resource ([`OnDelete::Stop`]) or deletes it ([`OnDelete::Delete`], also
    /// before a replacement), as [`LIFECYCLE`](Self::LIFECYCLE) says.
    fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> impl Future<Output = Result<(), SageMakerError>> + Send;
    /// ARN of the described resource (for ListTags).
    fn arn(remote: &Self::Remote) -> String;
    /// Where the resource is in its life (a resource without states: it exists).
    fn phase(remote: &Self::Remote) -> Phase {
        match Self::STATES {
            States::SageMaker => match Self::STATE_WORDS {
                Some(words) => words.phase(&Self::status_text(remote)),
                None => Phase::of_job_status(&Self::status_text(remote)),
            },
            States::Created => Phase::Succeeded,
        }
    }
    /// SageMaker's status text (e.g. `InProgress`; [`CREATED`] for a resource without states).
    fn status_text(remote: &Self::Remote) -> String;
    /// SageMaker's LastModifiedTime of the described resource (`None` when the kind's Describe
    /// has none): a change the poller lists later than this is one the status does not show yet.
    fn last_modified(remote: &Self::Remote) -> Option<jiff::Timestamp>;
    /// The status SageMaker's description shows: the kind's own fields, and in `additional`
    /// what SageMaker says went wrong. The engine adds the rest (the state of a resource without
    /// states, conditions, observedGeneration, lastCheckTime).
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

/// The fields of a status that mean the same in every kind under different names
/// (`trainingJobStatus` / `status`, `sageMakerTrainingJobName` / `sageMakerModelName`, …).
pub struct StatusFields<'a> {
    /// SageMaker's status (or [`CREATED`]); before SageMaker answered
    /// `SynchronizingK8sJobWithSageMaker`, or `Failed` when the operator cannot go on.
    pub status: &'a mut Option<String>,
    /// The SageMaker name, once the resource was observed.
    pub sagemaker_name: &'a mut Option<String>,
    /// The original operator's name for `lastCheckTime`, where the kind's status has it (kept
    /// for scripts written for that operator).
    pub last_update_time: Option<&'a mut Option<Time>>,
}

/// What a create answered about the resource's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// It has the name the create was sent under.
    AsSent,
    /// SageMaker named it (a versioned model package's ARN); the name it was sent under was an
    /// idempotency token, so a create sent again under it answers with this same name.
    Assigned(String),
}

/// Why a create was not sent or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A spec field this operator cannot send (named in the message).
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    SageMaker(#[from] SageMakerError),
}

/// The spec's explicit SageMaker name, or one derived from the object's name and UID.
pub fn derived_remote_name<K: Kind + ?Sized>(object: &K::Object) -> String {
    match K::spec_name(object).filter(|name| !name.is_empty()) {
        Some(name) => name.to_string(),
        None => crate::naming::derived_name(
            &object.name_any(),
            object.meta().uid.as_deref().unwrap_or_default(),
            K::MAX_NAME_LEN,
        ),
    }
}

/// Whether the object only follows its resource: a tuning job's training job, or an object
/// annotated `sagemaker.aws.amazon.com/observe: "true"`.
fn observe_only<K: Kind>(object: &K::Object) -> bool {
    K::is_observe_only(object) || crate::engine::observing(object)
}

/// The SageMaker name the object's status records, if any.
pub(super) fn recorded_name<K: Kind>(object: &K::Object) -> Option<String> {
    let mut status = object.status()?.clone();
    K::status_fields(&mut status).sagemaker_name.take()
}

/// The single-resource strategy for one kind: the engine's [`Strategy`] around its [`Kind`].
pub struct Single<K>(pub K);

/// One reconcile of a single-resource object.
type SingleRun<'a, K> = Run<'a, Single<K>>;

impl<K: Kind> Strategy for Single<K> {
    type Object = K::Object;
    type Status = K::Status;
    type Handle = SageMakerHandle;
    type Lister = K::Lister;
    const KIND: &'static str = K::KIND;
    const WAKE: Wake = match K::STATES {
        States::SageMaker => Wake::OnNewGeneration,
        // Nothing else wakes it: not polled.
        States::Created => Wake::OnEveryChange,
    };
    const POLLED: bool = matches!(K::STATES, States::SageMaker);
    // Only a resource the spec names can be adopted or observed by name: not one SageMaker
    // names, nor one named after the object's UID.
    const BY_NAME: bool = !K::NAMED_BY_SAGEMAKER && K::SPEC_NAME_FIELD.is_some();
    const FAILED_STATE: Option<&'static str> = Some(FAILED_STATE);
    const INITIAL_STATE: Option<&'static str> = match K::STATES {
        // The finalizer goes on in the same patch as the pinned name (see `prepare`).
        States::SageMaker => None,
        States::Created => Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER),
    };

    fn state(status: &mut K::Status) -> &mut Option<String> {
        K::status_fields(status).status
    }

    fn locate(
        shared: &ControllerShared,
        object: &K::Object,
    ) -> Result<SageMakerHandle, EndpointRefused> {
        let spec = K::spec(object);
        let location = shared
            .clients
            .locate(spec.region(), spec.sage_maker_endpoint())?;
        Ok(shared.clients.handle(&location))
    }

    /// Nothing exists before a Describe showed it ours (a refused create leaves nothing), and
    /// an observe-only object never creates.
    fn may_have_created(object: &K::Object) -> bool {
        match K::STATES {
            States::SageMaker => !observe_only::<K>(object) && has_observed_remote::<K>(object),
            States::Created => Self::recorded_state(object).as_deref() == Some(CREATED),
        }
    }

    fn referenced() -> &'static [&'static Target] {
        K::REFERENCED
    }

    fn refers_to(object: &K::Object, target: &Target, name: &str) -> bool {
        K::references(object)
            .iter()
            .any(|reference| reference.target.kind == target.kind && reference.name == name)
    }

    async fn reconcile(run: &SingleRun<'_, K>) -> Result<Action, EngineError> {
        steps::reconcile(run).await
    }

    async fn finalize(
        run: &SingleRun<'_, K>,
        policy: DeletionPolicy,
    ) -> Result<Action, EngineError> {
        steps::finalize(run, policy).await
    }
}

/// Announces a wait for a referenced object (one Event per wait) unless the apiserver's copy of
/// the object already shows that wait: the cache a reconcile reads may not have the operator's
/// last status write yet, and a second Event would only say the same again.
async fn announce_waiting<K: Kind>(run: &SingleRun<'_, K>, waiting: &Waiting, note: String) {
    let object = run.object;
    let api: Api<K::Object> = Api::namespaced(
        run.client().clone(),
        &object.namespace().unwrap_or_default(),
    );
    let shown = match api.get_opt(&object.name_any()).await {
        Ok(Some(fresh)) => fresh
            .status()
            .and_then(|status| status.common().conditions.clone())
            .unwrap_or_default()
            .iter()
            .any(|condition| {
                condition.type_ == REFERENCES_READY
                    && condition.status == "False"
                    && condition.reason == waiting.reason()
            }),
        // Cannot tell: better said twice than not at all.
        _ => false,
    };
    if !shown {
        run.event(EventType::Normal, WAITING_FOR_REFERENCE, note)
            .await;
    }
}

/// Other objects refer to a single-resource object by what its status records: its SageMaker
/// name and state.
impl<K: Kind> Referable for Single<K> {
    type Object = K::Object;
    const KIND: &'static str = K::KIND;

    fn recorded(object: &K::Object) -> Recorded {
        Recorded {
            sagemaker_name: recorded_name::<K>(object),
            state: Self::recorded_state(object),
            deleting: object.meta().deletion_timestamp.is_some(),
        }
    }
}

/// Hash of the spec a resource is (to be) created from. `name_to_fill` is the spec name field
/// and the SageMaker name when the engine is about to write that name into the spec, so the hash
/// already covers the spec as it will read after the write.
fn spec_hash<K: Kind>(spec: &K::Spec, name_to_fill: Option<(&str, &str)>) -> String {
    let mut spec = serde_json::to_value(spec).expect("specs serialize to JSON");
    if let Value::Object(map) = &mut spec {
        // Tags are edited in place (`engine::tags`): only the request fields count for whether
        // the spec is still the one created or updated from.
        map.remove("tags");
        if let Some((field, name)) = name_to_fill {
            map.insert(field.to_string(), json!(name));
        }
    }
    json_hash(&spec)
}

/// The hash operators before in-place tag edits recorded for a replaced kind, which covered the
/// tags: still taken as the current spec's when it matches, so an upgrade replaces nothing.
fn legacy_spec_hash<K: Kind>(spec: &K::Spec) -> Option<String> {
    (K::LIFECYCLE.on_spec_change == OnSpecChange::Replace)
        .then(|| json_hash(&serde_json::to_value(spec).expect("specs serialize to JSON")))
}

/// The tags the object's spec asks for ([`tags::spec_tags`]).
fn spec_tags<K: Kind>(object: &K::Object) -> tags::Tags {
    tags::spec_tags(&serde_json::to_value(K::spec(object)).expect("specs serialize to JSON"))
}

/// Whether `candidate` is the spec the object's resource was last created or updated from (by
/// the hash the object recorded): how an update hook tells which part of the spec moved.
pub fn is_recorded_spec<K: Kind>(object: &K::Object, candidate: &K::Spec) -> bool {
    object
        .annotations()
        .get(CREATED_SPEC_HASH_ANNOTATION)
        .is_some_and(|recorded| *recorded == spec_hash::<K>(candidate, None))
}

/// The spec name field when it is empty and the engine should fill it in.
fn spec_name_to_fill<K: Kind>(object: &K::Object) -> Option<&'static str> {
    let field = K::SPEC_NAME_FIELD?;
    K::spec_name(object)
        .is_none_or(str::is_empty)
        .then_some(field)
}

/// The SageMaker name this object maps to ([`resolve_remote_name`]).
fn remote_name_of<K: Kind>(object: &K::Object) -> String {
    let wanted = K::remote_name(object);
    let recorded = recorded_name::<K>(object);
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
fn has_observed_remote<K: Kind>(object: &K::Object) -> bool {
    object
        .status()
        .is_some_and(|status| status.common().last_check_time.is_some())
}

/// Whether what the object observed is its own: it recorded a spec to create from (or the
/// original operator did), or it only observes. An object whose observe annotation was removed
/// saw a resource it never proved its own: it must prove it now, like a new object.
fn observed_its_own<K: Kind>(object: &K::Object) -> bool {
    object
        .annotations()
        .contains_key(CREATED_SPEC_HASH_ANNOTATION)
        || takeover::status_written_by_original_operator(object.status())
        || observe_only::<K>(object)
}

/// Whether the original operator's status records prove `name` is this object's resource
/// (see [`takeover`]).
fn recorded_by_original_operator<K: Kind>(object: &K::Object, name: &str, uid: &str) -> bool {
    // The spec's name proves nothing once this operator wrote it there (from the status, which
    // it writes together with the created-spec-hash annotation): only a name the user chose does.
    let filled_by_us = object
        .annotations()
        .contains_key(CREATED_SPEC_HASH_ANNOTATION);
    let spec_name = K::spec_name(object).filter(|_| !filled_by_us);
    takeover::recorded_by_original_operator(
        object.status(),
        recorded_name::<K>(object).as_deref(),
        spec_name,
        name,
        uid,
    )
}

/// What the decision core reads of the object, before any call. `observed`: the resource was
/// observed (`lastCheckTime`, or the registry saw it before the possibly lagging watch cache
/// shows it; read for [`States::SageMaker`]); `spec_hash`: the current spec's.
fn record_of<K: Kind>(
    object: &K::Object,
    deleting: bool,
    observed: bool,
    spec_hash: &str,
) -> decide::Record {
    let state = Single::<K>::recorded_state(object);
    let created_hash = object.annotations().get(CREATED_SPEC_HASH_ANNOTATION);
    let created_from_current_spec = created_hash.is_some_and(|hash| {
        hash == spec_hash || legacy_spec_hash::<K>(K::spec(object)).is_some_and(|old| *hash == old)
    });
    let observe_only = observe_only::<K>(object);
    let tags_applied = K::NAMED_BY_SAGEMAKER
        || tags::recorded(object.annotations()).as_ref() == Some(&spec_tags::<K>(object));
    let original = !observe_only && takeover::status_written_by_original_operator(object.status());
    let (never_observed, original_status, refused_this_spec) = match K::STATES {
        // A job's `Failed` is also SageMaker's word for a job that ran and failed, and a job is
        // woken only by a new spec anyway: nothing is refused by its state.
        States::SageMaker => (!observed, original, false),
        States::Created => (
            // Only `Created` (or the original operator's word for it) was observed.
            matches!(
                state.as_deref(),
                None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER) | Some(FAILED_STATE)
            ),
            // Once this operator recorded a spec, the resource is its own.
            original && created_hash.is_none(),
            // Woken by its own status writes: a refused spec waits for the next one.
            state.as_deref() == Some(FAILED_STATE)
                && created_from_current_spec
                && !failed_for_missing_dependency(
                    &object
                        .status()
                        .and_then(|status| status.common().conditions.clone())
                        .unwrap_or_default(),
                ),
        ),
    };
    decide::Record {
        lifecycle: K::LIFECYCLE,
        deleting,
        // Set by the deletion, which knows the policy.
        retain: false,
        adoption: crate::engine::adoption_of(object),
        tags_applied,
        observe_only,
        never_observed,
        has_status: state.is_some(),
        original_status,
        refused_this_spec,
        created_from_current_spec,
    }
}

/// What the first patch of a reconcile wrote: the hash of the spec (as it reads after the
/// patch) and, when something had to be written, the object as the apiserver now has it.
struct Prepared<K> {
    spec_hash: String,
    object: Option<K>,
}

/// The finalizer, the SageMaker name in the spec, and the hash of the spec about to be created
/// from — all in one patch, before anything exists in SageMaker. `never_observed`: the create
/// may be sent in this reconcile, so its name is pinned (see `CREATING_NAME_ANNOTATION`).
async fn prepare<K: Kind>(
    client: &kube::Client,
    object: &K::Object,
    remote_name: &str,
    never_observed: bool,
) -> Result<Prepared<K::Object>, kube::Error> {
    let observe_only = observe_only::<K>(object);
    let name_to_fill = if observe_only {
        None
    } else {
        spec_name_to_fill::<K>(object)
    };
    let spec_hash = spec_hash::<K>(
        K::spec(object),
        name_to_fill.map(|field| (field, remote_name)),
    );
    if observe_only || (has_finalizer(object) && name_to_fill.is_none()) {
        return Ok(Prepared {
            spec_hash,
            object: None,
        });
    }
    // A JSON Patch, so the finalizer is added under a test of the list it was read with (see
    // crate::finalizer): another controller's concurrent entry makes it fail, never vanish.
    let mut operations = add_operations(object.finalizers(), FINALIZER).unwrap_or_default();
    let mut annotations = Vec::new();
    if never_observed {
        annotations.push((CREATED_SPEC_HASH_ANNOTATION, spec_hash.clone()));
        annotations.push((CREATING_NAME_ANNOTATION, remote_name.to_owned()));
    } else if !object
        .annotations()
        .contains_key(CREATED_SPEC_HASH_ANNOTATION)
    {
        annotations.push((CREATED_SPEC_HASH_ANNOTATION, spec_hash.clone()));
    }
    operations.extend(map_operations(
        "/metadata/annotations",
        object.annotations(),
        &annotations,
    ));
    if let Some(field) = name_to_fill {
        operations.push(json!({
            "op": "add",
            "path": format!("/spec/{}", pointer_token(field)),
            "value": remote_name,
        }));
    }
    // Carry on with the object as the apiserver now has it: no wake-up is waited for.
    let patched = patch_json(client, object, operations).await?;
    Ok(Prepared {
        spec_hash,
        object: Some(patched),
    })
}

#[cfg(test)]
mod tests {
    use sagemaker_k8s_api::common::Tag;
    use sagemaker_k8s_api::{Model, ModelSpec};

    use std::collections::BTreeMap;

    use super::*;
    use crate::adapters::model::ModelAdapter;

    fn model(tags: &[(&str, &str)], created_hash: Option<String>) -> Model {
        let mut spec: ModelSpec = serde_json::from_value(json!({
            "region": "us-west-2",
            "executionRoleArn": "arn:aws:iam::123456789012:role/r",
            "primaryContainer": {"image": "xgboost:1"},
        }))
        .unwrap();
        spec.tags = Some(
            tags.iter()
                .map(|(key, value)| Tag {
                    key: key.to_string(),
                    value: value.to_string(),
                })
                .collect(),
        );
        let mut model = Model::new("m", spec);
        if let Some(hash) = created_hash {
            model.metadata.annotations = Some(BTreeMap::from([(
                CREATED_SPEC_HASH_ANNOTATION.into(),
                hash,
            )]));
        }
        model
    }

    #[test]
    fn a_tag_edit_is_no_spec_change_and_an_upgrade_replaces_nothing() {
        let first = model(&[("team", "ml")], None);
        let hash = spec_hash::<ModelAdapter>(&first.spec, None);
        let retagged = model(&[("team", "risk")], Some(hash.clone()));
        let current = spec_hash::<ModelAdapter>(&retagged.spec, None);
        assert_eq!(current, hash, "tags are not in the spec hash");
        let record = record_of::<ModelAdapter>(&retagged, false, true, &current);
        assert!(record.created_from_current_spec);
        assert!(!record.tags_applied, "the edit is still to be applied");

        // An operator before in-place tags recorded the hash with the tags in it.
        let legacy = json_hash(&serde_json::to_value(&first.spec).unwrap());
        let upgraded = model(&[("team", "ml")], Some(legacy.clone()));
        let record = record_of::<ModelAdapter>(&upgraded, false, true, &current);
        assert!(record.created_from_current_spec, "not replaced on upgrade");
        // Its first reconcile applies the tags and records the hash without them (steps.rs),
        // so a later tag edit is no spec change either.
        assert!(!record.tags_applied);
    }
}
