//! "Every field the CRD accepts reaches SageMaker": for each kind, a spec with **every** field of
//! its CRD schema filled (generated from the schema, so a field added later is covered without
//! anyone remembering to) is turned into the SageMaker request, and every value of the spec
//! must appear in that request. A field that is accepted and silently dropped fails here.
//!
//! Values are made unique (strings `v17`, integers `40017`, numbers `40017.5`), so finding one in
//! the request's debug rendering means it was carried over, not that it happens to match. Booleans
//! are all `true` and are looked for by their member name (`enable_network_isolation: Some(true)`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Spec fields that do not go into the Create request, each with the reason. Anything else the
/// schema has must be found in the request.
const NOT_IN_THE_CREATE_REQUEST: &[(&str, &str, &str)] = &[
    (
        "*",
        "region",
        "where the request is sent (the client's region), not a member of it",
    ),
    (
        "*",
        "sageMakerEndpoint",
        "where the request is sent (the client's endpoint), not a member of it",
    ),
    (
        "HostingDeployment",
        "retainAllVariantProperties",
        "sent with UpdateEndpoint, the only call that takes it",
    ),
    (
        "HostingDeployment",
        "excludeRetainedVariantProperties",
        "sent with UpdateEndpoint, the only call that takes it",
    ),
    (
        "HostingDeployment",
        "endpointName",
        "names the endpoint in CreateEndpoint, not the model or configuration",
    ),
    (
        "EndpointConfig",
        "productionVariants[].modelRef",
        "names a Model object; its SageMaker name is sent as ModelName (hosting.rs tests)",
    ),
    (
        "EndpointConfig",
        "shadowProductionVariants[].modelRef",
        "names a Model object; its SageMaker name is sent as ModelName (hosting.rs tests)",
    ),
    (
        "Model",
        "primaryContainer.modelPackageRef",
        "names a ModelPackage object; its ARN is sent as ModelPackageName (hosting.rs tests)",
    ),
    (
        "Model",
        "containers[].modelPackageRef",
        "names a ModelPackage object; its ARN is sent as ModelPackageName (hosting.rs tests)",
    ),
    (
        "HostingDeployment",
        "containers[].modelPackageRef",
        "names a ModelPackage object; its ARN is sent as ModelPackageName (hosting.rs tests)",
    ),
    (
        "HostingDeployment",
        "models[].containers[].modelPackageRef",
        "names a ModelPackage object; its ARN is sent as ModelPackageName (hosting.rs tests)",
    ),
    (
        "ModelPackage",
        "registeredBy",
        "names the run step that registered the version: no create is sent; the run's ARN goes to ListPipelineExecutionSteps and the step is picked from its answer (pipeline_step.rs tests)",
    ),
    (
        "ModelPackage",
        "modelCard.modelCardContent",
        "sensitive in the API model: the SDK prints it redacted; the generated setter sends it",
    ),
    (
        "HostingAutoscalingPolicy",
        "applicationAutoscalingEndpoint",
        "where the requests are sent, not a member of them",
    ),
    (
        "HostingAutoscalingPolicy",
        "scalableDimension",
        "its one allowed value is what every request carries",
    ),
    (
        "HostingAutoscalingPolicy",
        "serviceNamespace",
        "its one allowed value is what every request carries",
    ),
];

/// A value of the schema's type for every property, recursively; of a group the CRD allows
/// only one member of (a union: "exactly one of a, b, … must be set"), the `choice`-th member
/// (wrapping), so that runs with choices 0, 1, … cover every member.
struct Generator {
    counter: u64,
    choice: usize,
}

/// The members of an object's "exactly one of a, b, …" groups, from its CEL rules' messages
/// (a reference pair, "exactly one of x and y", is the references' business).
fn exclusive_groups(schema: &Value) -> Vec<Vec<String>> {
    schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|rule| {
            let message = rule.get("message")?.as_str()?;
            let names = message
                .strip_prefix("exactly one of ")?
                .strip_suffix(" must be set")?;
            names
                .contains(", ")
                .then(|| names.split(", ").map(str::to_string).collect())
        })
        .collect()
}

