//! The operator's Prometheus metrics: one process-wide registry the engine, the SageMaker
//! clients and leader election report to, and [`server`] renders for authorized scrapers.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `sagemaker_operator_reconciles_total` | `kind` | finished reconciles (successful or not) |
//! | `sagemaker_operator_reconcile_errors_total` | `kind` | reconciles that returned an error (and are retried) |
//! | `sagemaker_operator_reconcile_errors_by_category_total` | `kind`, `category` | the same, by what failed (`throttled`, `quota_exceeded`, `transient`, `credentials`, `rejected`, `not_found`, `resource_in_use`, `sagemaker_other`, `kubernetes`, `invalid_object`) |
//! | `sagemaker_operator_sagemaker_calls_total` | `operation`, `outcome` | HTTP attempts at the SageMaker API |
//! | `sagemaker_operator_objects` | `kind`, `status` | objects the controllers see, by their SageMaker status |
//! | `sagemaker_operator_leader` | | 1 while this process runs the controllers |

pub mod auth;
pub mod server;
pub mod tls;

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

use kube::runtime::reflector::Store;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sagemaker_k8s_aws::{CallObserver, CallOutcome};

/// Status label of objects that have no SageMaker status yet.
pub const NO_STATUS: &str = "Unknown";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabels {
    kind: String,
    category: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectLabels {
    kind: String,
    status: String,
}

/// Counts the statuses of one kind's objects when asked (at scrape time).
type StatusCounter = Box<dyn Fn() -> BTreeMap<String, i64> + Send + Sync>;

pub struct Metrics {
    registry: Registry,
    reconciles: Family<KindLabels, Counter>,
    reconcile_errors: Family<KindLabels, Counter>,
    reconcile_error_categories: Family<CategoryLabels, Counter>,
    sagemaker_calls: Family<CallLabels, Counter>,
    objects: Family<ObjectLabels, Gauge>,
    watch_errors: Family<KindLabels, Counter>,
    poller_restarts: Family<KindLabels, Counter>,
    leader: Gauge,
    /// Per kind; the mutex also serializes renders, which rebuild the objects gauge.
    object_sources: Mutex<Vec<(&'static str, StatusCounter)>>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process-wide metrics.
pub fn global() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("sagemaker_operator");
        let reconciles = Family::<KindLabels, Counter>::default();
        let reconcile_errors = Family::<KindLabels, Counter>::default();
        let reconcile_error_categories = Family::<CategoryLabels, Counter>::default();
        let sagemaker_calls = Family::<CallLabels, Counter>::default();
        let objects = Family::<ObjectLabels, Gauge>::default();
        let leader = Gauge::default();
        let watch_errors = Family::<KindLabels, Counter>::default();
        let poller_restarts = Family::<KindLabels, Counter>::default();
        registry.register(
            "watch_errors",
            "Errors of the Kubernetes watch or work queue per kind (kube-runtime retries them)",
            watch_errors.clone(),
        );
        registry.register(
            "status_poller_restarts",
            "Times a kind's SageMaker status poller died and was restarted",
            poller_restarts.clone(),
        );
        registry.register(
            "reconciles",
            "Finished reconciles per kind, successful or not",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Reconciles per kind that returned an error and are retried",
            reconcile_errors.clone(),
        );
        registry.register(
            "reconcile_errors_by_category",
            "Reconciles per kind that returned an error, by the error's category",
            reconcile_error_categories.clone(),
        );
        registry.register(
            "sagemaker_calls",
            "HTTP attempts at the SageMaker API per operation and outcome (success, throttled, client_error, server_error, timeout, network_error)",
            sagemaker_calls.clone(),
        );
        registry.register(
            "objects",
            "Objects the controllers see, per kind and SageMaker status",
            objects.clone(),
        );
        registry.register("leader", "1 while this process holds the leader Lease (or runs without leader election) and runs the controllers", leader.clone());
        Self {
            registry,
            reconciles,
            reconcile_errors,
            reconcile_error_categories,
            sagemaker_calls,
            objects,
            watch_errors,
            poller_restarts,
            leader,
            object_sources: Mutex::new(Vec::new()),
        }
    }

    /// One finished reconcile of `kind`.
    pub fn reconciled(&self, kind: &str, succeeded: bool) {
        let labels = KindLabels {
            kind: kind.to_string(),
        };
        self.reconciles.get_or_create(&labels).inc();
        if !succeeded {
            self.reconcile_errors.get_or_create(&labels).inc();
        }
    }

    /// The watch or work queue of `kind` reported an error.
    /// A reconcile of `kind` failed with an error of `category` (`EngineError::category`).
    pub fn reconcile_failed(&self, kind: &str, category: &'static str) {
        self.reconcile_error_categories
            .get_or_create(&CategoryLabels {
                kind: kind.to_string(),
                category: category.to_string(),
            })
            .inc();
    }

    pub fn watch_error(&self, kind: &str) {
        self.watch_errors
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .inc();
    }

    /// The status poller of `kind` died and is being restarted.
    pub fn poller_restarted(&self, kind: &str) {
        self.poller_restarts
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .inc();
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// A controller for `kind` starts: its reconcile counters show up at 0 (so rates work from
    /// the first scrape), and the objects gauge counts the objects in its cache by `status`.
    pub fn track_kind<K>(
        &self,
        kind: &'static str,
        store: Store<K>,
        status: fn(&K) -> Option<String>,
    ) where
        K: kube::Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
    {
        let labels = KindLabels {
            kind: kind.to_string(),
        };
        drop(self.reconciles.get_or_create(&labels));
        drop(self.reconcile_errors.get_or_create(&labels));
        drop(self.watch_errors.get_or_create(&labels));
        drop(self.poller_restarts.get_or_create(&labels));
        let counter: StatusCounter = Box::new(move || {
            let mut counts = BTreeMap::new();
            for object in store.state() {
                *counts
                    .entry(status(&object).unwrap_or_else(|| NO_STATUS.to_string()))
                    .or_insert(0) += 1;
            }
            counts
        });
        let mut sources = self.object_sources.lock().expect("metrics lock poisoned");
        sources.retain(|(existing, _)| *existing != kind);
        sources.push((kind, counter));
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let sources = self.object_sources.lock().expect("metrics lock poisoned");
        self.objects.clear();
        for (kind, count) in sources.iter() {
            for (status, number) in count() {
                self.objects
                    .get_or_create(&ObjectLabels {
                        kind: kind.to_string(),
                        status,
                    })
                    .set(number);
            }
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

impl CallObserver for Metrics {
    fn sagemaker_call(&self, operation: &str, outcome: CallOutcome) {
        self.sagemaker_calls
            .get_or_create(&CallLabels {
                operation: operation.to_string(),
                outcome: outcome.as_str().to_string(),
            })
            .inc();
    }
}

/// Lets the SageMaker clients report to the process-wide metrics.
pub struct GlobalCallObserver;

impl CallObserver for GlobalCallObserver {
    fn sagemaker_call(&self, operation: &str, outcome: CallOutcome) {
        global().sagemaker_call(operation, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_its_labels() {
        let metrics = Metrics::new();
        metrics.reconciled("TrainingJob", true);
        metrics.reconciled("TrainingJob", false);
        metrics.reconcile_failed("TrainingJob", "throttled");
        metrics.sagemaker_call("CreateTrainingJob", CallOutcome::Throttled);
        metrics.set_leader(true);
        metrics.poller_restarted("TrainingJob");
        metrics.watch_error("Model");
        metrics.object_sources.lock().unwrap().push((
            "TrainingJob",
            Box::new(|| BTreeMap::from([("Completed".to_string(), 3), (NO_STATUS.to_string(), 1)])),
        ));
        let text = metrics.render();
        assert!(
            text.contains("sagemaker_operator_reconciles_total{kind=\"TrainingJob\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("sagemaker_operator_reconcile_errors_total{kind=\"TrainingJob\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("sagemaker_operator_reconcile_errors_by_category_total{kind=\"TrainingJob\",category=\"throttled\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("sagemaker_operator_sagemaker_calls_total{operation=\"CreateTrainingJob\",outcome=\"throttled\"} 1"),
            "{text}"
        );
        assert!(text.contains("sagemaker_operator_leader 1"), "{text}");
        assert!(
            text.contains(
                "sagemaker_operator_status_poller_restarts_total{kind=\"TrainingJob\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("sagemaker_operator_watch_errors_total{kind=\"Model\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "sagemaker_operator_objects{kind=\"TrainingJob\",status=\"Completed\"} 3"
            ),
            "{text}"
        );
        assert!(
            text.contains("sagemaker_operator_objects{kind=\"TrainingJob\",status=\"Unknown\"} 1"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }
}
