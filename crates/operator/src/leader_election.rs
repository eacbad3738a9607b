//! `--leader-elect`: only the holder of a Lease runs the controllers, so several replicas never
//! create the same SageMaker job twice. Built on kube-lease-manager (server-side apply on a
//! `coordination.k8s.io/v1` Lease, renewed before it expires).

use std::time::Duration;

use kube_lease_manager::{LeaseManagerBuilder, LeaseManagerError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Name of the Lease in the leader-election namespace.
pub const LEASE_NAME: &str = "sagemaker-k8s-operator-leader";

#[derive(Debug, thiserror::Error)]
pub enum LeaderElectionError {
    #[error("setting up the Lease {namespace}/{LEASE_NAME}: {source}")]
    Setup {
        namespace: String,
        source: LeaseManagerError,
    },
    #[error("the lease manager stopped before this process became leader")]
    ManagerStopped,
}

/// Settings of the election.
#[derive(Debug, Clone)]
pub struct ElectionSettings {
    pub namespace: String,
    /// Unique among the candidates: the pod name (HOSTNAME) and the process id.
    pub identity: String,
    /// How long a Lease stays valid without renewal: the longest a standby waits after the
    /// leader dies without releasing it.
    pub lease_duration: Duration,
}

/// A process that holds the Lease.
pub struct Leadership {
    state: watch::Receiver<bool>,
    manager: JoinHandle<Result<kube_lease_manager::LeaseManager, LeaseManagerError>>,
    identity: String,
}

/// This process's identity among the candidates.
pub fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}_{}", std::process::id())
}

/// Waits until this process holds the Lease (renewed in the background from then on).
pub async fn acquire(
    client: kube::Client,
    settings: ElectionSettings,
) -> Result<Leadership, LeaderElectionError> {
    let duration = settings.lease_duration.as_secs().max(2);
    // Renew a third of the duration before it runs out, so one slow renewal does not lose it.
    let grace = (duration / 3).max(1);
    let manager = LeaseManagerBuilder::new(client, LEASE_NAME)
        .with_namespace(settings.namespace.clone())
        .with_identity(settings.identity.clone())
        .with_field_manager(format!("sagemaker-k8s-operator-{}", settings.identity))
        .with_duration(duration)
        .with_grace(grace)
        .build()
        .await
        .map_err(|source| LeaderElectionError::Setup {
            namespace: settings.namespace.clone(),
            source,
        })?;
    tracing::info!(namespace = %settings.namespace, lease = LEASE_NAME, identity = %settings.identity, "waiting to become leader");
    let (mut state, manager) = manager.watch().await;
    while !*state.borrow_and_update() {
        if state.changed().await.is_err() {
            return Err(LeaderElectionError::ManagerStopped);
        }
    }
    tracing::info!(namespace = %settings.namespace, lease = LEASE_NAME, identity = %settings.identity, "became leader");
    Ok(Leadership {
        state,
        manager,
        identity: settings.identity,
    })
}

impl Leadership {
    /// Resolves when the Lease is lost (another process took it, or the manager stopped).
    pub async fn lost(&mut self) {
        loop {
            if self.state.changed().await.is_err() || !*self.state.borrow_and_update() {
                return;
            }
        }
    }

    /// Gives the Lease up so a standby takes over at once instead of after it expires.
    pub async fn release(self) {
        drop(self.state);
        match self.manager.await {
            Ok(Ok(_)) => tracing::info!(identity = %self.identity, "released the leader Lease"),
            Ok(Err(error)) => {
                tracing::warn!(identity = %self.identity, %error, "could not release the leader Lease")
            }
            Err(error) => {
                tracing::warn!(identity = %self.identity, %error, "lease manager task failed")
            }
        }
    }
}
