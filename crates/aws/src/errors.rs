//! SageMaker (and Application Auto Scaling) failures, classified by what they mean. What the
//! operator does about each kind (retry with backoff, or report) is decided in one place, the
//! operator's `ErrorCategory`; this module only tells the kinds apart and keeps the SDK's error.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::{ErrorMetadata, ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::operation::RequestId;

/// The SDK error (or any other cause) kept behind a [`SageMakerError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What a failed call means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The named resource does not exist (per the "not found" message table of the API).
    NotFound,
    /// A create found the name already taken.
    ResourceInUse,
    /// SageMaker rejected the request; the same request will be rejected again.
    Validation,
    /// Rate limited.
    Throttled,
    /// An account quota is used up (`ResourceLimitExceeded`: too many instances of a type, jobs
    /// or endpoints). Not the request's fault: it succeeds once other work ends or the quota
    /// is raised.
    QuotaExceeded,
    /// 5xx, timeout or connection failure.
    Transient,
    /// No credentials, or credentials AWS refused (expired, unknown, badly signed, a role that
    /// may not be assumed): a configuration of the operator's pod, which can appear later.
    Credentials,
    /// Anything else (an unknown code, a request the SDK could not build, an answer that does
    /// not fit the spec).
    Other,
}

/// A failed SageMaker call: its [`ErrorKind`], SageMaker's code, message and request ID, and
/// the SDK's error as the source.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.text())]
pub struct SageMakerError {
    pub kind: ErrorKind,
    code: Option<String>,
    message: String,
    request_id: Option<String>,
    #[source]
    source: Option<BoxError>,
}

/// What users are told to set when credentials are missing or refused.
pub const CREDENTIALS_HELP: &str = "set the eks.amazonaws.com/role-arn annotation on the operator's service account, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in its environment";

/// How the request ID ends a message: `… (request ID 0123-…)`.
pub const REQUEST_ID_LABEL: &str = " (request ID ";

impl SageMakerError {
    /// A failure found without a SageMaker answer (a request that cannot be built, a resource
    /// not visible yet).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
            request_id: None,
            source: None,
        }
    }

    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// SageMaker's error code (`ValidationException`, …), when it answered.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// SageMaker's own words (or what went wrong, when it did not answer).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// `code: message`, without the request ID (which differs on every call).
    pub fn summary(&self) -> String {
        let said = match (&self.code, self.message.is_empty()) {
            (Some(code), false) => format!("{code}: {}", self.message),
            (Some(code), true) => code.clone(),
            (None, _) => self.message.clone(),
        };
        if self.kind == ErrorKind::Credentials {
            return format!(
                "AWS credentials are missing or were refused ({said}); {CREDENTIALS_HELP}"
            );
        }
        said
    }

    fn text(&self) -> String {
        match &self.request_id {
            Some(id) => format!("{}{REQUEST_ID_LABEL}{id})", self.summary()),
            None => self.summary(),
        }
    }
}

/// Message starts that mean "the resource does not exist". "Could not find endpoint" is a
/// prefix of "Could not find endpoint configuration", so [`not_found_subject`] compares whole
/// phrases.
const NOT_FOUND_MESSAGES: &[&str] = &[
    "Requested resource not found",
    "Amazon SageMaker can't find a tuning job",
    "Could not find requested job",
    "Could not find endpoint configuration",
    "Could not find endpoint",
    "Could not find model",
    // DescribeInferenceComponent and DeleteInferenceComponent of a missing component.
    "Could not find inference component",
];

/// How Creates answer a taken name with a ValidationException instead of ResourceInUse.
const TAKEN_NAME_MESSAGES: &[&str] = &[
    // CreateModel, CreateEndpointConfig, CreateEndpoint: "Cannot create already existing model …".
    "Cannot create already existing",
    // CreateModelPackageGroup: "Model Package Group already exists: <arn>".
    "Model Package Group already exists",
];

/// Which kind of resource a "not found" message is about: the longest matching phrase wins, so
/// a missing endpoint configuration is never reported as a missing endpoint.
pub fn not_found_subject(message: &str) -> Option<&'static str> {
    NOT_FOUND_MESSAGES
        .iter()
        .filter(|phrase| message.starts_with(**phrase))
        .max_by_key(|phrase| phrase.len())
        .copied()
}

