//! Drives one kind's kube-runtime `Controller` until shutdown, for the engine (`engine::run`):
//! every kind reports the same metrics — reconciles and reconcile errors per kind (and per error
//! category), and objects per kind and status (read from the controller's own cache at scrape
//! time).

use std::fmt::Debug;
use std::sync::Arc;

use futures::{StreamExt, TryFuture};
use kube::runtime::controller::{Action, Controller, Error as ControllerError};
use kube::runtime::{WatchStreamExt, predicates, reflector, watcher};
use kube::{Api, Resource};
use sagemaker_k8s_api::{
    ADOPTION_POLICY_ANNOTATION, DELETION_POLICY_ANNOTATION, OBSERVE_ANNOTATION,
};
use serde::de::DeserializeOwned;
use std::hash::{Hash as _, Hasher as _};

/// What every controller shares: the Kubernetes client, the SageMaker clients, the event
/// recorder and the timing settings from the command line.
#[derive(Clone)]
pub struct ControllerShared {
    pub client: kube::Client,
    pub clients: Arc<sagemaker_k8s_aws::SageMakerClients>,
    pub recorder: crate::events::EventRecorder,
    /// How often a resource in transition is looked at when nothing else triggers it (the
    /// hosting kinds; the job engine relies on the poller's safety re-list instead).
    pub in_progress_requeue: std::time::Duration,
    /// How the status pollers pace their List calls (one budget per region for all kinds).
    pub polling: crate::status_poller::PollerSettings,
    /// Retry delays of failed reconciles, per object, for every kind.
    pub backoff: Arc<crate::error_backoff::ErrorBackoff>,
    /// Most reconciles one controller runs at once (0: no limit).
    pub max_concurrent_reconciles: u16,
    /// What deleting an object does to its resource when neither it nor its namespace says
    /// (`--deletion-policy`).
    pub deletion_policy: crate::engine::DeletionPolicy,
    /// `NAMESPACE/NAME` of an object whose reconciles panic (the hidden test flag
    /// `--inject-panic-for`); None in production.
    pub inject_panic_for: Option<String>,
}

/// kubectl's copy of the last applied manifest: a second copy of the spec in every object.
const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A controller for every object `api` sees, woken by every change of it, whose cache keeps
/// what reconciles read and not the bulk the apiserver sends along: managedFields and kubectl's
/// last-applied annotation are dropped before objects enter the cache (most of the operator's
/// memory at 10,000 objects). Reconciles only ever merge-patch the fields they own, so the
/// trimmed copies are never written back.
pub fn trimmed_cache_controller<K>(api: Api<K>, max_concurrent_reconciles: u16) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let objects = trimmed_watch(api).reflect(writer).applied_objects();
    Controller::for_stream(objects, reader).with_config(config(max_concurrent_reconciles))
}

/// Like [`trimmed_cache_controller`], but woken by the watch only when an object is new, its
/// generation moved (a spec edit; a delete bumps it too) or a reconcile was asked for (the
/// `reconcile-requested-at` annotation), not by status, label, other annotation or finalizer
/// writes — the operator's own writes among them, which at N objects would otherwise
/// wake N reconciles. Its other triggers (the status poller, requeues) are unaffected.
pub fn generation_driven_controller<K>(api: Api<K>, max_concurrent_reconciles: u16) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let objects = trimmed_watch(api)
        .reflect(writer)
        .applied_objects()
        .predicate_filter(generation_or_request, Default::default());
    Controller::for_stream(objects, reader).with_config(config(max_concurrent_reconciles))
}

/// What a generation-driven controller is woken by: the generation (`predicates::generation`),
/// the `reconcile-requested-at` annotation (a user's "look again now"), and the control
/// annotations that change what a reconcile does (observe, adoption-policy, deletion-policy: a
/// deleted object held for an invalid value goes as soon as it is fixed).
fn generation_or_request<K: Resource>(object: &K) -> Option<u64> {
    let requested = crate::status_patch::reconcile_requested(object);
    let annotations = object.meta().annotations.as_ref();
    let controls = [
        OBSERVE_ANNOTATION,
        ADOPTION_POLICY_ANNOTATION,
        DELETION_POLICY_ANNOTATION,
    ]
    .map(|key| annotations.and_then(|annotations| annotations.get(key)));
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (predicates::generation(object), requested, controls).hash(&mut hasher);
    Some(hasher.finish())
}

fn config(max_concurrent_reconciles: u16) -> kube::runtime::controller::Config {
    kube::runtime::controller::Config::default().concurrency(max_concurrent_reconciles)
}

/// The watch of `api` with managedFields and the last-applied annotation dropped.
fn trimmed_watch<K>(
    api: Api<K>,
) -> impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    watcher::watcher(api, watcher::Config::default().any_semantic())
        .default_backoff()
        .modify(|object: &mut K| {
            let meta = object.meta_mut();
            meta.managed_fields = None;
            if let Some(annotations) = meta.annotations.as_mut() {
                annotations.remove(LAST_APPLIED_ANNOTATION);
            }
        })
}