impl Generator {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn value(&mut self, schema: &Value, path: &str) -> Value {
        if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
            return choices[0].clone();
        }
        // Alternatives (untagged shapes): the first one.
        for key in ["oneOf", "anyOf"] {
            if let Some(first) = schema
                .get(key)
                .and_then(Value::as_array)
                .and_then(|alternatives| alternatives.first())
            {
                let mut merged = schema.clone();
                merged.as_object_mut().expect("a schema object").remove(key);
                for (k, v) in first.as_object().into_iter().flatten() {
                    merged[k.as_str()] = v.clone();
                }
                return self.value(&merged, path);
            }
        }
        if schema.get("x-kubernetes-int-or-string").is_some() {
            return json!(40000 + self.next());
        }
        // A schema of several shapes (a string or an object, say) may leave `type` out: an
        // object when it has properties.
        let kind = schema
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| schema.get("properties").map(|_| "object"));
        match kind {
            Some("object") => {
                let mut object = Map::new();
                let groups = exclusive_groups(schema);
                let choice = self.choice;
                let left_out = |name: &str| {
                    groups.iter().any(|group| {
                        group.iter().any(|member| member == name)
                            && group[choice % group.len()] != name
                    })
                };
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    for (name, property) in properties {
                        if left_out(name) {
                            continue;
                        }
                        object.insert(
                            name.clone(),
                            self.value(property, &format!("{path}.{name}")),
                        );
                    }
                } else if let Some(values) = schema
                    .get("additionalProperties")
                    .filter(|value| value.is_object())
                {
                    let key = format!("k{}", self.next());
                    object.insert(key, self.value(values, &format!("{path}.*")));
                }
                Value::Object(object)
            }
            Some("array") => json!([self.value(&schema["items"], &format!("{path}[]"))]),
            Some("string") => json!(format!("v{}", self.next())),
            Some("integer") => json!(40000 + self.next()),
            Some("number") => json!(40000.5 + self.next() as f64),
            Some("boolean") => json!(true),
            _ => json!({}),
        }
    }
}

/// The spec schema of `kind` from the generated CRDs.
fn spec_schema(kind: &str) -> Value {
    let crd = sagemaker_k8s_api::all_crds()
        .into_iter()
        .map(|crd| serde_json::to_value(crd).expect("CRDs serialize"))
        .find(|crd| crd["spec"]["names"]["kind"] == kind)
        .unwrap_or_else(|| panic!("no CRD of kind {kind}"));
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"].clone()
}

/// A spec of `kind` with every field filled.
fn full_spec(kind: &str) -> Value {
    full_spec_choosing(kind, 0)
}

/// A full spec whose unions set their `choice`-th member.
fn full_spec_choosing(kind: &str, choice: usize) -> Value {
    Generator { counter: 0, choice }.value(&spec_schema(kind), "spec")
}

fn exempt(kind: &str, path: &str) -> Option<&'static str> {
    NOT_IN_THE_CREATE_REQUEST
        .iter()
        .find(|(exempt_kind, field, _)| {
            (*exempt_kind == "*" || *exempt_kind == kind) && path == format!("spec.{field}")
        })
        .map(|(_, _, why)| *why)
}

