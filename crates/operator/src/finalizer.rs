//! The operator's finalizer on its objects: added before anything is created in SageMaker,
//! removed once nothing is left there. Only this operator edits the finalizer list of its
//! objects, which is what makes a merge patch of the whole list safe.

use kube::ResourceExt;
use sagemaker_k8s_api::FINALIZER;
use serde_json::{Value, json};

use crate::object_patch::{ManagedObject, patch_metadata};

/// Whether the object carries the operator's finalizer.
pub fn has_finalizer<K: ManagedObject>(object: &K) -> bool {
    object.finalizers().iter().any(|f| f == FINALIZER)
}

/// Adds the operator's finalizer, together with any other metadata in `extra` (an object of
/// metadata fields, e.g. annotations), in one patch.
pub async fn add_finalizer<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
    extra: Value,
) -> Result<(), kube::Error> {
    let mut finalizers: Vec<String> = object.finalizers().to_vec();
    finalizers.push(FINALIZER.to_string());
    let mut metadata = match extra {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    metadata.insert("finalizers".into(), json!(finalizers));
    patch_metadata(client, object, Value::Object(metadata)).await
}

pub async fn remove_finalizer<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
) -> Result<(), kube::Error> {
    let finalizers: Vec<&String> = object
        .finalizers()
        .iter()
        .filter(|f| f.as_str() != FINALIZER)
        .collect();
    // A JSON patch with a test on resourceVersion would be stricter; a merge patch of the
    // remaining list is safe because only this operator edits this object's finalizers.
    patch_metadata(client, object, json!({ "finalizers": finalizers })).await
}
