use super::*;
use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// Every answer the operator has met, and its kind.
#[test]
fn answers_are_classified_by_code_message_and_status() {
    use ErrorKind::*;
    let table: &[(Option<&str>, Option<&str>, u16, ErrorKind)] = &[
        (
            Some("ValidationException"),
            Some("Requested resource not found: TrainingJob x"),
            400,
            NotFound,
        ),
        (
            Some("ValidationException"),
            Some("1 validation error detected"),
            400,
            Validation,
        ),
        (
            Some("ResourceNotFound"),
            Some("Amazon SageMaker can't find a tuning job"),
            400,
            NotFound,
        ),
        (
            Some("ThrottlingException"),
            Some("Rate exceeded"),
            400,
            Throttled,
        ),
        (
            Some("ResourceInUse"),
            Some("Training job x already exists"),
            400,
            ResourceInUse,
        ),
        (Some("InternalFailure"), None, 500, Transient),
        (None, None, 503, Transient),
        (Some("AccessDeniedException"), None, 403, Other),
        (Some("SomethingNew"), Some("never seen"), 400, Other),
        // A taken hosting name is a ValidationException with its own words.
        (
            Some("ValidationException"),
            Some(
                "Cannot create already existing model \"arn:aws:sagemaker:us-west-2:123456789012:model/m\".",
            ),
            400,
            ResourceInUse,
        ),
        (
            Some("ValidationException"),
            Some(
                "Cannot create already existing endpoint configuration \"arn:aws:sagemaker:us-west-2:123456789012:endpoint-config/c\".",
            ),
            400,
            ResourceInUse,
        ),
        (
            Some("ValidationException"),
            Some(
                "Cannot create already existing endpoint \"arn:aws:sagemaker:us-west-2:123456789012:endpoint/e\".",
            ),
            400,
            ResourceInUse,
        ),
        // The model registry's groups.
        (
            Some("ValidationException"),
            Some(
                "Model Package Group already exists: arn:aws:sagemaker:us-west-2:123456789012:model-package-group/g",
            ),
            400,
            ResourceInUse,
        ),
        (
            Some("ValidationException"),
            Some(
                "ModelPackageGroup arn:aws:sagemaker:us-west-2:123456789012:model-package-group/g does not exist.",
            ),
            400,
            NotFound,
        ),
        (
            Some("ValidationException"),
            Some(
                "ModelPackage arn:aws:sagemaker:us-west-2:123456789012:model-package/g/1 does not exist.",
            ),
            400,
            NotFound,
        ),
        // Application Auto Scaling.
        (
            Some("ObjectNotFoundException"),
            Some("No scalable target registered"),
            400,
            NotFound,
        ),
        (Some("ConcurrentUpdateException"), None, 400, Throttled),
        (Some("FailedResourceAccessException"), None, 400, Transient),
        (Some("LimitExceededException"), None, 400, QuotaExceeded),
        (
            Some("ValidationException"),
            Some("Minimum capacity cannot be greater"),
            400,
            Validation,
        ),
        // A used-up quota is not a rejection of the request.
        (
            Some("ResourceLimitExceeded"),
            Some(
                "The account-level service limit 'ml.p3.2xlarge for training job usage' is 0 Instances",
            ),
            400,
            QuotaExceeded,
        ),
        // Credentials AWS refuses.
        (
            Some("UnrecognizedClientException"),
            Some("The security token included in the request is invalid."),
            400,
            Credentials,
        ),
        (
            Some("InvalidSignatureException"),
            Some("The request signature we calculated does not match"),
            403,
            Credentials,
        ),
        (
            Some("ExpiredTokenException"),
            Some("The security token included in the request is expired"),
            400,
            Credentials,
        ),
        (Some("ExpiredToken"), None, 400, Credentials),
        (Some("InvalidClientTokenId"), None, 403, Credentials),
    ];
    for (code, message, status, kind) in table {
        assert_eq!(
            classify_parts(*code, *message, Some(*status)),
            *kind,
            "{code:?} {message:?} {status}"
        );
    }
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
        not_found_subject("Could not find inference component \"arn:aws:sagemaker:x\"."),
        Some("Could not find inference component")
    );
    assert_eq!(
        not_found_subject("Cannot update in-progress endpoint"),
        None
    );
}

fn service_error(
    code: &str,
    message: &str,
    status: u16,
) -> SdkError<DescribeTrainingJobError, HttpResponse> {
    let mut raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
    raw.headers_mut()
        .insert("x-amzn-requestid", "11111111-2222-3333-4444-555555555555");
    SdkError::service_error(
        DescribeTrainingJobError::generic(
            ErrorMetadata::builder().code(code).message(message).build(),
        ),
        raw,
    )
}

