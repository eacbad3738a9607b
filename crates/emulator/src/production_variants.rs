//! What an endpoint configuration's variants say beyond a model and an instance count:
//! serverless capacity, managed instance scaling, routing, shadow variants and asynchronous
//! inference. The rules between members that the API model cannot state, and what
//! DescribeEndpoint reports of each variant.

use serde_json::{Map, Value, json};

/// Why an endpoint configuration is refused, in SageMaker's words; `None` when acceptable.
pub fn refusal(config: &Value) -> Option<String> {
    let variants = members(config, "ProductionVariants");
    let shadows = members(config, "ShadowProductionVariants");
    for variant in variants.iter().chain(shadows.iter()) {
        if let Some(reason) = variant_refusal(variant) {
            return Some(reason);
        }
    }
    if !shadows.is_empty() && (variants.len() != 1 || shadows.len() != 1) {
        return Some(
            "When ShadowProductionVariants is specified, ProductionVariants and ShadowProductionVariants must each have exactly one variant."
                .to_string(),
        );
    }
    if config.get("ExecutionRoleArn").is_none()
        && variants
            .iter()
            .chain(shadows.iter())
            .any(|variant| variant.get("ModelName").is_none())
    {
        return Some(
            "ModelName is required for every production variant unless the endpoint configuration has an ExecutionRoleArn: a configuration without models hosts inference components."
                .to_string(),
        );
    }
    let mut names: Vec<&str> = variants
        .iter()
        .chain(shadows.iter())
        .filter_map(|variant| variant.get("VariantName").and_then(Value::as_str))
        .collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Some(format!(
            "The variant name {} is used by more than one production or shadow variant.",
            pair[0]
        ));
    }
    let serverless = variants
        .iter()
        .any(|variant| variant.get("ServerlessConfig").is_some());
    if serverless && config.get("AsyncInferenceConfig").is_some() {
        return Some(
            "AsyncInferenceConfig is not supported for endpoint configurations with a ServerlessConfig."
                .to_string(),
        );
    }
    None
}

fn members<'a>(config: &'a Value, member: &str) -> Vec<&'a Value> {
    config
        .get(member)
        .and_then(Value::as_array)
        .map(|list| list.iter().collect())
        .unwrap_or_default()
}

fn variant_refusal(variant: &Value) -> Option<String> {
    let name = variant
        .get("VariantName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let number = |value: Option<&Value>| value.and_then(Value::as_i64);
    let instances =
        variant.get("InstanceType").is_some() || variant.get("InitialInstanceCount").is_some();
    match variant.get("ServerlessConfig") {
        Some(_) if instances => {
            return Some(format!(
                "Specify either ServerlessConfig or InstanceType and InitialInstanceCount for the production variant {name}, not both."
            ));
        }
        Some(serverless) => {
            let provisioned = number(serverless.get("ProvisionedConcurrency"));
            let max = number(serverless.get("MaxConcurrency"));
            if let (Some(provisioned), Some(max)) = (provisioned, max)
                && provisioned > max
            {
                return Some(format!(
                    "ProvisionedConcurrency ({provisioned}) cannot be greater than MaxConcurrency ({max}) for the production variant {name}."
                ));
            }
        }
        None if !instances => {
            return Some(format!(
                "Specify either ServerlessConfig or InstanceType and InitialInstanceCount for the production variant {name}."
            ));
        }
        None => {}
    }
    if let Some(scaling) = variant.get("ManagedInstanceScaling") {
        let min = number(scaling.get("MinInstanceCount"));
        let max = number(scaling.get("MaxInstanceCount"));
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return Some(format!(
                "MinInstanceCount ({min}) cannot be greater than MaxInstanceCount ({max}) in the ManagedInstanceScaling of the production variant {name}."
            ));
        }
    }
    None
}

/// The members DescribeEndpoint adds to a deployed variant's summary from its configuration.
pub fn summary_extras(variant: &Value) -> Map<String, Value> {
    let mut extras = Map::new();
    if let Some(serverless) = variant.get("ServerlessConfig") {
        extras.insert("CurrentServerlessConfig".into(), serverless.clone());
        extras.insert("DesiredServerlessConfig".into(), serverless.clone());
    }
    for member in ["ManagedInstanceScaling", "RoutingConfig"] {
        if let Some(value) = variant.get(member) {
            extras.insert(member.into(), value.clone());
        }
    }
    extras
}

/// Where an asynchronous inference's result goes: `<S3OutputPath>/<inference id>.out`.
pub fn async_output_location(async_config: &Value, inference_id: &str) -> Option<String> {
    let path = async_config
        .pointer("/OutputConfig/S3OutputPath")?
        .as_str()?;
    Some(format!("{}/{inference_id}.out", path.trim_end_matches('/')))
}

