//! Which scalable targets a reconcile registers (with the policy) and which it deregisters,
//! from the resource ids the spec names and the ones the object recorded: a pure decision, so
//! every case is a row of the table below.

use std::collections::BTreeSet;

/// What a reconcile must do about the targets, from what is wanted and what was recorded: a pure
/// decision the tests cover as a table.
#[derive(Debug, PartialEq, Eq)]
pub struct TargetPlan {
    /// Register (or update) these and put the policy on them.
    pub apply: Vec<String>,
    /// Deregister these (the spec no longer names them).
    pub remove: Vec<String>,
    /// Nothing changed since the last full apply, and the status shows it: no call at all.
    pub up_to_date: bool,
}

/// `shown`: the status shows the last apply (`Created`, with its policies) and answers every
/// reconcile request (`reconcile-requested-at`; an unanswered one applies everything again, as
/// below). The annotations
/// are written before that status, so a reconcile can read them without it (a watch event of
/// the annotation patch, or a crash in between); then every target is applied again: the puts
/// are idempotent, and only they return the policy ARNs the status lists.
pub fn plan_targets(
    desired: &BTreeSet<String>,
    recorded: &BTreeSet<String>,
    applied_hash: Option<&str>,
    current_hash: &str,
    shown: bool,
) -> TargetPlan {
    let remove: Vec<String> = recorded.difference(desired).cloned().collect();
    let up_to_date =
        shown && applied_hash == Some(current_hash) && remove.is_empty() && desired == recorded;
    TargetPlan {
        apply: if up_to_date {
            Vec::new()
        } else {
            desired.iter().cloned().collect()
        },
        remove,
        up_to_date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn what_a_reconcile_sends() {
        // (desired, recorded, applied hash, status shows it) → (apply, remove, up to date)
        type Row<'a> = (
            &'a [&'a str],
            &'a [&'a str],
            Option<&'a str>,
            bool,
            &'a [&'a str],
            &'a [&'a str],
            bool,
        );
        let table: [Row; 7] = [
            // First apply: register everything.
            (&["a", "b"], &[], None, false, &["a", "b"], &[], false),
            // Nothing changed: no call at all.
            (&["a", "b"], &["a", "b"], Some("h"), true, &[], &[], true),
            // Applied, but the status does not show it yet (read before the status write, or a
            // crash in between): applied again, so the status lists every policy.
            (
                &["a", "b"],
                &["a", "b"],
                Some("h"),
                false,
                &["a", "b"],
                &[],
                false,
            ),
            // The spec changed (capacities, policy): apply to every target again.
            (
                &["a", "b"],
                &["a", "b"],
                Some("old"),
                true,
                &["a", "b"],
                &[],
                false,
            ),
            // A resource id was dropped: it is deregistered, the rest re-applied.
            (
                &["a"],
                &["a", "b"],
                Some("old"),
                true,
                &["a"],
                &["b"],
                false,
            ),
            // Crash after recording a target but before the hash: applied again, none lost.
            (
                &["a", "b"],
                &["a", "b", "c"],
                Some("h"),
                true,
                &["a", "b"],
                &["c"],
                false,
            ),
            // A new resource id: added.
            (
                &["a", "b", "c"],
                &["a", "b"],
                Some("old"),
                true,
                &["a", "b", "c"],
                &[],
                false,
            ),
        ];
        for (desired, recorded, applied, shown, apply, remove, up_to_date) in table {
            let plan = plan_targets(&set(desired), &set(recorded), applied, "h", shown);
            assert_eq!(
                plan,
                TargetPlan {
                    apply: apply.iter().map(|s| s.to_string()).collect(),
                    remove: remove.iter().map(|s| s.to_string()).collect(),
                    up_to_date
                },
                "desired {desired:?} recorded {recorded:?} applied {applied:?} shown {shown}"
            );
        }
    }
}
