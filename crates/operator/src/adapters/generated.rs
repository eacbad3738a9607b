//! One adapter for every kind generated from SageMaker's API model (docs/dev/GENERATOR.md): the
//! generated code gives its spec, status and calls, the kind gives its object type and its
//! update hook ([`GeneratedKind`]), and [`Generated`] is its `engine::single::Kind`.

use std::future::Future;

use kube::Resource;
use kube::core::object::HasStatus;
use sagemaker_k8s_api::generated::{GeneratedSpec, GeneratedStatus, KindInfo};
use sagemaker_k8s_api::{HasCommonStatus, SageMakerSpec};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::generated::{CallError, Described, GeneratedCalls, ResolvedReferences};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde::Serialize;

use crate::engine::references::{Reference, Target};
use crate::engine::single::{
    CreateError, Created, Kind, Lifecycle, Resolved, StateWords, States, StatusFields,
    is_recorded_spec,
};
use crate::object_patch::ManagedObject;
use crate::status_poller::ListModified;

/// What a generated kind adds to its generated code: its object, and how a spec change is sent.
pub trait GeneratedKind: Send + Sync + 'static {
    type Object: ManagedObject + HasStatus<Status = Self::Status>;
    type Spec: GeneratedSpec + SageMakerSpec + Serialize + Send + Sync;
    type Status: GeneratedStatus
        + HasCommonStatus
        + Serialize
        + Clone
        + Default
        + std::fmt::Debug
        + Send
        + Sync;
    type Calls: GeneratedCalls<Spec = Self::Spec, Status = Self::Status>;
    /// The configuration's word on the kind (crates/codegen/kinds.yaml).
    const INFO: KindInfo;
    /// The kinds its references name (the `kind` of each generated reference field).
    const REFERENCED: &'static [&'static Target] = &[];

    fn spec(object: &Self::Object) -> &Self::Spec;
    /// References the generated spec does not make (the run a `registeredBy` step is in),
    /// resolved by the engine like the generated ones.
    fn extra_references(_object: &Self::Object) -> Vec<Reference> {
        Vec::new()
    }
    /// Makes the resource (the generated Create call): the name SageMaker gave it, when it
    /// names it. `resolved`: every reference's SageMaker name, by spec field; `refs`: the
    /// generated ones, as the generated requests take them.
    fn create(
        sagemaker: &SageMakerHandle,
        spec: &Self::Spec,
        name: &str,
        owner_uid: &str,
        refs: &ResolvedReferences,
        _resolved: &Resolved,
    ) -> impl Future<Output = Result<Option<String>, CreateError>> + Send {
        async move {
            Self::Calls::create(sagemaker, spec, name, owner_uid, refs)
                .await
                .map_err(create_error)
        }
    }
    /// Sends the object's spec to the steady resource `remote` (its Update call or calls).
    /// `recorded` tells whether a spec is the one last sent. Without an Update call (a job, a
    /// model package group: every field fixed at admission) there is nothing to send.
    fn update(
        _sagemaker: &SageMakerHandle,
        _spec: &Self::Spec,
        _remote_name: &str,
        _remote: &Described<Self::Status>,
        _refs: &ResolvedReferences,
        _recorded: &(dyn Fn(&Self::Spec) -> bool + Sync),
    ) -> impl Future<Output = Result<(), CallError>> + Send {
        async { Ok(()) }
    }
    /// What the status's `additional` says of the resource SageMaker describes: its failure
    /// reason, where the kind knows nothing better.
    fn additional(remote: &Described<Self::Status>) -> Option<String> {
        remote.failure_reason.clone()
    }
}

/// The `engine::single::Kind` of a generated kind.
pub struct Generated<G>(pub G);

/// How soon a kind whose List cannot find changes by modification time (a model package group)
/// Describes a resource in a transitional state again: the status poller cannot wake it.
const LOOK_AGAIN_UNLISTED: std::time::Duration = std::time::Duration::from_secs(5);

/// The engine's resolved references (by spec field) as a generated request takes them (by
/// referenced kind and object name).
fn references(spec: &impl GeneratedSpec, resolved: &Resolved) -> ResolvedReferences {
    let mut references = ResolvedReferences::default();
    for reference in spec.references() {
        if let Some(sagemaker_name) = resolved.get(&reference.field) {
            references.insert(reference.kind, reference.name, sagemaker_name);
        }
    }
    references
}

/// A reference not resolved yet is no request (the message names the object); SageMaker's
/// answer is SageMaker's.
pub fn create_error(error: CallError) -> CreateError {
    match error {
        CallError::Unresolved(unresolved) => CreateError::Unsupported(unresolved.to_string()),
        CallError::SageMaker(error) => CreateError::SageMaker(error),
    }
}

