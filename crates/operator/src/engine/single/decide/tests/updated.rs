//! Endpoint and InferenceComponent decisions as call sequences against scripted SageMaker
//! answers: states of their own, updated in place once steady, deleted in the background.

use super::*;
use ErrorCategory::*;
use Phase::*;
use Step::*;

use Reply::{Err, Ok};

/// First reconcile: the engine recorded the spec hash and pinned the name before the create.
const NEW: Record = Record {
    lifecycle: Lifecycle {
        on_delete: OnDelete::DeleteAndAwait,
        on_spec_change: OnSpecChange::Update,
    },
    deleting: false,
    retain: false,
    observe_only: false,
    never_observed: true,
    has_status: false,
    original_status: false,
    refused_this_spec: false,
    created_from_current_spec: true,
    tags_applied: true,
    adoption: Adoption::Never,
};
/// Observed, and the spec is the one last created or updated from (or last refused).
const OBSERVED: Record = Record {
    never_observed: false,
    has_status: true,
    ..NEW
};
/// Observed, and the spec was edited since.
const EDITED: Record = Record {
    created_from_current_spec: false,
    ..OBSERVED
};
const fn deleting(record: Record) -> Record {
    Record {
        deleting: true,
        ..record
    }
}

/// An endpoint's words, as an adapter gives them.
const ENDPOINT: StateWords = StateWords {
    steady: &["InService"],
    failed: &["Failed", "UpdateRollbackFailed"],
    deleting: &["Deleting"],
    stopping: &[],
};
/// An inference component's words.
const INFERENCE_COMPONENT: StateWords = StateWords {
    steady: &["InService"],
    failed: &["Failed"],
    deleting: &["Deleting"],
    stopping: &[],
};

#[test]
fn state_words_give_the_phase() {
    let table: &[(&StateWords, &str, Phase)] = &[
        (&ENDPOINT, "Creating", InProgress),
        (&ENDPOINT, "Updating", InProgress),
        (&ENDPOINT, "SystemUpdating", InProgress),
        (&ENDPOINT, "RollingBack", InProgress),
        (&ENDPOINT, "InService", Succeeded),
        (&ENDPOINT, "Deleting", Deleting),
        (&ENDPOINT, "Failed", Failed),
        (&ENDPOINT, "UpdateRollbackFailed", Failed),
        // A word SageMaker adds later is looked at again, never acted on.
        (&ENDPOINT, "OutOfService", InProgress),
        (&INFERENCE_COMPONENT, "Creating", InProgress),
        (&INFERENCE_COMPONENT, "Updating", InProgress),
        (&INFERENCE_COMPONENT, "InService", Succeeded),
        (&INFERENCE_COMPONENT, "Failed", Failed),
        (&INFERENCE_COMPONENT, "Deleting", Deleting),
    ];
    for (words, status, phase) in table {
        assert_eq!(words.phase(status), *phase, "{status}");
    }
    // Steady (an update may be sent) exactly when not transitional.
    for (phase, steady) in [
        (InProgress, false),
        (Stopping, false),
        (Deleting, false),
        (Succeeded, true),
        (Failed, true),
    ] {
        assert_eq!(phase.is_terminal(), steady, "{phase:?}");
    }
}

