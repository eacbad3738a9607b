//! Carries out the decision core's steps (`decide.rs`): each step is one call, its answer goes
//! back into the facts, and the core says what comes next, until a step ends the reconcile.

use std::time::Instant;

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    APPLIED_TAGS_ANNOTATION, CREATED_SPEC_HASH_ANNOTATION, CREATING_NAME_ANNOTATION,
    HasCommonStatus, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::{Value, json};

use super::decide::{self, Answer, Call, Facts, OnSpecChange, Step, next_step};
use super::mirror::mirror;
use super::{
    CreateError, Created, Kind, Resolved, STOPPING_REQUEUE, SingleRun, States, announce_waiting,
    has_observed_remote, prepare, record_of, recorded_by_original_operator, remote_name_of,
};
use crate::conditions::{
    DEPENDENCY_NOT_FOUND, DEPENDENCY_RETRY, READY, TAGS_REJECTED, UPDATE_REJECTED, set_condition,
};
use crate::engine::ownership::{self, Ownership};
use crate::engine::references::{Resolution, Waiting, resolve, show_references};
use crate::engine::{
    Adoption, DeletionPolicy, EngineError, ErrorCategory, RELEASE_POLL, Run, Strategy,
    sagemaker_message, tags,
};
use crate::object_patch::patch_metadata;
use crate::status_patch::{StatusWriter, reconcile_request_unanswered};
use crate::status_poller::{key_of, look_again_in, must_describe};
use crate::takeover;

/// The status of a resource SageMaker is deleting in the background.
const DELETING: &str = "Deleting";

/// One reconcile of a live object.
pub(super) async fn reconcile<K: Kind>(run: &SingleRun<'_, K>) -> Result<Action, EngineError> {
    let object = run.object;
    let registry = &run.engine.registry;
    let polled = <super::Single<K> as Strategy>::POLLED;
    let remote_name = remote_name_of::<K>(object);
    tracing::Span::current().record("sagemaker_name", remote_name.as_str());
    let key = key_of(object);
    let (observed, listed) = registry.observation(&key);
    // A reconcile asked for (`reconcile-requested-at`) describes whatever the poller says.
    if polled
        && !reconcile_request_unanswered(object)
        && !must_describe(
            observed.as_ref(),
            listed,
            object.meta().generation,
            Instant::now(),
        )
    {
        // Nothing happened since the last look that the status does not show already (this
        // wake-up is the operator's own write, or a change it has seen): no call, no write. A
        // look-again time still ahead is kept: this wake-up took the place of its requeue.
        let again = look_again_in(observed.as_ref(), Instant::now());
        return Ok(again.map_or_else(Action::await_change, Action::requeue));
    }
    // The registry knows of an observation before the (possibly lagging) watch cache shows it.
    let observed = (has_observed_remote::<K>(object) || observed.is_some())
        && super::observed_its_own::<K>(object);
    let prepared = prepare::<K>(run.client(), object, &remote_name, !observed).await?;
    let patched_run;
    let run = match &prepared.object {
        Some(patched) => {
            patched_run = Run {
                engine: run.engine,
                object: patched,
                uid: run.uid.clone(),
                handle: run.handle.clone(),
                status: StatusWriter::new(run.client(), patched),
            };
            &patched_run
        }
        None => run,
    };
    let covered = if polled {
        // The poller follows the name from before the first call, so no change is missed
        // between the create and the first status write.
        registry.register(&run.handle.location, &remote_name, key.clone());
        registry.take_listed(&key)
    } else {
        None
    };
    let record = record_of::<K>(run.object, false, observed, &prepared.spec_hash);
    let mut steps = Steps::new(run, remote_name, Facts::new(record));
    let references = K::references(run.object);
    let resolution = if references.is_empty() {
        None
    } else {
        let namespace = run.object.namespace().unwrap_or_default();
        let resolution = resolve(run.client(), &namespace, &references).await?;
        steps.facts.waiting = resolution.waiting.is_some();
        steps.resolved = resolution.resolved.clone();
        Some(resolution)
    };
    let (remote, created) = match steps
        .until_done(&prepared.spec_hash, resolution.as_ref())
        .await?
    {
        Done::Mirror(remote, created) => (remote, created),
        Done::Action(action) => return Ok(action),
    };
    let action = mirror(
        run,
        &steps.name,
        remote,
        created,
        &prepared.spec_hash,
        covered,
        resolution.as_ref(),
    )
    .await?;
    if steps.facts.waiting {
        // The watch on the referenced object wakes it again: that wake-up must look, not be
        // taken for one the status already shows.
        registry.unobserve(&key);
    }
    Ok(action)
}

