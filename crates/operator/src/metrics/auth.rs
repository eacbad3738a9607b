//! Who may scrape: the bearer token is authenticated by a TokenReview and the user authorized by
//! a SubjectAccessReview (`get` on the non-resource URL `/metrics`), both answered by the
//! apiserver, like kube-rbac-proxy does but without the sidecar. Answers are cached briefly (by
//! a hash of the token, never the token itself) so a scrape every few seconds costs no reviews.
//!
//! An unauthenticated client cannot turn scrapes into a flood of reviews: tokens not in the cache
//! are reviewed at most [`REVIEWS_PER_SECOND`] per second (bursts of [`REVIEW_BURST`]), beyond that
//! the scrape gets 429 without a review, and the cache never holds more than [`MAX_CACHED`]
//! answers, so neither the apiserver nor the operator's memory pays for made-up tokens.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;
use sha2::Digest;

/// The non-resource URL and verb a scraper must be allowed.
pub const METRICS_PATH: &str = "/metrics";
const METRICS_VERB: &str = "get";
/// The most answers the cache holds; past it expired ones go first, then the oldest.
pub const MAX_CACHED: usize = 1024;
/// Reviews of tokens not in the cache, per second, and the burst allowed above that rate.
pub const REVIEWS_PER_SECOND: u32 = 5;
pub const REVIEW_BURST: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// The apiserver does not know the token: 401.
    Unauthenticated,
    /// A known user without `get` on `/metrics`: 403.
    Forbidden,
    /// Too many unknown tokens to review right now: 429, nothing asked of the apiserver.
    TooManyReviews,
}

/// The review budget: [`REVIEWS_PER_SECOND`], bursts of [`REVIEW_BURST`]. Checked, never waited
/// on: a review either fits the budget now or the scrape is refused.
fn review_quota() -> Quota {
    Quota::per_second(NonZeroU32::new(REVIEWS_PER_SECOND).expect("a positive rate"))
        .allow_burst(NonZeroU32::new(REVIEW_BURST).expect("a positive burst"))
}

pub struct ScrapeAuthorizer {
    client: kube::Client,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Decision, Instant)>>,
    budget: DefaultDirectRateLimiter,
}

impl ScrapeAuthorizer {
    pub fn new(client: kube::Client, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            cache: Mutex::new(HashMap::new()),
            budget: RateLimiter::direct(review_quota()),
        }
    }

    /// Decides on one bearer token. Apiserver failures are errors and are not cached.
    pub async fn decide(&self, token: &str) -> Result<Decision, kube::Error> {
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        if let Some((decision, at)) = self
            .cache
            .lock()
            .expect("auth cache lock poisoned")
            .get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(*decision);
        }
        if self.budget.check().is_err() {
            tracing::debug!("metrics scrape refused: too many tokens to review");
            return Ok(Decision::TooManyReviews);
        }
        let decision = self.review(token).await?;
        let mut cache = self.cache.lock().expect("auth cache lock poisoned");
        insert_bounded(&mut cache, key, decision, self.ttl, MAX_CACHED);
        Ok(decision)
    }

    #[cfg(test)]
    fn cached(&self) -> usize {
        self.cache.lock().unwrap().len()
    }

    async fn review(&self, token: &str) -> Result<Decision, kube::Error> {
        let review = TokenReview {
            spec: TokenReviewSpec {
                token: token.to_string(),
                ..Default::default()
            },
            ..Default::default()
        };
        let reviewed = Api::<TokenReview>::all(self.client.clone())
            .create(&PostParams::default(), &review)
            .await?;
        let status = reviewed.status.unwrap_or_default();
        let Some(user) = status.user.filter(|_| status.authenticated == Some(true)) else {
            tracing::info!("metrics scrape with a token the apiserver does not accept");
            return Ok(Decision::Unauthenticated);
        };
        let access = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: user.username.clone(),
                groups: user.groups.clone(),
                uid: user.uid.clone(),
                extra: user.extra.clone(),
                non_resource_attributes: Some(NonResourceAttributes {
                    path: Some(METRICS_PATH.to_string()),
                    verb: Some(METRICS_VERB.to_string()),
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let reviewed = Api::<SubjectAccessReview>::all(self.client.clone())
            .create(&PostParams::default(), &access)
            .await?;
        let allowed = reviewed.status.is_some_and(|status| status.allowed);
        let username = user.username.unwrap_or_default();
        if allowed {
            tracing::debug!(user = %username, "metrics scrape allowed");
            Ok(Decision::Allowed)
        } else {
            tracing::info!(user = %username, "metrics scrape forbidden: the user may not get /metrics");
            Ok(Decision::Forbidden)
        }
    }
}

/// Inserts an answer, keeping at most `max` entries: expired ones go first, then the oldest.
fn insert_bounded(
    cache: &mut HashMap<[u8; 32], (Decision, Instant)>,
    key: [u8; 32],
    decision: Decision,
    ttl: Duration,
    max: usize,
) {
    if cache.len() >= max && !cache.contains_key(&key) {
        cache.retain(|_, (_, at)| at.elapsed() < ttl);
        while cache.len() >= max {
            let oldest = cache
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(key, _)| *key)
                .expect("a full cache has entries");
            cache.remove(&oldest);
        }
    }
    cache.insert(key, (decision, Instant::now()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_never_grows_past_its_bound() {
        let mut cache = HashMap::new();
        for i in 0..(MAX_CACHED as u32 * 3) {
            let mut key = [0u8; 32];
            key[..4].copy_from_slice(&i.to_be_bytes());
            insert_bounded(
                &mut cache,
                key,
                Decision::Unauthenticated,
                Duration::from_secs(60),
                MAX_CACHED,
            );
            assert!(cache.len() <= MAX_CACHED);
        }
        assert_eq!(cache.len(), MAX_CACHED);
        // The newest answer is kept.
        let mut newest = [0u8; 32];
        newest[..4].copy_from_slice(&(MAX_CACHED as u32 * 3 - 1).to_be_bytes());
        assert!(cache.contains_key(&newest));
    }

    #[test]
    fn the_review_budget_allows_a_burst_then_the_rate() {
        let clock = governor::clock::FakeRelativeClock::default();
        let budget = RateLimiter::direct_with_clock(review_quota(), clock.clone());
        let allowed = (0..100).filter(|_| budget.check().is_ok()).count();
        assert_eq!(
            allowed, REVIEW_BURST as usize,
            "a burst, then nothing until the bucket refills"
        );
        clock.advance(Duration::from_secs(1));
        let allowed = (0..100).filter(|_| budget.check().is_ok()).count();
        assert_eq!(
            allowed, REVIEWS_PER_SECOND as usize,
            "one second refills the rate"
        );
    }

    #[tokio::test]
    async fn made_up_tokens_get_429_without_reaching_the_apiserver_once_the_budget_is_spent() {
        // A client whose every request fails: a review that was attempted shows up as an error.
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        let authorizer = ScrapeAuthorizer::new(client, Duration::from_secs(60));
        let mut attempted = 0;
        let mut refused = 0;
        for i in 0..200 {
            match authorizer.decide(&format!("made-up-{i}")).await {
                Err(_) => attempted += 1,
                Ok(Decision::TooManyReviews) => refused += 1,
                Ok(other) => panic!("unexpected {other:?}"),
            }
        }
        assert!(
            attempted <= REVIEW_BURST as usize + 2,
            "reviews attempted: {attempted}"
        );
        assert!(
            refused >= 200 - REVIEW_BURST as usize - 2,
            "refused: {refused}"
        );
        assert_eq!(authorizer.cached(), 0, "failed reviews are not cached");
    }
}
