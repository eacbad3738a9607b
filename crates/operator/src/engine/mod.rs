//! The one reconcile engine, shared by every kind.
//!
//! The engine owns what every kind does the same way: the controller and its triggers (the
//! watch, the status poller), the error policy and its backoff, the span every log line of a
//! reconcile carries, the object's UID, where its resources live (region, endpoint, and the
//! endpoint policy's refusal), the finalizer, the one failure reporter (status, conditions,
//! Event), retryable errors, and the ownership rule ([`ownership`]). A kind plugs in as a
//! [`Strategy`]: what it decides and calls between "the object is ready to reconcile" and
//! "done".
//!
//! The strategies:
//! - [`single`]: one object mirrors one SageMaker resource (every job kind, and every kind
//!   that is one resource); each kind is a thin [`single::Kind`] (its configuration and hooks,
//!   in `crate::adapters`), and the decisions are one pure function (`single/decide.rs`) from
//!   what SageMaker said and what the object recorded to the next step, table-tested.
//! - `hosting::deployment`: a composite (models → endpoint config → endpoint, updates in place);
//!   its decisions are `hosting/deployment/decide.rs`.
//! - `hosting::autoscaling`: a composite (scalable targets → policies); `plan.rs`.
//!
//! The engine names no kind: the kinds name it.

pub mod controller;
mod decide;
mod error;
pub mod ownership;
mod panics;
pub mod references;
#[cfg(test)]
pub mod scripted;
pub mod single;
pub mod tags;

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    ADOPTION_POLICY_ANNOTATION, DELETION_POLICY_ANNOTATION, FINALIZER, HasCommonStatus,
    OBSERVE_ANNOTATION, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
};
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;
use sagemaker_k8s_aws::{ErrorKind, SageMakerError};
use serde::Serialize;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::conditions::{
    ENDPOINT_NOT_ALLOWED, FAILED, INVALID_ANNOTATION, INVALID_DELETION_POLICY, RETRYING,
    mark_failed,
};
use crate::events::publish_event;
use crate::finalizer::{Edit, add_finalizer, has_finalizer, remove_finalizer};
use crate::object_patch::ManagedObject;
use crate::status_patch::StatusWriter;
use crate::status_poller::{ListModified, Registry};
use controller::ControllerShared;
pub use decide::{Adoption, DeletionPolicy, RefusedLocation, on_refused_location};
pub use error::{EngineError, ErrorCategory, sagemaker_message};
use error::{message_to_record, retrying_message};
use references::Target;

/// How the watch wakes a kind's objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Only a new object or a new generation (a spec edit; a delete bumps it too): the
    /// operator's own status and metadata writes do not, and SageMaker's changes come from the
    /// status poller.
    OnNewGeneration,
    /// Every change of the object (the kind reads what other writers put on it).
    OnEveryChange,
}

