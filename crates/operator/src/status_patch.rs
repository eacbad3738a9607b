//! Status writes computed from typed statuses: a controller builds the whole status it wants
//! (the api crate's struct of its kind, so a misspelled field does not compile) and this module
//! sends only what differs from what the object records, as a JSON merge patch (RFC 7386).
//!
//! Why a diff and not the whole status: every status write is a watch event and so another
//! reconcile; writing nothing when nothing changed is what lets a reconcile loop come to rest.
//! And why a computed diff rather than hand-picked fields: a field the controller stopped
//! setting must be removed (`null` in the patch), which hand-written patches forget.
//!
//! Statuses are compared in their wire form (serialized JSON), not with `PartialEq`: the
//! apiserver keeps timestamps to the second, so a freshly built `Time` and the same time read
//! back differ as values but not on the wire.

use std::sync::Mutex;

use crate::events::EventRecorder;
use kube::core::object::HasStatus;
use kube::runtime::events::EventType;
use sagemaker_k8s_api::{HasCommonStatus, RECONCILE_REQUESTED_AT_ANNOTATION};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::events::publish_event;
use crate::object_patch::{ManagedObject, patch_status};

/// The JSON merge patch that turns `recorded` into `desired`, or `None` when they are equal.
/// Object members missing from `desired` (or `null` there) are removed (`null`), objects are
/// diffed member by member, anything else (arrays, strings, numbers) is replaced whole, as
/// merge patches cannot address array items.
pub fn merge_patch(recorded: &Value, desired: &Value) -> Option<Value> {
    let (Value::Object(recorded), Value::Object(desired)) = (recorded, desired) else {
        return (recorded != desired).then(|| desired.clone());
    };
    let mut patch = Map::new();
    for (key, recorded_value) in recorded {
        let removed = desired.get(key).is_none_or(Value::is_null);
        if removed && !recorded_value.is_null() {
            patch.insert(key.clone(), Value::Null);
        }
    }
    for (key, desired_value) in desired {
        if desired_value.is_null() {
            // Absent and null mean the same in a merge patch; removals were handled above.
            continue;
        }
        let change = match recorded.get(key) {
            Some(recorded_value) => merge_patch(recorded_value, desired_value),
            None => Some(desired_value.clone()),
        };
        if let Some(change) = change {
            patch.insert(key.clone(), change);
        }
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

/// [`merge_patch`] of two typed statuses; no recorded status counts as an empty one, so an
/// empty desired status writes nothing.
pub fn status_patch<S: Serialize>(recorded: Option<&S>, desired: &S) -> Option<Value> {
    let recorded = recorded
        .map(wire_form)
        .unwrap_or_else(|| Value::Object(Map::new()));
    merge_patch(&recorded, &wire_form(desired))
}

fn wire_form<S: Serialize>(status: &S) -> Value {
    serde_json::to_value(status).expect("status types serialize to JSON")
}

/// The object's `reconcile-requested-at` annotation, if it has one.
pub fn reconcile_requested<K: kube::Resource>(object: &K) -> Option<&str> {
    object
        .meta()
        .annotations
        .as_ref()?
        .get(RECONCILE_REQUESTED_AT_ANNOTATION)
        .map(String::as_str)
}

/// Whether the object asks for a reconcile its status has not answered yet.
pub fn reconcile_request_unanswered<K>(object: &K) -> bool
where
    K: ManagedObject + HasStatus,
    K::Status: HasCommonStatus,
{
    let answered = object
        .status()
        .and_then(|status| status.common().reconcile_requested_at.as_deref());
    reconcile_requested(object).is_some_and(|requested| Some(requested) != answered)
}

/// Writes the status of one object during one reconcile, as the merge patch of what changed.
pub struct StatusWriter<'a, K: HasStatus> {
    client: &'a kube::Client,
    object: &'a K,
    known: KnownStatus<K::Status>,
}

impl<'a, K> StatusWriter<'a, K>
where
    K: ManagedObject + HasStatus,
    K::Status: HasCommonStatus + Serialize + Clone + Default,
{
    pub fn new(client: &'a kube::Client, object: &'a K) -> Self {
        StatusWriter {
            client,
            object,
            known: KnownStatus::new(object.status().cloned()),
        }
    }

    /// The recorded status (empty when there is none yet): the base a new status is built on,
    /// so the fields a write does not touch keep their values.
    pub fn recorded(&self) -> K::Status {
        self.known.get()
    }

    /// The object this writes the status of.
    pub fn object(&self) -> &'a K {
        self.object
    }

    /// Whether writing `desired` would change the recorded status.
    pub fn would_change(&self, desired: &K::Status) -> bool {
        self.known
            .patch_for(&self.answering(desired.clone()))
            .is_some()
    }

    /// `desired` answering the object's reconcile request: every status a reconcile writes
    /// echoes the `reconcile-requested-at` annotation it ran with (see
    /// [`RECONCILE_REQUESTED_AT_ANNOTATION`]), so a new value is written by the first reconcile
    /// after it even when nothing else changed.
    fn answering(&self, mut desired: K::Status) -> K::Status {
        desired.common_mut().reconcile_requested_at =
            reconcile_requested(self.object).map(str::to_string);
        desired
    }

    /// Writes `desired` if it differs from the recorded status. Returns whether it wrote.
    pub async fn write(&self, desired: K::Status) -> Result<bool, kube::Error> {
        self.write_stamped(desired, |_| {}).await
    }

    /// Like [`write`](Self::write), but only when something changed, `stamp` marks the status
    /// first (times of the last check): a stamp alone never causes a write.
    pub async fn write_stamped(
        &self,
        desired: K::Status,
        stamp: impl FnOnce(&mut K::Status),
    ) -> Result<bool, kube::Error> {
        let mut desired = self.answering(desired);
        let Some(patch) = self.known.stamped_patch_for(&mut desired, stamp) else {
            return Ok(false);
        };
        patch_status(self.client, self.object, patch).await?;
        self.known.written(desired);
        Ok(true)
    }
}

