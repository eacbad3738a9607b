//! The engine's own decisions, the same for every kind (pure, table-tested). What each kind
//! decides is in its strategy's decision core.

use std::time::Duration;

use sagemaker_k8s_api::{
    ADOPTION_POLICY_ANNOTATION, DELETION_POLICY_ANNOTATION, OBSERVE_ANNOTATION,
};

/// What to do when the operator's endpoint policy refuses the object's location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusedLocation {
    /// A deleted object that never had anything there: nothing can be left, let it go.
    Release,
    /// Report it (status, conditions, Event); a spec or policy change brings the next try.
    Report,
    /// A deleted object whose resource may exist there: keep the finalizer (releasing the
    /// object would orphan the resource), report why, and look again after this long.
    ReportAndKeep(Duration),
}

/// How often a deleted object whose location is refused looks again (an operator restarted
/// with another policy is not a change of the object).
const REFUSED_DELETE_RETRY: Duration = Duration::from_secs(60);

pub fn on_refused_location(deleting: bool, may_have_created: bool) -> RefusedLocation {
    match (deleting, may_have_created) {
        (true, false) => RefusedLocation::Release,
        (true, true) => RefusedLocation::ReportAndKeep(REFUSED_DELETE_RETRY),
        (false, _) => RefusedLocation::Report,
    }
}

/// What deleting an object does to its SageMaker resource
/// (`sagemaker.aws.amazon.com/deletion-policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DeletionPolicy {
    /// Stop the job or delete the resource, then let the object go.
    #[default]
    Delete,
    /// Keep the resource as it is, without this operator's ownership tag, and let the object go.
    Retain,
}

/// A control annotation's value that is not one it allows, and where it was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the annotation {annotation} on the {on} is {value:?}; allowed: {}", quoted(.allowed))]
pub struct InvalidAnnotation {
    pub annotation: &'static str,
    /// "object" or "namespace".
    pub on: &'static str,
    pub value: String,
    /// The values the annotation allows.
    pub allowed: Vec<&'static str>,
}

/// `"a", "b"`: the allowed values as a message lists them.
fn quoted(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("{word:?}")).collect();
    quoted.join(", ")
}

