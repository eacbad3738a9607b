//! References between objects: a spec field naming another Kubernetes object of the same
//! namespace (an EndpointConfig variant's `modelRef`, an Endpoint's `endpointConfigRef`, …),
//! resolved to that object's SageMaker name before anything is created or updated from it.
//!
//! What a referenced object's status says is judged here without I/O ([`judge`], [`collect`],
//! table-tested); [`resolve`] reads the objects from the apiserver. A referring object whose
//! reference is missing or not ready waits, makes no SageMaker call to create or update, and is
//! woken by the watch on the referenced kind ([`referrers`], wired by `engine::run`).
//!
//! Deleting a referenced object is not blocked: it and its SageMaker resource go as usual. An
//! object that refers to it keeps its own SageMaker resource as it is (SageMaker keeps it
//! working: an endpoint configuration keeps the model name it was created with, an endpoint
//! keeps serving), shows `ReferencesReady` false naming the missing object, and waits for it
//! before its next create or update. Every SageMaker resource stays owned by one object, so
//! nothing is orphaned.

use std::collections::BTreeMap;
use std::fmt::Debug;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;

use crate::conditions::set_condition;

/// Condition type: whether every object the spec refers to is ready (only on objects whose spec
/// refers to others).
pub const REFERENCES_READY: &str = "ReferencesReady";
/// Event reason: the object waits for an object it refers to.
pub const WAITING_FOR_REFERENCE: &str = "WaitingForReference";

/// The SageMaker names the object's references resolved to, by the spec field that makes each
/// (e.g. `productionVariants[0].modelRef`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved(BTreeMap<String, String>);

impl Resolved {
    /// The SageMaker name the reference in `field` resolved to.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn insert(&mut self, field: impl Into<String>, sagemaker_name: impl Into<String>) {
        self.0.insert(field.into(), sagemaker_name.into());
    }

    /// The SageMaker name each of `references` resolved to, by the referenced object's name
    /// (what request builders that take a spec's object names look up).
    pub fn by_object_name(&self, references: &[Reference]) -> BTreeMap<String, String> {
        references
            .iter()
            .filter_map(|reference| {
                let name = self.get(&reference.field)?;
                Some((reference.name.clone(), name.to_string()))
            })
            .collect()
    }
}

/// A kind other objects may refer to: how its status records its SageMaker name and state.
pub trait Referable {
    type Object: Resource<DynamicType = ()> + DeserializeOwned;
    /// Kind name, as messages say it.
    const KIND: &'static str;
    fn recorded(object: &Self::Object) -> Recorded;
}

/// What a referenced object's status records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub sagemaker_name: Option<String>,
    pub state: Option<String>,
    /// The object is being deleted.
    pub deleting: bool,
}

/// A kind that can be referred to, and in which states it is ready to be.
#[derive(Debug)]
pub struct Target {
    pub kind: &'static str,
    /// Where the apiserver serves it.
    pub api_resource: fn() -> ApiResource,
    /// Its status, read from the untyped object (an error says why it cannot be read).
    pub read: fn(&DynamicObject) -> Result<Recorded, String>,
    /// The states in which what it names in SageMaker can be used (a Model `Created`, an
    /// Endpoint `InService`).
    pub ready: &'static [&'static str],
}

impl Target {
    pub const fn of<R: Referable>(ready: &'static [&'static str]) -> Self {
        Target {
            kind: R::KIND,
            api_resource: api_resource_of::<R::Object>,
            read: read_as::<R>,
            ready,
        }
    }
}

fn api_resource_of<O: Resource<DynamicType = ()>>() -> ApiResource {
    ApiResource::erase::<O>(&())
}

fn read_as<R: Referable>(object: &DynamicObject) -> Result<Recorded, String> {
    let typed: R::Object = object
        .clone()
        .try_parse()
        .map_err(|error| error.to_string())?;
    Ok(R::recorded(&typed))
}