/// Deletion: stop what runs and wait through Stopping, or delete what exists, then let the
/// object go. Any failed call keeps the finalizer (the error policy retries), so throttling
/// cannot leak a running job or an existing resource.
pub(super) async fn finalize<K: Kind>(
    run: &SingleRun<'_, K>,
    policy: DeletionPolicy,
) -> Result<Action, EngineError> {
    let mut remote_name = remote_name_of::<K>(run.object);
    let assigned = assigned_before_record(run, &remote_name).await?;
    tracing::Span::current().record("sagemaker_name", remote_name.as_str());
    let observed = has_observed_remote::<K>(run.object);
    let record = decide::Record {
        retain: policy == DeletionPolicy::Retain,
        ..record_of::<K>(run.object, true, observed, "")
    };
    if let Some(assigned) = assigned {
        remote_name = assigned;
        tracing::Span::current().record("sagemaker_name", remote_name.as_str());
    }
    match Steps::new(run, remote_name, Facts::new(record))
        .until_done("", None)
        .await?
    {
        Done::Action(action) => Ok(action),
        Done::Mirror(..) => unreachable!("a deleted object's status is not mapped"),
    }
}

/// The name SageMaker gave a resource created for a deleted object whose status never recorded
/// it (the operator stopped between the create and the status write): a [`Kind::NAMED_BY_SAGEMAKER`]
/// resource is found only by that name, so the create is sent again under the pinned token —
/// SageMaker answers it with what the first create made (or makes it now, to be deleted with
/// the object: either way nothing is left behind). `None`: nothing can exist, or the name is
/// known.
async fn assigned_before_record<K: Kind>(
    run: &SingleRun<'_, K>,
    token: &str,
) -> Result<Option<String>, EngineError> {
    let object = run.object;
    if !K::NAMED_BY_SAGEMAKER
        || super::recorded_name::<K>(object).is_some()
        || object
            .annotations()
            .get(CREATING_NAME_ANNOTATION)
            .map(String::as_str)
            != Some(token)
    {
        return Ok(None);
    }
    let namespace = object.namespace().unwrap_or_default();
    let resolution = resolve(run.client(), &namespace, &K::references(object)).await?;
    if resolution.waiting.is_some() {
        // What it refers to is gone: a create could not have been built either.
        return Ok(None);
    }
    let kind = &run.engine.strategy.0;
    let sent = kind
        .create(&run.handle, object, token, &run.uid, &resolution.resolved)
        .await;
    match sent {
        Ok(Created::Assigned(name)) => {
            tracing::info!(sagemaker_name = %name, "found the resource SageMaker named for this object");
            // Recorded before the delete: once deleted, the token is free again, and a later
            // look must find the name here instead of making another resource with it.
            let mut status = run.status.recorded();
            *K::status_fields(&mut status).sagemaker_name = Some(name.clone());
            run.status.write(status).await?;
            Ok(Some(name))
        }
        Ok(Created::AsSent) | Err(CreateError::Unsupported(_)) => Ok(None),
        Err(CreateError::SageMaker(error)) if ErrorCategory::of(&error).is_retryable() => {
            Err(EngineError::SageMaker(error))
        }
        // Refused: the first create was refused the same way, and made nothing.
        Err(CreateError::SageMaker(_)) => Ok(None),
    }
}

/// How the steps ended.
enum Done<R> {
    /// The resource is this object's and described: map it; `bool`: created in this reconcile.
    Mirror(R, bool),
    /// The reconcile ends with this action.
    Action(Action),
}

/// The state of one run of steps: the facts the core decides on, and what the calls returned.
struct Steps<'r, 'a, K: Kind> {
    run: &'r SingleRun<'a, K>,
    name: String,
    facts: Facts,
    remote: Option<K::Remote>,
    last_error: Option<SageMakerError>,
    /// Why the create could not be built.
    unsupported: String,
    /// The SageMaker names the object's references resolved to.
    resolved: Resolved,
}

