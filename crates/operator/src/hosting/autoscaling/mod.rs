//! HostingAutoscalingPolicy ↔ Application Auto Scaling: a scalable target per endpoint variant
//! and the scaling policy on it.
//!
//! One reconcile decides from (spec, what the object recorded) whether anything must be sent:
//! - nothing changed since the last apply → nothing is called;
//! - otherwise the endpoints must be InService (else the status says which one it waits for),
//!   then every desired target is registered and its policy put, and the targets the spec no
//!   longer names are deregistered (their policies go with them);
//! - on delete, the policy is deleted and every target deregistered before the finalizer goes.
//!
//! The record is two annotations: the targets this object may have registered (written before
//! a registration, pruned after a deregistration, so a crash in between never forgets one) and
//! the hash of what was last applied.

mod plan;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::hosting_autoscaling_policy::{AppliedPolicy, AutoscalingResource};
use sagemaker_k8s_api::{
    APPLIED_SPEC_HASH_ANNOTATION, AUTOSCALING_TARGETS_ANNOTATION, HostingAutoscalingPolicy,
    HostingAutoscalingPolicyStatus, HostingDeployment, InferenceComponent,
};
use sagemaker_k8s_aws::autoscaling::{
    AutoscalingHandle, inference_component_resource_id, resource_id,
};
use sagemaker_k8s_aws::{ErrorKind, SageMakerError};
use serde_json::json;

use crate::conditions::{FAILED, READY, RETRYING, remove_condition, set_condition};
use crate::corrupt_record::{CORRUPT_RECORD, CorruptRecord, read_record};
use crate::digest::json_hash;
use crate::engine::controller::ControllerShared;
use crate::engine::{DeletionPolicy, EngineError};
use crate::engine::{Run, Strategy, Wake, sagemaker_message};
use crate::naming::derived_name;
use crate::object_patch::patch_metadata;
use crate::status_patch::{StatusWriter, reconcile_request_unanswered};
use crate::status_poller::NotPolled;
use plan::plan_targets;
use sagemaker_k8s_aws::endpoint_policy::EndpointRefused;

const KIND: &str = "HostingAutoscalingPolicy";
type PolicyStatus<'a> = StatusWriter<'a, HostingAutoscalingPolicy>;
/// How often an object waiting for its endpoints looks again.
const ENDPOINT_WAIT: Duration = Duration::from_secs(5);
/// Longest policy name Application Auto Scaling takes.
const MAX_POLICY_NAME_LEN: usize = 256;

pub const CREATING: &str = "Creating";
pub const CREATED: &str = "Created";
pub const UPDATING: &str = "Updating";
pub const DELETING: &str = "Deleting";
pub const ERROR: &str = "Error";

/// The targets this object may have registered, as its annotation records them.
fn recorded_targets(object: &HostingAutoscalingPolicy) -> Result<BTreeSet<String>, CorruptRecord> {
    let recorded: Option<Vec<String>> =
        read_record(object.annotations(), AUTOSCALING_TARGETS_ANNOTATION)?;
    Ok(recorded.unwrap_or_default().into_iter().collect())
}

fn conditions_of(status: &HostingAutoscalingPolicyStatus) -> Vec<Condition> {
    status.common.conditions.clone().unwrap_or_default()
}

/// The recorded status with another status value (`Creating`, …), other fields unchanged.
fn with_state(status: &PolicyStatus<'_>, state: &str) -> HostingAutoscalingPolicyStatus {
    HostingAutoscalingPolicyStatus {
        hosting_autoscaling_policy_status: Some(state.to_string()),
        ..status.recorded()
    }
}

/// The policy name: the spec's, or one derived from the object's name and UID.
fn policy_name(object: &HostingAutoscalingPolicy) -> String {
    match object
        .spec
        .policy_name
        .as_ref()
        .filter(|name| !name.is_empty())
    {
        Some(name) => name.clone(),
        None => derived_name(
            &object.name_any(),
            object.metadata.uid.as_deref().unwrap_or_default(),
            MAX_POLICY_NAME_LEN,
        ),
    }
}

/// The HostingAutoscalingPolicy strategy of the engine.
pub struct Autoscaling;