/// The kind of an answer, from its service code, message and HTTP status.
pub fn classify_parts(
    code: Option<&str>,
    message: Option<&str>,
    http_status: Option<u16>,
) -> ErrorKind {
    let text = message.unwrap_or_default();
    match code {
        // Application Auto Scaling's "someone else is changing this target": try again shortly.
        Some(
            "ThrottlingException"
            | "Throttling"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "ConcurrentUpdateException",
        ) => return ErrorKind::Throttled,
        Some("ResourceNotFound" | "ResourceNotFoundException" | "ObjectNotFoundException") => {
            return ErrorKind::NotFound;
        }
        // Application Auto Scaling cannot reach the SageMaker resource (an endpoint not in
        // service, or being updated): it may be reachable later.
        Some("FailedResourceAccessException") => return ErrorKind::Transient,
        Some(
            "LimitExceededException" | "ResourceLimitExceeded" | "ResourceLimitExceededException",
        ) => return ErrorKind::QuotaExceeded,
        Some("ResourceInUse" | "ResourceInUseException") => return ErrorKind::ResourceInUse,
        // The signature's key is unknown, the signature does not match, or the session token
        // expired: the credentials, not the request.
        Some(
            "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
            | "ExpiredToken"
            | "InvalidClientTokenId",
        ) => return ErrorKind::Credentials,
        _ => {}
    }
    if not_found_subject(text).is_some() {
        return ErrorKind::NotFound;
    }
    if TAKEN_NAME_MESSAGES
        .iter()
        .any(|phrase| text.starts_with(phrase))
    {
        return ErrorKind::ResourceInUse;
    }
    // The model registry answers a missing group or package with "ModelPackageGroup <arn> does
    // not exist." / "ModelPackage <arn> does not exist." (a ValidationException).
    if ["ModelPackageGroup ", "ModelPackage "]
        .iter()
        .any(|subject| text.starts_with(subject))
        && text.contains(" does not exist")
    {
        return ErrorKind::NotFound;
    }
    if matches!(http_status, Some(status) if status >= 500)
        || matches!(
            code,
            Some("InternalFailure" | "ServiceUnavailable" | "InternalServerError")
        )
    {
        return ErrorKind::Transient;
    }
    match code {
        Some("ValidationException" | "InvalidParameterException" | "SerializationException") => {
            ErrorKind::Validation
        }
        _ => ErrorKind::Other,
    }
}

/// Classifies any SDK operation error, keeping it as the source.
pub fn classify<E>(error: SdkError<E, HttpResponse>) -> SageMakerError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let request_id = error.request_id().map(str::to_string);
    let (kind, code, message) = match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code();
            let message = context.err().message();
            let kind = classify_parts(code, message, Some(context.raw().status().as_u16()));
            (
                kind,
                code.map(str::to_string),
                message.unwrap_or_default().to_string(),
            )
        }
        _ if credentials_error(&error).is_some() => (
            ErrorKind::Credentials,
            None,
            credentials_cause(credentials_error(&error).expect("checked above")),
        ),
        SdkError::TimeoutError(_) => (ErrorKind::Transient, None, "request timed out".into()),
        SdkError::DispatchFailure(_) => (
            ErrorKind::Transient,
            None,
            format!("could not send the request: {}", causes(&error)),
        ),
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            let kind = if status >= 500 || status == 429 {
                ErrorKind::Transient
            } else {
                ErrorKind::Other
            };
            (
                kind,
                None,
                format!("unreadable response with HTTP {status}"),
            )
        }
        _ => (ErrorKind::Other, None, causes(&error)),
    };
    SageMakerError {
        kind,
        code,
        message,
        request_id,
        source: Some(Box::new(error)),
    }
}

/// The credential providers' error in an error's source chain: the SDK reports a call that
/// found no credentials (or whose provider was refused, e.g. STS's AssumeRoleWithWebIdentity)
/// as a dispatch failure caused by it.
fn credentials_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    chain(error).find_map(|cause| cause.downcast_ref::<CredentialsError>())
}

/// The error and its sources, outermost first.
fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&cause| cause.source())
}

/// What each cause in the chain says, in one line, without repeats (never the debug dump).
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut said: Vec<String> = Vec::new();
    for cause in chain(error) {
        let text = cause.to_string();
        if !text.is_empty() && !said.contains(&text) {
            said.push(text);
        }
    }
    said.join(": ")
}

/// Why the credentials are not there, briefly: the provider's own words and the service's
/// code and message when one refused (STS's AssumeRoleWithWebIdentity), else the innermost
/// cause (never the ErrorMetadata's debug-shaped Display).
fn credentials_cause(error: &CredentialsError) -> String {
    match error {
        CredentialsError::CredentialsNotLoaded(_) => "no credentials found".into(),
        CredentialsError::ProviderTimedOut(_) => error.to_string(),
        _ => {
            let refusal = chain(error)
                .find_map(|cause| cause.downcast_ref::<ErrorMetadata>())
                .map(|meta| {
                    [meta.code(), meta.message()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ")
                });
            let cause = refusal.unwrap_or_else(|| {
                chain(error)
                    .last()
                    .map(|cause| cause.to_string())
                    .unwrap_or_default()
            });
            let outer = error.to_string();
            if cause.is_empty() || cause == outer {
                outer
            } else {
                format!("{outer}: {cause}")
            }
        }
    }
}

#[cfg(test)]
mod tests;
