//! A HostingDeployment's containers may name a registered model version by its ModelPackage
//! object (`modelPackageRef`) instead of its ARN: the deployment waits until the version is
//! registered and `Approved`, and its models are created with the version's ARN. Deploying
//! another version is an edit of the reference (a new spec generation, rolled out as any); it
//! waits for that version's approval.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use sagemaker_k8s_api::HostingDeployment;
use sagemaker_k8s_api::hosting_deployment::ModelContainer;

use crate::adapters::model_package::{APPROVED_MODEL_PACKAGE, reference_in};
use crate::engine::references::{Reference, Resolution, Target, show_references};

/// The kinds a deployment refers to: the engine watches them and wakes the deployments that
/// name one when it changes.
pub(super) const REFERENCED: &[&Target] = &[&APPROVED_MODEL_PACKAGE];

/// Every `modelPackageRef` of the spec: in `containers`, and in the models' containers defined
/// in place.
pub(super) fn references(object: &HostingDeployment) -> Vec<Reference> {
    let spec = &object.spec;
    let defined = spec
        .containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(index, container)| (format!("containers[{index}]"), container));
    let inline = spec.models.iter().enumerate().flat_map(|(model, entry)| {
        entry
            .containers
            .iter()
            .flatten()
            .enumerate()
            .filter_map(move |(index, container)| match container {
                ModelContainer::Inline(container) => Some((
                    format!("models[{model}].containers[{index}]"),
                    container.as_ref(),
                )),
                _ => None,
            })
    });
    defined
        .chain(inline)
        .filter_map(|(path, container)| reference_in(&path, container))
        .collect()
}

/// What the references say in the conditions (`ReferencesReady`), for a spec that has any;
/// the message when it newly waits (worth one Event).
pub(super) fn show(
    conditions: &mut Vec<Condition>,
    resolution: Option<&Resolution>,
    generation: Option<i64>,
) -> Option<String> {
    let resolution = resolution?;
    show_references(conditions, resolution.waiting.as_ref(), generation)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::references::Resolved;

    fn deployment(spec: serde_json::Value) -> HostingDeployment {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sagemaker.aws.amazon.com/v1",
            "kind": "HostingDeployment",
            "metadata": {"name": "d", "namespace": "ns"},
            "spec": spec,
        }))
        .expect("a deployment")
    }

    /// References in both shapes of container, each with its field path; hostnames and
    /// packages by ARN are no references.
    #[test]
    fn references_are_found_in_both_container_shapes() {
        let object = deployment(serde_json::json!({
            "region": "us-west-2",
            "productionVariants": [{"variantName": "a", "modelName": "m", "initialInstanceCount": 1, "instanceType": "ml.c5.large"}],
            "containers": [
                {"containerHostname": "by-ref", "modelPackageRef": {"name": "churn-v2"}},
                {"containerHostname": "by-arn", "modelPackageName": "arn:aws:sagemaker:us-west-2:123456789012:model-package/g/1"},
            ],
            "models": [
                {"name": "m", "containers": ["by-ref", {"containerHostname": "inline", "modelPackageRef": {"name": "churn-v3"}}]},
            ],
        }));
        let found: Vec<(String, String)> = references(&object)
            .into_iter()
            .map(|reference| (reference.field, reference.name))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "containers[0].modelPackageRef".to_string(),
                    "churn-v2".to_string()
                ),
                (
                    "models[0].containers[1].modelPackageRef".to_string(),
                    "churn-v3".to_string()
                ),
            ]
        );
        let mut resolved = Resolved::default();
        resolved.insert("containers[0].modelPackageRef", "arn:v2");
        assert_eq!(
            resolved.by_object_name(&references(&object)),
            BTreeMap::from([("churn-v2".to_string(), "arn:v2".to_string())]),
            "only what resolved"
        );
    }
}