impl<'r, 'a, K: Kind> Steps<'r, 'a, K> {
    fn new(run: &'r SingleRun<'a, K>, name: String, facts: Facts) -> Self {
        Steps {
            run,
            name,
            facts,
            remote: None,
            last_error: None,
            unsupported: String::new(),
            resolved: Resolved::default(),
        }
    }

    fn sagemaker(&self) -> &SageMakerHandle {
        &self.run.handle
    }

    fn failed(&mut self, call: Call, error: SageMakerError) {
        self.facts.call_failed(call, ErrorCategory::of(&error));
        self.last_error = Some(error);
    }

    fn described(&self) -> &K::Remote {
        self.remote.as_ref().expect(
            "the decision core checks ownership, takes over, stops or mirrors only what it described",
        )
    }

    /// The object's resource is not followed any longer.
    fn forget(&self) {
        self.run
            .engine
            .registry
            .forget(&self.sagemaker().location, &self.name);
    }

    /// Carries out steps until one ends the reconcile. The calls are here; what the kinds do
    /// differently is in their [`Kind`] hooks and configuration.
    async fn until_done(
        &mut self,
        spec_hash: &str,
        references: Option<&Resolution>,
    ) -> Result<Done<K::Remote>, EngineError> {
        loop {
            let step = next_step(&self.facts);
            tracing::debug!(?step, facts = ?self.facts, "next step");
            match step {
                Step::Describe => self.describe().await,
                Step::Create => self.create(spec_hash).await?,
                Step::CheckOwnership => self.check_ownership().await,
                Step::TakeOver => self.take_over(spec_hash).await?,
                Step::Stop | Step::Delete | Step::Replace => self.stop_or_delete(step).await,
                Step::Update => self.update(spec_hash).await?,
                Step::ReportUpdateRejected => {
                    return self
                        .report_update_rejected(spec_hash)
                        .await
                        .map(Done::Action);
                }
                Step::ShowDeleting => return self.show_deleting().await.map(Done::Action),
                Step::Mirror => {
                    let remote = self.remote.take().expect("described");
                    return Ok(Done::Mirror(remote, self.facts.created));
                }
                Step::AwaitSpecChange => return Ok(Done::Action(Action::await_change())),
                Step::AwaitReferences => {
                    let waiting = references.and_then(|references| references.waiting.as_ref());
                    let waiting = waiting.expect("the core waits only for a reference not ready");
                    return self.await_references(waiting).await.map(Done::Action);
                }
                Step::ShowStopping => return self.show_stopping().await.map(Done::Action),
                Step::Untag => self.untag().await,
                Step::SyncTags => self.sync_tags(spec_hash).await?,
                Step::ReportTagsRejected => {
                    return self.report_tags_rejected().await.map(Done::Action);
                }
                Step::Release => return self.release().await.map(Done::Action),
                Step::Keep => return self.keep().await.map(Done::Action),
                Step::Retry => {
                    let error = self.last_error.take();
                    return Err(self.run.retry_last(error, &self.name).await);
                }
                Step::RefuseForeign
                | Step::ReportUnsupported
                | Step::ReportRejected
                | Step::ReportMissingDependency
                | Step::ReportNotFound
                | Step::ReportNothingToAdopt => return self.report(step).await.map(Done::Action),
            }
        }
    }

    async fn describe(&mut self) {
        if K::NAMED_BY_SAGEMAKER && self.name == K::remote_name(self.run.object) {
            self.facts.answered(Answer::Absent);
            return;
        }
        let kind = &self.run.engine.strategy.0;
        match kind.describe(self.sagemaker(), &self.name).await {
            Ok(remote) => {
                self.facts.answered(Answer::Described(K::phase(&remote)));
                self.remote = Some(remote);
            }
            Err(error) => self.failed(Call::Describe, error),
        }
    }

    async fn create(&mut self, spec_hash: &str) -> Result<(), EngineError> {
        let run = self.run;
        pin_create(run, &self.name, spec_hash).await?;
        let kind = &run.engine.strategy.0;
        match kind
            .create(
                self.sagemaker(),
                run.object,
                &self.name,
                &run.uid,
                &self.resolved,
            )
            .await
        {
            Ok(created) => {
                if let Created::Assigned(name) = created {
                    // From here on the resource is called what SageMaker called it; the status
                    // records it with the first Describe.
                    tracing::Span::current().record("sagemaker_name", name.as_str());
                    self.name = name;
                }
                tracing::info!(kind = K::KIND, "created in SageMaker");
                if K::STATES == States::Created {
                    // A resource with states announces its creation with the state it is in.
                    let note = format!("Created {} {} in SageMaker", K::KIND, self.name);
                    run.event(EventType::Normal, "Created", note).await;
                }
                self.facts.answered(Answer::Created);
            }
            Err(CreateError::Unsupported(message)) => {
                self.unsupported = message;
                self.facts.unsupported = true;
            }
            Err(CreateError::SageMaker(error)) => self.failed(Call::Create, error),
        }
        Ok(())
    }

