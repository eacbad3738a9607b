//! The generator's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("the API model, {what}: {message}")]
    Model { what: String, message: String },
    #[error("rustfmt failed on {file}: {message}")]
    Rustfmt { file: String, message: String },
    #[error("the generated files are stale (run `cargo run -p sagemaker-k8s-codegen`):\n  {0}")]
    Stale(String),
}
