//! Client-side rate limit per region: SageMaker's request limits are per account and region, so
//! every client of a region draws from one bucket.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token bucket: `per_second` calls on average, bursts up to `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: u32) -> Self {
        assert!(per_second > 0.0, "a rate limit must allow some calls");
        Self {
            per_second,
            burst: f64::from(burst.max(1)),
            state: Mutex::new(BucketState {
                tokens: f64::from(burst.max(1)),
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Waits until one call is allowed. Waiters queue on the mutex, so they are served in order.
    pub async fn acquire(&self) {
        let mut state = self.state.lock().await;
        loop {
            let now = Instant::now();
            let elapsed = now.duration_since(state.refilled_at).as_secs_f64();
            state.tokens = (state.tokens + elapsed * self.per_second).min(self.burst);
            state.refilled_at = now;
            if state.tokens >= 1.0 {
                state.tokens -= 1.0;
                return;
            }
            let missing = 1.0 - state.tokens;
            tokio::time::sleep(Duration::from_secs_f64(missing / self.per_second)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn burst_is_free_then_calls_are_spaced() {
        let limiter = RateLimiter::new(50.0, 5);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
        for _ in 0..10 {
            limiter.acquire().await;
        }
        // Ten calls beyond the burst at 50/s cannot take less than 200 ms.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(190), "{elapsed:?}");
    }
}
