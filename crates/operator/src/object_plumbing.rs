//! What every controller does to its Kubernetes objects, whatever the kind and whatever its
//! state machine: finalizer add/remove, status merge-patches, Events, retry spacing. The job
//! engine and the hosting reconcilers both use these, so the rules (only this operator edits
//! the finalizer list, an unchanged status is never rewritten) live in one place.

use std::fmt::Debug;

use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Resource, ResourceExt};
use sagemaker_k8s_api::FINALIZER;
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

/// Publishes an Event on the object; a failure to publish is logged, never fatal.
pub async fn publish_event<K: ManagedObject>(
    recorder: &Recorder,
    kind: &str,
    object: &K,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let event = Event {
        type_,
        reason: reason.to_string(),
        note: Some(note),
        action: "Reconcile".to_string(),
        secondary: None,
    };
    if let Err(error) = recorder.publish(&event, &object.object_ref(&())).await {
        tracing::warn!(kind, object = %object.name_any(), %error, "could not publish event");
    }
}

/// Whether writing `fields` would change nothing in the recorded status (`null` = absent).
/// Every status write triggers a watch event and so another reconcile; writing only real
/// changes stops that loop.
/// The object's recorded status as JSON (`Null` when it has none).
pub fn status_json<K: Serialize>(object: &K) -> Value {
    serde_json::to_value(object)
        .ok()
        .and_then(|value| value.get("status").cloned())
        .unwrap_or(Value::Null)
}

pub fn status_matches<K: Serialize>(object: &K, fields: &serde_json::Map<String, Value>) -> bool {
    let current = status_json(object);
    fields
        .iter()
        .all(|(key, value)| current.get(key).unwrap_or(&Value::Null) == value)
}

/// Records a SageMaker failure that a later retry may get past: in `additional` and as a
/// Warning Event. The caller returns the error so the controller retries.
pub async fn record_retryable_error<K: ManagedObject>(
    client: &kube::Client,
    recorder: &Recorder,
    kind: &str,
    object: &K,
    error: &sagemaker_k8s_aws::SageMakerError,
) {
    let message = format!("SageMaker call failed, retrying with backoff: {error}");
    let mut conditions: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> =
        status_json(object)
            .get("conditions")
            .cloned()
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default();
    crate::conditions::set_condition(
        &mut conditions,
        crate::conditions::RETRYING,
        true,
        error.class(),
        &message,
        object.meta().generation,
    );
    let status = json!({ "additional": message, "conditions": conditions });
    if status_matches(object, status.as_object().expect("an object")) {
        // The same failure again: nothing new to write or announce.
        return;
    }
    if let Err(patch_error) = patch_status(client, object, status).await {
        tracing::warn!(kind, %patch_error, "could not record error in status");
    }
    publish_event(
        recorder,
        kind,
        object,
        EventType::Warning,
        "SageMakerCallFailed",
        message,
    )
    .await;
}

/// A short stable digest of a JSON value (hex of the first 16 bytes of its SHA-256), for
/// "has this spec changed" comparisons stored in annotations.
pub fn json_hash(value: &Value) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(value.to_string().as_bytes())[..16])
}

/// Builds the event recorder every controller shares.
pub fn recorder(client: kube::Client) -> Recorder {
    Recorder::new(
        client,
        Reporter {
            controller: "sagemaker-k8s-operator".into(),
            instance: std::env::var("HOSTNAME").ok(),
        },
    )
}
