//! The operator's record of a HostingDeployment: what is deployed, what is in flight and what
//! failed, kept as JSON in one annotation ([`HOSTING_STATE_ANNOTATION`]) and written after every
//! SageMaker call, so the next reconcile (or the next operator) knows what it started.

use kube::ResourceExt;
use sagemaker_k8s_api::{HOSTING_STATE_ANNOTATION, HostingDeployment, KeyValuePair};
use serde::{Deserialize, Serialize};

use crate::corrupt_record::{CorruptRecord, read_record};

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
    /// The record in the object's annotation (none: nothing was deployed yet).
    pub(super) fn read(object: &HostingDeployment) -> Result<HostingState, CorruptRecord> {
        Ok(read_record(object.annotations(), HOSTING_STATE_ANNOTATION)?.unwrap_or_default())
    }

    /// The record with hashes an older operator computed for the current spec (`legacy`: its
    /// spec and shape hashes, which covered the tags) replaced by today's (`desired`'s): what
    /// runs the current spec must not look like another spec after an upgrade.
    pub(super) fn upgrade_hashes(
        mut self,
        desired: &Deployment,
        legacy: &(String, String),
    ) -> Self {
        let (spec, shape) = legacy;
        for deployment in self.deployed.iter_mut().chain(
            self.in_flight
                .iter_mut()
                .map(|in_flight| &mut in_flight.deployment),
        ) {
            if deployment.spec_hash == *spec {
                deployment.spec_hash = desired.spec_hash.clone();
            }
            if deployment.shape_hash == *shape {
                deployment.shape_hash = desired.shape_hash.clone();
            }
        }
        if let Some(failed) = self
            .failed
            .as_mut()
            .filter(|failed| failed.spec_hash == *spec)
        {
            failed.spec_hash = desired.spec_hash.clone();
        }
        self
    }

    pub(super) fn failed_for(&self, spec_hash: &str) -> Option<&FailedDeployment> {
        self.failed
            .as_ref()
            .filter(|failed| failed.spec_hash == spec_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_takes_the_current_specs_old_hashes_for_todays() {
        let deployment = |spec: &str, shape: &str| Deployment {
            generation: 1,
            spec_hash: spec.into(),
            shape_hash: shape.into(),
            endpoint_config_name: "c".into(),
            model_names: vec![],
        };
        let desired = deployment("new-spec", "new-shape");
        let legacy = ("old-spec".to_string(), "old-shape".to_string());
        let table = [
            // (recorded deployed, upgraded)
            (
                deployment("old-spec", "old-shape"),
                deployment("new-spec", "new-shape"),
            ),
            // Another spec of the same shape (weights differ): only the shape is today's.
            (
                deployment("other-spec", "old-shape"),
                deployment("other-spec", "new-shape"),
            ),
            (
                deployment("other-spec", "other-shape"),
                deployment("other-spec", "other-shape"),
            ),
        ];
        for (recorded, upgraded) in table {
            let state = HostingState {
                deployed: Some(recorded.clone()),
                in_flight: None,
                failed: Some(FailedDeployment {
                    generation: 1,
                    spec_hash: recorded.spec_hash.clone(),
                    reason: "r".into(),
                }),
            };
            let state = state.upgrade_hashes(&desired, &legacy);
            assert_eq!(state.deployed, Some(upgraded.clone()), "{recorded:?}");
            assert_eq!(state.failed.unwrap().spec_hash, upgraded.spec_hash);
        }
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
