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
