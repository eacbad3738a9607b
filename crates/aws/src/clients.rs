//! One SageMaker SDK client per (region, endpoint), built once from the default credential chain
//! and reused by every reconcile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::SdkConfig;
use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::config::Region;
use aws_sdk_sagemaker::config::retry::RetryConfig;
use aws_sdk_sagemaker::config::timeout::TimeoutConfig;

use crate::autoscaling::AutoscalingHandle;
use crate::call_observer::{CallObserver, ObservingInterceptor};
use crate::endpoint_policy::{AllowedEndpoint, EndpointPolicy, EndpointRefused};
pub use crate::location::ApiLocation;
use crate::rate_limit::{OperationLimit, RegionLimits};

/// Environment variable naming the SageMaker endpoint for objects without `sageMakerEndpoint`.
pub const DEFAULT_ENDPOINT_ENV: &str = "AWS_DEFAULT_SAGEMAKER_ENDPOINT";

/// A client for one location plus the rate limit of its region.
#[derive(Clone, Debug)]
pub struct SageMakerHandle {
    pub location: ApiLocation,
    pub client: Client,
    pub(crate) limiter: Arc<RegionLimits>,
}

impl SageMakerHandle {
    /// Waits for the region's rate limits of `operation` (its API name); call before every
    /// request.
    pub async fn throttle(&self, operation: &str) {
        self.limiter.acquire(operation).await;
    }
}

/// Settings of the client cache.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Endpoint used when an object names none (usually from [`DEFAULT_ENDPOINT_ENV`]).
    pub default_endpoint: Option<String>,
    /// Client-side calls per second per region.
    pub calls_per_second_per_region: f64,
    pub burst_per_region: u32,
    /// Lower limits of single operations, on top of the region's.
    pub operation_limits: Vec<OperationLimit>,
    /// SDK attempts per call (standard retry mode: exponential backoff with jitter).
    pub max_attempts: u32,
    /// Endpoints besides AWS's own https ones that objects may name in `sageMakerEndpoint`.
    pub allowed_endpoints: Vec<AllowedEndpoint>,
    /// Longest wait for one HTTP attempt (connect, send, read the whole response).
    pub attempt_timeout: Duration,
    /// Longest wait for one operation, retries included.
    pub operation_timeout: Duration,
    /// Application Auto Scaling endpoint for objects that name none (usually from
    /// [`crate::autoscaling::DEFAULT_AUTOSCALING_ENDPOINT_ENV`]).
    pub default_autoscaling_endpoint: Option<String>,
}

impl ClientSettings {
    pub fn from_env() -> Self {
        Self {
            default_endpoint: std::env::var(DEFAULT_ENDPOINT_ENV)
                .ok()
                .filter(|value| !value.is_empty()),
            calls_per_second_per_region: 50.0,
            burst_per_region: 50,
            operation_limits: Vec::new(),
            max_attempts: 4,
            allowed_endpoints: Vec::new(),
            attempt_timeout: Duration::from_secs(20),
            operation_timeout: Duration::from_secs(60),
            default_autoscaling_endpoint: std::env::var(
                crate::autoscaling::DEFAULT_AUTOSCALING_ENDPOINT_ENV,
            )
            .ok()
            .filter(|value| !value.is_empty()),
        }
    }
}

/// The cache of SDK clients.
pub struct SageMakerClients {
    base: SdkConfig,
    settings: ClientSettings,
    clients: Mutex<HashMap<ApiLocation, SageMakerHandle>>,
    autoscaling_clients: Mutex<HashMap<ApiLocation, AutoscalingHandle>>,
    limiters: Mutex<HashMap<String, Arc<RegionLimits>>>,
    /// Told about every HTTP attempt of every client (for metrics).
    observer: Option<Arc<dyn CallObserver>>,
}

impl SageMakerClients {
    /// Loads the default credential chain (env, profile, web identity, container, IMDS) once.
    pub async fn load(settings: ClientSettings) -> Self {
        let base = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Self::with_config(base, settings)
    }

    pub fn with_config(base: SdkConfig, settings: ClientSettings) -> Self {
        Self {
            base,
            settings,
            clients: Mutex::new(HashMap::new()),
            autoscaling_clients: Mutex::new(HashMap::new()),
            limiters: Mutex::new(HashMap::new()),
            observer: None,
        }
    }

