//! Taking over the objects of the original Go operator (aws/amazon-sagemaker-operator-for-k8s)
//! in place: its users uninstall it and start this operator over their live objects.
//!
//! The original tagged nothing in SageMaker, so this operator's ownership tag cannot prove that
//! an existing job or endpoint belongs to such an object. Its records can: the original wrote
//! the SageMaker name it derived into the object's status (through the status subresource, which
//! only controllers write), and it derived that name from the object's UID (`<name>-<uid hex>`,
//! or the UID alone for tuning jobs) unless the spec named the resource. Once that proof holds,
//! this operator puts its ownership tag on the resource, and from then on the ordinary tag check
//! decides, and writes its own status fields (`observedGeneration`), which the original never
//! wrote.

use kube::ResourceExt;
use sagemaker_k8s_api::{
    ORIGINAL_TUNING_CHILD_FINALIZER, SPAWNED_BY_TUNING_JOB_LABEL, TrainingJob,
};
use serde::Serialize;
use serde_json::Value;

use crate::naming::uid_hex;

/// Whether the status was written by the original operator and never by this one: it observed
/// the resource (`lastCheckTime`; `lastUpdateTime` on Models and EndpointConfigs), but lacks
/// `observedGeneration`, which this operator writes with every status it maps from SageMaker.
/// `None`: no status at all.
pub fn status_written_by_original_operator<S: Serialize>(status: Option<&S>) -> bool {
    status
        .and_then(|status| serde_json::to_value(status).ok())
        .is_some_and(|status| written_by_original_operator(&status))
}

/// [`status_written_by_original_operator`] on the status's wire form: the two spellings of the
/// time are fields of different kinds.
fn written_by_original_operator(status: &Value) -> bool {
    let present = |field: &str| status.get(field).is_some_and(|value| !value.is_null());
    (present("lastCheckTime") || present("lastUpdateTime")) && !present("observedGeneration")
}

/// Whether the original operator's records name `remote_name` as this object's resource: the
/// status was written by the original ([`status_written_by_original_operator`]; this
/// operator's own status records the name too, before it knows whose the resource is), holds
/// that name (`recorded_name`, read from the status by the caller), and the name either carries
/// the object's UID (the original's derivation) or is the name the spec asks for (`spec_name`).
pub fn recorded_by_original_operator<S: Serialize>(
    status: Option<&S>,
    recorded_name: Option<&str>,
    spec_name: Option<&str>,
    remote_name: &str,
    uid: &str,
) -> bool {
    status_written_by_original_operator(status)
        && original_name_is_this_objects(recorded_name, spec_name, remote_name, uid)
}

/// The second half of [`recorded_by_original_operator`]: the status the original wrote names
/// `remote_name` (`recorded_name`), and that name carries the object's UID or is the spec's
/// name.
pub fn original_name_is_this_objects(
    recorded_name: Option<&str>,
    spec_name: Option<&str>,
    remote_name: &str,
    uid: &str,
) -> bool {
    if recorded_name != Some(remote_name) || remote_name.is_empty() {
        return false;
    }
    let uid = uid_hex(uid);
    (!uid.is_empty() && remote_name.contains(&uid)) || spec_name == Some(remote_name)
}