    /// Updates the steady resource in place, and records the spec it was sent from (after the
    /// call: a retryable failure must not mark the spec as applied).
    async fn update(&mut self, spec_hash: &str) -> Result<(), EngineError> {
        let run = self.run;
        let kind = &run.engine.strategy.0;
        let remote = self
            .remote
            .as_ref()
            .expect("the core updates only what it described");
        let result = kind
            .update(
                self.sagemaker(),
                run.object,
                &self.name,
                remote,
                &self.resolved,
            )
            .await;
        match result {
            Ok(()) => {
                record_created_spec(run, spec_hash).await?;
                tracing::info!(kind = K::KIND, "spec changed, updating in SageMaker");
                let note = format!(
                    "The spec changed: updating {} {} in SageMaker",
                    K::KIND,
                    self.name
                );
                run.event(EventType::Normal, "Updating", note).await;
                self.facts.answered(Answer::Updated);
            }
            Err(CreateError::Unsupported(message)) => {
                self.unsupported = message;
                self.facts.unsupported = true;
            }
            Err(CreateError::SageMaker(error)) => self.failed(Call::Update, error),
        }
        Ok(())
    }

    /// SageMaker refused the update: the spec is recorded as tried (so it is not sent again
    /// until it changes), the status keeps SageMaker's state and says why in `Failed`.
    async fn report_update_rejected(&mut self, spec_hash: &str) -> Result<Action, EngineError> {
        let run = self.run;
        record_created_spec(run, spec_hash).await?;
        let message = format!(
            "SageMaker rejected the update (applied again when the spec changes): {}",
            sagemaker_message(self.last_error.as_ref())
        );
        run.show_failed(run.status.recorded(), UPDATE_REJECTED, message)
            .await?;
        Ok(Action::await_change())
    }

    async fn check_ownership(&mut self) {
        let run = self.run;
        if K::NAMED_BY_SAGEMAKER {
            let token = K::remote_name(run.object);
            let ownership = ownership::judge_assigned(&self.name, &token);
            self.facts.answered(Answer::Owner(ownership));
            return;
        }
        let arn = K::arn(self.described());
        // An untagged resource is proven this object's by the original operator's records, or
        // by the user asking to adopt it.
        let original =
            recorded_by_original_operator::<K>(run.object, &self.name, &run.uid) || self.adopting();
        match ownership::check(self.sagemaker(), &arn, &run.uid, original).await {
            Ok((ownership, _)) => self.facts.answered(Answer::Owner(ownership)),
            Err(error) => self.failed(Call::ListTags, error),
        }
    }

    /// Tags the original operator's resource (unless an earlier takeover did); a replaced kind
    /// records the current spec as the one it was created from, so it is not replaced.
    async fn take_over(&mut self, spec_hash: &str) -> Result<(), EngineError> {
        let run = self.run;
        let untagged = matches!(
            self.facts.remote,
            super::decide::Remote::Described {
                ownership: Some(Ownership::TakeOver),
                ..
            }
        );
        if untagged {
            let arn = K::arn(self.described());
            if let Err(error) = ownership::take_over(self.sagemaker(), &arn, &run.uid).await {
                self.failed(Call::AddTags, error);
                return Ok(());
            }
        }
        if K::LIFECYCLE.on_spec_change == OnSpecChange::Replace {
            record_created_spec(run, spec_hash).await?;
        }
        let (reason, note) = if self.adopting() {
            tracing::info!(kind = K::KIND, "adopted");
            let note = format!(
                "Adopted {} {}, which existed in SageMaker (adoption-policy); it is managed by this object from now on",
                K::KIND,
                self.name
            );
            ("Adopted", note)
        } else {
            tracing::info!(kind = K::KIND, "took over from the original operator");
            let note = format!(
                "Following {} {}, which the original operator created",
                K::KIND,
                self.name
            );
            ("TakenOver", note)
        };
        run.event(EventType::Normal, reason, note).await;
        self.facts.answered(Answer::TakenOver);
        Ok(())
    }