/// Every leaf of `value` as (path, value), skipping exempt top-level fields.
fn leaves(kind: &str, value: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    if exempt(kind, path).is_some() {
        return;
    }
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(key, value)| leaves(kind, value, &format!("{path}.{key}"), out)),
        Value::Array(items) => items
            .iter()
            .for_each(|item| leaves(kind, item, &format!("{path}[]"), out)),
        leaf => out.push((path.to_string(), leaf.clone())),
    }
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = camel.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        // `volumeSizeInGB` → `volume_size_in_gb`: a run of capitals is one word.
        let starts_word = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if starts_word {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Checks that every leaf of the full spec shows up in `requests` (debug renderings of the
/// requests built from it); returns the missing ones.
fn missing_in(kind: &str, spec: &Value, requests: &str) -> Vec<String> {
    let mut all = Vec::new();
    leaves(kind, spec, "spec", &mut all);
    let mut missing = Vec::new();
    for (path, value) in all {
        let found = match &value {
            // Enum values are rendered as the SDK's variant names (`EFS` → `Efs`, `ml.eia1.medium`
            // → `MlEia1Medium`): compared without case and punctuation.
            Value::String(text) => {
                requests.contains(&format!("\"{text}\""))
                    || normalized(requests).contains(&normalized(text))
            }
            Value::Number(number) => requests.contains(&number.to_string()),
            Value::Bool(_) => {
                // Enum-less booleans are found by their member name.
                let member = snake_case(
                    path.rsplit(['.', ']'])
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches('['),
                );
                requests.contains(&format!("{member}: Some(true)"))
                    || requests.contains(&format!("{member}: true"))
            }
            _ => true,
        };
        if !found {
            missing.push(format!("{path} = {value}"));
        }
    }
    missing
}

fn normalized(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn assert_all_reach_sagemaker(kind: &str, spec: &Value, requests: &[String]) {
    let rendered = requests.join("\n");
    let missing = missing_in(kind, spec, &rendered);
    assert!(
        missing.is_empty(),
        "{kind}: accepted by the CRD but not in the SageMaker request:\n  {}\nrequest:\n{rendered}",
        missing.join("\n  ")
    );
}

fn parse<T: serde::de::DeserializeOwned>(kind: &str, spec: &Value) -> T {
    serde_json::from_value(spec.clone()).unwrap_or_else(|error| {
        panic!("the generated {kind} spec does not parse: {error}\n{spec:#}")
    })
}

#[test]
fn every_training_job_field_reaches_create_training_job() {
    let spec = full_spec("TrainingJob");
    let typed: sagemaker_k8s_api::TrainingJobSpec = parse("TrainingJob", &spec);
    let request = crate::training_job::create_request(
        &typed,
        typed.training_job_name.as_deref().expect("generated"),
        "uid",
    )
    .expect("request builds")
    .build()
    .expect("input builds");
    assert_all_reach_sagemaker("TrainingJob", &spec, &[format!("{request:?}")]);
}

#[test]
fn every_tuning_job_field_reaches_create_hyper_parameter_tuning_job() {
    let spec = full_spec("HyperparameterTuningJob");
    let typed: sagemaker_k8s_api::HyperparameterTuningJobSpec =
        parse("HyperparameterTuningJob", &spec);
    let request = crate::tuning_job::create_request(
        &typed,
        typed
            .hyper_parameter_tuning_job_name
            .as_deref()
            .expect("generated"),
        "uid",
    )
    .build()
    .expect("input builds");
    assert_all_reach_sagemaker("HyperparameterTuningJob", &spec, &[format!("{request:?}")]);
}

#[test]
fn every_transform_job_field_reaches_create_transform_job() {
    let spec = full_spec("BatchTransformJob");
    let typed: sagemaker_k8s_api::BatchTransformJobSpec = parse("BatchTransformJob", &spec);
    let request = crate::transform_job::create_request(
        &typed,
        typed.transform_job_name.as_deref().expect("generated"),
        "uid",
    )
    .build()
    .expect("input builds");
    assert_all_reach_sagemaker("BatchTransformJob", &spec, &[format!("{request:?}")]);
}

#[test]
fn every_model_field_reaches_create_model() {
    let spec = full_spec("Model");
    let typed: sagemaker_k8s_api::ModelSpec = parse("Model", &spec);
    let request = crate::hosting::model_request(&typed, "model", "uid", &BTreeMap::new())
        .build()
        .expect("input builds");
    assert_all_reach_sagemaker("Model", &spec, &[format!("{request:?}")]);
}

#[test]
fn every_endpoint_config_field_reaches_create_endpoint_config() {
    let spec = full_spec("EndpointConfig");
    let mut typed: sagemaker_k8s_api::EndpointConfigSpec = parse("EndpointConfig", &spec);
    // modelRef and modelName are alternatives (admission allows one); modelName is covered.
    let variants = typed.production_variants.iter_mut();
    variants
        .chain(typed.shadow_production_variants.iter_mut().flatten())
        .for_each(|variant| variant.model_ref = None);
    let request =
        crate::hosting::endpoint_config_request(&typed, "config", "uid", &BTreeMap::new())
            .expect("request builds")
            .build()
            .expect("input builds");
    assert_all_reach_sagemaker("EndpointConfig", &spec, &[format!("{request:?}")]);
}

/// The CreateModel and CreateEndpointConfig requests of a HostingDeployment spec, rendered.
fn hosting_requests(spec: &Value) -> Vec<String> {
    let typed: sagemaker_k8s_api::HostingDeploymentSpec = parse("HostingDeployment", spec);
    let mut requests = Vec::new();
    let mut model_names = BTreeMap::new();
    for (index, model) in typed.models.iter().enumerate() {
        let request = crate::hosting::hosting_model_request(
            &typed,
            index,
            &format!("model-{index}"),
            "uid",
            &BTreeMap::new(),
        )
        .expect("model request builds")
        .build()
        .expect("input builds");
        requests.push(format!("{request:?}"));
        model_names.insert(model.name.clone(), format!("model-{index}"));
    }
    let config =
        crate::hosting::hosting_endpoint_config_request(&typed, "config", &model_names, "uid")
            .build()
            .expect("input builds");
    requests.push(format!("{config:?}"));
    requests
}

#[test]
fn every_hosting_deployment_field_reaches_create_model_or_create_endpoint_config() {
    let generated = full_spec("HostingDeployment");
    // The generated names are unique strings; make the references between them resolve, as
    // admission requires: the variant serves the model, the model runs the container.
    let mut base = generated.clone();
    base["productionVariants"][0]["modelName"] = base["models"][0]["name"].clone();
    // The spec's own model and variant names are the operator's references, not SageMaker's:
    // they come back as the SageMaker model names, so they are not looked for.
    let without_references = |spec: &Value, drop_spec_containers: bool| {
        let mut checked = spec.clone();
        let model = checked["models"][0].as_object_mut().expect("a model");
        model.remove("name");
        model.remove("primaryContainer");
        checked["productionVariants"][0]
            .as_object_mut()
            .expect("a variant")
            .remove("modelName");
        if drop_spec_containers {
            checked
                .as_object_mut()
                .expect("a spec")
                .remove("containers");
        }
        checked
    };

    // The guide's shape: the model names a container of `spec.containers` by hostname.
    let hostname = base
        .pointer("/containers/0/containerHostname")
        .cloned()
        .expect("a spec container");
    let mut by_hostname = base.clone();
    by_hostname["models"][0]["containers"] = json!([hostname.clone()]);
    by_hostname["models"][0]["primaryContainer"] = hostname;
    let mut checked = without_references(&by_hostname, false);
    checked["models"][0]
        .as_object_mut()
        .expect("a model")
        .remove("containers");
    assert_all_reach_sagemaker(
        "HostingDeployment",
        &checked,
        &hosting_requests(&by_hostname),
    );

    // The original's released shape: the container defined in place (every field of it).
    let mut inline = base.clone();
    let inline_container = inline
        .pointer("/models/0/containers/0")
        .cloned()
        .expect("an inline container");
    assert!(
        inline_container.is_object(),
        "the generator fills the in-place shape: {inline_container}"
    );
    inline["models"][0]["primaryContainer"] = inline_container["containerHostname"].clone();
    assert_all_reach_sagemaker(
        "HostingDeployment",
        &without_references(&inline, true),
        &hosting_requests(&inline),
    );
}

#[test]
fn every_processing_job_field_reaches_create_processing_job() {
    let spec = full_spec("ProcessingJob");
    let typed: sagemaker_k8s_api::ProcessingJobSpec = parse("ProcessingJob", &spec);
    let request = crate::processing_job::create_request(
        &typed,
        typed.processing_job_name.as_deref().expect("generated"),
        "uid",
    )
    .build()
    .expect("input builds");
    assert_all_reach_sagemaker("ProcessingJob", &spec, &[format!("{request:?}")]);
}

#[test]
fn every_autoscaling_policy_field_reaches_register_scalable_target_or_put_scaling_policy() {
    let generated = full_spec("HostingAutoscalingPolicy");
    let requests = |spec: &Value| -> Vec<String> {
        let typed: sagemaker_k8s_api::HostingAutoscalingPolicySpec =
            parse("HostingAutoscalingPolicy", spec);
        // A target is an endpoint variant or an inference component: both shapes' names must
        // reach a request.
        let target = &typed.resource_id[0];
        let mut ids = Vec::new();
        if let (Some(endpoint), Some(variant)) = (&target.endpoint_name, &target.variant_name) {
            ids.push(crate::autoscaling::resource_id(endpoint, variant));
        }
        if let Some(component) = &target.inference_component_name {
            ids.push(crate::autoscaling::inference_component_resource_id(
                component,
            ));
        }
        let mut requests = Vec::new();
        for id in ids {
            let register = crate::autoscaling::register_target_request(&typed, &id)
                .build()
                .expect("input builds");
            let put = crate::autoscaling::put_policy_request(
                &typed,
                typed.policy_name.as_deref().expect("generated"),
                &id,
            )
            .expect("request builds")
            .build()
            .expect("input builds");
            requests.extend([format!("{register:?}"), format!("{put:?}")]);
        }
        requests
    };
    // Target tracking: every field but the step-scaling configuration.
    let mut tracking = generated.clone();
    tracking["policyType"] = json!("TargetTrackingScaling");
    let mut checked = tracking.clone();
    checked
        .as_object_mut()
        .expect("a spec")
        .remove("stepScalingPolicyConfiguration");
    assert_all_reach_sagemaker("HostingAutoscalingPolicy", &checked, &requests(&tracking));
    // Step scaling: its configuration.
    let mut step = generated.clone();
    step["policyType"] = json!("StepScaling");
    let mut checked = step.clone();
    checked
        .as_object_mut()
        .expect("a spec")
        .remove("targetTrackingScalingPolicyConfiguration");
    assert_all_reach_sagemaker("HostingAutoscalingPolicy", &checked, &requests(&step));
}

/// A full spec of a generated kind as the CRD admits it: of a reference and the member it
/// stands for only the reference (which every request must carry, resolved), and the
/// references resolved to their own names, so the resolved name is found in the request.
fn generated_kind_spec(kind: &str, choice: usize) -> (Value, crate::generated::ResolvedReferences) {
    fn walk(value: &mut Value, kind: &str, resolved: &mut crate::generated::ResolvedReferences) {
        match value {
            Value::Object(map) => {
                for reference in sagemaker_k8s_api::generated::REFERENCES
                    .iter()
                    .filter(|reference| reference.kind == kind)
                {
                    if let Some(name) = map
                        .get(reference.field)
                        .and_then(|r| r.get("name"))
                        .and_then(Value::as_str)
                    {
                        resolved.insert(reference.references, name, name);
                        map.remove(reference.member);
                    }
                }
                map.values_mut()
                    .for_each(|child| walk(child, kind, resolved));
            }
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, kind, resolved)),
            _ => {}
        }
    }
    let mut spec = full_spec_choosing(kind, choice);
    let mut resolved = crate::generated::ResolvedReferences::default();
    walk(&mut spec, kind, &mut resolved);
    (spec, resolved)
}

/// Every generated kind, by the generated dispatch: a kind added to crates/codegen/kinds.yaml is
/// covered without a test of its own. Each spec field must reach its Create request or one of
/// its Update requests.
#[test]
fn every_field_of_every_generated_kind_reaches_sagemaker() {
    let kinds = sagemaker_k8s_api::generated::KINDS;
    assert!(kinds.len() >= 2, "the generated kinds: {kinds:?}");
    // A union's members one after the other (AutoMLProblemTypeConfig has five).
    let choices = 0..5;
    for (info, choice) in kinds
        .iter()
        .flat_map(|info| choices.clone().map(move |choice| (info, choice)))
    {
        let (spec, refs) = generated_kind_spec(info.kind, choice);
        // A kind SageMaker names is created under the object's UID (the idempotency token).
        let name = match info.name_field {
            Some(field) => spec[field]
                .as_str()
                .unwrap_or_else(|| panic!("{}: a generated {field}", info.kind))
                .to_string(),
            None => "0b4ad9e2-5d3c-4f7e-9a51-2f0c8e6b7d10".to_string(),
        };
        let requests =
            crate::generated::request_texts(info.kind, spec.clone(), &name, "uid", &refs)
                .unwrap_or_else(|| panic!("{} has no generated requests", info.kind))
                .unwrap_or_else(|error| panic!("{}: {error}", info.kind));
        assert!(
            requests.iter().all(|request| request.starts_with("Ok(")),
            "{}: every request builds: {requests:?}",
            info.kind
        );
        assert_all_reach_sagemaker(info.kind, &spec, &requests);
    }
}

#[test]
fn an_unresolved_reference_is_no_request() {
    let (spec, _) = generated_kind_spec("Endpoint", 0);
    let typed: sagemaker_k8s_api::EndpointSpec = parse("Endpoint", &spec);
    let error = crate::generated::endpoint::create_request(
        &typed,
        "endpoint",
        "uid",
        &crate::generated::ResolvedReferences::default(),
    )
    .expect_err("the config reference is not resolved");
    assert_eq!(error.kind, "EndpointConfig");
}

#[test]
fn member_names_in_snake_case() {
    assert_eq!(snake_case("volumeSizeInGB"), "volume_size_in_gb");
    assert_eq!(
        snake_case("enableNetworkIsolation"),
        "enable_network_isolation"
    );
    assert_eq!(
        snake_case("enableSageMakerMetricsTimeSeries"),
        "enable_sage_maker_metrics_time_series"
    );
}
