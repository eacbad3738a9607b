//! The part of the status every kind shares: what the operator reports about its own work on
//! the object (`additional`, `conditions`, `observedGeneration`, `lastCheckTime`), as opposed to
//! what SageMaker reported about the resource. One struct, flattened into each kind's status,
//! so generic code (conditions, failure reporting, takeover checks) reads and writes these
//! fields the same way for every kind, and the CRD schema of each kind keeps them at the top
//! level of `status`, where the original operator's users read them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use schemars::transform::Transform;
use serde::{Deserialize, Serialize};

/// The status fields every kind has, flattened into its status (`#[serde(flatten)]`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommonStatus {
    /// More information about the status, for example the error the operator met.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional: Option<String>,
    /// When the operator last read the resource from SageMaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_check_time: Option<Time>,
    /// The `metadata.generation` this status describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Standard Kubernetes conditions of the object, one per `type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    // A map-typed list lets the operator's server-side apply own single conditions.
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Option<Vec<Condition>>,
    /// The value of the `sagemaker.aws.amazon.com/reconcile-requested-at` annotation when this
    /// status was written: once it shows the value a script set, the status is what SageMaker
    /// said after that request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconcile_requested_at: Option<String>,
}

/// A kind's status type: gives generic code the fields every kind shares.
pub trait HasCommonStatus {
    fn common(&self) -> &CommonStatus;
    fn common_mut(&mut self) -> &mut CommonStatus;
}

macro_rules! impl_has_common_status {
    ($($status:ty),* $(,)?) => {$(
        impl HasCommonStatus for $status {
            fn common(&self) -> &CommonStatus {
                &self.common
            }
            fn common_mut(&mut self) -> &mut CommonStatus {
                &mut self.common
            }
        }
    )*};
}

impl_has_common_status!(
    crate::TrainingJobStatus,
    crate::HyperparameterTuningJobStatus,
    crate::BatchTransformJobStatus,
    crate::ProcessingJobStatus,
    crate::HostingDeploymentStatus,
    crate::ModelStatus,
    crate::EndpointConfigStatus,
    crate::HostingAutoscalingPolicyStatus,
);

/// Schema transform of a kind's status that words the descriptions of `additional` and
/// `lastCheckTime` for that kind (`kubectl explain` shows them): what "more information" a
/// job's status carries differs from a policy's, and what "last read" reads differs per kind.
/// [`CommonStatus`]'s doc comments give the wording a kind gets with `None`.
pub(crate) struct KindWording {
    pub additional: Option<&'static str>,
    pub last_check_time: &'static str,
}

impl Transform for KindWording {
    fn transform(&mut self, schema: &mut schemars::Schema) {
        for (property, description) in [
            ("additional", self.additional),
            ("lastCheckTime", Some(self.last_check_time)),
        ] {
            let Some(description) = description else {
                continue;
            };
            let described = schema
                .get_mut("properties")
                .and_then(|properties| properties.get_mut(property))
                .and_then(serde_json::Value::as_object_mut);
            match described {
                Some(described) => {
                    described.insert("description".into(), description.into());
                }
                // Only reachable by putting the transform on a struct without the common status.
                None => panic!("KindWording on a schema without the `{property}` property"),
            }
        }
    }
}