impl<G: GeneratedKind> ListModified for Generated<G> {
    // A kind whose List has no LastModifiedTimeAfter (a model package group) gets no poller:
    // it is Described again while transitional (`look_again_after`).
    const LISTS: bool = G::INFO.listed_by_modification;
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        G::Calls::modified_after(sagemaker, after).await
    }
}

impl<G: GeneratedKind> Kind for Generated<G> {
    type Object = G::Object;
    type Spec = G::Spec;
    type Status = G::Status;
    type Remote = Described<G::Status>;
    type Lister = Self;

    const KIND: &'static str = G::INFO.kind;
    const STATES: States = States::SageMaker;
    // A job is stopped on delete and runs as created; the other resources SageMaker updates
    // in place and deletes in the background.
    const LIFECYCLE: Lifecycle = if G::INFO.job {
        super::JOB
    } else {
        super::UPDATED
    };
    const SPEC_NAME_FIELD: Option<&'static str> = G::INFO.name_field;
    const NAMED_BY_SAGEMAKER: bool = G::INFO.name_field.is_none();
    const MAX_NAME_LEN: usize = G::INFO.max_name_len;
    const STATE_WORDS: Option<StateWords> = Some(StateWords {
        steady: G::INFO.steady,
        failed: G::INFO.failed,
        deleting: G::INFO.deleting,
        stopping: G::INFO.stopping,
    });

    const REFERENCED: &'static [&'static Target] = G::REFERENCED;

    fn spec(object: &G::Object) -> &G::Spec {
        G::spec(object)
    }
    /// The generated reference fields, each with the target of its kind.
    fn references(object: &G::Object) -> Vec<Reference> {
        G::spec(object)
            .references()
            .into_iter()
            .filter_map(|reference| {
                let target = G::REFERENCED
                    .iter()
                    .find(|target| target.kind == reference.kind)?;
                Some(Reference {
                    field: reference.field,
                    target,
                    name: reference.name.to_string(),
                })
            })
            .chain(G::extra_references(object))
            .collect()
    }
    fn spec_name(object: &G::Object) -> Option<&str> {
        G::spec(object).sagemaker_name()
    }
    /// A resource SageMaker names is created under the object's UID as the idempotency token
    /// (it fits any token: 36 characters of letters, digits and hyphens); once the create
    /// answered, the status records the name SageMaker gave.
    fn remote_name(object: &G::Object) -> String {
        match G::INFO.name_field {
            Some(_) => crate::engine::single::derived_remote_name::<Self>(object),
            None => object.meta().uid.clone().unwrap_or_default(),
        }
    }
    fn status_fields(status: &mut G::Status) -> StatusFields<'_> {
        let (status, sagemaker_name) = status.state_and_name();
        StatusFields {
            status,
            sagemaker_name,
            last_update_time: None,
        }
    }
    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &G::Object,
        name: &str,
        owner_uid: &str,
        resolved: &Resolved,
    ) -> Result<Created, CreateError> {
        let spec = G::spec(object);
        let refs = references(spec, resolved);
        let assigned = G::create(sagemaker, spec, name, owner_uid, &refs, resolved).await?;
        Ok(assigned.map_or(Created::AsSent, Created::Assigned))
    }
    async fn update(
        &self,
        sagemaker: &SageMakerHandle,
        object: &G::Object,
        name: &str,
        remote: &Described<G::Status>,
        resolved: &Resolved,
    ) -> Result<(), CreateError> {
        let spec = G::spec(object);
        let recorded = |candidate: &G::Spec| is_recorded_spec::<Self>(object, candidate);
        G::update(
            sagemaker,
            spec,
            name,
            remote,
            &references(spec, resolved),
            &recorded,
        )
        .await
        .map_err(create_error)
    }
    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<Described<G::Status>, SageMakerError> {
        G::Calls::describe(sagemaker, name).await
    }
    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        name: &str,
    ) -> Result<(), SageMakerError> {
        G::Calls::stop_or_delete(sagemaker, name).await
    }
    fn arn(remote: &Described<G::Status>) -> String {
        remote.arn.clone()
    }
    fn status_text(remote: &Described<G::Status>) -> String {
        remote.state.clone()
    }
    fn last_modified(remote: &Described<G::Status>) -> Option<jiff::Timestamp> {
        remote.last_modified
    }
    fn look_again_after(remote: &Described<G::Status>) -> Option<std::time::Duration> {
        let transitional = G::INFO.transitional.contains(&remote.state.as_str());
        (!G::INFO.listed_by_modification && transitional).then_some(LOOK_AGAIN_UNLISTED)
    }
    /// SageMaker's side of the status, with its failure reason (or the kind's word on it) in
    /// `additional`.
    fn status_from(
        _object: &G::Object,
        remote: &Described<G::Status>,
        _location: &ApiLocation,
    ) -> G::Status {
        let mut status = remote.status.clone();
        status.common_mut().additional = G::additional(remote);
        status
    }
}
