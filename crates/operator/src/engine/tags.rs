//! The user's tags kept in line with `spec.tags`, in place (AddTags / DeleteTags), for every
//! kind. Only what the spec says is touched: the operator's ownership tag never, and tags
//! someone else put on the resource only when the spec names their key. A tag the spec no
//! longer has is removed only if the operator wrote it (the keys recorded in
//! [`APPLIED_TAGS_ANNOTATION`]). The decision ([`tag_changes`]) is pure; [`bring_to`] carries
//! it out on one resource, for every strategy that tags.

use std::collections::{BTreeMap, BTreeSet};

use sagemaker_k8s_api::APPLIED_TAGS_ANNOTATION;
use sagemaker_k8s_aws::{OWNER_UID_TAG, SageMakerError, SageMakerHandle};
use serde_json::Value;

/// Tags by key.
pub type Tags = BTreeMap<String, String>;

/// The tags a spec asks for (its `tags` list of `{key, value}`), without the ownership tag,
/// which is the operator's alone.
pub fn spec_tags(spec: &Value) -> Tags {
    spec.get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| {
            let key = tag.get("key")?.as_str()?;
            let value = tag.get("value").and_then(Value::as_str).unwrap_or_default();
            (key != OWNER_UID_TAG).then(|| (key.to_string(), value.to_string()))
        })
        .collect()
}

/// The annotation's value recording `tags` as applied.
pub fn applied_value(tags: &Tags) -> String {
    serde_json::to_string(tags).expect("tags serialize")
}

/// The tags last applied, as the object's annotations record them (`None`: never recorded, or
/// unreadable — then no key is known to be the operator's, and nothing is removed).
pub fn recorded(annotations: &BTreeMap<String, String>) -> Option<Tags> {
    serde_json::from_str(annotations.get(APPLIED_TAGS_ANNOTATION)?).ok()
}

/// What to send to bring a resource's tags to the spec's.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Added, or overwritten with the spec's value (AddTags).
    pub set: Vec<(String, String)>,
    /// Removed (DeleteTags): keys the operator wrote that the spec no longer has.
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }

    /// For an Event: what was set and what was removed.
    pub fn describe(&self) -> String {
        let set = self.set.iter().map(|(key, _)| key.as_str());
        let set = set.collect::<Vec<_>>().join(", ");
        let removed = self.remove.join(", ");
        match (self.set.is_empty(), self.remove.is_empty()) {
            (false, false) => format!("set {set}; removed {removed}"),
            (false, true) => format!("set {set}"),
            _ => format!("removed {removed}"),
        }
    }
}

