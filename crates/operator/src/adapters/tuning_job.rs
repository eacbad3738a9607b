//! HyperparameterTuningJob ↔ SageMaker hyperparameter tuning job, plus the TrainingJob objects
//! that mirror the training jobs the tuning job launches.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, ListParams, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::hyperparameter_tuning_job::{
    FinalHyperParameterTuningJobObjectiveMetric, HyperParameterTrainingJobSummary,
    TrainingJobStatusCounters,
};
use sagemaker_k8s_api::{
    CommonStatus, HyperparameterTuningJob, HyperparameterTuningJobSpec,
    HyperparameterTuningJobStatus, KeyValuePair, ORIGINAL_TUNING_CHILD_FINALIZER,
    SPAWNED_BY_TUNING_JOB_LABEL, TrainingJob,
};
use sagemaker_k8s_aws::clients::ApiLocation;
use sagemaker_k8s_aws::tuning_job::{StatusCounters, TrainingJobSummary, TuningJobDescription};
use sagemaker_k8s_aws::{ErrorKind, SageMakerError, SageMakerHandle};
use serde_json::json;

use crate::adapters::kube_time;
use crate::engine::EngineError;
use crate::engine::single::{
    CreateError, Created, Kind, Lifecycle, Phase, Resolved, States, StatusFields,
};
use crate::finalizer::remove_operations;
use crate::naming::MAX_TUNING_JOB_NAME_LEN;
use crate::object_patch::{json_patch_of, map_operations};
use crate::status_poller::ListModified;
use crate::takeover;

pub struct TuningJobAdapter;

/// Kubernetes name of the object mirroring a spawned training job. SageMaker names are
/// alphanumerics and hyphens, starting and ending alphanumeric, at most 63 characters, so
/// lower-casing is all a valid object name needs; `spec.trainingJobName` keeps the exact name.
pub fn child_object_name(training_job_name: &str) -> String {
    training_job_name.to_ascii_lowercase()
}

fn counters(counters: &StatusCounters) -> TrainingJobStatusCounters {
    TrainingJobStatusCounters {
        completed: Some(counters.completed),
        in_progress: Some(counters.in_progress),
        retryable_error: Some(counters.retryable_error),
        non_retryable_error: Some(counters.non_retryable_error),
        stopped: Some(counters.stopped),
        total_error: Some(counters.retryable_error + counters.non_retryable_error),
    }
}

fn training_job_summary(summary: &TrainingJobSummary) -> HyperParameterTrainingJobSummary {
    HyperParameterTrainingJobSummary {
        training_job_name: Some(summary.name.clone()),
        training_job_arn: summary.arn.clone(),
        training_job_status: summary.status.clone(),
        tuned_hyper_parameters: Some(
            summary
                .tuned_hyper_parameters
                .iter()
                .map(|(name, value)| KeyValuePair::new(name, value))
                .collect(),
        ),
        final_hyper_parameter_tuning_job_objective_metric: summary
            .final_objective_metric
            .as_ref()
            .map(|metric| {
                FinalHyperParameterTuningJobObjectiveMetric {
                    type_: metric.type_.clone(),
                    metric_name: metric.metric_name.clone(),
                    // The original operator's type: a decimal string.
                    value: metric.value.map(|value| value.to_string()),
                }
            }),
        creation_time: kube_time(summary.creation_time),
        training_start_time: kube_time(summary.training_start_time),
        training_end_time: kube_time(summary.training_end_time),
        objective_status: summary.objective_status.clone(),
        failure_reason: summary.failure_reason.clone(),
        tuning_job_name: summary.tuning_job_name.clone(),
    }
}

/// The status a Describe of the tuning job shows.
pub fn status_from(remote: &TuningJobDescription) -> HyperparameterTuningJobStatus {
    HyperparameterTuningJobStatus {
        hyper_parameter_tuning_job_status: Some(remote.status.clone()),
        best_training_job: remote.best_training_job.as_ref().map(training_job_summary),
        training_job_status_counters: Some(counters(&remote.counters)),
        sage_maker_hyper_parameter_tuning_job_name: Some(remote.name.clone()),
        common: CommonStatus {
            additional: remote.failure_reason.clone(),
            ..Default::default()
        },
    }
}

