//! Why a reconcile did not finish, for every kind: [`EngineError`], and its [`ErrorCategory`]
//! (what metrics count failed reconciles by, and what the decision cores decide on).

use sagemaker_k8s_aws::SageMakerError;

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

/// What SageMaker said, for a status message: a rejection's or a "not found"'s own words, any
/// other failure as it displays.
pub fn sagemaker_message(error: Option<&SageMakerError>) -> String {
    match error {
        Some(
            SageMakerError::Validation(message)
            | SageMakerError::NotFound(message)
            | SageMakerError::Other(message),
        ) => message.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The classes of failure the engine tells apart. SageMaker's answers are classified by the
/// aws crate ([`SageMakerError`]); this is the operator's view of them: which are retried
/// (throttling, a used-up quota, a 5xx or timeout), which are answers the decision cores act
/// on (not found, name in use, rejected), and the operator's own (Kubernetes, a malformed
/// object).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    Throttled,
    QuotaExceeded,
    Transient,
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
        match error {
            SageMakerError::NotFound(_) => ErrorCategory::NotFound,
            SageMakerError::ResourceInUse(_) => ErrorCategory::ResourceInUse,
            SageMakerError::Validation(_) => ErrorCategory::Rejected,
            SageMakerError::Throttled(_) => ErrorCategory::Throttled,
            SageMakerError::QuotaExceeded(_) => ErrorCategory::QuotaExceeded,
            SageMakerError::Transient(_) => ErrorCategory::Transient,
            SageMakerError::Other(_) => ErrorCategory::SageMakerOther,
        }
    }

    /// Whether the same call may succeed later without anything changing on our side.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorCategory::Throttled
                | ErrorCategory::QuotaExceeded
                | ErrorCategory::Transient
                | ErrorCategory::SageMakerOther
                | ErrorCategory::Kubernetes
                | ErrorCategory::Panic
        )
    }

    /// The reason of the `Retrying` condition (CamelCase; SageMaker's own code where it has
    /// one, e.g. `ResourceLimitExceeded`).
    pub fn reason(self) -> &'static str {
        match self {
            ErrorCategory::Throttled => "Throttled",
            ErrorCategory::QuotaExceeded => "ResourceLimitExceeded",
            ErrorCategory::Transient => "TransientError",
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

    #[test]
    fn every_sagemaker_class_has_a_category_and_a_retry_rule() {
        let table = [
            (SageMakerError::Throttled("x".into()), "throttled", true),
            (
                SageMakerError::QuotaExceeded("x".into()),
                "quota_exceeded",
                true,
            ),
            (SageMakerError::Transient("x".into()), "transient", true),
            (SageMakerError::Other("x".into()), "sagemaker_other", true),
            (SageMakerError::NotFound("x".into()), "not_found", false),
            (
                SageMakerError::ResourceInUse("x".into()),
                "resource_in_use",
                false,
            ),
            (SageMakerError::Validation("x".into()), "rejected", false),
        ];
        for (error, label, retryable) in table {
            let category = EngineError::from(error).category();
            assert_eq!(category.as_str(), label);
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
    }
}
