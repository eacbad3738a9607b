//! S3 objects a test puts through the control API (`PUT /_emulator/objects/<bucket>/<key>`),
//! for the SageMaker requests that name an object to read (a pipeline definition's
//! `PipelineDefinitionS3Location`). S3 itself is not emulated: these objects are all there is,
//! kept per region as the rest of a region's state.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::world::{Kind, World};

/// Object bodies by (bucket, key).
#[derive(Default)]
pub struct S3Objects(BTreeMap<(String, String), String>);

/// The objects' state; no operations of its own (the control API reaches it through the world).
pub fn kind() -> Kind {
    Kind::new::<S3Objects>("s3 object")
}

impl World {
    /// Stores an object, replacing any with the same bucket and key.
    pub fn put_object(&mut self, bucket: &str, key: &str, body: String) {
        tracing::debug!(bucket, key, bytes = body.len(), "object stored");
        self.state_mut::<S3Objects>()
            .0
            .insert((bucket.to_string(), key.to_string()), body);
    }

    pub fn s3_object(&self, bucket: &str, key: &str) -> Option<&str> {
        self.state::<S3Objects>()
            .0
            .get(&(bucket.to_string(), key.to_string()))
            .map(String::as_str)
    }

    /// Forgets an object; whether there was one.
    pub fn delete_object(&mut self, bucket: &str, key: &str) -> bool {
        self.state_mut::<S3Objects>()
            .0
            .remove(&(bucket.to_string(), key.to_string()))
            .is_some()
    }

    /// Every stored object as the control API lists objects (`{"uri", "body"}`).
    pub fn stored_objects(&self) -> Vec<Value> {
        self.state::<S3Objects>()
            .0
            .iter()
            .map(|((bucket, key), body)| json!({ "uri": format!("s3://{bucket}/{key}"), "body": body }))
            .collect()
    }
}
