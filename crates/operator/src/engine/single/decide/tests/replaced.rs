//! Model and EndpointConfig decisions as call sequences against scripted SageMaker answers:
//! deleted on delete, replaced on a spec change.

use super::*;
use ErrorCategory::*;
use Step::*;

use Reply::{Err, Ok};

/// A resource without states of its own exists (what a Describe answers).
const EXISTS: Answer = Answer::Described(Phase::Succeeded);

/// First reconcile after the finalizer: status SynchronizingK8sJobWithSageMaker.
const NEW: Record = Record {
    lifecycle: Lifecycle {
        on_delete: OnDelete::Delete,
        on_spec_change: OnSpecChange::Replace,
    },
    deleting: false,
    retain: false,
    observe_only: false,
    has_status: true,
    refused_this_spec: false,
    created_from_current_spec: false,
    original_status: false,
    never_observed: true,
    tags_applied: true,
    adoption: Adoption::Never,
};
/// `Created`, and the spec is the one it was created from.
const CREATED: Record = Record {
    created_from_current_spec: true,
    never_observed: false,
    ..NEW
};
/// `Created` from an earlier spec: the spec was edited.
const EDITED: Record = Record {
    created_from_current_spec: false,
    ..CREATED
};
/// The original operator's object (its status, no hash of ours).
const ORIGINAL: Record = Record {
    original_status: true,
    never_observed: false,
    ..NEW
};
/// Failed for this spec (SageMaker rejected it).
const REFUSED: Record = Record {
    refused_this_spec: true,
    created_from_current_spec: true,
    ..NEW
};
const fn deleting(record: Record) -> Record {
    Record {
        deleting: true,
        ..record
    }
}