/// The TrainingJob objects mirroring this tuning job's training jobs (selected by the label,
/// then by owner UID so another tuning job's children are never touched).
async fn children(
    api: &Api<TrainingJob>,
    tuning: &HyperparameterTuningJob,
) -> Result<Vec<TrainingJob>, kube::Error> {
    let uid = tuning.uid().unwrap_or_default();
    let listed = api
        .list(&ListParams::default().labels(SPAWNED_BY_TUNING_JOB_LABEL))
        .await?;
    Ok(listed
        .items
        .into_iter()
        .filter(|child| {
            child
                .owner_references()
                .iter()
                .any(|owner| owner.uid == uid)
        })
        .collect())
}

/// Makes a TrainingJob the original operator spawned for this tuning job one of this operator's
/// mirrors: the label and owner reference (so the TrainingJob controller only observes it and
/// the tuning job's deletion takes it along), without the original's spawner finalizer, which
/// nothing would remove any more.
async fn adopt_original_child(
    api: &Api<TrainingJob>,
    child: &TrainingJob,
    tuning_job_name: &str,
    owner: &OwnerReference,
) -> Result<(), kube::Error> {
    // A JSON Patch under tests of what it changes, so a concurrent edit of the child's
    // finalizers or owners by anyone else fails the patch (and the adoption is retried) rather
    // than being overwritten.
    let mut operations = map_operations(
        "/metadata/labels",
        child.labels(),
        &[(SPAWNED_BY_TUNING_JOB_LABEL, tuning_job_name.to_owned())],
    );
    let owners = child.owner_references();
    if owners.is_empty() {
        operations
            .push(json!({ "op": "test", "path": "/metadata/ownerReferences", "value": null }));
        operations
            .push(json!({ "op": "add", "path": "/metadata/ownerReferences", "value": [owner] }));
    } else {
        operations
            .push(json!({ "op": "test", "path": "/metadata/ownerReferences", "value": owners }));
        operations
            .push(json!({ "op": "add", "path": "/metadata/ownerReferences/-", "value": owner }));
    }
    operations.extend(
        remove_operations(child.finalizers(), ORIGINAL_TUNING_CHILD_FINALIZER).unwrap_or_default(),
    );
    api.patch(
        &child.name_any(),
        &PatchParams::default(),
        &json_patch_of(operations),
    )
    .await?;
    tracing::info!(tuning_job = %tuning_job_name, training_job = %child.name_any(), "adopted the original operator's spawned training job");
    Ok(())
}

fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(response) if response.code == 409)
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(response) if response.code == 404)
}

impl ListModified for TuningJobAdapter {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.tuning_jobs_modified_after(after).await
    }
}

impl Kind for TuningJobAdapter {
    type Object = HyperparameterTuningJob;
    type Spec = HyperparameterTuningJobSpec;
    type Status = HyperparameterTuningJobStatus;
    type Remote = TuningJobDescription;
    type Lister = Self;

    const KIND: &'static str = "HyperparameterTuningJob";
    const STATES: States = States::SageMaker;
    const LIFECYCLE: Lifecycle = super::JOB;
    const SPEC_NAME_FIELD: Option<&'static str> = Some("hyperParameterTuningJobName");
    const MAX_NAME_LEN: usize = MAX_TUNING_JOB_NAME_LEN;

    fn spec(object: &HyperparameterTuningJob) -> &HyperparameterTuningJobSpec {
        &object.spec
    }

    fn spec_name(object: &HyperparameterTuningJob) -> Option<&str> {
        object.spec.hyper_parameter_tuning_job_name.as_deref()
    }

