//! The decision core of every single-resource kind: given what the object recorded and what
//! SageMaker has said so far in this reconcile ([`Facts`]), [`next_step`] says what to do next —
//! describe, create, check ownership, take over, mirror the status, refuse, report, stop or
//! delete, replace, wait, release or retry. No I/O: `steps.rs` carries each step out (one
//! SageMaker or Kubernetes call), records the answer in the facts ([`Facts::answered`],
//! [`Facts::call_failed`]), and asks again, until a step ends the reconcile.
//!
//! Where kinds truly differ, the record's [`Lifecycle`] says how: a delete stops a job, deletes a
//! resource, or deletes it and waits through its `Deleting` state ([`OnDelete`]); a spec change
//! is reported, replaces the resource, or updates it in place once it is steady
//! ([`OnSpecChange`]). A kind with states of its own names them in a [`StateWords`] table. The tables in `decide/tests/` run whole call sequences against scripted
//! SageMaker answers: every lifecycle, every error class on every call, the crash windows
//! (created but not recorded, accepted but not visible yet), deletion (never stop or delete
//! someone else's resource, throttling keeps the finalizer, not found during delete).

use crate::engine::ownership::Ownership;
use crate::engine::{Adoption, ErrorCategory};

/// Where a SageMaker resource is in its life, as far as the decisions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Running; a delete must stop it.
    InProgress,
    /// Being stopped; a delete waits.
    Stopping,
    /// Finished successfully, or (a resource without states of its own) exists.
    Succeeded,
    /// Finished unsuccessfully (Failed, Stopped), or (a resource that lives on) failed.
    Failed,
    /// Being deleted by SageMaker; a delete waits until Describe says it is gone.
    Deleting,
}

impl Phase {
    /// The phase of a SageMaker job's status (`InProgress`, `Completed`, `Failed`, `Stopping`,
    /// `Stopped`): the same words for every job kind.
    pub fn of_job_status(status: &str) -> Self {
        match status {
            "Completed" => Self::Succeeded,
            "Failed" | "Stopped" => Self::Failed,
            "Stopping" => Self::Stopping,
            _ => Self::InProgress,
        }
    }

    /// Terminal for a job; for a resource that lives on (an endpoint), steady: nothing moves
    /// until someone asks, so an update may be sent.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// A kind's own words for the states of its resource (an endpoint's `Creating`, `InService`,
/// …), so the engine needs no kind's vocabulary. A word in no list is taken as transitional:
/// looked at again rather than acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateWords {
    /// Steady and healthy: ready, and an update may be sent.
    pub steady: &'static [&'static str],
    /// Failed: shown as such; steady for the decisions (an update may be sent, and is SageMaker's
    /// to refuse).
    pub failed: &'static [&'static str],
    /// Being deleted.
    pub deleting: &'static [&'static str],
    /// A job being stopped (a job's steady word is its success, a stopped job failed).
    pub stopping: &'static [&'static str],
}

impl StateWords {
    /// The phase of a status word.
    pub fn phase(&self, status: &str) -> Phase {
        if self.steady.contains(&status) {
            Phase::Succeeded
        } else if self.failed.contains(&status) {
            Phase::Failed
        } else if self.deleting.contains(&status) {
            Phase::Deleting
        } else if self.stopping.contains(&status) {
            Phase::Stopping
        } else {
            Phase::InProgress
        }
    }
}

/// What deleting the object does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Stop it while it runs and wait until it is terminal (a job: SageMaker keeps its record).
    Stop,
    /// Delete it.
    Delete,
    /// Delete it, then wait through its `Deleting` state until Describe says it is gone (an
    /// endpoint, an inference component: SageMaker deletes them in the background).
    DeleteAndAwait,
}

/// What a spec change does to an existing resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSpecChange {
    /// Nothing: SageMaker cannot change it, so the status says the spec is out of sync (jobs).
    Report,
    /// Delete it and create the current spec under the same name (SageMaker cannot change it,
    /// and nothing runs on it that a replacement would interrupt).
    Replace,
    /// Update it in place once it is steady (not transitional), then follow it through its
    /// transitional states. An update SageMaker refuses is shown and waits for the next spec
    /// change; one that ends failed is shown by the state SageMaker reports.
    Update,
}

