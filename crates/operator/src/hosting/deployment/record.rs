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
