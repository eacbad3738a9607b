//! A pipeline's definition: the JSON document of CreatePipeline's `PipelineDefinition` (the
//! developer guide's pipeline definition schema), read into its parameters and steps. What a
//! step runs after is worked out here once: its `DependsOn`, every step its arguments read a
//! property of (`{"Get": "Steps.<Name>…"}`), and for a step in a Condition's `IfSteps` or
//! `ElseSteps`, that Condition. A definition SageMaker would refuse is refused with the reason.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

/// The types a pipeline parameter may have.
pub const PARAMETER_TYPES: &[&str] = &["String", "Integer", "Boolean", "Float"];

/// The longest step name the API reports (`PipelineExecutionStep.StepName`).
const MAX_STEP_NAME: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDef {
    pub name: String,
    pub kind: String,
    pub default: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepDef {
    pub name: String,
    /// The step's `Type` (`Training`, `RegisterModel`, `Condition`, …).
    pub kind: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub arguments: Value,
    /// Steps that must have succeeded before this one starts.
    pub after: Vec<String>,
    /// For a step nested in a Condition: that step, and whether it is in its `IfSteps`.
    pub branch: Option<(String, bool)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Definition {
    pub parameters: Vec<ParameterDef>,
    /// Every step, the nested ones after their Condition, in definition order.
    pub steps: Vec<StepDef>,
    /// `PipelineExperimentConfig`, as written (its values are usually expressions).
    pub experiment: Option<Value>,
}

/// Reads a definition; the error is the reason it is refused (callers prefix SageMaker's
/// "Unable to parse pipeline definition.").
pub fn parse(text: &str) -> Result<Definition, String> {
    let document: Value =
        serde_json::from_str(text).map_err(|error| format!("Invalid JSON: {error}."))?;
    if !document.is_object() {
        return Err("The pipeline definition must be a JSON object.".into());
    }
    let parameters = parse_parameters(document.get("Parameters"))?;
    let mut steps = Vec::new();
    match document.get("Steps") {
        Some(list @ Value::Array(items)) if !items.is_empty() => {
            parse_steps(list, "Steps", None, &mut steps)?
        }
        Some(Value::Array(_)) => return Err("Steps must contain at least one step.".into()),
        Some(_) => return Err("Steps must be a JSON array.".into()),
        None => return Err("The pipeline definition has no Steps.".into()),
    }
    check_steps(&steps)?;
    check_parameter_references(&document, &parameters)?;
    Ok(Definition {
        parameters,
        steps,
        experiment: document.get("PipelineExperimentConfig").cloned(),
    })
}

fn parse_parameters(list: Option<&Value>) -> Result<Vec<ParameterDef>, String> {
    let items = match list {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("Parameters must be a JSON array.".into()),
    };
    let mut parameters: Vec<ParameterDef> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let name = item
            .get("Name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Parameters[{index}].Name is required and must be a string."))?;
        let kind = item.get("Type").and_then(Value::as_str).unwrap_or("String");
        if !PARAMETER_TYPES.contains(&kind) {
            return Err(format!(
                "Parameter {name} has Type '{kind}'; it must be one of [{}].",
                PARAMETER_TYPES.join(", ")
            ));
        }
        if parameters.iter().any(|known| known.name == name) {
            return Err(format!(
                "Parameter names must be unique: {name} is declared twice."
            ));
        }
        let default = item.get("DefaultValue").filter(|value| !value.is_null());
        if let Some(value) = default
            && !has_type(value, kind)
        {
            return Err(format!(
                "The DefaultValue {value} of parameter {name} is not of its Type {kind}."
            ));
        }
        parameters.push(ParameterDef {
            name: name.to_string(),
            kind: kind.to_string(),
            default: default.cloned(),
        });
    }
    Ok(parameters)
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "Integer" => value.is_i64() || value.is_u64(),
        "Float" => value.is_number(),
        "Boolean" => value.is_boolean(),
        _ => value.is_string(),
    }
}

/// A parameter value as StartPipelineExecution sends it (text), as the value of its Type.
pub fn typed_value(kind: &str, text: &str) -> Option<Value> {
    match kind {
        "Integer" => text.trim().parse::<i64>().ok().map(Value::from),
        "Float" => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|number| number.is_finite())
            .map(Value::from),
        "Boolean" => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(json!(true)),
            "false" => Some(json!(false)),
            _ => None,
        },
        _ => Some(Value::String(text.to_string())),
    }
}

