//! HostingDeployment ↔ SageMaker models, endpoint configuration and endpoint.
//!
//! One reconcile looks at the endpoint once (DescribeEndpoint) and decides:
//! - missing → create the models and the endpoint config of the current spec generation, then
//!   the endpoint;
//! - in transition (Creating, Updating, …) → mirror the status and wait for the status poller;
//! - InService → settle what was in flight (success: it becomes the deployed state and what the
//!   endpoint no longer uses is deleted; failure: the reason is kept and that spec is not retried),
//!   then, if the spec differs from what is deployed, start an update: only weights or instance
//!   counts → UpdateEndpointWeightsAndCapacities, anything else → new models + config and
//!   UpdateEndpoint;
//! - Failed → keep it until the spec changes, then delete it so the corrected spec is created.
//!
//! What is deployed, in flight and failed is kept in one annotation (JSON), written after each
//! SageMaker call. All SageMaker names are deterministic (spec generation + UID), and when the
//! annotation does not explain what SageMaker runs (a crash between a call and the write) the
//! reconcile adopts what it finds, so nothing is created twice.
//!
//! The files: `decide` is the decision core (pure, table-tested: what to do given the spec,
//! what SageMaker reported and what the object recorded), `desired` what the spec asks for
//! (names, hashes, capacities), `record` the annotation; `rollout` carries out creates and
//! updates, `cleanup` deletions, `status` the status and the failures it reports, `ownership`
//! whose endpoint it is. This file is the entry: the controller, one reconcile's context, and
//! the steps every part shares.

mod cleanup;
mod decide;
mod desired;
mod ownership;
mod packages;
mod record;
mod rollout;
mod status;
mod tags;

use std::collections::BTreeMap;
use std::time::Duration;

use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use sagemaker_k8s_api::{
    HOSTING_STATE_ANNOTATION, HostingDeployment, HostingDeploymentStatus,
    SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
};
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;
use sagemaker_k8s_aws::hosting::validate_hosting_spec;
use sagemaker_k8s_aws::{ErrorKind, SageMakerError, SageMakerHandle};
use serde_json::json;

use crate::corrupt_record::CORRUPT_RECORD;
use crate::engine::controller::ControllerShared;
use crate::engine::references::{Resolution, Target, WAITING_FOR_REFERENCE, Waiting, resolve};
use crate::engine::{DeletionPolicy, EngineError, ErrorCategory, sagemaker_message};
use crate::engine::{Run, Strategy, Wake};
use crate::object_patch::patch_metadata;
use crate::status_patch::StatusWriter;
use crate::status_poller::ListModified;
use crate::takeover;
use decide::{Decision, decide};
use desired::{desired_deployment, endpoint_name, legacy_hashes};
use record::{Deployment, HostingState};
use status::with_endpoint_status;

const KIND: &str = "HostingDeployment";
type DeploymentStatus<'a> = StatusWriter<'a, HostingDeployment>;
/// Status while the operator itself creates, updates or deletes endpoint resources.
pub const RECONCILING_ENDPOINT: &str = "ReconcilingEndpoint";
/// How soon to look again after the operator started something in SageMaker.
const AFTER_ACTION: Duration = Duration::from_secs(1);
/// How often a Deleting endpoint is looked at (its disappearance is not in any List).
const ENDPOINT_DELETION_POLL: Duration = Duration::from_secs(2);

/// Lists endpoints for the status poller.
pub struct EndpointLister;

impl ListModified for EndpointLister {
    async fn list_modified_after(
        sagemaker: &SageMakerHandle,
        after: jiff::Timestamp,
    ) -> Result<Vec<(String, jiff::Timestamp)>, SageMakerError> {
        sagemaker.endpoints_modified_after(after).await
    }
}

/// The HostingDeployment strategy of the engine.
pub struct Deployments;

type DeploymentRun<'a> = Run<'a, Deployments>;

impl Strategy for Deployments {
    type Object = HostingDeployment;
    type Status = HostingDeploymentStatus;
    type Handle = SageMakerHandle;
    type Lister = EndpointLister;
    const KIND: &'static str = KIND;
    // The operator's own state annotation and status writes are what later steps read.
    const WAKE: Wake = Wake::OnEveryChange;
    const POLLED: bool = true;
    // STATUS is the endpoint's status: a spec that cannot be deployed does not stop a running
    // endpoint from serving (the Failed condition and `additional` say what went wrong).
    const FAILED_STATE: Option<&'static str> = None;

    fn state(status: &mut HostingDeploymentStatus) -> &mut Option<String> {
        &mut status.endpoint_status
    }

    fn locate(
        shared: &ControllerShared,
        object: &HostingDeployment,
    ) -> Result<SageMakerHandle, EndpointRefused> {
        let location = shared.clients.locate(
            &object.spec.region,
            object.spec.sage_maker_endpoint.as_deref(),
        )?;
        Ok(shared.clients.handle(&location))
    }

