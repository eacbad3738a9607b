//! What goes on the wire: the typed API error every handler returns, and the HTTP responses in the
//! shapes AWS clients parse (JSON 1.1 for SageMaker and CloudWatch Logs, REST-JSON for
//! sagemaker-runtime, XML for STS).

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode, header::HeaderValue};

pub type HttpResponse = Response<Full<Bytes>>;

/// Every error code the emulator can answer with. The wire name and the HTTP status are fixed
/// per code, as AWS sends them, so handlers cannot pair a code with the wrong status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    // SageMaker
    Validation,
    ResourceInUse,
    ResourceNotFound,
    ResourceLimitExceeded,
    /// SageMaker's answer to a change that conflicts with the resource's state (a model package
    /// group that still holds packages, a model package in transition).
    Conflict,
    // shared by all JSON services
    Throttling,
    InternalFailure,
    ServiceUnavailable,
    Serialization,
    UnknownOperation,
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
    // CloudWatch Logs
    LogsResourceNotFound,
    LogsResourceAlreadyExists,
    LogsInvalidParameter,
    // Application Auto Scaling
    ObjectNotFound,
    ConcurrentUpdate,
    FailedResourceAccess,
    InvalidNextToken,
    // sagemaker-runtime
    RuntimeValidation,
    // STS
    StsInvalidIdentityToken,
    StsValidation,
    StsInvalidAction,
}

impl ErrorCode {
    pub fn wire_name(self) -> &'static str {
        match self {
            ErrorCode::Validation => "ValidationException",
            ErrorCode::ResourceInUse => "ResourceInUse",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::ResourceLimitExceeded => "ResourceLimitExceeded",
            ErrorCode::Conflict => "ConflictException",
            ErrorCode::Throttling => "ThrottlingException",
            ErrorCode::InternalFailure => "InternalFailure",
            ErrorCode::ServiceUnavailable => "ServiceUnavailable",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorCode::IncompleteSignature => "IncompleteSignatureException",
            ErrorCode::InvalidSignature => "InvalidSignatureException",
            ErrorCode::UnrecognizedClient => "UnrecognizedClientException",
            ErrorCode::LogsResourceNotFound => "ResourceNotFoundException",
            ErrorCode::LogsResourceAlreadyExists => "ResourceAlreadyExistsException",
            ErrorCode::LogsInvalidParameter => "InvalidParameterException",
            ErrorCode::ObjectNotFound => "ObjectNotFoundException",
            ErrorCode::ConcurrentUpdate => "ConcurrentUpdateException",
            ErrorCode::FailedResourceAccess => "FailedResourceAccessException",
            ErrorCode::InvalidNextToken => "InvalidNextTokenException",
            ErrorCode::RuntimeValidation => "ValidationError",
            ErrorCode::StsInvalidIdentityToken => "InvalidIdentityToken",
            ErrorCode::StsValidation => "ValidationError",
            ErrorCode::StsInvalidAction => "InvalidAction",
        }
    }

    /// The code with this wire name (the first, for the two `ValidationError`s), for injected
    /// error faults.
    pub fn from_wire_name(name: &str) -> Option<ErrorCode> {
        const ALL: &[ErrorCode] = &[
            ErrorCode::Validation,
            ErrorCode::ResourceInUse,
            ErrorCode::ResourceNotFound,
            ErrorCode::ResourceLimitExceeded,
            ErrorCode::Conflict,
            ErrorCode::Throttling,
            ErrorCode::InternalFailure,
            ErrorCode::ServiceUnavailable,
            ErrorCode::Serialization,
            ErrorCode::UnknownOperation,
            ErrorCode::MissingAuthenticationToken,
            ErrorCode::IncompleteSignature,
            ErrorCode::InvalidSignature,
            ErrorCode::UnrecognizedClient,
            ErrorCode::LogsResourceNotFound,
            ErrorCode::LogsResourceAlreadyExists,
            ErrorCode::LogsInvalidParameter,
            ErrorCode::ObjectNotFound,
            ErrorCode::ConcurrentUpdate,
            ErrorCode::FailedResourceAccess,
            ErrorCode::InvalidNextToken,
            ErrorCode::RuntimeValidation,
            ErrorCode::StsInvalidIdentityToken,
            ErrorCode::StsValidation,
            ErrorCode::StsInvalidAction,
        ];
        ALL.iter().copied().find(|code| code.wire_name() == name)
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InvalidSignature | ErrorCode::UnrecognizedClient => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", code.wire_name())]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Validation, message)
    }
    pub fn throttled() -> Self {
        ApiError::new(ErrorCode::Throttling, "Rate exceeded")
    }
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn json_ok(body: &serde_json::Value) -> HttpResponse {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    insert_request_id(headers);
    response
}

fn insert_request_id(headers: &mut hyper::HeaderMap) {
    if let Ok(value) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", value);
    }
}

/// JSON 1.1 error: `__type` + `message` in the body and the code in `x-amzn-ErrorType`, which is
/// where the AWS SDKs look first.
pub fn json_error(error: &ApiError) -> HttpResponse {
    let body = serde_json::json!({ "__type": error.code.wire_name(), "message": error.message });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = error.code.status();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(value) = HeaderValue::from_str(error.code.wire_name()) {
        headers.insert("x-amzn-errortype", value);
    }
    insert_request_id(headers);
    response
}

/// REST-JSON (sagemaker-runtime) errors carry the code in the header and `message` in the body.
pub fn rest_json_error(error: &ApiError) -> HttpResponse {
    let body = serde_json::json!({ "message": error.message, "__type": error.code.wire_name() });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = error.code.status();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(error.code.wire_name()) {
        headers.insert("x-amzn-errortype", value);
    }
    insert_request_id(headers);
    response
}

pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

pub fn xml_ok(body: String) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    insert_request_id(response.headers_mut());
    response
}

/// STS (query protocol) errors: an XML ErrorResponse; throttling and server faults keep their
/// JSON-service codes so the SDK classifies them the same way.
pub fn xml_error(error: &ApiError) -> HttpResponse {
    let kind = if error.code.status().is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let code = match error.code {
        ErrorCode::Throttling => "Throttling",
        ErrorCode::MissingAuthenticationToken => "MissingAuthenticationToken",
        ErrorCode::InvalidSignature => "SignatureDoesNotMatch",
        ErrorCode::UnrecognizedClient => "InvalidClientTokenId",
        ErrorCode::IncompleteSignature => "IncompleteSignature",
        other => other.wire_name(),
    };
    let status = match error.code {
        ErrorCode::MissingAuthenticationToken => StatusCode::FORBIDDEN,
        other => other.status(),
    };
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_escape(&error.message),
        request_id()
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    response
}

pub fn plain(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    insert_request_id(response.headers_mut());
    response
}
