//! The engine's own decisions, the same for every kind (pure, table-tested). What each kind
//! decides is in its strategy's decision core.

use std::time::Duration;

/// What to do when the operator's endpoint policy refuses the object's location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusedLocation {
    /// A deleted object that never had anything there: nothing can be left, let it go.
    Release,
    /// Report it (status, conditions, Event); a spec or policy change brings the next try.
    Report,
    /// A deleted object whose resource may exist there: keep the finalizer (releasing the
    /// object would orphan the resource), report why, and look again after this long.
    ReportAndKeep(Duration),
}

/// How often a deleted object whose location is refused looks again (an operator restarted
/// with another policy is not a change of the object).
const REFUSED_DELETE_RETRY: Duration = Duration::from_secs(60);

pub fn on_refused_location(deleting: bool, may_have_created: bool) -> RefusedLocation {
    match (deleting, may_have_created) {
        (true, false) => RefusedLocation::Release,
        (true, true) => RefusedLocation::ReportAndKeep(REFUSED_DELETE_RETRY),
        (false, _) => RefusedLocation::Report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_location_never_orphans_what_was_created_there() {
        use RefusedLocation::*;
        let table = [
            // (deleting, may have created, what to do)
            (false, false, Report),
            (false, true, Report),
            (true, false, Release),
            (true, true, ReportAndKeep(REFUSED_DELETE_RETRY)),
        ];
        for (deleting, created, expected) in table {
            assert_eq!(
                on_refused_location(deleting, created),
                expected,
                "deleting {deleting}, may have created {created}"
            );
        }
    }
}
