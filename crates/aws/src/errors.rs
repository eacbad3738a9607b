//! Classification of SageMaker failures into what the reconcile engine decides on.

use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};

/// A failed SageMaker call, classified by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SageMakerError {
    /// The named resource does not exist (per the "not found" message table of the API).
    #[error("not found: {0}")]
    NotFound(String),
    /// A create found the name already taken.
    #[error("resource in use: {0}")]
    ResourceInUse(String),
    /// SageMaker rejected the request; retrying the same request will not help.
    #[error("validation error: {0}")]
    Validation(String),
    /// Rate limited; retry later with backoff.
    #[error("throttled: {0}")]
    Throttled(String),
    /// An account quota is used up (`ResourceLimitExceeded`: too many instances of a type, jobs
    /// or endpoints). Not the request's fault: it succeeds once other work ends or the quota
    /// is raised, so it is retried with backoff and reported, not treated as a rejection.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// 5xx, timeout or connection failure; retry later with backoff.
    #[error("transient failure: {0}")]
    Transient(String),
    /// Anything else (for example a request the SDK could not build).
    #[error("{0}")]
    Other(String),
}

impl SageMakerError {
    /// Worth retrying the same call later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttled(_) | Self::Transient(_) | Self::QuotaExceeded(_)
        )
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

/// Classifies an error from its service code, message and HTTP status.
pub fn classify_parts(
    code: Option<&str>,
    message: Option<&str>,
    http_status: Option<u16>,
) -> SageMakerError {
    let text = message.unwrap_or_default().to_string();
    let described = match code {
        Some(code) if !text.is_empty() => format!("{code}: {text}"),
        Some(code) => code.to_string(),
        None => text.clone(),
    };
    match code {
        // Application Auto Scaling's "someone else is changing this target": try again shortly.
        Some(
            "ThrottlingException"
            | "Throttling"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "ConcurrentUpdateException",
        ) => {
            return SageMakerError::Throttled(described);
        }
        Some("ResourceNotFound" | "ResourceNotFoundException" | "ObjectNotFoundException") => {
            return SageMakerError::NotFound(described);
        }
        // Application Auto Scaling cannot reach the SageMaker resource (an endpoint not in
        // service, or being updated): it may be reachable later.
        Some("FailedResourceAccessException") => return SageMakerError::Transient(described),
        Some("LimitExceededException") => return SageMakerError::QuotaExceeded(described),
        Some("ResourceInUse" | "ResourceInUseException") => {
            return SageMakerError::ResourceInUse(described);
        }
        Some("ResourceLimitExceeded" | "ResourceLimitExceededException") => {
            return SageMakerError::QuotaExceeded(described);
        }
        _ => {}
    }
    if not_found_subject(&text).is_some() {
        return SageMakerError::NotFound(described);
    }
    // CreateModel, CreateEndpointConfig and CreateEndpoint answer a taken name with a
    // ValidationException, not ResourceInUse: "Cannot create already existing model …".
    if text.starts_with("Cannot create already existing") {
        return SageMakerError::ResourceInUse(described);
    }
    if matches!(http_status, Some(status) if status >= 500)
        || matches!(
            code,
            Some("InternalFailure" | "ServiceUnavailable" | "InternalServerError")
        )
    {
        return SageMakerError::Transient(described);
    }
    match code {
        Some("ValidationException" | "InvalidParameterException" | "SerializationException") => {
            SageMakerError::Validation(described)
        }
        _ => SageMakerError::Other(described),
    }
}