/// A value as text: strings as they are, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn valid_step_name(name: &str) -> bool {
    (1..=MAX_STEP_NAME).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads a list of steps (the top level, or a Condition's branch) into `out`, nested steps
/// right after their Condition.
fn parse_steps(
    list: &Value,
    path: &str,
    branch: Option<(String, bool)>,
    out: &mut Vec<StepDef>,
) -> Result<(), String> {
    let Some(items) = list.as_array() else {
        return Err(format!("{path} must be a JSON array."));
    };
    for (index, step) in items.iter().enumerate() {
        let at = format!("{path}[{index}]");
        let text = |member: &str| step.get(member).and_then(Value::as_str);
        let name =
            text("Name").ok_or_else(|| format!("{at}.Name is required and must be a string."))?;
        if !valid_step_name(name) {
            return Err(format!(
                "Step name '{name}' must be 1 to {MAX_STEP_NAME} letters, digits, hyphens or underscores."
            ));
        }
        let kind = text("Type")
            .ok_or_else(|| format!("Step {name} has no Type (a string is required)."))?;
        let arguments = match step.get("Arguments") {
            None | Some(Value::Null) => json!({}),
            Some(value @ Value::Object(_)) => value.clone(),
            Some(_) => {
                return Err(format!(
                    "The Arguments of step {name} must be a JSON object."
                ));
            }
        };
        let mut after = depends_on(step, name)?;
        after.extend(branch.iter().map(|(parent, _)| parent.clone()));
        // A Condition reads properties in its Conditions only: its branches' references are
        // their own steps' dependencies.
        let read = match kind {
            "Condition" => arguments.get("Conditions").cloned().unwrap_or(Value::Null),
            _ => arguments.clone(),
        };
        for referenced in references(&read, "Steps.") {
            if !after.contains(&referenced) {
                after.push(referenced);
            }
        }
        out.push(StepDef {
            name: name.to_string(),
            kind: kind.to_string(),
            display_name: text("DisplayName").map(str::to_string),
            description: text("Description").map(str::to_string),
            arguments: arguments.clone(),
            after,
            branch: branch.clone(),
        });
        if kind == "Condition" {
            for (member, taken) in [("IfSteps", true), ("ElseSteps", false)] {
                if let Some(nested) = arguments.get(member) {
                    let nested_path = format!("{at}.Arguments.{member}");
                    parse_steps(nested, &nested_path, Some((name.to_string(), taken)), out)?;
                }
            }
        }
    }
    Ok(())
}

fn depends_on(step: &Value, name: &str) -> Result<Vec<String>, String> {
    match step.get("DependsOn") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    format!("The DependsOn of step {name} must be a list of step names.")
                })
            })
            .collect(),
        Some(_) => Err(format!(
            "The DependsOn of step {name} must be a list of step names."
        )),
    }
}

/// The names that `{"Get": "<prefix><Name>…"}` expressions in `value` refer to (a step's name
/// ends at the first `.` or `[`), in order of appearance.
pub fn references(value: &Value, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    collect_references(value, prefix, &mut found);
    found
}

fn collect_references(value: &Value, prefix: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(path)) = map.get("Get")
                && let Some(rest) = path.strip_prefix(prefix)
            {
                let name: String = rest
                    .chars()
                    .take_while(|c| *c != '.' && *c != '[')
                    .collect();
                if !name.is_empty() && !found.contains(&name) {
                    found.push(name);
                }
            }
            map.values()
                .for_each(|item| collect_references(item, prefix, found));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, prefix, found)),
        _ => {}
    }
}

/// Step names are unique, every step a step runs after exists, and the dependencies have no
/// cycle.
fn check_steps(steps: &[StepDef]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for step in steps {
        if !seen.insert(step.name.as_str()) {
            return Err(format!(
                "Step names must be unique: {} is used more than once.",
                step.name
            ));
        }
    }
    for step in steps {
        if let Some(missing) = step.after.iter().find(|name| !seen.contains(name.as_str())) {
            return Err(format!(
                "Step {} depends on step {missing}, which is not in the definition.",
                step.name
            ));
        }
    }
    let by_name: HashMap<&str, &StepDef> = steps.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut state: HashMap<&str, bool> = HashMap::new(); // false: on the path, true: done
    for step in steps {
        visit(step, &by_name, &mut state)?;
    }
    Ok(())
}

/// Depth-first search for a cycle through `step`'s dependencies.
fn visit<'a>(
    step: &'a StepDef,
    by_name: &HashMap<&str, &'a StepDef>,
    state: &mut HashMap<&'a str, bool>,
) -> Result<(), String> {
    match state.get(step.name.as_str()) {
        Some(true) => return Ok(()),
        Some(false) => {
            return Err(format!(
                "The step dependencies form a cycle through step {}.",
                step.name
            ));
        }
        None => {}
    }
    state.insert(&step.name, false);
    for name in &step.after {
        if let Some(next) = by_name.get(name.as_str()) {
            visit(next, by_name, state)?;
        }
    }
    state.insert(&step.name, true);
    Ok(())
}

