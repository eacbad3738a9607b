//! Status polling that does not scale with the number of jobs: per (region, endpoint) one List
//! call with `LastModifiedTimeAfter` finds what changed in SageMaker, and only those objects are
//! reconciled (and so Described). Objects register their SageMaker name when reconciled.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::reflector::ObjectRef;
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::{SageMakerClients, SageMakerError, SageMakerHandle};
use tokio::sync::mpsc;

/// How the poller lists one kind's recently modified resources.
pub trait ListModified: Send + Sync + 'static {
    fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> impl Future<Output = Result<Vec<(String, jiff::Timestamp)>, SageMakerError>> + Send;
}

/// SageMaker name → object, per location; filled by reconciles.
pub struct Registry<K: kube::Resource<DynamicType = ()>> {
    objects: Mutex<HashMap<ApiLocation, HashMap<String, ObjectRef<K>>>>,
}

impl<K: kube::Resource<DynamicType = ()>> Default for Registry<K> {
    fn default() -> Self {
        Self {
            objects: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: kube::Resource<DynamicType = ()>> Registry<K> {
    pub fn register(&self, location: &ApiLocation, remote_name: &str, object: ObjectRef<K>) {
        self.objects
            .lock()
            .expect("registry lock poisoned")
            .entry(location.clone())
            .or_default()
            .insert(remote_name.to_string(), object);
    }

    pub fn forget(&self, location: &ApiLocation, remote_name: &str) {
        if let Some(names) = self
            .objects
            .lock()
            .expect("registry lock poisoned")
            .get_mut(location)
        {
            names.remove(remote_name);
        }
    }

    fn locations(&self) -> Vec<ApiLocation> {
        self.objects
            .lock()
            .expect("registry lock poisoned")
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(l, _)| l.clone())
            .collect()
    }

    fn lookup(&self, location: &ApiLocation, remote_name: &str) -> Option<ObjectRef<K>> {
        self.objects
            .lock()
            .expect("registry lock poisoned")
            .get(location)
            .and_then(|names| names.get(remote_name))
            .cloned()
    }
}

/// What the poller knows between rounds; kept outside the polling task, so a restarted poller
/// carries on from the same watermarks instead of missing or re-triggering changes.
#[derive(Default)]
struct PollerState {
    /// Per location: SageMaker's last-modified time up to which every change was seen.
    watermarks: BTreeMap<ApiLocation, jiff::Timestamp>,
    /// Per location: the changes seen at or after the watermark (the overlap lists them twice).
    last_seen: HashMap<ApiLocation, HashMap<String, jiff::Timestamp>>,
}

/// How long a dead poller waits before it starts again (a panic that repeats at once must not
/// spin).
const POLLER_RESTART_DELAY: Duration = Duration::from_secs(1);

/// Polls every `interval` and sends the objects whose SageMaker resource changed. The polling
/// task is supervised: if it dies (a panic), it is logged, counted in
/// `sagemaker_operator_status_poller_restarts_total` and started again.
pub fn spawn<K, L>(
    registry: Arc<Registry<K>>,
    clients: Arc<SageMakerClients>,
    interval: Duration,
    kind: &'static str,
) -> mpsc::UnboundedReceiver<ObjectRef<K>>
where
    K: kube::Resource<DynamicType = ()> + Send + Sync + 'static,
    L: ListModified,
{
    let (sender, receiver) = mpsc::unbounded_channel();
    // SageMaker's own timestamps are the watermark, so the operator's clock does not matter.
    let started = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
    let state = Arc::new(Mutex::new(PollerState::default()));
    supervise(kind, POLLER_RESTART_DELAY, move || {
        poll_forever::<K, L>(
            registry.clone(),
            clients.clone(),
            interval,
            kind,
            started,
            state.clone(),
            sender.clone(),
        )
    });
    receiver
}

/// Runs `start()`'s task until it returns; a task that dies (panics) is logged, counted and
/// started again after `delay`.
fn supervise<F, Fut>(kind: &'static str, delay: Duration, mut start: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match tokio::spawn(start()).await {
                // The controller is gone (its receiver dropped): so is the need to poll.
                Ok(()) => return,
                Err(error) => {
                    crate::metrics::global().poller_restarted(kind);
                    tracing::error!(kind, %error, "status poller died; restarting it");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    });
}

/// The polling loop; returns only when nobody listens any more.
async fn poll_forever<K, L>(
    registry: Arc<Registry<K>>,
    clients: Arc<SageMakerClients>,
    interval: Duration,
    kind: &'static str,
    started: jiff::Timestamp,
    state: Arc<Mutex<PollerState>>,
    sender: mpsc::UnboundedSender<ObjectRef<K>>,
) where
    K: kube::Resource<DynamicType = ()> + Send + Sync + 'static,
    L: ListModified,
{
    // The overlap re-reads changes that share the watermark's second.
    let overlap = jiff::SignedDuration::from_secs(2);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if sender.is_closed() {
            return;
        }
        for location in registry.locations() {
            let after = state
                .lock()
                .expect("poller state lock poisoned")
                .watermarks
                .get(&location)
                .copied()
                .unwrap_or(started);
            let sagemaker = clients.handle(&location);
            match L::list_modified_after(&sagemaker, after).await {
                Ok(changed) => {
                    let mut state = state.lock().expect("poller state lock poisoned");
                    let mut newest = after;
                    let seen = state.last_seen.entry(location.clone()).or_default();
                    for (name, modified) in changed {
                        newest = newest.max(modified - overlap);
                        // The overlap lists some changes twice; trigger each change once.
                        if seen
                            .get(&name)
                            .is_some_and(|previous| *previous >= modified)
                        {
                            continue;
                        }
                        seen.insert(name.clone(), modified);
                        if let Some(object) = registry.lookup(&location, &name) {
                            tracing::debug!(kind, sagemaker_name = %name, "changed in SageMaker");
                            if sender.send(object).is_err() {
                                return;
                            }
                        }
                    }
                    // Entries older than the watermark can no longer be listed again.
                    seen.retain(|_, modified| *modified >= newest);
                    state.watermarks.insert(location, newest);
                }
                Err(error) => {
                    tracing::warn!(kind, region = %location.region, endpoint = ?location.endpoint, %error, "listing changed resources failed; the next round retries")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_poller_that_dies_is_restarted_and_counted() {
        let starts = Arc::new(AtomicUsize::new(0));
        let (done, mut finished) = mpsc::unbounded_channel();
        let counted = starts.clone();
        supervise(
            "PollerRestartTestKind",
            Duration::from_millis(10),
            move || {
                let attempt = counted.fetch_add(1, Ordering::SeqCst);
                let done = done.clone();
                async move {
                    if attempt < 2 {
                        panic!("poller bug number {attempt}");
                    }
                    done.send(attempt).unwrap();
                }
            },
        );
        let attempt = tokio::time::timeout(Duration::from_secs(10), finished.recv())
            .await
            .expect("the poller came back")
            .unwrap();
        assert_eq!(attempt, 2, "two deaths, then a third start that runs");
        assert_eq!(
            starts.load(Ordering::SeqCst),
            3,
            "a task that returns is not restarted"
        );
        let text = crate::metrics::global().render();
        assert!(
            text.contains(
                "sagemaker_operator_status_poller_restarts_total{kind=\"PollerRestartTestKind\"} 2"
            ),
            "{text}"
        );
    }
}
