//! The status a Describe makes: the kind's mapping with the common tail (`status_map.rs`), one
//! Event per change, the write of what changed, and when to look again.

use std::time::Instant;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{CREATED_SPEC_HASH_ANNOTATION, HasCommonStatus, OBSERVE_ANNOTATION};

use super::status_map::{CREATED, Observed, created_status, observed_status, out_of_sync_message};
use super::{
    Kind, OnSpecChange, Phase, Single, SingleRun, States, announce_waiting, drift, observe_only,
};
use crate::conditions::SPEC_OUT_OF_SYNC;
use crate::engine::references::{REFERENCES_READY, Resolution, show_references};
use crate::engine::{EngineError, Strategy};
use crate::status_poller::{Observation, key_of};

/// Maps the described resource to the status and conditions, with an Event per change, and
/// decides when to look again.
pub(super) async fn mirror<K: Kind>(
    run: &SingleRun<'_, K>,
    remote_name: &str,
    remote: K::Remote,
    created_now: bool,
    current_hash: &str,
    covered: Option<jiff::Timestamp>,
    references: Option<&Resolution>,
) -> Result<Action, EngineError> {
    let object = run.object;
    let mut recorded = run.status.recorded();
    let previous = K::status_fields(&mut recorded).status.clone();
    let mut desired = match K::STATES {
        States::SageMaker => {
            let mapped = with_states::<K>(run, &remote, current_hash);
            announce_states::<K>(run, remote_name, &remote, created_now, previous, &mapped).await;
            if let Some((type_, reason, note)) = mapped.spec_event {
                run.event(type_, reason, note).await;
            }
            mapped.desired
        }
        States::Created => {
            let desired = created::<K>(run, remote_name, &remote);
            if run.status.would_change(&desired) && previous.as_deref() != Some(CREATED) {
                let note = format!(
                    "Status {} → {CREATED}",
                    previous.as_deref().unwrap_or("none")
                );
                run.event(EventType::Normal, CREATED, note).await;
            }
            desired
        }
    };
    if let Some(references) = references {
        // The resource stays as it is; what it refers to shows whether the next create or
        // update can go ahead.
        let common = desired.common_mut();
        let mut conditions = common.conditions.take().unwrap_or_default();
        let news = show_references(
            &mut conditions,
            references.waiting.as_ref(),
            object.meta().generation,
        );
        common.conditions = Some(conditions);
        if let (Some(note), Some(waiting)) = (news, references.waiting.as_ref()) {
            announce_waiting(run, waiting, note).await;
        }
    } else if let Some(conditions) = desired.common_mut().conditions.as_mut() {
        // Only a spec that refers to others shows the condition: one that no longer does (a
        // reference replaced by a name, a taken-over version done with its run) drops it.
        conditions.retain(|condition| condition.type_ != REFERENCES_READY);
    }
    // Only real changes are written, the check times with them: a write that changes nothing
    // costs the apiserver a write and every watcher an event, N times over.
    run.status
        .write_stamped(desired, |desired| {
            let now = Some(Time(k8s_openapi::jiff::Timestamp::now()));
            if let Some(last_update_time) = K::status_fields(desired).last_update_time {
                // The original operator's name for it; scripts written for it read this one.
                *last_update_time = now.clone();
            }
            desired.common_mut().last_check_time = now;
        })
        .await?;
    if !observe_only::<K>(object) {
        run.engine
            .strategy
            .0
            .after_observe(run.client(), &run.handle, object, &remote)
            .await?;
    }
    if K::STATES == States::Created {
        // Nothing changes it but the object.
        return Ok(Action::await_change());
    }
    Ok(look_again::<K>(run, remote_name, &remote, covered))
}

/// What a Describe of a resource with states makes of the status.
struct WithStates<S> {
    desired: S,
    /// What SageMaker says went wrong, if anything.
    failure_reason: String,
    /// The Event when the spec stopped or started again to match the resource.
    spec_event: Option<(EventType, &'static str, String)>,
}

/// The status of a resource with states: the kind's mapping, the conditions, and whether the
/// spec still is the one it was created from (a spec change that is not carried out is shown).
fn with_states<K: Kind>(
    run: &SingleRun<'_, K>,
    remote: &K::Remote,
    current_hash: &str,
) -> WithStates<K::Status> {
    let object = run.object;
    let mapped = K::status_from(object, remote, &run.handle.location);
    let out_of_sync = out_of_sync::<K>(object, &mapped, current_hash);
    let recorded = run.status.recorded();
    let was_out_of_sync = recorded
        .common()
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == SPEC_OUT_OF_SYNC && c.status == "True");
    let status_text = K::status_text(remote);
    let failure_reason = mapped.common().additional.clone().unwrap_or_default();
    let desired = observed_status(
        &recorded,
        mapped,
        Observed {
            phase: K::phase(remote),
            status_text: &status_text,
            generation: object.meta().generation,
            spec_changed: out_of_sync
                .as_ref()
                .map(|(reason, message)| (*reason, message.as_str())),
        },
    );
    let spec_event = match out_of_sync {
        Some((reason, message)) if !was_out_of_sync => Some((EventType::Warning, reason, message)),
        None if was_out_of_sync => {
            let note = format!("The spec matches the SageMaker {} again", K::KIND);
            Some((EventType::Normal, "SpecMatchesSageMaker", note))
        }
        _ => None,
    };
    WithStates {
        desired,
        failure_reason,
        spec_event,
    }
}

