//! Standard Kubernetes conditions the engine maintains on every object.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// True once SageMaker reached the kind's successful state (a job `Completed`).
pub const READY: &str = "Ready";
/// True once SageMaker reached a terminal failure (`Failed`, `Stopped`) or the operator cannot
/// proceed (spec rejected, name owned by someone else).
pub const FAILED: &str = "Failed";
/// True while the spec differs from what was sent to SageMaker (jobs are immutable).
pub const SPEC_OUT_OF_SYNC: &str = "SpecOutOfSync";

/// True while a SageMaker call for this object keeps failing in a way a retry may get past
/// (throttling, a used-up quota, a 5xx or timeout); the reason names the class. Present only
/// while true: a successful reconcile removes it.
pub const RETRYING: &str = "Retrying";

/// Reason of a `Failed` condition set because a create named something SageMaker does not have
/// (yet): a transform job's or endpoint config's model that is applied in the same
/// `kubectl apply` and not created yet. Unlike other rejections it is retried every
/// [`DEPENDENCY_RETRY`], so it heals once the dependency exists.
pub const DEPENDENCY_NOT_FOUND: &str = "DependencyNotFound";
pub const DEPENDENCY_RETRY: std::time::Duration = std::time::Duration::from_secs(15);

/// Reason of a `Failed` condition set because SageMaker refused an update in place: the spec is
/// not sent again until it changes; the resource keeps its state.
pub const UPDATE_REJECTED: &str = "UpdateRejected";

/// Reason of a `Failed` condition set because `spec.sageMakerEndpoint` names an endpoint the
/// operator refuses to send signed requests to (see `sagemaker_k8s_aws::endpoint_policy`).
pub const ENDPOINT_NOT_ALLOWED: &str = "EndpointNotAllowed";

/// Reason of a `Failed` condition set because SageMaker refused the spec's tags (AddTags or
/// DeleteTags): not sent again until the spec changes; the resource keeps its state.
pub const TAGS_REJECTED: &str = "TagsRejected";

/// Reason of a `Failed` condition set because a control annotation (docs/controls.md) has a value
/// it does not allow, or is not supported by the object's kind: nothing is created until fixed.
pub const INVALID_ANNOTATION: &str = "InvalidAnnotation";

/// Reason of a `Failed` condition set on a deleted object whose deletion-policy annotation (on
/// it or its namespace) is neither `delete` nor `retain`: nothing is deleted or released until
/// it is fixed.
pub const INVALID_DELETION_POLICY: &str = "InvalidDeletionPolicy";

/// Whether the recorded `Failed` condition is a missing dependency (retried) rather than a
/// rejection that only a spec change can fix.
pub fn failed_for_missing_dependency(conditions: &[Condition]) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == FAILED && c.status == "True" && c.reason == DEPENDENCY_NOT_FOUND)
}

/// Marks a status as failed in a way retrying will not fix: `Failed` true and `Ready` false for
/// `reason`, the message in `additional`, for the current generation. The same for every kind;
/// each decides for itself when that is worth an Event.
pub fn mark_failed(
    common: &mut sagemaker_k8s_api::CommonStatus,
    reason: &str,
    message: String,
    generation: Option<i64>,
) {
    let mut conditions = common.conditions.take().unwrap_or_default();
    set_condition(&mut conditions, FAILED, true, reason, &message, generation);
    set_condition(&mut conditions, READY, false, reason, &message, generation);
    common.conditions = Some(conditions);
    common.additional = Some(message);
    common.observed_generation = generation;
}

/// Removes the condition of `type_` (conditions that are only shown while true).
pub fn remove_condition(conditions: &mut Vec<Condition>, type_: &str) {
    conditions.retain(|condition| condition.type_ != type_);
}

/// Conditions that are only written while true. Kubernetes Jobs show `Failed` only once a job
/// has failed, and scripts written for the original operator decide "failed" with
/// `kubectl get … -o custom-columns=STATUS:.status | grep -i fail`: a `Failed` condition with
/// status `False` on a healthy object would read as a failure to them.
const ONLY_WHILE_TRUE: &[&str] = &[FAILED, RETRYING];

/// Sets one condition in `conditions`, keeping `lastTransitionTime` when the status is unchanged.
/// A condition of [`ONLY_WHILE_TRUE`] set to false is removed instead.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
    observed_generation: Option<i64>,
) {
    if !status && ONLY_WHILE_TRUE.contains(&type_) {
        conditions.retain(|condition| condition.type_ != type_);
        return;
    }
    let status = if status { "True" } else { "False" }.to_string();
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    // Condition reasons must be CamelCase identifiers.
    let reason: String = reason
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let reason = if reason.is_empty() {
        "Unknown".to_string()
    } else {
        reason
    };
    match conditions
        .iter_mut()
        .find(|condition| condition.type_ == type_)
    {
        Some(existing) => {
            if existing.status != status {
                existing.last_transition_time = now;
            }
            existing.status = status;
            existing.reason = reason;
            existing.message = message.to_string();
            existing.observed_generation = observed_generation;
        }
        None => conditions.push(Condition {
            type_: type_.to_string(),
            status,
            reason,
            message: message.to_string(),
            observed_generation,
            last_transition_time: now,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_changes_only_with_status() {
        let mut conditions = Vec::new();
        set_condition(
            &mut conditions,
            READY,
            false,
            "InProgress",
            "training",
            Some(1),
        );
        let first = conditions[0].last_transition_time.clone();
        std::thread::sleep(std::time::Duration::from_millis(5));
        set_condition(
            &mut conditions,
            READY,
            false,
            "In-Progress",
            "still",
            Some(2),
        );
        assert_eq!(conditions[0].last_transition_time, first);
        assert_eq!(conditions[0].reason, "InProgress");
        assert_eq!(conditions[0].observed_generation, Some(2));
        set_condition(&mut conditions, READY, true, "Completed", "done", Some(2));
        assert_ne!(conditions[0].last_transition_time, first);
        assert_eq!(conditions.len(), 1);
    }

    #[test]
    fn failed_appears_only_while_true() {
        let mut conditions = Vec::new();
        set_condition(&mut conditions, FAILED, false, "InProgress", "", Some(1));
        assert!(conditions.is_empty(), "{conditions:?}");
        set_condition(
            &mut conditions,
            READY,
            false,
            "InProgress",
            "training",
            Some(1),
        );
        set_condition(
            &mut conditions,
            FAILED,
            true,
            "Failed",
            "AlgorithmError",
            Some(1),
        );
        assert!(
            conditions
                .iter()
                .any(|c| c.type_ == FAILED && c.status == "True")
        );
        // A retried dependency that now exists: the failure is over, so the condition goes.
        set_condition(&mut conditions, FAILED, false, "Created", "", Some(2));
        assert_eq!(
            conditions
                .iter()
                .map(|c| c.type_.as_str())
                .collect::<Vec<_>>(),
            [READY]
        );
    }
}
