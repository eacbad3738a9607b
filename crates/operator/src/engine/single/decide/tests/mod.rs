//! The decision core as tables: each case is what the object recorded, SageMaker's answers in
//! order, and the steps the core takes — the call sequence a reconcile makes. `jobs.rs`: a
//! resource stopped on delete whose spec changes are reported (the job kinds); `replaced.rs`:
//! a resource deleted on delete and replaced on a spec change (Model, EndpointConfig);
//! `updated.rs`: a resource with states of its own, updated in place on a spec change and
//! deleted in the background (Endpoint, InferenceComponent); `retained.rs`: deletion that keeps
//! the resource (the deletion policy `retain`), for every lifecycle; `tagged.rs`: tags edited in
//! place, for every lifecycle; `adopted.rs`: taking over an existing resource.

mod adopted;
mod jobs;
mod replaced;
mod retained;
mod tagged;
mod updated;

use super::*;

/// An observed object of the given lifecycle whose spec and tags are applied: what the tables of
/// the controls (`retained.rs`, `tagged.rs`, `adopted.rs`) vary.
const fn observed(on_delete: OnDelete, on_spec_change: OnSpecChange) -> Record {
    Record {
        lifecycle: Lifecycle {
            on_delete,
            on_spec_change,
        },
        deleting: false,
        retain: false,
        observe_only: false,
        never_observed: false,
        has_status: true,
        original_status: false,
        refused_this_spec: false,
        created_from_current_spec: true,
        tags_applied: true,
        adoption: Adoption::Never,
    }
}

/// [`observed`] for every lifecycle: a job (stopped, spec changes reported), a replaced kind, an
/// updated kind.
const EVERY_LIFECYCLE: [Record; 3] = [
    observed(OnDelete::Stop, OnSpecChange::Report),
    observed(OnDelete::Delete, OnSpecChange::Replace),
    observed(OnDelete::DeleteAndAwait, OnSpecChange::Update),
];

/// A scripted SageMaker answer to the next call.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Ok(Answer),
    Err(ErrorCategory),
    /// The create could not be built: a spec field this operator cannot send.
    Unsupported,
}

/// The call a step makes, if any.
fn call_of(step: Step) -> Option<Call> {
    match step {
        Step::Describe => Some(Call::Describe),
        Step::Create => Some(Call::Create),
        Step::CheckOwnership => Some(Call::ListTags),
        Step::TakeOver => Some(Call::AddTags),
        Step::Untag => Some(Call::DeleteTags),
        Step::SyncTags => Some(Call::SyncTags),
        Step::Stop => Some(Call::Stop),
        Step::Replace | Step::Delete => Some(Call::Delete),
        Step::Update => Some(Call::Update),
        _ => None,
    }
}

/// Records a reply in the facts, as the executor does with a call's outcome.
fn apply(facts: &mut Facts, call: Call, reply: &Reply) {
    match reply {
        Reply::Ok(answer) => facts.answered(*answer),
        Reply::Err(category) => facts.call_failed(call, *category),
        Reply::Unsupported => facts.unsupported = true,
    }
}

/// Runs the decision core as the executor does: every step that calls SageMaker takes the next
/// reply; the first step that makes no call ends the reconcile. Returns the steps.
fn run(record: Record, replies: &[Reply]) -> Vec<Step> {
    crate::engine::scripted::run_script(Facts::new(record), replies, next_step, call_of, apply)
}

/// [`run`] for an object one of whose referenced objects is missing or not ready.
fn run_waiting(record: Record, replies: &[Reply]) -> Vec<Step> {
    let facts = Facts {
        waiting: true,
        ..Facts::new(record)
    };
    crate::engine::scripted::run_script(facts, replies, next_step, call_of, apply)
}

/// In each situation (a record and the replies before it), every failure a retry may get past
/// on the next call retries.
fn every_retryable_failure_retries(situations: &[(&str, Record, &[Reply])]) {
    use ErrorCategory::*;
    for (situation, record, before) in situations {
        for category in [
            Throttled,
            QuotaExceeded,
            Transient,
            SageMakerOther,
            Kubernetes,
        ] {
            let mut facts = Facts::new(*record);
            for reply in *before {
                let call = call_of(next_step(&facts)).unwrap();
                apply(&mut facts, call, reply);
            }
            let call = call_of(next_step(&facts)).expect("a call");
            facts.call_failed(call, category);
            assert_eq!(next_step(&facts), Step::Retry, "{situation}: {category:?}");
        }
    }
}