/// The meaning of `value`, one of an annotation's `words`, or why it is none.
fn word<T: Copy>(
    annotation: &'static str,
    on: &'static str,
    value: &str,
    words: &[(&'static str, T)],
) -> Result<T, InvalidAnnotation> {
    let found = words.iter().find(|(word, _)| *word == value);
    found
        .map(|(_, meaning)| *meaning)
        .ok_or_else(|| InvalidAnnotation {
            annotation,
            on,
            value: value.to_string(),
            allowed: words.iter().map(|(word, _)| *word).collect(),
        })
}

const DELETION_POLICIES: [(&str, DeletionPolicy); 2] = [
    ("delete", DeletionPolicy::Delete),
    ("retain", DeletionPolicy::Retain),
];
const ADOPTION_POLICIES: [(&str, Adoption); 2] = [
    ("adopt", Adoption::Adopt),
    ("adopt-or-create", Adoption::AdoptOrCreate),
];
const OBSERVE_VALUES: [(&str, bool); 2] = [("true", true), ("false", false)];

/// Whether an object takes over a resource that exists under its name
/// (`sagemaker.aws.amazon.com/adoption-policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Adoption {
    /// No: a resource of its name that is not provably its own is a name clash (the default).
    #[default]
    Never,
    /// Take over the existing, untagged resource of its name; refuse if there is none.
    Adopt,
    /// Take it over if it exists, create it if not.
    AdoptOrCreate,
}

/// Whether the object only follows its resource, from the observe annotation's value.
pub fn observe(value: Option<&str>) -> Result<bool, InvalidAnnotation> {
    value.map_or(Ok(false), |value| {
        word(OBSERVE_ANNOTATION, "object", value, &OBSERVE_VALUES)
    })
}

/// The object's adoption policy, from its annotation's value.
pub fn adoption_policy(value: Option<&str>) -> Result<Adoption, InvalidAnnotation> {
    value.map_or(Ok(Adoption::Never), |value| {
        word(
            ADOPTION_POLICY_ANNOTATION,
            "object",
            value,
            &ADOPTION_POLICIES,
        )
    })
}

/// The deletion policy of an object: its own annotation, else its namespace's, else the
/// operator's default. A value that is not a policy is an error, not a fallback: guessing
/// "delete" could destroy what the user meant to keep.
pub fn deletion_policy(
    on_object: Option<&str>,
    on_namespace: Option<&str>,
    default: DeletionPolicy,
) -> Result<DeletionPolicy, InvalidAnnotation> {
    let (on, value) = match (on_object, on_namespace) {
        (Some(value), _) => ("object", value),
        (None, Some(value)) => ("namespace", value),
        (None, None) => return Ok(default),
    };
    word(DELETION_POLICY_ANNOTATION, on, value, &DELETION_POLICIES)
}

/// How often a deleted object whose deletion policy is not valid looks again (a fix on its
/// namespace wakes nothing; one on the object does).
pub const INVALID_POLICY_RETRY: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_object_then_its_namespace_then_the_operator_decide_what_a_delete_keeps() {
        use DeletionPolicy::*;
        let table = [
            // (object, namespace, operator default, policy or the value refused)
            (None, None, Delete, Ok(Delete)),
            (None, None, Retain, Ok(Retain)),
            (None, Some("retain"), Delete, Ok(Retain)),
            (None, Some("delete"), Retain, Ok(Delete)),
            (Some("delete"), Some("retain"), Retain, Ok(Delete)),
            (Some("retain"), Some("delete"), Delete, Ok(Retain)),
            // Never guessed: neither deleted nor released until the value is fixed.
            (Some("Retain"), None, Delete, Err(("object", "Retain"))),
            (Some(""), Some("retain"), Delete, Err(("object", ""))),
            (None, Some("keep"), Delete, Err(("namespace", "keep"))),
            // The object's valid value wins over its namespace's invalid one.
            (Some("retain"), Some("keep"), Delete, Ok(Retain)),
        ];
        for (object, namespace, default, expected) in table {
            let expected = expected.map_err(|(on, value)| InvalidAnnotation {
                annotation: DELETION_POLICY_ANNOTATION,
                on,
                value: value.to_string(),
                allowed: vec!["delete", "retain"],
            });
            assert_eq!(
                deletion_policy(object, namespace, default),
                expected,
                "object {object:?}, namespace {namespace:?}, default {default:?}"
            );
        }
    }

    #[test]
    fn the_adoption_policy_is_one_of_its_words_or_refused() {
        let table = [
            (None, Ok(Adoption::Never)),
            (Some("adopt"), Ok(Adoption::Adopt)),
            (Some("adopt-or-create"), Ok(Adoption::AdoptOrCreate)),
            (Some("Adopt"), Err("Adopt")),
            (Some(""), Err("")),
        ];
        for (value, expected) in table {
            let expected = expected.map_err(|value| InvalidAnnotation {
                annotation: ADOPTION_POLICY_ANNOTATION,
                on: "object",
                value: value.to_string(),
                allowed: vec!["adopt", "adopt-or-create"],
            });
            assert_eq!(adoption_policy(value), expected, "{value:?}");
        }
        assert_eq!(
            adoption_policy(Some("take")).unwrap_err().to_string(),
            "the annotation sagemaker.aws.amazon.com/adoption-policy on the object is \"take\"; allowed: \"adopt\", \"adopt-or-create\""
        );
    }

    #[test]
    fn observe_is_true_or_false() {
        let table = [
            (None, Ok(false)),
            (Some("false"), Ok(false)),
            (Some("true"), Ok(true)),
            (Some("yes"), Err("yes")),
            (Some("True"), Err("True")),
        ];
        for (value, expected) in table {
            let expected = expected.map_err(|value| InvalidAnnotation {
                annotation: OBSERVE_ANNOTATION,
                on: "object",
                value: value.to_string(),
                allowed: vec!["true", "false"],
            });
            assert_eq!(observe(value), expected, "{value:?}");
        }
    }

    #[test]
    fn an_invalid_policy_names_the_annotation_and_the_allowed_values() {
        let error = deletion_policy(Some("keep"), None, DeletionPolicy::Delete).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the annotation sagemaker.aws.amazon.com/deletion-policy on the object is \"keep\"; allowed: \"delete\", \"retain\""
        );
    }

    #[test]
    fn a_refused_location_never_orphans_what_was_created_there() {
        use RefusedLocation::*;
        let table = [
            // (deleting, may have created, what to do)
            (false, false, Report),
            (false, true, Report),
            (true, false, Release),
            (true, true, ReportAndKeep(REFUSED_DELETE_RETRY)),
        ];
        for (deleting, created, expected) in table {
            assert_eq!(
                on_refused_location(deleting, created),
                expected,
                "deleting {deleting}, may have created {created}"
            );
        }
    }
}