/// One reference an object's spec makes.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The spec field that makes it, e.g. `productionVariants[0].modelRef`.
    pub field: String,
    pub target: &'static Target,
    /// The referenced object's name (same namespace).
    pub name: String,
}

/// Why a referenced object cannot be used (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unready {
    NotFound,
    /// Its state (none recorded yet, or not one of the ready ones).
    NotReady(Option<String>),
    BeingDeleted,
    /// Its status cannot be read (the message says why).
    Unreadable(String),
}

/// A reference the object waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub kind: &'static str,
    pub name: String,
    pub why: Unready,
}

impl Waiting {
    /// `Waiting for Model "x": not found`, `… not ready (Creating)`.
    pub fn message(&self) -> String {
        let why = match &self.why {
            Unready::NotFound => "not found".to_string(),
            Unready::NotReady(Some(state)) => format!("not ready ({state})"),
            Unready::NotReady(None) => "not ready (no status yet)".to_string(),
            Unready::BeingDeleted => "being deleted".to_string(),
            Unready::Unreadable(error) => format!("its status cannot be read: {error}"),
        };
        format!("Waiting for {} {:?}: {why}", self.kind, self.name)
    }

    /// The condition reason.
    pub fn reason(&self) -> &'static str {
        match self.why {
            Unready::NotFound => "ReferenceNotFound",
            Unready::NotReady(_) => "ReferenceNotReady",
            Unready::BeingDeleted => "ReferenceBeingDeleted",
            Unready::Unreadable(_) => "ReferenceUnreadable",
        }
    }
}

/// What the apiserver had for a reference: nothing, or the object's status as read.
pub type Found = Option<Result<Recorded, String>>;

/// The SageMaker name a referenced object gives, or why it cannot be used yet. `ready`: the
/// target's ready states.
pub fn judge(ready: &[&str], found: &Found) -> Result<String, Unready> {
    let recorded = match found {
        None => return Err(Unready::NotFound),
        Some(Err(error)) => return Err(Unready::Unreadable(error.clone())),
        Some(Ok(recorded)) => recorded,
    };
    if recorded.deleting {
        return Err(Unready::BeingDeleted);
    }
    match (&recorded.state, &recorded.sagemaker_name) {
        (Some(state), Some(name)) if ready.contains(&state.as_str()) && !name.is_empty() => {
            Ok(name.clone())
        }
        (state, _) => Err(Unready::NotReady(state.clone())),
    }
}

/// The outcome of resolving an object's references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    pub resolved: Resolved,
    /// The first reference that cannot be used yet (in the spec's order).
    pub waiting: Option<Waiting>,
}

/// Resolves each reference from what the apiserver had for it.
pub fn collect(references: &[Reference], found: &[Found]) -> Resolution {
    let mut resolution = Resolution::default();
    for (reference, found) in references.iter().zip(found) {
        match judge(reference.target.ready, found) {
            Ok(name) => resolution.resolved.insert(reference.field.clone(), name),
            Err(why) => {
                resolution.waiting.get_or_insert(Waiting {
                    kind: reference.target.kind,
                    name: reference.name.clone(),
                    why,
                });
            }
        }
    }
    resolution
}

/// Reads every referenced object of `namespace` and resolves the references.
pub async fn resolve(
    client: &kube::Client,
    namespace: &str,
    references: &[Reference],
) -> Result<Resolution, kube::Error> {
    let mut found = Vec::with_capacity(references.len());
    for reference in references {
        let resource = (reference.target.api_resource)();
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
        let object = api.get_opt(&reference.name).await?;
        found.push(object.as_ref().map(reference.target.read));
    }
    let resolution = collect(references, &found);
    if let Some(waiting) = &resolution.waiting {
        tracing::debug!(kind = waiting.kind, object = %waiting.name, why = ?waiting.why, "waiting for a referenced object");
    }
    Ok(resolution)
}

