//! Gives memory freed after a burst back to the operating system. glibc's allocator keeps freed
//! memory in its arenas for reuse, so after a burst (thousands of objects created at once, a
//! full relist of the watch) the operator's RSS would stay at the burst's peak for good; a
//! periodic `malloc_trim` returns what is free. It costs well under a millisecond when nothing
//! is to be returned. Other C libraries (musl) return memory on their own: nothing to do there.

use std::time::Duration;

/// How often free heap is returned.
const TRIM_INTERVAL: Duration = Duration::from_secs(20);

/// Starts the periodic trim (a no-op task off glibc).
pub fn spawn() {
    tokio::spawn(async {
        let mut ticker = tokio::time::interval(TRIM_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            trim();
        }
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
