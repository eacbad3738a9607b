//! Status polling that does not scale with the number of jobs: per (region, endpoint) one List
//! call with `LastModifiedTimeAfter` finds what changed in SageMaker, and only those objects are
//! reconciled (and so Described). Objects register their SageMaker name when reconciled; the
//! engine records what each Describe showed ([`Observation`]), so a listed change the operator
//! has already seen (its own create, its last Describe) wakes nothing.
//!
//! Cost, whatever the number of objects: one List per location per round. Rounds come every
//! [`PollerSettings::fastest`] while SageMaker reports changes and slow down (doubling) to
//! [`PollerSettings::slowest`] while nothing changes; all kinds' pollers of a region share one
//! budget of List calls per second ([`PollerSettings::lists_per_second`]), so ten kinds in three
//! regions never mean thirty List calls a second. The safety net against a change the List
//! missed (eventual consistency, a change before the object registered) is a re-list of the last
//! [`PollerSettings::resync`] period once per period: its cost grows with what changed in that
//! period, not with what exists.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kube::runtime::reflector::ObjectRef;
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::rate_limit::RateLimiter;
use sagemaker_k8s_aws::{SageMakerClients, SageMakerError, SageMakerHandle};
use tokio::sync::mpsc;

/// How the poller lists one kind's recently modified resources.
pub trait ListModified: Send + Sync + 'static {
    /// Whether SageMaker's List can find the kind's changes by modification time at all; when
    /// not, no poller runs for the kind (it would only take List budget from the others).
    const LISTS: bool = true;
    fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> impl Future<Output = Result<Vec<(String, jiff::Timestamp)>, SageMakerError>> + Send;
}

/// The lister of kinds SageMaker does not change on their own (Model, EndpointConfig,
/// HostingAutoscalingPolicy): no poller runs for them.
pub struct NotPolled;

impl ListModified for NotPolled {
    const LISTS: bool = false;
    async fn list_modified_after(
        _sagemaker: &SageMakerHandle,
        _after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        Ok(Vec::new())
    }
}

/// What the engine saw at an object's last Describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observation {
    /// The object's generation the status was mapped for.
    pub generation: Option<i64>,
    /// SageMaker's LastModifiedTime as of that Describe (or the newest listed change it
    /// covered); `None` when the kind's Describe has none.
    pub modified: Option<jiff::Timestamp>,
    /// When to Describe again even without a listed change (a finished job whose Debugger
    /// rules are still evaluated: its LastModifiedTime no longer moves).
    pub look_again_at: Option<Instant>,
}

/// Whether a reconcile must Describe the resource, or what it recorded is still the truth: it
/// must when it never observed it (or not since a restart), when the spec changed since, when a
/// look-again time passed, or when the poller listed a change newer than what it saw. An object
/// older than what was observed (the watch cache lags behind the operator's own writes) waits
/// for its newer version instead of acting on stale metadata.
pub fn must_describe(
    observed: Option<&Observation>,
    listed: Option<jiff::Timestamp>,
    generation: Option<i64>,
    now: Instant,
) -> bool {
    let Some(observed) = observed else {
        return true;
    };
    if generation < observed.generation {
        return false;
    }
    if generation > observed.generation || observed.look_again_at.is_some_and(|at| at <= now) {
        return true;
    }
    match (listed, observed.modified) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(listed), Some(seen)) => listed > seen,
    }
}

/// When a wake-up that found nothing new (see [`must_describe`]) must still come back: the
/// look-again time still ahead, because this wake-up (the operator's own status write) took the
/// place of the requeue that was scheduled for it. `None`: only a change wakes the object.
pub fn look_again_in(observed: Option<&Observation>, now: Instant) -> Option<Duration> {
    observed?
        .look_again_at
        .map(|at| at.saturating_duration_since(now))
}