#[test]
fn every_lifecycle_as_a_call_sequence() {
    let exists = Ok(EXISTS);
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "new: looked up, created, described, shown Created",
            NEW,
            &[Err(NotFound), Ok(Answer::Created), exists],
            &[Describe, Create, Describe, Mirror],
        ),
        (
            "created from this spec: one Describe",
            CREATED,
            &[exists],
            &[Describe, Mirror],
        ),
        (
            "the spec changed: replaced under the same name",
            EDITED,
            &[exists, Ok(Answer::Deleted), Ok(Answer::Created), exists],
            &[Describe, Replace, Create, Describe, Mirror],
        ),
        (
            "the spec changed and the old one is already gone",
            EDITED,
            &[exists, Err(NotFound), Ok(Answer::Created), exists],
            &[Describe, Replace, Create, Describe, Mirror],
        ),
        (
            "refused for this spec: nothing is called until the spec changes",
            REFUSED,
            &[],
            &[AwaitSpecChange],
        ),
        (
            "the original operator's untagged resource: tagged and followed, never replaced",
            ORIGINAL,
            &[
                exists,
                Ok(Answer::Owner(Ownership::TakeOver)),
                Ok(Answer::TakenOver),
            ],
            &[Describe, CheckOwnership, TakeOver, Mirror],
        ),
        (
            "tagged by an earlier takeover that did not get to record the spec",
            ORIGINAL,
            &[
                exists,
                Ok(Answer::Owner(Ownership::Ours)),
                Ok(Answer::TakenOver),
            ],
            &[Describe, CheckOwnership, TakeOver, Mirror],
        ),
        (
            "the original operator's status, but nothing proves the resource is this object's",
            ORIGINAL,
            &[exists, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "a name someone else's resource has",
            NEW,
            &[exists, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "SageMaker rejects the create",
            NEW,
            &[Err(NotFound), Err(Rejected)],
            &[Describe, Create, ReportRejected],
        ),
        (
            "an endpoint config whose model does not exist yet",
            NEW,
            &[Err(NotFound), Err(NotFound)],
            &[Describe, Create, ReportMissingDependency],
        ),
        (
            "a spec field this operator cannot send",
            NEW,
            &[Err(NotFound), Reply::Unsupported],
            &[Describe, Create, ReportUnsupported],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn crash_windows_adopt_and_never_create_twice() {
    let exists = Ok(EXISTS);
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "crashed after the create, before the status: its tag proves it ours",
            Record {
                created_from_current_spec: true,
                ..NEW
            },
            &[exists, Ok(Answer::Owner(Ownership::Ours))],
            &[Describe, CheckOwnership, Mirror],
        ),
        (
            "created between our Describe and our create (a second reconcile): adopted by its tag",
            NEW,
            &[
                Err(NotFound),
                Err(ResourceInUse),
                exists,
                Ok(Answer::Owner(Ownership::Ours)),
            ],
            &[Describe, Create, Describe, CheckOwnership, Mirror],
        ),
        (
            "an accepted create not visible yet: retried",
            NEW,
            &[Err(NotFound), Ok(Answer::Created), Err(NotFound)],
            &[Describe, Create, Describe, Retry],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn deletion_deletes_only_this_objects_resource() {
    let exists = Ok(EXISTS);
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "ours: deleted, then released",
            deleting(CREATED),
            &[
                exists,
                Ok(Answer::Owner(Ownership::Ours)),
                Ok(Answer::Deleted),
            ],
            &[Describe, CheckOwnership, Delete, Release],
        ),
        (
            "the original operator's, untagged: deleted too",
            deleting(ORIGINAL),
            &[
                exists,
                Ok(Answer::Owner(Ownership::TakeOver)),
                Ok(Answer::Deleted),
            ],
            &[Describe, CheckOwnership, Delete, Release],
        ),
        (
            "someone else's: never deleted",
            deleting(NEW),
            &[exists, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, Release],
        ),
        (
            "not found during delete",
            deleting(CREATED),
            &[Err(NotFound)],
            &[Describe, Release],
        ),
        (
            "gone between the Describe and the delete",
            deleting(CREATED),
            &[exists, Ok(Answer::Owner(Ownership::Ours)), Err(NotFound)],
            &[Describe, CheckOwnership, Delete, Release],
        ),
        (
            "throttled delete: retried, the finalizer stays",
            deleting(CREATED),
            &[exists, Ok(Answer::Owner(Ownership::Ours)), Err(Throttled)],
            &[Describe, CheckOwnership, Delete, Retry],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn a_retryable_failure_on_any_call_retries() {
    let exists = Ok(EXISTS);
    let situations: &[(&str, Record, &[Reply])] = &[
        ("describe", CREATED, &[]),
        ("tag check", NEW, &[exists]),
        (
            "takeover",
            ORIGINAL,
            &[exists, Ok(Answer::Owner(Ownership::TakeOver))],
        ),
        ("replace", EDITED, &[exists]),
        ("create", NEW, &[Err(NotFound)]),
        ("describe on delete", deleting(CREATED), &[]),
        (
            "delete",
            deleting(CREATED),
            &[exists, Ok(Answer::Owner(Ownership::Ours))],
        ),
    ];
    every_retryable_failure_retries(situations);
}

#[test]
fn a_reference_not_ready_holds_back_create_and_replace_never_delete() {
    let exists = Ok(EXISTS);
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "new, its Model missing or not Created: no SageMaker call at all",
            NEW,
            &[],
            &[AwaitReferences],
        ),
        (
            "created, and the Model is deleted later: the configuration stays as it is",
            CREATED,
            &[exists],
            &[Describe, Mirror],
        ),
        (
            "edited while the Model is not ready: not deleted before it can be created again",
            EDITED,
            &[exists],
            &[Describe, Mirror],
        ),
        (
            "gone from SageMaker while the Model is missing: created once it is back",
            CREATED,
            &[Err(NotFound)],
            &[Describe, AwaitReferences],
        ),
        (
            "refused for this spec: the refusal stands",
            REFUSED,
            &[],
            &[AwaitSpecChange],
        ),
        (
            "the original operator's resource: taken over (nothing is created)",
            ORIGINAL,
            &[
                exists,
                Ok(Answer::Owner(Ownership::TakeOver)),
                Ok(Answer::TakenOver),
            ],
            &[Describe, CheckOwnership, TakeOver, Mirror],
        ),
        (
            "deleted: deleted in SageMaker whatever it refers to",
            deleting(CREATED),
            &[
                exists,
                Ok(Answer::Owner(Ownership::Ours)),
                Ok(Answer::Deleted),
            ],
            &[Describe, CheckOwnership, Delete, Release],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run_waiting(*record, replies), expected, "{case}");
    }
}
