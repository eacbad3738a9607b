//! A panic in one object's reconcile is that object's error, not its kind's end: kube-runtime
//! runs every reconcile of a kind inside the controller's own stream, so an uncaught panic would
//! stop the kind until the pod restarts. Caught here, it becomes [`EngineError::Panicked`]: the
//! engine reports it on the object, the metrics count it, the error policy backs it off.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use kube::runtime::controller::Action;

use super::EngineError;

/// Runs a reconcile, turning a panic into [`EngineError::Panicked`] with its message.
///
/// Unwind safety: a reconcile holds no state across the panic that another reconcile reads,
/// except through locks and the apiserver, which a panic leaves consistent (poisoned std locks
/// are not used on this path).
pub async fn caught(
    reconcile: impl Future<Output = Result<Action, EngineError>>,
) -> Result<Action, EngineError> {
    AssertUnwindSafe(reconcile)
        .catch_unwind()
        .await
        .unwrap_or_else(|payload| Err(EngineError::Panicked(message_of(payload.as_ref()))))
}

/// The message a panic was raised with (`panic!("...")` gives a `&str` or a `String`).
fn message_of(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The hidden `--inject-panic-for NAMESPACE/NAME` flag's check: the operator's tests make one
/// object's reconcile panic with it, to show the kind's other objects go on.
pub fn inject(injected_for: Option<&str>, namespace: &str, name: &str) {
    if injected_for.is_some_and(|target| target.split_once('/') == Some((namespace, name))) {
        panic!("injected by --inject-panic-for {namespace}/{name}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_the_reconciles_error_with_its_message() {
        type Reconcile = fn() -> Result<Action, EngineError>;
        let cases: [(Reconcile, Result<(), &str>); 3] = [
            (|| Ok(Action::requeue(Duration::from_secs(1))), Ok(())),
            (|| panic!("static message"), Err("static message")),
            (|| panic!("formatted {}", 42), Err("formatted 42")),
        ];
        for (reconcile, expected) in cases {
            let result = caught(async move { reconcile() }).await;
            match (result, expected) {
                (Ok(_), Ok(())) => {}
                (Err(EngineError::Panicked(message)), Err(expected)) => {
                    assert_eq!(message, expected)
                }
                (other, expected) => panic!("{other:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn injection_names_one_object() {
        assert!(std::panic::catch_unwind(|| inject(Some("ns/a"), "ns", "a")).is_err());
        for (target, namespace, name) in [
            (None, "ns", "a"),
            (Some("ns/a"), "ns", "b"),
            (Some("ns/a"), "other", "a"),
            (Some("nonsense"), "ns", "a"),
        ] {
            inject(target, namespace, name);
        }
    }
}