/// How a kind's resource lives, where kinds differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub on_delete: OnDelete,
    pub on_spec_change: OnSpecChange,
}

/// The SageMaker calls a single-resource kind makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Describe,
    Create,
    /// ListTags: whose the resource is.
    ListTags,
    /// AddTags: taking over the original operator's resource (and recording the spec).
    AddTags,
    /// DeleteTags: removing the ownership tag from a resource kept on delete.
    DeleteTags,
    /// ListTags, then AddTags / DeleteTags: bringing the user's tags to the spec's.
    SyncTags,
    Stop,
    /// Delete, on delete or to replace.
    Delete,
    /// Update in place.
    Update,
}

/// What this reconcile knows of the SageMaker resource so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// Not asked yet.
    Unknown,
    /// Describe: it does not exist.
    Absent,
    /// The create was accepted (what SageMaker made of it is not described yet).
    Created,
    /// The create said the name is in use.
    NameInUse,
    /// Described; `ownership` once its tag was read.
    Described {
        phase: Phase,
        ownership: Option<Ownership>,
    },
    /// This reconcile deleted it (to replace it, or on delete).
    Deleted,
    /// This reconcile's update was accepted (what SageMaker made of it is not described yet).
    Updated,
}

/// What the object records, before any call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub lifecycle: Lifecycle,
    /// The object is being deleted (it has the finalizer: the engine releases others).
    pub deleting: bool,
    /// Deleting it keeps its resource (the deletion policy `retain`): nothing is stopped or
    /// deleted, and the ownership tag is removed.
    pub retain: bool,
    /// It only mirrors a resource something else created (a tuning job's training jobs).
    pub observe_only: bool,
    /// The object never observed its resource: a resource of its name must prove by its tag
    /// that it was created for this object.
    pub never_observed: bool,
    /// The object has a status (a create was refused or failed before, or the first status
    /// was written).
    pub has_status: bool,
    /// The status was written by the original operator and its resource is not taken over yet:
    /// taken over (if its records prove it this object's), not created again.
    pub original_status: bool,
    /// The status is `Failed` for the current spec (not for a missing dependency, which is
    /// retried): only a spec change brings the next try.
    pub refused_this_spec: bool,
    /// The created-spec hash is the current spec's: what exists was created from it.
    pub created_from_current_spec: bool,
    /// Whether a never-observed object takes over an untagged resource of its name.
    pub adoption: Adoption,
    /// The spec's tags are recorded as applied (or the kind's resources take none).
    pub tags_applied: bool,
}

/// What decides the next step: the object's record, and SageMaker's answers so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub record: Record,
    pub remote: Remote,
    /// This reconcile's create was accepted.
    pub created: bool,
    /// The create said the name is in use: what exists must prove it is this object's.
    pub name_in_use: bool,
    /// This reconcile sent the stop.
    pub stop_sent: bool,
    /// This reconcile removed the ownership tag from a resource kept on delete.
    pub untagged: bool,
    /// This reconcile brought the resource's tags to the spec's.
    pub tags_synced: bool,
    /// The spec names something this operator cannot send (found when building the create).
    pub unsupported: bool,
    /// An object the spec refers to is missing or not ready: nothing is created, replaced or
    /// updated from the spec until it is (read before the first step).
    pub waiting: bool,
    /// The last call failed in a way that is not an answer (see [`Facts::call_failed`]).
    pub failed: Option<(Call, ErrorCategory)>,
}

/// A successful call's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Described(Phase),
    Created,
    Owner(Ownership),
    /// Tagged (if it was untagged) and, for a replaced kind, recorded as created from the
    /// current spec.
    TakenOver,
    StopSent,
    Deleted,
    /// The update was accepted, and the current spec recorded as the one it was sent from.
    Updated,
    /// The ownership tag was removed (or the kind's resources carry none).
    Untagged,
    /// The resource's tags are the spec's, and recorded as applied.
    TagsSynced,
    /// Nothing goes by the name: a resource SageMaker names, whose name is not known yet,
    /// cannot be looked up by the token it was created under (a run's Describe takes only an
    /// ARN); the create, sent again under the token, answers with what a first one made.
    Absent,
}

