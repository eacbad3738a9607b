//! Who may scrape: the bearer token is authenticated by a TokenReview and the user authorized by
//! a SubjectAccessReview (`get` on the non-resource URL `/metrics`), both answered by the
//! apiserver, like kube-rbac-proxy does but without the sidecar. Answers are cached briefly (by
//! a hash of the token, never the token itself) so a scrape every few seconds costs no reviews.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::authorization::v1::{NonResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec};
use kube::Api;
use kube::api::PostParams;
use sha2::Digest;

/// The non-resource URL and verb a scraper must be allowed.
pub const METRICS_PATH: &str = "/metrics";
const METRICS_VERB: &str = "get";
/// Beyond this many cached answers, expired ones are dropped.
const CACHE_PRUNE_THRESHOLD: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// The apiserver does not know the token: 401.
    Unauthenticated,
    /// A known user without `get` on `/metrics`: 403.
    Forbidden,
}

pub struct ScrapeAuthorizer {
    client: kube::Client,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Decision, Instant)>>,
}

impl ScrapeAuthorizer {
    pub fn new(client: kube::Client, ttl: Duration) -> Self {
        Self { client, ttl, cache: Mutex::new(HashMap::new()) }
    }

    /// Decides on one bearer token. Apiserver failures are errors and are not cached.
    pub async fn decide(&self, token: &str) -> Result<Decision, kube::Error> {
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        if let Some((decision, at)) = self.cache.lock().expect("auth cache lock poisoned").get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(*decision);
        }
        let decision = self.review(token).await?;
        let mut cache = self.cache.lock().expect("auth cache lock poisoned");
        if cache.len() >= CACHE_PRUNE_THRESHOLD {
            let ttl = self.ttl;
            cache.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        cache.insert(key, (decision, Instant::now()));
        Ok(decision)
    }

    async fn review(&self, token: &str) -> Result<Decision, kube::Error> {
        let review = TokenReview {
            spec: TokenReviewSpec { token: token.to_string(), ..Default::default() },
            ..Default::default()
        };
        let reviewed = Api::<TokenReview>::all(self.client.clone()).create(&PostParams::default(), &review).await?;
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
        let reviewed = Api::<SubjectAccessReview>::all(self.client.clone()).create(&PostParams::default(), &access).await?;
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