/// Wakes the objects of `controller` that refer to an object of `target`'s kind whenever one
/// appears, changes or goes (see `engine::references`): found through the controller's own
/// cache, so a referring object waits without polling.
pub fn watch_referenced<K>(
    controller: Controller<K>,
    client: &kube::Client,
    namespace: Option<&str>,
    target: &'static super::references::Target,
    refers_to: fn(&K, &super::references::Target, &str) -> bool,
) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    let resource = (target.api_resource)();
    let api: Api<kube::api::DynamicObject> = match namespace {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let store = controller.store();
    controller.watches_with(
        api,
        resource,
        watcher::Config::default().any_semantic(),
        move |referenced| super::references::referrers(&store, target, &referenced, refers_to),
    )
}

/// The error policy of every controller: log the failure and retry the object after its
/// exponential, jittered backoff (reset by its next successful reconcile, see [`drive`]).
pub fn retry_after_error<K: Resource<DynamicType = ()>>(
    kind: &'static str,
    backoff: &crate::error_backoff::ErrorBackoff,
    object: &K,
    error: &dyn std::fmt::Display,
) -> Action {
    use kube::ResourceExt as _;
    let namespace = object.namespace().unwrap_or_default();
    let name = object.name_any();
    let delay = backoff.failed(kind, &namespace, &name);
    tracing::warn!(kind, %namespace, object = %name, %error, retry_in_ms = delay.as_millis() as u64, "reconcile failed, retrying");
    Action::requeue(delay)
}

/// Runs `controller` with `reconcile` and `error_policy` until shutdown. A successful reconcile
/// resets the object's error backoff; watch and queue errors (kube-runtime retries them itself)
/// are logged at warn, since a watch that keeps failing means the operator is blind.
pub async fn drive<K, Ctx, ReconcileFut>(
    kind: &'static str,
    backoff: Arc<crate::error_backoff::ErrorBackoff>,
    controller: Controller<K>,
    status_of: fn(&K) -> Option<String>,
    reconcile: impl FnMut(Arc<K>, Arc<Ctx>) -> ReconcileFut,
    error_policy: impl Fn(Arc<K>, &ReconcileFut::Error, Arc<Ctx>) -> Action,
    ctx: Arc<Ctx>,
) where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
    ReconcileFut: TryFuture<Ok = Action, Error = super::error::EngineError> + Send + 'static,
{
    crate::metrics::global().track_kind(kind, controller.store(), status_of);
    controller
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|result| {
            let backoff = backoff.clone();
            async move {
                match &result {
                    Ok((object, _)) => {
                        crate::metrics::global().reconciled(kind, true);
                        backoff.succeeded(kind, object.namespace.as_deref().unwrap_or_default(), &object.name);
                    }
                    // The error policy has logged it and chosen the retry delay.
                    Err(ControllerError::ReconcilerFailed(error, _)) => {
                        crate::metrics::global().reconciled(kind, false);
                        crate::metrics::global().reconcile_failed(kind, error.category().as_str());
                    }
                    Err(error) => {
                        crate::metrics::global().watch_error(kind);
                        tracing::warn!(kind, %error, "watching or queueing objects failed; retrying");
                    }
                }
            }
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagemaker_k8s_api::RECONCILE_REQUESTED_AT_ANNOTATION;

    /// A generation-driven object wakes for a new generation, a new request or a control
    /// annotation, not for the operator's own annotations.
    #[test]
    fn a_new_generation_or_reconcile_request_wakes_an_object() {
        let object = |generation: i64, annotations: &[(&str, &str)]| {
            let spec =
                serde_json::from_value(serde_json::json!({"region": "us-west-2"})).expect("a spec");
            let mut job = sagemaker_k8s_api::ModelPackageGroup::new("t", spec);
            job.metadata.generation = Some(generation);
            job.metadata.annotations = Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
            generation_or_request(&job)
        };
        let base = object(1, &[]);
        let table = [
            (object(2, &[]), true),
            (
                object(1, &[(RECONCILE_REQUESTED_AT_ANNOTATION, "t1")]),
                true,
            ),
            (object(1, &[(OBSERVE_ANNOTATION, "true")]), true),
            (object(1, &[(ADOPTION_POLICY_ANNOTATION, "adopt")]), true),
            (object(1, &[(DELETION_POLICY_ANNOTATION, "retain")]), true),
            (
                object(1, &[("sagemaker.aws.amazon.com/sagemaker-name", "x")]),
                false,
            ),
            (object(1, &[]), false),
        ];
        for (index, (key, wakes)) in table.into_iter().enumerate() {
            assert_eq!(key != base, wakes, "row {index}");
        }
        assert_ne!(
            object(1, &[(RECONCILE_REQUESTED_AT_ANNOTATION, "t1")]),
            object(1, &[(RECONCILE_REQUESTED_AT_ANNOTATION, "t2")]),
            "each new value wakes it again"
        );
    }
}
