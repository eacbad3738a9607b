//! Model and EndpointConfig objects: one SageMaker model or endpoint configuration each, named
//! after the object (so a BatchTransformJob or an endpoint can refer to it by that name).
//! SageMaker cannot change either, so a spec change deletes the old one and creates the new one
//! under the same name; deleting the object deletes it. Neither has a lifecycle in SageMaker, so
//! there is nothing to poll: each reconcile is triggered by the object alone.

mod decide;
mod kinds;
mod steps;

pub use kinds::{EndpointConfigKind, ModelKind};

use std::fmt::Debug;
use std::future::Future;
use std::marker::PhantomData;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::ResourceExt;
use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use sagemaker_k8s_api::{CommonStatus, HasCommonStatus, SageMakerSpec};
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;
use sagemaker_k8s_aws::hosting::ResourceDescription;
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

use crate::digest::json_hash;
use crate::engine::EngineError;
use crate::engine::controller::ControllerShared;
use crate::engine::{Run, Strategy, Wake};
use crate::naming::object_or_derived_name;
use crate::object_patch::ManagedObject;
use crate::status_poller::NotPolled;

/// Status value once the resource exists in SageMaker.
pub const CREATED: &str = "Created";
/// Status value when SageMaker refused the spec.
pub const FAILED_STATUS: &str = "Failed";

/// What a standalone kind contributes: its SageMaker calls and where its status keeps what.
pub trait StandaloneKind: Send + Sync + 'static {
    type Object: ManagedObject + HasStatus<Status = Self::Status>;
    type Spec: SageMakerSpec + serde::Serialize;
    type Status: HasCommonStatus + serde::Serialize + Clone + Default + Debug + Send + Sync;
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

/// The engine's strategy for one standalone kind.
pub struct Standalone<S>(PhantomData<S>);

impl<S> Default for Standalone<S> {
    fn default() -> Self {
        Standalone(PhantomData)
    }
}

type StandaloneRun<'a, S> = Run<'a, Standalone<S>>;

impl<S: StandaloneKind> Strategy for Standalone<S> {
    type Object = S::Object;
    type Status = S::Status;
    type Handle = SageMakerHandle;
    type Lister = NotPolled;
    const KIND: &'static str = S::KIND;
    const WAKE: Wake = Wake::OnEveryChange;
    // Neither has a lifecycle in SageMaker: only the object triggers a reconcile.
    const POLLED: bool = false;
    const FAILED_STATE: Option<&'static str> = Some(FAILED_STATUS);

    fn state(status: &mut S::Status) -> &mut Option<String> {
        S::status_fields(status).status
    }

    fn locate(
        shared: &ControllerShared,
        object: &S::Object,
    ) -> Result<SageMakerHandle, EndpointRefused> {
        let spec = S::spec(object);
        let location = shared
            .clients
            .locate(spec.region(), spec.sage_maker_endpoint())?;
        Ok(shared.clients.handle(&location))
    }

    fn may_have_created(object: &S::Object) -> bool {
        Standalone::<S>::recorded_state(object).as_deref() == Some(CREATED)
    }

    async fn reconcile(run: &StandaloneRun<'_, S>) -> Result<Action, EngineError> {
        steps::reconcile::<S>(run).await
    }

    async fn finalize(run: &StandaloneRun<'_, S>) -> Result<Action, EngineError> {
        steps::finalize::<S>(run).await
    }
}

/// The SageMaker name: once recorded, the name stays (the original operator derived other
/// names than this one, `<name>-<uid hex>`, and its objects keep theirs when this operator
/// takes them over).
fn sagemaker_name<S: StandaloneKind>(object: &S::Object, uid: &str) -> String {
    match recorded_name::<S>(object) {
        Some(recorded) if !recorded.is_empty() => recorded,
        _ => object_or_derived_name(&object.name_any(), uid),
    }
}

fn spec_hash<S: StandaloneKind>(object: &S::Object) -> String {
    json_hash(&serde_json::to_value(S::spec(object)).expect("specs serialize to JSON"))
}