/// Shows in `conditions` whether every referenced object is ready (`ReferencesReady`), for the
/// object's `generation`. Returns the message when this newly says the object waits, or waits
/// for another reason (worth one Event; a Model going from no status to Synchronizing is the
/// same wait), `None` otherwise.
pub fn show_references(
    conditions: &mut Vec<Condition>,
    waiting: Option<&Waiting>,
    generation: Option<i64>,
) -> Option<String> {
    let recorded = conditions
        .iter()
        .find(|condition| condition.type_ == REFERENCES_READY)
        .map(|condition| (condition.status.clone(), condition.reason.clone()));
    match waiting {
        None => {
            let message = "Every object the spec refers to is ready";
            set_condition(
                conditions,
                REFERENCES_READY,
                true,
                "ReferencesReady",
                message,
                generation,
            );
            None
        }
        Some(waiting) => {
            let message = waiting.message();
            set_condition(
                conditions,
                REFERENCES_READY,
                false,
                waiting.reason(),
                &message,
                generation,
            );
            let already = recorded == Some(("False".to_string(), waiting.reason().to_string()));
            (!already).then_some(message)
        }
    }
}

/// The objects of `store` that refer to `referenced` (an object of `target`'s kind), for the
/// watch on the referenced kind: they are reconciled when it appears, changes or goes.
pub fn referrers<K>(
    store: &Store<K>,
    target: &Target,
    referenced: &DynamicObject,
    refers_to: fn(&K, &Target, &str) -> bool,
) -> Vec<ObjectRef<K>>
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    let namespace = referenced.namespace();
    let name = referenced.name_any();
    store
        .state()
        .into_iter()
        .filter(|object| object.namespace() == namespace && refers_to(object, target, &name))
        .map(|object| ObjectRef::from_obj(object.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(state: Option<&str>, name: Option<&str>, deleting: bool) -> Found {
        Some(Ok(Recorded {
            sagemaker_name: name.map(str::to_string),
            state: state.map(str::to_string),
            deleting,
        }))
    }

    #[test]
    fn a_referenced_object_is_used_only_once_ready() {
        const CREATED: &[&str] = &["Created"];
        const IN_SERVICE: &[&str] = &["InService"];
        /// A case, the target's ready states, what the apiserver had, the judgement.
        type Case = (
            &'static str,
            &'static [&'static str],
            Found,
            Result<&'static str, Unready>,
        );
        let table: &[Case] = &[
            (
                "a Model Created: its SageMaker name",
                CREATED,
                recorded(Some("Created"), Some("xgb-1-abc"), false),
                Ok("xgb-1-abc"),
            ),
            ("missing", CREATED, None, Err(Unready::NotFound)),
            (
                "no status yet",
                CREATED,
                recorded(None, None, false),
                Err(Unready::NotReady(None)),
            ),
            (
                "synchronizing: not created yet",
                CREATED,
                recorded(Some("SynchronizingK8sJobWithSageMaker"), None, false),
                Err(Unready::NotReady(Some(
                    "SynchronizingK8sJobWithSageMaker".into(),
                ))),
            ),
            (
                "failed (SageMaker refused it)",
                CREATED,
                recorded(Some("Failed"), None, false),
                Err(Unready::NotReady(Some("Failed".into()))),
            ),
            (
                "an endpoint still Creating",
                IN_SERVICE,
                recorded(Some("Creating"), Some("ep"), false),
                Err(Unready::NotReady(Some("Creating".into()))),
            ),
            (
                "an endpoint InService",
                IN_SERVICE,
                recorded(Some("InService"), Some("ep"), false),
                Ok("ep"),
            ),
            (
                "being deleted, even if its state still reads ready",
                CREATED,
                recorded(Some("Created"), Some("xgb"), true),
                Err(Unready::BeingDeleted),
            ),
            (
                "ready state without a recorded name (a status written by hand)",
                CREATED,
                recorded(Some("Created"), None, false),
                Err(Unready::NotReady(Some("Created".into()))),
            ),
            (
                "a status that cannot be read",
                CREATED,
                Some(Err("invalid type".into())),
                Err(Unready::Unreadable("invalid type".into())),
            ),
        ];
        for (case, ready, found, expected) in table {
            let expected = expected.clone().map(str::to_string);
            assert_eq!(judge(ready, found), expected, "{case}");
        }
    }

    static MODEL: Target = Target {
        kind: "Model",
        api_resource: || unreachable!("not read in these tests"),
        read: |_| unreachable!("not read in these tests"),
        ready: &["Created"],
    };

    fn model_ref(field: &str, name: &str) -> Reference {
        Reference {
            field: field.into(),
            target: &MODEL,
            name: name.into(),
        }
    }

    #[test]
    fn every_reference_resolves_or_the_first_that_does_not_is_waited_for() {
        let references = [
            model_ref("productionVariants[0].modelRef", "a"),
            model_ref("productionVariants[1].modelRef", "b"),
            model_ref("productionVariants[2].modelRef", "c"),
        ];
        let all = collect(
            &references,
            &[
                recorded(Some("Created"), Some("a-sm"), false),
                recorded(Some("Created"), Some("b-sm"), false),
                recorded(Some("Created"), Some("c-sm"), false),
            ],
        );
        assert_eq!(all.waiting, None);
        assert_eq!(
            all.resolved.get("productionVariants[1].modelRef"),
            Some("b-sm")
        );
        let some = collect(
            &references,
            &[
                recorded(Some("Created"), Some("a-sm"), false),
                None,
                recorded(Some("Creating"), None, false),
            ],
        );
        let waiting = some.waiting.unwrap();
        assert_eq!(waiting.message(), r#"Waiting for Model "b": not found"#);
        assert_eq!(waiting.reason(), "ReferenceNotFound");
        assert_eq!(collect(&[], &[]), Resolution::default());
    }

    #[test]
    fn the_condition_says_which_object_is_waited_for_and_is_announced_once() {
        let waiting = Waiting {
            kind: "Model",
            name: "xgb".into(),
            why: Unready::NotFound,
        };
        let mut conditions = Vec::new();
        let first = show_references(&mut conditions, Some(&waiting), Some(1));
        assert_eq!(
            first.as_deref(),
            Some(r#"Waiting for Model "xgb": not found"#)
        );
        assert_eq!(
            (conditions[0].status.as_str(), conditions[0].reason.as_str()),
            ("False", "ReferenceNotFound")
        );
        // The same wait again: no second Event.
        assert_eq!(
            show_references(&mut conditions, Some(&waiting), Some(1)),
            None
        );
        // Another reason is news; another state of the same reason is not.
        let not_ready = |state: Option<&str>| Waiting {
            why: Unready::NotReady(state.map(str::to_string)),
            ..waiting.clone()
        };
        assert!(show_references(&mut conditions, Some(&not_ready(None)), Some(1)).is_some());
        let creating = not_ready(Some("Creating"));
        assert_eq!(
            show_references(&mut conditions, Some(&creating), Some(1)),
            None
        );
        assert_eq!(
            conditions[0].message,
            creating.message(),
            "the condition says the latest"
        );
        // Ready: true, nothing to announce.
        assert_eq!(show_references(&mut conditions, None, Some(2)), None);
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].status, "True");
        // Gone again later (the Model was deleted): announced.
        assert!(show_references(&mut conditions, Some(&waiting), Some(2)).is_some());
    }

    #[test]
    fn the_waiting_message_names_the_object_and_why() {
        let waiting = |why| Waiting {
            kind: "EndpointConfig",
            name: "x".into(),
            why,
        };
        let table = [
            (
                Unready::NotFound,
                r#"Waiting for EndpointConfig "x": not found"#,
            ),
            (
                Unready::NotReady(Some("Creating".into())),
                r#"Waiting for EndpointConfig "x": not ready (Creating)"#,
            ),
            (
                Unready::NotReady(None),
                r#"Waiting for EndpointConfig "x": not ready (no status yet)"#,
            ),
            (
                Unready::BeingDeleted,
                r#"Waiting for EndpointConfig "x": being deleted"#,
            ),
        ];
        for (why, message) in table {
            assert_eq!(waiting(why).message(), message);
        }
    }
}