    /// Reports every call attempt of the clients built from now on to `observer`.
    pub fn observed_by(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The location an object's `region`/`sageMakerEndpoint` resolve to, or why the operator
    /// refuses to send signed requests to that endpoint ([`EndpointPolicy`]).
    pub fn locate(
        &self,
        region: &str,
        endpoint: Option<&str>,
    ) -> Result<ApiLocation, EndpointRefused> {
        let endpoint = endpoint.filter(|value| !value.is_empty());
        if let Some(endpoint) = endpoint {
            EndpointPolicy {
                default_endpoint: self.settings.default_endpoint.clone(),
                allowed: self.settings.allowed_endpoints.clone(),
            }
            .check(endpoint)?;
        }
        Ok(ApiLocation {
            region: region.to_string(),
            endpoint: endpoint
                .map(str::to_string)
                .or_else(|| self.settings.default_endpoint.clone()),
        })
    }

    /// The Application Auto Scaling location of an object's `region` and
    /// `applicationAutoscalingEndpoint`, under the same endpoint policy as SageMaker's.
    pub fn locate_autoscaling(
        &self,
        region: &str,
        endpoint: Option<&str>,
    ) -> Result<ApiLocation, EndpointRefused> {
        let endpoint = endpoint.filter(|value| !value.is_empty());
        if let Some(endpoint) = endpoint {
            EndpointPolicy {
                default_endpoint: self.settings.default_autoscaling_endpoint.clone(),
                allowed: self.settings.allowed_endpoints.clone(),
            }
            .check(endpoint)
            .map_err(|refused| refused.for_field("spec.applicationAutoscalingEndpoint"))?;
        }
        Ok(ApiLocation {
            region: region.to_string(),
            endpoint: endpoint
                .map(str::to_string)
                .or_else(|| self.settings.default_autoscaling_endpoint.clone()),
        })
    }

    fn limiter(&self, region: &str) -> Arc<RegionLimits> {
        self.limiters
            .lock()
            .expect("limiter lock poisoned")
            .entry(region.to_string())
            .or_insert_with(|| {
                Arc::new(RegionLimits::new(
                    self.settings.calls_per_second_per_region,
                    self.settings.burst_per_region,
                    &self.settings.operation_limits,
                ))
            })
            .clone()
    }

    fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.settings.max_attempts)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(10))
    }

    /// Without these a connection that stalls mid-response holds its reconcile (and the object)
    /// forever; the SDK's defaults set only a connect timeout.
    fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(self.settings.attempt_timeout)
            .operation_timeout(self.settings.operation_timeout)
            .build()
    }

    /// The cached Application Auto Scaling client for a location, built on first use.
    pub fn autoscaling(&self, location: &ApiLocation) -> AutoscalingHandle {
        let mut clients = self
            .autoscaling_clients
            .lock()
            .expect("client cache lock poisoned");
        if let Some(handle) = clients.get(location) {
            return handle.clone();
        }
        let mut config = aws_sdk_applicationautoscaling::config::Builder::from(&self.base)
            .region(aws_sdk_applicationautoscaling::config::Region::new(
                location.region.clone(),
            ))
            .retry_config(self.retry_config())
            .timeout_config(self.timeout_config());
        if let Some(endpoint) = &location.endpoint {
            config = config.endpoint_url(endpoint);
        }
        if let Some(observer) = &self.observer {
            config = config.interceptor(ObservingInterceptor::new(observer.clone()));
        }
        tracing::info!(region = %location.region, endpoint = ?location.endpoint, "creating Application Auto Scaling client");
        let handle = AutoscalingHandle {
            location: location.clone(),
            client: aws_sdk_applicationautoscaling::Client::from_conf(config.build()),
            limiter: self.limiter(&location.region),
        };
        clients.insert(location.clone(), handle.clone());
        handle
    }

    /// The cached client for a location, built on first use.
    pub fn handle(&self, location: &ApiLocation) -> SageMakerHandle {
        let mut clients = self.clients.lock().expect("client cache lock poisoned");
        if let Some(handle) = clients.get(location) {
            return handle.clone();
        }
        let limiter = self.limiter(&location.region);
        let mut config = aws_sdk_sagemaker::config::Builder::from(&self.base)
            .region(Region::new(location.region.clone()))
            .retry_config(self.retry_config())
            .timeout_config(self.timeout_config());
        if let Some(endpoint) = &location.endpoint {
            config = config.endpoint_url(endpoint);
        }
        if let Some(observer) = &self.observer {
            config = config.interceptor(ObservingInterceptor::new(observer.clone()));
        }
        tracing::info!(region = %location.region, endpoint = ?location.endpoint, "creating SageMaker client");
        let handle = SageMakerHandle {
            location: location.clone(),
            client: Client::from_conf(config.build()),
            limiter,
        };
        clients.insert(location.clone(), handle.clone());
        handle
    }
}
