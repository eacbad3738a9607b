//! Kubernetes Events on the operator's objects: what happened, for `kubectl describe`.

use kube::ResourceExt;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use crate::object_patch::ManagedObject;

/// Publishes the operator's Events. kube's `Recorder` keeps every Event it published for six
/// minutes to count repeats into a series, and only prunes that cache on its next publish: at
/// 10,000 objects created in a burst that is some 20 MiB held until something else happens.
/// The operator publishes each Event once (a repeated failure is not announced again), so each
/// publish uses a recorder of its own and nothing is kept.
#[derive(Clone)]
pub struct EventRecorder {
    client: kube::Client,
    reporter: Reporter,
}

impl EventRecorder {
    pub fn new(client: kube::Client) -> Self {
        Self {
            client,
            reporter: Reporter {
                controller: "sagemaker-k8s-operator".into(),
                instance: std::env::var("HOSTNAME").ok(),
            },
        }
    }
}

/// Publishes an Event on the object; a failure to publish is logged, never fatal.
pub async fn publish_event<K: ManagedObject>(
    recorder: &EventRecorder,
    kind: &str,
    object: &K,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let event = Event {
        type_,
        reason: reason.to_string(),
        note: Some(note),
        action: "Reconcile".to_string(),
        secondary: None,
    };
    let publisher = Recorder::new(recorder.client.clone(), recorder.reporter.clone());
    if let Err(error) = publisher.publish(&event, &object.object_ref(&())).await {
        tracing::warn!(kind, object = %object.name_any(), %error, "could not publish event");
    }
}
