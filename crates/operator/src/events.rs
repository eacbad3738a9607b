//! Kubernetes Events on the operator's objects: what happened, for `kubectl describe`.

use kube::ResourceExt;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use crate::object_patch::ManagedObject;

/// Publishes an Event on the object; a failure to publish is logged, never fatal.
pub async fn publish_event<K: ManagedObject>(
    recorder: &Recorder,
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
    if let Err(error) = recorder.publish(&event, &object.object_ref(&())).await {
        tracing::warn!(kind, object = %object.name_any(), %error, "could not publish event");
    }
}

/// Builds the event recorder every controller shares.
pub fn recorder(client: kube::Client) -> Recorder {
    Recorder::new(
        client,
        Reporter {
            controller: "sagemaker-k8s-operator".into(),
            instance: std::env::var("HOSTNAME").ok(),
        },
    )
}
