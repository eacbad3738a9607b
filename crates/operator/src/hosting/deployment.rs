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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::hosting_deployment::{
    DeployedImage, ProductionVariantSummary, VariantPropertyType,
};
use sagemaker_k8s_api::{
    HOSTING_STATE_ANNOTATION, HostingDeployment, HostingDeploymentStatus, KeyValuePair,
    SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
};
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;
use sagemaker_k8s_aws::hosting::{
    EndpointDescription, HostingSpecError, VariantCapacity, VariantDescription,
    hosting_endpoint_config_request, hosting_model_request, sagemaker_weight,
    validate_hosting_spec,
};
use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{HostingContext, HostingError};
use crate::conditions::{
    ENDPOINT_NOT_ALLOWED, FAILED, READY, RETRYING, remove_condition, set_condition,
};
use crate::naming::{MAX_NAME_LEN, derived_name, uid_hex, versioned_name};
use crate::object_plumbing::{self, has_finalizer};
use crate::status_patch::StatusWriter;
use crate::status_poller::{ListModified, Registry};
use crate::takeover;

const KIND: &str = "HostingDeployment";
type DeploymentStatus<'a> = StatusWriter<'a, HostingDeployment>;
/// Status while the operator itself creates, updates or deletes endpoint resources.
pub const RECONCILING_ENDPOINT: &str = "ReconcilingEndpoint";
/// How soon to look again after the operator started something in SageMaker.
const AFTER_ACTION: Duration = Duration::from_secs(1);
/// How often a Deleting endpoint is looked at (its disappearance is not in any List).
const ENDPOINT_DELETION_POLL: Duration = Duration::from_secs(2);

/// One spec generation as deployed (or being deployed) to SageMaker.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub generation: i64,
    /// Hash of everything in the spec that reaches SageMaker.
    pub spec_hash: String,
    /// The same without variant weights and instance counts: equal shape hashes mean
    /// UpdateEndpointWeightsAndCapacities can take the endpoint from one to the other.
    pub shape_hash: String,
    pub endpoint_config_name: String,
    #[serde(default)]
    pub model_names: Vec<KeyValuePair>,
}

/// An endpoint create or update the operator started and has not seen finish.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InFlight {
    #[serde(flatten)]
    pub deployment: Deployment,
    /// Sent as UpdateEndpointWeightsAndCapacities: the endpoint config stays the same.
    #[serde(default)]
    pub weights_only: bool,
    /// What that call asked for, to tell success from a rollback.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacities: Vec<RecordedCapacity>,
}

/// A variant's weight and instance count as sent with UpdateEndpointWeightsAndCapacities.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecordedCapacity {
    pub variant_name: String,
    pub weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<i32>,
}

/// A spec that SageMaker rejected or could not deploy; it is not retried until the spec changes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailedDeployment {
    pub generation: i64,
    pub spec_hash: String,
    pub reason: String,
}

/// The operator's record of a HostingDeployment, kept in [`HOSTING_STATE_ANNOTATION`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct HostingState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed: Option<Deployment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<InFlight>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<FailedDeployment>,
}

impl HostingState {
    fn read(object: &HostingDeployment) -> HostingState {
        object
            .annotations()
            .get(HOSTING_STATE_ANNOTATION)
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }

    fn failed_for(&self, spec_hash: &str) -> Option<&FailedDeployment> {
        self.failed
            .as_ref()
            .filter(|failed| failed.spec_hash == spec_hash)
    }
}

/// The SageMaker endpoint name: `spec.endpointName`, or `<name>-<uid hex>` within 63. A derived
/// name recorded in the status stays: the original operator cut long object names slightly
/// differently (it kept a hyphen at the cut), and its endpoints keep their names when taken over.
pub fn endpoint_name(object: &HostingDeployment) -> String {
    let uid = object.metadata.uid.as_deref().unwrap_or_default();
    match object
        .spec
        .endpoint_name
        .as_ref()
        .filter(|name| !name.is_empty())
    {
        Some(name) => name.clone(),
        None => match object
            .status
            .as_ref()
            .and_then(|status| status.endpoint_name.as_ref())
        {
            Some(recorded) if !uid.is_empty() && recorded.contains(&uid_hex(uid)) => {
                recorded.clone()
            }
            _ => derived_name(&object.name_any(), uid, MAX_NAME_LEN),
        },
    }
}

/// `https://runtime.sagemaker.<region>.amazonaws.com/endpoints/<endpoint>/invocations`.
pub fn endpoint_url(region: &str, endpoint: &str) -> String {
    format!("https://runtime.sagemaker.{region}.amazonaws.com/endpoints/{endpoint}/invocations")
}

/// The deployment the current spec asks for.
pub fn desired_deployment(object: &HostingDeployment, uid: &str) -> Deployment {
    let generation = object.metadata.generation.unwrap_or(1);
    let mut spec = serde_json::to_value(&object.spec).expect("specs serialize to JSON");
    if let Value::Object(map) = &mut spec {
        // Where the endpoint lives and what it is called are not part of what it serves.
        for field in ["region", "sageMakerEndpoint", "endpointName"] {
            map.remove(field);
        }
    }
    let spec_hash = object_plumbing::json_hash(&spec);
    if let Some(variants) = spec
        .get_mut("productionVariants")
        .and_then(Value::as_array_mut)
    {
        for variant in variants.iter_mut().filter_map(Value::as_object_mut) {
            variant.remove("initialInstanceCount");
            variant.remove("initialVariantWeight");
        }
    }
    let shape_hash = object_plumbing::json_hash(&spec);
    Deployment {
        generation,
        spec_hash,
        shape_hash,
        endpoint_config_name: versioned_name(&object.name_any(), generation, uid),
        model_names: object
            .spec
            .models
            .iter()
            .map(|model| {
                KeyValuePair::new(&model.name, versioned_name(&model.name, generation, uid))
            })
            .collect(),
    }
}