    /// Whether this reconcile may adopt an untagged resource of the object's name.
    fn adopting(&self) -> bool {
        self.facts.record.never_observed && self.facts.record.adoption != Adoption::Never
    }

    /// Stop (on delete), Delete (on delete) or Replace (delete, to create the current spec).
    async fn stop_or_delete(&mut self, step: Step) {
        let run = self.run;
        let kind = &run.engine.strategy.0;
        let (call, answer) = match step {
            Step::Stop => (Call::Stop, Answer::StopSent),
            _ => (Call::Delete, Answer::Deleted),
        };
        if let Err(error) = kind.stop_or_delete(self.sagemaker(), &self.name).await {
            self.failed(call, error);
            return;
        }
        let (reason, note) = match step {
            Step::Stop => (
                "Stopping",
                format!("Stopping {} {} in SageMaker", K::KIND, self.name),
            ),
            Step::Replace => {
                tracing::info!(kind = K::KIND, "spec changed, deleted to replace");
                let note = format!(
                    "The spec changed: replacing {} {} in SageMaker",
                    K::KIND,
                    self.name
                );
                ("Replacing", note)
            }
            _ => {
                tracing::info!(kind = K::KIND, "deleted in SageMaker");
                (
                    "Deleted",
                    format!("Deleted {} {} in SageMaker", K::KIND, self.name),
                )
            }
        };
        run.event(EventType::Normal, reason, note).await;
        self.facts.answered(answer);
    }

    async fn show_stopping(&self) -> Result<Action, EngineError> {
        let run = self.run;
        // The poller follows it until it is terminal.
        run.engine
            .registry
            .register(&self.sagemaker().location, &self.name, key_of(run.object));
        // Best effort: the delete goes on whether or not it is shown.
        let mut stopping = run.status.recorded();
        K::stopping(&mut stopping);
        let _ = run.status.write(stopping).await;
        Ok(Action::requeue(STOPPING_REQUEUE))
    }

