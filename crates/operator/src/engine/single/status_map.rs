//! The single-resource mappings that need no I/O: which SageMaker name an object maps to, and
//! what status a Describe makes of the recorded one. Table-tested here.

use sagemaker_k8s_api::HasCommonStatus;

use super::decide::Phase;

use crate::conditions::{
    FAILED, READY, RETRYING, SPEC_OUT_OF_SYNC, TAGS_REJECTED, UPDATE_REJECTED, remove_condition,
    set_condition,
};

/// What decides which SageMaker name an object maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRecord<'a> {
    /// The name in the status (written once the resource was observed; the original operator
    /// wrote it at creation).
    pub recorded: Option<&'a str>,
    /// The [`CREATING_NAME_ANNOTATION`].
    pub creating: Option<&'a str>,
    /// The spec's name, or the one derived from name and UID.
    pub wanted: &'a str,
}

/// The SageMaker name to use: the recorded one once the resource exists (a later edit of the
/// spec name is reported as a spec change, never followed), else the one a create may already
/// have been sent under, else what the spec asks for. A create that SageMaker refused (a name
/// clash) removes the annotation, so editing the spec name then picks a new name.
pub fn resolve_remote_name<'a>(record: NameRecord<'a>) -> &'a str {
    let present = |name: Option<&'a str>| name.filter(|name| !name.is_empty());
    present(record.recorded)
        .or(present(record.creating))
        .unwrap_or(record.wanted)
}

/// What one Describe showed, as far as the status's common tail goes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Observed<'a> {
    pub(super) phase: Phase,
    /// SageMaker's status text (e.g. `InProgress`).
    pub(super) status_text: &'a str,
    /// The object's `metadata.generation`.
    pub(super) generation: Option<i64>,
    /// The spec is not what the resource runs: the condition's reason, and what to say.
    pub(super) spec_changed: Option<(&'a str, &'a str)>,
}

pub(super) fn out_of_sync_message(kind: &str) -> String {
    format!(
        "The spec changed after the {kind} was created; SageMaker jobs are immutable, so the change is not applied. Revert it, or create a new object."
    )
}

/// The status to record after a Describe: the adapter's mapping (`mapped`) with the common
/// tail: conditions (Ready, Failed, SpecOutOfSync; Retrying gone), observedGeneration, and the
/// recorded lastCheckTime, which the write moves only together with a real change. Without
/// anything to say, `additional` is cleared (an earlier operator message goes). An update
/// or tags SageMaker refused stay shown (`Failed`, reason `UpdateRejected` or `TagsRejected`)
/// while the spec is the one refused (same generation): the resource keeps what it had.
pub(super) fn observed_status<S: HasCommonStatus>(
    recorded: &S,
    mut mapped: S,
    observed: Observed<'_>,
) -> S {
    let Observed {
        phase,
        status_text,
        generation,
        spec_changed,
    } = observed;
    let mut conditions = recorded.common().conditions.clone().unwrap_or_default();
    remove_condition(&mut conditions, RETRYING);
    let rejected_update = conditions
        .iter()
        .find(|c| {
            c.type_ == FAILED
                && c.status == "True"
                && (c.reason == UPDATE_REJECTED || c.reason == TAGS_REJECTED)
                && c.observed_generation == generation
        })
        .map(|c| (c.reason.clone(), c.message.clone()));
    let common = mapped.common_mut();
    set_condition(
        &mut conditions,
        READY,
        phase == Phase::Succeeded,
        status_text,
        &format!("SageMaker status {status_text}"),
        generation,
    );
    set_condition(
        &mut conditions,
        FAILED,
        phase == Phase::Failed,
        status_text,
        match (phase, &common.additional) {
            (Phase::Failed, Some(reason)) => reason,
            _ => "",
        },
        generation,
    );
    if let Some((reason, message)) = rejected_update.filter(|_| phase != Phase::Failed) {
        set_condition(&mut conditions, FAILED, true, &reason, &message, generation);
        common.additional = Some(match common.additional.take() {
            Some(reason) => format!("{reason}; {message}"),
            None => message,
        });
    }
    match spec_changed {
        Some((reason, message)) => {
            set_condition(
                &mut conditions,
                SPEC_OUT_OF_SYNC,
                true,
                reason,
                message,
                generation,
            );
            common.additional = Some(match common.additional.take() {
                Some(reason) => format!("{reason}; {message}"),
                None => message.to_string(),
            });
        }
        None => set_condition(
            &mut conditions,
            SPEC_OUT_OF_SYNC,
            false,
            "SpecMatchesSageMaker",
            "",
            generation,
        ),
    }
    common.observed_generation = generation;
    common.conditions = Some(conditions);
    common.last_check_time = recorded.common().last_check_time.clone();
    mapped
}

