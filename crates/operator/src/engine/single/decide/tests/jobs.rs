//! Jobs: stopped on delete, a spec change reported (never carried out).

use super::*;
use ErrorCategory::*;

use Phase::*;
use Reply::{Err, Ok};

const NEW: Record = Record {
    lifecycle: Lifecycle {
        on_delete: OnDelete::Stop,
        on_spec_change: OnSpecChange::Report,
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
/// A create was refused before, or its first call failed (status Synchronizing).
const TRIED_BEFORE: Record = Record {
    has_status: true,
    ..NEW
};
const OBSERVED: Record = Record {
    never_observed: false,
    has_status: true,
    ..NEW
};
/// The original operator's object: its status has lastCheckTime, no observedGeneration.
const ORIGINAL: Record = Record {
    original_status: true,
    ..OBSERVED
};
const OBSERVE_ONLY: Record = Record {
    observe_only: true,
    ..NEW
};
const fn deleting(record: Record) -> Record {
    Record {
        deleting: true,
        ..record
    }
}

use Step::*;

#[test]
fn every_lifecycle_as_a_call_sequence() {
    let running = Ok(Answer::Described(InProgress));
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "a new object is created at once, then described",
            NEW,
            &[Ok(Answer::Created), running],
            &[Create, Describe, Mirror],
        ),
        (
            "observed before: one Describe, no ListTags",
            OBSERVED,
            &[running],
            &[Describe, Mirror],
        ),
        (
            "observed before and ended",
            OBSERVED,
            &[Ok(Answer::Described(Succeeded))],
            &[Describe, Mirror],
        ),
        (
            "a create refused before: looked up first, created when absent",
            TRIED_BEFORE,
            &[Err(NotFound), Ok(Answer::Created), running],
            &[Describe, Create, Describe, Mirror],
        ),
        (
            "the original operator's untagged job: tagged, then followed",
            ORIGINAL,
            &[
                running,
                Ok(Answer::Owner(Ownership::TakeOver)),
                Ok(Answer::TakenOver),
            ],
            &[Describe, CheckOwnership, TakeOver, Mirror],
        ),
        (
            "the original operator's status, but another object's tag",
            ORIGINAL,
            &[running, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "the original operator's job, already tagged by an earlier takeover",
            ORIGINAL,
            &[running, Ok(Answer::Owner(Ownership::Ours))],
            &[Describe, CheckOwnership, Mirror],
        ),
        (
            "a name clash with someone else's job is reported, never adopted",
            NEW,
            &[
                Err(ResourceInUse),
                Ok(Answer::Described(Succeeded)),
                Ok(Answer::Owner(Ownership::Foreign)),
            ],
            &[Create, Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "SageMaker rejects the create",
            NEW,
            &[Err(Rejected)],
            &[Create, ReportRejected],
        ),
        (
            "the create names a model that does not exist yet",
            NEW,
            &[Err(NotFound)],
            &[Create, ReportMissingDependency],
        ),
        (
            "observe-only: described and mirrored, never created or tag-checked",
            OBSERVE_ONLY,
            &[running],
            &[Describe, Mirror],
        ),
        (
            "observe-only: its job does not exist",
            OBSERVE_ONLY,
            &[Err(NotFound)],
            &[Describe, ReportNotFound],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn crash_windows_adopt_what_was_created_and_never_create_twice() {
    let running = Ok(Answer::Described(InProgress));
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "crashed after the create, before anything was recorded: its tag proves it ours",
            NEW,
            &[
                Err(ResourceInUse),
                running,
                Ok(Answer::Owner(Ownership::Ours)),
            ],
            &[Create, Describe, CheckOwnership, Mirror],
        ),
        (
            "the create went through but its Describe failed (status Synchronizing): adopted",
            TRIED_BEFORE,
            &[running, Ok(Answer::Owner(Ownership::Ours))],
            &[Describe, CheckOwnership, Mirror],
        ),
        (
            "an accepted create not yet visible: retried, not created again",
            NEW,
            &[Ok(Answer::Created), Err(NotFound)],
            &[Create, Describe, Retry],
        ),
        (
            "the Describe after an accepted create is throttled",
            NEW,
            &[Ok(Answer::Created), Err(Throttled)],
            &[Create, Describe, Retry],
        ),
        (
            "crashed while deleting, after the stop: waits through Stopping",
            deleting(OBSERVED),
            &[Ok(Answer::Described(Stopping))],
            &[Describe, ShowStopping],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn deletion_stops_only_this_objects_job_and_keeps_the_finalizer_until_it_ends() {
    let running = Ok(Answer::Described(InProgress));
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "running and ours: stopped, shown Stopping",
            deleting(OBSERVED),
            &[
                running,
                Ok(Answer::Owner(Ownership::Ours)),
                Ok(Answer::StopSent),
            ],
            &[Describe, CheckOwnership, Stop, ShowStopping],
        ),
        (
            "the original operator's untagged running job is stopped too",
            deleting(ORIGINAL),
            &[
                running,
                Ok(Answer::Owner(Ownership::TakeOver)),
                Ok(Answer::StopSent),
            ],
            &[Describe, CheckOwnership, Stop, ShowStopping],
        ),
        (
            "someone else's job (a name clash reported earlier) is never stopped",
            deleting(TRIED_BEFORE),
            &[running, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, Release],
        ),
        (
            "ended: let go",
            deleting(OBSERVED),
            &[Ok(Answer::Described(Succeeded))],
            &[Describe, Release],
        ),
        (
            "failed or stopped: let go",
            deleting(OBSERVED),
            &[Ok(Answer::Described(Failed))],
            &[Describe, Release],
        ),
        (
            "not found during delete: never created, let go",
            deleting(TRIED_BEFORE),
            &[Err(NotFound)],
            &[Describe, Release],
        ),
        (
            "ended between the Describe and the stop: SageMaker refuses the stop",
            deleting(OBSERVED),
            &[running, Ok(Answer::Owner(Ownership::Ours)), Err(Rejected)],
            &[Describe, CheckOwnership, Stop, ShowStopping],
        ),
        (
            "throttled Describe: retried, the finalizer stays",
            deleting(OBSERVED),
            &[Err(Throttled)],
            &[Describe, Retry],
        ),
        (
            "throttled stop: retried, the finalizer stays",
            deleting(OBSERVED),
            &[running, Ok(Answer::Owner(Ownership::Ours)), Err(Throttled)],
            &[Describe, CheckOwnership, Stop, Retry],
        ),
        (
            "observe-only: released at once (its tuning job stops it)",
            deleting(OBSERVE_ONLY),
            &[],
            &[Release],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

/// Every call failing with every class, alive and deleting: a retryable failure always retries
/// (never releases, mirrors or reports), and the answers that are not failures move on.
#[test]
fn every_error_class_on_every_call() {
    let categories = [
        Throttled,
        QuotaExceeded,
        Transient,
        SageMakerOther,
        Kubernetes,
        NotFound,
        ResourceInUse,
        Rejected,
    ];
    let running = Ok(Answer::Described(InProgress));
    // (situation, record, replies before the failing call, the step that fails)
    let situations: &[(&str, Record, &[Reply], Step)] = &[
        ("create", NEW, &[], Create),
        ("describe", OBSERVED, &[], Describe),
        ("tag check", TRIED_BEFORE, &[running], CheckOwnership),
        (
            "takeover",
            ORIGINAL,
            &[running, Ok(Answer::Owner(Ownership::TakeOver))],
            TakeOver,
        ),
        ("describe on delete", deleting(OBSERVED), &[], Describe),
        (
            "tag check on delete",
            deleting(OBSERVED),
            &[running],
            CheckOwnership,
        ),
        (
            "stop",
            deleting(OBSERVED),
            &[running, Ok(Answer::Owner(Ownership::Ours))],
            Stop,
        ),
    ];
    for (situation, record, before, failing) in situations {
        for category in categories {
            let mut facts = Facts::new(*record);
            for reply in *before {
                let step = next_step(&facts);
                apply(&mut facts, call_of(step).unwrap(), reply);
            }
            assert_eq!(next_step(&facts), *failing, "{situation}");
            facts.call_failed(call_of(*failing).unwrap(), category);
            let next = next_step(&facts);
            let expected = match (*failing, category, record.deleting) {
                _ if category.is_retryable() => Retry,
                (Describe, NotFound, true) => Release,
                (Describe, NotFound, false) => Create,
                (Create, ResourceInUse, _) => Describe,
                (Create, NotFound, _) => ReportMissingDependency,
                (Create, Rejected, _) => ReportRejected,
                (Stop, Rejected, _) => ShowStopping,
                _ => Retry,
            };
            assert_eq!(next, expected, "{situation} failing with {category:?}");
        }
    }
}