/// The registry's key for an object: its name and namespace only. `ObjectRef::from_obj` also
/// copies the uid and resourceVersion, which equality ignores and the registry would keep twice
/// per object for nothing.
pub fn key_of<K: kube::Resource<DynamicType = ()>>(object: &K) -> ObjectRef<K> {
    let meta = object.meta();
    let key = ObjectRef::new(meta.name.as_deref().unwrap_or_default());
    match meta.namespace.as_deref() {
        Some(namespace) => key.within(namespace),
        None => key,
    }
}

/// SageMaker name → object per location, and what the operator knows of each object's
/// resource; filled by reconciles and read by the poller.
pub struct Registry<K: kube::Resource<DynamicType = ()>> {
    state: Mutex<RegistryState<K>>,
}

struct RegistryState<K: kube::Resource<DynamicType = ()>> {
    names: HashMap<ApiLocation, HashMap<String, ObjectRef<K>>>,
    observed: HashMap<ObjectRef<K>, Observation>,
    /// The newest LastModifiedTime listed per object and not yet covered by a Describe.
    listed: HashMap<ObjectRef<K>, jiff::Timestamp>,
}

impl<K: kube::Resource<DynamicType = ()>> Default for Registry<K> {
    fn default() -> Self {
        Self {
            state: Mutex::new(RegistryState {
                names: HashMap::new(),
                observed: HashMap::new(),
                listed: HashMap::new(),
            }),
        }
    }
}

impl<K: kube::Resource<DynamicType = ()>> Registry<K> {
    fn state(&self) -> std::sync::MutexGuard<'_, RegistryState<K>> {
        self.state.lock().expect("registry lock poisoned")
    }

    pub fn register(&self, location: &ApiLocation, remote_name: &str, object: ObjectRef<K>) {
        self.state()
            .names
            .entry(location.clone())
            .or_default()
            .insert(remote_name.to_string(), object);
    }

    /// The resource will not change any more (or the object is gone): stop following it.
    pub fn forget(&self, location: &ApiLocation, remote_name: &str) {
        let mut state = self.state();
        let removed = state
            .names
            .get_mut(location)
            .and_then(|names| names.remove(remote_name));
        if let Some(object) = removed {
            state.observed.remove(&object);
            state.listed.remove(&object);
        }
    }

    /// What the last Describe showed, and the newest change listed since (if newer).
    pub fn observation(
        &self,
        object: &ObjectRef<K>,
    ) -> (Option<Observation>, Option<jiff::Timestamp>) {
        let state = self.state();
        (
            state.observed.get(object).copied(),
            state.listed.get(object).copied(),
        )
    }

    /// A Describe is about to be sent: every change listed until now is covered by it. Returns
    /// the newest such change, for [`Registry::record`].
    pub fn take_listed(&self, object: &ObjectRef<K>) -> Option<jiff::Timestamp> {
        self.state().listed.remove(object)
    }

    /// Records what a Describe showed (`covered`: what [`Registry::take_listed`] returned).
    pub fn record(
        &self,
        object: ObjectRef<K>,
        mut observation: Observation,
        covered: Option<jiff::Timestamp>,
    ) {
        observation.modified = observation.modified.max(covered);
        let mut state = self.state();
        if let (Some(listed), Some(seen)) = (state.listed.get(&object), observation.modified)
            && *listed <= seen
        {
            state.listed.remove(&object);
        }
        state.observed.insert(object, observation);
    }

    /// Forgets what was observed (the next reconcile Describes), e.g. after a failed write.
    pub fn unobserve(&self, object: &ObjectRef<K>) {
        self.state().observed.remove(object);
    }

    fn locations(&self) -> Vec<ApiLocation> {
        self.state()
            .names
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(l, _)| l.clone())
            .collect()
    }

    /// The poller listed `remote_name` as modified at `modified`: the object to reconcile, or
    /// `None` when it is not ours or the operator has already seen (or been told of) that change.
    fn listed_change(
        &self,
        location: &ApiLocation,
        remote_name: &str,
        modified: jiff::Timestamp,
    ) -> Option<ObjectRef<K>> {
        let mut state = self.state();
        let object = state.names.get(location)?.get(remote_name)?.clone();
        let seen = state
            .observed
            .get(&object)
            .and_then(|observed| observed.modified);
        let pending = state.listed.get(&object).copied();
        if seen.max(pending).is_some_and(|known| known >= modified) {
            return None;
        }
        state.listed.insert(object.clone(), modified);
        Some(object)
    }
}