    fn status_fields(status: &mut HyperparameterTuningJobStatus) -> StatusFields<'_> {
        StatusFields {
            status: &mut status.hyper_parameter_tuning_job_status,
            sagemaker_name: &mut status.sage_maker_hyper_parameter_tuning_job_name,
            last_update_time: None,
        }
    }

    async fn create(
        &self,
        sagemaker: &SageMakerHandle,
        object: &HyperparameterTuningJob,
        remote_name: &str,
        owner_uid: &str,
        _references: &Resolved,
    ) -> Result<Created, CreateError> {
        sagemaker
            .create_tuning_job(&object.spec, remote_name, owner_uid)
            .await
            .map_err(CreateError::from)?;
        Ok(Created::AsSent)
    }

    async fn describe(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<TuningJobDescription, SageMakerError> {
        sagemaker.describe_tuning_job(remote_name).await
    }

    async fn stop_or_delete(
        &self,
        sagemaker: &SageMakerHandle,
        remote_name: &str,
    ) -> Result<(), SageMakerError> {
        sagemaker.stop_tuning_job(remote_name).await
    }

    fn arn(remote: &TuningJobDescription) -> String {
        remote.arn.clone()
    }

    /// A running tuning job's counters move as its training jobs end, which need not move its
    /// LastModifiedTime: one Describe per running tuning job every 30 s keeps them current (its
    /// training jobs' own statuses come from their poller).
    fn look_again_after(remote: &TuningJobDescription) -> Option<std::time::Duration> {
        (Phase::of_job_status(&remote.status) == Phase::InProgress).then_some(COUNTERS_LOOK_AGAIN)
    }

    fn status_text(remote: &TuningJobDescription) -> String {
        remote.status.clone()
    }

    fn last_modified(remote: &TuningJobDescription) -> Option<jiff::Timestamp> {
        remote.last_modified
    }

    fn status_from(
        _object: &HyperparameterTuningJob,
        remote: &TuningJobDescription,
        _location: &ApiLocation,
    ) -> HyperparameterTuningJobStatus {
        status_from(remote)
    }

    /// Creates a TrainingJob object for every training job the tuning job launched that has
    /// none yet. The counters say how many were launched, so an unchanged tuning job costs one
    /// Kubernetes list and no SageMaker call; each new child costs one DescribeTrainingJob, once.
    async fn after_observe(
        &self,
        client: &kube::Client,
        sagemaker: &SageMakerHandle,
        tuning: &HyperparameterTuningJob,
        remote: &TuningJobDescription,
    ) -> Result<(), EngineError> {
        let namespace = tuning
            .namespace()
            .ok_or(EngineError::MissingMetadata("namespace"))?;
        let api: Api<TrainingJob> = Api::namespaced(client.clone(), &namespace);
        let existing: HashSet<String> = children(&api, tuning)
            .await?
            .into_iter()
            .filter_map(|child| child.spec.training_job_name)
            .collect();
        let c = &remote.counters;
        let launched =
            c.completed + c.in_progress + c.retryable_error + c.non_retryable_error + c.stopped;
        if existing.len() as i64 >= launched {
            return Ok(());
        }
        let mut owner = tuning
            .controller_owner_ref(&())
            .ok_or(EngineError::MissingMetadata("uid"))?;
        // A foreground delete of the tuning job waits for its training jobs, as the guide's
        // "removes the hyperparameter tuning job and associated training jobs" implies.
        owner.block_owner_deletion = Some(true);
        for summary in sagemaker.training_jobs_of_tuning_job(&remote.name).await? {
            if existing.contains(&summary.name) {
                continue;
            }
            if let Some(found) = api.get_opt(&child_object_name(&summary.name)).await? {
                if takeover::is_original_tuning_child(&found, &summary.name) {
                    adopt_original_child(&api, &found, &remote.name, &owner).await?;
                } else {
                    tracing::warn!(tuning_job = %remote.name, training_job = %summary.name, "a TrainingJob of that name exists and is not this tuning job's; not mirrored");
                }
                continue;
            }
            let spec = match sagemaker
                .describe_training_job_spec(
                    &summary.name,
                    tuning.spec.sage_maker_endpoint.as_deref(),
                )
                .await
            {
                Ok(spec) => spec,
                // A describe that does not fit the spec's rules cannot get better by retrying.
                Err(
                    error @ SageMakerError {
                        kind: ErrorKind::Other,
                        ..
                    },
                ) => {
                    tracing::warn!(tuning_job = %remote.name, training_job = %summary.name, %error, "cannot mirror training job");
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let child = TrainingJob {
                metadata: ObjectMeta {
                    name: Some(child_object_name(&summary.name)),
                    namespace: Some(namespace.clone()),
                    labels: Some(BTreeMap::from([(
                        SPAWNED_BY_TUNING_JOB_LABEL.to_string(),
                        remote.name.clone(),
                    )])),
                    owner_references: Some(vec![owner.clone()]),
                    ..Default::default()
                },
                spec,
                status: None,
            };
            match api.create(&PostParams::default(), &child).await {
                Ok(_) => {
                    tracing::info!(tuning_job = %remote.name, training_job = %summary.name, "mirrored spawned training job")
                }
                // Created by an earlier pass whose list did not see it yet.
                Err(error) if is_conflict(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Deletes the mirrored training jobs: ownerReferences let a real cluster's garbage
    /// collector do it, but the objects must not outlive the tuning job where none runs.
    async fn before_release(
        &self,
        client: &kube::Client,
        tuning: &HyperparameterTuningJob,
    ) -> Result<bool, EngineError> {
        let namespace = tuning
            .namespace()
            .ok_or(EngineError::MissingMetadata("namespace"))?;
        let api: Api<TrainingJob> = Api::namespaced(client.clone(), &namespace);
        for child in children(&api, tuning).await? {
            if child.metadata.deletion_timestamp.is_some() {
                continue;
            }
            match api
                .delete(&child.name_any(), &DeleteParams::background())
                .await
            {
                Ok(_) => {
                    tracing::info!(tuning_job = %tuning.name_any(), training_job = %child.name_any(), "deleted mirrored training job")
                }
                Err(error) if is_not_found(&error) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(children(&api, tuning).await?.is_empty())
    }
}

/// How often a running tuning job is looked at for its counters.
const COUNTERS_LOOK_AGAIN: std::time::Duration = std::time::Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;
    use sagemaker_k8s_aws::tuning_job::ObjectiveMetric;

    #[test]
    fn status_has_counters_with_total_error_and_best_job() {
        let remote = TuningJobDescription {
            last_modified: None,
            name: "hpo".into(),
            arn: "arn".into(),
            status: "Completed".into(),
            failure_reason: None,
            counters: StatusCounters {
                completed: 3,
                in_progress: 0,
                retryable_error: 1,
                non_retryable_error: 2,
                stopped: 1,
            },
            best_training_job: Some(TrainingJobSummary {
                name: "hpo-002-abc".into(),
                status: Some("Completed".into()),
                tuned_hyper_parameters: vec![("num_round".into(), "18".into())],
                final_objective_metric: Some(ObjectiveMetric {
                    type_: Some("Minimize".into()),
                    metric_name: Some("validation:error".into()),
                    value: Some(0.25),
                }),
                creation_time: Some("2026-11-29T01:02:03.456Z".parse().unwrap()),
                ..Default::default()
            }),
        };
        let fields = serde_json::to_value(status_from(&remote)).unwrap();
        assert_eq!(
            fields["trainingJobStatusCounters"],
            json!({"completed": 3, "inProgress": 0, "retryableError": 1, "nonRetryableError": 2, "stopped": 1, "totalError": 3})
        );
        let best = &fields["bestTrainingJob"];
        assert_eq!(best["trainingJobName"], "hpo-002-abc");
        assert_eq!(
            best["tunedHyperParameters"],
            json!([{"name": "num_round", "value": "18"}])
        );
        assert_eq!(
            best["finalHyperParameterTuningJobObjectiveMetric"],
            json!({"type": "Minimize", "metricName": "validation:error", "value": "0.25"})
        );
        assert_eq!(best["creationTime"], "2026-11-29T01:02:03Z");
        assert_eq!(fields.get("additional"), None);
    }

    #[test]
    fn child_names_are_valid_object_names() {
        assert_eq!(
            child_object_name("MyTuning-001-0a1b2c3d"),
            "mytuning-001-0a1b2c3d"
        );
    }
}
