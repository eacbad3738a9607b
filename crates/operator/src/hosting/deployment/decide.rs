//! The decision core of the HostingDeployment controller: from what the spec asks for (the
//! desired [`Deployment`]), what SageMaker reports (the described endpoint, if any) and what the
//! object recorded ([`HostingState`]), what one reconcile does and what the record becomes. No
//! I/O, so every rule is a row of the tables below; `rollout` carries the decisions out.

use sagemaker_k8s_aws::hosting::{EndpointDescription, VariantCapacity, sagemaker_weight};

use super::record::{Deployment, FailedDeployment, HostingState, InFlight, RecordedCapacity};

/// What one reconcile does about the endpoint.
#[derive(Debug, PartialEq)]
pub enum Decision<'r> {
    /// No endpoint, and SageMaker refused this spec before: say so and wait for a spec change.
    AwaitSpecChange,
    /// No endpoint: create the models, the endpoint config and the endpoint.
    Create,
    /// SageMaker is busy with the endpoint (Creating, Updating, Deleting, …): mirror its status
    /// and wait for the status poller.
    AwaitSageMaker(&'r EndpointDescription),
    /// The endpoint is InService.
    InService(&'r EndpointDescription, InService),
    /// The endpoint is Failed.
    Failed(&'r EndpointDescription, Failed),
}

/// What an InService endpoint settles, and what comes next.
#[derive(Debug, PartialEq)]
pub struct InService {
    /// The record once what was in flight is settled and what runs is known.
    pub state: HostingState,
    /// What became of the create or update in flight, to announce.
    pub settled: Option<Settlement>,
    /// Something finished or was adopted: the configs and models the endpoint no longer uses
    /// can go.
    pub clean_up: bool,
    /// The update the spec needs; `None` when the spec runs, or when it failed before.
    pub update: Option<Update>,
}

/// What became of a create or update the operator started.
#[derive(Debug, PartialEq)]
pub enum Settlement {
    /// The endpoint runs spec generation `generation`.
    Deployed { generation: i64 },
    /// SageMaker could not deploy generation `generation` and kept what ran before.
    RolledBack { generation: i64, reason: String },
}

/// How the endpoint gets from what it runs to the spec.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Update {
    /// Only variant weights and instance counts differ: UpdateEndpointWeightsAndCapacities,
    /// the endpoint config stays.
    WeightsAndCapacities,
    /// Anything else: new models and endpoint config, then UpdateEndpoint.
    NewEndpointConfig,
}

/// What a Failed endpoint leaves in the record, and whether to delete it.
#[derive(Debug, PartialEq)]
pub struct Failed {
    pub state: HostingState,
    /// A failed endpoint can only be deleted; that is done to make room for a corrected spec,
    /// never to retry the spec that failed.
    pub recreate: bool,
}

pub fn decide<'r>(
    state: &HostingState,
    desired: &Deployment,
    remote: Option<&'r EndpointDescription>,
) -> Decision<'r> {
    let Some(remote) = remote else {
        return if state.failed_for(&desired.spec_hash).is_some() {
            Decision::AwaitSpecChange
        } else {
            Decision::Create
        };
    };
    match remote.status.as_str() {
        "InService" => Decision::InService(remote, in_service(state.clone(), desired, remote)),
        "Failed" => Decision::Failed(remote, failed(state.clone(), desired, remote)),
        // Creating, Updating, SystemUpdating, RollingBack, Deleting, OutOfService.
        _ => Decision::AwaitSageMaker(remote),
    }
}

