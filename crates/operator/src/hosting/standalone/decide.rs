//! The decision core of Model and EndpointConfig: given what the object recorded and what
//! SageMaker has said so far in this reconcile ([`Facts`]), [`next_step`] says what to do next.
//! No I/O: `mod.rs` carries each step out, records the answer, and asks again until a step ends
//! the reconcile. Neither resource can be changed in SageMaker, so a spec change replaces it
//! (delete, then create under the same name). Table-tested in `decide/tests.rs`.

use crate::engine::ErrorCategory;
use crate::engine::ownership::Ownership;

/// The SageMaker calls a standalone kind makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Describe,
    /// ListTags: whose the resource is.
    ListTags,
    /// AddTags (taking over the original operator's resource) and recording the spec.
    TakeOver,
    Delete,
    Create,
}

/// What this reconcile knows of the resource so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    Unknown,
    Absent,
    /// Described; `ownership` once its tag was read.
    Exists {
        ownership: Option<Ownership>,
    },
    /// This reconcile deleted it (to replace it, or on delete).
    Deleted,
    /// This reconcile's create was accepted.
    Created,
    /// The create said the name is in use.
    NameInUse,
}

/// What the object records, before any call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Record {
    pub deleting: bool,
    /// The status is `Failed` for the current spec (not for a missing dependency, which is
    /// retried): only a spec change brings the next try.
    pub refused_this_spec: bool,
    /// The created-spec hash is the current spec's: what exists was created from it.
    pub created_from_current_spec: bool,
    /// No created-spec hash, and the status was written by the original operator: what exists
    /// is taken over if the original's records prove it is this object's.
    pub takeover_candidate: bool,
    /// Not `Created` yet (no status, `SynchronizingK8sJobWithSageMaker` or `Failed`): what
    /// exists must prove by its tag that it is this object's.
    pub never_observed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub record: Record,
    pub remote: Remote,
    pub created: bool,
    pub name_in_use: bool,
    /// The spec names something this operator cannot send (found when building the create).
    pub unsupported: bool,
    pub failed: Option<(Call, ErrorCategory)>,
}

/// A successful call's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Exists,
    Owner(Ownership),
    /// Tagged (if it was untagged) and recorded as created from the current spec.
    TakenOver,
    Deleted,
    Created,
}

impl Facts {
    pub fn new(record: Record) -> Self {
        Facts {
            record,
            remote: Remote::Unknown,
            created: false,
            name_in_use: false,
            unsupported: false,
            failed: None,
        }
    }

    pub fn answered(&mut self, answer: Answer) {
        self.failed = None;
        match answer {
            Answer::Exists => self.remote = Remote::Exists { ownership: None },
            Answer::Owner(ownership) => {
                self.remote = Remote::Exists {
                    ownership: Some(ownership),
                }
            }
            Answer::TakenOver => {
                self.record.takeover_candidate = false;
                self.record.created_from_current_spec = true;
                self.remote = Remote::Exists {
                    ownership: Some(Ownership::Ours),
                };
            }
            Answer::Deleted => self.remote = Remote::Deleted,
            Answer::Created => {
                self.created = true;
                self.remote = Remote::Created;
            }
        }
    }

    /// A call failed; "not found" and "in use" are answers, the rest failures to decide on.
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
    CheckOwnership,
    /// Tag the original operator's resource (if untagged) and record the current spec as the
    /// one it was created from, so it is neither replaced nor reported as someone else's.
    TakeOver,
    /// Someone else's resource has the name: report it (ends the reconcile).
    RefuseForeign,
    /// Created from another spec: delete it, to create the current spec under the same name.
    Replace,
    Create,
    /// Show the resource as `Created` (ends the reconcile).
    Mirror,
    ReportUnsupported,
    ReportRejected,
    ReportMissingDependency,
    /// Deletion: delete this object's resource.
    Delete,
    Release,
    Retry,
}

pub fn next_step(facts: &Facts) -> Step {
    if facts.unsupported {
        return Step::ReportUnsupported;
    }
    if let Some((call, category)) = facts.failed {
        return match (call, category) {
            _ if category.is_retryable() => Step::Retry,
            (Call::Create, ErrorCategory::Rejected) => Step::ReportRejected,
            // An endpoint config's model that is not created yet (often applied together).
            (Call::Create, ErrorCategory::NotFound) => Step::ReportMissingDependency,
            _ => Step::Retry,
        };
    }
    let record = &facts.record;
    if record.deleting {
        return match facts.remote {
            Remote::Unknown => Step::Describe,
            Remote::Exists { ownership: None } => Step::CheckOwnership,
            // Never delete someone else's resource (a name clash reported earlier).
            Remote::Exists {
                ownership: Some(Ownership::Foreign),
            } => Step::Release,
            Remote::Exists { ownership: Some(_) } => Step::Delete,
            _ => Step::Release,
        };
    }
    match facts.remote {
        Remote::Unknown if record.refused_this_spec => Step::AwaitSpecChange,
        Remote::Unknown | Remote::Created | Remote::NameInUse => Step::Describe,
        // Not visible yet after an accepted create: look again later, not create twice.
        Remote::Absent if facts.created => Step::Retry,
        Remote::Absent | Remote::Deleted => Step::Create,
        Remote::Exists { .. } if facts.created => Step::Mirror,
        Remote::Exists { ownership } => {
            let must_prove =
                record.takeover_candidate || record.never_observed || facts.name_in_use;
            match ownership {
                None if must_prove => Step::CheckOwnership,
                Some(Ownership::Foreign) => Step::RefuseForeign,
                Some(Ownership::TakeOver) => Step::TakeOver,
                // Tagged by an earlier takeover that did not get to record the spec.
                Some(Ownership::Ours) if record.takeover_candidate => Step::TakeOver,
                // In use by our own create from before a crash: it was created from this spec
                // (the hash is recorded before every create).
                _ if record.created_from_current_spec || facts.name_in_use => Step::Mirror,
                _ => Step::Replace,
            }
        }
    }
}

#[cfg(test)]
mod tests;
