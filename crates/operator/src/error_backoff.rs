//! How long a controller waits before retrying an object whose reconcile failed: exponential
//! in the number of consecutive failures of that object, with jitter, so a throttling storm or
//! a SageMaker outage is not hammered by every object at a fixed rhythm, and a quota error
//! (`ResourceLimitExceeded`) is retried at a pace that suits it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// First retry delay; doubles with each consecutive failure of the same object.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest delay between two retries of one object.
pub const MAX_RETRY: Duration = Duration::from_secs(120);

/// The delay after the `failures`-th consecutive failure (1 = the first), before jitter.
pub fn backoff_ceiling(failures: u32, first: Duration, max: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    first.saturating_mul(1 << doublings).min(max)
}

/// `ceiling` with "equal jitter": somewhere in [ceiling/2, ceiling], `unit` in [0, 1) choosing
/// where. Half the delay is guaranteed (no retry comes right back), half is spread out.
pub fn jittered(ceiling: Duration, unit: f64) -> Duration {
    let half = ceiling / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// Consecutive failures per object (kind, namespace, name), shared by every controller.
#[derive(Default)]
pub struct ErrorBackoff {
    failures: Mutex<HashMap<(&'static str, String, String), u32>>,
}

impl ErrorBackoff {
    /// Counts one more failure of the object and returns how long to wait before retrying it.
    pub fn failed(&self, kind: &'static str, namespace: &str, name: &str) -> Duration {
        let failures = {
            let mut map = self.failures.lock().expect("backoff lock poisoned");
            let count = map
                .entry((kind, namespace.to_string(), name.to_string()))
                .or_insert(0);
            *count = count.saturating_add(1);
            *count
        };
        jittered(
            backoff_ceiling(failures, FIRST_RETRY, MAX_RETRY),
            rand::random::<f64>(),
        )
    }

    /// The object reconciled without error: its next failure starts from the first delay again.
    pub fn succeeded(&self, kind: &'static str, namespace: &str, name: &str) {
        let mut map = self.failures.lock().expect("backoff lock poisoned");
        if !map.is_empty() {
            map.remove(&(kind, namespace.to_string(), name.to_string()));
        }
    }

    /// Consecutive failures recorded for the object.
    #[cfg(test)]
    pub fn failures(&self, kind: &'static str, namespace: &str, name: &str) -> u32 {
        self.failures
            .lock()
            .expect("backoff lock poisoned")
            .get(&(kind, namespace.to_string(), name.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_the_first_delay_up_to_the_maximum() {
        let table = [
            (1, 2),
            (2, 4),
            (3, 8),
            (4, 16),
            (5, 32),
            (6, 64),
            (7, 120),
            (8, 120),
            (40, 120),
            (u32::MAX, 120),
        ];
        for (failures, seconds) in table {
            assert_eq!(
                backoff_ceiling(failures, FIRST_RETRY, MAX_RETRY),
                Duration::from_secs(seconds),
                "after {failures} failures"
            );
        }
        assert_eq!(backoff_ceiling(0, FIRST_RETRY, MAX_RETRY), FIRST_RETRY);
    }

    #[test]
    fn jitter_keeps_half_and_spreads_the_rest() {
        let ceiling = Duration::from_secs(8);
        assert_eq!(jittered(ceiling, 0.0), Duration::from_secs(4));
        assert_eq!(jittered(ceiling, 0.5), Duration::from_secs(6));
        assert!(jittered(ceiling, 0.999_999) < ceiling);
        assert_eq!(
            jittered(ceiling, 7.0),
            ceiling,
            "out-of-range units are clamped"
        );
    }

    #[test]
    fn failures_are_counted_per_object_and_reset_by_a_success() {
        let backoff = ErrorBackoff::default();
        let first = backoff.failed("TrainingJob", "ns", "a");
        assert!(
            (Duration::from_secs(1)..=Duration::from_secs(2)).contains(&first),
            "{first:?}"
        );
        backoff.failed("TrainingJob", "ns", "a");
        let third = backoff.failed("TrainingJob", "ns", "a");
        assert!(
            (Duration::from_secs(4)..=Duration::from_secs(8)).contains(&third),
            "{third:?}"
        );
        assert_eq!(backoff.failures("TrainingJob", "ns", "a"), 3);
        assert_eq!(
            backoff.failures("TrainingJob", "ns", "b"),
            0,
            "another object is not affected"
        );
        assert_eq!(
            backoff.failures("BatchTransformJob", "ns", "a"),
            0,
            "nor the same name of another kind"
        );
        backoff.succeeded("TrainingJob", "ns", "a");
        assert_eq!(backoff.failures("TrainingJob", "ns", "a"), 0);
    }
}
