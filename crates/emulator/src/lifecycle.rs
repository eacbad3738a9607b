//! The one table of simple lifecycles: Creating (through a midway status, for kinds that have
//! one) → ready (InService or Created) or Failed, Updating → ready (or back to ready with a
//! FailureReason when an update fails), Deleting → gone, and for kinds that can be stopped while
//! they are being created, Stopping → Stopped. A kind with such a lifecycle costs a row here plus
//! what is truly special about it (what a finished transition applies, carried as the payload
//! `P`).

use std::any::Any;
use std::collections::HashMap;

use crate::world::World;

/// The statuses of one kind's simple lifecycle, as its Describe reports them.
#[derive(Debug, PartialEq)]
pub struct Lifecycle {
    /// How error messages name the kind (`Cannot update in-progress endpoint …`).
    pub kind: &'static str,
    pub creating: &'static str,
    pub ready: &'static str,
    pub updating: &'static str,
    pub deleting: &'static str,
    pub failed: &'static str,
    /// Share of a transition's time that Deleting takes.
    pub delete_share: f64,
    /// A status Creating passes through on its way to ready, if the kind reports one.
    pub midway: Option<Midway>,
    /// The statuses of a stop, for kinds a caller can stop while they are being created.
    pub stop: Option<Stop>,
}

/// Stopping, then Stopped: what a stop requested during creation shows (a compilation job).
#[derive(Debug, PartialEq)]
pub struct Stop {
    pub stopping: &'static str,
    pub stopped: &'static str,
}

/// A status shown once `share` of a creation's time has passed (a model package is Pending,
/// then InProgress while SageMaker validates it, then Completed).
#[derive(Debug, PartialEq)]
pub struct Midway {
    pub status: &'static str,
    pub share: f64,
}

/// The rows: every kind whose lifecycle is simple.
pub const ENDPOINT: Lifecycle = Lifecycle {
    kind: "endpoint",
    creating: "Creating",
    ready: "InService",
    updating: "Updating",
    deleting: "Deleting",
    failed: "Failed",
    delete_share: 0.5,
    midway: None,
    stop: None,
};

pub const INFERENCE_COMPONENT: Lifecycle = Lifecycle {
    kind: "inference component",
    creating: "Creating",
    ready: "InService",
    updating: "Updating",
    deleting: "Deleting",
    failed: "Failed",
    delete_share: 0.5,
    midway: None,
    stop: None,
};

/// A model package group: SageMaker reports Pending while it sets the group up, Completed
/// when it is ready, and has no update of a group.
pub const MODEL_PACKAGE_GROUP: Lifecycle = Lifecycle {
    kind: "model package group",
    creating: "Pending",
    ready: "Completed",
    updating: "InProgress",
    deleting: "Deleting",
    failed: "Failed",
    delete_share: 0.5,
    midway: None,
    stop: None,
};

/// A model package (a version in a group, or an unversioned package): Pending, then InProgress
/// while SageMaker validates it and scans its images, then Completed. UpdateModelPackage applies
/// at once, so `updating` is never shown.
pub const MODEL_PACKAGE: Lifecycle = Lifecycle {
    kind: "model package",
    creating: "Pending",
    ready: "Completed",
    updating: "InProgress",
    deleting: "Deleting",
    failed: "Failed",
    delete_share: 0.5,
    midway: Some(Midway {
        status: "InProgress",
        share: 0.5,
    }),
    stop: None,
};

/// A compilation job (SageMaker Neo), in SageMaker's own upper-case words: STARTING while its
/// instance comes up, INPROGRESS from CompilationStartTime, then COMPLETED or FAILED; a stop
/// while it runs shows STOPPING, then STOPPED. It has no update, and DeleteCompilationJob
/// forgets a finished job at once, so `updating` and `deleting` are never shown.
pub const COMPILATION_JOB: Lifecycle = Lifecycle {
    kind: "compilation job",
    creating: "STARTING",
    ready: "COMPLETED",
    updating: "INPROGRESS",
    deleting: "DELETING",
    failed: "FAILED",
    delete_share: 0.0,
    midway: Some(Midway {
        status: "INPROGRESS",
        share: 0.25,
    }),
    stop: Some(Stop {
        stopping: "STOPPING",
        stopped: "STOPPED",
    }),
};

/// What a caller asks of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Update,
    Delete,
    Stop,
}

