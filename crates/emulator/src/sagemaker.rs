//! The SageMaker operation table and the tagging operations that apply to every resource.

use serde_json::{Value, json};

use crate::validate::Violations;
use crate::wire::{ApiError, ErrorCode};
use crate::world::{World, paginate, str_member};

const SAGEMAKER_ARN_PATTERN: &str = "^arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:.+$";
static SAGEMAKER_ARN_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(SAGEMAKER_ARN_PATTERN).expect("arn pattern"));

impl World {
    pub fn sagemaker_operation(
        &mut self,
        operation: &str,
        input: Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        match operation {
            "CreateTrainingJob" => self.create_training_job(input, now),
            "DescribeTrainingJob" => self.describe_training_job(&input, now),
            "StopTrainingJob" => self.stop_training_job(&input, now),
            "ListTrainingJobs" => self.list_training_jobs(&input, now),
            "CreateHyperParameterTuningJob" => self.create_tuning_job(input, now),
            "DescribeHyperParameterTuningJob" => self.describe_tuning_job(&input, now),
            "StopHyperParameterTuningJob" => self.stop_tuning_job(&input, now),
            "ListHyperParameterTuningJobs" => self.list_tuning_jobs(&input, now),
            "ListTrainingJobsForHyperParameterTuningJob" => {
                self.list_training_jobs_for_tuning_job(&input, now)
            }
            "CreateTransformJob" => self.create_transform_job(input, now),
            "DescribeTransformJob" => self.describe_transform_job(&input, now),
            "StopTransformJob" => self.stop_transform_job(&input, now),
            "ListTransformJobs" => self.list_transform_jobs(&input, now),
            "CreateProcessingJob" => self.create_processing_job(input, now),
            "DescribeProcessingJob" => self.describe_processing_job(&input, now),
            "StopProcessingJob" => self.stop_processing_job(&input, now),
            "ListProcessingJobs" => self.list_processing_jobs(&input, now),
            "CreateModel" => self.create_model(input, now),
            "DescribeModel" => self.describe_model(&input),
            "DeleteModel" => self.delete_model(&input),
            "ListModels" => self.list_models(&input),
            "CreateEndpointConfig" => self.create_endpoint_config(input, now),
            "DescribeEndpointConfig" => self.describe_endpoint_config(&input),
            "DeleteEndpointConfig" => self.delete_endpoint_config(&input),
            "ListEndpointConfigs" => self.list_endpoint_configs(&input),
            "CreateEndpoint" => self.create_endpoint(input, now),
            "DescribeEndpoint" => self.describe_endpoint(&input),
            "UpdateEndpoint" => self.update_endpoint(&input, now),
            "UpdateEndpointWeightsAndCapacities" => {
                self.update_endpoint_weights_and_capacities(&input, now)
            }
            "DeleteEndpoint" => self.delete_endpoint(&input, now),
            "ListEndpoints" => self.list_endpoints(&input),
            "AddTags" => self.add_tags(&input),
            "ListTags" => self.list_tags(&input),
            "DeleteTags" => self.delete_tags(&input),
            other => Err(ApiError::new(
                ErrorCode::UnknownOperation,
                format!("The emulator does not implement SageMaker.{other}"),
            )),
        }
    }

    fn resource_exists(&self, arn: &str) -> bool {
        self.training_jobs.values().any(|r| r.arn == arn)
            || self.tuning_jobs.values().any(|r| r.arn == arn)
            || self.transform_jobs.values().any(|r| r.arn == arn)
            || self.processing_jobs.values().any(|r| r.arn == arn)
            || self.models.values().any(|r| r.arn == arn)
            || self.endpoint_configs.values().any(|r| r.arn == arn)
            || self.endpoints.values().any(|r| r.arn == arn)
    }

    fn tagged_resource(&self, body: &Value) -> Result<String, ApiError> {
        let mut violations = Violations::new();
        if let Some(arn) = violations.required(body, "ResourceArn", "resourceArn") {
            violations.length(arn, "resourceArn", 0, 256);
            violations.string_pattern(arn, "resourceArn", &SAGEMAKER_ARN_RE, SAGEMAKER_ARN_PATTERN);
        }
        violations.finish()?;
        let arn = str_member(body, "ResourceArn").unwrap_or("").to_string();
        if !self.resource_exists(&arn) {
            return Err(ApiError::validation(format!(
                "Could not find resource \"{arn}\"."
            )));
        }
        Ok(arn)
    }

    fn add_tags(&mut self, body: &Value) -> Result<Value, ApiError> {
        let arn = self.tagged_resource(body)?;
        let mut violations = Violations::new();
        violations.required(body, "Tags", "tags");
        violations.tags(body.get("Tags"), "tags");
        violations.finish()?;
        let mut tags = self.tags.get(&arn).cloned().unwrap_or_default();
        for tag in body["Tags"].as_array().into_iter().flatten() {
            let key = str_member(tag, "Key").unwrap_or("").to_string();
            let value = str_member(tag, "Value").unwrap_or("").to_string();
            match tags.iter_mut().find(|(existing, _)| *existing == key) {
                Some(entry) => entry.1 = value,
                None => tags.push((key, value)),
            }
        }
        // Checked before storing: a rejected call leaves the tags as they were.
        if tags.len() > 50 {
            return Err(ApiError::new(
                ErrorCode::ResourceLimitExceeded,
                "A resource can have at most 50 tags.",
            ));
        }
        self.tags.insert(arn, tags);
        Ok(json!({ "Tags": body["Tags"] }))
    }

    fn list_tags(&self, body: &Value) -> Result<Value, ApiError> {
        let arn = self.tagged_resource(body)?;
        let tags: Vec<Value> = self
            .tags
            .get(&arn)
            .into_iter()
            .flatten()
            .map(|(key, value)| json!({ "Key": key, "Value": value }))
            .collect();
        let (page, next) = paginate(tags, body, 50, 10_000)?;
        let mut response = json!({ "Tags": page });
        if let Some(next) = next {
            response["NextToken"] = json!(next);
        }
        Ok(response)
    }

    fn delete_tags(&mut self, body: &Value) -> Result<Value, ApiError> {
        let arn = self.tagged_resource(body)?;
        let mut violations = Violations::new();
        violations.required(body, "TagKeys", "tagKeys");
        violations.finish()?;
        let keys: Vec<&str> = body["TagKeys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if let Some(tags) = self.tags.get_mut(&arn) {
            tags.retain(|(key, _)| !keys.contains(&key.as_str()));
        }
        Ok(json!({}))
    }
}
