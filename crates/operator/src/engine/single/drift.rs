//! What an observed object's spec says that SageMaker's resource does not: the spec fields
//! whose values differ from what the Describe shows under the same name. Pure, and generic:
//! every kind's status maps its Describe, and a spec field the status shows under its own name
//! is compared. Fields the status does not show cannot be compared and are not reported.

use serde_json::Value;

/// Spec fields never compared: where the resource lives, and the tags (not in a Describe).
const NOT_COMPARED: [&str; 3] = ["region", "sageMakerEndpoint", "tags"];

/// The top-level spec fields (sorted) whose value differs from the one `described` (the status
/// mapped from the Describe) shows under the same name; `skip`: fields that name other objects
/// of the namespace (references), which SageMaker knows by other names.
pub fn differing_fields(spec: &Value, described: &Value, skip: &[&str]) -> Vec<String> {
    let (Some(spec), Some(described)) = (spec.as_object(), described.as_object()) else {
        return Vec::new();
    };
    spec.iter()
        .filter(|(field, value)| {
            !NOT_COMPARED.contains(&field.as_str())
                && !skip.contains(&field.as_str())
                && !value.is_null()
        })
        .filter_map(|(field, wanted)| {
            let shown = described.get(field).filter(|shown| !shown.is_null())?;
            (!same(wanted, shown)).then(|| field.clone())
        })
        .collect()
}

/// JSON equality with numbers compared by value (`1` and `1.0` are the same).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, value)| b.get(key).is_some_and(|other| same(value, other)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_fields_both_sides_show_are_compared() {
        let spec = json!({
            "region": "us-west-2",
            "endpointName": "e",
            "endpointConfigName": "config-b",
            "deploymentConfig": {"blueGreen": {"wait": 5}},
            "retainAllVariantProperties": true,
            "tags": [{"key": "team", "value": "ml"}],
            "endpointConfigRef": "config-object",
        });
        let described = json!({
            "endpointName": "e",
            "endpointConfigName": "config-a",
            "deploymentConfig": {"blueGreen": {"wait": 5.0}},
            "endpointConfigRef": "something-else",
            "status": "InService",
        });
        let table: [(&str, &[&str], &[&str]); 2] = [
            (
                "a name that differs; a number as float is the same; not shown: not compared",
                &[],
                &["endpointConfigName", "endpointConfigRef"],
            ),
            (
                "references are not compared",
                &["endpointConfigRef"],
                &["endpointConfigName"],
            ),
        ];
        for (case, skip, expected) in table {
            assert_eq!(
                differing_fields(&spec, &described, skip),
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn nested_values_differ_by_any_member() {
        let spec = json!({"config": {"a": [1, 2]}, "other": null});
        assert_eq!(
            differing_fields(&spec, &json!({"config": {"a": [1, 3]}, "other": 5}), &[]),
            ["config"]
        );
        assert!(differing_fields(&spec, &json!({"config": {"a": [1.0, 2]}}), &[]).is_empty());
        assert!(differing_fields(&spec, &json!({"config": null}), &[]).is_empty());
    }
}
