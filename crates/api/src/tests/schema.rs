//! The generated OpenAPI schemas must be structural (the apiserver rejects anything else), carry
//! a description on every property (what `kubectl explain` shows) and carry the SageMaker limits.

use serde_json::Value;

use crate::{all_crds, crd_file_name};

/// Every CRD's `openAPIV3Schema` as JSON, keyed by the CRD's file name.
fn schemas() -> Vec<(String, Value)> {
    all_crds()
        .iter()
        .map(|crd| {
            let schema = crd.spec.versions[0]
                .schema
                .as_ref()
                .unwrap()
                .open_api_v3_schema
                .as_ref()
                .unwrap();
            (crd_file_name(crd), serde_json::to_value(schema).unwrap())
        })
        .collect()
}

fn schema_of(plural: &str) -> Value {
    schemas()
        .into_iter()
        .find(|(name, _)| name == &format!("sagemaker.aws.amazon.com_{plural}.yaml"))
        .unwrap_or_else(|| panic!("no CRD for {plural}"))
        .1
}

/// Visits every schema node with its path (`.spec.resourceConfig.instanceCount`, `[]` for list
/// items), including the root.
fn walk(node: &Value, path: &str, visit: &mut dyn FnMut(&str, &Value)) {
    visit(path, node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            walk(child, &format!("{path}.{name}"), visit);
        }
    }
    if let Some(items) = node.get("items") {
        walk(items, &format!("{path}[]"), visit);
    }
    if let Some(additional) = node.get("additionalProperties").filter(|a| a.is_object()) {
        walk(additional, &format!("{path}{{}}"), visit);
    }
}

/// Follows a dotted path of property names (`[]` steps into list items).
fn node<'a>(schema: &'a Value, path: &str) -> &'a Value {
    let mut current = schema;
    for step in path.split('.') {
        let (name, into_items) = match step.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (step, false),
        };
        current = current
            .get("properties")
            .and_then(|p| p.get(name))
            .unwrap_or_else(|| panic!("no property {name} on the way to {path}"));
        if into_items {
            current = current
                .get("items")
                .unwrap_or_else(|| panic!("{name} in {path} is no list"));
        }
    }
    current
}

fn offenders(check: impl Fn(&str, &Value) -> Option<String>) -> Vec<String> {
    let mut found = Vec::new();
    for (file, schema) in schemas() {
        walk(&schema, "", &mut |path, node| {
            if let Some(problem) = check(path, node) {
                found.push(format!("{file} {path}: {problem}"));
            }
        });
    }
    found
}

#[test]
fn every_schema_node_is_typed_or_preserves_unknown_fields() {
    let found = offenders(|_, node| {
        let typed = node.get("type").is_some()
            || node.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
            || node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
        (!typed).then(|| format!("untyped schema {node}"))
    });
    assert!(found.is_empty(), "untyped schemas:\n{}", found.join("\n"));
}

#[test]
fn no_schema_uses_constructs_a_structural_schema_forbids() {
    // Logical junctors are structural only when their branches hold value validations alone
    // (no type, properties, items, description, default or nullable).
    const VALUE_VALIDATIONS: &[&str] = &["required", "enum", "pattern", "maxLength", "minLength"];
    let found = offenders(|_, node| {
        if let Some(key) = ["$ref", "definitions", "$defs"]
            .iter()
            .find(|key| node.get(**key).is_some())
        {
            return Some(format!("uses {key}"));
        }
        ["anyOf", "oneOf", "allOf", "not"]
            .iter()
            .find(|key| {
                let branches = match node.get(**key) {
                    Some(Value::Array(branches)) => branches.clone(),
                    Some(branch) => vec![branch.clone()],
                    None => return false,
                };
                branches.iter().any(|branch| {
                    branch.as_object().is_none_or(|fields| {
                        fields
                            .keys()
                            .any(|field| !VALUE_VALIDATIONS.contains(&field.as_str()))
                    })
                })
            })
            .map(|key| format!("uses {key} with more than value validations"))
    });
    assert!(
        found.is_empty(),
        "non-structural schemas:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_unsigned_formats() {
    let found = offenders(|_, node| {
        let format = node.get("format").and_then(Value::as_str)?;
        format
            .starts_with("uint")
            .then(|| format!("format {format}"))
    });
    assert!(
        found.is_empty(),
        "unsigned integer formats (use i32/i64 with a minimum):\n{}",
        found.join("\n")
    );
}

#[test]
fn every_property_has_a_description() {
    let found = offenders(|path, node| {
        // The root and the apiVersion/kind/metadata envelope come from kube, not from our docs;
        // list items are no fields of their own: `kubectl explain` shows the list's description.
        if path.is_empty()
            || path.ends_with("[]")
            || [".apiVersion", ".kind", ".metadata"].contains(&path)
        {
            return None;
        }
        let described = node
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.trim().is_empty());
        (!described).then(|| "no description".to_owned())
    });
    assert!(
        found.is_empty(),
        "properties without a description:\n{}",
        found.join("\n")
    );
}

