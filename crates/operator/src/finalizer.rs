//! The operator's finalizer on its objects: added before anything is created in SageMaker,
//! removed once nothing is left there.
//!
//! Other controllers edit the same list (another operator's finalizer, the garbage collector's
//! `foregroundDeletion`), and the object a reconcile holds may be older than the apiserver's.
//! So every edit is a JSON Patch guarded by a `test` of what it was computed from, as
//! kube-runtime's finalizer helper does: when the list changed meanwhile the apiserver refuses
//! the edit, and the change's own watch event brings the object back to be edited afresh. A
//! merge patch of the whole list would silently drop the other controller's entry.

use kube::ResourceExt;
use sagemaker_k8s_api::FINALIZER;
use serde_json::{Value, json};

use crate::object_patch::{ManagedObject, is_failed_test, patch_json};

/// What a guarded finalizer edit came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Applied,
    /// The list changed since the object was read; nothing was written. The change's watch
    /// event reconciles the object again, with the list as it now is.
    ListChanged,
}

/// Whether the object carries the operator's finalizer.
pub fn has_finalizer<K: ManagedObject>(object: &K) -> bool {
    object.finalizers().iter().any(|f| f == FINALIZER)
}

/// JSON Patch operations that append `finalizer` to the list as read (`current`), guarded by a
/// test of that whole list. None when it is there already.
pub fn add_operations(current: &[String], finalizer: &str) -> Option<Vec<Value>> {
    if current.iter().any(|f| f == finalizer) {
        return None;
    }
    Some(if current.is_empty() {
        // The apiserver stores no empty list: the field is absent, which `test` sees as null.
        vec![
            json!({ "op": "test", "path": "/metadata/finalizers", "value": null }),
            json!({ "op": "add", "path": "/metadata/finalizers", "value": [finalizer] }),
        ]
    } else {
        vec![
            json!({ "op": "test", "path": "/metadata/finalizers", "value": current }),
            json!({ "op": "add", "path": "/metadata/finalizers/-", "value": finalizer }),
        ]
    })
}

/// JSON Patch operations that remove `finalizer` by its index, guarded by a test that the index
/// still holds it (entries added after it elsewhere do not move it). None when it is not there.
pub fn remove_operations(current: &[String], finalizer: &str) -> Option<Vec<Value>> {
    let index = current.iter().position(|f| f == finalizer)?;
    let path = format!("/metadata/finalizers/{index}");
    Some(vec![
        json!({ "op": "test", "path": path, "value": finalizer }),
        json!({ "op": "remove", "path": path }),
    ])
}

/// Adds the operator's finalizer.
pub async fn add_finalizer<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
) -> Result<Edit, kube::Error> {
    match add_operations(object.finalizers(), FINALIZER) {
        Some(operations) => guarded(patch_json(client, object, operations).await),
        None => Ok(Edit::Applied),
    }
}

/// Removes `finalizer` (the operator's, or one it takes over from the original operator).
pub async fn remove_finalizer<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
    finalizer: &str,
) -> Result<Edit, kube::Error> {
    match remove_operations(object.finalizers(), finalizer) {
        Some(operations) => guarded(patch_json(client, object, operations).await),
        None => Ok(Edit::Applied),
    }
}

fn guarded<K>(result: Result<K, kube::Error>) -> Result<Edit, kube::Error> {
    match result {
        Ok(_) => Ok(Edit::Applied),
        Err(error) if is_failed_test(&error) => {
            tracing::debug!(%error, "the finalizer list changed meanwhile; waiting for its event");
            Ok(Edit::ListChanged)
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests;