/// Classifies any SDK operation error.
pub fn classify<E>(error: &SdkError<E, HttpResponse>) -> SageMakerError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(context) => classify_parts(
            context.err().code(),
            context.err().message(),
            Some(context.raw().status().as_u16()),
        ),
        SdkError::TimeoutError(_) => SageMakerError::Transient("request timed out".into()),
        SdkError::DispatchFailure(failure) => {
            SageMakerError::Transient(format!("dispatch failure: {failure:?}"))
        }
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            if status >= 500 || status == 429 {
                SageMakerError::Transient(format!("unreadable response with HTTP {status}"))
            } else {
                SageMakerError::Other(format!("unreadable response with HTTP {status}"))
            }
        }
        other => SageMakerError::Other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_training_job_is_not_found() {
        let error = classify_parts(
            Some("ValidationException"),
            Some("Requested resource not found: TrainingJob x"),
            Some(400),
        );
        assert!(matches!(error, SageMakerError::NotFound(_)), "{error:?}");
    }

    #[test]
    fn other_validation_errors_stay_validation() {
        let error = classify_parts(
            Some("ValidationException"),
            Some("1 validation error detected"),
            Some(400),
        );
        assert_eq!(
            error,
            SageMakerError::Validation("ValidationException: 1 validation error detected".into())
        );
    }

    #[test]
    fn endpoint_and_endpoint_configuration_are_told_apart_by_full_text() {
        assert_eq!(
            not_found_subject("Could not find endpoint configuration \"c\"."),
            Some("Could not find endpoint configuration")
        );
        assert_eq!(
            not_found_subject("Could not find endpoint \"e\"."),
            Some("Could not find endpoint")
        );
        assert_eq!(
            not_found_subject("Cannot update in-progress endpoint"),
            None
        );
    }

    #[test]
    fn tuning_job_not_found_code() {
        let error = classify_parts(
            Some("ResourceNotFound"),
            Some("Amazon SageMaker can't find a tuning job"),
            Some(400),
        );
        assert!(matches!(error, SageMakerError::NotFound(_)));
    }

    #[test]
    fn throttling_in_use_and_server_errors() {
        assert!(matches!(
            classify_parts(
                Some("ThrottlingException"),
                Some("Rate exceeded"),
                Some(400)
            ),
            SageMakerError::Throttled(_)
        ));
        assert!(matches!(
            classify_parts(
                Some("ResourceInUse"),
                Some("Training job x already exists"),
                Some(400)
            ),
            SageMakerError::ResourceInUse(_)
        ));
        let transient = classify_parts(Some("InternalFailure"), None, Some(500));
        assert!(transient.is_retryable());
        assert!(matches!(
            classify_parts(None, None, Some(503)),
            SageMakerError::Transient(_)
        ));
        assert!(!classify_parts(Some("AccessDenied"), None, Some(403)).is_retryable());
    }

    #[test]
    fn a_taken_hosting_name_is_in_use_not_a_rejection() {
        for message in [
            "Cannot create already existing model \"arn:aws:sagemaker:us-west-2:123456789012:model/m\".",
            "Cannot create already existing endpoint configuration \"arn:aws:sagemaker:us-west-2:123456789012:endpoint-config/c\".",
            "Cannot create already existing endpoint \"arn:aws:sagemaker:us-west-2:123456789012:endpoint/e\".",
        ] {
            assert!(
                matches!(
                    classify_parts(Some("ValidationException"), Some(message), Some(400)),
                    SageMakerError::ResourceInUse(_)
                ),
                "{message}"
            );
        }
    }

    #[test]
    fn application_auto_scaling_codes() {
        assert!(matches!(
            classify_parts(
                Some("ObjectNotFoundException"),
                Some("No scalable target registered"),
                Some(400)
            ),
            SageMakerError::NotFound(_)
        ));
        assert!(classify_parts(Some("ConcurrentUpdateException"), None, Some(400)).is_retryable());
        assert!(
            classify_parts(Some("FailedResourceAccessException"), None, Some(400)).is_retryable()
        );
        assert!(matches!(
            classify_parts(Some("LimitExceededException"), None, Some(400)),
            SageMakerError::QuotaExceeded(_)
        ));
        assert!(matches!(
            classify_parts(
                Some("ValidationException"),
                Some("Minimum capacity cannot be greater"),
                Some(400)
            ),
            SageMakerError::Validation(_)
        ));
    }

    #[test]
    fn a_used_up_quota_is_retried_not_rejected() {
        let error = classify_parts(
            Some("ResourceLimitExceeded"),
            Some(
                "The account-level service limit 'ml.p3.2xlarge for training job usage' is 0 Instances",
            ),
            Some(400),
        );
        assert!(
            matches!(error, SageMakerError::QuotaExceeded(_)),
            "{error:?}"
        );
        assert!(error.is_retryable());
    }
}
