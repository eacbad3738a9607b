//! Tags edited in place, for every lifecycle: once the resource is this object's and nothing
//! else is to be done, tags not yet applied are brought to the spec's; a create sends them, an
//! observe-only object and someone else's resource are never tagged.

use super::*;
use ErrorCategory::*;
use Phase::*;
use Reply::{Err, Ok};
use Step::*;

/// Observed, the spec unchanged but its tags edited.
fn lifecycles() -> [Record; 3] {
    EVERY_LIFECYCLE.map(|record| Record {
        tags_applied: false,
        ..record
    })
}

#[test]
fn a_tag_edit_is_applied_in_place_and_never_replaces() {
    let lifecycles = lifecycles();
    let table: &[(&str, Record, &[Reply], &[Step])] = &[
        (
            "steady: the tags, then the status",
            lifecycles[0],
            &[Ok(Answer::Described(Succeeded)), Ok(Answer::TagsSynced)],
            &[Describe, SyncTags, Mirror],
        ),
        (
            "a replaced kind is tagged, not replaced",
            lifecycles[1],
            &[Ok(Answer::Described(Succeeded)), Ok(Answer::TagsSynced)],
            &[Describe, SyncTags, Mirror],
        ),
        (
            "in transition: tagged too (tags do not wait for a steady state)",
            lifecycles[2],
            &[Ok(Answer::Described(InProgress)), Ok(Answer::TagsSynced)],
            &[Describe, SyncTags, Mirror],
        ),
        (
            "being deleted by SageMaker: left alone",
            lifecycles[2],
            &[Ok(Answer::Described(Deleting))],
            &[Describe, Mirror],
        ),
        (
            "updated in place and tagged in the same reconcile",
            Record {
                created_from_current_spec: false,
                ..lifecycles[2]
            },
            &[
                Ok(Answer::Described(Succeeded)),
                Ok(Answer::Updated),
                Ok(Answer::Described(InProgress)),
                Ok(Answer::TagsSynced),
            ],
            &[Describe, Update, Describe, SyncTags, Mirror],
        ),
        (
            "a new object: the create sends the tags",
            Record {
                never_observed: true,
                has_status: false,
                ..lifecycles[1]
            },
            &[Ok(Answer::Created), Ok(Answer::Described(Succeeded))],
            &[Create, Describe, Mirror],
        ),
        (
            "someone else's resource of the name is refused, never tagged",
            Record {
                never_observed: true,
                ..lifecycles[0]
            },
            &[
                Ok(Answer::Described(Succeeded)),
                Ok(Answer::Owner(Ownership::Foreign)),
            ],
            &[Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "observe-only: mirrored, never tagged",
            Record {
                observe_only: true,
                ..lifecycles[0]
            },
            &[Ok(Answer::Described(Succeeded))],
            &[Describe, Mirror],
        ),
        (
            "SageMaker refuses the tags: shown until the spec changes",
            lifecycles[1],
            &[Ok(Answer::Described(Succeeded)), Err(Rejected)],
            &[Describe, SyncTags, ReportTagsRejected],
        ),
        (
            "throttled: retried",
            lifecycles[1],
            &[Ok(Answer::Described(Succeeded)), Err(Throttled)],
            &[Describe, SyncTags, Retry],
        ),
        (
            "gone between the Describe and the tags: retried, and found gone",
            lifecycles[0],
            &[Ok(Answer::Described(Succeeded)), Err(NotFound)],
            &[Describe, SyncTags, Retry],
        ),
    ];
    for (case, record, replies, expected) in table {
        assert_eq!(&run(*record, replies), expected, "{case}");
    }
}

#[test]
fn an_observed_resource_is_never_updated_replaced_or_tagged() {
    for lifecycle in lifecycles() {
        let observed = Record {
            observe_only: true,
            // The spec differs from what runs, and its tags were never applied.
            created_from_current_spec: false,
            ..lifecycle
        };
        assert_eq!(
            run(observed, &[Ok(Answer::Described(Succeeded))]),
            [Describe, Mirror],
            "{:?}",
            lifecycle.lifecycle
        );
        assert_eq!(
            run(observed, &[Err(NotFound)]),
            [Describe, ReportNotFound],
            "{:?}",
            lifecycle.lifecycle
        );
    }
}