/// The SDK's error is kept as the source; what users read is SageMaker's code, message and
/// request ID.
#[test]
fn a_service_error_keeps_the_sdk_error_and_shows_code_message_and_request_id() {
    let error = classify(service_error(
        "ValidationException",
        "1 validation error detected",
        400,
    ));
    assert_eq!(error.kind, ErrorKind::Validation);
    assert_eq!(error.code(), Some("ValidationException"));
    assert_eq!(error.message(), "1 validation error detected");
    assert_eq!(
        error.request_id(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(
        error.to_string(),
        "ValidationException: 1 validation error detected (request ID 11111111-2222-3333-4444-555555555555)"
    );
    let source = StdError::source(&error).expect("the SDK error is the source");
    assert!(
        source
            .downcast_ref::<SdkError<DescribeTrainingJobError, HttpResponse>>()
            .is_some(),
        "{source:?}"
    );
}

/// The SDK reports a call without credentials as a dispatch failure caused by the provider's
/// `CredentialsNotLoaded`: one short message naming what to set, no debug text.
#[test]
fn missing_credentials_are_one_short_configuration_message() {
    let not_loaded = CredentialsError::not_loaded("no providers in chain provided credentials");
    let error = classify::<DescribeTrainingJobError>(SdkError::dispatch_failure(
        ConnectorError::other(Box::new(not_loaded), None),
    ));
    assert_eq!(error.kind, ErrorKind::Credentials);
    let text = error.to_string();
    assert_eq!(
        text,
        format!(
            "AWS credentials are missing or were refused (no credentials found); {CREDENTIALS_HELP}"
        )
    );
    for needle in [
        "eks.amazonaws.com/role-arn",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(!text.contains("CredentialsNotLoaded"), "{text}");
    assert!(!text.contains('{'), "no debug text: {text}");
}

/// A provider that failed (e.g. STS refused AssumeRoleWithWebIdentity) says why, briefly.
#[test]
fn a_refused_credential_provider_says_why() {
    let refused = CredentialsError::provider_error(
        "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    );
    let error = classify::<DescribeTrainingJobError>(SdkError::dispatch_failure(
        ConnectorError::other(Box::new(refused), None),
    ));
    assert_eq!(error.kind, ErrorKind::Credentials);
    assert!(
        error.to_string().starts_with(
            "AWS credentials are missing or were refused (an error occurred while loading credentials: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity); set "
        ),
        "{error}"
    );
}

#[test]
fn refused_credentials_from_sagemaker_keep_its_code_and_request_id() {
    let error = classify(service_error(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        400,
    ));
    assert_eq!(error.kind, ErrorKind::Credentials);
    assert_eq!(
        error.to_string(),
        format!(
            "AWS credentials are missing or were refused (UnrecognizedClientException: The security token included in the request is invalid.); {CREDENTIALS_HELP} (request ID 11111111-2222-3333-4444-555555555555)"
        )
    );
}

#[test]
fn an_unreachable_service_is_transient_and_says_why_in_words() {
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
    let error = classify::<DescribeTrainingJobError>(SdkError::dispatch_failure(
        ConnectorError::io(Box::new(refused)),
    ));
    assert_eq!(error.kind, ErrorKind::Transient);
    assert!(error.to_string().contains("Connection refused"), "{error}");
    assert!(!error.to_string().contains('{'), "{error}");
}

/// STS's refusal of an unmodelled code reaches the provider's error as ErrorMetadata, whose
/// Display is debug-shaped: the message shows its code and message instead.
#[test]
fn a_refusal_by_sts_shows_its_code_and_message_not_debug_text() {
    let meta = ErrorMetadata::builder()
        .code("AccessDenied")
        .message("Not authorized to perform sts:AssumeRoleWithWebIdentity")
        .build();
    let refused = CredentialsError::provider_error(meta);
    let error = classify::<DescribeTrainingJobError>(SdkError::dispatch_failure(
        ConnectorError::other(Box::new(refused), None),
    ));
    assert_eq!(error.kind, ErrorKind::Credentials);
    let text = error.to_string();
    assert!(
        text.starts_with(
            "AWS credentials are missing or were refused (an error occurred while loading credentials: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity); set "
        ),
        "{text}"
    );
    assert!(!text.contains('{'), "{text}");
}
