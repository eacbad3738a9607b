//! Real-time inference kinds. Unlike jobs, their SageMaker resources are updated in place, so
//! they do not go through the job engine: `deployment` is the HostingDeployment state machine
//! (models → endpoint config → endpoint, updates, clean-up), `standalone` the Model and
//! EndpointConfig kinds (create, replace on spec change, delete). Both use the shared object
//! plumbing for finalizers, status patches and Events.

pub mod deployment;
pub mod standalone;

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::events::Recorder;
use sagemaker_k8s_aws::{SageMakerClients, SageMakerError};

/// Why a hosting reconcile did not finish; the controller retries after a delay.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    #[error("SageMaker: {0}")]
    SageMaker(#[from] SageMakerError),
    #[error("Kubernetes: {0}")]
    Kube(#[from] kube::Error),
    #[error("object has no {0}")]
    MissingMetadata(&'static str),
}

/// What the hosting controllers share.
pub struct HostingContext {
    pub client: kube::Client,
    pub clients: Arc<SageMakerClients>,
    pub recorder: Recorder,
    /// How often an endpoint in transition is looked at when nothing else triggers it (the
    /// status poller normally does, within its interval).
    pub in_progress_requeue: Duration,
    pub poll_interval: Duration,
}