    /// A referenced object is missing or not ready: the status says which and why (one Event),
    /// and the watch on it wakes this object when that changes. Nothing is sent to SageMaker.
    async fn await_references(&self, waiting: &Waiting) -> Result<Action, EngineError> {
        let run = self.run;
        let generation = run.object.meta().generation;
        let mut status = run.status.recorded();
        let state = K::status_fields(&mut status).status;
        if state.is_none() {
            *state = Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER.into());
        }
        let common = status.common_mut();
        let mut conditions = common.conditions.take().unwrap_or_default();
        let news = show_references(&mut conditions, Some(waiting), generation);
        let message = waiting.message();
        set_condition(
            &mut conditions,
            READY,
            false,
            waiting.reason(),
            &message,
            generation,
        );
        common.conditions = Some(conditions);
        common.additional = Some(message);
        if run.status.would_change(&status) {
            if let Some(note) = news {
                announce_waiting(run, waiting, note).await;
            }
            run.status.write(status).await?;
        }
        Ok(Action::await_change())
    }

    /// SageMaker deletes the resource in the background: shown, and looked at again until
    /// Describe says it is gone.
    async fn show_deleting(&self) -> Result<Action, EngineError> {
        let run = self.run;
        run.engine
            .registry
            .register(&self.sagemaker().location, &self.name, key_of(run.object));
        // Best effort: the delete goes on whether or not it is shown.
        let mut deleting = run.status.recorded();
        *K::status_fields(&mut deleting).status = Some(DELETING.into());
        let _ = run.status.write(deleting).await;
        Ok(Action::requeue(STOPPING_REQUEUE))
    }

    /// Brings the resource's tags to the spec's in place ([`tags::tag_changes`]), then records
    /// them as applied — and, when the resource is the current spec's, the spec hash as this
    /// operator computes it (one recorded before tags were left out of it must not turn the
    /// next tag edit into a spec change).
    async fn sync_tags(&mut self, spec_hash: &str) -> Result<(), EngineError> {
        let run = self.run;
        let wanted = super::spec_tags::<K>(run.object);
        let arn = K::arn(self.described());
        let applied = tags::recorded(run.object.annotations());
        let changes = match tags::bring_to(self.sagemaker(), &arn, &wanted, applied.as_ref()).await
        {
            Ok(changes) => changes,
            Err(error) => {
                self.failed(Call::SyncTags, error);
                return Ok(());
            }
        };
        let current_spec = self.facts.record.created_from_current_spec && !spec_hash.is_empty();
        record_applied_tags(run, &wanted, current_spec.then_some(spec_hash)).await?;
        if !changes.is_empty() {
            tracing::info!(kind = K::KIND, changes = %changes.describe(), "tags updated in SageMaker");
            let note = format!(
                "Updated the tags of {} {} in SageMaker: {}",
                K::KIND,
                self.name,
                changes.describe()
            );
            run.event(EventType::Normal, "TagsUpdated", note).await;
        }
        self.facts.answered(Answer::TagsSynced);
        Ok(())
    }

    /// SageMaker refused the tags: recorded as tried (not sent again until the spec changes),
    /// shown in `Failed`; the status keeps SageMaker's state.
    async fn report_tags_rejected(&mut self) -> Result<Action, EngineError> {
        let run = self.run;
        record_applied_tags(run, &super::spec_tags::<K>(run.object), None).await?;
        let message = format!(
            "SageMaker rejected the tags in spec.tags (applied again when the spec changes): {}",
            sagemaker_message(self.last_error.as_ref())
        );
        run.show_failed(run.status.recorded(), TAGS_REJECTED, message)
            .await?;
        Ok(Action::await_change())
    }

    /// Removes the ownership tag from the resource kept on delete. A resource SageMaker names
    /// (a model package version) carries no tag: nothing to remove.
    async fn untag(&mut self) {
        if !K::NAMED_BY_SAGEMAKER {
            let arn = K::arn(self.described());
            if let Err(error) = self.sagemaker().remove_owner_tag(&arn).await {
                self.failed(Call::DeleteTags, error);
                return;
            }
        }
        self.facts.answered(Answer::Untagged);
    }

    /// The deletion policy kept the resource: say so once, then let the object go.
    async fn keep(&self) -> Result<Action, EngineError> {
        tracing::info!(
            kind = K::KIND,
            "deletion policy retain: keeping the resource in SageMaker"
        );
        let note = format!(
            "Kept {} {} in SageMaker (deletion policy retain): nothing was stopped or deleted, \
             and it carries no ownership tag of this operator any more",
            K::KIND,
            self.name
        );
        self.run.event(EventType::Normal, "Retained", note).await;
        self.release_object().await
    }

    async fn release(&self) -> Result<Action, EngineError> {
        tracing::info!(
            kind = K::KIND,
            "nothing of this object is left in SageMaker, releasing it"
        );
        self.release_object().await
    }

    async fn release_object(&self) -> Result<Action, EngineError> {
        let run = self.run;
        self.forget();
        if !run
            .engine
            .strategy
            .0
            .before_release(run.client(), run.object)
            .await?
        {
            return Ok(Action::requeue(RELEASE_POLL));
        }
        run.release().await
    }

    /// The failures retrying will not fix (until the spec changes, or what it names exists).
    async fn report(&mut self, step: Step) -> Result<Action, EngineError> {
        let run = self.run;
        self.forget();
        let last_error = sagemaker_message(self.last_error.as_ref());
        match step {
            Step::RefuseForeign => self.refuse_foreign().await,
            Step::ReportUnsupported => {
                let message = std::mem::take(&mut self.unsupported);
                run.report_failure("UnsupportedSpec", message).await
            }
            Step::ReportRejected => {
                // SageMaker refused to create under the pinned name, so nothing exists under
                // it: the spec's name may be edited again.
                release_creating_name(run).await?;
                let message = format!("SageMaker rejected the request: {last_error}");
                run.report_failure("CreateRejected", message).await
            }
            Step::ReportMissingDependency => {
                // Possibly applied together with this object and not created yet: heals once
                // it exists.
                let message = format!(
                    "SageMaker could not find what the spec names (retrying every {} s): {last_error}",
                    DEPENDENCY_RETRY.as_secs(),
                );
                run.report_failure(DEPENDENCY_NOT_FOUND, message).await?;
                Ok(Action::requeue(DEPENDENCY_RETRY))
            }
            Step::ReportNothingToAdopt => {
                release_creating_name(run).await?;
                let message = format!(
                    "{} {} does not exist in SageMaker: the adoption-policy adopt takes over only an existing resource (adopt-or-create creates it)",
                    K::KIND,
                    self.name
                );
                run.report_failure("NotFoundInSageMaker", message).await
            }
            _ => {
                let message = format!("{} {} does not exist in SageMaker", K::KIND, self.name);
                run.report_failure("NotFoundInSageMaker", message).await
            }
        }
    }

    /// The name is someone else's resource: report it, and free the name for an edit.
    async fn refuse_foreign(&self) -> Result<Action, EngineError> {
        let run = self.run;
        let mut recorded = run.status.recorded();
        if K::STATES == States::SageMaker
            && takeover::status_written_by_original_operator(Some(&recorded))
        {
            // The original's lastCheckTime would make the next reconcile take the resource for
            // an observed one of ours; without it the refusal stands.
            recorded.common_mut().last_check_time = None;
            run.status.write(recorded).await?;
        }
        release_creating_name(run).await?;
        let rename = match K::SPEC_NAME_FIELD {
            Some(field) => format!("set another name in the spec ({field})"),
            None => "rename the object".to_string(),
        };
        let message = format!(
            "{} {} already exists in SageMaker and was not created for this object; {rename}",
            K::KIND,
            self.name,
        );
        run.report_failure("NameOwnedByAnotherResource", message)
            .await
    }
}