/// The status value of a resource without states of its own, once it exists.
pub const CREATED: &str = "Created";

/// The status to record for a resource without states of its own that exists: the kind's
/// mapping (`mapped`) shown [`CREATED`] (`state` borrows where its status keeps that), Ready,
/// not Failed (Retrying and the operator's message gone), observedGeneration, and the recorded
/// check times, which the write moves only together with a real change.
pub(super) fn created_status<S: HasCommonStatus>(
    recorded: &S,
    mut mapped: S,
    ready_message: &str,
    generation: Option<i64>,
    state: impl Fn(&mut S) -> &mut Option<String>,
) -> S {
    let mut conditions = recorded.common().conditions.clone().unwrap_or_default();
    remove_condition(&mut conditions, RETRYING);
    set_condition(
        &mut conditions,
        READY,
        true,
        CREATED,
        ready_message,
        generation,
    );
    set_condition(&mut conditions, FAILED, false, CREATED, "", generation);
    *state(&mut mapped) = Some(CREATED.to_string());
    let common = mapped.common_mut();
    common.additional = None;
    common.observed_generation = generation;
    common.conditions = Some(conditions);
    common.last_check_time = recorded.common().last_check_time.clone();
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
    use serde_json::json;

    #[test]
    fn which_sagemaker_name_an_object_maps_to() {
        // (recorded in status, creating annotation, wanted by the spec) → used
        let table = [
            // Never tried: what the spec asks for.
            (None, None, "spec-name", "spec-name"),
            // A create was sent (or is about to be): that name, whatever the spec says now, so a
            // crash between create and status write cannot create a second job.
            (None, Some("sent-name"), "edited-name", "sent-name"),
            // Observed: the recorded name is fixed; an edit is a spec change, not a new job.
            (
                Some("recorded"),
                Some("recorded"),
                "edited-name",
                "recorded",
            ),
            (Some("recorded"), None, "edited-name", "recorded"),
            // Refused (name clash): the annotation was removed, the edited name is used.
            (None, None, "fixed-name", "fixed-name"),
            // Empty values count as absent.
            (Some(""), Some(""), "spec-name", "spec-name"),
        ];
        for (recorded, creating, wanted, expected) in table {
            assert_eq!(
                resolve_remote_name(NameRecord {
                    recorded,
                    creating,
                    wanted
                }),
                expected,
                "recorded {recorded:?}, creating {creating:?}, wanted {wanted}"
            );
        }
    }

    /// A job kind's status, as the api crate's structs shape it.
    #[derive(serde::Serialize, Clone, Debug, Default)]
    #[serde(rename_all = "camelCase")]
    struct JobStatus {
        #[serde(skip_serializing_if = "Option::is_none")]
        job_status: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sage_maker_job_name: Option<String>,
        #[serde(flatten)]
        common: sagemaker_k8s_api::CommonStatus,
    }

    impl HasCommonStatus for JobStatus {
        fn common(&self) -> &sagemaker_k8s_api::CommonStatus {
            &self.common
        }
        fn common_mut(&mut self) -> &mut sagemaker_k8s_api::CommonStatus {
            &mut self.common
        }
    }

    fn condition<'a>(status: &'a JobStatus, type_: &str) -> Option<&'a Condition> {
        status
            .common
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == type_)
    }

    fn mapped(status: &str, reason: Option<&str>) -> JobStatus {
        JobStatus {
            job_status: Some(status.into()),
            sage_maker_job_name: Some("job".into()),
            common: sagemaker_k8s_api::CommonStatus {
                additional: reason.map(str::to_string),
                ..Default::default()
            },
        }
    }

    fn seen(phase: Phase, status_text: &str) -> Observed<'_> {
        Observed {
            phase,
            status_text,
            generation: Some(1),
            spec_changed: None,
        }
    }

    #[test]
    fn an_unchanged_describe_changes_nothing_not_even_the_check_time() {
        let checked: Time = serde_json::from_value(json!("2026-12-01T10:00:00Z")).unwrap();
        let mut recorded = observed_status(
            &Default::default(),
            mapped("InProgress", None),
            seen(Phase::InProgress, "InProgress"),
        );
        recorded.common.last_check_time = Some(checked.clone());
        let again = observed_status(
            &recorded,
            mapped("InProgress", None),
            seen(Phase::InProgress, "InProgress"),
        );
        assert_eq!(
            crate::status_patch::status_patch(Some(&recorded), &again),
            None
        );
        assert_eq!(again.common.last_check_time, Some(checked));
        let moved = observed_status(
            &recorded,
            mapped("Completed", None),
            seen(Phase::Succeeded, "Completed"),
        );
        let patch = crate::status_patch::status_patch(Some(&recorded), &moved).unwrap();
        assert_eq!(patch["jobStatus"], "Completed");
        assert_eq!(patch.get("lastCheckTime"), None, "stamped by the write");
    }

    #[test]
    fn the_common_tail_follows_what_sagemaker_reported() {
        let failing = JobStatus {
            common: sagemaker_k8s_api::CommonStatus {
                additional: Some("SageMaker call failed, retrying with backoff: throttled".into()),
                conditions: Some(vec![Condition {
                    type_: RETRYING.into(),
                    status: "True".into(),
                    reason: "Throttling".into(),
                    message: String::new(),
                    observed_generation: Some(1),
                    last_transition_time: Time(k8s_openapi::jiff::Timestamp::now()),
                }]),
                ..Default::default()
            },
            ..Default::default()
        };
        // A Describe that worked: Retrying and the operator's message go.
        let running = observed_status(
            &failing,
            mapped("InProgress", None),
            seen(Phase::InProgress, "InProgress"),
        );
        assert_eq!(condition(&running, RETRYING), None);
        assert_eq!(running.common.additional, None);
        assert_eq!(condition(&running, READY).unwrap().status, "False");
        assert_eq!(condition(&running, FAILED), None, "only while true");
        assert_eq!(
            condition(&running, SPEC_OUT_OF_SYNC).unwrap().status,
            "False"
        );
        assert_eq!(running.common.observed_generation, Some(1));

        // Failed: SageMaker's reason is the Failed condition's message.
        let failed = observed_status(
            &running,
            mapped("Failed", Some("AlgorithmError: boom")),
            seen(Phase::Failed, "Failed"),
        );
        let condition_failed = condition(&failed, FAILED).unwrap();
        assert_eq!(
            (
                condition_failed.status.as_str(),
                condition_failed.message.as_str()
            ),
            ("True", "AlgorithmError: boom")
        );
        assert_eq!(condition(&failed, READY).unwrap().status, "False");

        // The spec changed after the create: said in additional, after SageMaker's reason.
        let message = out_of_sync_message("SomeJob");
        for (reason, expected) in [
            (None, message.clone()),
            (
                Some("AlgorithmError: boom"),
                format!("AlgorithmError: boom; {message}"),
            ),
        ] {
            let edited = observed_status(
                &running,
                mapped("InProgress", reason),
                Observed {
                    spec_changed: Some(("SpecChangedAfterCreation", &message)),
                    ..seen(Phase::InProgress, "InProgress")
                },
            );
            assert_eq!(edited.common.additional.as_deref(), Some(expected.as_str()));
            assert_eq!(condition(&edited, SPEC_OUT_OF_SYNC).unwrap().status, "True");
        }
    }

    #[test]
    fn a_refused_update_stays_shown_until_the_spec_changes() {
        let refused = "SageMaker rejected the update: ValidationException: bad config";
        let mut recorded = observed_status(
            &Default::default(),
            mapped("InService", None),
            seen(Phase::Succeeded, "InService"),
        );
        crate::conditions::mark_failed(
            &mut recorded.common,
            UPDATE_REJECTED,
            refused.into(),
            Some(1),
        );
        // The endpoint still serves its last good config: InService, Ready, and the refusal.
        let again = observed_status(
            &recorded,
            mapped("InService", None),
            seen(Phase::Succeeded, "InService"),
        );
        let failed = condition(&again, FAILED).unwrap();
        assert_eq!(
            (failed.status.as_str(), failed.reason.as_str()),
            ("True", UPDATE_REJECTED)
        );
        assert_eq!(failed.message, refused);
        assert_eq!(again.common.additional.as_deref(), Some(refused));
        assert_eq!(condition(&again, READY).unwrap().status, "True");
        // A new spec (generation 2): the refusal of the old one goes.
        let edited = observed_status(
            &recorded,
            mapped("Updating", None),
            Observed {
                generation: Some(2),
                ..seen(Phase::InProgress, "Updating")
            },
        );
        assert_eq!(condition(&edited, FAILED), None);
        assert_eq!(edited.common.additional, None);
        // SageMaker's own failure wins over the refusal.
        let failed_now = observed_status(
            &recorded,
            mapped("Failed", Some("boom")),
            seen(Phase::Failed, "Failed"),
        );
        assert_eq!(condition(&failed_now, FAILED).unwrap().message, "boom");
    }
}