    fn referenced() -> &'static [&'static Target] {
        packages::REFERENCED
    }

    fn refers_to(object: &HostingDeployment, target: &Target, name: &str) -> bool {
        packages::references(object)
            .iter()
            .any(|reference| reference.target.kind == target.kind && reference.name == name)
    }

    fn may_have_created(object: &HostingDeployment) -> bool {
        !matches!(
            Deployments::recorded_state(object).as_deref(),
            None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER)
        )
    }

    async fn reconcile(run: &DeploymentRun<'_>) -> Result<Action, EngineError> {
        reconcile(run).await
    }

    async fn finalize(
        run: &DeploymentRun<'_>,
        policy: DeletionPolicy,
    ) -> Result<Action, EngineError> {
        // Deletion finds the endpoint by its deterministic name and the configs and models by
        // the object's UID in theirs, never by the record: an unreadable one loses nothing here.
        let state = HostingState::read(run.object).unwrap_or_else(|corrupt| {
            tracing::warn!(kind = KIND, %corrupt, "deleting by names instead");
            HostingState::default()
        });
        let reconciliation = Reconciliation::new(run, state);
        match policy {
            DeletionPolicy::Delete => reconciliation.finalize().await,
            DeletionPolicy::Retain => reconciliation.retain().await,
        }
    }
}

/// Why a step that creates or updates something stopped.
enum StepError {
    /// SageMaker refused the request; the same spec will not be sent again.
    Rejected(String),
    /// Worth retrying.
    Retry(EngineError),
}

/// The one retry rule ([`ErrorCategory::is_retryable`]): what a retry may get past is retried;
/// any other answer to a create or update is SageMaker refusing this spec.
impl From<SageMakerError> for StepError {
    fn from(error: SageMakerError) -> Self {
        if ErrorCategory::of(&error).is_retryable() {
            StepError::Retry(error.into())
        } else {
            StepError::Rejected(sagemaker_message(Some(&error)))
        }
    }
}

/// SageMaker refused a change because the endpoint is no longer InService ("Cannot update
/// in-progress endpoint"): a later look finds it settled.
fn left_in_service(error: &SageMakerError) -> bool {
    error.kind == ErrorKind::Validation && error.message().contains("in-progress")
}

impl From<kube::Error> for StepError {
    fn from(error: kube::Error) -> Self {
        StepError::Retry(error.into())
    }
}

/// One reconcile of one object.
struct Reconciliation<'a> {
    run: &'a DeploymentRun<'a>,
    endpoint_name: String,
    desired: Deployment,
    recorded: HostingState,
    state: HostingState,
    /// The spec's `modelPackageRef`s as resolved (`None`: it has none).
    references: Option<Resolution>,
    /// The ARN each referenced ModelPackage object resolved to, by object name.
    packages: BTreeMap<String, String>,
}

impl<'a> Reconciliation<'a> {
    fn new(run: &'a DeploymentRun<'a>, state: HostingState) -> Self {
        let desired = desired_deployment(run.object, &run.uid);
        Reconciliation {
            run,
            endpoint_name: endpoint_name(run.object),
            recorded: state.clone(),
            state: state.upgrade_hashes(&desired, &legacy_hashes(run.object)),
            desired,
            references: None,
            packages: BTreeMap::new(),
        }
    }

    /// Resolves the spec's `modelPackageRef`s; `Some`: one waits (nothing is created or
    /// updated until the watch on ModelPackages wakes the object).
    async fn resolve_packages(&mut self) -> Result<Option<Waiting>, EngineError> {
        let references = packages::references(self.run.object);
        if references.is_empty() {
            return Ok(None);
        }
        let namespace = self
            .run
            .object
            .metadata
            .namespace
            .clone()
            .unwrap_or_default();
        let resolution = resolve(self.client(), &namespace, &references).await?;
        self.packages = resolution.resolved.by_object_name(&references);
        let waiting = resolution.waiting.clone();
        self.references = Some(resolution);
        Ok(waiting)
    }

    /// Shows which package the deployment waits for (`ReferencesReady`, `additional`, one
    /// Event per wait); the endpoint, if any, keeps what it runs.
    async fn await_packages(&self, waiting: &Waiting) -> Result<Action, EngineError> {
        let mut status = self.run.status.recorded();
        let mut conditions = status.common.conditions.take().unwrap_or_default();
        let news = packages::show(
            &mut conditions,
            self.references.as_ref(),
            self.run.object.metadata.generation,
        );
        status.common.conditions = Some(conditions);
        status.common.additional = Some(waiting.message());
        if status.endpoint_status.is_none() {
            status.endpoint_status = Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER.to_string());
        }
        self.run.status.write(status).await?;
        if let Some(note) = news {
            self.event(EventType::Normal, WAITING_FOR_REFERENCE, note)
                .await;
        }
        Ok(Action::await_change())
    }
}

