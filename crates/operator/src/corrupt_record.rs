//! Records the operator keeps in annotations on its objects (the scalable targets a
//! HostingAutoscalingPolicy may have registered, what a HostingDeployment deployed). One that
//! does not parse — edited by hand, cut short by a tool — must be loud, never read as "nothing
//! was done": that would forget SageMaker resources billed by the hour.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

/// The reason of the `Failed` condition an unreadable record sets.
pub const CORRUPT_RECORD: &str = "CorruptRecord";

/// An annotation holding one of the operator's records that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "the operator's record in the annotation {annotation} does not parse ({source}); nothing is \
     changed in SageMaker until the annotation is restored or removed, and deleting the object \
     still finds what it created by its names"
)]
pub struct CorruptRecord {
    pub annotation: &'static str,
    #[source]
    pub source: serde_json::Error,
}

/// The record in `annotation`: None when the object has none (nothing was recorded), an error
/// when it is there but does not parse.
pub fn read_record<T: DeserializeOwned>(
    annotations: &BTreeMap<String, String>,
    annotation: &'static str,
) -> Result<Option<T>, CorruptRecord> {
    annotations
        .get(annotation)
        .map(|text| serde_json::from_str(text))
        .transpose()
        .map_err(|source| CorruptRecord { annotation, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANNOTATION: &str = "sagemaker.aws.amazon.com/example";

    #[test]
    fn a_record_is_absent_read_or_loudly_corrupt() {
        type Read = Result<Option<Vec<String>>, ()>;
        let cases: [(Option<&str>, Read); 4] = [
            (None, Ok(None)),
            (Some(r#"["a","b"]"#), Ok(Some(vec!["a".into(), "b".into()]))),
            (Some(r#"["a","#), Err(())),
            (Some(r#"{"a":1}"#), Err(())),
        ];
        for (text, expected) in cases {
            let annotations: BTreeMap<String, String> = text
                .map(|text| (ANNOTATION.to_owned(), text.to_owned()))
                .into_iter()
                .collect();
            let read = read_record::<Vec<String>>(&annotations, ANNOTATION);
            match (read, expected) {
                (Ok(read), Ok(expected)) => assert_eq!(read, expected, "{text:?}"),
                (Err(corrupt), Err(())) => {
                    assert!(corrupt.to_string().contains(ANNOTATION), "{corrupt}")
                }
                (read, expected) => panic!("{text:?}: {read:?}, expected {expected:?}"),
            }
        }
    }
}
