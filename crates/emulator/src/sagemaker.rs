//! The SageMaker tagging operations, which apply to a resource of any kind (each kind tells
//! whether it owns an ARN).

use serde_json::{Value, json};

use crate::wire::{ApiError, ErrorCode};
use crate::world::{Kind, Service, World, paginate, str_member};

/// The tagging operations; their state is the world's `tags`, so the kind keeps none itself.
pub fn kind() -> Kind {
    Kind::new::<()>("tag").operations(
        Service::SageMaker,
        &[
            ("AddTags", |world, body, _| world.add_tags(&body)),
            ("ListTags", |world, body, _| world.list_tags(&body)),
            ("DeleteTags", |world, body, _| world.delete_tags(&body)),
        ],
    )
}

impl World {
    fn tagged_resource(&self, body: &Value) -> Result<String, ApiError> {
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
