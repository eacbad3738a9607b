//! The job strategy's decision core: given what the object recorded and what SageMaker has said
//! so far in this reconcile ([`JobFacts`]), [`next_step`] says what to do next — describe,
//! create, check ownership, take over, mirror the status, refuse, report, stop, wait, release or
//! retry. No I/O: `mod.rs` carries each step out (one SageMaker or Kubernetes call), records
//! the answer in the facts ([`JobFacts::answered`], [`JobFacts::call_failed`]), and asks again,
//! until a step ends the reconcile. The tables in `decide/tests.rs` cover every lifecycle, error
//! class and crash window as sequences of steps against scripted SageMaker answers.

use super::super::ErrorCategory;
use super::super::ownership::Ownership;

/// Where a SageMaker resource is in its life, as far as the engine's decisions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Running; a delete must stop it.
    InProgress,
    /// Being stopped; a delete waits.
    Stopping,
    /// Finished successfully.
    Succeeded,
    /// Finished unsuccessfully (Failed, Stopped).
    Failed,
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

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// The SageMaker calls the job strategy makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Describe,
    Create,
    /// ListTags: whose the resource is.
    ListTags,
    /// AddTags: taking over the original operator's resource.
    AddTags,
    Stop,
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
}

/// What decides the next step: the object's record, and SageMaker's answers so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobFacts {
    /// The object is being deleted (it has the finalizer: the engine releases others).
    pub deleting: bool,
    /// It only mirrors a job something else created (a tuning job's training jobs).
    pub observe_only: bool,
    /// The object never observed its resource (no `lastCheckTime`, nothing in the registry):
    /// a resource of its name must prove by its tag that it was created for this object.
    pub never_observed: bool,
    /// The object has a status (a create was refused or failed before).
    pub has_status: bool,
    /// The status was written by the original operator: its resource is taken over, not
    /// created again.
    pub original_status: bool,
    pub remote: Remote,
    /// This reconcile's create was accepted.
    pub created: bool,
    /// The create said the name is in use: what exists must prove it is this object's.
    pub name_in_use: bool,
    /// This reconcile sent the stop.
    pub stop_sent: bool,
    /// The last call failed in a way that is not an answer (see [`JobFacts::call_failed`]).
    pub failed: Option<(Call, ErrorCategory)>,
}

impl JobFacts {
    /// The facts before any call.
    pub fn new(record: Record) -> Self {
        JobFacts {
            deleting: record.deleting,
            observe_only: record.observe_only,
            never_observed: record.never_observed,
            has_status: record.has_status,
            original_status: record.original_status,
            remote: Remote::Unknown,
            created: false,
            name_in_use: false,
            stop_sent: false,
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
            Answer::TakenOver => self.answered(Answer::Owner(Ownership::Ours)),
            Answer::StopSent => self.stop_sent = true,
        }
    }

    /// A call failed. Some failures are answers: a Describe's "not found" says the resource
    /// does not exist, a create's "in use" that the name is taken. The rest are failures
    /// [`next_step`] decides on.
    pub fn call_failed(&mut self, call: Call, category: ErrorCategory) {
        match (call, category) {
            (Call::Describe, ErrorCategory::NotFound) => self.remote = Remote::Absent,
            (Call::Create, ErrorCategory::ResourceInUse) => {
                self.name_in_use = true;
                self.remote = Remote::NameInUse;
            }
            _ => self.failed = Some((call, category)),
        }
    }
}

/// What the object records, before any call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Record {
    pub deleting: bool,
    pub observe_only: bool,
    pub never_observed: bool,
    pub has_status: bool,
    pub original_status: bool,
}

