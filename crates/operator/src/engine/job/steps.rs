//! Carries out the decision core's steps (`decide.rs`): each step is one call, its answer goes
//! back into the facts, and the core says what comes next, until a step ends the reconcile.

use std::time::Instant;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{CREATED_SPEC_HASH_ANNOTATION, CREATING_NAME_ANNOTATION, HasCommonStatus};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde_json::{Value, json};

use super::decide::{Answer, Call, JobFacts, Phase, Record, Step, next_step};
use super::status_map::{Observed, observed_status, out_of_sync_message};
use super::{
    Adapter, JobRun, Jobs, STOPPING_REQUEUE, has_observed_remote, prepare,
    recorded_by_original_operator, remote_name_of,
};
use crate::conditions::{DEPENDENCY_NOT_FOUND, DEPENDENCY_RETRY, SPEC_OUT_OF_SYNC};
use crate::engine::ownership;
use crate::engine::{EngineError, ErrorCategory, RELEASE_POLL, Run, Strategy, sagemaker_message};
use crate::object_patch::patch_metadata;
use crate::status_patch::StatusWriter;
use crate::status_poller::{Observation, key_of, must_describe};
use crate::takeover;

/// One reconcile of a live object.
pub(super) async fn reconcile<A: Adapter>(run: &JobRun<'_, A>) -> Result<Action, EngineError> {
    let object = run.object;
    let registry = &run.engine.registry;
    let remote_name = remote_name_of::<A>(object);
    tracing::Span::current().record("sagemaker_name", remote_name.as_str());
    let key = key_of(object);
    let (observed, listed) = registry.observation(&key);
    if !must_describe(
        observed.as_ref(),
        listed,
        object.meta().generation,
        Instant::now(),
    ) {
        // Nothing happened since the last look that the status does not show already (this
        // wake-up is the operator's own write, or a change it has seen): no call, no write.
        return Ok(Action::await_change());
    }
    // The registry knows of an observation before the (possibly lagging) watch cache shows it.
    let never_observed = !has_observed_remote::<A>(object) && observed.is_none();
    let prepared = prepare::<A>(run.client(), object, &remote_name, never_observed).await?;
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
    // The poller follows the name from before the first call, so no change is missed between
    // the create and the first status write.
    registry.register(&run.handle.location, &remote_name, key.clone());
    let covered = registry.take_listed(&key);
    let facts = JobFacts::new(Record {
        deleting: false,
        observe_only: A::is_observe_only(run.object),
        never_observed,
        has_status: Jobs::<A>::recorded_state(run.object).is_some(),
        original_status: !A::is_observe_only(run.object)
            && takeover::status_written_by_original_operator(run.object.status()),
    });
    let mut steps = Steps::<A>::new(run, remote_name, facts);
    let (remote, created) = match steps.until_done(&prepared.spec_hash).await? {
        Done::Mirror(remote, created) => (remote, created),
        Done::Action(action) => return Ok(action),
    };
    mirror(
        run,
        &steps.name,
        remote,
        created,
        &prepared.spec_hash,
        covered,
    )
    .await
}