#[test]
fn every_lifecycle_as_a_call_sequence() {
    let steady = Ok(Answer::Described(Succeeded));
    let moving = Ok(Answer::Described(InProgress));
    let failed = Ok(Answer::Described(Failed));
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "a new object is created at once, then followed through Creating",
            NEW,
            &[Ok(Answer::Created), moving],
            &[Create, Describe, Mirror],
        ),
        (
            "observed, spec unchanged: one Describe, no update",
            OBSERVED,
            &[steady],
            &[Describe, Mirror],
        ),
        (
            "the spec changed and it is InService: updated, then followed through Updating",
            EDITED,
            &[steady, Ok(Answer::Updated), moving],
            &[Describe, Update, Describe, Mirror],
        ),
        (
            "the spec changed while it moves (Creating, Updating): followed, not updated yet",
            EDITED,
            &[moving],
            &[Describe, Mirror],
        ),
        (
            "crashed after an accepted update, before recording it: no second update while it moves",
            EDITED,
            &[moving],
            &[Describe, Mirror],
        ),
        (
            "the spec changed and it is Failed: the update is sent, SageMaker's to refuse",
            EDITED,
            &[failed, Err(Rejected)],
            &[Describe, Update, ReportUpdateRejected],
        ),
        (
            "SageMaker refuses the update: shown, not retried",
            EDITED,
            &[steady, Err(Rejected)],
            &[Describe, Update, ReportUpdateRejected],
        ),
        (
            "the update names what SageMaker does not have: shown, not retried",
            EDITED,
            &[steady, Err(NotFound)],
            &[Describe, Update, ReportUpdateRejected],
        ),
        (
            "after a refused update (the spec recorded as tried): no update until the spec changes",
            OBSERVED,
            &[steady],
            &[Describe, Mirror],
        ),
        (
            "an update that ended failed (UpdateRollbackFailed): shown, not retried",
            OBSERVED,
            &[failed],
            &[Describe, Mirror],
        ),
        (
            "busy (a concurrent change): retried with backoff, the spec not recorded",
            EDITED,
            &[steady, Err(ResourceInUse)],
            &[Describe, Update, Retry],
        ),
        (
            "deleted behind the operator's back: followed while SageMaker deletes it",
            EDITED,
            &[Ok(Answer::Described(Deleting))],
            &[Describe, Mirror],
        ),
        (
            "gone behind the operator's back: created again",
            OBSERVED,
            &[Err(NotFound), Ok(Answer::Created), moving],
            &[Describe, Create, Describe, Mirror],
        ),
        (
            "someone else's resource of that name: refused, never updated",
            Record {
                never_observed: true,
                has_status: true,
                created_from_current_spec: false,
                ..OBSERVED
            },
            &[steady, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "ours by its tag (taken over): followed, not updated",
            Record {
                never_observed: true,
                has_status: true,
                ..OBSERVED
            },
            &[steady, Ok(Answer::Owner(Ownership::Ours))],
            &[Describe, CheckOwnership, Mirror],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn deletion_waits_until_sagemaker_says_it_is_gone() {
    let steady = Ok(Answer::Described(Succeeded));
    let owner = Ok(Answer::Owner(Ownership::Ours));
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "ours: deleted, then shown Deleting until it is gone",
            deleting(OBSERVED),
            &[steady, owner, Ok(Answer::Deleted)],
            &[Describe, CheckOwnership, Delete, ShowDeleting],
        ),
        (
            "Deleting: waited for, no second delete",
            deleting(OBSERVED),
            &[Ok(Answer::Described(Deleting))],
            &[Describe, ShowDeleting],
        ),
        (
            "gone: released",
            deleting(OBSERVED),
            &[Err(NotFound)],
            &[Describe, Release],
        ),
        (
            "failed: deleted too",
            deleting(OBSERVED),
            &[Ok(Answer::Described(Failed)), owner, Ok(Answer::Deleted)],
            &[Describe, CheckOwnership, Delete, ShowDeleting],
        ),
        (
            "gone between the Describe and the delete: looked at again",
            deleting(OBSERVED),
            &[steady, owner, Err(NotFound)],
            &[Describe, CheckOwnership, Delete, ShowDeleting],
        ),
        (
            "someone else's: never deleted",
            deleting(NEW),
            &[steady, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, Release],
        ),
        (
            "the delete refused (SageMaker will not delete it in this state): retried, kept",
            deleting(OBSERVED),
            &[Ok(Answer::Described(InProgress)), owner, Err(Rejected)],
            &[Describe, CheckOwnership, Delete, Retry],
        ),
        (
            "throttled delete: retried, the finalizer stays",
            deleting(OBSERVED),
            &[steady, owner, Err(Throttled)],
            &[Describe, CheckOwnership, Delete, Retry],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn a_retryable_failure_on_any_call_retries() {
    let steady = Ok(Answer::Described(Succeeded));
    let situations: &[(&str, Record, &[Reply])] = &[
        ("create", NEW, &[]),
        ("describe", OBSERVED, &[]),
        ("update", EDITED, &[steady]),
        (
            "describe after the update",
            EDITED,
            &[steady, Ok(Answer::Updated)],
        ),
        ("describe on delete", deleting(OBSERVED), &[]),
        (
            "delete",
            deleting(OBSERVED),
            &[steady, Ok(Answer::Owner(Ownership::Ours))],
        ),
    ];
    every_retryable_failure_retries(situations);
}

#[test]
fn a_reference_not_ready_holds_back_create_and_update() {
    let steady = Ok(Answer::Described(Succeeded));
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "new, its EndpointConfig missing or not Created: no SageMaker call at all",
            NEW,
            &[],
            &[AwaitReferences],
        ),
        (
            "the spec names a config not ready yet: the endpoint keeps the one it has",
            EDITED,
            &[steady],
            &[Describe, Mirror],
        ),
        (
            "the referenced object went: the endpoint keeps serving, followed as before",
            OBSERVED,
            &[steady],
            &[Describe, Mirror],
        ),
        (
            "gone from SageMaker while the reference is missing: created once it is back",
            OBSERVED,
            &[Err(NotFound)],
            &[Describe, AwaitReferences],
        ),
        (
            "deleted: deleted in SageMaker and waited for, whatever it refers to",
            deleting(OBSERVED),
            &[
                steady,
                Ok(Answer::Owner(Ownership::Ours)),
                Ok(Answer::Deleted),
            ],
            &[Describe, CheckOwnership, Delete, ShowDeleting],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run_waiting(*record, replies), expected, "{case}");
    }
}
