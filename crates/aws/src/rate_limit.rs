//! Client-side rate limits per region: SageMaker's request limits are per account and region,
//! so every client of a region draws from one bucket — and, where an operation has a lower limit
//! of its own (configured per operation, e.g. `CreateTrainingJob=2`), from that operation's bucket
//! too.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};

/// `per_second` calls on average, bursts up to `burst` (GCRA, governor's).
#[derive(Debug)]
pub struct RateLimiter(DefaultDirectRateLimiter);

impl RateLimiter {
    pub fn new(per_second: f64, burst: u32) -> Self {
        assert!(
            per_second > 0.0 && per_second.is_finite(),
            "a rate limit must allow some calls"
        );
        let quota = Quota::with_period(Duration::from_secs_f64(1.0 / per_second))
            .expect("a positive rate has a positive period")
            .allow_burst(NonZeroU32::new(burst.max(1)).expect("at least 1"));
        Self(DefaultDirectRateLimiter::direct(quota))
    }

    /// Waits until one call is allowed.
    pub async fn acquire(&self) {
        self.0.until_ready().await;
    }
}

/// A limit for one API operation (`--sagemaker-operation-rate NAME=PER_SECOND[/BURST]`).
#[derive(Debug, Clone, PartialEq)]
pub struct OperationLimit {
    /// The operation's API name, e.g. `CreateTrainingJob`.
    pub operation: String,
    pub per_second: f64,
    pub burst: u32,
}

impl std::str::FromStr for OperationLimit {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "expected OPERATION=PER_SECOND or OPERATION=PER_SECOND/BURST (for example CreateTrainingJob=2 or DescribeTrainingJob=10/20), got {value:?}"
            )
        };
        let (operation, rate) = value.split_once('=').ok_or_else(usage)?;
        let (per_second, burst) = match rate.split_once('/') {
            Some((per_second, burst)) => (per_second, Some(burst)),
            None => (rate, None),
        };
        let per_second: f64 = per_second.trim().parse().map_err(|_| usage())?;
        if !(per_second > 0.0 && per_second.is_finite())
            || operation.is_empty()
            || !operation.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(usage());
        }
        let burst = match burst {
            Some(burst) => burst
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(usage)?,
            None => per_second.ceil() as u32,
        };
        Ok(Self {
            operation: operation.to_string(),
            per_second,
            burst: burst.max(1),
        })
    }
}

/// The buckets of one region: one for every call, one per limited operation.
#[derive(Debug)]
pub struct RegionLimits {
    all: RateLimiter,
    per_operation: HashMap<String, RateLimiter>,
}

impl RegionLimits {
    pub fn new(per_second: f64, burst: u32, operations: &[OperationLimit]) -> Self {
        Self {
            all: RateLimiter::new(per_second, burst),
            per_operation: operations
                .iter()
                .map(|limit| {
                    (
                        limit.operation.clone(),
                        RateLimiter::new(limit.per_second, limit.burst),
                    )
                })
                .collect(),
        }
    }

    /// Waits until `operation` may be called: its own bucket first (so a limited operation's
    /// queue does not hold tokens of the shared one), then the region's.
    pub async fn acquire(&self, operation: &str) {
        if let Some(limiter) = self.per_operation.get(operation) {
            limiter.acquire().await;
        }
        self.all.acquire().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_limits_parse_or_say_what_is_allowed() {
        let limit: OperationLimit = "CreateTrainingJob=2".parse().unwrap();
        assert_eq!(
            (limit.operation.as_str(), limit.per_second, limit.burst),
            ("CreateTrainingJob", 2.0, 2)
        );
        let limit: OperationLimit = "DescribeTrainingJob=0.5/4".parse().unwrap();
        assert_eq!((limit.per_second, limit.burst), (0.5, 4));
        for bad in [
            "CreateTrainingJob",
            "=2",
            "CreateTrainingJob=0",
            "CreateTrainingJob=x",
            "Create-Job=1",
            "CreateTrainingJob=1/0",
        ] {
            let error = bad.parse::<OperationLimit>().unwrap_err();
            assert!(
                error.contains("OPERATION=PER_SECOND") && error.contains(bad),
                "{bad}: {error}"
            );
        }
    }

    use std::time::Instant;

    #[tokio::test]
    async fn a_limited_operation_waits_for_its_own_bucket_others_do_not() {
        let limits = RegionLimits::new(1000.0, 1000, &["CreateTrainingJob=10/1".parse().unwrap()]);
        let start = Instant::now();
        for _ in 0..20 {
            limits.acquire("DescribeTrainingJob").await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "unlimited operation waited"
        );
        let start = Instant::now();
        for _ in 0..4 {
            limits.acquire("CreateTrainingJob").await;
        }
        // One free call, then three at 10/s: at least 300 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(290),
            "{:?}",
            start.elapsed()
        );
    }

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