/// The status the apiserver holds, as far as one reconcile knows: read at its start, then
/// whatever it wrote. Patches are computed against it, so a reconcile that writes twice (say
/// `ReconcilingEndpoint`, then what SageMaker answered) diffs the second write against the
/// first, not against the status it started from: otherwise a field set back to its starting
/// value would be left out of the second patch and keep the first write's value.
struct KnownStatus<S> {
    /// A std mutex because it is never held across an `await`.
    status: Mutex<Option<S>>,
}

impl<S: Serialize + Clone + Default> KnownStatus<S> {
    fn new(status: Option<S>) -> Self {
        KnownStatus {
            status: Mutex::new(status),
        }
    }

    fn get(&self) -> S {
        self.lock().clone().unwrap_or_default()
    }

    fn patch_for(&self, desired: &S) -> Option<Value> {
        status_patch(self.lock().as_ref(), desired)
    }

    /// The patch for `desired` after `stamp` marked it, when `desired` changes anything
    /// without the stamp; `desired` is stamped only then.
    fn stamped_patch_for(&self, desired: &mut S, stamp: impl FnOnce(&mut S)) -> Option<Value> {
        self.patch_for(desired)?;
        stamp(desired);
        self.patch_for(desired)
    }

    fn written(&self, status: S) {
        *self.lock() = Some(status);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<S>> {
        // A panic while holding the lock cannot leave the status half-written: it is replaced
        // whole. So a poisoned lock still holds a usable value.
        self.status
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<K> StatusWriter<'_, K>
where
    K: ManagedObject + HasStatus,
    K::Status: HasCommonStatus + Serialize + Clone + Default,
{
    /// Records a SageMaker failure that a later retry may get past: in `additional`, as the
    /// `Retrying` condition (with `reason`, the failure's class) and as a Warning Event (the
    /// caller returns the error so the controller retries). The same failure again writes and
    /// announces nothing; a status that cannot be written is logged, never fatal.
    pub async fn record_retryable_error(
        &self,
        recorder: &EventRecorder,
        kind: &str,
        reason: &str,
        message: String,
    ) {
        let mut desired = self.recorded();
        let common = desired.common_mut();
        let conditions = common.conditions.get_or_insert_with(Vec::new);
        crate::conditions::set_condition(
            conditions,
            crate::conditions::RETRYING,
            true,
            reason,
            &message,
            self.object.meta().generation,
        );
        common.additional = Some(message.clone());
        match self.write(desired).await {
            // The same failure again: nothing new to write or announce.
            Ok(false) => return,
            Ok(true) => {}
            Err(patch_error) => {
                tracing::warn!(kind, %patch_error, "could not record error in status")
            }
        }
        publish_event(
            recorder,
            kind,
            self.object,
            EventType::Warning,
            "SageMakerCallFailed",
            message,
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use sagemaker_k8s_api::{CommonStatus, ModelStatus};
    use serde_json::json;

    /// A request is unanswered until the status echoes its value; no request, nothing to answer.
    #[test]
    fn a_reconcile_request_is_answered_by_the_status_echoing_it() {
        // (annotation, status echo, unanswered)
        let table = [
            (None, None, false),
            (None, Some("t1"), false),
            (Some("t1"), None, true),
            (Some("t2"), Some("t1"), true),
            (Some("t1"), Some("t1"), false),
        ];
        for (requested, echoed, unanswered) in table {
            let spec = serde_json::from_value(json!({"region": "us-west-2"})).expect("a spec");
            let mut model = sagemaker_k8s_api::ModelPackageGroup::new("m", spec);
            if let Some(requested) = requested {
                model.metadata.annotations = Some(
                    [(
                        RECONCILE_REQUESTED_AT_ANNOTATION.to_string(),
                        requested.to_string(),
                    )]
                    .into(),
                );
            }
            model.status = Some(sagemaker_k8s_api::ModelPackageGroupStatus {
                common: CommonStatus {
                    reconcile_requested_at: echoed.map(str::to_string),
                    ..Default::default()
                },
                ..Default::default()
            });
            assert_eq!(
                reconcile_request_unanswered(&model),
                unanswered,
                "{requested:?} {echoed:?}"
            );
            assert_eq!(reconcile_requested(&model), requested, "{requested:?}");
        }
    }

    #[test]
    fn merge_patches_carry_exactly_the_changes() {
        let cases = [
            ("nothing changed", json!({"a": 1}), json!({"a": 1}), None),
            ("both empty", json!({}), json!({}), None),
            (
                "a changed value",
                json!({"a": 1, "b": "x"}),
                json!({"a": 2, "b": "x"}),
                Some(json!({"a": 2})),
            ),
            (
                "a new key",
                json!({"a": 1}),
                json!({"a": 1, "b": "x"}),
                Some(json!({"b": "x"})),
            ),
            (
                "a removed key becomes null",
                json!({"a": 1, "b": "x"}),
                json!({"a": 1}),
                Some(json!({"b": null})),
            ),
            (
                "a key set to null is removed",
                json!({"a": 1, "b": "x"}),
                json!({"a": 1, "b": null}),
                Some(json!({"b": null})),
            ),
            (
                "a null that was null already is no change",
                json!({"a": null}),
                json!({}),
                None,
            ),
            (
                "nested objects are diffed",
                json!({"o": {"x": 1, "y": 2, "z": 3}}),
                json!({"o": {"x": 1, "y": 5}}),
                Some(json!({"o": {"y": 5, "z": null}})),
            ),
            (
                "an unchanged nested object is left out",
                json!({"o": {"x": 1}, "a": 1}),
                json!({"o": {"x": 1}, "a": 2}),
                Some(json!({"a": 2})),
            ),
            (
                "arrays are replaced whole",
                json!({"l": [1, 2, 3]}),
                json!({"l": [1, 2, 4]}),
                Some(json!({"l": [1, 2, 4]})),
            ),
            (
                "arrays of objects too",
                json!({"l": [{"t": "Ready", "s": "False"}, {"t": "Failed"}]}),
                json!({"l": [{"t": "Ready", "s": "True"}, {"t": "Failed"}]}),
                Some(json!({"l": [{"t": "Ready", "s": "True"}, {"t": "Failed"}]})),
            ),
            (
                "an object replacing a scalar is sent whole",
                json!({"o": "text"}),
                json!({"o": {"x": 1}}),
                Some(json!({"o": {"x": 1}})),
            ),
            (
                "a whole new status",
                Value::Null,
                json!({"a": 1}),
                Some(json!({"a": 1})),
            ),
        ];
        for (what, recorded, desired, expected) in cases {
            assert_eq!(merge_patch(&recorded, &desired), expected, "{what}");
        }
    }

    #[test]
    fn applying_the_patch_gives_the_desired_document() {
        // RFC 7386's own example, the other way round: the patch computed from the two
        // documents, applied to the first, gives the second.
        let recorded = json!({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"}, "tags": ["example", "sample"], "content": "This will be unchanged"});
        let desired = json!({"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"], "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"});
        let patch = merge_patch(&recorded, &desired).expect("they differ");
        assert_eq!(
            patch,
            json!({"title": "Hello!", "author": {"familyName": null}, "tags": ["example"], "phoneNumber": "+01-123-456-7890"})
        );
        assert_eq!(apply(recorded, &patch), desired);
    }

    /// RFC 7386's MergePatch, to check patches by their effect.
    fn apply(target: Value, patch: &Value) -> Value {
        let Value::Object(patch) = patch else {
            return patch.clone();
        };
        let mut target = match target {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                let current = target.remove(key).unwrap_or(Value::Null);
                target.insert(key.clone(), apply(current, value));
            }
        }
        Value::Object(target)
    }

    #[test]
    fn typed_statuses_are_diffed_in_their_wire_form() {
        let recorded = ModelStatus {
            status: Some("Created".into()),
            sage_maker_model_name: Some("m".into()),
            common: CommonStatus {
                additional: Some("a former error".into()),
                observed_generation: Some(1),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(status_patch(Some(&recorded), &recorded.clone()), None);
        let mut desired = recorded.clone();
        desired.common.additional = None;
        desired.common.observed_generation = Some(2);
        assert_eq!(
            status_patch(Some(&recorded), &desired),
            Some(json!({"additional": null, "observedGeneration": 2})),
            "the common fields are patched at the top level of the status"
        );
        assert_eq!(status_patch(None, &ModelStatus::default()), None);
        assert_eq!(
            status_patch(None, &recorded),
            Some(serde_json::to_value(&recorded).unwrap())
        );
    }

    fn model_status(state: &str) -> ModelStatus {
        ModelStatus {
            status: Some(state.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_second_write_is_diffed_against_the_first() {
        let known = KnownStatus::new(Some(model_status("Created")));
        let reconciling = model_status("Reconciling");
        assert!(known.patch_for(&reconciling).is_some());
        known.written(reconciling);
        // Back to the starting value: nothing against the start, a change against the write.
        assert_eq!(
            status_patch(Some(&model_status("Created")), &model_status("Created")),
            None
        );
        assert_eq!(
            known.patch_for(&model_status("Created")),
            Some(json!({"status": "Created"}))
        );
        assert_eq!(known.get(), model_status("Reconciling"));
    }

    #[test]
    fn a_stamp_alone_writes_nothing_and_rides_along_with_a_change() {
        let stamp = |status: &mut ModelStatus| {
            status.last_update_time = Some(Time("2026-12-01T10:00:00Z".parse().unwrap()));
        };
        let known = KnownStatus::new(Some(model_status("Created")));
        let mut unchanged = model_status("Created");
        assert_eq!(known.stamped_patch_for(&mut unchanged, stamp), None);
        assert_eq!(unchanged, model_status("Created"), "not stamped");
        let mut failed = model_status("Failed");
        assert_eq!(
            known.stamped_patch_for(&mut failed, stamp),
            Some(json!({"status": "Failed", "lastUpdateTime": "2026-12-01T10:00:00Z"}))
        );
        assert!(failed.last_update_time.is_some(), "stamped");
    }

    #[test]
    fn a_time_equal_to_the_second_is_no_change() {
        let read_back: Time = serde_json::from_value(json!("2026-12-01T10:00:00Z")).unwrap();
        let built = Time("2026-12-01T10:00:00.123456789Z".parse().unwrap());
        assert_ne!(read_back, built, "the values differ…");
        let status = |time: Time| ModelStatus {
            last_update_time: Some(time),
            ..Default::default()
        };
        assert_eq!(
            status_patch(Some(&status(read_back)), &status(built)),
            None,
            "…but not on the wire"
        );
    }
}
