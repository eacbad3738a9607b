//! Merge patches of the operator's objects: metadata, spec and the status subresource. The
//! only way controllers write their objects (finalizers, annotations, statuses all go through
//! here), so every write is a merge patch of what it changes and nothing else.

use std::fmt::Debug;

use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A namespaced object of one of the operator's kinds.
pub trait ManagedObject:
    Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
}

impl<K> ManagedObject for K where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned
        + Serialize
        + Send
        + Sync
        + 'static
{
}

fn api_of<K: ManagedObject>(client: &kube::Client, object: &K) -> Api<K> {
    Api::namespaced(client.clone(), &object.namespace().unwrap_or_default())
}

/// Merge-patches `status` into the object's status subresource.
pub async fn patch_status<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
    status: Value,
) -> Result<(), kube::Error> {
    api_of(client, object)
        .patch_status(
            &object.name_any(),
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": status })),
        )
        .await?;
    Ok(())
}

/// Merge-patches `metadata` (finalizers, annotations) into the object.
pub async fn patch_metadata<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
    metadata: Value,
) -> Result<(), kube::Error> {
    patch_object(client, object, json!({ "metadata": metadata }))
        .await
        .map(drop)
}

/// Merge-patches the object itself (metadata and/or spec); returns the object as patched.
pub async fn patch_object<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
    patch: Value,
) -> Result<K, kube::Error> {
    api_of(client, object)
        .patch(
            &object.name_any(),
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await
}

/// Applies a JSON Patch (RFC 6902) to the object and returns it as patched. Its `test`
/// operations make the apiserver refuse the whole patch when what they check has changed since
/// the object was read (see [`is_failed_test`]).
pub async fn patch_json<K: ManagedObject>(
    client: &kube::Client,
    object: &K,
    operations: Vec<Value>,
) -> Result<K, kube::Error> {
    api_of(client, object)
        .patch(
            &object.name_any(),
            &PatchParams::default(),
            &json_patch_of(operations),
        )
        .await
}

/// A JSON Patch of operations built as JSON (`{"op": "test", "path": ..., "value": ...}`).
pub fn json_patch_of(operations: Vec<Value>) -> Patch<()> {
    Patch::Json(
        serde_json::from_value(Value::Array(operations))
            .expect("the operations built in this crate are JSON Patch operations"),
    )
}

/// Whether the apiserver refused a JSON Patch as not applicable (422 Invalid): for the guarded
/// edits built here that means a `test` failed, or a path it removes is gone — either way
/// someone else changed the field first. (The apiserver does not say which operation failed.)
pub fn is_failed_test(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 422 && status.reason == "Invalid")
}

/// A JSON Pointer token for a map key (`/` and `~` escaped, RFC 6901).
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// JSON Patch operations that set `set` in the string map at `path` (`/metadata/annotations`,
/// `/metadata/labels`) holding `existing`: the whole map when there is none, key by key
/// otherwise, so no other entry is touched.
pub fn map_operations(
    path: &str,
    existing: &std::collections::BTreeMap<String, String>,
    set: &[(&str, String)],
) -> Vec<Value> {
    if set.is_empty() {
        return Vec::new();
    }
    if existing.is_empty() {
        let map: serde_json::Map<String, Value> = set
            .iter()
            .map(|(key, value)| ((*key).to_owned(), Value::String(value.clone())))
            .collect();
        return vec![json!({ "op": "add", "path": path, "value": map })];
    }
    set.iter()
        .map(|(key, value)| {
            json!({
                "op": "add",
                "path": format!("{path}/{}", pointer_token(key)),
                "value": value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn map_operations_add_the_map_or_each_key() {
        let none = BTreeMap::new();
        let some = BTreeMap::from([("team".to_owned(), "ml".to_owned())]);
        let set = [("sagemaker.aws.amazon.com/x~y".to_owned(), "1".to_owned())];
        let set: Vec<(&str, String)> = set.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let cases = [
            (&none, vec![], vec![]),
            (
                &none,
                set.clone(),
                vec![json!({ "op": "add", "path": "/metadata/annotations",
                             "value": { "sagemaker.aws.amazon.com/x~y": "1" } })],
            ),
            (
                &some,
                set.clone(),
                vec![json!({ "op": "add",
                             "path": "/metadata/annotations/sagemaker.aws.amazon.com~1x~0y",
                             "value": "1" })],
            ),
        ];
        for (existing, set, expected) in cases {
            let operations = map_operations("/metadata/annotations", existing, &set);
            assert_eq!(operations, expected, "{existing:?} {set:?}");
        }
    }
}