#[test]
fn acronym_field_names_keep_the_original_operators_spelling() {
    let training = schema_of("trainingjobs");
    node(&training, "spec.resourceConfig.volumeSizeInGB");
    node(
        &training,
        "spec.inputDataConfig[].dataSource.s3DataSource.s3DataDistributionType",
    );
    node(
        &training,
        "spec.inputDataConfig[].dataSource.s3DataSource.s3DataType",
    );
    node(
        &training,
        "spec.inputDataConfig[].dataSource.s3DataSource.s3Uri",
    );
    node(&training, "spec.outputDataConfig.s3OutputPath");
    node(&training, "spec.sageMakerEndpoint");
    node(&training, "spec.enableManagedSpotTraining");
    node(&training, "spec.tensorBoardOutputConfig.s3OutputPath");
    node(&training, "status.cloudWatchLogUrl");
    node(&schema_of("batchtransformjobs"), "spec.maxPayloadInMB");
    node(
        &schema_of("hostingdeployments"),
        "spec.containers[].modelDataUrl",
    );
    node(
        &schema_of("endpointconfigs"),
        "spec.productionVariants[].serverlessConfig.memorySizeInMB",
    );
    node(
        &schema_of("endpointconfigs"),
        "spec.productionVariants[].enableSSMAccess",
    );

    let text = serde_json::to_string(&schemas()).unwrap();
    for wrong in [
        "volumeSizeInGb",
        "maxPayloadInMb",
        "memorySizeInMb",
        "enableSsmAccess",
    ] {
        assert!(!text.contains(wrong), "schema spells {wrong}");
    }
    // PascalCase API member names must all have become camelCase (`S3Uri` -> `s3Uri`), except
    // the two the original operator released capitalised (accepted next to the camelCase ones).
    let original_spellings = [
        ".spec.dataProcessing.JoinSource",
        ".spec.dataProcessing.OutputFilter",
    ];
    let capitalized = offenders(|path, _| {
        let field = path.rsplit('.').next().unwrap_or_default();
        (field.starts_with(|c: char| c.is_ascii_uppercase()) && !original_spellings.contains(&path))
            .then(|| "capitalized field name".to_owned())
    });
    assert!(capitalized.is_empty(), "{}", capitalized.join("\n"));
}

#[test]
fn training_job_schema_carries_the_sagemaker_limits() {
    let training = schema_of("trainingjobs");
    let spec = node(&training, "spec");
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "algorithmSpecification",
        "outputDataConfig",
        "region",
        "resourceConfig",
        "roleArn",
        "stoppingCondition",
    ] {
        assert!(
            required.contains(&field),
            "{field} is not required: {required:?}"
        );
    }
    assert!(!required.contains(&"trainingJobName"));

    assert_eq!(
        node(&training, "spec.resourceConfig.instanceCount")["minimum"],
        1.0
    );
    assert_eq!(
        node(&training, "spec.resourceConfig.volumeSizeInGB")["minimum"],
        1.0
    );
    assert_eq!(
        node(&training, "spec.stoppingCondition.maxRuntimeInSeconds")["minimum"],
        1.0
    );
    assert_eq!(
        node(&training, "spec.trainingJobName")["pattern"],
        crate::common::NAME_PATTERN
    );
    assert_eq!(
        node(&training, "spec.roleArn")["pattern"],
        crate::common::ROLE_ARN_PATTERN
    );
    assert_eq!(
        node(
            &training,
            "spec.inputDataConfig[].dataSource.s3DataSource.s3Uri"
        )["pattern"],
        "^(https|s3)://([^/]+)/?(.*)$"
    );
    assert_eq!(
        node(&training, "spec.sageMakerEndpoint")["pattern"],
        "^(https|http)://.*$"
    );
    assert_eq!(node(&training, "spec.inputDataConfig")["maxItems"], 20);
    assert_eq!(node(&training, "spec.hyperParameters")["maxItems"], 100);

    let modes = &node(&training, "spec.algorithmSpecification.trainingInputMode")["enum"];
    assert_eq!(modes, &serde_json::json!(["Pipe", "File", "FastFile"]));
    let compression = &node(&training, "spec.inputDataConfig[].compressionType")["enum"];
    assert_eq!(compression, &serde_json::json!(["None", "Gzip", null]));
}

