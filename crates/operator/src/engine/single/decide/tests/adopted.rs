//! Adoption (`sagemaker.aws.amazon.com/adoption-policy`), for every lifecycle: a new object
//! looks before it creates; an untagged resource of its name is tagged and followed as it is
//! (the ownership check, told of the adoption, answers TakeOver); another object's resource is
//! refused; `adopt` creates nothing, `adopt-or-create` creates what is missing.

use super::*;
use Phase::*;
use Reply::Ok;
use Step::*;

/// A new object asking for `adoption`.
fn lifecycles(adoption: Adoption) -> [Record; 3] {
    EVERY_LIFECYCLE.map(|record| Record {
        never_observed: true,
        has_status: false,
        adoption,
        ..record
    })
}

#[test]
fn adoption_takes_over_only_an_untagged_resource_and_creates_only_when_asked() {
    let exists = Ok(Answer::Described(Succeeded));
    let untagged = Ok(Answer::Owner(Ownership::TakeOver));
    let table: &[(&str, Adoption, &[Reply], &[Step])] = &[
        (
            "adopt, untagged: tagged and followed",
            Adoption::Adopt,
            &[exists, untagged, Ok(Answer::TakenOver)],
            &[Describe, CheckOwnership, TakeOver, Mirror],
        ),
        (
            "adopt-or-create, untagged: the same",
            Adoption::AdoptOrCreate,
            &[exists, untagged, Ok(Answer::TakenOver)],
            &[Describe, CheckOwnership, TakeOver, Mirror],
        ),
        (
            "another object's resource is never taken",
            Adoption::Adopt,
            &[exists, Ok(Answer::Owner(Ownership::Foreign))],
            &[Describe, CheckOwnership, RefuseForeign],
        ),
        (
            "already tagged for this object (adopted before a crash): followed",
            Adoption::Adopt,
            &[exists, Ok(Answer::Owner(Ownership::Ours))],
            &[Describe, CheckOwnership, Mirror],
        ),
        (
            "adopt, nothing there: nothing is created",
            Adoption::Adopt,
            &[Reply::Err(ErrorCategory::NotFound)],
            &[Describe, ReportNothingToAdopt],
        ),
        (
            "adopt-or-create, nothing there: created",
            Adoption::AdoptOrCreate,
            &[
                Reply::Err(ErrorCategory::NotFound),
                Ok(Answer::Created),
                exists,
            ],
            &[Describe, Create, Describe, Mirror],
        ),
        (
            "no adoption: a new object is created at once",
            Adoption::Never,
            &[Ok(Answer::Created), exists],
            &[Create, Describe, Mirror],
        ),
    ];
    for (case, adoption, replies, expected) in table {
        for record in lifecycles(*adoption) {
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
fn once_adopted_the_resource_is_the_objects_like_any_other() {
    let observed = Record {
        never_observed: false,
        has_status: true,
        ..lifecycles(Adoption::Adopt)[1]
    };
    // Gone from SageMaker later: made again, as for any object of this operator.
    assert_eq!(
        run(
            observed,
            &[
                Reply::Err(ErrorCategory::NotFound),
                Ok(Answer::Created),
                Ok(Answer::Described(Succeeded)),
            ]
        ),
        [Describe, Create, Describe, Mirror]
    );
}
