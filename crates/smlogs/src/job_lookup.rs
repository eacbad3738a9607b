//! Finds the object in Kubernetes and what the logs need from it: the SageMaker job name, the
//! region, the status.

use std::path::Path;

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use sagemaker_k8s_api::{
    BatchTransformJob, CompilationJob, HyperparameterTuningJob, ProcessingJob, TrainingJob,
};
use serde_json::Value;

use crate::error::SmlogsError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    TrainingJob,
    BatchTransformJob,
    HyperparameterTuningJob,
    ProcessingJob,
    CompilationJob,
}

impl JobKind {
    pub fn kind_name(self) -> &'static str {
        match self {
            JobKind::TrainingJob => "TrainingJob",
            JobKind::BatchTransformJob => "BatchTransformJob",
            JobKind::HyperparameterTuningJob => "HyperparameterTuningJob",
            JobKind::ProcessingJob => "ProcessingJob",
            JobKind::CompilationJob => "CompilationJob",
        }
    }

    /// The job's streams: one per instance (`<job>/<instance>`, which `search` narrows), or a
    /// compilation job's one stream named after it (`search` does not apply).
    pub fn streams(self, job: &str, search: Option<&str>) -> Streams {
        match self {
            JobKind::CompilationJob => Streams::Named(job.to_owned()),
            _ => Streams::Prefixed(format!("{job}/{}", search.unwrap_or(""))),
        }
    }

    fn api_resource(self) -> ApiResource {
        // Read as untyped objects: only a few fields are needed, and an object written by an
        // older or newer operator version must not fail to parse over fields we never use.
        match self {
            JobKind::TrainingJob => ApiResource::erase::<TrainingJob>(&()),
            JobKind::BatchTransformJob => ApiResource::erase::<BatchTransformJob>(&()),
            JobKind::HyperparameterTuningJob => ApiResource::erase::<HyperparameterTuningJob>(&()),
            JobKind::ProcessingJob => ApiResource::erase::<ProcessingJob>(&()),
            JobKind::CompilationJob => ApiResource::erase::<CompilationJob>(&()),
        }
    }

    /// CloudWatch log group SageMaker writes this kind's jobs to.
    pub fn log_group(self) -> &'static str {
        match self {
            JobKind::TrainingJob | JobKind::HyperparameterTuningJob => {
                "/aws/sagemaker/TrainingJobs"
            }
            JobKind::BatchTransformJob => "/aws/sagemaker/TransformJobs",
            JobKind::ProcessingJob => "/aws/sagemaker/ProcessingJobs",
            JobKind::CompilationJob => "/aws/sagemaker/CompilationJobs",
        }
    }
}

/// Which streams of the log group are the job's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Streams {
    /// Those whose name starts with this: `<job>/` (one stream per instance, as training jobs
    /// write) plus `--log-search-prefix`.
    Prefixed(String),
    /// The one stream named exactly this (a compilation job writes one, named after it).
    Named(String),
}

impl Streams {
    pub fn prefix(&self) -> &str {
        match self {
            Streams::Prefixed(prefix) | Streams::Named(prefix) => prefix,
        }
    }

    /// Whether a stream listed by the prefix is one of the job's (another job's name may
    /// start with this job's).
    pub fn keeps(&self, stream: &str) -> bool {
        match self {
            Streams::Prefixed(_) => true,
            Streams::Named(name) => stream == name,
        }
    }
}

/// What the logs need from a TrainingJob, BatchTransformJob or ProcessingJob object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSummary {
    pub kind: JobKind,
    pub object_name: String,
    pub sagemaker_name: String,
    pub region: String,
    pub status: String,
    pub secondary_status: Option<String>,
}

impl JobSummary {
    /// The first line the user sees, worded like the user guide's example.
    pub fn summary_line(&self) -> String {
        match self.kind {
            JobKind::BatchTransformJob => format!(
                "\"{}\" has SageMaker TransformJobName \"{}\" in region \"{}\" and status \"{}\"",
                self.object_name, self.sagemaker_name, self.region, self.status
            ),
            JobKind::ProcessingJob => format!(
                "\"{}\" has SageMaker ProcessingJobName \"{}\" in region \"{}\" and status \"{}\"",
                self.object_name, self.sagemaker_name, self.region, self.status
            ),
            JobKind::CompilationJob => format!(
                "\"{}\" has SageMaker CompilationJobName \"{}\" in region \"{}\" and status \"{}\"",
                self.object_name, self.sagemaker_name, self.region, self.status
            ),
            _ => format!(
                "\"{}\" has SageMaker TrainingJobName \"{}\" in region \"{}\", status \"{}\" and secondary status \"{}\"",
                self.object_name,
                self.sagemaker_name,
                self.region,
                self.status,
                self.secondary_status.as_deref().unwrap_or("")
            ),
        }
    }

