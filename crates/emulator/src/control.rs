//! Test control: fault injection, per-operation rate limits and call counters, plus the
//! `/_emulator/` HTTP API that manages them.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};
use serde::{Deserialize, Serialize};

use crate::wire::{ApiError, ErrorCode};

const MAX_COUNTED_OPERATIONS: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// ThrottlingException, HTTP 400, "Rate exceeded".
    Throttling,
    /// InternalFailure, HTTP 500.
    Internal,
    /// ServiceUnavailable, HTTP 503.
    Unavailable,
    /// Adds `latencyMs` before the request is served normally.
    Latency,
    /// Closes the connection without answering.
    Drop,
    /// ResourceLimitExceeded, HTTP 400: an account quota is used up.
    Quota,
    /// Answers with the error `code` (any code the emulator knows, e.g.
    /// `ConcurrentUpdateException`) and `message`, with that code's HTTP status.
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// Operation name (`CreateTrainingJob`), full name (`SageMaker.CreateTrainingJob`) or `*`.
    pub operation: String,
    pub kind: FaultKind,
    /// Fire this many times, then stop (unlimited when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Fire with this probability per matching call (always when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// The error code of an `error` fault (its wire name, `ValidationException`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitRule {
    pub operation: String,
    pub per_second: f64,
    #[serde(default)]
    pub burst: Option<u32>,
}

/// The longest replenish period a rule can ask for; slower rates (`perSecond` near zero) are
/// held at it, which for a test is the same as never refilling.
const MAX_PERIOD: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// One rule with the limiter that enforces it: `burst` calls at once, then one per
/// `1 / perSecond` seconds.
struct Limit {
    rule: RateLimitRule,
    limiter: DefaultDirectRateLimiter,
}

impl Limit {
    fn new(rule: RateLimitRule) -> Self {
        let burst = NonZeroU32::new(rule.burst.unwrap_or(1)).unwrap_or(NonZeroU32::MIN);
        let period = Duration::try_from_secs_f64(1.0 / rule.per_second)
            .unwrap_or(MAX_PERIOD)
            .clamp(Duration::from_nanos(1), MAX_PERIOD);
        // `with_period` refuses only a zero period, which the clamp rules out.
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Limit {
            rule,
            limiter: DefaultDirectRateLimiter::direct(quota),
        }
    }
}

/// What the server does with one call after consulting the faults and limits.
#[derive(Debug)]
pub enum Verdict {
    Serve,
    Fail(ApiError),
    Drop,
}

#[derive(Default)]
pub struct Control {
    faults: Mutex<Vec<FaultRule>>,
    limits: Mutex<Vec<Limit>>,
    calls: Mutex<HashMap<String, u64>>,
    /// Faults injected so far, per kind (what a soak test reports it survived).
    injected: Mutex<BTreeMap<FaultKind, u64>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("invalid control request: {0}")]
    BadRequest(String),
}

fn matches(rule_operation: &str, full: &str) -> bool {
    rule_operation == "*"
        || rule_operation == full
        || full
            .split_once('.')
            .is_some_and(|(_, short)| short == rule_operation)
}

impl Control {
    pub fn count_call(&self, full_operation: &str) {
        let mut calls = self.calls.lock().expect("calls lock");
        if let Some(count) = calls.get_mut(full_operation) {
            *count += 1;
        } else if calls.len() < MAX_COUNTED_OPERATIONS {
            // Operation names come from clients; the cap keeps made-up names from growing the
            // map without bound.
            calls.insert(full_operation.to_string(), 1);
        }
    }

    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls
            .lock()
            .expect("calls lock")
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Faults injected since the last reset, per kind.
    pub fn injected(&self) -> BTreeMap<FaultKind, u64> {
        self.injected.lock().expect("injected lock").clone()
    }

    pub fn clear_calls(&self) {
        self.calls.lock().expect("calls lock").clear();
    }

    pub fn add_fault(&self, rule: FaultRule) -> Result<(), ControlError> {
        if let Some(probability) = rule.probability
            && !(0.0..=1.0).contains(&probability)
        {
            return Err(ControlError::BadRequest(
                "probability must be between 0 and 1".into(),
            ));
        }
        if rule.kind == FaultKind::Latency && rule.latency_ms.is_none() {
            return Err(ControlError::BadRequest(
                "a latency fault needs latencyMs".into(),
            ));
        }
        if rule.kind == FaultKind::Error
            && rule
                .code
                .as_deref()
                .and_then(ErrorCode::from_wire_name)
                .is_none()
        {
            return Err(ControlError::BadRequest(format!(
                "an error fault needs a known code, got {:?}",
                rule.code
            )));
        }
        tracing::info!(operation = %rule.operation, kind = ?rule.kind, count = ?rule.count, probability = ?rule.probability, "fault added");
        self.faults.lock().expect("faults lock").push(rule);
        Ok(())
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.faults.lock().expect("faults lock").clone()
    }

    pub fn clear_faults(&self) {
        self.faults.lock().expect("faults lock").clear();
    }

    pub fn set_rate_limit(&self, rule: RateLimitRule) -> Result<(), ControlError> {
        if !(rule.per_second.is_finite() && rule.per_second > 0.0) {
            return Err(ControlError::BadRequest(
                "perSecond must be a positive number".into(),
            ));
        }
        let mut limits = self.limits.lock().expect("limits lock");
        limits.retain(|limit| limit.rule.operation != rule.operation);
        tracing::info!(operation = %rule.operation, per_second = rule.per_second, burst = rule.burst.unwrap_or(1).max(1), "rate limit set");
        limits.push(Limit::new(rule));
        Ok(())
    }

