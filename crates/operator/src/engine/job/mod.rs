//! The job strategy: "a Kubernetes object mirrors one SageMaker job" (TrainingJob,
//! BatchTransformJob, HyperparameterTuningJob, ProcessingJob).
//!
//! For every object: one metadata patch before anything exists in SageMaker (the finalizer, the
//! spec's empty name filled in, the name and spec hash the create is sent under) → the steps of
//! the decision core (`decide.rs`: create exactly once, adopt only with the ownership tag, take
//! over the original operator's jobs, stop on delete and wait until terminal) carried out by
//! `steps.rs` → the status mapped from the Describe (`status_map.rs`). Each kind plugs in
//! through [`Adapter`] (`crates/operator/src/adapters/`).

mod decide;
mod status_map;
mod steps;

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    CREATED_SPEC_HASH_ANNOTATION, CREATING_NAME_ANNOTATION, FINALIZER, HasCommonStatus,
    SageMakerSpec,
};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde::Serialize;
use serde_json::{Value, json};

use super::{EngineError, Run, Strategy, Wake};
use crate::digest::json_hash;
use crate::engine::controller::ControllerShared;
use crate::finalizer::{add_operations, has_finalizer};
use crate::object_patch::{ManagedObject, map_operations, patch_json, pointer_token};
use crate::takeover;

pub use decide::Phase;
pub use status_map::{NameRecord, resolve_remote_name};

/// While a resource is stopped on delete, how often it is looked at until it is terminal.
const STOPPING_REQUEUE: Duration = Duration::from_secs(2);

/// What one job kind contributes: its SageMaker calls and its status. The job strategy owns
/// every decision.
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

/// The job strategy for one kind: the engine's [`Strategy`] around the kind's [`Adapter`].
pub struct Jobs<A>(pub A);

/// One reconcile of a job object.
type JobRun<'a, A> = Run<'a, Jobs<A>>;

impl<A: Adapter> Strategy for Jobs<A> {
    type Object = A::Object;
    type Status = A::Status;
    type Handle = SageMakerHandle;
    type Lister = A;
    const KIND: &'static str = A::KIND;
    const WAKE: Wake = Wake::OnNewGeneration;
    const POLLED: bool = true;
    // The finalizer goes on in the same patch as the pinned name (see `prepare`).
    const INITIAL_STATE: Option<&'static str> = None;

    fn state(status: &mut A::Status) -> &mut Option<String> {
        A::status_fields(status).status
    }

    fn locate(
        shared: &ControllerShared,
        object: &A::Object,
    ) -> Result<SageMakerHandle, EndpointRefused> {
        let spec = A::spec(object);
        let location = shared
            .clients
            .locate(spec.region(), spec.sage_maker_endpoint())?;
        Ok(shared.clients.handle(&location))
    }

    /// Nothing exists before a Describe showed it ours (a refused create leaves nothing), and
    /// an observe-only object never creates.
    fn may_have_created(object: &A::Object) -> bool {
        !A::is_observe_only(object) && has_observed_remote::<A>(object)
    }

    async fn reconcile(run: &JobRun<'_, A>) -> Result<Action, EngineError> {
        steps::reconcile(run).await
    }

    async fn finalize(run: &JobRun<'_, A>) -> Result<Action, EngineError> {
        steps::finalize(run).await
    }
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

/// What the first patch of a reconcile wrote: the hash of the spec (as it reads after the
/// patch) and, when something had to be written, the object as the apiserver now has it.
struct Prepared<K> {
    spec_hash: String,
    object: Option<K>,
}

/// The finalizer, the SageMaker name in the spec, and the hash of the spec about to be created
/// from — all in one patch, before anything exists in SageMaker. `never_observed`: the create
/// may be sent in this reconcile, so its name is pinned (see `CREATING_NAME_ANNOTATION`).
async fn prepare<A: Adapter>(
    client: &kube::Client,
    object: &A::Object,
    remote_name: &str,
    never_observed: bool,
) -> Result<Prepared<A::Object>, kube::Error> {
    let observe_only = A::is_observe_only(object);
    let name_to_fill = if observe_only {
        None
    } else {
        spec_name_to_fill::<A>(object)
    };
    let spec_hash = spec_hash(
        A::spec(object),
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
