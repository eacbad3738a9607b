//! Carries out the decision core's steps (`decide.rs`) for Model and EndpointConfig: each step
//! is one call, its answer goes back into the facts, and the core says what comes next.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::core::object::HasStatus;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::{
    CREATED_SPEC_HASH_ANNOTATION, HasCommonStatus, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
};
use sagemaker_k8s_aws::SageMakerError;
use sagemaker_k8s_aws::hosting::ResourceDescription;
use serde_json::json;

use super::decide::{Answer, Call, Facts, Record, Remote, Step, next_step};
use super::{
    CREATED, CreateError, FAILED_STATUS, Standalone, StandaloneKind, StandaloneRun,
    recorded_conditions, recorded_name, sagemaker_name, spec_hash,
};
use crate::conditions::{
    DEPENDENCY_NOT_FOUND, DEPENDENCY_RETRY, FAILED, READY, RETRYING, failed_for_missing_dependency,
    remove_condition, set_condition,
};
use crate::engine::EngineError;
use crate::engine::ownership::{self, Ownership};
use crate::engine::{ErrorCategory, Strategy, sagemaker_message};
use crate::object_patch::patch_metadata;
use crate::takeover;

pub(super) async fn reconcile<S: StandaloneKind>(
    run: &StandaloneRun<'_, S>,
) -> Result<Action, EngineError> {
    let object = run.object;
    let current_hash = spec_hash::<S>(object);
    let created_hash = object.annotations().get(CREATED_SPEC_HASH_ANNOTATION);
    let recorded = Standalone::<S>::recorded_state(object);
    let created_from_current_spec = created_hash == Some(&current_hash);
    let record = Record {
        deleting: false,
        refused_this_spec: recorded.as_deref() == Some(FAILED_STATUS)
            && created_from_current_spec
            && !failed_for_missing_dependency(&recorded_conditions::<S>(object)),
        created_from_current_spec,
        takeover_candidate: created_hash.is_none()
            && takeover::status_written_by_original_operator(object.status()),
        never_observed: matches!(
            recorded.as_deref(),
            None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER) | Some(FAILED_STATUS)
        ),
    };
    Steps::new(run, record).until_done(&current_hash).await
}

/// Deletion: the resource goes (only when it is this object's), then the object.
pub(super) async fn finalize<S: StandaloneKind>(
    run: &StandaloneRun<'_, S>,
) -> Result<Action, EngineError> {
    let record = Record {
        deleting: true,
        ..Record::default()
    };
    Steps::new(run, record).until_done("").await
}

/// One run of the decision core's steps, and what the calls returned.
struct Steps<'r, 'a, S: StandaloneKind> {
    run: &'r StandaloneRun<'a, S>,
    name: String,
    facts: Facts,
    existing: Option<ResourceDescription>,
    last_error: Option<SageMakerError>,
    unsupported: String,
}

impl<'r, 'a, S: StandaloneKind> Steps<'r, 'a, S> {
    fn new(run: &'r StandaloneRun<'a, S>, record: Record) -> Self {
        let name = sagemaker_name::<S>(run.object, &run.uid);
        tracing::Span::current().record("sagemaker_name", name.as_str());
        Steps {
            run,
            name,
            facts: Facts::new(record),
            existing: None,
            last_error: None,
            unsupported: String::new(),
        }
    }

    fn failed(&mut self, call: Call, error: SageMakerError) {
        self.facts.call_failed(call, ErrorCategory::of(&error));
        self.last_error = Some(error);
    }

    fn arn(&self) -> &str {
        &self
            .existing
            .as_ref()
            .expect("the decision core checks and takes over only what it described")
            .arn
    }

    /// Whether the original operator's records prove the resource is this object's.
    fn recorded_by_original(&self) -> bool {
        let object = self.run.object;
        takeover::status_written_by_original_operator(object.status())
            && takeover::original_name_is_this_objects(
                recorded_name::<S>(object).as_deref(),
                None,
                &self.name,
                &self.run.uid,
            )
    }