impl Facts {
    /// The facts before any call.
    pub fn new(record: Record) -> Self {
        Facts {
            record,
            remote: Remote::Unknown,
            created: false,
            name_in_use: false,
            stop_sent: false,
            untagged: false,
            tags_synced: false,
            unsupported: false,
            waiting: false,
            failed: None,
        }
    }

    /// A call succeeded with `answer`.
    pub fn answered(&mut self, answer: Answer) {
        self.failed = None;
        match answer {
            Answer::Described(phase) => {
                self.remote = Remote::Described {
                    phase,
                    ownership: None,
                }
            }
            Answer::Created => {
                self.created = true;
                self.remote = Remote::Created;
            }
            Answer::Owner(ownership) => {
                if let Remote::Described { phase, .. } = self.remote {
                    self.remote = Remote::Described {
                        phase,
                        ownership: Some(ownership),
                    }
                }
            }
            // Tagged: the tag proves it from now on.
            Answer::TakenOver => {
                self.record.original_status = false;
                self.record.created_from_current_spec = true;
                self.answered(Answer::Owner(Ownership::Ours));
            }
            Answer::StopSent => self.stop_sent = true,
            Answer::Untagged => self.untagged = true,
            Answer::TagsSynced => self.tags_synced = true,
            Answer::Deleted => self.remote = Remote::Deleted,
            Answer::Absent => self.remote = Remote::Absent,
            Answer::Updated => {
                self.record.created_from_current_spec = true;
                self.remote = Remote::Updated;
            }
        }
    }

    /// A call failed. Some failures are answers: a Describe's "not found" says the resource
    /// does not exist (a delete's, that it is gone), a create's "in use" that the name is
    /// taken. The rest are failures [`next_step`] decides on.
    pub fn call_failed(&mut self, call: Call, category: ErrorCategory) {
        match (call, category) {
            (Call::Describe, ErrorCategory::NotFound) => self.remote = Remote::Absent,
            (Call::Delete, ErrorCategory::NotFound) => self.remote = Remote::Deleted,
            (Call::Create, ErrorCategory::ResourceInUse) => {
                self.name_in_use = true;
                self.remote = Remote::NameInUse;
            }
            _ => self.failed = Some((call, category)),
        }
    }
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This spec was refused; the status says why (ends the reconcile).
    AwaitSpecChange,
    Describe,
    /// Create under the pinned name, tagged with the object's UID.
    Create,
    /// Read the resource's ownership tag.
    CheckOwnership,
    /// Tag the original operator's resource as this object's (if untagged); a replaced kind
    /// also records the current spec as the one it was created from, so it is not replaced.
    TakeOver,
    /// Map the described resource to the status (ends the reconcile).
    Mirror,
    /// The resource is someone else's: report the name clash (ends the reconcile).
    RefuseForeign,
    /// An object the spec refers to is missing or not ready: show which and why, and wait for
    /// the watch on it (ends the reconcile; no SageMaker call to create or update).
    AwaitReferences,
    /// Created from another spec: delete it, to create the current spec under the same name.
    Replace,
    /// Created from another spec and steady: update it in place.
    Update,
    /// SageMaker refused the update (or what it names): record the spec as tried, show why,
    /// and wait for the next spec change (ends the reconcile).
    ReportUpdateRejected,
    /// The spec names something this operator cannot send: report it.
    ReportUnsupported,
    /// SageMaker rejected the create: report it; a spec change brings the next try.
    ReportRejected,
    /// The spec's tags differ from the resource's: set and remove them in place.
    SyncTags,
    /// SageMaker refused the tags: record them as tried, show why, and wait for the next spec
    /// change (ends the reconcile).
    ReportTagsRejected,
    /// The create named something SageMaker does not have (yet): report, try again later.
    ReportMissingDependency,
    /// An observe-only object's resource does not exist.
    ReportNotFound,
    /// The adoption policy `adopt` names a resource that does not exist: nothing is created.
    ReportNothingToAdopt,
    Stop,
    /// The resource is stopping: show it and look again soon.
    ShowStopping,
    /// Deletion: SageMaker is deleting the resource; show it and look again soon.
    ShowDeleting,
    /// Deletion: delete this object's resource.
    Delete,
    /// Deletion, keeping the resource: remove the ownership tag, so that nothing proves it
    /// this object's any more (a new object of the same name must adopt it, not find it its own).
    Untag,
    /// Deletion, keeping the resource: let the object go, and say what was kept (Event).
    Keep,
    /// Let the deleted object go.
    Release,
    /// Record the failure and let the error policy retry (backoff); a deleted object keeps
    /// its finalizer, so nothing is let go.
    Retry,
}

