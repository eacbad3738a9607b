//! Reports every SageMaker HTTP attempt (operation and outcome) to an observer the operator
//! provides, from one SDK interceptor, so no call site has to remember to count.

use std::fmt;
use std::sync::Arc;

use aws_sdk_sagemaker::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_sagemaker::config::{Intercept, RuntimeComponents};
use aws_sdk_sagemaker::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;

use crate::errors::{ErrorKind, classify_parts};

/// How one attempt at a SageMaker call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    Success,
    /// Rate limited by SageMaker (ThrottlingException and friends).
    Throttled,
    /// Rejected by SageMaker (validation, not found, in use, access denied, …), or never sent
    /// because the request could not be built or signed (e.g. no credentials).
    ClientError,
    /// HTTP 5xx or an internal failure code.
    ServerError,
    /// The request timed out.
    Timeout,
    /// No response: connection refused, reset, DNS, TLS.
    NetworkError,
}

impl CallOutcome {
    /// The metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Throttled => "throttled",
            Self::ClientError => "client_error",
            Self::ServerError => "server_error",
            Self::Timeout => "timeout",
            Self::NetworkError => "network_error",
        }
    }

    /// The outcome of a response from its HTTP status and error code (`None` when absent),
    /// with the same classification the reconcile engine decides on.
    pub fn from_response(http_status: u16, error_code: Option<&str>) -> Self {
        if (200..300).contains(&http_status) {
            return Self::Success;
        }
        match classify_parts(error_code, None, Some(http_status)) {
            ErrorKind::Throttled => Self::Throttled,
            ErrorKind::Transient => Self::ServerError,
            _ if http_status == 429 => Self::Throttled,
            _ => Self::ClientError,
        }
    }
}

/// Receives one report per HTTP attempt (retries are separate attempts).
pub trait CallObserver: Send + Sync + 'static {
    fn sagemaker_call(&self, operation: &str, outcome: CallOutcome);
}

/// The interceptor installed on every client of [`crate::SageMakerClients`] that has an observer.
#[derive(Clone)]
pub(crate) struct ObservingInterceptor {
    observer: Arc<dyn CallObserver>,
}

impl ObservingInterceptor {
    pub(crate) fn new(observer: Arc<dyn CallObserver>) -> Self {
        Self { observer }
    }
}

impl fmt::Debug for ObservingInterceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ObservingInterceptor")
    }
}

impl Intercept for ObservingInterceptor {
    fn name(&self) -> &'static str {
        "SageMakerCallObserver"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(Metadata::name)
            .unwrap_or("unknown");
        let outcome = match (context.response(), context.output_or_error()) {
            (Some(response), _) => CallOutcome::from_response(
                response.status().as_u16(),
                error_code(response).as_deref(),
            ),
            (None, Some(Err(error))) if error.is_timeout_error() => CallOutcome::Timeout,
            (None, Some(Err(error))) if error.is_connector_error() => CallOutcome::NetworkError,
            (None, Some(Ok(_))) => CallOutcome::Success,
            // Failed before anything was sent (no credentials, a request that cannot be built).
            (None, _) => CallOutcome::ClientError,
        };
        self.observer.sagemaker_call(operation, outcome);
        Ok(())
    }
}

/// The error code of an AWS JSON 1.1 error response: the `x-amzn-ErrorType` header, else the
/// body's `__type` (both may carry a namespace or a URI suffix, which are stripped).
fn error_code(response: &aws_sdk_sagemaker::config::http::HttpResponse) -> Option<String> {
    if let Some(header) = response.headers().get("x-amzn-errortype") {
        return Some(bare_error_code(header));
    }
    let body: serde_json::Value = serde_json::from_slice(response.body().bytes()?).ok()?;
    body.get("__type")
        .and_then(serde_json::Value::as_str)
        .map(bare_error_code)
}

/// `com.amazonaws.sagemaker#ThrottlingException` or `ThrottlingException:http://…` →
/// `ThrottlingException`.
fn bare_error_code(raw: &str) -> String {
    let without_uri = raw.split(':').next().unwrap_or(raw);
    without_uri
        .rsplit('#')
        .next()
        .unwrap_or(without_uri)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_lose_namespace_and_uri() {
        assert_eq!(
            bare_error_code("com.amazonaws.sagemaker#ThrottlingException"),
            "ThrottlingException"
        );
        assert_eq!(
            bare_error_code("ThrottlingException:http://internal.amazon.com/coral/"),
            "ThrottlingException"
        );
        assert_eq!(
            bare_error_code("ValidationException"),
            "ValidationException"
        );
    }

    #[test]
    fn outcomes_follow_the_engine_classification() {
        assert_eq!(CallOutcome::from_response(200, None), CallOutcome::Success);
        assert_eq!(
            CallOutcome::from_response(400, Some("ThrottlingException")),
            CallOutcome::Throttled
        );
        assert_eq!(
            CallOutcome::from_response(400, Some("ValidationException")),
            CallOutcome::ClientError
        );
        assert_eq!(
            CallOutcome::from_response(400, Some("ResourceNotFound")),
            CallOutcome::ClientError
        );
        assert_eq!(
            CallOutcome::from_response(500, Some("InternalFailure")),
            CallOutcome::ServerError
        );
        assert_eq!(
            CallOutcome::from_response(503, None),
            CallOutcome::ServerError
        );
        assert_eq!(
            CallOutcome::from_response(429, None),
            CallOutcome::Throttled
        );
    }
}