/// What one kind contributes to the engine.
pub trait Strategy: Sized + Send + Sync + 'static {
    type Object: ManagedObject + HasStatus<Status = Self::Status>;
    /// The kind's status (the api crate's struct): what the strategy builds and the engine
    /// compares and writes.
    type Status: HasCommonStatus + Serialize + Clone + Default + Debug + Send + Sync;
    /// The client the kind's calls go through, for the object's region and endpoint.
    type Handle: Send + Sync;
    /// Lists the kind's SageMaker resources changed after a time, for the status poller
    /// (read only when [`POLLED`](Self::POLLED)).
    type Lister: ListModified;

    /// Kind name for logs, events and metrics.
    const KIND: &'static str;
    const WAKE: Wake;
    /// Whether SageMaker changes the kind's resources on its own (a job ends, an endpoint
    /// becomes InService), so a status poller follows them.
    const POLLED: bool;
    /// The status value a failure the operator cannot get past shows (`None`: the status keeps
    /// what SageMaker reports, as a HostingDeployment's endpoint status does).
    const FAILED_STATE: Option<&'static str> = Some("Failed");
    /// Whether the kind adopts or observes an existing resource the spec names when asked to
    /// (the annotations `sagemaker.aws.amazon.com/adoption-policy` and `.../observe`); the
    /// engine refuses them on a kind that does not.
    const BY_NAME: bool = false;
    /// The status value written with the finalizer, before anything is sent (`None`: the
    /// strategy adds the finalizer itself, in its own first patch).
    const INITIAL_STATE: Option<&'static str> = Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER);

    /// The status field that shows the resource's state (the STATUS column of `kubectl get`).
    fn state(status: &mut Self::Status) -> &mut Option<String>;
    /// The recorded state; also what metrics count objects by.
    fn recorded_state(object: &Self::Object) -> Option<String> {
        let mut status = object.status()?.clone();
        Self::state(&mut status).take()
    }
    /// The client for the object's location, unless the operator's endpoint policy refuses it.
    fn locate(
        shared: &ControllerShared,
        object: &Self::Object,
    ) -> Result<Self::Handle, EndpointRefused>;
    /// The kinds this kind's objects may refer to ([`references`]): a change of one of their
    /// objects wakes the objects that refer to it.
    fn referenced() -> &'static [&'static Target] {
        &[]
    }
    /// Whether `object` refers to the object `name` of `target`'s kind (in its namespace).
    fn refers_to(_object: &Self::Object, _target: &Target, _name: &str) -> bool {
        false
    }
    /// Whether something may exist at the object's location because of it. A deleted object
    /// whose location is refused (the policy changed) may only go when nothing can.
    fn may_have_created(object: &Self::Object) -> bool;

    /// Brings SageMaker to the object's spec and the status to SageMaker's.
    fn reconcile(run: &Run<'_, Self>) -> impl Future<Output = Result<Action, EngineError>> + Send;
    /// The object is being deleted: stop or delete what it owns (`Delete`), or keep it and
    /// remove the ownership tag (`Retain`); [`Run::release`] lets it go.
    fn finalize(
        run: &Run<'_, Self>,
        policy: DeletionPolicy,
    ) -> impl Future<Output = Result<Action, EngineError>> + Send;
}

/// Shared state of one kind's controller.
pub struct Engine<S: Strategy> {
    pub strategy: S,
    pub shared: ControllerShared,
    /// Names the status poller follows, and what each Describe showed.
    pub registry: Arc<Registry<S::Object>>,
}

impl<S: Strategy> Engine<S> {
    pub fn new(strategy: S, shared: &ControllerShared) -> Arc<Self> {
        Arc::new(Engine {
            strategy,
            shared: shared.clone(),
            registry: Default::default(),
        })
    }
}

/// Runs one kind's controller until shutdown.
pub async fn run<S: Strategy>(engine: Arc<Engine<S>>, namespace: Option<String>) {
    let shared = &engine.shared;
    let api: Api<S::Object> = match &namespace {
        Some(namespace) => Api::namespaced(shared.client.clone(), namespace),
        None => Api::all(shared.client.clone()),
    };
    let mut controller = match S::WAKE {
        Wake::OnNewGeneration => {
            controller::generation_driven_controller(api, shared.max_concurrent_reconciles)
        }
        Wake::OnEveryChange => {
            controller::trimmed_cache_controller(api, shared.max_concurrent_reconciles)
        }
    };
    for target in S::referenced() {
        controller = controller::watch_referenced(
            controller,
            &shared.client,
            namespace.as_deref(),
            target,
            S::refers_to,
        );
    }
    if S::POLLED && <S::Lister as ListModified>::LISTS {
        let changed = crate::status_poller::spawn::<S::Object, S::Lister>(
            engine.registry.clone(),
            shared.clients.clone(),
            shared.polling.clone(),
            S::KIND,
        );
        controller = controller.reconcile_on(UnboundedReceiverStream::new(changed));
    }
    controller::drive(
        S::KIND,
        engine.shared.backoff.clone(),
        controller,
        S::recorded_state,
        reconcile::<S>,
        error_policy::<S>,
        engine,
    )
    .await;
}