/// DescribeEndpoint's AsyncInferenceConfig: the configuration's, as SageMaker echoes it.
pub fn async_summary(async_config: &Value) -> Value {
    let mut summary = async_config.clone();
    if summary.get("ClientConfig").is_none() {
        summary["ClientConfig"] = json!({ "MaxConcurrentInvocationsPerInstance": 4 });
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(name: &str) -> Value {
        json!({ "VariantName": name, "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1 })
    }

    fn serverless(name: &str, max: i64, provisioned: Option<i64>) -> Value {
        let mut config = json!({ "MemorySizeInMB": 2048, "MaxConcurrency": max });
        if let Some(provisioned) = provisioned {
            config["ProvisionedConcurrency"] = json!(provisioned);
        }
        json!({ "VariantName": name, "ModelName": "m", "ServerlessConfig": config })
    }

    #[test]
    fn endpoint_configs_are_judged_as_sagemaker_does() {
        let mut both = serverless("v", 5, None);
        both["InstanceType"] = json!("ml.m5.large");
        let mut managed = instance("v");
        managed["ManagedInstanceScaling"] =
            json!({ "Status": "ENABLED", "MinInstanceCount": 3, "MaxInstanceCount": 2 });
        let async_output = json!({ "OutputConfig": { "S3OutputPath": "s3://b/out" } });
        let mut without_model = instance("v");
        without_model.as_object_mut().unwrap().remove("ModelName");
        let table: Vec<(Value, Option<&str>)> = vec![
            (
                json!({ "ProductionVariants": [instance("a"), instance("b")] }),
                None,
            ),
            (
                json!({ "ProductionVariants": [serverless("v", 5, Some(5))] }),
                None,
            ),
            (
                json!({ "ProductionVariants": [instance("a")], "ShadowProductionVariants": [instance("s")] }),
                None,
            ),
            (
                json!({ "ProductionVariants": [instance("a")], "AsyncInferenceConfig": async_output }),
                None,
            ),
            (
                json!({ "ProductionVariants": [both] }),
                Some(
                    "Specify either ServerlessConfig or InstanceType and InitialInstanceCount for the production variant v, not both.",
                ),
            ),
            (
                json!({ "ProductionVariants": [{ "VariantName": "v", "ModelName": "m" }] }),
                Some(
                    "Specify either ServerlessConfig or InstanceType and InitialInstanceCount for the production variant v.",
                ),
            ),
            (
                json!({ "ProductionVariants": [serverless("v", 5, Some(6))] }),
                Some("ProvisionedConcurrency (6) cannot be greater than MaxConcurrency (5)"),
            ),
            (
                json!({ "ProductionVariants": [managed] }),
                Some("MinInstanceCount (3) cannot be greater than MaxInstanceCount (2)"),
            ),
            (
                json!({ "ProductionVariants": [instance("a"), instance("b")], "ShadowProductionVariants": [instance("s")] }),
                Some("When ShadowProductionVariants is specified"),
            ),
            (
                json!({ "ProductionVariants": [instance("a")], "ShadowProductionVariants": [instance("a")] }),
                Some("The variant name a is used by more than one"),
            ),
            (
                json!({ "ProductionVariants": [serverless("v", 5, None)], "AsyncInferenceConfig": async_output }),
                Some("AsyncInferenceConfig is not supported"),
            ),
            // Inference components: variants without a model, the role on the configuration.
            (
                json!({ "ProductionVariants": [without_model.clone()], "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r" }),
                None,
            ),
            (
                json!({ "ProductionVariants": [without_model] }),
                Some("ModelName is required for every production variant unless"),
            ),
        ];
        for (config, expected) in table {
            let refused = refusal(&config);
            match expected {
                None => assert_eq!(refused, None, "{config}"),
                Some(start) => assert!(
                    refused.as_deref().is_some_and(|m| m.starts_with(start)),
                    "{config}: {refused:?}"
                ),
            }
        }
    }

    #[test]
    fn summaries_and_output_locations() {
        let mut variant = serverless("v", 5, None);
        variant["RoutingConfig"] = json!({ "RoutingStrategy": "RANDOM" });
        let extras = summary_extras(&variant);
        assert_eq!(extras["CurrentServerlessConfig"]["MaxConcurrency"], 5);
        assert_eq!(extras["DesiredServerlessConfig"]["MemorySizeInMB"], 2048);
        assert_eq!(extras["RoutingConfig"]["RoutingStrategy"], "RANDOM");
        assert!(summary_extras(&instance("a")).is_empty());
        let config = json!({ "OutputConfig": { "S3OutputPath": "s3://b/out/" } });
        assert_eq!(
            async_output_location(&config, "id-1").as_deref(),
            Some("s3://b/out/id-1.out")
        );
        assert_eq!(async_output_location(&json!({}), "id-1"), None);
    }
}