#[test]
fn tuning_job_schema_limits_names_to_32_characters_and_knows_the_strategies() {
    let tuning = schema_of("hyperparametertuningjobs");
    let name = node(&tuning, "spec.hyperParameterTuningJobName");
    assert_eq!(name["maxLength"], 32);
    let strategies = &node(&tuning, "spec.hyperParameterTuningJobConfig.strategy")["enum"];
    assert_eq!(
        strategies,
        &serde_json::json!(["Bayesian", "Random", "Hyperband", "Grid"])
    );
    let objective = &node(
        &tuning,
        "spec.hyperParameterTuningJobConfig.hyperParameterTuningJobObjective.type",
    )["enum"];
    assert_eq!(objective, &serde_json::json!(["Maximize", "Minimize"]));
    let early = &node(
        &tuning,
        "spec.hyperParameterTuningJobConfig.trainingJobEarlyStoppingType",
    )["enum"];
    assert_eq!(early, &serde_json::json!(["Off", "Auto", null]));
    // SageMaker takes range bounds as strings; a number here would be rejected by the API.
    let min_value = node(
        &tuning,
        "spec.hyperParameterTuningJobConfig.parameterRanges.integerParameterRanges[].minValue",
    );
    assert_eq!(min_value["type"], "string");
    node(
        &tuning,
        "spec.trainingJobDefinition.staticHyperParameters[].name",
    );
}

#[test]
fn status_fields_are_the_ones_the_operator_writes() {
    let expected: [(&str, &[&str]); 6] = [
        (
            "trainingjobs",
            &[
                "additional",
                "cloudWatchLogUrl",
                "conditions",
                "debugRuleEvaluationStatuses",
                "lastCheckTime",
                "modelPath",
                "observedGeneration",
                "reconcileRequestedAt",
                "sageMakerTrainingJobName",
                "secondaryStatus",
                "trainingJobStatus",
            ],
        ),
        (
            "hyperparametertuningjobs",
            &[
                "additional",
                "bestTrainingJob",
                "conditions",
                "hyperParameterTuningJobStatus",
                "lastCheckTime",
                "observedGeneration",
                "reconcileRequestedAt",
                "sageMakerHyperParameterTuningJobName",
                "trainingJobStatusCounters",
            ],
        ),
        (
            "batchtransformjobs",
            &[
                "additional",
                "conditions",
                "lastCheckTime",
                "observedGeneration",
                "reconcileRequestedAt",
                "sageMakerTransformJobName",
                "transformJobStatus",
            ],
        ),
        (
            "hostingdeployments",
            &[
                "additional",
                "conditions",
                "creationTime",
                "endpointArn",
                "endpointConfigName",
                "endpointName",
                "endpointStatus",
                "endpointUrl",
                "failureReason",
                "lastCheckTime",
                "lastModifiedTime",
                "modelNames",
                "observedGeneration",
                "productionVariants",
                "reconcileRequestedAt",
            ],
        ),
        (
            "models",
            &[
                "additional",
                "conditions",
                "lastCheckTime",
                "lastUpdateTime",
                "modelArn",
                "observedGeneration",
                "reconcileRequestedAt",
                "sageMakerModelName",
                "status",
            ],
        ),
        (
            "endpointconfigs",
            &[
                "additional",
                "conditions",
                "endpointConfigArn",
                "lastCheckTime",
                "lastUpdateTime",
                "observedGeneration",
                "reconcileRequestedAt",
                "sageMakerEndpointConfigName",
                "status",
            ],
        ),
    ];
    for (plural, fields) in expected {
        let schema = schema_of(plural);
        let mut actual: Vec<&String> = node(&schema, "status")["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        actual.sort();
        assert_eq!(actual, fields.to_vec(), "status of {plural}");
    }
    let tuning = schema_of("hyperparametertuningjobs");
    let mut counters: Vec<&String> =
        node(&tuning, "status.trainingJobStatusCounters")["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
    counters.sort();
    assert_eq!(
        counters,
        [
            "completed",
            "inProgress",
            "nonRetryableError",
            "retryableError",
            "stopped",
            "totalError"
        ]
    );
    assert_eq!(node(&tuning, "status.lastCheckTime")["format"], "date-time");
}
