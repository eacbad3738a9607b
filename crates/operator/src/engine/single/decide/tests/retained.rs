//! Deletion with the policy `retain`, for every lifecycle: nothing is stopped or deleted; what is
//! this object's loses the ownership tag; what is someone else's, or gone, is left as it is.

use super::*;
use ErrorCategory::*;
use Phase::*;
use Reply::{Err, Ok};
use Step::*;

/// Being deleted with the policy `retain`.
fn lifecycles() -> [Record; 3] {
    EVERY_LIFECYCLE.map(|record| Record {
        deleting: true,
        retain: true,
        ..record
    })
}

#[test]
fn retain_never_stops_or_deletes_and_removes_only_this_objects_tag() {
    let ours = Ok(Answer::Owner(Ownership::Ours));
    let table: &[(&str, &[Reply], &[Step])] = &[
        (
            "running and ours: untagged and kept, never stopped",
            &[
                Ok(Answer::Described(InProgress)),
                ours,
                Ok(Answer::Untagged),
            ],
            &[Describe, CheckOwnership, Untag, Keep],
        ),
        (
            "steady and ours: untagged and kept, never deleted",
            &[Ok(Answer::Described(Succeeded)), ours, Ok(Answer::Untagged)],
            &[Describe, CheckOwnership, Untag, Keep],
        ),
        (
            "failed and ours: kept too",
            &[Ok(Answer::Described(Failed)), ours, Ok(Answer::Untagged)],
            &[Describe, CheckOwnership, Untag, Keep],
        ),
        (
            "someone else's (a name clash reported earlier): its tags are not ours to touch",
            &[
                Ok(Answer::Described(InProgress)),
                Ok(Answer::Owner(Ownership::Foreign)),
            ],
            &[Describe, CheckOwnership, Release],
        ),
        (
            "the original operator's, never tagged: kept as it is",
            &[
                Ok(Answer::Described(Succeeded)),
                Ok(Answer::Owner(Ownership::TakeOver)),
            ],
            &[Describe, CheckOwnership, Keep],
        ),
        (
            "already gone: nothing to keep",
            &[Err(NotFound)],
            &[Describe, Release],
        ),
        (
            "a throttled untag keeps the finalizer: the tag must not outlive the object",
            &[Ok(Answer::Described(Succeeded)), ours, Err(Throttled)],
            &[Describe, CheckOwnership, Untag, Retry],
        ),
        (
            "gone between the Describe and the untag: retried, then found gone",
            &[Ok(Answer::Described(Succeeded)), ours, Err(NotFound)],
            &[Describe, CheckOwnership, Untag, Retry],
        ),
    ];
    for record in lifecycles() {
        for (case, replies, expected) in table {
            assert_eq!(
                &run(record, replies),
                expected,
                "{case} ({:?})",
                record.lifecycle
            );
        }
    }
}

#[test]
fn an_observe_only_object_is_released_whatever_the_policy() {
    let record = Record {
        observe_only: true,
        ..lifecycles()[0]
    };
    assert_eq!(run(record, &[]), [Release]);
}