/// The error policy of every kind: log the failure and retry after the object's backoff.
fn error_policy<S: Strategy>(
    object: Arc<S::Object>,
    error: &EngineError,
    engine: Arc<Engine<S>>,
) -> Action {
    controller::retry_after_error(S::KIND, &engine.shared.backoff, object.as_ref(), error)
}

/// One reconcile, inside a span naming the object, so every log line of it (the SDK's and
/// kube's included) says which object it is about. Strategies record the SageMaker name in it.
async fn reconcile<S: Strategy>(
    object: Arc<S::Object>,
    engine: Arc<Engine<S>>,
) -> Result<Action, EngineError> {
    use tracing::Instrument as _;
    let span = tracing::info_span!("reconcile", kind = S::KIND, namespace = %object.namespace().unwrap_or_default(), object = %object.name_any(), sagemaker_name = tracing::field::Empty);
    let result = panics::caught(reconcile_object(object.as_ref(), &engine))
        .instrument(span.clone())
        .await;
    if let Err(EngineError::Panicked(message)) = &result {
        report_panic(object.as_ref(), &engine, message)
            .instrument(span)
            .await;
    }
    if result.is_err() {
        // What a failed reconcile observed may not be in the status: the retry looks again.
        engine
            .registry
            .unobserve(&crate::status_poller::key_of(object.as_ref()));
    }
    result
}

/// Tells the object's users that the operator hit a bug on it: the `Failed` condition (the
/// kind's state is SageMaker's and stays as it was) and a Warning Event. The error policy then
/// retries after the object's backoff.
async fn report_panic<S: Strategy>(object: &S::Object, engine: &Engine<S>, message: &str) {
    tracing::error!(kind = S::KIND, %message, "reconcile panicked; retrying after backoff");
    let run = Run {
        engine,
        object,
        uid: object.meta().uid.clone().unwrap_or_default(),
        handle: (),
        status: StatusWriter::new(&engine.shared.client, object),
    };
    let note = format!(
        "the operator panicked reconciling this object (a bug; please report it): {message}"
    );
    let shown = run
        .show_failed(run.status.recorded(), ErrorCategory::Panic.reason(), note)
        .await;
    if let Err(error) = shown {
        tracing::warn!(kind = S::KIND, %error, "could not record the panic in the status");
    }
}

async fn reconcile_object<S: Strategy>(
    object: &S::Object,
    engine: &Engine<S>,
) -> Result<Action, EngineError> {
    panics::inject(
        engine.shared.inject_panic_for.as_deref(),
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    );
    let uid = object
        .meta()
        .uid
        .clone()
        .ok_or(EngineError::MissingMetadata("uid"))?;
    let deleting = object.meta().deletion_timestamp.is_some();
    if deleting && !has_finalizer(object) {
        return Ok(Action::await_change());
    }
    let status = StatusWriter::new(&engine.shared.client, object);
    let handle = match S::locate(&engine.shared, object) {
        Ok(handle) => handle,
        Err(refused) => {
            let run = Run {
                engine,
                object,
                uid,
                handle: (),
                status,
            };
            return match on_refused_location(deleting, S::may_have_created(object)) {
                RefusedLocation::Release => run.release().await,
                RefusedLocation::Report => {
                    run.report_failure(ENDPOINT_NOT_ALLOWED, refused.to_string())
                        .await
                }
                RefusedLocation::ReportAndKeep(after) => {
                    // The policy changed after this object's resource was created: releasing
                    // the object would orphan the resource, so say what blocks the delete.
                    run.report_failure(
                        ENDPOINT_NOT_ALLOWED,
                        format!("cannot stop or delete the SageMaker resource: {refused}"),
                    )
                    .await?;
                    Ok(Action::requeue(after))
                }
            };
        }
    };
    let run = Run {
        engine,
        object,
        uid,
        handle,
        status,
    };
    if deleting {
        return match run.deletion_policy().await? {
            Ok(policy) => S::finalize(&run, policy).await,
            Err(invalid) => {
                // Neither deleted nor released until the annotation is fixed; the state stays
                // SageMaker's (the resource is untouched).
                let message = format!("{invalid}; the object is kept until it is fixed");
                run.show_failed(run.status.recorded(), INVALID_DELETION_POLICY, message)
                    .await?;
                Ok(Action::requeue(decide::INVALID_POLICY_RETRY))
            }
        };
    }
    if let Some(initial) = S::INITIAL_STATE
        && !has_finalizer(object)
    {
        if add_finalizer(&engine.shared.client, object).await? == Edit::ListChanged {
            return Ok(Action::await_change());
        }
        let mut first = run.status.recorded();
        let state = S::state(&mut first);
        if state.is_none() {
            *state = Some(initial.to_string());
            run.status.write(first).await?;
        }
        // The patch produces a watch event that brings the updated object back.
        return Ok(Action::await_change());
    }
    if let Some(refused) = refused_controls::<S>(object) {
        return run.report_failure(INVALID_ANNOTATION, refused).await;
    }
    S::reconcile(&run).await
}