/// Whether `child` is the TrainingJob the original operator spawned for a tuning job's training
/// job `training_job_name`: named after it, with its spawner finalizer, and not (yet) one of this
/// operator's mirrors.
pub fn is_original_tuning_child(child: &TrainingJob, training_job_name: &str) -> bool {
    !child.labels().contains_key(SPAWNED_BY_TUNING_JOB_LABEL)
        && child.spec.training_job_name.as_deref() == Some(training_job_name)
        && child
            .finalizers()
            .iter()
            .any(|f| f == ORIGINAL_TUNING_CHILD_FINALIZER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const UID: &str = "3f1c2a4e-8b7d-4c1e-9a2b-5d6e7f8a9b0c";
    const AT: &str = "2026-11-30T10:00:00Z";

    #[test]
    fn the_original_operators_status_is_told_from_ours() {
        assert!(written_by_original_operator(
            &json!({"trainingJobStatus": "InProgress", "sageMakerTrainingJobName": "x", "lastCheckTime": AT})
        ));
        // Models and EndpointConfigs: the original called the time `lastUpdateTime`.
        assert!(written_by_original_operator(
            &json!({"status": "Created", "lastUpdateTime": AT})
        ));
        assert!(!written_by_original_operator(
            &json!({"trainingJobStatus": "InProgress", "lastCheckTime": AT, "observedGeneration": 1})
        ));
        // Never observed: nothing to take over (the ownership tag decides as for a new object).
        assert!(!written_by_original_operator(
            &json!({"trainingJobStatus": "SynchronizingK8sJobWithSageMaker"})
        ));
        assert!(!written_by_original_operator(&Value::Null));
    }

    #[test]
    fn a_typed_status_is_judged_by_its_json() {
        use sagemaker_k8s_api::{CommonStatus, ModelStatus};
        let at: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time =
            serde_json::from_value(json!(AT)).unwrap();
        let original = ModelStatus {
            status: Some("Created".into()),
            last_update_time: Some(at.clone()),
            ..Default::default()
        };
        assert!(status_written_by_original_operator(Some(&original)));
        let ours = ModelStatus {
            common: CommonStatus {
                last_check_time: Some(at),
                observed_generation: Some(1),
                ..Default::default()
            },
            ..original
        };
        assert!(!status_written_by_original_operator(Some(&ours)));
        assert!(!status_written_by_original_operator::<ModelStatus>(None));
    }

    /// A TrainingJob status naming `name`, observed at [`AT`] when `checked`.
    fn training_status(
        name: &str,
        checked: bool,
        observed_generation: Option<i64>,
    ) -> sagemaker_k8s_api::TrainingJobStatus {
        sagemaker_k8s_api::TrainingJobStatus {
            sage_maker_training_job_name: Some(name.into()),
            common: sagemaker_k8s_api::CommonStatus {
                last_check_time: checked.then(|| serde_json::from_value(json!(AT)).unwrap()),
                observed_generation,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// [`recorded_by_original_operator`] with the name the status records.
    fn proves(
        status: &sagemaker_k8s_api::TrainingJobStatus,
        spec_name: Option<&str>,
        remote_name: &str,
        uid: &str,
    ) -> bool {
        recorded_by_original_operator(
            Some(status),
            status.sage_maker_training_job_name.as_deref(),
            spec_name,
            remote_name,
            uid,
        )
    }

    #[test]
    fn ownership_needs_the_originals_status_with_the_name_and_the_uid_or_the_spec_name() {
        let derived = "xgboost-mnist-3f1c2a4e8b7d4c1e9a2b5d6e7f8a9b0c";
        let status = training_status(derived, true, None);
        assert!(proves(&status, None, derived, UID));
        // Tuning jobs: the original's name is the UID alone (32 characters).
        let tuning = sagemaker_k8s_api::HyperparameterTuningJobStatus {
            sage_maker_hyper_parameter_tuning_job_name: Some(
                "3f1c2a4e8b7d4c1e9a2b5d6e7f8a9b0c".into(),
            ),
            common: status.common.clone(),
            ..Default::default()
        };
        assert!(recorded_by_original_operator(
            Some(&tuning),
            tuning.sage_maker_hyper_parameter_tuning_job_name.as_deref(),
            None,
            "3f1c2a4e8b7d4c1e9a2b5d6e7f8a9b0c",
            UID
        ));
        // A name the spec chose.
        let named = training_status("my-job", true, None);
        assert!(proves(&named, Some("my-job"), "my-job", UID));
        // Another object's UID, a name not recorded, or a recorded name the spec does not ask for.
        assert!(!proves(
            &status,
            None,
            derived,
            "aaaaaaaa-8b7d-4c1e-9a2b-5d6e7f8a9b0c"
        ));
        let unnamed = sagemaker_k8s_api::TrainingJobStatus {
            sage_maker_training_job_name: None,
            ..status.clone()
        };
        assert!(!proves(&unnamed, None, derived, UID));
        assert!(!proves(&named, Some("other"), "my-job", UID));
        assert!(!proves(&named, None, "my-job", UID));
        assert!(!recorded_by_original_operator::<
            sagemaker_k8s_api::TrainingJobStatus,
        >(None, Some(derived), None, derived, UID));
        // This operator's own status names the resource before it is checked: never proof (a
        // spec-named object meeting someone else's untagged job must not adopt it).
        let ours = sagemaker_k8s_api::TrainingJobStatus {
            training_job_status: Some("SynchronizingK8sJobWithSageMaker".into()),
            ..training_status("my-job", false, None)
        };
        assert!(!proves(&ours, Some("my-job"), "my-job", UID));
        let observed = training_status("my-job", true, Some(1));
        assert!(!proves(&observed, Some("my-job"), "my-job", UID));
    }
}
