//! Waiting for observable state instead of sleeping and hoping.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`wait_until`] asks again: often enough that tests do not idle, rarely enough that
/// a few dozen concurrent waits do not load the apiserver on a 2-core machine.
pub const POLL_INTERVAL: Duration = Duration::from_millis(75);

/// Calls `check` until it returns `Some`, every [`POLL_INTERVAL`], and returns the value.
/// Panics once `timeout` has passed, naming `what` was awaited and for how long.
///
/// Works on any tokio runtime (it only needs the timer).
pub async fn wait_until<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            panic!("timed out after {elapsed:.1?} (limit {timeout:?}) waiting for {what}");
        }
        tokio::time::sleep(POLL_INTERVAL.min(timeout - elapsed)).await;
    }
}

/// Like [`wait_until`], but returns `None` at the deadline instead of panicking, for tests that
/// assert something does *not* happen within a time.
pub async fn poll_until<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return None;
        }
        tokio::time::sleep(POLL_INTERVAL.min(timeout - elapsed)).await;
    }
}