/// Whether the endpoint now runs what `in_flight` asked for.
fn in_flight_succeeded(in_flight: &InFlight, remote: &EndpointDescription) -> bool {
    if !in_flight.weights_only {
        return remote.config_name == in_flight.deployment.endpoint_config_name;
    }
    in_flight.capacities.iter().all(|wanted| {
        remote.variants.iter().any(|variant| {
            variant.name == wanted.variant_name
                && variant
                    .current_weight
                    .is_none_or(|weight| (weight - sagemaker_weight(wanted.weight)).abs() < 1e-6)
                && wanted
                    .instance_count
                    .is_none_or(|count| variant.current_instance_count == Some(i64::from(count)))
        })
    })
}

/// Every variant's weight and instance count as the spec gives them (SageMaker's defaults: 1.0
/// and 1).
fn capacities(object: &HostingDeployment) -> Vec<VariantCapacity> {
    object
        .spec
        .production_variants
        .iter()
        .map(|variant| VariantCapacity {
            variant_name: variant.variant_name.clone(),
            weight: variant.initial_variant_weight.unwrap_or(1.0),
            instance_count: if variant.serverless_config.is_some() {
                None
            } else {
                Some(variant.initial_instance_count.unwrap_or(1))
            },
        })
        .collect()
}

/// What a weights-and-capacities update sends when the spec retains the running variant
/// properties (`retainAllVariantProperties`, as UpdateEndpoint would): the instance count is
/// left to the endpoint — it may have been scaled by a HostingAutoscalingPolicy — unless
/// `excludeRetainedVariantProperties` lists `DesiredInstanceCount`. Weights are what the edit
/// changes, so they are always sent.
fn retained_capacities(
    spec: &sagemaker_k8s_api::HostingDeploymentSpec,
    capacities: Vec<VariantCapacity>,
) -> Vec<VariantCapacity> {
    let excluded = spec
        .exclude_retained_variant_properties
        .iter()
        .flatten()
        .any(|property| {
            property.variant_property_type == VariantPropertyType::DesiredInstanceCount
        });
    if spec.retain_all_variant_properties != Some(true) || excluded {
        return capacities;
    }
    capacities
        .into_iter()
        .map(|capacity| VariantCapacity {
            instance_count: None,
            ..capacity
        })
        .collect()
}

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

/// The HostingDeployment controller's state.
pub struct DeploymentContext {
    pub shared: HostingContext,
    pub registry: Arc<Registry<HostingDeployment>>,
}

/// Runs the HostingDeployment controller until shutdown.
pub async fn run(ctx: Arc<DeploymentContext>, namespace: Option<String>) {
    let api: Api<HostingDeployment> = match &namespace {
        Some(namespace) => Api::namespaced(ctx.shared.client.clone(), namespace),
        None => Api::all(ctx.shared.client.clone()),
    };
    let changed = crate::status_poller::spawn::<HostingDeployment, EndpointLister>(
        ctx.registry.clone(),
        ctx.shared.clients.clone(),
        ctx.shared.poll_interval,
        KIND,
    );
    let changed = futures::stream::unfold(changed, |mut receiver| async move {
        receiver.recv().await.map(|object| (object, receiver))
    });
    let controller =
        crate::controller_run::trimmed_cache_controller(api, ctx.shared.max_concurrent_reconciles)
            .reconcile_on(changed);
    crate::controller_run::drive(
        KIND,
        ctx.shared.backoff.clone(),
        controller,
        endpoint_status_of,
        reconcile,
        error_policy,
        ctx,
    )
    .await;
}

fn endpoint_status_of(object: &HostingDeployment) -> Option<String> {
    object
        .status
        .as_ref()
        .and_then(|status| status.endpoint_status.clone())
}

fn error_policy(
    object: Arc<HostingDeployment>,
    error: &HostingError,
    ctx: Arc<DeploymentContext>,
) -> Action {
    crate::controller_run::retry_after_error(KIND, &ctx.shared.backoff, object.as_ref(), error)
}

/// Why a step that creates or updates something stopped.
enum StepError {
    /// SageMaker refused the request; the same spec will not be sent again.
    Rejected(String),
    /// Worth retrying.
    Retry(HostingError),
}

impl From<SageMakerError> for StepError {
    fn from(error: SageMakerError) -> Self {
        match error {
            SageMakerError::Validation(message) | SageMakerError::NotFound(message) => {
                StepError::Rejected(message)
            }
            other => StepError::Retry(other.into()),
        }
    }
}

impl From<kube::Error> for StepError {
    fn from(error: kube::Error) -> Self {
        StepError::Retry(error.into())
    }
}

/// One reconcile of one object.
struct Reconciliation<'a> {
    ctx: &'a DeploymentContext,
    object: &'a HostingDeployment,
    status: &'a DeploymentStatus<'a>,
    sagemaker: SageMakerHandle,
    uid: String,
    endpoint_name: String,
    desired: Deployment,
    recorded: HostingState,
    state: HostingState,
}

