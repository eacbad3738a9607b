//! The one error type of this crate.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Why the test environment could not do what a test asked.
///
/// Most helpers of this crate panic instead of returning this (a broken test environment is a
/// failed test either way); the ones that return it are the ones a test may want to inspect.
#[derive(Debug, thiserror::Error)]
pub enum TestEnvError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{context}: {source}")]
    Kube {
        context: String,
        #[source]
        source: kube::Error,
    },

    #[error("`{}` does not exist or is not executable; {hint}", path.display())]
    MissingExecutable { path: PathBuf, hint: String },

    #[error("{name} exited ({status}) before it was ready; last lines of its log ({}):\n{log_tail}", log_path.display())]
    ExitedEarly {
        name: String,
        status: ExitStatus,
        log_path: PathBuf,
        log_tail: String,
    },

    #[error("timed out after {waited:?} waiting for {what}{details}")]
    Timeout {
        what: String,
        waited: Duration,
        /// Extra context (log tails), empty or starting with a newline.
        details: String,
    },

    #[error("start-up panicked: {message}")]
    StartupPanicked { message: String },

    #[error("CRD without metadata.name cannot be applied")]
    CrdWithoutName,
}

impl TestEnvError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            context: context.into(),
            source,
        }
    }
}