/// Whether `request` is allowed in `status`: updates only when ready, deletes when ready, failed
/// or stopped (SageMaker refuses both while a transition is in flight), stops only while the
/// resource is being created (in its creating or midway status) and only for kinds that stop.
pub fn allows(row: &Lifecycle, status: &str, request: Request) -> bool {
    let stopped = row.stop.as_ref().is_some_and(|stop| status == stop.stopped);
    let creating = status == row.creating
        || row
            .midway
            .as_ref()
            .is_some_and(|midway| status == midway.status);
    match request {
        Request::Update => status == row.ready,
        Request::Delete => {
            status == row.ready || status == row.failed || status == "OutOfService" || stopped
        }
        Request::Stop => row.stop.is_some() && creating,
    }
}

/// How a transition in flight ends.
#[derive(Debug, Clone)]
pub enum End<P> {
    /// Ready, applying `P` (the new configuration, copy count, …).
    Ready(P),
    /// Failed with this reason: from Creating to Failed; from Updating back to ready on what was
    /// there before (SageMaker's rollback), keeping the reason for Describe.
    Fail(String),
    /// Stopped at a caller's request (the row's stopped status).
    Stopped,
    Gone,
}

/// A transition in flight: what the resource becomes at `at`.
#[derive(Debug, Clone)]
pub struct Pending<P> {
    pub at: f64,
    pub end: End<P>,
    /// Whether the transition creates the resource: a failure then ends Failed instead of
    /// rolling back.
    pub creation: bool,
    /// The row's midway status and the instant it is shown, until it has been.
    pub midway: Option<(f64, &'static str)>,
}

/// What `Life::settle` reports, so the kind applies its payload or forgets the resource.
#[derive(Debug, PartialEq)]
pub enum Settled<P> {
    Ready(P),
    Failed,
    RolledBack,
    Stopped,
    Gone,
}

/// One resource's place in its lifecycle.
#[derive(Debug, Clone)]
pub struct Life<P> {
    pub row: &'static Lifecycle,
    pub status: &'static str,
    pub failure_reason: Option<String>,
    pub modified: f64,
    pub pending: Option<Pending<P>>,
    /// When the row's midway status was reached, once it has been (a compilation job's
    /// CompilationStartTime).
    pub midway_at: Option<f64>,
}

/// The request is not allowed in the resource's status.
#[derive(Debug, PartialEq, Eq)]
pub struct InProgress;

impl<P> Life<P> {
    /// Creating from `now` until `at`, ending as `end` says.
    pub fn creating(row: &'static Lifecycle, now: f64, at: f64, end: End<P>) -> Self {
        let midway = row
            .midway
            .as_ref()
            .map(|midway| (now + (at - now) * midway.share, midway.status));
        Life {
            row,
            status: row.creating,
            failure_reason: None,
            modified: now,
            pending: Some(Pending {
                at,
                end,
                creation: true,
                midway,
            }),
            midway_at: None,
        }
    }

    /// Starts an update that ends at `at`; refused unless ready.
    pub fn update(&mut self, now: f64, at: f64, end: End<P>) -> Result<(), InProgress> {
        if !allows(self.row, self.status, Request::Update) {
            return Err(InProgress);
        }
        self.begin(self.row.updating, now, at, end);
        Ok(())
    }

    /// Starts deleting; `duration` is the kind's transition time, of which Deleting takes the
    /// row's share.
    pub fn delete(&mut self, now: f64, duration: f64) -> Result<(), InProgress> {
        if !allows(self.row, self.status, Request::Delete) {
            return Err(InProgress);
        }
        let at = now + duration * self.row.delete_share;
        self.begin(self.row.deleting, now, at, End::Gone);
        Ok(())
    }

    /// Stops a creation in flight: the row's stopping status now, its stopped status at `at`;
    /// refused unless the kind stops and the resource is still being created.
    pub fn stop(&mut self, now: f64, at: f64) -> Result<(), InProgress> {
        match &self.row.stop {
            Some(stop) if allows(self.row, self.status, Request::Stop) => {
                self.begin(stop.stopping, now, at, End::Stopped);
                Ok(())
            }
            _ => Err(InProgress),
        }
    }

    /// An update that the kind starts itself (scaling), bypassing the caller's checks.
    pub fn begin(&mut self, status: &'static str, now: f64, at: f64, end: End<P>) {
        self.status = status;
        self.modified = now;
        self.pending = Some(Pending {
            at,
            end,
            creation: false,
            midway: None,
        });
    }

    /// Shows the midway status of a creation once its instant has come.
    fn reach_midway(&mut self, now: f64) {
        if let Some(pending) = self.pending.as_mut()
            && let Some((at, status)) = pending.midway
            && at <= now
        {
            self.status = status;
            self.modified = at;
            self.midway_at = Some(at);
            pending.midway = None;
        }
    }