/// The changes from the resource's `current` tags to the spec's `wanted`, given the tags the
/// operator applied before (`applied`).
pub fn tag_changes(
    wanted: &Tags,
    applied: Option<&Tags>,
    current: &[(String, String)],
) -> TagChanges {
    let current: BTreeMap<&str, &str> = current
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let set = wanted
        .iter()
        .filter(|(key, value)| current.get(key.as_str()) != Some(&value.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let written: BTreeSet<&String> = applied.into_iter().flat_map(Tags::keys).collect();
    let remove = written
        .into_iter()
        .filter(|key| {
            !wanted.contains_key(*key)
                && key.as_str() != OWNER_UID_TAG
                && current.contains_key(key.as_str())
        })
        .cloned()
        .collect();
    TagChanges { set, remove }
}

/// Brings the tags of the resource `arn` to `wanted`: ListTags, then AddTags and DeleteTags as
/// [`tag_changes`] says (`applied`: the tags recorded as applied before). Returns what changed.
pub async fn bring_to(
    sagemaker: &SageMakerHandle,
    arn: &str,
    wanted: &Tags,
    applied: Option<&Tags>,
) -> Result<TagChanges, SageMakerError> {
    let current = sagemaker.tags_of(arn).await?;
    let changes = tag_changes(wanted, applied, &current);
    if !changes.set.is_empty() {
        sagemaker.add_tags(arn, &changes.set).await?;
    }
    if !changes.remove.is_empty() {
        sagemaker.delete_tags(arn, &changes.remove).await?;
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        tags(pairs).into_iter().collect()
    }

    #[test]
    fn only_what_the_spec_says_changes() {
        let owner = (OWNER_UID_TAG, "uid-1");
        type Case<'a> = (
            &'a str,
            &'a [(&'a str, &'a str)],
            Option<&'a [(&'a str, &'a str)]>,
            &'a [(&'a str, &'a str)],
            &'a [(&'a str, &'a str)],
            &'a [&'a str],
        );
        let table: &[Case] = &[
            // (case, wanted, applied before, current, set, removed)
            (
                "in line: nothing to send",
                &[("team", "ml")],
                Some(&[("team", "ml")]),
                &[("team", "ml"), owner],
                &[],
                &[],
            ),
            (
                "a value edited",
                &[("team", "risk")],
                Some(&[("team", "ml")]),
                &[("team", "ml"), owner],
                &[("team", "risk")],
                &[],
            ),
            (
                "a tag added, one the operator wrote removed",
                &[("cost", "42")],
                Some(&[("team", "ml")]),
                &[("team", "ml"), owner],
                &[("cost", "42")],
                &["team"],
            ),
            (
                "someone else's tag stays, though the spec never named it",
                &[],
                Some(&[("team", "ml")]),
                &[("team", "ml"), ("billing", "x"), owner],
                &[],
                &["team"],
            ),
            (
                "never recorded (an object from before): set what differs, remove nothing",
                &[("team", "ml")],
                None,
                &[("team", "old"), ("stale", "1"), owner],
                &[("team", "ml")],
                &[],
            ),
            (
                "a key the spec names is the spec's, whoever wrote it",
                &[("billing", "y")],
                Some(&[]),
                &[("billing", "x"), owner],
                &[("billing", "y")],
                &[],
            ),
            (
                "removed from the resource already: nothing to delete",
                &[],
                Some(&[("team", "ml")]),
                &[owner],
                &[],
                &[],
            ),
            (
                "the ownership tag is never removed, even if once recorded",
                &[],
                Some(&[(OWNER_UID_TAG, "uid-1")]),
                &[owner],
                &[],
                &[],
            ),
        ];
        for (case, wanted, applied, current, set, removed) in table {
            let applied = applied.map(tags);
            let changes = tag_changes(&tags(wanted), applied.as_ref(), &pairs(current));
            assert_eq!(
                changes,
                TagChanges {
                    set: pairs(set),
                    remove: removed.iter().map(|key| key.to_string()).collect(),
                },
                "{case}"
            );
        }
    }

    #[test]
    fn the_spec_tags_leave_out_the_ownership_tag() {
        let spec = serde_json::json!({"tags": [
            {"key": "team", "value": "ml"},
            {"key": OWNER_UID_TAG, "value": "forged"},
            {"key": "empty"},
        ]});
        assert_eq!(spec_tags(&spec), tags(&[("team", "ml"), ("empty", "")]));
        assert_eq!(spec_tags(&serde_json::json!({})), Tags::new());
    }

    #[test]
    fn what_was_applied_is_read_back_from_the_annotation() {
        let applied = tags(&[("team", "ml")]);
        let annotations =
            BTreeMap::from([(APPLIED_TAGS_ANNOTATION.to_string(), applied_value(&applied))]);
        assert_eq!(recorded(&annotations), Some(applied));
        let unreadable = BTreeMap::from([(APPLIED_TAGS_ANNOTATION.to_string(), "{".to_string())]);
        assert_eq!(recorded(&unreadable), None);
        assert_eq!(recorded(&BTreeMap::new()), None);
    }

    #[test]
    fn an_event_says_what_changed() {
        let changes = TagChanges {
            set: pairs(&[("cost", "1"), ("team", "ml")]),
            remove: vec!["old".into()],
        };
        assert_eq!(changes.describe(), "set cost, team; removed old");
    }
}
