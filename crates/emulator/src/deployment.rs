//! UpdateEndpoint's DeploymentConfig: the rules between members that the API model cannot say
//! (its shapes check each member by itself).

use serde_json::Value;

use crate::wire::ApiError;

/// Why a DeploymentConfig is refused, in SageMaker's words; `None` when it is acceptable.
pub fn refusal(config: &Value) -> Option<String> {
    let blue_green = config.get("BlueGreenUpdatePolicy");
    let rolling = config.get("RollingUpdatePolicy");
    if blue_green.is_some() && rolling.is_some() {
        return Some(
            "Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy can be specified in DeploymentConfig."
                .to_string(),
        );
    }
    if let Some(routing) = blue_green.and_then(|policy| policy.get("TrafficRoutingConfiguration")) {
        let kind = routing.get("Type").and_then(Value::as_str).unwrap_or("");
        let needed = match kind {
            "CANARY" => Some("CanarySize"),
            "LINEAR" => Some("LinearStepSize"),
            _ => None,
        };
        if let Some(member) = needed
            && routing.get(member).is_none()
        {
            return Some(format!(
                "{member} must be specified when the traffic routing configuration type is {kind}."
            ));
        }
        for (member, allowed) in [("CanarySize", "CANARY"), ("LinearStepSize", "LINEAR")] {
            if routing.get(member).is_some() && kind != allowed {
                return Some(format!(
                    "{member} can only be specified when the traffic routing configuration type is {allowed}."
                ));
            }
        }
    }
    let has_alarms = config
        .pointer("/AutoRollbackConfiguration/Alarms")
        .and_then(Value::as_array)
        .is_some_and(|alarms| !alarms.is_empty());
    if config.get("AutoRollbackConfiguration").is_some() && !has_alarms {
        return Some("AutoRollbackConfiguration must name at least one alarm.".to_string());
    }
    None
}

pub fn check(config: Option<&Value>) -> Result<(), ApiError> {
    match config.and_then(refusal) {
        Some(message) => Err(ApiError::validation(message)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_configs_are_judged_as_sagemaker_does() {
        let routing = |kind: &str, extra: Value| {
            let mut routing = json!({ "Type": kind, "WaitIntervalInSeconds": 60 });
            routing
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({ "BlueGreenUpdatePolicy": { "TrafficRoutingConfiguration": routing } })
        };
        let size = json!({ "Type": "CAPACITY_PERCENT", "Value": 10 });
        let rolling = json!({ "MaximumBatchSize": size, "WaitIntervalInSeconds": 60 });
        let alarms = json!({ "Alarms": [{ "AlarmName": "errors" }] });
        let table: Vec<(Value, Option<&str>)> = vec![
            (routing("ALL_AT_ONCE", json!({})), None),
            (routing("CANARY", json!({ "CanarySize": size })), None),
            (routing("LINEAR", json!({ "LinearStepSize": size })), None),
            (json!({ "RollingUpdatePolicy": rolling }), None),
            (
                json!({ "RollingUpdatePolicy": rolling, "AutoRollbackConfiguration": alarms }),
                None,
            ),
            (
                json!({ "RollingUpdatePolicy": rolling, "BlueGreenUpdatePolicy": {} }),
                Some("Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy"),
            ),
            (
                routing("CANARY", json!({})),
                Some(
                    "CanarySize must be specified when the traffic routing configuration type is CANARY.",
                ),
            ),
            (
                routing("LINEAR", json!({})),
                Some("LinearStepSize must be specified"),
            ),
            (
                routing("ALL_AT_ONCE", json!({ "CanarySize": size })),
                Some(
                    "CanarySize can only be specified when the traffic routing configuration type is CANARY.",
                ),
            ),
            (
                json!({ "AutoRollbackConfiguration": {} }),
                Some("AutoRollbackConfiguration must name at least one alarm."),
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
}
