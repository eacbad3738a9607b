//! References between objects: a spec field naming another Kubernetes object of the namespace,
//! resolved to that object's SageMaker name before a create or an update.

use std::collections::BTreeMap;

/// The SageMaker names the object's references resolved to, by the spec field that makes each
/// (e.g. `productionVariants[0].modelRef`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved(BTreeMap<String, String>);

#[allow(dead_code, reason = "read by the adapters of kinds with references")]
impl Resolved {
    /// The SageMaker name the reference in `field` resolved to.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn insert(&mut self, field: impl Into<String>, sagemaker_name: impl Into<String>) {
        self.0.insert(field.into(), sagemaker_name.into());
    }
}