    /// Whether SageMaker will write no more logs for this job.
    pub fn is_terminal(&self) -> bool {
        // A compilation job's words are SageMaker's capitals.
        matches!(
            self.status.as_str(),
            "Completed" | "Failed" | "Stopped" | "COMPLETED" | "FAILED" | "STOPPED"
        )
    }
}

fn string_at<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// Pulls the summary out of an object's JSON (`spec` and `status` as the CRDs define them).
pub fn summarize(
    kind: JobKind,
    object_name: &str,
    object: &Value,
) -> Result<JobSummary, SmlogsError> {
    let (name_field, status_field) = match kind {
        JobKind::BatchTransformJob => (
            "/status/sageMakerTransformJobName",
            "/status/transformJobStatus",
        ),
        JobKind::ProcessingJob => (
            "/status/sageMakerProcessingJobName",
            "/status/processingJobStatus",
        ),
        JobKind::CompilationJob => ("/status/sageMakerCompilationJobName", "/status/status"),
        _ => (
            "/status/sageMakerTrainingJobName",
            "/status/trainingJobStatus",
        ),
    };
    let sagemaker_name =
        string_at(object, name_field).ok_or_else(|| SmlogsError::NotCreatedInSageMaker {
            kind: kind.kind_name(),
            kind_lower: kind.kind_name().to_ascii_lowercase(),
            name: object_name.to_owned(),
        })?;
    let region = string_at(object, "/spec/region").ok_or_else(|| SmlogsError::RegionMissing {
        kind: kind.kind_name(),
        name: object_name.to_owned(),
    })?;
    Ok(JobSummary {
        kind,
        object_name: object_name.to_owned(),
        sagemaker_name: sagemaker_name.to_owned(),
        region: region.to_owned(),
        status: string_at(object, status_field).unwrap_or("").to_owned(),
        secondary_status: string_at(object, "/status/secondaryStatus").map(str::to_owned),
    })
}

/// A Kubernetes client from the kubeconfig (`--kubeconfig`, else `KUBECONFIG`, else
/// `~/.kube/config`) and `--context`, plus that context's namespace.
pub async fn kube_client(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<(Client, String), SmlogsError> {
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        cluster: None,
        user: None,
    };
    let config = match kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)
                .map_err(|error| SmlogsError::Kubeconfig(format!("{}: {error}", path.display())))?;
            Config::from_custom_kubeconfig(file, &options).await
        }
        None => Config::from_kubeconfig(&options).await,
    }
    .map_err(|error| SmlogsError::Kubeconfig(error.to_string()))?;
    let namespace = config.default_namespace.clone();
    let client =
        Client::try_from(config).map_err(|error| SmlogsError::Kubeconfig(error.to_string()))?;
    Ok((client, namespace))
}

/// Reads one object as JSON.
pub async fn fetch_object(
    client: &Client,
    namespace: &str,
    kind: JobKind,
    name: &str,
) -> Result<DynamicObject, SmlogsError> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &kind.api_resource());
    match api.get_opt(name).await {
        Ok(Some(object)) => Ok(object),
        Ok(None) => Err(SmlogsError::ObjectNotFound {
            kind: kind.kind_name(),
            name: name.to_owned(),
            namespace: namespace.to_owned(),
        }),
        Err(source) => Err(SmlogsError::Kubernetes {
            kind: kind.kind_name(),
            name: name.to_owned(),
            source,
        }),
    }
}

pub async fn fetch_summary(
    client: &Client,
    namespace: &str,
    kind: JobKind,
    name: &str,
) -> Result<JobSummary, SmlogsError> {
    let object = fetch_object(client, namespace, kind, name).await?;
    let json = serde_json::to_value(&object).expect("a DynamicObject serializes");
    summarize(kind, name, &json)
}

/// Whether `name` is one SageMaker gives to training jobs of tuning job `tuning_name`:
/// `<tuning>-<NNN>-<8 hex>`.
pub fn is_spawned_training_job_name(tuning_name: &str, name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(tuning_name)
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        return false;
    };
    let Some((number, suffix)) = rest.split_once('-') else {
        return false;
    };
    number.len() == 3
        && number.bytes().all(|b| b.is_ascii_digit())
        && suffix.len() == 8
        && suffix.bytes().all(|b| b.is_ascii_hexdigit())
}