async fn reconcile(
    object: Arc<HostingDeployment>,
    ctx: Arc<DeploymentContext>,
) -> Result<Action, HostingError> {
    let object = object.as_ref();
    let status = StatusWriter::new(&ctx.shared.client, object);
    let uid = object
        .meta()
        .uid
        .clone()
        .ok_or(HostingError::MissingMetadata("uid"))?;
    let location = match ctx.shared.clients.locate(
        &object.spec.region,
        object.spec.sage_maker_endpoint.as_deref(),
    ) {
        Ok(location) => location,
        Err(refused) => return refuse_endpoint(&status, &ctx, refused).await,
    };
    let state = HostingState::read(object);
    let mut run = Reconciliation {
        ctx: &ctx,
        object,
        status: &status,
        sagemaker: ctx.shared.clients.handle(&location),
        desired: desired_deployment(object, &uid),
        endpoint_name: endpoint_name(object),
        uid,
        recorded: state.clone(),
        state,
    };
    if object.meta().deletion_timestamp.is_some() {
        return run.finalize().await;
    }
    if !has_finalizer(object) {
        object_plumbing::add_finalizer(&ctx.shared.client, object, json!({})).await?;
        if object
            .status
            .as_ref()
            .and_then(|status| status.endpoint_status.as_ref())
            .is_none()
        {
            // The endpoint's name appears in the status once the endpoint exists.
            status
                .write(with_endpoint_status(
                    &status,
                    SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER,
                ))
                .await?;
        }
        // The patch produces a watch event that brings the updated object back.
        return Ok(Action::await_change());
    }
    ctx.registry
        .register(&location, &run.endpoint_name, ObjectRef::from_obj(object));
    if let Err(error) = validate_hosting_spec(&object.spec) {
        return run.report_invalid_spec(error).await;
    }
    let remote = match run.sagemaker.describe_endpoint(&run.endpoint_name).await {
        Ok(remote) => Some(remote),
        Err(SageMakerError::NotFound(_)) => None,
        Err(error) => return Err(run.retryable(error).await),
    };
    let Some(remote) = remote else {
        return run.on_missing().await;
    };
    if run.recorded == HostingState::default()
        && takeover::status_written_by_original_operator(object.status.as_ref())
        && let Some(action) = run.take_over(&remote).await?
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
    match remote.status.as_str() {
        "InService" => run.on_in_service(&remote).await,
        "Failed" => run.on_failed(&remote).await,
        _ => {
            // Creating, Updating, SystemUpdating, RollingBack, Deleting, OutOfService: SageMaker
            // is busy; the poller brings the next change.
            run.write_status(Some(&remote), None).await?;
            if remote.status == "Deleting" {
                // A deleted endpoint leaves ListEndpoints instead of changing in it, so the
                // poller never reports the end of Deleting: look again soon.
                return Ok(Action::requeue(ENDPOINT_DELETION_POLL));
            }
            Ok(Action::requeue(ctx.shared.in_progress_requeue))
        }
    }
}

/// Whether SageMaker takes a DeleteEndpoint in this status; in the others (Creating, Updating,
/// SystemUpdating, RollingBack, Deleting) it lets the transition finish first.
/// `UpdateRollbackFailed` (an update and its rollback both failed: the endpoint serves a mix of
/// configurations) accepts only a delete, so it must be here or the object would never go.
fn accepts_delete(status: &str) -> bool {
    matches!(
        status,
        "InService" | "Failed" | "OutOfService" | "UpdateRollbackFailed"
    )
}

/// `spec.sageMakerEndpoint` is refused by the operator's endpoint policy: nothing is sent there.
/// A deleted object that never had an endpoint there is let go; one that had (the policy changed
/// since) keeps its finalizer, so the endpoint is not orphaned, and the status says why.
async fn refuse_endpoint(
    status: &DeploymentStatus<'_>,
    ctx: &DeploymentContext,
    refused: EndpointRefused,
) -> Result<Action, HostingError> {
    let object = status.object();
    let never_observed = matches!(
        endpoint_status_of(object).as_deref(),
        None | Some(SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER)
    );
    if object.meta().deletion_timestamp.is_some() && never_observed {
        if has_finalizer(object) {
            object_plumbing::remove_finalizer(&ctx.shared.client, object).await?;
        }
        return Ok(Action::await_change());
    }
    report_failure(ctx, status, ENDPOINT_NOT_ALLOWED, refused.to_string()).await
}

/// Records a failure that retrying the same spec will not fix (an endpoint the policy refuses,
/// an invalid spec, a name someone else's endpoint has): `Failed`, not `Ready`, the message in
/// `additional`, and a Warning Event when the message is new.
async fn report_failure(
    ctx: &DeploymentContext,
    status: &DeploymentStatus<'_>,
    reason: &str,
    message: String,
) -> Result<Action, HostingError> {
    let object = status.object();
    let generation = object.meta().generation;
    let mut failed = status.recorded();
    let mut conditions = failed.common.conditions.clone().unwrap_or_default();
    set_condition(&mut conditions, FAILED, true, reason, &message, generation);
    set_condition(&mut conditions, READY, false, reason, &message, generation);
    if failed.common.additional.as_deref() != Some(message.as_str()) {
        object_plumbing::publish_event(
            &ctx.shared.recorder,
            KIND,
            object,
            EventType::Warning,
            reason,
            message.clone(),
        )
        .await;
    }
    failed.common.additional = Some(message);
    failed.common.observed_generation = generation;
    failed.common.conditions = Some(conditions);
    status.write(failed).await?;
    Ok(Action::await_change())
}

/// The recorded status with another endpoint status, other fields unchanged.
fn with_endpoint_status(
    status: &DeploymentStatus<'_>,
    endpoint_status: &str,
) -> HostingDeploymentStatus {
    HostingDeploymentStatus {
        endpoint_status: Some(endpoint_status.to_string()),
        ..status.recorded()
    }
}

/// A production variant as the status shows it.
fn variant_summary(variant: &VariantDescription) -> ProductionVariantSummary {
    ProductionVariantSummary {
        variant_name: Some(variant.name.clone()),
        deployed_images: Some(
            variant
                .deployed_images
                .iter()
                .map(|image| DeployedImage {
                    specified_image: image.specified_image.clone(),
                    resolved_image: image.resolved_image.clone(),
                    resolution_time: image.resolution_time.map(Time),
                })
                .collect(),
        ),
        current_weight: variant.current_weight,
        desired_weight: variant.desired_weight,
        current_instance_count: variant.current_instance_count,
        desired_instance_count: variant.desired_instance_count,
    }
}

