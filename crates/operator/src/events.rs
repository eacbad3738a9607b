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

/// The Event for a SageMaker status transition: Warning when it is a failure, with the reason
/// appended; `None` when the status did not change. Every kind announces transitions this way.
pub fn status_change(
    previous: Option<&str>,
    current: &str,
    failed: bool,
    failure_message: &str,
) -> Option<(EventType, String)> {
    if previous == Some(current) {
        return None;
    }
    let mut note = format!(
        "SageMaker status {} → {current}",
        previous.unwrap_or("none")
    );
    if failed && !failure_message.is_empty() {
        note.push_str(&format!(": {failure_message}"));
    }
    let type_ = if failed {
        EventType::Warning
    } else {
        EventType::Normal
    };
    Some((type_, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_transition_is_announced_once_and_a_failure_says_why() {
        assert_eq!(
            status_change(Some("InProgress"), "InProgress", false, ""),
            None
        );
        assert_eq!(
            status_change(None, "InProgress", false, "ignored"),
            Some((
                EventType::Normal,
                "SageMaker status none → InProgress".into()
            ))
        );
        assert_eq!(
            status_change(Some("InProgress"), "Failed", true, "out of memory"),
            Some((
                EventType::Warning,
                "SageMaker status InProgress → Failed: out of memory".into()
            ))
        );
        assert_eq!(
            status_change(Some("InProgress"), "Failed", true, ""),
            Some((
                EventType::Warning,
                "SageMaker status InProgress → Failed".into()
            ))
        );
    }
}
