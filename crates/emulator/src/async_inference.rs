//! Asynchronous inference (sagemaker-runtime InvokeEndpointAsync): the request names its input
//! in S3 and is answered at once with an inference id and the output location; the result
//! object appears there a moment later. S3 is not emulated, so the objects are kept here and
//! shown by the control API (`GET /_emulator/objects`).

use serde_json::{Value, json};

use crate::hosting::{format_number, prediction};
use crate::production_variants::async_output_location;
use crate::wire::{self, ApiError, ErrorCode, HttpResponse};
use crate::world::{Kind, World};

/// Emulated seconds from the invocation to its output object.
const INFERENCE_SECONDS: f64 = 5.0;

/// One result object an asynchronous inference wrote.
pub struct OutputObject {
    pub uri: String,
    /// When it appears (real seconds).
    pub at: f64,
    pub body: String,
}

#[derive(Default)]
pub struct OutputObjects(Vec<OutputObject>);

/// The objects' state; no operations of its own (the runtime route and the control API reach
/// it through the world).
pub fn kind() -> Kind {
    Kind::new::<OutputObjects>("async inference output")
}

/// What InvokeEndpointAsync answers: 202, the inference id in the body, the locations in headers.
pub struct AsyncInvocation {
    pub inference_id: String,
    pub output_location: String,
}

impl AsyncInvocation {
    pub fn into_response(self) -> HttpResponse {
        let mut response = wire::plain(
            hyper::StatusCode::ACCEPTED,
            "application/json",
            json!({ "InferenceId": self.inference_id })
                .to_string()
                .into_bytes(),
        );
        if let Ok(value) = hyper::header::HeaderValue::from_str(&self.output_location) {
            response
                .headers_mut()
                .insert("x-amzn-sagemaker-outputlocation", value);
        }
        response
    }
}

impl World {
    /// InvokeEndpointAsync on `name`: the endpoint must be serving with an AsyncInferenceConfig.
    pub fn invoke_endpoint_async(
        &mut self,
        name: &str,
        input_location: Option<&str>,
        inference_id: Option<&str>,
        now: f64,
    ) -> Result<AsyncInvocation, ApiError> {
        let Some(input_location) = input_location.filter(|location| !location.is_empty()) else {
            return Err(ApiError::new(
                ErrorCode::RuntimeValidation,
                "1 validation error detected: Value null at 'inputLocation' failed to satisfy constraint: Member must not be null",
            ));
        };
        let endpoint = self.serving_endpoint(name)?;
        let inference_id = inference_id
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let output_location = endpoint
            .async_config
            .as_ref()
            .and_then(|config| async_output_location(config, &inference_id))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::RuntimeValidation,
                    format!("Endpoint {name} is not configured for asynchronous inference."),
                )
            })?;
        let at = now + self.settings.real(INFERENCE_SECONDS);
        tracing::debug!(endpoint = %name, %inference_id, output = %output_location, "asynchronous inference accepted");
        self.state_mut::<OutputObjects>().0.push(OutputObject {
            uri: output_location.clone(),
            at,
            // The input is in S3, which is not emulated: the prediction is of its location.
            body: format_number(prediction(input_location)),
        });
        Ok(AsyncInvocation {
            inference_id,
            output_location,
        })
    }

    /// The output objects that have appeared by `now` (control API).
    pub fn output_objects(&self, now: f64) -> Value {
        let objects: Vec<Value> = self
            .state::<OutputObjects>()
            .0
            .iter()
            .filter(|object| object.at <= now)
            .map(|object| json!({ "uri": object.uri, "body": object.body }))
            .collect();
        json!(objects)
    }
}