async fn reconcile(run: &DeploymentRun<'_>) -> Result<Action, EngineError> {
    let object = run.object;
    let ctx = run.engine;
    let state = match HostingState::read(object) {
        Ok(state) => state,
        Err(corrupt) => {
            return run
                .report_failure(CORRUPT_RECORD, corrupt.to_string())
                .await;
        }
    };
    let mut run = Reconciliation::new(run, state);
    tracing::Span::current().record("sagemaker_name", run.endpoint_name.as_str());
    ctx.registry.register(
        &run.sagemaker().location,
        &run.endpoint_name,
        ObjectRef::from_obj(object),
    );
    if let Err(error) = validate_hosting_spec(&object.spec) {
        return run.report_invalid_spec(error).await;
    }
    if let Some(waiting) = run.resolve_packages().await? {
        return run.await_packages(&waiting).await;
    }
    let remote = match run.sagemaker().describe_endpoint(&run.endpoint_name).await {
        Ok(remote) => Some(remote),
        Err(SageMakerError {
            kind: ErrorKind::NotFound,
            ..
        }) => None,
        Err(error) => return Err(run.retryable(error).await),
    };
    if let Some(remote) = &remote {
        // Nothing is decided about an endpoint before it is known to be this object's.
        if run.recorded == HostingState::default()
            && takeover::status_written_by_original_operator(object.status.as_ref())
            && let Some(action) = run.take_over(remote).await?
        {
            return Ok(action);
        }
        let never_observed = matches!(
            run.recorded_status().as_deref(),
            None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER)
        );
        if never_observed && !run.owns(&remote.arn).await? {
            return run.report_foreign_endpoint().await;
        }
    }
    match decide(&run.state, &run.desired, remote.as_ref()) {
        Decision::AwaitSpecChange => {
            // The status says why; a spec change brings the next try.
            run.write_status(None, Some(RECONCILING_ENDPOINT)).await?;
            Ok(Action::await_change())
        }
        Decision::Create => run.create().await,
        Decision::AwaitSageMaker(remote) => {
            // The poller brings the next change.
            run.write_status(Some(remote), None).await?;
            if remote.status == "Deleting" {
                // A deleted endpoint leaves ListEndpoints instead of changing in it, so the
                // poller never reports the end of Deleting: look again soon.
                return Ok(Action::requeue(ENDPOINT_DELETION_POLL));
            }
            Ok(Action::requeue(ctx.shared.in_progress_requeue))
        }
        Decision::InService(remote, decision) => run.on_in_service(remote, decision).await,
        Decision::Failed(remote, decision) => run.on_failed(remote, decision).await,
    }
}

impl Reconciliation<'_> {
    /// The SageMaker client for the object's location.
    fn sagemaker(&self) -> &SageMakerHandle {
        &self.run.handle
    }

    fn client(&self) -> &kube::Client {
        &self.run.engine.shared.client
    }

    /// The endpoint status as last written (by this reconcile, or before it).
    fn recorded_status(&self) -> Option<String> {
        self.run.status.recorded().endpoint_status
    }

    async fn event(&self, type_: EventType, reason: &str, note: String) {
        self.run.event(type_, reason, note).await;
    }

    async fn retryable(&self, error: SageMakerError) -> EngineError {
        self.run.retryable(error).await
    }

    /// Writes the state annotation if it changed.
    async fn save_state(&self) -> Result<(), kube::Error> {
        if self.state == self.recorded {
            return Ok(());
        }
        let text = serde_json::to_string(&self.state).expect("state serializes");
        patch_metadata(
            self.client(),
            self.run.object,
            json!({ "annotations": { HOSTING_STATE_ANNOTATION: text } }),
        )
        .await
    }

    async fn mark_reconciling(&self) -> Result<(), kube::Error> {
        if self.recorded_status().as_deref() == Some(RECONCILING_ENDPOINT) {
            return Ok(());
        }
        self.event(
            EventType::Normal,
            RECONCILING_ENDPOINT,
            format!(
                "SageMaker status {} → {RECONCILING_ENDPOINT}",
                self.recorded_status().as_deref().unwrap_or("none")
            ),
        )
        .await;
        self.run
            .status
            .write(with_endpoint_status(&self.run.status, RECONCILING_ENDPOINT))
            .await
            .map(|_| ())
    }

    fn shallow_clone(&self) -> Self {
        Reconciliation {
            run: self.run,
            endpoint_name: self.endpoint_name.clone(),
            desired: self.desired.clone(),
            recorded: self.recorded.clone(),
            state: self.state.clone(),
            references: self.references.clone(),
            packages: self.packages.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step SageMaker refused is not sent again for the same spec (the status says why); what
    /// the one retry rule retries is retried with backoff.
    #[test]
    fn which_failed_steps_are_retried() {
        let table = [
            (ErrorKind::Validation, false),
            (ErrorKind::NotFound, false),
            (ErrorKind::ResourceInUse, false),
            (ErrorKind::Throttled, true),
            (ErrorKind::QuotaExceeded, true),
            (ErrorKind::Transient, true),
            (ErrorKind::Credentials, true),
            (ErrorKind::Other, true),
        ];
        for (kind, retried) in table {
            let step = StepError::from(SageMakerError::new(kind, "x"));
            assert_eq!(matches!(step, StepError::Retry(_)), retried, "{kind:?}");
            if let StepError::Rejected(message) = step {
                assert_eq!(message, "x");
            }
        }
    }
}