/// The decision core: what to do next, given the facts.
pub fn next_step(facts: &Facts) -> Step {
    if facts.unsupported {
        return Step::ReportUnsupported;
    }
    if let Some((call, category)) = facts.failed {
        return match (call, category) {
            _ if category.is_retryable() => Step::Retry,
            (Call::Create, ErrorCategory::Rejected) => Step::ReportRejected,
            // Something the create names (a model, often applied together) is not there yet.
            (Call::Create, ErrorCategory::NotFound) => Step::ReportMissingDependency,
            // The job ended between the Describe and the stop: SageMaker refuses to stop it,
            // and the next look finds it terminal.
            (Call::Stop, ErrorCategory::Rejected) => Step::ShowStopping,
            // Refused (a bad value, a state SageMaker will not update from) or naming what
            // SageMaker does not have: trying the same spec again would fail again.
            (Call::Update, ErrorCategory::Rejected | ErrorCategory::NotFound) => {
                Step::ReportUpdateRejected
            }
            (Call::SyncTags, ErrorCategory::Rejected) => Step::ReportTagsRejected,
            // An answer no call of this kind should give (a Describe rejected, a tag call not
            // found): retried with backoff, and shown.
            _ => Step::Retry,
        };
    }
    let record = &facts.record;
    if record.deleting {
        return on_delete(facts);
    }
    match facts.remote {
        Remote::Unknown if record.refused_this_spec => Step::AwaitSpecChange,
        Remote::Unknown if record.observe_only => Step::Describe,
        // Nothing of it can exist yet (or a crash left one that is adopted once the reference
        // is ready): no call at all until then.
        Remote::Unknown if facts.waiting && record.never_observed && !record.original_status => {
            Step::AwaitReferences
        }
        Remote::Absent if record.observe_only => Step::ReportNotFound,
        // A new object is created at once: a Describe first would only say "not found", and
        // SageMaker refusing the name proves it exists. An object with any status (a create
        // refused or failed before, a crash after it) or the original operator's is looked up
        // first.
        Remote::Unknown
            if record.never_observed
                && !record.original_status
                && !record.has_status
                && record.adoption == Adoption::Never =>
        {
            Step::Create
        }
        Remote::Unknown | Remote::Created | Remote::NameInUse | Remote::Updated => Step::Describe,
        // Not (yet) visible after an accepted create: look again later rather than create twice.
        Remote::Absent if facts.created => Step::Retry,
        // Adoption takes over what exists; only adopt-or-create creates.
        Remote::Absent if record.never_observed && record.adoption == Adoption::Adopt => {
            Step::ReportNothingToAdopt
        }
        Remote::Absent | Remote::Deleted if facts.waiting => Step::AwaitReferences,
        Remote::Absent | Remote::Deleted => Step::Create,
        Remote::Described { phase, ownership } => on_described(facts, phase, ownership),
    }
}

/// A live object whose resource was described: whose is it, and does it match the spec? Once
/// it is this object's and nothing else is to be done, its tags are brought to the spec's (a
/// created one got them with the create; an observe-only one is never changed).
fn on_described(facts: &Facts, phase: Phase, ownership: Option<Ownership>) -> Step {
    match on_described_spec(facts, phase, ownership) {
        Step::Mirror
            if !facts.record.tags_applied
                && !facts.tags_synced
                && !facts.created
                && !facts.record.observe_only
                && phase != Phase::Deleting =>
        {
            Step::SyncTags
        }
        step => step,
    }
}