    /// Finishes the transition in flight if its time has come (passing its midway status, if
    /// any, on the way).
    pub fn settle(&mut self, now: f64) -> Option<Settled<P>> {
        self.reach_midway(now);
        if self.pending.as_ref().is_none_or(|pending| pending.at > now) {
            return None;
        }
        let pending = self.pending.take()?;
        self.modified = pending.at;
        Some(match pending.end {
            End::Ready(payload) => {
                self.status = self.row.ready;
                self.failure_reason = None;
                Settled::Ready(payload)
            }
            End::Fail(reason) => {
                self.failure_reason = Some(reason);
                if pending.creation {
                    self.status = self.row.failed;
                    Settled::Failed
                } else {
                    self.status = self.row.ready;
                    Settled::RolledBack
                }
            }
            End::Stopped => {
                self.status = self
                    .row
                    .stop
                    .as_ref()
                    .map_or(self.row.failed, |s| s.stopped);
                Settled::Stopped
            }
            End::Gone => Settled::Gone,
        })
    }

    /// Whether a transition is in flight.
    pub fn in_transition(&self) -> bool {
        self.pending.is_some()
    }
}

impl World {
    /// Settles every resource of a kind whose finished transitions apply nothing (kept as a map
    /// of `R` by key; `parts` gives a resource's life and ARN): those whose deletion finished are
    /// forgotten, with their tags.
    pub fn settle_lives<R: Any + Send>(
        &mut self,
        now: f64,
        parts: fn(&mut R) -> (&mut Life<()>, &str),
    ) {
        let mut gone = Vec::new();
        for (key, resource) in self.state_mut::<HashMap<String, R>>().iter_mut() {
            let (life, arn) = parts(resource);
            match life.settle(now) {
                None => continue,
                Some(Settled::Gone) => gone.push((key.clone(), arn.to_string())),
                Some(_) => {}
            }
            tracing::debug!(resource = %arn, status = life.status, kind = life.row.kind, "transition finished");
        }
        for (key, arn) in gone {
            self.state_mut::<HashMap<String, R>>().remove(&key);
            self.tags.remove(&arn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_allowed_only_in_settled_statuses() {
        let table = [
            ("Creating", Request::Update, false),
            ("Creating", Request::Delete, false),
            ("InService", Request::Update, true),
            ("InService", Request::Delete, true),
            ("Updating", Request::Update, false),
            ("Updating", Request::Delete, false),
            ("Deleting", Request::Delete, false),
            ("Failed", Request::Update, false),
            ("Failed", Request::Delete, true),
        ];
        for row in [&ENDPOINT, &INFERENCE_COMPONENT] {
            for (status, request, allowed) in table {
                assert_eq!(
                    allows(row, status, request),
                    allowed,
                    "{} {status} {request:?}",
                    row.kind
                );
            }
        }
    }

    #[test]
    fn transitions_end_as_planned_and_only_when_due() {
        let mut life = Life::creating(&INFERENCE_COMPONENT, 0.0, 10.0, End::Ready(1));
        assert_eq!(life.settle(9.9), None);
        assert_eq!(life.status, "Creating");
        assert_eq!(life.update(5.0, 6.0, End::Ready(2)), Err(InProgress));
        assert_eq!(life.settle(10.0), Some(Settled::Ready(1)));
        assert_eq!((life.status, life.modified), ("InService", 10.0));

        life.update(20.0, 30.0, End::Fail("bad".into())).unwrap();
        assert_eq!(life.status, "Updating");
        assert_eq!(life.settle(30.0), Some(Settled::RolledBack));
        assert_eq!(life.status, "InService");
        assert_eq!(life.failure_reason.as_deref(), Some("bad"));

        life.update(40.0, 50.0, End::Ready(3)).unwrap();
        assert_eq!(life.settle(50.0), Some(Settled::Ready(3)));
        assert_eq!(life.failure_reason, None, "a good update clears the reason");

        life.delete(60.0, 30.0).unwrap();
        assert_eq!(life.status, "Deleting");
        assert_eq!(life.settle(74.9), None);
        assert_eq!(life.settle(75.0), Some(Settled::Gone));
    }

    #[test]
    fn a_failed_creation_ends_failed_and_can_only_be_deleted() {
        let mut life: Life<()> =
            Life::creating(&ENDPOINT, 0.0, 1.0, End::Fail("no capacity".into()));
        assert_eq!(life.settle(1.0), Some(Settled::Failed));
        assert_eq!(life.status, "Failed");
        assert_eq!(life.update(2.0, 3.0, End::Ready(())), Err(InProgress));
        assert!(life.delete(2.0, 1.0).is_ok());
    }

    #[test]
    fn a_model_package_passes_in_progress_on_its_way_to_completed_or_failed() {
        let mut life = Life::creating(&MODEL_PACKAGE, 0.0, 2.0, End::Ready(()));
        assert_eq!(life.settle(0.9), None);
        assert_eq!(life.status, "Pending");
        assert_eq!(
            life.settle(1.0),
            None,
            "midway is not a finished transition"
        );
        assert_eq!((life.status, life.modified), ("InProgress", 1.0));
        assert!(!allows(&MODEL_PACKAGE, life.status, Request::Delete));
        assert_eq!(life.settle(2.0), Some(Settled::Ready(())));
        assert_eq!((life.status, life.modified), ("Completed", 2.0));

        // A failure seen only after the midway instant still ends the creation Failed.
        let mut failing: Life<()> =
            Life::creating(&MODEL_PACKAGE, 0.0, 2.0, End::Fail("bad image".into()));
        assert_eq!(failing.settle(5.0), Some(Settled::Failed));
        assert_eq!(failing.status, "Failed");
        assert_eq!(failing.failure_reason.as_deref(), Some("bad image"));
        assert!(failing.delete(6.0, 2.0).is_ok());
        assert_eq!(failing.status, "Deleting");
    }

    #[test]
    fn a_compilation_job_stops_only_while_running_and_deletes_only_when_finished() {
        let table = [
            ("STARTING", Request::Stop, true),
            ("INPROGRESS", Request::Stop, true),
            ("COMPLETED", Request::Stop, false),
            ("FAILED", Request::Stop, false),
            ("STOPPING", Request::Stop, false),
            ("STOPPED", Request::Stop, false),
            ("STARTING", Request::Delete, false),
            ("INPROGRESS", Request::Delete, false),
            ("STOPPING", Request::Delete, false),
            ("COMPLETED", Request::Delete, true),
            ("FAILED", Request::Delete, true),
            ("STOPPED", Request::Delete, true),
            ("COMPLETED", Request::Update, true),
        ];
        for (status, request, allowed) in table {
            assert_eq!(
                allows(&COMPILATION_JOB, status, request),
                allowed,
                "{status} {request:?}"
            );
        }
        // Kinds without stop statuses are never stopped, whatever their status.
        for row in [
            &ENDPOINT,
            &INFERENCE_COMPONENT,
            &MODEL_PACKAGE_GROUP,
            &MODEL_PACKAGE,
        ] {
            assert!(!allows(row, row.creating, Request::Stop), "{}", row.kind);
            assert!(!allows(row, "STOPPED", Request::Delete), "{}", row.kind);
        }
    }

    #[test]
    fn a_compilation_job_starts_runs_and_completes_or_is_stopped() {
        let mut life: Life<()> = Life::creating(&COMPILATION_JOB, 0.0, 4.0, End::Ready(()));
        assert_eq!((life.status, life.midway_at), ("STARTING", None));
        assert_eq!(life.settle(1.0), None);
        assert_eq!((life.status, life.modified), ("INPROGRESS", 1.0));
        assert_eq!(life.midway_at, Some(1.0));
        assert_eq!(life.settle(4.0), Some(Settled::Ready(())));
        assert_eq!((life.status, life.modified), ("COMPLETED", 4.0));
        assert_eq!(life.stop(5.0, 6.0), Err(InProgress));

        let mut stopped: Life<()> = Life::creating(&COMPILATION_JOB, 0.0, 4.0, End::Ready(()));
        stopped.stop(0.5, 2.5).unwrap();
        assert_eq!((stopped.status, stopped.modified), ("STOPPING", 0.5));
        assert_eq!(stopped.stop(1.0, 3.0), Err(InProgress), "a second stop");
        assert_eq!(stopped.settle(2.4), None);
        assert_eq!(stopped.status, "STOPPING", "no midway after a stop");
        assert_eq!(stopped.settle(2.5), Some(Settled::Stopped));
        assert_eq!((stopped.status, stopped.modified), ("STOPPED", 2.5));
        assert_eq!(stopped.midway_at, None, "stopped before it started");
        assert!(stopped.delete(3.0, 0.0).is_ok());

        let mut failing: Life<()> =
            Life::creating(&COMPILATION_JOB, 0.0, 4.0, End::Fail("ClientError".into()));
        assert_eq!(failing.settle(9.0), Some(Settled::Failed));
        assert_eq!(failing.status, "FAILED");
        assert_eq!(failing.midway_at, Some(1.0), "it ran before failing");
    }
}