impl Reconciliation<'_> {
    fn client(&self) -> &kube::Client {
        &self.ctx.shared.client
    }

    /// The endpoint status as last written (by this reconcile, or before it).
    fn recorded_status(&self) -> Option<String> {
        self.status.recorded().endpoint_status
    }

    async fn event(&self, type_: EventType, reason: &str, note: String) {
        object_plumbing::publish_event(
            &self.ctx.shared.recorder,
            KIND,
            self.object,
            type_,
            reason,
            note,
        )
        .await;
    }

    async fn retryable(&self, error: SageMakerError) -> HostingError {
        object_plumbing::record_retryable_error(
            self.client(),
            &self.ctx.shared.recorder,
            KIND,
            self.object,
            &error,
        )
        .await;
        error.into()
    }

    async fn owns(&self, arn: &str) -> Result<bool, HostingError> {
        Ok(self.sagemaker.owner_uid_of(arn).await?.as_deref() == Some(self.uid.as_str()))
    }

    /// Writes the state annotation if it changed.
    async fn save_state(&self) -> Result<(), kube::Error> {
        if self.state == self.recorded {
            return Ok(());
        }
        let text = serde_json::to_string(&self.state).expect("state serializes");
        object_plumbing::patch_metadata(
            self.client(),
            self.object,
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
        self.status
            .write(with_endpoint_status(self.status, RECONCILING_ENDPOINT))
            .await
            .map(|_| ())
    }

    // ---- the endpoint does not exist ------------------------------------------------------

    async fn on_missing(&mut self) -> Result<Action, HostingError> {
        if self.state.failed_for(&self.desired.spec_hash).is_some() {
            // This spec was rejected; the status says why. A spec change brings the next try.
            self.write_status(None, Some(RECONCILING_ENDPOINT)).await?;
            return Ok(Action::await_change());
        }
        self.mark_reconciling().await?;
        let created = self.create_endpoint().await;
        // Whatever happened, the endpoint that was deployed before (if any) is gone.
        self.state.deployed = None;
        match created {
            Ok(()) => {
                self.state.in_flight = Some(InFlight {
                    deployment: self.desired.clone(),
                    weights_only: false,
                    capacities: Vec::new(),
                });
                self.state.failed = None;
                self.save_state().await?;
                Ok(Action::requeue(AFTER_ACTION))
            }
            Err(StepError::Rejected(message)) => self.reject("CreateRejected", message, None).await,
            Err(StepError::Retry(error)) => {
                self.save_state().await?;
                Err(error)
            }
        }
    }

    async fn create_endpoint(&self) -> Result<(), StepError> {
        self.ensure_models_and_config().await?;
        let tags = self.object.spec.tags.as_deref().unwrap_or_default();
        match self
            .sagemaker
            .create_endpoint(
                &self.endpoint_name,
                &self.desired.endpoint_config_name,
                tags,
                &self.uid,
            )
            .await
        {
            Ok(_arn) => {
                tracing::info!(kind = KIND, endpoint = %self.endpoint_name, config = %self.desired.endpoint_config_name, "endpoint created");
                self.event(
                    EventType::Normal,
                    "Created",
                    format!(
                        "Creating endpoint {} with endpoint config {} (generation {})",
                        self.endpoint_name,
                        self.desired.endpoint_config_name,
                        self.desired.generation
                    ),
                )
                .await;
                Ok(())
            }
            Err(SageMakerError::ResourceInUse(_)) => {
                let remote = self
                    .sagemaker
                    .describe_endpoint(&self.endpoint_name)
                    .await?;
                if self.owns(&remote.arn).await.map_err(StepError::Retry)? {
                    Ok(())
                } else {
                    Err(StepError::Rejected(self.foreign_message()))
                }
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Creates the models and the endpoint config of the desired generation; what exists and
    /// carries this object's ownership tag is adopted.
    async fn ensure_models_and_config(&self) -> Result<(), StepError> {
        let mut model_names = BTreeMap::new();
        for (index, pair) in self.desired.model_names.iter().enumerate() {
            let request = hosting_model_request(&self.object.spec, index, &pair.value, &self.uid)
                .map_err(|error| StepError::Rejected(error.to_string()))?;
            match self.sagemaker.create_model(request).await {
                Ok(_) => tracing::info!(kind = KIND, model = %pair.value, "model created"),
                Err(SageMakerError::ResourceInUse(_)) => {
                    let existing = self.sagemaker.describe_model(&pair.value).await?;
                    if !self.owns(&existing.arn).await.map_err(StepError::Retry)? {
                        return Err(StepError::Rejected(format!(
                            "model {} already exists in SageMaker and was not created for this object",
                            pair.value
                        )));
                    }
                }
                Err(error) => return Err(error.into()),
            }
            model_names.insert(pair.name.clone(), pair.value.clone());
        }
        let config = &self.desired.endpoint_config_name;
        let request =
            hosting_endpoint_config_request(&self.object.spec, config, &model_names, &self.uid);
        match self.sagemaker.create_endpoint_config(request).await {
            Ok(_) => {
                tracing::info!(kind = KIND, endpoint_config = %config, "endpoint config created")
            }
            Err(SageMakerError::ResourceInUse(_)) => {
                let existing = self.sagemaker.describe_endpoint_config(config).await?;
                if !self.owns(&existing.arn).await.map_err(StepError::Retry)? {
                    return Err(StepError::Rejected(format!(
                        "endpoint config {config} already exists in SageMaker and was not created for this object"
                    )));
                }
            }
            Err(error) => return Err(error.into()),
        }
        Ok(())
    }

    // ---- the endpoint is InService ---------------------------------------------------------

    async fn on_in_service(
        &mut self,
        remote: &EndpointDescription,
    ) -> Result<Action, HostingError> {
        let mut settled = false;
        if let Some(in_flight) = self.state.in_flight.take() {
            settled = true;
            if in_flight_succeeded(&in_flight, remote) {
                self.event(
                    EventType::Normal,
                    "Deployed",
                    format!(
                        "Endpoint {} is InService with generation {} (endpoint config {})",
                        self.endpoint_name, in_flight.deployment.generation, remote.config_name
                    ),
                )
                .await;
                self.state.deployed = Some(in_flight.deployment);
                self.state.failed = None;
            } else {
                let reason = remote.failure_reason.clone().unwrap_or_else(|| {
                    format!(
                        "the endpoint returned to endpoint config {}",
                        remote.config_name
                    )
                });
                self.event(
                    EventType::Warning,
                    "UpdateFailed",
                    format!("Generation {} could not be deployed, the endpoint stays on endpoint config {}: {reason}", in_flight.deployment.generation, remote.config_name),
                )
                .await;
                self.state.failed = Some(FailedDeployment {
                    generation: in_flight.deployment.generation,
                    spec_hash: in_flight.deployment.spec_hash,
                    reason,
                });
            }
        }
        if self
            .state
            .deployed
            .as_ref()
            .is_none_or(|deployed| deployed.endpoint_config_name != remote.config_name)
        {
            // The record does not say what runs (a crash between a call and the record): adopt
            // it. It is the current spec if it is the current generation's config.
            settled = true;
            self.state.deployed =
                Some(if remote.config_name == self.desired.endpoint_config_name {
                    self.desired.clone()
                } else {
                    Deployment {
                        endpoint_config_name: remote.config_name.clone(),
                        ..Deployment::default()
                    }
                });
        }
        let deployed = self.state.deployed.clone().expect("set above");
        let mut started = false;
        if deployed.spec_hash == self.desired.spec_hash {
            // Reverting to what runs is not a redeploy; it clears an earlier failure.
            self.state.failed = None;
        } else if self.state.failed_for(&self.desired.spec_hash).is_none() {
            self.mark_reconciling().await?;
            match self.start_update(&deployed).await {
                Ok(in_flight) => {
                    self.state.in_flight = Some(in_flight);
                    started = true;
                }
                Err(StepError::Rejected(message)) => {
                    self.save_state().await?;
                    return self.reject("UpdateRejected", message, Some(remote)).await;
                }
                Err(StepError::Retry(error)) => {
                    self.save_state().await?;
                    return Err(error);
                }
            }
        }
        self.save_state().await?;
        if settled {
            self.delete_unused(Some(remote)).await?;
        }
        if started {
            return Ok(Action::requeue(AFTER_ACTION));
        }
        self.write_status(Some(remote), None).await?;
        Ok(Action::await_change())
    }

    /// Starts taking the endpoint from `deployed` to the desired spec.
    async fn start_update(&self, deployed: &Deployment) -> Result<InFlight, StepError> {
        let in_progress = |error: SageMakerError| match error {
            // The endpoint left InService since it was described: look again later.
            SageMakerError::Validation(message) if message.contains("in-progress") => {
                StepError::Retry(SageMakerError::Validation(message).into())
            }
            other => other.into(),
        };
        if deployed.shape_hash == self.desired.shape_hash {
            let capacities = retained_capacities(&self.object.spec, capacities(self.object));
            self.sagemaker
                .update_endpoint_weights_and_capacities(&self.endpoint_name, &capacities)
                .await
                .map_err(in_progress)?;
            self.event(
                EventType::Normal,
                "Updating",
                format!(
                    "Updating variant weights and instance counts of endpoint {} to generation {}",
                    self.endpoint_name, self.desired.generation
                ),
            )
            .await;
            let deployment = Deployment {
                endpoint_config_name: deployed.endpoint_config_name.clone(),
                model_names: deployed.model_names.clone(),
                ..self.desired.clone()
            };
            let capacities = capacities
                .into_iter()
                .map(|capacity| RecordedCapacity {
                    variant_name: capacity.variant_name,
                    weight: capacity.weight,
                    instance_count: capacity.instance_count,
                })
                .collect();
            return Ok(InFlight {
                deployment,
                weights_only: true,
                capacities,
            });
        }
        self.ensure_models_and_config().await?;
        let spec = &self.object.spec;
        let excluded: Vec<_> = spec
            .exclude_retained_variant_properties
            .iter()
            .flatten()
            .map(|property| property.variant_property_type)
            .collect();
        self.sagemaker
            .update_endpoint(
                &self.endpoint_name,
                &self.desired.endpoint_config_name,
                spec.retain_all_variant_properties,
                &excluded,
            )
            .await
            .map_err(in_progress)?;
        self.event(
            EventType::Normal,
            "Updating",
            format!(
                "Updating endpoint {} to endpoint config {} (generation {})",
                self.endpoint_name, self.desired.endpoint_config_name, self.desired.generation
            ),
        )
        .await;
        Ok(InFlight {
            deployment: self.desired.clone(),
            weights_only: false,
            capacities: Vec::new(),
        })
    }

    // ---- the endpoint is Failed ------------------------------------------------------------

    async fn on_failed(&mut self, remote: &EndpointDescription) -> Result<Action, HostingError> {
        let reason = remote
            .failure_reason
            .clone()
            .unwrap_or_else(|| "the endpoint failed".to_string());
        if let Some(in_flight) = self.state.in_flight.take() {
            self.state.failed = Some(FailedDeployment {
                generation: in_flight.deployment.generation,
                spec_hash: in_flight.deployment.spec_hash,
                reason: reason.clone(),
            });
        } else if self.state.failed.is_none() {
            // Not recorded (crash): it failed with the current spec if it runs this
            // generation's config.
            let spec_hash = if remote.config_name == self.desired.endpoint_config_name {
                self.desired.spec_hash.clone()
            } else {
                String::new()
            };
            self.state.failed = Some(FailedDeployment {
                generation: 0,
                spec_hash,
                reason,
            });
        }
        self.state.deployed = None;
        if self.state.failed_for(&self.desired.spec_hash).is_some() {
            self.save_state().await?;
            self.write_status(Some(remote), None).await?;
            return Ok(Action::await_change());
        }
        // A failed endpoint can only be deleted: make room for the corrected spec.
        self.mark_reconciling().await?;
        match self.sagemaker.delete_endpoint(&self.endpoint_name).await {
            Ok(()) | Err(SageMakerError::NotFound(_)) => {}
            Err(error) => {
                self.save_state().await?;
                return Err(self.retryable(error).await);
            }
        }
        self.event(
            EventType::Normal,
            "Recreating",
            format!(
                "Deleting failed endpoint {} to create it from generation {}",
                self.endpoint_name, self.desired.generation
            ),
        )
        .await;
        self.save_state().await?;
        Ok(Action::requeue(AFTER_ACTION))
    }

    // ---- clean-up and deletion ---------------------------------------------------------------

    /// Deletes this object's endpoint configs and models that neither the endpoint nor an
    /// in-flight update uses. Found by the UID in their names, so resources left by a crash or
    /// by an edit superseded before it was applied go too.
    async fn delete_unused(
        &self,
        remote: Option<&EndpointDescription>,
    ) -> Result<(), HostingError> {
        let mut keep_configs: Vec<String> = Vec::new();
        if let Some(remote) = remote {
            keep_configs.push(remote.config_name.clone());
        }
        if let Some(in_flight) = &self.state.in_flight {
            keep_configs.push(in_flight.deployment.endpoint_config_name.clone());
        }
        let mut keep_models: Vec<String> = Vec::new();
        for config in &keep_configs {
            match self.sagemaker.describe_endpoint_config(config).await {
                Ok(described) => keep_models.extend(described.model_names),
                Err(SageMakerError::NotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(in_flight) = &self.state.in_flight {
            keep_models.extend(
                in_flight
                    .deployment
                    .model_names
                    .iter()
                    .map(|pair| pair.value.clone()),
            );
        }
        let fragment = uid_hex(&self.uid);
        for config in self
            .sagemaker
            .endpoint_config_names_containing(&fragment)
            .await?
        {
            if !keep_configs.contains(&config) {
                match self.sagemaker.delete_endpoint_config(&config).await {
                    Ok(()) | Err(SageMakerError::NotFound(_)) => {
                        tracing::info!(kind = KIND, endpoint_config = %config, "endpoint config deleted")
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        for model in self.sagemaker.model_names_containing(&fragment).await? {
            if !keep_models.contains(&model) {
                match self.sagemaker.delete_model(&model).await {
                    Ok(()) | Err(SageMakerError::NotFound(_)) => {
                        tracing::info!(kind = KIND, model = %model, "model deleted")
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        Ok(())
    }

    /// Deletion: the endpoint (waiting through Deleting), then configs and models, then the
    /// finalizer. Any failed call keeps the finalizer, so nothing is left in SageMaker.
    async fn finalize(&self) -> Result<Action, HostingError> {
        if !has_finalizer(self.object) {
            return Ok(Action::await_change());
        }
        let location = self.sagemaker.location.clone();
        match self.sagemaker.describe_endpoint(&self.endpoint_name).await {
            Ok(remote) => {
                self.ctx.registry.register(
                    &location,
                    &self.endpoint_name,
                    ObjectRef::from_obj(self.object),
                );
                let settled = accepts_delete(&remote.status);
                if settled && !self.owns_or_original_recorded(&remote.arn).await? {
                    // Someone else's endpoint (a name clash reported earlier): never delete it.
                    return self.finish_deletion().await;
                }
                if settled {
                    match self.sagemaker.delete_endpoint(&self.endpoint_name).await {
                        Ok(()) | Err(SageMakerError::NotFound(_)) => {}
                        // Left InService since described: try again shortly.
                        Err(SageMakerError::Validation(message))
                            if message.contains("in-progress") => {}
                        Err(error) => return Err(self.retryable(error).await),
                    }
                    self.event(
                        EventType::Normal,
                        "Deleting",
                        format!("Deleting endpoint {} in SageMaker", self.endpoint_name),
                    )
                    .await;
                    // Only informative: the deletion goes on whether or not it is shown.
                    let _ = self
                        .status
                        .write(with_endpoint_status(self.status, "Deleting"))
                        .await;
                } else {
                    // Deleting, or Creating/Updating/…, which SageMaker lets finish before a delete.
                    let _ = self
                        .status
                        .write(with_endpoint_status(self.status, &remote.status))
                        .await;
                }
                Ok(Action::requeue(ENDPOINT_DELETION_POLL))
            }
            Err(SageMakerError::NotFound(_)) => self.finish_deletion().await,
            Err(error) => Err(self.retryable(error).await),
        }
    }

    async fn finish_deletion(&self) -> Result<Action, HostingError> {
        // No endpoint and nothing in flight: every config and model of this object goes.
        let nothing = Reconciliation {
            state: HostingState::default(),
            ..self.shallow_clone()
        };
        nothing.delete_unused(None).await?;
        self.ctx
            .registry
            .forget(&self.sagemaker.location, &self.endpoint_name);
        tracing::info!(kind = KIND, endpoint = %self.endpoint_name, "SageMaker resources deleted, releasing object");
        object_plumbing::remove_finalizer(self.client(), self.object).await?;
        Ok(Action::await_change())
    }

    fn shallow_clone(&self) -> Self {
        Reconciliation {
            ctx: self.ctx,
            object: self.object,
            status: self.status,
            sagemaker: self.sagemaker.clone(),
            uid: self.uid.clone(),
            endpoint_name: self.endpoint_name.clone(),
            desired: self.desired.clone(),
            recorded: self.recorded.clone(),
            state: self.state.clone(),
        }
    }

    // ---- errors the spec causes ---------------------------------------------------------------

    /// SageMaker refused the desired spec: remember it (so it is not retried) and say why.
    async fn reject(
        &mut self,
        reason: &str,
        message: String,
        remote: Option<&EndpointDescription>,
    ) -> Result<Action, HostingError> {
        self.event(
            EventType::Warning,
            reason,
            format!(
                "SageMaker rejected generation {}: {message}",
                self.desired.generation
            ),
        )
        .await;
        self.state.failed = Some(FailedDeployment {
            generation: self.desired.generation,
            spec_hash: self.desired.spec_hash.clone(),
            reason: message,
        });
        self.save_state().await?;
        let status = if remote.is_none() {
            Some(RECONCILING_ENDPOINT)
        } else {
            None
        };
        self.write_status(remote, status).await?;
        Ok(Action::await_change())
    }

    async fn report_invalid_spec(&self, error: HostingSpecError) -> Result<Action, HostingError> {
        report_failure(self.ctx, self.status, "InvalidSpec", error.to_string()).await
    }

    /// Follows an endpoint the original operator deployed for this object. Its status named the
    /// endpoint (derived from the object's UID, or `spec.endpointName`), the endpoint config it
    /// runs and the models: the endpoint gets this operator's ownership tag, and the record
    /// says the current spec is what runs, so the takeover itself changes nothing in SageMaker.
    /// `Some` when the endpoint is not this object's after all.
    async fn take_over(
        &mut self,
        remote: &EndpointDescription,
    ) -> Result<Option<Action>, HostingError> {
        let owner = self.sagemaker.owner_uid_of(&remote.arn).await?;
        if owner.as_deref() != Some(self.uid.as_str()) {
            if owner.is_some() || !self.recorded_by_original_operator() {
                // Back to "never observed", so that every later reconcile checks ownership too
                // instead of taking the original's InService for one of ours.
                let mut reset =
                    with_endpoint_status(self.status, SYNCHRONIZING_K8S_JOB_WITH_SAGEMAKER);
                reset.common.last_check_time = None;
                self.status.write(reset).await?;
                return self.report_foreign_endpoint().await.map(Some);
            }
            self.sagemaker.add_owner_tag(&remote.arn, &self.uid).await?;
        }
        // What the original deployed, by its status: the config that runs and its models. When
        // it was mid-update (another config runs), the ordinary rules adopt what runs and deploy
        // the spec.
        let original = self.object.status.as_ref();
        if original.and_then(|status| status.endpoint_config_name.as_deref())
            == Some(remote.config_name.as_str())
        {
            let model_names = original
                .and_then(|status| status.model_names.clone())
                .unwrap_or_default();
            self.state.deployed = Some(Deployment {
                endpoint_config_name: remote.config_name.clone(),
                model_names,
                ..self.desired.clone()
            });
        }
        self.save_state().await?;
        self.recorded = self.state.clone();
        tracing::info!(kind = KIND, object = %self.object.name_any(), endpoint = %self.endpoint_name, "took over from the original operator");
        self.event(
            EventType::Normal,
            "TakenOver",
            format!(
                "Following endpoint {}, which the original operator deployed",
                self.endpoint_name
            ),
        )
        .await;
        Ok(None)
    }

    /// Ours by the tag, or untagged and recorded for this object by the original operator (an
    /// object deleted before this operator took it over).
    async fn owns_or_original_recorded(&self, arn: &str) -> Result<bool, HostingError> {
        Ok(match self.sagemaker.owner_uid_of(arn).await? {
            Some(owner) => owner == self.uid,
            None => self.recorded_by_original_operator(),
        })
    }

    /// Whether the original operator's status names this object's endpoint
    /// ([`takeover::recorded_by_original_operator`]).
    fn recorded_by_original_operator(&self) -> bool {
        let original = self.object.status.as_ref();
        let spec_name = self
            .object
            .spec
            .endpoint_name
            .as_deref()
            .filter(|name| !name.is_empty());
        takeover::status_written_by_original_operator(original)
            && takeover::original_name_is_this_objects(
                original.and_then(|status| status.endpoint_name.as_deref()),
                spec_name,
                &self.endpoint_name,
                &self.uid,
            )
    }

    fn foreign_message(&self) -> String {
        format!(
            "endpoint {} already exists in SageMaker and was not created for this object; set spec.endpointName to another name",
            self.endpoint_name
        )
    }

    async fn report_foreign_endpoint(&self) -> Result<Action, HostingError> {
        let message = self.foreign_message();
        report_failure(self.ctx, self.status, "NameOwnedByAnotherResource", message).await
    }

    // ---- status -------------------------------------------------------------------------------

    /// Maps the described endpoint and the deployment record to the status; writes only real
    /// changes (plus lastCheckTime with them) and an Event per status transition.
    async fn write_status(
        &self,
        remote: Option<&EndpointDescription>,
        endpoint_status: Option<&str>,
    ) -> Result<(), kube::Error> {
        let generation = self.object.meta().generation;
        let status_text = endpoint_status
            .map(str::to_string)
            .or_else(|| remote.map(|remote| remote.status.clone()))
            .unwrap_or_else(|| RECONCILING_ENDPOINT.to_string());
        let mut status = self.status.recorded();
        status.endpoint_status = Some(status_text.clone());
        // Once the endpoint exists (and from then on, while it is deleted and recreated).
        let endpoint_known = remote.is_some() || status.endpoint_arn.is_some();
        status.endpoint_name = endpoint_known.then(|| self.endpoint_name.clone());
        let failed_spec = self.state.failed_for(&self.desired.spec_hash);
        let mut model_names = None;
        if let Some(remote) = remote {
            status.endpoint_arn = Some(remote.arn.clone());
            status.endpoint_config_name = Some(remote.config_name.clone());
            status.endpoint_url = Some(endpoint_url(&self.sagemaker.location.region, &remote.name));
            status.creation_time = remote.creation_time.map(Time);
            status.last_modified_time = remote.last_modified_time.map(Time);
            status.failure_reason = remote.failure_reason.clone();
            status.production_variants = (!remote.variants.is_empty())
                .then(|| remote.variants.iter().map(variant_summary).collect());
            // The models behind the config the endpoint runs (or is being created with).
            model_names = self
                .state
                .deployed
                .iter()
                .chain(
                    self.state
                        .in_flight
                        .as_ref()
                        .map(|in_flight| &in_flight.deployment),
                )
                .find(|deployment| {
                    deployment.endpoint_config_name == remote.config_name
                        && !deployment.model_names.is_empty()
                })
                .map(|deployment| deployment.model_names.clone());
        }
        status.model_names = model_names;
        let additional = failed_spec.map(|failed| match &self.state.deployed {
            Some(deployed) if remote.is_some() => format!(
                "Generation {} could not be deployed: {}. The endpoint stays on endpoint config {}; correct the spec to retry.",
                failed.generation, failed.reason, deployed.endpoint_config_name
            ),
            _ => format!("Generation {} could not be deployed: {}. Correct the spec to retry.", failed.generation, failed.reason),
        });
        status.common.additional = additional.clone();
        let deployed_current = status_text == "InService"
            && self.state.in_flight.is_none()
            && self
                .state
                .deployed
                .as_ref()
                .is_some_and(|deployed| deployed.spec_hash == self.desired.spec_hash);
        let failed = status_text == "Failed" || failed_spec.is_some();
        let mut conditions = status.common.conditions.clone().unwrap_or_default();
        remove_condition(&mut conditions, RETRYING);
        let (ready_reason, ready_message) = if deployed_current {
            (
                "InService".to_string(),
                format!(
                    "Endpoint {} serves generation {}",
                    self.endpoint_name,
                    generation.unwrap_or_default()
                ),
            )
        } else if failed_spec.is_some() {
            (
                "UpdateFailed".to_string(),
                additional.clone().unwrap_or_default(),
            )
        } else {
            (
                status_text.clone(),
                format!("SageMaker status {status_text}"),
            )
        };
        set_condition(
            &mut conditions,
            READY,
            deployed_current,
            &ready_reason,
            &ready_message,
            generation,
        );
        let failed_message = additional
            .clone()
            .or_else(|| remote.and_then(|remote| remote.failure_reason.clone()))
            .unwrap_or_default();
        set_condition(
            &mut conditions,
            FAILED,
            failed,
            if failed { "Failed" } else { &status_text },
            if failed { &failed_message } else { "" },
            generation,
        );
        status.common.observed_generation = generation;
        status.common.conditions = Some(conditions);
        let unchanged = !self.status.would_change(&status);
        let previous = self.recorded_status();
        if previous.as_deref() != Some(status_text.as_str()) {
            let type_ = if status_text == "Failed" {
                EventType::Warning
            } else {
                EventType::Normal
            };
            let mut note = format!(
                "SageMaker status {} → {status_text}",
                previous.as_deref().unwrap_or("none")
            );
            if status_text == "Failed" && !failed_message.is_empty() {
                note.push_str(&format!(": {failed_message}"));
            }
            self.event(type_, &status_text, note).await;
        }
        if unchanged {
            return Ok(());
        }
        self.status
            .write_stamped(status, |status| {
                status.common.last_check_time = Some(Time(k8s_openapi::jiff::Timestamp::now()));
            })
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagemaker_k8s_api::HostingDeploymentStatus;

    #[test]
    fn which_endpoint_statuses_take_a_delete() {
        let table = [
            ("InService", true),
            ("Failed", true),
            ("OutOfService", true),
            ("UpdateRollbackFailed", true),
            ("Creating", false),
            ("Updating", false),
            ("SystemUpdating", false),
            ("RollingBack", false),
            ("Deleting", false),
        ];
        for (status, deletable) in table {
            assert_eq!(accepts_delete(status), deletable, "{status}");
        }
    }

    fn object(spec: Value) -> HostingDeployment {
        let mut object =
            HostingDeployment::new("host-xgboost", serde_json::from_value(spec).unwrap());
        object.metadata.uid = Some("8f1c6a52-3b1e-4c4e-9a8f-0c2d6f3e9b71".into());
        object.metadata.generation = Some(3);
        object
    }

    fn spec(count: i32, image: &str) -> Value {
        json!({
            "region": "us-west-2",
            "productionVariants": [{"variantName": "all-traffic", "modelName": "xgboost-model", "initialInstanceCount": count, "instanceType": "ml.c5.large"}],
            "models": [{"name": "xgboost-model", "primaryContainer": "xgboost", "containers": ["xgboost"]}],
            "containers": [{"containerHostname": "xgboost", "image": image}]
        })
    }

    #[test]
    fn names_follow_generation_and_uid() {
        let desired = desired_deployment(
            &object(spec(1, "img:1")),
            "8f1c6a52-3b1e-4c4e-9a8f-0c2d6f3e9b71",
        );
        assert_eq!(
            desired.endpoint_config_name,
            "host-xgboost-3-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
        assert_eq!(
            desired.model_names,
            vec![KeyValuePair::new(
                "xgboost-model",
                "xgboost-model-3-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
            )]
        );
        assert_eq!(
            endpoint_name(&object(spec(1, "img:1"))),
            "host-xgboost-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
        // A derived name in the status (the original's cut of a long name) stays; anything else
        // recorded there does not redirect the endpoint.
        let mut taken_over = object(spec(1, "img:1"));
        taken_over.status = Some(HostingDeploymentStatus {
            endpoint_name: Some("host-xgboost--8f1c6a523b1e4c4e9a8f0c2d6f3e9b71".into()),
            ..Default::default()
        });
        assert_eq!(
            endpoint_name(&taken_over),
            "host-xgboost--8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
        taken_over.status = Some(HostingDeploymentStatus {
            endpoint_name: Some("someone-else".into()),
            ..Default::default()
        });
        assert_eq!(
            endpoint_name(&taken_over),
            "host-xgboost-8f1c6a523b1e4c4e9a8f0c2d6f3e9b71"
        );
        assert_eq!(
            endpoint_url("us-east-2", "e-1"),
            "https://runtime.sagemaker.us-east-2.amazonaws.com/endpoints/e-1/invocations"
        );
    }

    #[test]
    fn instance_count_changes_keep_the_shape() {
        let uid = "u";
        let one = desired_deployment(&object(spec(1, "img:1")), uid);
        let two = desired_deployment(&object(spec(2, "img:1")), uid);
        let other_image = desired_deployment(&object(spec(1, "img:2")), uid);
        assert_ne!(one.spec_hash, two.spec_hash);
        assert_eq!(one.shape_hash, two.shape_hash);
        assert_ne!(one.shape_hash, other_image.shape_hash);
        let mut moved = spec(1, "img:1");
        moved["region"] = json!("eu-west-1");
        assert_eq!(
            desired_deployment(&object(moved), uid).spec_hash,
            one.spec_hash
        );
    }

    #[test]
    fn state_round_trips_through_the_annotation_text() {
        let state = HostingState {
            deployed: Some(Deployment {
                generation: 1,
                spec_hash: "a".into(),
                shape_hash: "b".into(),
                endpoint_config_name: "c".into(),
                model_names: vec![],
            }),
            in_flight: Some(InFlight {
                deployment: Deployment::default(),
                weights_only: true,
                capacities: vec![RecordedCapacity {
                    variant_name: "v".into(),
                    weight: 0.5,
                    instance_count: Some(2),
                }],
            }),
            failed: None,
        };
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<HostingState>(&text).unwrap(), state);
    }
}