fn on_described_spec(facts: &Facts, phase: Phase, ownership: Option<Ownership>) -> Step {
    let record = &facts.record;
    if facts.created {
        return Step::Mirror;
    }
    let must_prove = !record.observe_only
        && (record.never_observed || record.original_status || facts.name_in_use);
    let replaced = record.lifecycle.on_spec_change == OnSpecChange::Replace;
    let spec_changed = !record.created_from_current_spec && !facts.name_in_use;
    match ownership {
        None if must_prove => Step::CheckOwnership,
        Some(Ownership::Foreign) => Step::RefuseForeign,
        Some(Ownership::TakeOver) => Step::TakeOver,
        // Followed, never changed: a spec that differs is shown by the status.
        _ if record.observe_only => Step::Mirror,
        // Tagged by an earlier takeover that did not get to record the spec: recorded now,
        // or the resource would be replaced.
        Some(Ownership::Ours) if record.original_status && replaced => Step::TakeOver,
        // Updated in place once steady; while it moves, followed until it settles (the poller
        // wakes the object).
        _ if record.lifecycle.on_spec_change == OnSpecChange::Update && spec_changed => {
            if phase.is_terminal() && !facts.waiting {
                Step::Update
            } else {
                Step::Mirror
            }
        }
        // In use by our own create from before a crash: it was created from this spec (the
        // hash is recorded before every create).
        _ if !replaced || record.created_from_current_spec || facts.name_in_use => Step::Mirror,
        // Not deleted before its replacement can be created.
        _ if facts.waiting => Step::Mirror,
        _ => Step::Replace,
    }
}

/// Deletion: stop what runs, or delete what exists — only when it is this object's — then let
/// the object go.
fn on_delete(facts: &Facts) -> Step {
    if facts.record.observe_only {
        // Something else created it and ends it.
        return Step::Release;
    }
    if facts.record.retain {
        return on_retained_delete(facts);
    }
    let awaits = facts.record.lifecycle.on_delete == OnDelete::DeleteAndAwait;
    match facts.remote {
        Remote::Unknown | Remote::Created | Remote::NameInUse | Remote::Updated => Step::Describe,
        // SageMaker deletes it in the background: gone only once Describe says so.
        Remote::Deleted if awaits => Step::ShowDeleting,
        Remote::Described {
            phase: Phase::Deleting,
            ..
        } if awaits => Step::ShowDeleting,
        // Never created, already gone, or deleted now.
        Remote::Absent | Remote::Deleted => Step::Release,
        Remote::Described { phase, ownership } => match facts.record.lifecycle.on_delete {
            OnDelete::Stop => match (phase, ownership) {
                (Phase::InProgress, None) => Step::CheckOwnership,
                // A name clash reported earlier: never stop someone else's job.
                (Phase::InProgress, Some(Ownership::Foreign)) => Step::Release,
                (Phase::InProgress, Some(_)) if facts.stop_sent => Step::ShowStopping,
                (Phase::InProgress, Some(_)) => Step::Stop,
                (Phase::Stopping | Phase::Deleting, _) => Step::ShowStopping,
                (Phase::Succeeded | Phase::Failed, _) => Step::Release,
            },
            OnDelete::Delete | OnDelete::DeleteAndAwait => match ownership {
                None => Step::CheckOwnership,
                // Never delete someone else's resource (a name clash reported earlier).
                Some(Ownership::Foreign) => Step::Release,
                Some(_) => Step::Delete,
            },
        },
    }
}

/// Deletion that keeps the resource: nothing is stopped or deleted. What is this object's loses
/// the ownership tag; what is not, or is gone, is left as it is.
fn on_retained_delete(facts: &Facts) -> Step {
    match facts.remote {
        Remote::Unknown | Remote::Created | Remote::NameInUse | Remote::Updated => Step::Describe,
        Remote::Absent | Remote::Deleted => Step::Release,
        Remote::Described { ownership, .. } => match ownership {
            None => Step::CheckOwnership,
            Some(Ownership::Foreign) => Step::Release,
            Some(Ownership::Ours) if !facts.untagged => Step::Untag,
            // The original operator's, never tagged: kept as it is.
            Some(Ownership::Ours | Ownership::TakeOver) => Step::Keep,
        },
    }
}

#[cfg(test)]
mod tests;
