//! The expressions of a pipeline definition, resolved when a step starts: `{"Get":
//! "Parameters.<Name>"}`, `{"Get": "Execution.<Variable>"}`, `{"Get": "Steps.<Name>.<path>"}`
//! (a step's properties are the Describe response of what it ran; paths take `.Member`, `[N]`
//! and `['key']`, the last picking the list element whose `…Name` member is `key`, as the
//! SageMaker Python SDK writes `Outputs['train']`) and `{"Std:Join": {"On", "Values"}}`. An
//! expression that cannot be resolved (a property file read with `Std:JsonGet`, a property the
//! step does not have) is left as written. Conditions are evaluated on resolved values.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::pipeline_definition::value_text;

/// What expressions can read when a step starts.
pub struct Scope<'a> {
    pub parameters: &'a HashMap<String, Value>,
    /// Execution variables by name (`PipelineExecutionId`, `PipelineExecutionArn`, …).
    pub execution: &'a Map<String, Value>,
    /// The properties of the steps that have succeeded, by step name.
    pub steps: &'a HashMap<String, Value>,
}

/// `value` with every expression the scope can answer replaced by its value.
pub fn resolve(value: &Value, scope: &Scope) -> Value {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(path)) = map.get("Get")
                    && let Some(found) = lookup(path, scope)
                {
                    return found;
                }
                if let Some(join) = map.get("Std:Join")
                    && let Some(joined) = join_values(join, scope)
                {
                    return joined;
                }
            }
            Value::Object(
                map.iter()
                    .map(|(key, item)| (key.clone(), resolve(item, scope)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| resolve(item, scope)).collect())
        }
        other => other.clone(),
    }
}

/// `Std:Join`: the resolved values as text joined by `On`; None while any value is unresolved.
fn join_values(join: &Value, scope: &Scope) -> Option<Value> {
    let separator = join.get("On").and_then(Value::as_str).unwrap_or("");
    let values = join.get("Values")?.as_array()?;
    let mut parts = Vec::with_capacity(values.len());
    for value in values {
        match resolve(value, scope) {
            Value::Object(_) | Value::Array(_) => return None,
            resolved => parts.push(value_text(&resolved)),
        }
    }
    Some(Value::String(parts.join(separator)))
}