type PolicyRun<'a> = Run<'a, Autoscaling>;

impl Strategy for Autoscaling {
    type Object = HostingAutoscalingPolicy;
    type Status = HostingAutoscalingPolicyStatus;
    type Handle = AutoscalingHandle;
    type Lister = NotPolled;
    const KIND: &'static str = KIND;
    const WAKE: Wake = Wake::OnEveryChange;
    // Nothing changes in Application Auto Scaling on its own; endpoints not InService yet are
    // looked at again on a timer (`ENDPOINT_WAIT`).
    const POLLED: bool = false;
    const FAILED_STATE: Option<&'static str> = Some(ERROR);
    const INITIAL_STATE: Option<&'static str> = Some(CREATING);

    fn state(status: &mut HostingAutoscalingPolicyStatus) -> &mut Option<String> {
        &mut status.hosting_autoscaling_policy_status
    }

    fn locate(
        shared: &ControllerShared,
        object: &HostingAutoscalingPolicy,
    ) -> Result<AutoscalingHandle, EndpointRefused> {
        let location = shared.clients.locate_autoscaling(
            &object.spec.region,
            object.spec.application_autoscaling_endpoint.as_deref(),
        )?;
        Ok(shared.clients.autoscaling(&location))
    }

    /// Every target that may have been registered is recorded before it is.
    fn may_have_created(object: &HostingAutoscalingPolicy) -> bool {
        // An unreadable record may name targets: assume it does.
        !recorded_targets(object).is_ok_and(|targets| targets.is_empty())
    }

    async fn reconcile(run: &PolicyRun<'_>) -> Result<Action, EngineError> {
        reconcile(run).await
    }

    async fn finalize(run: &PolicyRun<'_>, policy: DeletionPolicy) -> Result<Action, EngineError> {
        match policy {
            DeletionPolicy::Delete => finalize(run).await,
            DeletionPolicy::Retain => retain(run).await,
        }
    }
}

/// Why the targets cannot be applied yet (an endpoint that is not InService), or the resolved
/// resource ids.
enum Resolution {
    Ready(BTreeSet<String>),
    Waiting(String),
}

/// Resolves each target to its resource id (a HostingDeployment's name means its endpoint) and,
/// with `check_ready`, checks that every endpoint and inference component is InService, as
/// Application Auto Scaling requires.
async fn resolve(
    object: &HostingAutoscalingPolicy,
    ctx: &ControllerShared,
    check_ready: bool,
) -> Result<Resolution, EngineError> {
    let namespace = object.namespace().unwrap_or_default();
    let objects = Objects {
        deployments: Api::namespaced(ctx.client.clone(), &namespace),
        components: Api::namespaced(ctx.client.clone(), &namespace),
    };
    let location = match ctx.clients.locate(
        &object.spec.region,
        object.spec.sage_maker_endpoint.as_deref(),
    ) {
        Ok(location) => location,
        Err(refused) => return Ok(Resolution::Waiting(refused.to_string())),
    };
    let sagemaker = ctx.clients.handle(&location);
    let mut ids = BTreeSet::new();
    let mut checked = BTreeSet::new();
    for resource in &object.spec.resource_id {
        let target = match target_of(resource, &objects).await? {
            Ok(target) => target,
            Err(why) => return Ok(Resolution::Waiting(why)),
        };
        if check_ready && checked.insert(target.checked_name()) {
            let status = match &target {
                Target::Variant { endpoint, .. } => sagemaker
                    .describe_endpoint(endpoint)
                    .await
                    .map(|remote| remote.status),
                Target::Component(name) => sagemaker.inference_component_status(name).await,
            };
            if let Some(why) = not_ready(&target, status)? {
                return Ok(Resolution::Waiting(why));
            }
        }
        ids.insert(target.resource_id());
    }
    Ok(Resolution::Ready(ids))
}

/// One scalable target, by its SageMaker names.
enum Target {
    Variant { endpoint: String, variant: String },
    Component(String),
}

impl Target {
    fn resource_id(&self) -> String {
        match self {
            Self::Variant { endpoint, variant } => resource_id(endpoint, variant),
            Self::Component(name) => inference_component_resource_id(name),
        }
    }