/// Why the spec is not what the resource runs, as the SpecOutOfSync reason and message: an
/// observed object's spec differs from the resource ([`observed_drift`]), or a job's spec
/// changed after its create (`current_hash` is not the one created from). `None`: in sync.
fn out_of_sync<K: Kind>(
    object: &K::Object,
    mapped: &K::Status,
    current_hash: &str,
) -> Option<(&'static str, String)> {
    if crate::engine::observing(object) {
        let differing = observed_drift::<K>(object, mapped);
        return (!differing.is_empty()).then(|| {
            let message = format!(
                "Observed, not managed ({OBSERVE_ANNOTATION}): the spec differs from the {} in SageMaker in {}; nothing is applied",
                K::KIND,
                differing.join(", ")
            );
            ("SpecDiffersFromSageMaker", message)
        });
    }
    let changed = !observe_only::<K>(object)
        && K::LIFECYCLE.on_spec_change == OnSpecChange::Report
        && object
            .annotations()
            .get(CREATED_SPEC_HASH_ANNOTATION)
            .is_some_and(|created| created != current_hash);
    changed.then(|| ("SpecChangedAfterCreation", out_of_sync_message(K::KIND)))
}

/// The spec fields an observed object's spec gives otherwise than its resource, as far as the
/// status mapped from the Describe shows them ([`drift::differing_fields`]); references are
/// names of objects, not of SageMaker resources, and are not compared.
fn observed_drift<K: Kind>(object: &K::Object, mapped: &K::Status) -> Vec<String> {
    let spec = serde_json::to_value(K::spec(object)).expect("specs serialize to JSON");
    let described = serde_json::to_value(mapped).expect("statuses serialize to JSON");
    let references = K::references(object);
    let skip: Vec<&str> = references
        .iter()
        .map(|reference| {
            let field = reference.field.as_str();
            field.split(['.', '[']).next().unwrap_or(field)
        })
        .collect();
    drift::differing_fields(&spec, &described, &skip)
}

/// One Event for a new resource with states (not "Created" and then "none → InProgress"), or
/// one per change of its state.
async fn announce_states<K: Kind>(
    run: &SingleRun<'_, K>,
    remote_name: &str,
    remote: &K::Remote,
    created_now: bool,
    previous: Option<String>,
    mapped: &WithStates<K::Status>,
) {
    let status_text = K::status_text(remote);
    if created_now {
        let note = format!(
            "Created {} {remote_name} in SageMaker (status {status_text})",
            K::KIND
        );
        run.event(EventType::Normal, "Created", note).await;
    } else if let Some((type_, note)) = crate::events::status_change(
        previous.as_deref(),
        &status_text,
        K::phase(remote) == Phase::Failed,
        &mapped.failure_reason,
    ) {
        run.event(type_, &status_text, note).await;
    }
}

/// The status of a resource without states that exists: [`CREATED`], its name and ARN, Ready.
fn created<K: Kind>(run: &SingleRun<'_, K>, name: &str, remote: &K::Remote) -> K::Status {
    let mut recorded = run.status.recorded();
    let mut desired = created_status(
        &recorded,
        K::status_from(run.object, remote, &run.handle.location),
        &format!("{} {name} exists in SageMaker", K::KIND),
        run.object.meta().generation,
        <Single<K> as Strategy>::state,
    );
    if let (Some(recorded), Some(desired)) = (
        K::status_fields(&mut recorded).last_update_time,
        K::status_fields(&mut desired).last_update_time,
    ) {
        // Moved only together with a real change, as lastCheckTime.
        desired.clone_from(recorded);
    }
    desired
}

/// A terminal resource is settled (unless the kind looks again); otherwise the poller wakes the
/// object when SageMaker reports a change.
fn look_again<K: Kind>(
    run: &SingleRun<'_, K>,
    remote_name: &str,
    remote: &K::Remote,
    covered: Option<jiff::Timestamp>,
) -> Action {
    let registry = &run.engine.registry;
    let look_again = K::look_again_after(remote);
    if K::phase(remote).is_terminal() && look_again.is_none() {
        registry.forget(&run.handle.location, remote_name);
        return Action::await_change();
    }
    registry.record(
        key_of(run.object),
        Observation {
            generation: run.object.meta().generation,
            modified: K::last_modified(remote),
            look_again_at: look_again.map(|after| Instant::now() + after),
        },
        covered,
    );
    match look_again {
        Some(after) => Action::requeue(after),
        None => Action::await_change(),
    }
}