/// Why the object's adoption policy or observe annotation cannot be followed: not one of their
/// words, or a kind that cannot find a resource by a name the spec gives.
fn refused_controls<S: Strategy>(object: &S::Object) -> Option<String> {
    let annotations = object.annotations();
    let adoption = annotations.get(ADOPTION_POLICY_ANNOTATION);
    let observe = annotations.get(OBSERVE_ANNOTATION);
    if let Some(Err(invalid)) = adoption.map(|value| decide::adoption_policy(Some(value))) {
        return Some(invalid.to_string());
    }
    if let Some(Err(invalid)) = observe.map(|value| decide::observe(Some(value))) {
        return Some(invalid.to_string());
    }
    let asked = [
        adoption.map(|_| ADOPTION_POLICY_ANNOTATION),
        observing(object).then_some(OBSERVE_ANNOTATION),
    ];
    let asked = asked.into_iter().flatten().collect::<Vec<_>>();
    (!asked.is_empty() && !S::BY_NAME).then(|| {
        format!(
            "{} is not supported for {}, whose resources are not found by a name the spec gives: remove it",
            asked.join(" and "),
            S::KIND
        )
    })
}

/// Whether the object only follows its resource (`sagemaker.aws.amazon.com/observe: "true"`);
/// a value [`refused_controls`] refuses is never read.
pub fn observing(object: &impl Resource) -> bool {
    let value = object.annotations().get(OBSERVE_ANNOTATION);
    decide::observe(value.map(String::as_str)).unwrap_or(false)
}

/// The object's adoption policy; one [`refused_controls`] refuses is never read.
pub fn adoption_of(object: &impl Resource) -> Adoption {
    let value = object.annotations().get(ADOPTION_POLICY_ANNOTATION);
    decide::adoption_policy(value.map(String::as_str)).unwrap_or_default()
}

/// One reconcile of one object: what every strategy reads and the steps they share.
pub struct Run<'a, S: Strategy, H = <S as Strategy>::Handle> {
    pub engine: &'a Engine<S>,
    pub object: &'a S::Object,
    pub uid: String,
    /// The client for the object's location.
    pub handle: H,
    /// The object's status during this reconcile.
    pub status: StatusWriter<'a, S::Object>,
}