    /// What is looked at to see that the target is ready (each once per reconcile).
    fn checked_name(&self) -> String {
        match self {
            Self::Variant { endpoint, .. } => format!("endpoint {endpoint}"),
            Self::Component(name) => format!("inference component {name}"),
        }
    }
}

/// The objects of the policy's namespace a `resourceId` entry may name.
struct Objects {
    deployments: Api<HostingDeployment>,
    components: Api<InferenceComponent>,
}

/// The SageMaker names of one `resourceId` entry, or why they are not known yet. An
/// `inferenceComponentName` that names an InferenceComponent object means its component, as an
/// `endpointName` that names a HostingDeployment means its endpoint.
async fn target_of(
    resource: &AutoscalingResource,
    objects: &Objects,
) -> Result<Result<Target, String>, EngineError> {
    if let Some(component) = &resource.inference_component_name {
        let name = match objects.components.get_opt(component).await? {
            Some(object) => match object.status.and_then(|status| status.sage_maker_name) {
                Some(name) => name,
                None => {
                    return Ok(Err(format!(
                        "waiting for InferenceComponent {component} to create its inference component"
                    )));
                }
            },
            None => component.clone(),
        };
        return Ok(Ok(Target::Component(name)));
    }
    // The schema admits no other shape: an entry names a component or an endpoint variant.
    let (Some(endpoint_name), Some(variant)) = (&resource.endpoint_name, &resource.variant_name)
    else {
        return Ok(Err(
            "a resourceId entry names neither an inference component nor an endpoint variant"
                .to_string(),
        ));
    };
    let endpoint = match objects.deployments.get_opt(endpoint_name).await? {
        Some(deployment) => match deployment
            .status
            .as_ref()
            .and_then(|status| status.endpoint_name.clone())
        {
            Some(endpoint) => endpoint,
            None => {
                return Ok(Err(format!(
                    "waiting for HostingDeployment {endpoint_name} to create its endpoint"
                )));
            }
        },
        None => endpoint_name.clone(),
    };
    Ok(Ok(Target::Variant {
        endpoint,
        variant: variant.clone(),
    }))
}

/// Why a target is not ready to scale, from its SageMaker status (`None`: it is InService).
fn not_ready(
    target: &Target,
    status: Result<String, SageMakerError>,
) -> Result<Option<String>, EngineError> {
    let what = target.checked_name();
    match status {
        Ok(status) if status == "InService" => Ok(None),
        Ok(status) => Ok(Some(format!(
            "waiting for {what} to be InService (it is {status})"
        ))),
        Err(SageMakerError {
            kind: ErrorKind::NotFound,
            ..
        }) => Ok(Some(format!("waiting for {what}, which does not exist"))),
        Err(error) => Err(error.into()),
    }
}