/// How the status pollers pace their List calls (from the command line).
#[derive(Clone)]
pub struct PollerSettings {
    /// Time between rounds while SageMaker reports changes.
    pub fastest: Duration,
    /// Time between rounds after a long quiet spell (rounds slow down by doubling to this).
    pub slowest: Duration,
    /// How often the last period is listed again, as the safety net.
    pub resync: Duration,
    /// The ceiling of List calls per second per region, shared by every kind's poller.
    pub lists_per_second: f64,
    budgets: Arc<Mutex<HashMap<String, Arc<RateLimiter>>>>,
}

impl PollerSettings {
    pub fn new(
        fastest: Duration,
        slowest: Duration,
        resync: Duration,
        lists_per_second: f64,
    ) -> Self {
        Self {
            fastest,
            slowest: slowest.max(fastest),
            resync,
            lists_per_second,
            budgets: Arc::default(),
        }
    }

    /// The region's List budget, shared by every poller built from these settings.
    fn budget(&self, region: &str) -> Arc<RateLimiter> {
        self.budgets
            .lock()
            .expect("budget lock poisoned")
            .entry(region.to_string())
            .or_insert_with(|| {
                let burst = self.lists_per_second.ceil().max(1.0) as u32;
                Arc::new(RateLimiter::new(self.lists_per_second, burst))
            })
            .clone()
    }
}

/// The pause before the next round: the fastest pace after a round that saw something change,
/// else twice the last pause, up to the slowest (pure, unit-tested).
pub fn next_pause(previous: Duration, saw_change: bool, settings: &PollerSettings) -> Duration {
    if saw_change {
        settings.fastest
    } else {
        (previous * 2).clamp(settings.fastest, settings.slowest)
    }
}

/// Where a location's listing resumes: SageMaker's own timestamps, so the operator's clock does
/// not matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark {
    /// The next round lists what was modified after this.
    pub after: jiff::Timestamp,
    /// The newest LastModifiedTime listed so far.
    pub newest: Option<jiff::Timestamp>,
}

impl Watermark {
    /// Where the next round starts after one that listed `listed` (LastModifiedTimes), and
    /// whether that round saw something new. A new change moves the start to just before it
    /// ([`WATERMARK_OVERLAP`]), so a change of the same second that shows up in a List a moment
    /// later is still found; the round after that, with nothing new, moves past the overlap —
    /// re-listing it every round would cost a page per hundred resources changed in its last
    /// seconds, forever (a late change there is the safety re-list's to find).
    pub fn advance(self, listed: impl IntoIterator<Item = jiff::Timestamp>) -> (Self, bool) {
        let newest_listed = listed.into_iter().max();
        match (newest_listed, self.newest) {
            (Some(listed), seen) if seen.is_none_or(|seen| listed > seen) => (
                Self {
                    after: self.after.max(listed - WATERMARK_OVERLAP),
                    newest: Some(listed),
                },
                true,
            ),
            (_, seen) => (
                Self {
                    after: seen.map_or(self.after, |seen| self.after.max(seen)),
                    newest: seen,
                },
                false,
            ),
        }
    }
}

/// What the poller knows between rounds; kept outside the polling task, so a restarted poller
/// carries on from the same watermarks instead of missing or re-triggering changes.
#[derive(Default)]
struct PollerState {
    /// Per location: where the next round's List starts.
    watermarks: BTreeMap<ApiLocation, Watermark>,
    /// Per location: when the last period was last listed again.
    resynced_at: HashMap<ApiLocation, Instant>,
}