/// Deletion: stop what runs, wait through Stopping, then let the object go. Any failed call
/// keeps the finalizer (the error policy retries), so throttling cannot leak a running job.
pub(super) async fn finalize<A: Adapter>(run: &JobRun<'_, A>) -> Result<Action, EngineError> {
    let remote_name = remote_name_of::<A>(run.object);
    tracing::Span::current().record("sagemaker_name", remote_name.as_str());
    let facts = JobFacts::new(Record {
        deleting: true,
        observe_only: A::is_observe_only(run.object),
        never_observed: !has_observed_remote::<A>(run.object),
        has_status: Jobs::<A>::recorded_state(run.object).is_some(),
        original_status: takeover::status_written_by_original_operator(run.object.status()),
    });
    match Steps::<A>::new(run, remote_name, facts)
        .until_done("")
        .await?
    {
        Done::Action(action) => Ok(action),
        Done::Mirror(..) => unreachable!("a deleted object's status is not mapped"),
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
struct Steps<'r, 'a, A: Adapter> {
    run: &'r JobRun<'a, A>,
    name: String,
    facts: JobFacts,
    remote: Option<A::Remote>,
    last_error: Option<SageMakerError>,
}

impl<'r, 'a, A: Adapter> Steps<'r, 'a, A> {
    fn new(run: &'r JobRun<'a, A>, name: String, facts: JobFacts) -> Self {
        Steps {
            run,
            name,
            facts,
            remote: None,
            last_error: None,
        }
    }

    fn sagemaker(&self) -> &SageMakerHandle {
        &self.run.handle
    }

    fn failed(&mut self, call: Call, error: SageMakerError) {
        self.facts.call_failed(call, ErrorCategory::of(&error));
        self.last_error = Some(error);
    }

    fn described(&self) -> &A::Remote {
        self.remote
            .as_ref()
            .expect("the decision core checks ownership, stops or mirrors only what it described")
    }

    /// The object's resource is not followed any longer.
    fn forget(&self) {
        self.run
            .engine
            .registry
            .forget(&self.sagemaker().location, &self.name);
    }

    async fn until_done(&mut self, spec_hash: &str) -> Result<Done<A::Remote>, EngineError> {
        let run = self.run;
        let adapter = &run.engine.strategy.0;
        loop {
            let step = next_step(&self.facts);
            tracing::debug!(?step, facts = ?self.facts, "next step");
            match step {
                Step::Describe => match adapter.describe(self.sagemaker(), &self.name).await {
                    Ok(remote) => {
                        self.facts.answered(Answer::Described(A::phase(&remote)));
                        self.remote = Some(remote);
                    }
                    Err(error) => self.failed(Call::Describe, error),
                },
                Step::Create => {
                    pin_create(run, &self.name, spec_hash).await?;
                    match adapter
                        .create(self.sagemaker(), run.object, &self.name, &run.uid)
                        .await
                    {
                        Ok(()) => {
                            tracing::info!(kind = A::KIND, "created in SageMaker");
                            self.facts.answered(Answer::Created);
                        }
                        Err(error) => self.failed(Call::Create, error),
                    }
                }
                Step::CheckOwnership => {
                    let arn = A::arn(self.described());
                    let original =
                        recorded_by_original_operator::<A>(run.object, &self.name, &run.uid);
                    match ownership::check(self.sagemaker(), &arn, &run.uid, original).await {
                        Ok((ownership, _)) => self.facts.answered(Answer::Owner(ownership)),
                        Err(error) => self.failed(Call::ListTags, error),
                    }
                }
                Step::TakeOver => {
                    let arn = A::arn(self.described());
                    match ownership::take_over(self.sagemaker(), &arn, &run.uid).await {
                        Ok(()) => {
                            tracing::info!(kind = A::KIND, "took over from the original operator");
                            let note = format!(
                                "Following {} {}, which the original operator created",
                                A::KIND,
                                self.name
                            );
                            run.event(EventType::Normal, "TakenOver", note).await;
                            self.facts.answered(Answer::TakenOver);
                        }
                        Err(error) => self.failed(Call::AddTags, error),
                    }
                }
                Step::Mirror => {
                    let remote = self.remote.take().expect("described");
                    return Ok(Done::Mirror(remote, self.facts.created));
                }
                Step::RefuseForeign => return self.refuse_foreign().await.map(Done::Action),
                Step::ReportRejected => {
                    self.forget();
                    // SageMaker refused to create under the pinned name, so nothing exists
                    // under it: the spec's name may be edited again.
                    release_creating_name(run).await?;
                    let message = format!(
                        "SageMaker rejected the request: {}",
                        sagemaker_message(self.last_error.as_ref())
                    );
                    return run
                        .report_failure("CreateRejected", message)
                        .await
                        .map(Done::Action);
                }
                Step::ReportMissingDependency => {
                    // Possibly applied together with this object and not created yet: heals
                    // once it exists.
                    self.forget();
                    let message = format!(
                        "SageMaker could not find what the spec names (retrying every {} s): {}",
                        DEPENDENCY_RETRY.as_secs(),
                        sagemaker_message(self.last_error.as_ref())
                    );
                    run.report_failure(DEPENDENCY_NOT_FOUND, message).await?;
                    return Ok(Done::Action(Action::requeue(DEPENDENCY_RETRY)));
                }
                Step::ReportNotFound => {
                    self.forget();
                    let message = format!("{} {} does not exist in SageMaker", A::KIND, self.name);
                    return run
                        .report_failure("NotFoundInSageMaker", message)
                        .await
                        .map(Done::Action);
                }
                Step::Stop => match adapter.stop(self.sagemaker(), &self.name).await {
                    Ok(()) => {
                        let note = format!("Stopping {} {} in SageMaker", A::KIND, self.name);
                        run.event(EventType::Normal, "Stopping", note).await;
                        self.facts.answered(Answer::StopSent);
                    }
                    Err(error) => self.failed(Call::Stop, error),
                },
                Step::ShowStopping => {
                    // The poller follows it until it is terminal.
                    run.engine.registry.register(
                        &self.sagemaker().location,
                        &self.name,
                        key_of(run.object),
                    );
                    // Best effort: the delete goes on whether or not it is shown.
                    let mut stopping = run.status.recorded();
                    A::stopping(&mut stopping);
                    let _ = run.status.write(stopping).await;
                    return Ok(Done::Action(Action::requeue(STOPPING_REQUEUE)));
                }
                Step::Release => {
                    self.forget();
                    tracing::info!(
                        kind = A::KIND,
                        "nothing of this object runs in SageMaker, releasing it"
                    );
                    if !adapter.before_release(run.client(), run.object).await? {
                        return Ok(Done::Action(Action::requeue(RELEASE_POLL)));
                    }
                    return run.release().await.map(Done::Action);
                }
                Step::Retry => {
                    return Err(run.retry_last(self.last_error.take(), &self.name).await);
                }
            }
        }
    }

    /// The name is someone else's resource: report it, and free the name for an edit.
    async fn refuse_foreign(&self) -> Result<Action, EngineError> {
        let run = self.run;
        self.forget();
        let mut recorded = run.status.recorded();
        if takeover::status_written_by_original_operator(Some(&recorded)) {
            // The original's lastCheckTime would make the next reconcile take the resource for
            // an observed one of ours; without it the refusal stands.
            recorded.common_mut().last_check_time = None;
            run.status.write(recorded).await?;
        }
        release_creating_name(run).await?;
        let message = format!(
            "{} {} already exists in SageMaker and was not created for this object; set another name in the spec{}",
            A::KIND,
            self.name,
            A::SPEC_NAME_FIELD
                .map(|field| format!(" ({field})"))
                .unwrap_or_default(),
        );
        run.report_failure("NameOwnedByAnotherResource", message)
            .await
    }
}

/// Before the create: the name and spec it is sent under, unless already recorded. From here on
/// the name is fixed until SageMaker answers.
async fn pin_create<A: Adapter>(
    run: &JobRun<'_, A>,
    name: &str,
    spec_hash: &str,
) -> Result<(), kube::Error> {
    let annotations = run.object.annotations();
    if annotations
        .get(CREATED_SPEC_HASH_ANNOTATION)
        .map(String::as_str)
        == Some(spec_hash)
        && annotations
            .get(CREATING_NAME_ANNOTATION)
            .map(String::as_str)
            == Some(name)
    {
        return Ok(());
    }
    patch_metadata(
        run.client(),
        run.object,
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: spec_hash, CREATING_NAME_ANNOTATION: name } }),
    )
    .await
}

