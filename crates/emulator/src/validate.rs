//! Input constraints from the SageMaker API reference, reported the way AWS words them:
//! `N validation error(s) detected: Value 'x' at 'member.path' failed to satisfy constraint: …`.
//! A validator collects every violation of a request before answering, like AWS does.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::wire::ApiError;

pub const NAME_PATTERN: &str = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$";
pub const TUNING_NAME_PATTERN: &str = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$";
pub const ROLE_ARN_PATTERN: &str = "^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$";
pub const S3_URI_PATTERN: &str = "^(https|s3)://([^/]+)/?(.*)$";
pub const IMAGE_PATTERN: &str = "[\\S]+";
pub const INSTANCE_TYPE_PATTERN: &str = "^ml\\.[a-z0-9]+[a-z0-9-]*\\.[0-9]*x?[a-z0-9]+$";

pub static NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(NAME_PATTERN).expect("name pattern"));
static TUNING_NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(TUNING_NAME_PATTERN).expect("tuning pattern"));
static ROLE_ARN_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(ROLE_ARN_PATTERN).expect("role pattern"));
static S3_URI_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(S3_URI_PATTERN).expect("s3 pattern"));
static IMAGE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(IMAGE_PATTERN).expect("image pattern"));
static INSTANCE_TYPE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(INSTANCE_TYPE_PATTERN).expect("instance type pattern"));
static TAG_KEY_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$").expect("tag key pattern"));

/// Collects violations; `finish` turns them into one ValidationException.
#[derive(Default)]
pub struct Violations {
    items: Vec<String>,
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Null => "null".to_string(),
        other => format!("'{other}'"),
    }
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, value: &Value, path: &str, constraint: &str) {
        self.items.push(format!(
            "Value {} at '{path}' failed to satisfy constraint: {constraint}",
            shown(value)
        ));
    }

    pub fn finish(self) -> Result<(), ApiError> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.items[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.items.join("; ")
            ))),
        }
    }

    /// Required member; returns the value when present.
    pub fn required<'a>(&mut self, body: &'a Value, member: &str, path: &str) -> Option<&'a Value> {
        match body.get(member) {
            None | Some(Value::Null) => {
                self.push(&Value::Null, path, "Member must not be null");
                None
            }
            Some(value) => Some(value),
        }
    }

    pub fn string_pattern(&mut self, value: &Value, path: &str, regex: &Regex, pattern_text: &str) {
        if let Some(text) = value.as_str()
            && !regex.is_match(text)
        {
            self.push(
                value,
                path,
                &format!("Member must satisfy regular expression pattern: {pattern_text}"),
            );
        }
    }

    pub fn length(&mut self, value: &Value, path: &str, min: usize, max: usize) {
        if let Some(text) = value.as_str() {
            let len = text.chars().count();
            if len < min {
                self.push(
                    value,
                    path,
                    &format!("Member must have length greater than or equal to {min}"),
                );
            }
            if len > max {
                self.push(
                    value,
                    path,
                    &format!("Member must have length less than or equal to {max}"),
                );
            }
        }
    }

    pub fn enum_value(&mut self, value: &Value, path: &str, allowed: &[&str]) {
        if let Some(text) = value.as_str()
            && !allowed.contains(&text)
        {
            self.push(
                value,
                path,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    pub fn optional_enum(&mut self, body: &Value, member: &str, path: &str, allowed: &[&str]) {
        if let Some(value) = body.get(member) {
            self.enum_value(value, path, allowed);
        }
    }

    pub fn range(&mut self, value: &Value, path: &str, min: Option<i64>, max: Option<i64>) {
        if let Some(number) = value.as_f64() {
            if let Some(min) = min
                && number < min as f64
            {
                self.push(
                    value,
                    path,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            }
            if let Some(max) = max
                && number > max as f64
            {
                self.push(
                    value,
                    path,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
    }

    /// A resource name (job, model, endpoint, config): 1–63 characters of the name alphabet.
    pub fn resource_name(&mut self, body: &Value, member: &str, path: &str) -> Option<String> {
        let value = self.required(body, member, path)?;
        self.length(value, path, 1, 63);
        self.string_pattern(value, path, &NAME_RE, NAME_PATTERN);
        value.as_str().map(str::to_string)
    }

    pub fn tuning_name(&mut self, body: &Value, member: &str, path: &str) -> Option<String> {
        let value = self.required(body, member, path)?;
        self.length(value, path, 1, 32);
        self.string_pattern(value, path, &TUNING_NAME_RE, TUNING_NAME_PATTERN);
        value.as_str().map(str::to_string)
    }

    pub fn role_arn(&mut self, body: &Value, member: &str, path: &str, required: bool) {
        let value = if required {
            self.required(body, member, path)
        } else {
            body.get(member)
        };
        if let Some(value) = value {
            self.length(value, path, 20, 2048);
            self.string_pattern(value, path, &ROLE_ARN_RE, ROLE_ARN_PATTERN);
        }
    }

    pub fn s3_uri(&mut self, value: &Value, path: &str) {
        self.length(value, path, 0, 1024);
        self.string_pattern(value, path, &S3_URI_RE, S3_URI_PATTERN);
    }

    pub fn image(&mut self, value: &Value, path: &str) {
        self.length(value, path, 0, 255);
        self.string_pattern(value, path, &IMAGE_RE, IMAGE_PATTERN);
    }

    pub fn instance_type(&mut self, value: &Value, path: &str) {
        self.string_pattern(value, path, &INSTANCE_TYPE_RE, INSTANCE_TYPE_PATTERN);
    }

    pub fn tags(&mut self, tags: Option<&Value>, path: &str) {
        let Some(tags) = tags else { return };
        let Some(list) = tags.as_array() else { return };
        if list.len() > 50 {
            self.push(
                &Value::String(format!("{} tags", list.len())),
                path,
                "Member must have length less than or equal to 50",
            );
        }
        for (index, tag) in list.iter().enumerate() {
            let key_path = format!("{path}.{}.member.key", index + 1);
            let value_path = format!("{path}.{}.member.value", index + 1);
            if let Some(key) = self.required(tag, "Key", &key_path) {
                self.length(key, &key_path, 1, 128);
                self.string_pattern(
                    key,
                    &key_path,
                    &TAG_KEY_RE,
                    r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
                );
            }
            if let Some(value) = tag.get("Value") {
                self.length(value, &value_path, 0, 256);
            }
        }
    }
}

/// Member paths in AWS messages are the member names with a lower-case first letter.
pub fn member_path(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_violation_is_worded_like_aws() {
        let mut violations = Violations::new();
        violations.resource_name(
            &json!({"TrainingJobName": "bad_name"}),
            "TrainingJobName",
            "trainingJobName",
        );
        let error = violations.finish().unwrap_err();
        assert_eq!(
            error.message,
            "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
        );
    }

    #[test]
    fn several_violations_are_counted_and_joined() {
        let mut violations = Violations::new();
        let long = "a".repeat(64);
        violations.resource_name(
            &json!({ "TrainingJobName": long }),
            "TrainingJobName",
            "trainingJobName",
        );
        violations.required(&json!({}), "RoleArn", "roleArn");
        let message = violations.finish().unwrap_err().message;
        assert!(
            message.starts_with("3 validation errors detected: "),
            "{message}"
        );
        assert!(message.contains("Member must have length less than or equal to 63"));
        assert!(message.contains(
            "Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
        ));
    }

    #[test]
    fn member_paths_are_lower_camel() {
        assert_eq!(
            member_path(&["ResourceConfig", "InstanceCount"]),
            "resourceConfig.instanceCount"
        );
    }
}