    async fn until_done(&mut self, current_hash: &str) -> Result<Action, EngineError> {
        let run = self.run;
        let (object, sagemaker, uid) = (run.object, &run.handle, run.uid.as_str());
        let name = self.name.clone();
        loop {
            let step = next_step(&self.facts);
            tracing::debug!(?step, facts = ?self.facts, "next step");
            match step {
                Step::AwaitSpecChange => return Ok(Action::await_change()),
                Step::Describe => match S::describe(sagemaker, &name).await {
                    Ok(existing) => {
                        self.existing = Some(existing);
                        self.facts.answered(Answer::Exists);
                    }
                    Err(error) => self.failed(Call::Describe, error),
                },
                Step::CheckOwnership => {
                    let original = self.recorded_by_original();
                    match ownership::check(sagemaker, self.arn(), uid, original).await {
                        Ok((owner, _)) => self.facts.answered(Answer::Owner(owner)),
                        Err(error) => self.failed(Call::ListTags, error),
                    }
                }
                Step::TakeOver => {
                    let untagged = self.facts.remote
                        == (Remote::Exists {
                            ownership: Some(Ownership::TakeOver),
                        });
                    if untagged
                        && let Err(error) = ownership::take_over(sagemaker, self.arn(), uid).await
                    {
                        self.failed(Call::TakeOver, error);
                        continue;
                    }
                    record_created_spec(run, current_hash).await?;
                    tracing::info!(kind = S::KIND, "took over from the original operator");
                    let note = format!(
                        "Following {} {name}, which the original operator created",
                        S::KIND
                    );
                    run.event(EventType::Normal, "TakenOver", note).await;
                    self.facts.answered(Answer::TakenOver);
                }
                Step::RefuseForeign => {
                    let message = format!(
                        "{} {name} already exists in SageMaker and was not created for this object; rename the object",
                        S::KIND
                    );
                    return run
                        .report_failure("NameOwnedByAnotherResource", message)
                        .await;
                }
                Step::Replace | Step::Delete => match S::delete(sagemaker, &name).await {
                    Ok(()) => {
                        let (reason, note) = if step == Step::Replace {
                            tracing::info!(kind = S::KIND, "spec changed, deleted to replace");
                            let note = format!(
                                "The spec changed: replacing {} {name} in SageMaker",
                                S::KIND
                            );
                            ("Replacing", note)
                        } else {
                            tracing::info!(kind = S::KIND, "deleted in SageMaker");
                            (
                                "Deleted",
                                format!("Deleted {} {name} in SageMaker", S::KIND),
                            )
                        };
                        run.event(EventType::Normal, reason, note).await;
                        self.facts.answered(Answer::Deleted);
                    }
                    Err(error) => self.failed(Call::Delete, error),
                },
                Step::Create => {
                    // Record what is about to be created before creating it, so a crash in
                    // between adopts the result instead of replacing it.
                    if object
                        .annotations()
                        .get(CREATED_SPEC_HASH_ANNOTATION)
                        .map(String::as_str)
                        != Some(current_hash)
                    {
                        record_created_spec(run, current_hash).await?;
                    }
                    match S::create(sagemaker, object, &name, uid).await {
                        Ok(()) => {
                            tracing::info!(kind = S::KIND, "created in SageMaker");
                            let note = format!("Created {} {name} in SageMaker", S::KIND);
                            run.event(EventType::Normal, "Created", note).await;
                            self.facts.answered(Answer::Created);
                        }
                        Err(CreateError::Unsupported(message)) => {
                            self.unsupported = message;
                            self.facts.unsupported = true;
                        }
                        Err(CreateError::SageMaker(error)) => self.failed(Call::Create, error),
                    }
                }
                Step::Mirror => {
                    let existing = self.existing.take().expect("described");
                    write_created::<S>(run, &name, existing).await?;
                    return Ok(Action::await_change());
                }
                Step::ReportUnsupported => {
                    let message = std::mem::take(&mut self.unsupported);
                    return run.report_failure("UnsupportedSpec", message).await;
                }
                Step::ReportRejected => {
                    let message = format!(
                        "SageMaker rejected the request: {}",
                        sagemaker_message(self.last_error.as_ref())
                    );
                    return run.report_failure("CreateRejected", message).await;
                }
                Step::ReportMissingDependency => {
                    let message = format!(
                        "SageMaker could not find what the spec names (retrying every {} s): {}",
                        DEPENDENCY_RETRY.as_secs(),
                        sagemaker_message(self.last_error.as_ref())
                    );
                    run.report_failure(DEPENDENCY_NOT_FOUND, message).await?;
                    return Ok(Action::requeue(DEPENDENCY_RETRY));
                }
                Step::Release => return run.release().await,
                Step::Retry => {
                    return Err(run.retry_last(self.last_error.take(), &name).await);
                }
            }
        }
    }
}

/// Records the spec the resource is (to be) created from.
async fn record_created_spec<S: StandaloneKind>(
    run: &StandaloneRun<'_, S>,
    spec_hash: &str,
) -> Result<(), kube::Error> {
    patch_metadata(
        run.client(),
        run.object,
        json!({ "annotations": { CREATED_SPEC_HASH_ANNOTATION: spec_hash } }),
    )
    .await
}

/// The status of a resource that exists: `Created`, its name and ARN, Ready.
async fn write_created<S: StandaloneKind>(
    run: &StandaloneRun<'_, S>,
    name: &str,
    existing: ResourceDescription,
) -> Result<(), EngineError> {
    let generation = run.object.meta().generation;
    let mut created = run.status.recorded();
    let previous = S::status_fields(&mut created).status.clone();
    let mut conditions = created.common().conditions.clone().unwrap_or_default();
    remove_condition(&mut conditions, RETRYING);
    set_condition(
        &mut conditions,
        READY,
        true,
        CREATED,
        &format!("{} {name} exists in SageMaker", S::KIND),
        generation,
    );
    set_condition(&mut conditions, FAILED, false, CREATED, "", generation);
    let fields = S::status_fields(&mut created);
    *fields.status = Some(CREATED.to_string());
    *fields.sagemaker_name = Some(existing.name);
    *fields.arn = Some(existing.arn);
    fields.common.additional = None;
    fields.common.observed_generation = generation;
    fields.common.conditions = Some(conditions);
    if run.status.would_change(&created) && previous.as_deref() != Some(CREATED) {
        let note = format!(
            "Status {} → {CREATED}",
            previous.as_deref().unwrap_or("none")
        );
        run.event(EventType::Normal, CREATED, note).await;
    }
    run.status
        .write_stamped(created, |created| {
            let now = Some(Time(k8s_openapi::jiff::Timestamp::now()));
            let fields = S::status_fields(created);
            fields.common.last_check_time = now.clone();
            // The original operator's name for it; scripts written for it read this one.
            *fields.last_update_time = now;
        })
        .await?;
    Ok(())
}
