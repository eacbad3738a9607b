//! What an Application Auto Scaling target scales: an endpoint variant's instance count, or an
//! inference component's copy count. Scaling knows resources only through this.

use crate::hosting::settled;
use crate::inference_component::Deployment;
use crate::lifecycle::{End, INFERENCE_COMPONENT};
use crate::world::World;

pub const VARIANT_DIMENSION: &str = "sagemaker:variant:DesiredInstanceCount";
pub const COMPONENT_DIMENSION: &str = "sagemaker:inference-component:DesiredCopyCount";

/// Predefined metrics Application Auto Scaling accepts for a variant's instance count.
const VARIANT_METRICS: &[&str] = &[
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
];
/// … and for an inference component's copy count.
const COMPONENT_METRICS: &[&str] = &[
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scaled {
    /// `endpoint/<endpoint>/variant/<variant>`
    Variant { endpoint: String, variant: String },
    /// `inference-component/<name>`
    Component(String),
}

/// A target's capacity as scaling sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// InService: scaling may act.
    pub ready: bool,
    /// A transition is in flight (it ends by itself).
    pub in_transition: bool,
    pub current: i64,
}

impl Scaled {
    /// The resource a resource ID names, if it goes with `dimension`.
    pub fn parse(resource_id: &str, dimension: &str) -> Option<Scaled> {
        if let Some(name) = resource_id.strip_prefix("inference-component/") {
            return (dimension == COMPONENT_DIMENSION && !name.is_empty() && !name.contains('/'))
                .then(|| Scaled::Component(name.to_string()));
        }
        let rest = resource_id.strip_prefix("endpoint/")?;
        let (endpoint, variant) = rest.split_once("/variant/")?;
        (dimension == VARIANT_DIMENSION
            && !endpoint.is_empty()
            && !variant.is_empty()
            && !variant.contains('/'))
        .then(|| Scaled::Variant {
            endpoint: endpoint.to_string(),
            variant: variant.to_string(),
        })
    }

    pub fn dimension(&self) -> &'static str {
        match self {
            Scaled::Variant { .. } => VARIANT_DIMENSION,
            Scaled::Component(_) => COMPONENT_DIMENSION,
        }
    }

    pub fn metrics(&self) -> &'static [&'static str] {
        match self {
            Scaled::Variant { .. } => VARIANT_METRICS,
            Scaled::Component(_) => COMPONENT_METRICS,
        }
    }

    /// Whether this is on (or is) the endpoint `name`.
    pub fn on_endpoint(&self, name: &str) -> bool {
        matches!(self, Scaled::Variant { endpoint, .. } if endpoint == name)
    }

    /// What the resource is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Scaled::Variant { endpoint, variant } => {
                format!("variant {variant} of the SageMaker endpoint {endpoint}")
            }
            Scaled::Component(name) => format!("the SageMaker inference component {name}"),
        }
    }
}

impl World {
    /// The capacity of what a target scales; None when it does not exist (or, for a variant,
    /// is not deployed: an endpoint has none while Creating).
    pub fn capacity(&self, scaled: &Scaled) -> Option<Capacity> {
        match scaled {
            Scaled::Variant { endpoint, variant } => {
                let endpoint = self.endpoints().get(endpoint)?;
                let state = endpoint.variants.iter().find(|v| &v.name == variant)?;
                Some(Capacity {
                    ready: endpoint.status() == "InService",
                    in_transition: endpoint.life.in_transition(),
                    current: state.current_instances,
                })
            }
            Scaled::Component(name) => {
                let component = self.inference_components().get(name)?;
                Some(Capacity {
                    ready: component.life.status == INFERENCE_COMPONENT.ready,
                    in_transition: component.life.in_transition(),
                    current: component.current_copies,
                })
            }
        }
    }

    /// A scaling activity at `at`: Updating to `desired`, done one transition later.
    pub fn set_capacity(&mut self, scaled: &Scaled, desired: i64, at: f64) {
        let time_scale = self.settings.time_scale;
        match scaled {
            Scaled::Variant { endpoint, variant } => {
                let Some(endpoint) = self.endpoints_mut().get_mut(endpoint) else {
                    return;
                };
                let mut variants = endpoint.variants.clone();
                let Some(state) = variants.iter_mut().find(|v| &v.name == variant) else {
                    return;
                };
                state.desired_instances = desired;
                let settled = settled(&variants);
                endpoint.variants = variants;
                let done = at + endpoint.transition_seconds * time_scale;
                endpoint.begin_update(at, done, settled);
            }
            Scaled::Component(name) => {
                let Some(component) = self.inference_components_mut().get_mut(name) else {
                    return;
                };
                component.desired_copies = desired;
                let deployment = Deployment {
                    specification: component.specification.clone(),
                    copies: desired,
                };
                let done = at + component.transition_seconds * time_scale;
                component.life.begin(
                    INFERENCE_COMPONENT.updating,
                    at,
                    done,
                    End::Ready(deployment),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_go_with_their_dimension_only() {
        let variant = Scaled::Variant {
            endpoint: "e".into(),
            variant: "v".into(),
        };
        let table = [
            ("endpoint/e/variant/v", VARIANT_DIMENSION, Some(variant)),
            (
                "inference-component/ic",
                COMPONENT_DIMENSION,
                Some(Scaled::Component("ic".into())),
            ),
            ("endpoint/e/variant/v", COMPONENT_DIMENSION, None),
            ("inference-component/ic", VARIANT_DIMENSION, None),
            ("inference-component/", COMPONENT_DIMENSION, None),
            ("inference-component/a/b", COMPONENT_DIMENSION, None),
            ("endpoint/e/variant/", VARIANT_DIMENSION, None),
            ("table/t", VARIANT_DIMENSION, None),
        ];
        for (resource, dimension, expected) in table {
            assert_eq!(
                Scaled::parse(resource, dimension),
                expected,
                "{resource} {dimension}"
            );
        }
    }
}
