//! Errors the plugin reports to the user. Each variant's message is what the user reads, so it
//! says what is wrong and, where there is one, what to do about it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SmlogsError {
    #[error("reading the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("{kind} \"{name}\" not found in namespace \"{namespace}\"")]
    ObjectNotFound {
        kind: &'static str,
        name: String,
        namespace: String,
    },
    #[error("reading {kind} \"{name}\" from Kubernetes: {source}")]
    Kubernetes {
        kind: &'static str,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "{kind} \"{name}\" has not been created in SageMaker yet (its status has no SageMaker job name); \
         check its status with `kubectl describe {kind_lower} {name}` and the operator's logs"
    )]
    NotCreatedInSageMaker {
        kind: &'static str,
        kind_lower: String,
        name: String,
    },
    #[error("{kind} \"{name}\" has no region in its spec")]
    RegionMissing { kind: &'static str, name: String },
    #[error(
        "no AWS credentials found ({0}); configure them as for the AWS CLI (environment variables, \
         ~/.aws profile, SSO, web identity or instance role)"
    )]
    NoCredentials(String),
    #[error("SageMaker job \"{job}\" has no log streams in log group \"{group}\" yet{hint}")]
    NoLogStreams {
        job: String,
        group: String,
        hint: &'static str,
    },
    #[error("CloudWatch Logs {operation} failed: {message}")]
    CloudWatch {
        operation: &'static str,
        message: String,
    },
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    #[error("--start-time \"{value}\" is not an RFC 3339 time: {reason}")]
    InvalidStartTime { value: String, reason: String },
    #[error("--since \"{value}\" is not a duration (for example 30s, 5m, 2h, 1h30m): {reason}")]
    InvalidSince { value: String, reason: String },
    #[error(
        "HyperparameterTuningJob \"{name}\" has no logs of its own: logs belong to the training jobs it starts.\n{children}"
    )]
    TuningJobHasNoLogs { name: String, children: String },
}

impl SmlogsError {
    /// Whether retrying after a pause can help: CloudWatch Logs throttled us or was briefly
    /// unavailable.
    pub fn is_transient(&self) -> bool {
        match self {
            SmlogsError::CloudWatch { message, .. } => {
                let lower = message.to_ascii_lowercase();
                lower.contains("throttl")
                    || lower.contains("rate exceeded")
                    || lower.contains("serviceunavailable")
                    || lower.contains("service unavailable")
                    || lower.contains("internal")
            }
            _ => false,
        }
    }
}
