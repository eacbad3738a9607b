//! Drives one kind's kube-runtime `Controller` until shutdown. Every kind — the job engine's and
//! the hosting controllers — goes through here, so each reports the same metrics: reconciles
//! and reconcile errors per kind, and objects per kind and status (read from the controller's
//! own cache at scrape time).

use std::fmt::Debug;
use std::sync::Arc;

use futures::{StreamExt, TryFuture};
use kube::Resource;
use kube::runtime::controller::{Action, Controller, Error as ControllerError};
use serde::de::DeserializeOwned;

pub async fn drive<K, Ctx, ReconcileFut>(
    kind: &'static str,
    controller: Controller<K>,
    status_of: fn(&K) -> Option<String>,
    reconcile: impl FnMut(Arc<K>, Arc<Ctx>) -> ReconcileFut,
    error_policy: impl Fn(Arc<K>, &ReconcileFut::Error, Arc<Ctx>) -> Action,
    ctx: Arc<Ctx>,
) where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
    ReconcileFut: TryFuture<Ok = Action> + Send + 'static,
    ReconcileFut::Error: std::error::Error + Send + 'static,
{
    crate::metrics::global().track_kind(kind, controller.store(), status_of);
    controller
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            match &result {
                Ok(_) => crate::metrics::global().reconciled(kind, true),
                Err(ControllerError::ReconcilerFailed(..)) => crate::metrics::global().reconciled(kind, false),
                // Watch/queue errors are not reconciles; kube-runtime retries them itself.
                Err(_) => {}
            }
            if let Err(error) = result {
                tracing::debug!(kind, %error, "reconcile did not finish");
            }
        })
        .await;
}