fn in_service(
    mut state: HostingState,
    desired: &Deployment,
    remote: &EndpointDescription,
) -> InService {
    let mut settled = None;
    let mut clean_up = false;
    if let Some(in_flight) = state.in_flight.take() {
        clean_up = true;
        let generation = in_flight.deployment.generation;
        if in_flight_succeeded(&in_flight, remote) {
            settled = Some(Settlement::Deployed { generation });
            state.deployed = Some(in_flight.deployment);
            state.failed = None;
        } else {
            let reason = remote.failure_reason.clone().unwrap_or_else(|| {
                format!(
                    "the endpoint returned to endpoint config {}",
                    remote.config_name
                )
            });
            settled = Some(Settlement::RolledBack {
                generation,
                reason: reason.clone(),
            });
            state.failed = Some(FailedDeployment {
                generation,
                spec_hash: in_flight.deployment.spec_hash,
                reason,
            });
        }
    }
    if state
        .deployed
        .as_ref()
        .is_none_or(|deployed| deployed.endpoint_config_name != remote.config_name)
    {
        // The record does not say what runs (a crash between a call and the record): adopt
        // it. It is the current spec if it is the current generation's config.
        clean_up = true;
        state.deployed = Some(if remote.config_name == desired.endpoint_config_name {
            desired.clone()
        } else {
            Deployment {
                endpoint_config_name: remote.config_name.clone(),
                ..Deployment::default()
            }
        });
    }
    let deployed = state.deployed.as_ref().expect("set above");
    let (runs_spec, same_shape) = (
        deployed.spec_hash == desired.spec_hash,
        deployed.shape_hash == desired.shape_hash,
    );
    let update = if runs_spec {
        // Reverting to what runs is not a redeploy; it clears an earlier failure.
        state.failed = None;
        None
    } else if state.failed_for(&desired.spec_hash).is_some() {
        // The status says why; a spec change brings the next try.
        None
    } else if same_shape {
        Some(Update::WeightsAndCapacities)
    } else {
        Some(Update::NewEndpointConfig)
    };
    InService {
        state,
        settled,
        clean_up,
        update,
    }
}

fn failed(mut state: HostingState, desired: &Deployment, remote: &EndpointDescription) -> Failed {
    let reason = remote
        .failure_reason
        .clone()
        .unwrap_or_else(|| "the endpoint failed".to_string());
    if let Some(in_flight) = state.in_flight.take() {
        state.failed = Some(FailedDeployment {
            generation: in_flight.deployment.generation,
            spec_hash: in_flight.deployment.spec_hash,
            reason,
        });
    } else if state.failed.is_none() {
        // Not recorded (crash): it failed with the current spec if it runs this generation's
        // config.
        let spec_hash = if remote.config_name == desired.endpoint_config_name {
            desired.spec_hash.clone()
        } else {
            String::new()
        };
        state.failed = Some(FailedDeployment {
            generation: 0,
            spec_hash,
            reason,
        });
    }
    state.deployed = None;
    let recreate = state.failed_for(&desired.spec_hash).is_none();
    Failed { state, recreate }
}

/// Whether the spec's tags are brought to the endpoint, its config and models now: once they are
/// this object's and InService with nothing else to do (`update`: the update this reconcile
/// starts), when the tags recorded as applied are not the spec's.
pub fn tags_due(update: Option<Update>, tags_applied: bool) -> bool {
    update.is_none() && !tags_applied
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

/// The record of a CreateEndpoint or UpdateEndpoint with the desired endpoint config.
pub fn in_flight_with_new_config(desired: &Deployment) -> InFlight {
    InFlight {
        deployment: desired.clone(),
        weights_only: false,
        capacities: Vec::new(),
    }
}

/// The record of an UpdateEndpointWeightsAndCapacities from `deployed` to the desired spec: the
/// endpoint config and models stay, and what was sent tells success from a rollback later.
pub fn in_flight_with_new_weights(
    deployed: &Deployment,
    desired: &Deployment,
    sent: &[VariantCapacity],
) -> InFlight {
    InFlight {
        deployment: Deployment {
            endpoint_config_name: deployed.endpoint_config_name.clone(),
            model_names: deployed.model_names.clone(),
            ..desired.clone()
        },
        weights_only: true,
        capacities: sent
            .iter()
            .map(|capacity| RecordedCapacity {
                variant_name: capacity.variant_name.clone(),
                weight: capacity.weight,
                instance_count: capacity.instance_count,
            })
            .collect(),
    }
}

/// Whether SageMaker takes a DeleteEndpoint in this status; in the others (Creating, Updating,
/// SystemUpdating, RollingBack, Deleting) it lets the transition finish first.
/// `UpdateRollbackFailed` (an update and its rollback both failed: the endpoint serves a mix of
/// configurations) accepts only a delete, so it must be here or the object would never go.
pub fn accepts_delete(status: &str) -> bool {
    matches!(
        status,
        "InService" | "Failed" | "OutOfService" | "UpdateRollbackFailed"
    )
}

#[cfg(test)]
mod tests;