/// A successful call's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Described(Phase),
    Created,
    Owner(Ownership),
    TakenOver,
    StopSent,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Describe,
    /// Create under the pinned name, tagged with the object's UID.
    Create,
    /// Read the resource's ownership tag.
    CheckOwnership,
    /// Tag the original operator's resource as this object's.
    TakeOver,
    /// Map the described resource to the status (ends the reconcile).
    Mirror,
    /// The resource is someone else's: report the name clash (ends the reconcile).
    RefuseForeign,
    /// SageMaker rejected the create: report it; a spec change brings the next try.
    ReportRejected,
    /// The create named something SageMaker does not have (yet): report, try again later.
    ReportMissingDependency,
    /// An observe-only object's job does not exist.
    ReportNotFound,
    Stop,
    /// The resource is stopping: show it and look again soon.
    ShowStopping,
    /// Let the deleted object go.
    Release,
    /// Record the failure and let the error policy retry (backoff); a deleted object keeps
    /// its finalizer, so nothing running is let go.
    Retry,
}

/// The decision core: what to do next, given the facts.
pub fn next_step(facts: &JobFacts) -> Step {
    if let Some((call, category)) = facts.failed {
        return match (call, category) {
            _ if category.is_retryable() => Step::Retry,
            (Call::Create, ErrorCategory::Rejected) => Step::ReportRejected,
            (Call::Create, ErrorCategory::NotFound) => Step::ReportMissingDependency,
            // The job ended between the Describe and the stop: SageMaker refuses to stop it,
            // and the next look finds it terminal.
            (Call::Stop, ErrorCategory::Rejected) => Step::ShowStopping,
            // An answer no call of this kind should give (a Describe rejected, a tag call not
            // found): retried with backoff, and shown.
            _ => Step::Retry,
        };
    }
    if facts.deleting {
        return on_delete(facts);
    }
    match facts.remote {
        Remote::Unknown if facts.observe_only => Step::Describe,
        Remote::Absent if facts.observe_only => Step::ReportNotFound,
        // A new object is created at once: a Describe first would only say "not found", and
        // SageMaker refusing the name proves it exists. An object with any status (a create
        // refused or failed before, a crash after it) or the original operator's is looked up
        // first.
        Remote::Unknown if facts.never_observed && !facts.original_status && !facts.has_status => {
            Step::Create
        }
        Remote::Unknown | Remote::Created | Remote::NameInUse => Step::Describe,
        // Not (yet) visible after an accepted create: look again later rather than create twice.
        Remote::Absent if facts.created => Step::Retry,
        Remote::Absent => Step::Create,
        Remote::Described { ownership, .. } => {
            let must_prove = !facts.observe_only
                && !facts.created
                && (facts.never_observed || facts.original_status || facts.name_in_use);
            match ownership {
                None if must_prove => Step::CheckOwnership,
                None | Some(Ownership::Ours) => Step::Mirror,
                Some(Ownership::TakeOver) => Step::TakeOver,
                Some(Ownership::Foreign) => Step::RefuseForeign,
            }
        }
    }
}

/// Deletion: stop what runs (only when it is this object's), wait through Stopping, then let
/// the object go.
fn on_delete(facts: &JobFacts) -> Step {
    if facts.observe_only {
        // Something else created it and stops it.
        return Step::Release;
    }
    match facts.remote {
        Remote::Unknown | Remote::Created | Remote::NameInUse => Step::Describe,
        // Never created (or already gone).
        Remote::Absent => Step::Release,
        Remote::Described { phase, ownership } => match (phase, ownership) {
            (Phase::InProgress, None) => Step::CheckOwnership,
            // A name clash reported earlier: never stop someone else's job.
            (Phase::InProgress, Some(Ownership::Foreign)) => Step::Release,
            (Phase::InProgress, Some(_)) if facts.stop_sent => Step::ShowStopping,
            (Phase::InProgress, Some(_)) => Step::Stop,
            (Phase::Stopping, _) => Step::ShowStopping,
            (Phase::Succeeded | Phase::Failed, _) => Step::Release,
        },
    }
}

#[cfg(test)]
mod tests;
