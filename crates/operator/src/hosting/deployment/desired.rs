//! What the spec asks SageMaker for: the endpoint's name, the deployment of the current
//! generation (names and hashes) and the variant capacities an update sends. Pure functions of
//! the object.

use kube::ResourceExt;
use sagemaker_k8s_api::hosting_deployment::VariantPropertyType;
use sagemaker_k8s_api::{HostingDeployment, KeyValuePair};
use sagemaker_k8s_aws::hosting::VariantCapacity;
use serde_json::Value;

use super::record::Deployment;
use crate::digest::json_hash;
use crate::naming::{MAX_NAME_LEN, derived_name, uid_hex, versioned_name};

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
    // Tags are edited in place, not deployed.
    let (spec_hash, shape_hash) = hashes(object, &["tags"]);
    let generation = object.metadata.generation.unwrap_or(1);
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

/// The spec and shape hashes operators before in-place tag edits recorded, which covered the
/// tags. A record holding them for the current spec is brought to today's hashes
/// ([`HostingState::upgrade_hashes`]), so an upgrade redeploys nothing.
pub fn legacy_hashes(object: &HostingDeployment) -> (String, String) {
    hashes(object, &[])
}

/// The spec hash and the shape hash (the same without variant weights and instance counts),
/// without the fields `left_out`.
fn hashes(object: &HostingDeployment, left_out: &[&str]) -> (String, String) {
    let mut spec = serde_json::to_value(&object.spec).expect("specs serialize to JSON");
    if let Value::Object(map) = &mut spec {
        // Where the endpoint lives and what it is called are not part of what it serves.
        for field in ["region", "sageMakerEndpoint", "endpointName"]
            .iter()
            .chain(left_out)
        {
            map.remove(*field);
        }
    }
    let spec_hash = json_hash(&spec);
    if let Some(variants) = spec
        .get_mut("productionVariants")
        .and_then(Value::as_array_mut)
    {
        for variant in variants.iter_mut().filter_map(Value::as_object_mut) {
            variant.remove("initialInstanceCount");
            variant.remove("initialVariantWeight");
        }
    }
    (spec_hash, json_hash(&spec))
}

/// Every variant's weight and instance count as the spec gives them (SageMaker's defaults: 1.0
/// and 1).
pub fn capacities(object: &HostingDeployment) -> Vec<VariantCapacity> {
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
pub fn retained_capacities(
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

#[cfg(test)]
mod tests {
    use super::*;
    use sagemaker_k8s_api::HostingDeploymentStatus;
    use serde_json::json;

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
}