fn lookup(path: &str, scope: &Scope) -> Option<Value> {
    let (root, rest) = path.split_once('.')?;
    match root {
        "Parameters" => scope.parameters.get(rest).cloned(),
        "Execution" => scope.execution.get(rest).cloned(),
        "Steps" => {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let properties = scope.steps.get(&rest[..end])?;
            walk(properties, &rest[end..])
        }
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum Segment {
    Member(String),
    Index(usize),
    Key(String),
}

/// `.A.B[0]['x']` as its segments; None for a malformed path.
fn segments(path: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            let inside = after[..close].trim();
            let quoted = ['\'', '"']
                .iter()
                .find_map(|q| inside.strip_prefix(*q)?.strip_suffix(*q));
            out.push(match quoted {
                Some(key) => Segment::Key(key.to_string()),
                None => Segment::Index(inside.parse().ok()?),
            });
            rest = &after[close + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Segment::Member(rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    Some(out)
}

/// The value at `path` inside `root`.
fn walk(root: &Value, path: &str) -> Option<Value> {
    let mut current = root;
    for segment in segments(path)? {
        current = match (&segment, current) {
            (Segment::Member(name) | Segment::Key(name), Value::Object(map)) => map.get(name)?,
            (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
            (Segment::Key(key), Value::Array(items)) => {
                items.iter().find(|item| named(item, key))?
            }
            _ => return None,
        };
    }
    Some(current.clone())
}

/// Whether a list element is the one called `key` (its `OutputName`, `ChannelName`,
/// `MetricName`, … is `key`).
fn named(item: &Value, key: &str) -> bool {
    item.as_object().is_some_and(|map| {
        map.iter()
            .any(|(member, value)| member.ends_with("Name") && value.as_str() == Some(key))
    })
}

/// Whether every condition of a Condition step holds; None when a value it compares is not
/// known (an unresolved expression) or a condition type is not one the emulator evaluates.
pub fn evaluate(conditions: &Value, scope: &Scope) -> Option<bool> {
    let list = conditions.as_array()?;
    let mut all = true;
    for condition in list {
        all &= holds(condition, scope)?;
    }
    Some(all)
}

fn holds(condition: &Value, scope: &Scope) -> Option<bool> {
    let side = |member: &str| scalar(resolve(condition.get(member)?, scope));
    let kind = condition.get("Type").and_then(Value::as_str)?;
    let order = || compare(&side("LeftValue")?, &side("RightValue")?);
    match kind {
        "Equals" => Some(order()? == Ordering::Equal),
        "GreaterThan" => Some(order()? == Ordering::Greater),
        "GreaterThanOrEqualTo" => Some(order()? != Ordering::Less),
        "LessThan" => Some(order()? == Ordering::Less),
        "LessThanOrEqualTo" => Some(order()? != Ordering::Greater),
        "In" => {
            let query = side("QueryValue")?;
            let mut found = false;
            for value in condition.get("Values")?.as_array()? {
                found |= compare(&query, &scalar(resolve(value, scope))?)? == Ordering::Equal;
            }
            Some(found)
        }
        "Not" => holds(condition.get("Expression")?, scope).map(|held| !held),
        "Or" => {
            let mut any = false;
            for inner in condition.get("Conditions")?.as_array()? {
                any |= holds(inner, scope)?;
            }
            Some(any)
        }
        _ => None,
    }
}

/// A resolved value a condition can compare: not an object or list (an unresolved expression).
fn scalar(value: Value) -> Option<Value> {
    (!value.is_object() && !value.is_array() && !value.is_null()).then_some(value)
}

/// Numbers (and numeric text) compare as numbers, anything else as text.
fn compare(left: &Value, right: &Value) -> Option<Ordering> {
    let number = |value: &Value| match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (number(left), number(right)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(value_text(left).cmp(&value_text(right))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixture {
        parameters: HashMap<String, Value>,
        execution: Map<String, Value>,
        steps: HashMap<String, Value>,
    }

    impl Fixture {
        fn new() -> Self {
            let mut parameters = HashMap::new();
            parameters.insert("Threshold".to_string(), json!(6.5));
            parameters.insert("Approval".to_string(), json!("Approved"));
            let mut execution = Map::new();
            execution.insert("PipelineExecutionId".into(), json!("abc123def456"));
            let mut steps = HashMap::new();
            steps.insert(
                "Train".to_string(),
                json!({
                    "ModelArtifacts": { "S3ModelArtifacts": "s3://b/out/job/output/model.tar.gz" },
                    "FinalMetricDataList": [{ "MetricName": "validation:mse", "Value": 4.2 }],
                }),
            );
            steps.insert(
                "Prep".to_string(),
                json!({ "ProcessingOutputConfig": { "Outputs": [
                    { "OutputName": "train", "S3Output": { "S3Uri": "s3://b/train" } },
                    { "OutputName": "test", "S3Output": { "S3Uri": "s3://b/test" } } ] } }),
            );
            Fixture {
                parameters,
                execution,
                steps,
            }
        }

        fn scope(&self) -> Scope<'_> {
            Scope {
                parameters: &self.parameters,
                execution: &self.execution,
                steps: &self.steps,
            }
        }
    }

    #[test]
    fn expressions_resolve_to_parameters_variables_and_step_properties() {
        let fixture = Fixture::new();
        let get = |path: &str| json!({ "Get": path });
        let table = [
            (get("Parameters.Threshold"), json!(6.5)),
            (get("Execution.PipelineExecutionId"), json!("abc123def456")),
            (
                get("Steps.Train.ModelArtifacts.S3ModelArtifacts"),
                json!("s3://b/out/job/output/model.tar.gz"),
            ),
            (get("Steps.Train.FinalMetricDataList[0].Value"), json!(4.2)),
            (
                get("Steps.Train.FinalMetricDataList['validation:mse'].Value"),
                json!(4.2),
            ),
            (
                get("Steps.Prep.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"),
                json!("s3://b/test"),
            ),
            (
                json!({ "Std:Join": { "On": "/", "Values": ["s3://b", get("Execution.PipelineExecutionId"), 1] } }),
                json!("s3://b/abc123def456/1"),
            ),
            // Unresolvable expressions stay as written.
            (
                get("Steps.Train.NoSuchMember"),
                get("Steps.Train.NoSuchMember"),
            ),
            (get("Steps.Other.X"), get("Steps.Other.X")),
            (
                json!({ "Std:JsonGet": { "Path": "a.b" } }),
                json!({ "Std:JsonGet": { "Path": "a.b" } }),
            ),
            (
                json!({ "A": [get("Parameters.Approval"), { "B": get("Parameters.Threshold") }] }),
                json!({ "A": ["Approved", { "B": 6.5 }] }),
            ),
        ];
        for (expression, expected) in table {
            assert_eq!(
                resolve(&expression, &fixture.scope()),
                expected,
                "{expression}"
            );
        }
    }

    #[test]
    fn conditions_compare_resolved_values_and_unknowns_are_undecided() {
        let fixture = Fixture::new();
        let compare = |kind: &str, left: Value, right: Value| json!([{ "Type": kind, "LeftValue": left, "RightValue": right }]);
        let threshold = json!({ "Get": "Parameters.Threshold" });
        let table = [
            (
                compare("LessThanOrEqualTo", threshold.clone(), json!(7)),
                Some(true),
            ),
            (
                compare("GreaterThan", threshold.clone(), json!("7")),
                Some(false),
            ),
            (
                compare(
                    "Equals",
                    json!({ "Get": "Parameters.Approval" }),
                    json!("Approved"),
                ),
                Some(true),
            ),
            (compare("LessThan", json!("a"), json!("b")), Some(true)),
            (
                json!([{ "Type": "In", "QueryValue": threshold.clone(), "Values": [1, 6.5] }]),
                Some(true),
            ),
            (
                json!([{ "Type": "Not", "Expression": { "Type": "Equals", "LeftValue": 1, "RightValue": 1 } }]),
                Some(false),
            ),
            (
                json!([{ "Type": "Or", "Conditions": [
                    { "Type": "Equals", "LeftValue": 1, "RightValue": 2 },
                    { "Type": "Equals", "LeftValue": 2, "RightValue": 2 } ] }]),
                Some(true),
            ),
            (
                json!([
                    { "Type": "Equals", "LeftValue": 1, "RightValue": 1 },
                    { "Type": "Equals", "LeftValue": 1, "RightValue": 2 } ]),
                Some(false),
            ),
            (
                compare(
                    "LessThanOrEqualTo",
                    json!({ "Std:JsonGet": { "Path": "mse" } }),
                    json!(7),
                ),
                None,
            ),
            (compare("Matches", json!(1), json!(1)), None),
        ];
        for (conditions, expected) in table {
            assert_eq!(
                evaluate(&conditions, &fixture.scope()),
                expected,
                "{conditions}"
            );
        }
    }

    #[test]
    fn paths_read_members_indices_and_keys() {
        assert_eq!(
            segments(".A[2]['x.y'][\"z\"].B"),
            Some(vec![
                Segment::Member("A".into()),
                Segment::Index(2),
                Segment::Key("x.y".into()),
                Segment::Key("z".into()),
                Segment::Member("B".into()),
            ])
        );
        assert_eq!(segments("[x]"), None);
        assert_eq!(segments("[1"), None);
    }
}