fn check_parameter_references(document: &Value, parameters: &[ParameterDef]) -> Result<(), String> {
    let declared: HashSet<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
    match references(document, "Parameters.")
        .into_iter()
        .find(|name| !declared.contains(name.as_str()))
    {
        Some(name) => Err(format!(
            "Parameter {name} is referenced but not declared in Parameters."
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(steps: Value) -> String {
        json!({
            "Version": "2020-12-01",
            "Parameters": [{ "Name": "Threshold", "Type": "Float", "DefaultValue": 6.0 }],
            "Steps": steps,
        })
        .to_string()
    }

    #[test]
    fn steps_run_after_what_they_depend_on_read_or_are_nested_in() {
        let parsed = parse(&definition(json!([
            { "Name": "Prep", "Type": "Processing", "Arguments": {} },
            { "Name": "Train", "Type": "Training", "Arguments": {
                "InputDataConfig": [{ "DataSource": { "S3DataSource": { "S3Uri":
                    { "Get": "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" } } } }] } },
            { "Name": "Check", "Type": "Condition", "DependsOn": ["Prep"], "Arguments": {
                "Conditions": [{ "Type": "LessThanOrEqualTo",
                    "LeftValue": { "Get": "Parameters.Threshold" }, "RightValue": 7 }],
                "IfSteps": [{ "Name": "Register", "Type": "RegisterModel", "Arguments": {
                    "ModelDataUrl": { "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts" } } }],
                "ElseSteps": [{ "Name": "Stop", "Type": "Fail", "Arguments": { "ErrorMessage": "too high" } }] } },
        ])))
        .unwrap();
        let names: Vec<&str> = parsed.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Prep", "Train", "Check", "Register", "Stop"]);
        let after = |name: &str| {
            let step = parsed.steps.iter().find(|s| s.name == name).unwrap();
            (step.after.clone(), step.branch.clone())
        };
        assert_eq!(after("Prep"), (vec![], None));
        assert_eq!(after("Train"), (vec!["Prep".to_string()], None));
        assert_eq!(
            after("Check"),
            (vec!["Prep".to_string()], None),
            "not its branches' reads"
        );
        assert_eq!(
            after("Register"),
            (
                vec!["Check".to_string(), "Train".to_string()],
                Some(("Check".to_string(), true))
            )
        );
        assert_eq!(after("Stop").1, Some(("Check".to_string(), false)));
        assert_eq!(parsed.parameters[0].default, Some(json!(6.0)));
    }

    #[test]
    fn a_definition_sagemaker_would_refuse_is_refused_with_its_reason() {
        let step = |name: &str| json!({ "Name": name, "Type": "Fail", "Arguments": {} });
        let table = [
            ("not json".to_string(), "Invalid JSON"),
            ("[1]".to_string(), "must be a JSON object"),
            (
                json!({ "Version": "2020-12-01" }).to_string(),
                "has no Steps",
            ),
            (
                json!({ "Steps": {} }).to_string(),
                "Steps must be a JSON array",
            ),
            (json!({ "Steps": [] }).to_string(), "at least one step"),
            (
                definition(json!([{ "Type": "Fail" }])),
                "Steps[0].Name is required",
            ),
            (
                definition(json!([{ "Name": "a b", "Type": "Fail" }])),
                "Step name 'a b'",
            ),
            (definition(json!([{ "Name": "A" }])), "Step A has no Type"),
            (
                definition(json!([{ "Name": "A", "Type": "Fail", "Arguments": [] }])),
                "must be a JSON object",
            ),
            (
                definition(json!([step("A"), step("A")])),
                "A is used more than once",
            ),
            (
                definition(json!([{ "Name": "A", "Type": "Fail", "DependsOn": ["B"] }])),
                "depends on step B, which is not in the definition",
            ),
            (
                definition(json!([
                    { "Name": "A", "Type": "Fail", "DependsOn": ["B"] },
                    { "Name": "B", "Type": "Fail", "DependsOn": ["A"] },
                ])),
                "form a cycle",
            ),
            (
                definition(json!([{ "Name": "A", "Type": "Fail", "Arguments": {
                    "ErrorMessage": { "Get": "Parameters.Missing" } } }])),
                "Parameter Missing is referenced but not declared",
            ),
            (
                json!({ "Parameters": [{ "Name": "N", "Type": "Integer", "DefaultValue": "x" }],
                        "Steps": [step("A")] })
                .to_string(),
                "is not of its Type Integer",
            ),
            (
                json!({ "Parameters": [{ "Name": "N", "Type": "Text" }], "Steps": [step("A")] })
                    .to_string(),
                "it must be one of [String, Integer, Boolean, Float]",
            ),
        ];
        for (text, expected) in table {
            let refused = parse(&text).expect_err(&text);
            assert!(refused.contains(expected), "{text}: {refused}");
        }
    }

    #[test]
    fn parameter_values_take_their_declared_type() {
        let table = [
            ("Integer", "5", Some(json!(5))),
            ("Integer", "5.5", None),
            ("Float", "0.25", Some(json!(0.25))),
            ("Float", "abc", None),
            ("Boolean", "True", Some(json!(true))),
            ("Boolean", "yes", None),
            ("String", "s3://b/k", Some(json!("s3://b/k"))),
        ];
        for (kind, text, expected) in table {
            assert_eq!(typed_value(kind, text), expected, "{kind} {text}");
        }
        assert_eq!(value_text(&json!(1.5)), "1.5");
        assert_eq!(value_text(&json!("x")), "x");
    }
}