impl<S: Strategy, H> Run<'_, S, H> {
    pub fn client(&self) -> &kube::Client {
        &self.engine.shared.client
    }

    pub async fn event(&self, type_: EventType, reason: &str, note: String) {
        publish_event(
            &self.engine.shared.recorder,
            S::KIND,
            self.object,
            type_,
            reason,
            note,
        )
        .await;
    }

    /// The one failure reporter: a failure retrying will not fix (the spec was refused, the
    /// name is someone else's, the endpoint is not allowed). The kind's state shows
    /// [`Strategy::FAILED_STATE`], `Failed` is true and `Ready` false with `reason`, the message
    /// is in `additional`, and a Warning Event tells it once. A spec change brings the next try.
    pub async fn report_failure(
        &self,
        reason: &str,
        message: String,
    ) -> Result<Action, EngineError> {
        let message =
            message_to_record(self.recorded_condition_message(FAILED).as_deref(), message);
        let mut failed = self.status.recorded();
        if let Some(state) = S::FAILED_STATE {
            *S::state(&mut failed) = Some(state.to_string());
        }
        self.show_failed(failed, reason, message).await?;
        Ok(Action::await_change())
    }

    /// `failed` with the `Failed` condition (`reason`, `message`) written, and one Warning Event
    /// when that changes the status.
    async fn show_failed(
        &self,
        mut failed: S::Status,
        reason: &str,
        message: String,
    ) -> Result<(), EngineError> {
        mark_failed(
            failed.common_mut(),
            reason,
            message.clone(),
            self.object.meta().generation,
        );
        if self.status.would_change(&failed) {
            self.event(EventType::Warning, reason, message).await;
            self.status.write(failed).await?;
        }
        Ok(())
    }

    /// Records a SageMaker failure a retry may get past (the `Retrying` condition, `additional`,
    /// a Warning Event) and returns it for the error policy. A new object whose first call
    /// failed shows `SynchronizingK8sJobWithSageMaker`, as the original operator's did.
    pub async fn retryable(&self, error: SageMakerError) -> EngineError {
        let mut synchronizing = self.status.recorded();
        let state = S::state(&mut synchronizing);
        if state.is_none() {
            *state = Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER.into());
            if let Err(patch_error) = self.status.write(synchronizing).await {
                tracing::warn!(kind = S::KIND, %patch_error, "could not record the status");
            }
        }
        let message = message_to_record(
            self.recorded_condition_message(RETRYING).as_deref(),
            retrying_message(&error),
        );
        self.status
            .record_retryable_error(
                &self.engine.shared.recorder,
                S::KIND,
                ErrorCategory::of(&error).reason(),
                message,
            )
            .await;
        error.into()
    }

    /// A decision core's `Retry` step: [`retryable`](Self::retryable) with the last call's
    /// failure. Without one, the resource `name` was created but is not visible yet, which is
    /// transient.
    pub async fn retry_last(&self, last_error: Option<SageMakerError>, name: &str) -> EngineError {
        let error = last_error.unwrap_or_else(|| {
            SageMakerError::new(
                ErrorKind::Transient,
                format!("{} {name} is not visible yet", S::KIND),
            )
        });
        self.retryable(error).await
    }

    /// The message of the object's condition `type_` as last written.
    fn recorded_condition_message(&self, type_: &str) -> Option<String> {
        self.status
            .recorded()
            .common()
            .conditions
            .iter()
            .flatten()
            .find(|condition| condition.type_ == type_)
            .map(|condition| condition.message.clone())
    }

    /// The deleted object's deletion policy ([`decide::deletion_policy`]); its namespace is
    /// read only when the object names none.
    async fn deletion_policy(
        &self,
    ) -> Result<Result<DeletionPolicy, decide::InvalidAnnotation>, EngineError> {
        let on_object = self.object.annotations().get(DELETION_POLICY_ANNOTATION);
        let on_namespace = match (on_object, self.object.namespace()) {
            (None, Some(namespace)) => {
                let namespaces: Api<Namespace> = Api::all(self.client().clone());
                namespaces
                    .get(&namespace)
                    .await?
                    .annotations()
                    .get(DELETION_POLICY_ANNOTATION)
                    .cloned()
            }
            _ => None,
        };
        Ok(decide::deletion_policy(
            on_object.map(String::as_str),
            on_namespace.as_deref(),
            self.engine.shared.deletion_policy,
        ))
    }

    /// Lets a deleted object go: SageMaker's side is gone, terminal, or never was.
    pub async fn release(&self) -> Result<Action, EngineError> {
        remove_finalizer(self.client(), self.object, FINALIZER).await?;
        Ok(Action::await_change())
    }
}

/// How soon a deleted object whose resources are still going looks again.
pub const RELEASE_POLL: Duration = Duration::from_secs(2);
