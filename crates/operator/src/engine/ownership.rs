//! The one ownership rule, for every kind: an existing SageMaker resource is this object's only
//! with proof. The proof is this operator's ownership tag (the object's UID, put on at create),
//! or, for a resource the original Go operator created (it tagged nothing), that operator's
//! records in the object's status ([`crate::takeover`]); for a resource SageMaker names itself,
//! that its name is SageMaker's answer to the object's create ([`judge_assigned`]). Nothing is
//! adopted, updated, stopped or deleted without it: a name clash with someone else's resource is
//! reported, never taken.

use sagemaker_k8s_aws::{SageMakerError, SageMakerHandle};

/// Whose an existing resource is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// It carries this object's tag.
    Ours,
    /// Untagged, and the original operator's records name it for this object: tag it, then it
    /// is ours.
    TakeOver,
    /// Someone else's (another tag, or untagged without the original's records).
    Foreign,
}

/// The rule itself: `tag` is the resource's ownership tag (`None`: untagged), `uid` the
/// object's, `recorded_by_original` whether the original operator's records prove it is the
/// object's.
pub fn judge(tag: Option<&str>, uid: &str, recorded_by_original: bool) -> Ownership {
    match tag {
        Some(owner) if owner == uid => Ownership::Ours,
        None if recorded_by_original => Ownership::TakeOver,
        _ => Ownership::Foreign,
    }
}

/// The rule for a resource SageMaker names itself (a model package version, which takes no
/// tags): the object knows it only as SageMaker's answer to a create sent under the object's
/// token (the status records only such answers; a deleted object learns it by sending the
/// create again), and that answer is the proof. A resource whose name is the token itself is
/// one someone named so, not an answer: never this object's.
pub fn judge_assigned(name: &str, token: &str) -> Ownership {
    if name == token {
        Ownership::Foreign
    } else {
        Ownership::Ours
    }
}

/// Reads the resource's tag (ListTags) and applies [`judge`].
pub async fn check(
    sagemaker: &SageMakerHandle,
    arn: &str,
    uid: &str,
    recorded_by_original: bool,
) -> Result<(Ownership, Option<String>), SageMakerError> {
    let tag = sagemaker.owner_uid_of(arn).await?;
    Ok((judge(tag.as_deref(), uid, recorded_by_original), tag))
}

/// Puts this object's tag on a resource taken over from the original operator, so that from
/// now on the tag alone proves it.
pub async fn take_over(
    sagemaker: &SageMakerHandle,
    arn: &str,
    uid: &str,
) -> Result<(), SageMakerError> {
    sagemaker.add_owner_tag(arn, uid).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_sagemaker_gave_is_proven_by_being_its_answer() {
        let token = "0b4ad9e2-5d3c-4f7e-9a51-2f0c8e6b7d10";
        let table = [
            (
                "arn:aws:sagemaker:us-west-2:123456789012:model-package/churn/3",
                Ownership::Ours,
            ),
            (token, Ownership::Foreign),
        ];
        for (name, expected) in table {
            assert_eq!(judge_assigned(name, token), expected, "{name}");
        }
    }

    #[test]
    fn ownership_needs_the_tag_or_the_original_operators_records() {
        use Ownership::*;
        let table = [
            // (tag, recorded by the original operator, ownership)
            (Some("uid-1"), false, Ours),
            (Some("uid-1"), true, Ours),
            (Some("uid-2"), false, Foreign),
            // Another object's tag wins over the original's records: never take a tagged one.
            (Some("uid-2"), true, Foreign),
            (None, false, Foreign),
            (None, true, TakeOver),
        ];
        for (tag, recorded, expected) in table {
            assert_eq!(
                judge(tag, "uid-1", recorded),
                expected,
                "tag {tag:?}, recorded {recorded}"
            );
        }
    }
}