/// Before the create: the spec it is sent from, and the name it is sent under when the spec
/// names it, unless already recorded. From here on the name is fixed until SageMaker answers,
/// and a crash before the status is written adopts the result instead of replacing it.
async fn pin_create<K: Kind>(
    run: &SingleRun<'_, K>,
    name: &str,
    spec_hash: &str,
) -> Result<(), kube::Error> {
    let annotations = run.object.annotations();
    let recorded = |key: &str| annotations.get(key).map(String::as_str);
    let pins_name = K::SPEC_NAME_FIELD.is_some() || K::NAMED_BY_SAGEMAKER;
    // The create sends the spec's tags: recorded as applied with it.
    let tags = tags::applied_value(&super::spec_tags::<K>(run.object));
    if recorded(CREATED_SPEC_HASH_ANNOTATION) == Some(spec_hash)
        && (!pins_name || recorded(CREATING_NAME_ANNOTATION) == Some(name))
        && recorded(APPLIED_TAGS_ANNOTATION) == Some(&tags)
    {
        return Ok(());
    }
    let patch = if pins_name {
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: spec_hash, CREATING_NAME_ANNOTATION: name, APPLIED_TAGS_ANNOTATION: tags } })
    } else {
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: spec_hash, APPLIED_TAGS_ANNOTATION: tags } })
    };
    patch_metadata(run.client(), run.object, patch).await
}

/// Records the spec's tags as applied to the resource, and `spec_hash` as the spec it is.
async fn record_applied_tags<K: Kind>(
    run: &SingleRun<'_, K>,
    wanted: &tags::Tags,
    spec_hash: Option<&str>,
) -> Result<(), kube::Error> {
    let mut annotations = json!({ APPLIED_TAGS_ANNOTATION: tags::applied_value(wanted) });
    if let Some(hash) = spec_hash {
        annotations[CREATED_SPEC_HASH_ANNOTATION] = json!(hash);
    }
    patch_metadata(
        run.client(),
        run.object,
        json!({ "annotations": annotations }),
    )
    .await
}

/// Records the spec the resource is (to be) created from.
async fn record_created_spec<K: Kind>(
    run: &SingleRun<'_, K>,
    spec_hash: &str,
) -> Result<(), kube::Error> {
    patch_metadata(
        run.client(),
        run.object,
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: spec_hash } }),
    )
    .await
}

/// Nothing exists under the pinned name (SageMaker refused it, or it is someone else's): the
/// spec's name may be edited again, to get past a name clash.
async fn release_creating_name<K: Kind>(run: &SingleRun<'_, K>) -> Result<(), kube::Error> {
    if !run
        .object
        .annotations()
        .contains_key(CREATING_NAME_ANNOTATION)
    {
        return Ok(());
    }
    patch_metadata(
        run.client(),
        run.object,
        json!({ "annotations": { CREATING_NAME_ANNOTATION: Value::Null } }),
    )
    .await
}