async fn reconcile(run: &PolicyRun<'_>) -> Result<Action, EngineError> {
    let (object, ctx, status, autoscaling) =
        (run.object, &run.engine.shared, &run.status, &run.handle);
    let name = policy_name(object);
    let recorded = match recorded_targets(object) {
        Ok(recorded) => recorded,
        Err(corrupt) => {
            return run
                .report_failure(CORRUPT_RECORD, corrupt.to_string())
                .await;
        }
    };
    // Resolve without looking at the endpoints first: an unchanged policy needs no call.
    let Resolution::Ready(desired) = resolve(object, ctx, false).await? else {
        return wait(status, "waiting for the endpoints' names").await;
    };
    let spec_value = serde_json::to_value(&object.spec).expect("specs serialize to JSON");
    let current_hash =
        json_hash(&json!({ "spec": spec_value, "targets": desired, "policyName": name }));
    let applied_hash = object
        .annotations()
        .get(APPLIED_SPEC_HASH_ANNOTATION)
        .map(String::as_str);
    let shown = Autoscaling::recorded_state(object).as_deref() == Some(CREATED);
    // A reconcile asked for (`reconcile-requested-at`) and not answered yet: the status is to be
    // rewritten from what Application Auto Scaling answers, so the policy is applied again.
    let answered = shown && !reconcile_request_unanswered(object);
    let plan = plan_targets(&desired, &recorded, applied_hash, &current_hash, answered);
    if plan.up_to_date {
        return Ok(Action::await_change());
    }
    if let Resolution::Waiting(why) = resolve(object, ctx, true).await? {
        return wait(status, &why).await;
    }
    let applying = if shown { UPDATING } else { CREATING };
    status.write(with_state(status, applying)).await?;
    // Record every target that may be registered before registering it.
    let may_exist: BTreeSet<String> = recorded.union(&desired).cloned().collect();
    if may_exist != recorded {
        patch_metadata(&ctx.client, object, json!({ "annotations": { AUTOSCALING_TARGETS_ANNOTATION: serde_json::to_string(&may_exist).expect("a list") } })).await?;
    }
    // A renamed policy: the old one goes from the targets that stay.
    let previous_name = object
        .status
        .as_ref()
        .and_then(|status| status.policy_name.clone())
        .filter(|previous| *previous != name);
    let mut policies = Vec::new();
    for id in &plan.apply {
        let applied = async {
            autoscaling
                .register_scalable_target(&object.spec, id)
                .await?;
            if let Some(previous) = &previous_name {
                autoscaling.delete_scaling_policy(previous, id).await?;
            }
            autoscaling
                .put_scaling_policy(&object.spec, &name, id)
                .await
        };
        match applied.await {
            Ok(arn) => policies.push(AppliedPolicy {
                resource_id: id.clone(),
                policy_arn: Some(arn),
            }),
            Err(
                error @ SageMakerError {
                    kind: ErrorKind::Validation,
                    ..
                },
            ) => {
                return run
                    .report_failure(
                        "Rejected",
                        format!(
                            "Application Auto Scaling rejected {id}: {}",
                            sagemaker_message(Some(&error))
                        ),
                    )
                    .await;
            }
            Err(error) => return Err(run.retryable(error).await),
        }
    }
    for id in &plan.remove {
        if let Err(error) = remove_target(autoscaling, &name, previous_name.as_deref(), id).await {
            return Err(run.retryable(error).await);
        }
        tracing::info!(kind = KIND, object = %object.name_any(), resource_id = %id, "scalable target deregistered");
    }
    patch_metadata(
        &ctx.client,
        object,
        json!({ "annotations": { AUTOSCALING_TARGETS_ANNOTATION: serde_json::to_string(&desired).expect("a list"), APPLIED_SPEC_HASH_ANNOTATION: current_hash } }),
    )
    .await?;
    show_created(run, name, policies, shown).await
}

/// The status after an apply: `Created` and `Ready` with the policy's name and ARNs (and the
/// `Created` Event the first time).
async fn show_created(
    run: &PolicyRun<'_>,
    name: String,
    policies: Vec<AppliedPolicy>,
    shown: bool,
) -> Result<Action, EngineError> {
    let status = &run.status;
    let generation = run.object.meta().generation;
    let mut conditions = conditions_of(&status.recorded());
    remove_condition(&mut conditions, RETRYING);
    remove_condition(&mut conditions, FAILED);
    let message = format!("policy {name} on {} scalable target(s)", policies.len());
    set_condition(&mut conditions, READY, true, CREATED, &message, generation);
    if !shown {
        run.event(EventType::Normal, CREATED, format!("Applied {message}"))
            .await;
    }
    let mut created = with_state(status, CREATED);
    created.policy_name = Some(name);
    created.policies = Some(policies);
    created.common.additional = None;
    created.common.observed_generation = generation;
    created.common.conditions = Some(conditions);
    status
        .write_stamped(created, |created| {
            created.common.last_check_time = Some(Time(k8s_openapi::jiff::Timestamp::now()));
        })
        .await?;
    Ok(Action::await_change())
}

/// Deletes the policy (under its current and any previous name) and deregisters the target.
async fn remove_target(
    autoscaling: &AutoscalingHandle,
    name: &str,
    previous: Option<&str>,
    id: &str,
) -> Result<(), SageMakerError> {
    autoscaling.delete_scaling_policy(name, id).await?;
    if let Some(previous) = previous {
        autoscaling.delete_scaling_policy(previous, id).await?;
    }
    autoscaling.deregister_scalable_target(id).await
}