/// How long a dead poller waits before it starts again (a panic that repeats at once must not
/// spin).
const POLLER_RESTART_DELAY: Duration = Duration::from_secs(1);

/// The overlap re-reads changes that share the watermark's second (SageMaker's times have
/// sub-second precision; a second covers a List that lags a moment behind a Describe). Each
/// round of a creation burst re-reads it, so it is kept short: at 100 resources a page, one
/// second of a 150-per-second burst is two pages.
const WATERMARK_OVERLAP: jiff::SignedDuration = jiff::SignedDuration::from_secs(1);

/// Polls and sends the objects whose SageMaker resource changed. The polling task is
/// supervised: if it dies (a panic), it is logged, counted in
/// `sagemaker_operator_status_poller_restarts_total` and started again.
pub fn spawn<K, L>(
    registry: Arc<Registry<K>>,
    clients: Arc<SageMakerClients>,
    settings: PollerSettings,
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
            settings.clone(),
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

/// A period's worth of jitter (±10 %), so the safety re-lists of many locations and kinds do
/// not all fall in the same second.
fn jittered(period: Duration) -> Duration {
    use rand::Rng as _;
    period.mul_f64(rand::rng().random_range(0.9..1.1))
}

/// The polling loop; returns only when nobody listens any more.
async fn poll_forever<K, L>(
    registry: Arc<Registry<K>>,
    clients: Arc<SageMakerClients>,
    settings: PollerSettings,
    kind: &'static str,
    started: jiff::Timestamp,
    state: Arc<Mutex<PollerState>>,
    sender: mpsc::UnboundedSender<ObjectRef<K>>,
) where
    K: kube::Resource<DynamicType = ()> + Send + Sync + 'static,
    L: ListModified,
{
    let mut pause = settings.fastest;
    let mut resync_period = jittered(settings.resync);
    loop {
        tokio::time::sleep(pause).await;
        if sender.is_closed() {
            return;
        }
        let mut saw_change = false;
        for location in registry.locations() {
            let (watermark, resync_due) = {
                let mut state = state.lock().expect("poller state lock poisoned");
                let watermark = state
                    .watermarks
                    .get(&location)
                    .copied()
                    .unwrap_or(Watermark {
                        after: started,
                        newest: None,
                    });
                let now = Instant::now();
                let last = *state.resynced_at.entry(location.clone()).or_insert(now);
                let due = now.duration_since(last) >= resync_period;
                if due {
                    state.resynced_at.insert(location.clone(), now);
                }
                (watermark, due)
            };
            // The safety net lists the whole last period again; what the operator has seen is
            // skipped by the registry, so only missed changes trigger anything.
            let after = if resync_due {
                resync_period = jittered(settings.resync);
                let window = jiff::SignedDuration::try_from(settings.resync)
                    .unwrap_or(jiff::SignedDuration::from_secs(300))
                    + jiff::SignedDuration::from_secs(60);
                watermark.after - window
            } else {
                watermark.after
            };
            settings.budget(&location.region).acquire().await;
            let sagemaker = clients.handle(&location);
            match L::list_modified_after(&sagemaker, after).await {
                Ok(changed) => {
                    let (next, new) =
                        watermark.advance(changed.iter().map(|(_, modified)| *modified));
                    saw_change |= new;
                    for (name, modified) in changed {
                        if let Some(object) = registry.listed_change(&location, &name, modified) {
                            tracing::debug!(kind, sagemaker_name = %name, resync = resync_due, "changed in SageMaker");
                            if sender.send(object).is_err() {
                                return;
                            }
                        }
                    }
                    state
                        .lock()
                        .expect("poller state lock poisoned")
                        .watermarks
                        .insert(location, next);
                }
                Err(error) => {
                    tracing::warn!(kind, region = %location.region, endpoint = ?location.endpoint, %error, "listing changed resources failed; the next round retries")
                }
            }
        }
        pause = next_pause(pause, saw_change, &settings);
    }
}

#[cfg(test)]
mod tests;