/// Nothing exists under the pinned name (SageMaker refused it, or it is someone else's): the
/// spec's name may be edited again, to get past a name clash.
async fn release_creating_name<A: Adapter>(run: &JobRun<'_, A>) -> Result<(), kube::Error> {
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

/// Maps the described resource to the status and conditions, with an Event per change, and
/// decides when to look again.
async fn mirror<A: Adapter>(
    run: &JobRun<'_, A>,
    remote_name: &str,
    remote: A::Remote,
    created_now: bool,
    current_hash: &str,
    covered: Option<jiff::Timestamp>,
) -> Result<Action, EngineError> {
    let object = run.object;
    let location = &run.handle.location;
    let observe_only = A::is_observe_only(object);
    let phase = A::phase(&remote);
    let status_text = A::status_text(&remote);
    let generation = object.meta().generation;
    let spec_changed = !observe_only
        && object
            .annotations()
            .get(CREATED_SPEC_HASH_ANNOTATION)
            .is_some_and(|created| created != current_hash);
    let out_of_sync_message = out_of_sync_message(A::KIND);
    let mut recorded = run.status.recorded();
    let mapped = A::status_from(object, &remote, location);
    let reason_message = mapped.common().additional.clone().unwrap_or_default();
    let desired = observed_status(
        &recorded,
        mapped,
        Observed {
            phase,
            status_text: &status_text,
            generation,
            spec_changed: spec_changed.then_some(out_of_sync_message.as_str()),
        },
    );
    let was_out_of_sync = recorded
        .common()
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == SPEC_OUT_OF_SYNC && c.status == "True");

    let previous = <Jobs<A> as Strategy>::state(&mut recorded).take();
    if created_now {
        // One Event for a new resource, not "Created" and then "none → InProgress".
        let note = format!(
            "Created {} {remote_name} in SageMaker (status {status_text})",
            A::KIND
        );
        run.event(EventType::Normal, "Created", note).await;
    } else if let Some((type_, note)) = crate::events::status_change(
        previous.as_deref(),
        &status_text,
        phase == Phase::Failed,
        &reason_message,
    ) {
        run.event(type_, &status_text, note).await;
    }
    if spec_changed && !was_out_of_sync {
        run.event(
            EventType::Warning,
            "SpecChangedAfterCreation",
            out_of_sync_message,
        )
        .await;
    } else if !spec_changed && was_out_of_sync {
        let note = "The spec matches the SageMaker job again".to_string();
        run.event(EventType::Normal, "SpecMatchesSageMaker", note)
            .await;
    }
    // Only real changes are written, lastCheckTime with them: a write that changes nothing
    // costs the apiserver a write and every watcher an event, N times over.
    run.status
        .write_stamped(desired, |desired| {
            desired.common_mut().last_check_time = Some(Time(k8s_openapi::jiff::Timestamp::now()));
        })
        .await?;
    if !observe_only {
        run.engine
            .strategy
            .0
            .after_observe(run.client(), &run.handle, object, &remote)
            .await?;
    }

    let registry = &run.engine.registry;
    let look_again = A::look_again_after(&remote);
    if phase.is_terminal() && look_again.is_none() {
        registry.forget(location, remote_name);
        return Ok(Action::await_change());
    }
    registry.record(
        key_of(object),
        Observation {
            generation,
            modified: A::last_modified(&remote),
            look_again_at: look_again.map(|after| Instant::now() + after),
        },
        covered,
    );
    // Otherwise the poller wakes the object when SageMaker reports a change.
    Ok(match look_again {
        Some(after) => Action::requeue(after),
        None => Action::await_change(),
    })
}