    pub fn rate_limits(&self) -> Vec<RateLimitRule> {
        self.limits
            .lock()
            .expect("limits lock")
            .iter()
            .map(|limit| limit.rule.clone())
            .collect()
    }

    pub fn clear_rate_limits(&self) {
        self.limits.lock().expect("limits lock").clear();
    }

    pub fn reset(&self) {
        self.injected.lock().expect("injected lock").clear();
        self.clear_faults();
        self.clear_rate_limits();
        self.clear_calls();
    }

    /// Decides the fate of one call: the added latency (summed over matching latency faults)
    /// and whether it is served, failed or dropped. Count-limited faults are used up here.
    pub fn judge(&self, full_operation: &str) -> (Option<Duration>, Verdict) {
        let mut latency = Duration::ZERO;
        let mut verdict = Verdict::Serve;
        {
            let mut faults = self.faults.lock().expect("faults lock");
            for rule in faults
                .iter_mut()
                .filter(|rule| matches(&rule.operation, full_operation))
            {
                if rule.count == Some(0) {
                    continue;
                }
                if rule.kind != FaultKind::Latency && !matches!(verdict, Verdict::Serve) {
                    continue;
                }
                if let Some(probability) = rule.probability
                    && rand::random::<f64>() >= probability
                {
                    continue;
                }
                if let Some(count) = rule.count.as_mut() {
                    *count -= 1;
                }
                match rule.kind {
                    FaultKind::Latency => {
                        latency += Duration::from_millis(rule.latency_ms.unwrap_or(0))
                    }
                    FaultKind::Throttling => verdict = Verdict::Fail(ApiError::throttled()),
                    FaultKind::Internal => {
                        verdict = Verdict::Fail(ApiError::new(
                            ErrorCode::InternalFailure,
                            "An internal error occurred (injected by the emulator).",
                        ))
                    }
                    FaultKind::Unavailable => {
                        verdict = Verdict::Fail(ApiError::new(
                            ErrorCode::ServiceUnavailable,
                            "Service is unavailable (injected by the emulator).",
                        ))
                    }
                    FaultKind::Drop => verdict = Verdict::Drop,
                    FaultKind::Quota => {
                        verdict = Verdict::Fail(ApiError::new(
                            ErrorCode::ResourceLimitExceeded,
                            "The account-level service limit 'ml.m4.xlarge for training job usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances (injected by the emulator).",
                        ))
                    }
                    FaultKind::Error => {
                        let code = rule
                            .code
                            .as_deref()
                            .and_then(ErrorCode::from_wire_name)
                            .unwrap_or(ErrorCode::InternalFailure);
                        let message = rule.message.clone().unwrap_or_else(|| {
                            format!("{} (injected by the emulator).", code.wire_name())
                        });
                        verdict = Verdict::Fail(ApiError::new(code, message))
                    }
                }
                tracing::debug!(operation = full_operation, kind = ?rule.kind, "fault injected");
                *self
                    .injected
                    .lock()
                    .expect("injected lock")
                    .entry(rule.kind)
                    .or_insert(0) += 1;
            }
            faults.retain(|rule| rule.count != Some(0));
        }
        if matches!(verdict, Verdict::Serve) && !self.take_token(full_operation) {
            verdict = Verdict::Fail(ApiError::throttled());
        }
        ((!latency.is_zero()).then_some(latency), verdict)
    }

    /// Every matching rule must let the call through; a rule that does uses up one of its
    /// calls even when a later rule then throttles.
    fn take_token(&self, full_operation: &str) -> bool {
        let limits = self.limits.lock().expect("limits lock");
        limits
            .iter()
            .filter(|limit| matches(&limit.rule.operation, full_operation))
            .all(|limit| limit.limiter.check().is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_limited_fault_fires_exactly_count_times() {
        let control = Control::default();
        control
            .add_fault(FaultRule {
                operation: "DescribeTrainingJob".into(),
                kind: FaultKind::Throttling,
                count: Some(2),
                probability: None,
                latency_ms: None,
                code: None,
                message: None,
            })
            .unwrap();
        let fired = (0..5)
            .filter(|_| {
                matches!(
                    control.judge("SageMaker.DescribeTrainingJob").1,
                    Verdict::Fail(_)
                )
            })
            .count();
        assert_eq!(fired, 2);
        assert!(matches!(
            control.judge("SageMaker.CreateTrainingJob").1,
            Verdict::Serve
        ));
        assert!(control.faults().is_empty(), "used-up faults are removed");
    }

    #[test]
    fn rate_limit_allows_burst_then_throttles() {
        let control = Control::default();
        control
            .set_rate_limit(RateLimitRule {
                operation: "*".into(),
                per_second: 0.001,
                burst: Some(3),
            })
            .unwrap();
        let served = (0..10)
            .filter(|_| {
                matches!(
                    control.judge("SageMaker.ListTrainingJobs").1,
                    Verdict::Serve
                )
            })
            .count();
        assert_eq!(served, 3);
    }

    #[test]
    fn rate_limit_applies_to_its_operation_only() {
        let control = Control::default();
        control
            .set_rate_limit(RateLimitRule {
                operation: "SageMaker.DescribeTrainingJob".into(),
                per_second: 0.001,
                burst: None,
            })
            .unwrap();
        let served = |operation: &str| matches!(control.judge(operation).1, Verdict::Serve);
        assert!(served("SageMaker.DescribeTrainingJob"));
        assert!(
            !served("SageMaker.DescribeTrainingJob"),
            "burst 1 is used up"
        );
        assert!(served("SageMaker.ListTrainingJobs"));
        control.clear_rate_limits();
        assert!(served("SageMaker.DescribeTrainingJob"));
    }
}