async fn wait(status: &PolicyStatus<'_>, why: &str) -> Result<Action, EngineError> {
    let object = status.object();
    let state = if Autoscaling::recorded_state(object).as_deref() == Some(CREATED) {
        UPDATING
    } else {
        CREATING
    };
    let generation = object.meta().generation;
    let mut waiting = with_state(status, state);
    let mut conditions = conditions_of(&waiting);
    set_condition(
        &mut conditions,
        READY,
        false,
        "EndpointNotInService",
        why,
        generation,
    );
    waiting.common.additional = Some(why.to_string());
    waiting.common.observed_generation = generation;
    waiting.common.conditions = Some(conditions);
    status.write(waiting).await?;
    Ok(Action::requeue(ENDPOINT_WAIT))
}

/// What this object may have registered when its record is unreadable: the targets its spec
/// names, and every target that carries its policy (under the name it has, and the one the
/// status shows), found in Application Auto Scaling.
async fn targets_found_without_record(
    run: &PolicyRun<'_>,
    name: &str,
) -> Result<BTreeSet<String>, EngineError> {
    let (object, autoscaling) = (run.object, &run.handle);
    let mut targets = match resolve(object, &run.engine.shared, false).await? {
        Resolution::Ready(ids) => ids,
        Resolution::Waiting(_) => BTreeSet::new(),
    };
    let shown_name = object
        .status
        .as_ref()
        .and_then(|status| status.policy_name.clone());
    for policy in std::iter::once(name.to_owned()).chain(shown_name) {
        match autoscaling.resource_ids_with_policy(&policy).await {
            Ok(ids) => targets.extend(ids),
            Err(error) => return Err(run.retryable(error).await),
        }
    }
    Ok(targets)
}

/// Deletion: every target this object may have registered is deregistered (its policy first),
/// then the object goes. A failed call keeps the finalizer; the error policy retries.
/// Deletion that keeps the scaling policies and scalable targets (deletion policy `retain`):
/// Application Auto Scaling's resources carry no ownership tag, so nothing is called; an Event
/// says what was kept.
async fn retain(run: &PolicyRun<'_>) -> Result<Action, EngineError> {
    let object = run.object;
    let status = object.status.as_ref();
    let name = status
        .and_then(|status| status.policy_name.clone())
        .unwrap_or_else(|| policy_name(object));
    let targets = status
        .iter()
        .flat_map(|status| status.policies.iter().flatten())
        .map(|policy| policy.resource_id.as_str())
        .collect::<BTreeSet<_>>();
    if !targets.is_empty() {
        let targets = targets.into_iter().collect::<Vec<_>>().join(", ");
        let note = format!(
            "Kept scaling policy {name} on {targets} in Application Auto Scaling (deletion policy retain)"
        );
        run.event(EventType::Normal, "Retained", note).await;
    }
    tracing::info!(kind = KIND, object = %object.name_any(), "deletion policy retain: keeping the scaling policies");
    run.release().await
}

async fn finalize(run: &PolicyRun<'_>) -> Result<Action, EngineError> {
    let (object, status, autoscaling) = (run.object, &run.status, &run.handle);
    // Only informative: the deletion goes on whether or not it is shown.
    let _ = status.write(with_state(status, DELETING)).await;
    let name = object
        .status
        .as_ref()
        .and_then(|status| status.policy_name.clone())
        .unwrap_or_else(|| policy_name(object));
    let mut targets = match recorded_targets(object) {
        Ok(targets) => targets,
        Err(corrupt) => {
            tracing::warn!(kind = KIND, object = %object.name_any(), %corrupt, "looking the targets up instead");
            targets_found_without_record(run, &name).await?
        }
    };
    targets.extend(
        object
            .status
            .iter()
            .flat_map(|status| status.policies.iter().flatten())
            .map(|policy| policy.resource_id.clone()),
    );
    for id in &targets {
        if let Err(error) = remove_target(autoscaling, &name, None, id).await {
            return Err(run.retryable(error).await);
        }
    }
    tracing::info!(kind = KIND, object = %object.name_any(), targets = targets.len(), "scaling policies deleted and targets deregistered, releasing object");
    let note = format!("Deregistered {} scalable target(s)", targets.len());
    run.event(EventType::Normal, "Deleted", note).await;
    run.release().await
}