/// TrainingJob objects started by a tuning job: owned by it, or carrying a name SageMaker gives
/// its training jobs. Returns `(object name, SageMaker job name)` sorted by object name.
pub async fn spawned_training_jobs(
    client: &Client,
    namespace: &str,
    tuning: &DynamicObject,
) -> Result<Vec<(String, Option<String>)>, SmlogsError> {
    let tuning_uid = tuning.metadata.uid.clone();
    let tuning_json = serde_json::to_value(tuning).expect("a DynamicObject serializes");
    let tuning_sagemaker_name =
        string_at(&tuning_json, "/status/sageMakerHyperParameterTuningJobName").map(str::to_owned);
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &JobKind::TrainingJob.api_resource(),
    );
    let tuning_object_name = tuning.metadata.name.clone().unwrap_or_default();
    let list =
        api.list(&ListParams::default())
            .await
            .map_err(|source| SmlogsError::Kubernetes {
                kind: "TrainingJob",
                name: format!("(list for {tuning_object_name})"),
                source,
            })?;
    let mut found = Vec::new();
    for job in list.items {
        let name = job.metadata.name.clone().unwrap_or_default();
        let json = serde_json::to_value(&job).expect("a DynamicObject serializes");
        let sagemaker_name =
            string_at(&json, "/status/sageMakerTrainingJobName").map(str::to_owned);
        let owned = tuning_uid.is_some()
            && job
                .metadata
                .owner_references
                .iter()
                .flatten()
                .any(|owner| Some(&owner.uid) == tuning_uid.as_ref());
        let named = tuning_sagemaker_name.as_deref().is_some_and(|tuning_name| {
            is_spawned_training_job_name(tuning_name, &name)
                || sagemaker_name
                    .as_deref()
                    .is_some_and(|sm| is_spawned_training_job_name(tuning_name, sm))
        });
        if owned || named {
            found.push((name, sagemaker_name));
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn training_summary_reads_status_and_region() {
        let object = json!({
            "spec": {"region": "us-east-2"},
            "status": {"trainingJobStatus": "InProgress", "secondaryStatus": "Starting",
                       "sageMakerTrainingJobName": "xgboost-mnist-from-for-s3-123456789"}
        });
        let summary =
            summarize(JobKind::TrainingJob, "xgboost-mnist-from-for-s3", &object).unwrap();
        assert_eq!(
            summary.summary_line(),
            "\"xgboost-mnist-from-for-s3\" has SageMaker TrainingJobName \"xgboost-mnist-from-for-s3-123456789\" in region \"us-east-2\", status \"InProgress\" and secondary status \"Starting\""
        );
        assert!(!summary.is_terminal());
    }

    #[test]
    fn no_sagemaker_name_means_not_created_and_no_region_is_an_error() {
        let error = summarize(
            JobKind::BatchTransformJob,
            "t",
            &json!({"spec": {"region": "r"}, "status": {}}),
        )
        .unwrap_err();
        assert!(
            matches!(error, SmlogsError::NotCreatedInSageMaker { .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("not been created in SageMaker yet")
        );
        let error = summarize(
            JobKind::BatchTransformJob,
            "t",
            &json!({"spec": {}, "status": {"sageMakerTransformJobName": "t-1", "transformJobStatus": "Completed"}}),
        )
        .unwrap_err();
        assert!(
            matches!(error, SmlogsError::RegionMissing { .. }),
            "{error}"
        );
    }

    #[test]
    fn processing_summary_and_log_group() {
        let object = json!({"spec": {"region": "us-west-2"},
            "status": {"sageMakerProcessingJobName": "p-1", "processingJobStatus": "InProgress"}});
        let summary = summarize(JobKind::ProcessingJob, "p", &object).unwrap();
        assert_eq!(
            summary.summary_line(),
            "\"p\" has SageMaker ProcessingJobName \"p-1\" in region \"us-west-2\" and status \"InProgress\""
        );
        assert!(!summary.is_terminal());
        assert_eq!(
            JobKind::ProcessingJob.log_group(),
            "/aws/sagemaker/ProcessingJobs"
        );
    }

    #[test]
    fn transform_summary_and_terminal_statuses() {
        let object = json!({"spec": {"region": "us-west-2"},
            "status": {"sageMakerTransformJobName": "t-1", "transformJobStatus": "Failed"}});
        let summary = summarize(JobKind::BatchTransformJob, "t", &object).unwrap();
        assert_eq!(
            summary.summary_line(),
            "\"t\" has SageMaker TransformJobName \"t-1\" in region \"us-west-2\" and status \"Failed\""
        );
        assert!(summary.is_terminal());
    }

    #[test]
    fn spawned_names_follow_sagemakers_pattern() {
        assert!(is_spawned_training_job_name("hpo", "hpo-009-4c7a3059"));
        assert!(!is_spawned_training_job_name("hpo", "hpo2-009-4c7a3059"));
        assert!(!is_spawned_training_job_name("hpo", "hpo-09-4c7a3059"));
        assert!(!is_spawned_training_job_name("hpo", "hpo-009-4c7a305"));
        assert!(!is_spawned_training_job_name("hpo", "hpo-009-4c7a305z"));
    }
}
