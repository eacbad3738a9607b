//! Why a reconcile did not finish, for every kind: [`EngineError`], and its [`ErrorCategory`]
//! (what metrics count failed reconciles by, what the decision cores decide on, and the one
//! rule of what is retried), and the texts users read of SageMaker's failures.

use sagemaker_k8s_aws::errors::REQUEST_ID_LABEL;
use sagemaker_k8s_aws::{ErrorKind, SageMakerError};

/// Why a reconcile did not finish; the error policy retries the object after its backoff.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("SageMaker: {0}")]
    SageMaker(#[from] SageMakerError),
    #[error("Kubernetes: {0}")]
    Kube(#[from] kube::Error),
    #[error("object has no {0}")]
    MissingMetadata(&'static str),
    /// A bug: the reconcile panicked. Caught (see `engine::panics`), so it costs one object a
    /// backed-off retry instead of stopping its whole kind.
    #[error("the operator panicked reconciling this object: {0}")]
    Panicked(String),
}

impl EngineError {
    pub fn category(&self) -> ErrorCategory {
        match self {
            EngineError::SageMaker(error) => ErrorCategory::of(error),
            EngineError::Kube(_) => ErrorCategory::Kubernetes,
            EngineError::MissingMetadata(_) => ErrorCategory::InvalidObject,
            EngineError::Panicked(_) => ErrorCategory::Panic,
        }
    }
}

/// What SageMaker said, for a `Failed` message: its code, message and request ID (or, for a
/// failure without an answer, what went wrong).
pub fn sagemaker_message(error: Option<&SageMakerError>) -> String {
    error.map(ToString::to_string).unwrap_or_default()
}

/// The `Retrying` message of a failure a retry may get past.
pub fn retrying_message(error: &SageMakerError) -> String {
    format!("SageMaker call failed, retrying with backoff: {error}")
}

/// The message to write: the recorded one when it tells the same failure, else the new one.
/// The request ID differs on every call, so a failure that differs from the recorded one only
/// in it is not written or announced again.
pub fn message_to_record(recorded: Option<&str>, new: String) -> String {
    match recorded {
        Some(recorded) if same_failure(recorded, &new) => recorded.to_string(),
        _ => new,
    }
}

fn same_failure(recorded: &str, new: &str) -> bool {
    without_request_id(recorded) == without_request_id(new)
}

fn without_request_id(text: &str) -> &str {
    match text.rfind(REQUEST_ID_LABEL) {
        Some(start) if text.ends_with(')') => &text[..start],
        _ => text,
    }
}

/// The classes of failure the engine tells apart. SageMaker's answers are classified by the
/// aws crate ([`ErrorKind`]); this is the operator's view of them: which are retried
/// ([`is_retryable`](Self::is_retryable), the one rule), which are answers the decision cores
/// act on (not found, name in use, rejected), and the operator's own (Kubernetes, a malformed
/// object).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    Throttled,
    QuotaExceeded,
    Transient,
    /// Missing or refused AWS credentials: the pod's configuration, which may be fixed (or a
    /// projected token appear) while the object waits.
    Credentials,
    NotFound,
    ResourceInUse,
    Rejected,
    SageMakerOther,
    Kubernetes,
    InvalidObject,
    /// A bug in the operator; retried after backoff in case it depended on a passing state.
    Panic,
}

impl ErrorCategory {
    pub fn of(error: &SageMakerError) -> Self {
        match error.kind {
            ErrorKind::NotFound => ErrorCategory::NotFound,
            ErrorKind::ResourceInUse => ErrorCategory::ResourceInUse,
            ErrorKind::Validation => ErrorCategory::Rejected,
            ErrorKind::Throttled => ErrorCategory::Throttled,
            ErrorKind::QuotaExceeded => ErrorCategory::QuotaExceeded,
            ErrorKind::Transient => ErrorCategory::Transient,
            ErrorKind::Credentials => ErrorCategory::Credentials,
            ErrorKind::Other => ErrorCategory::SageMakerOther,
        }
    }

    /// The one retry rule: whether the same call may succeed later without the spec changing
    /// (retried with backoff, shown as `Retrying`). The rest are answers about the request
    /// (not found, name in use, rejected) that each decision core turns into its next step.
    pub fn is_retryable(self) -> bool {
        match self {
            ErrorCategory::Throttled
            | ErrorCategory::QuotaExceeded
            | ErrorCategory::Transient
            | ErrorCategory::Credentials
            | ErrorCategory::SageMakerOther
            | ErrorCategory::Kubernetes
            | ErrorCategory::Panic => true,
            ErrorCategory::NotFound
            | ErrorCategory::ResourceInUse
            | ErrorCategory::Rejected
            | ErrorCategory::InvalidObject => false,
        }
    }

    /// The reason of the `Retrying` condition (CamelCase; SageMaker's own code where it has
    /// one, e.g. `ResourceLimitExceeded`).
    pub fn reason(self) -> &'static str {
        match self {
            ErrorCategory::Throttled => "Throttled",
            ErrorCategory::QuotaExceeded => "ResourceLimitExceeded",
            ErrorCategory::Transient => "TransientError",
            ErrorCategory::Credentials => "CredentialsUnavailable",
            ErrorCategory::NotFound => "NotFound",
            ErrorCategory::ResourceInUse => "ResourceInUse",
            ErrorCategory::Rejected => "ValidationError",
            ErrorCategory::SageMakerOther => "SageMakerError",
            ErrorCategory::Kubernetes => "KubernetesError",
            ErrorCategory::InvalidObject => "InvalidObject",
            ErrorCategory::Panic => "ReconcilePanicked",
        }
    }

    /// The metric label (`sagemaker_operator_reconcile_errors_by_category_total`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Throttled => "throttled",
            ErrorCategory::QuotaExceeded => "quota_exceeded",
            ErrorCategory::Transient => "transient",
            ErrorCategory::Credentials => "credentials",
            ErrorCategory::NotFound => "not_found",
            ErrorCategory::ResourceInUse => "resource_in_use",
            ErrorCategory::Rejected => "rejected",
            ErrorCategory::SageMakerOther => "sagemaker_other",
            ErrorCategory::Kubernetes => "kubernetes",
            ErrorCategory::InvalidObject => "invalid_object",
            ErrorCategory::Panic => "panic",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of SageMaker failure, its category, metric label, `Retrying` reason and
    /// whether it is retried: the one table of the retry rule.
    #[test]
    fn every_sagemaker_kind_has_a_category_and_a_retry_rule() {
        let table = [
            (ErrorKind::Throttled, "throttled", "Throttled", true),
            (
                ErrorKind::QuotaExceeded,
                "quota_exceeded",
                "ResourceLimitExceeded",
                true,
            ),
            (ErrorKind::Transient, "transient", "TransientError", true),
            (
                ErrorKind::Credentials,
                "credentials",
                "CredentialsUnavailable",
                true,
            ),
            (ErrorKind::Other, "sagemaker_other", "SageMakerError", true),
            (ErrorKind::NotFound, "not_found", "NotFound", false),
            (
                ErrorKind::ResourceInUse,
                "resource_in_use",
                "ResourceInUse",
                false,
            ),
            (ErrorKind::Validation, "rejected", "ValidationError", false),
        ];
        for (kind, label, reason, retryable) in table {
            let category = EngineError::from(SageMakerError::new(kind, "x")).category();
            assert_eq!(category.as_str(), label);
            assert_eq!(category.reason(), reason);
            assert_eq!(category.is_retryable(), retryable, "{label}");
        }
        assert_eq!(
            EngineError::MissingMetadata("uid").category(),
            ErrorCategory::InvalidObject
        );
        let panicked = EngineError::Panicked("index out of bounds".into()).category();
        assert_eq!(
            (panicked.as_str(), panicked.is_retryable()),
            ("panic", true)
        );
        assert!(!ErrorCategory::InvalidObject.is_retryable());
        assert!(ErrorCategory::Kubernetes.is_retryable());
    }

    #[test]
    fn failures_that_differ_only_in_the_request_id_are_the_same() {
        let table = [
            ("x: y (request ID 1)", "x: y (request ID 2)", true),
            ("x: y (request ID 1)", "x: y", true),
            ("x: y", "x: y", true),
            ("x: y (request ID 1)", "x: z (request ID 1)", false),
            ("x: y", "x: z", false),
        ];
        for (recorded, new, same) in table {
            assert_eq!(same_failure(recorded, new), same, "{recorded} / {new}");
            let kept = message_to_record(Some(recorded), new.to_string());
            assert_eq!(kept, if same { recorded } else { new });
        }
        assert_eq!(message_to_record(None, "x: y".into()), "x: y");
    }
}
