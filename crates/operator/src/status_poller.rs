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
        Self { objects: Mutex::new(HashMap::new()) }
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
        if let Some(names) = self.objects.lock().expect("registry lock poisoned").get_mut(location) {
            names.remove(remote_name);
        }
    }

    fn locations(&self) -> Vec<ApiLocation> {
        self.objects.lock().expect("registry lock poisoned").iter().filter(|(_, names)| !names.is_empty()).map(|(l, _)| l.clone()).collect()
    }

    fn lookup(&self, location: &ApiLocation, remote_name: &str) -> Option<ObjectRef<K>> {
        self.objects.lock().expect("registry lock poisoned").get(location).and_then(|names| names.get(remote_name)).cloned()
    }
}

/// Polls every `interval` and sends the objects whose SageMaker resource changed.
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
    tokio::spawn(async move {
        // SageMaker's own timestamps are the watermark, so the operator's clock does not
        // matter; the overlap re-reads changes that share the watermark's second.
        let overlap = jiff::SignedDuration::from_secs(2);
        let started = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
        let mut watermarks: BTreeMap<ApiLocation, jiff::Timestamp> = BTreeMap::new();
        let mut last_seen: HashMap<ApiLocation, HashMap<String, jiff::Timestamp>> = HashMap::new();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            for location in registry.locations() {
                let after = watermarks.get(&location).copied().unwrap_or(started);
                let sagemaker = clients.handle(&location);
                match L::list_modified_after(&sagemaker, after).await {
                    Ok(changed) => {
                        let mut newest = after;
                        let seen = last_seen.entry(location.clone()).or_default();
                        for (name, modified) in changed {
                            newest = newest.max(modified - overlap);
                            // The overlap lists some changes twice; trigger each change once.
                            if seen.get(&name).is_some_and(|previous| *previous >= modified) {
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
                        watermarks.insert(location, newest);
                    }
                    Err(error) => tracing::warn!(kind, region = %location.region, %error, "listing changed resources failed"),
                }
            }
        }
    });
    receiver
}
