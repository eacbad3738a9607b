//! BatchTransformJob: spec → CreateTransformJob request, DescribeTransformJob → plain values.

use aws_sdk_sagemaker::operation::create_transform_job::builders::CreateTransformJobInputBuilder;
use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::BatchTransformJobSpec;
use sagemaker_k8s_api::batch_transform_job::{TransformInput, TransformOutput};

use crate::clients::SageMakerHandle;
use crate::convert::{experiment_config, key_value_map, tags_with_owner};
use crate::errors::{SageMakerError, classify};
use crate::wire_name;

fn transform_input(input: &TransformInput) -> sdk::TransformInput {
    sdk::TransformInput::builder()
        .data_source(
            sdk::TransformDataSource::builder()
                .s3_data_source(
                    sdk::TransformS3DataSource::builder()
                        .s3_data_type(sdk::S3DataType::from(
                            wire_name(&input.data_source.s3_data_source.s3_data_type).as_str(),
                        ))
                        .s3_uri(&input.data_source.s3_data_source.s3_uri)
                        .build(),
                )
                .build(),
        )
        .set_content_type(input.content_type.clone())
        .set_compression_type(
            input
                .compression_type
                .map(|kind| sdk::CompressionType::from(wire_name(&kind).as_str())),
        )
        .set_split_type(
            input
                .split_type
                .map(|kind| sdk::SplitType::from(wire_name(&kind).as_str())),
        )
        .build()
}

fn transform_output(output: &TransformOutput) -> sdk::TransformOutput {
    sdk::TransformOutput::builder()
        .s3_output_path(&output.s3_output_path)
        .set_accept(output.accept.clone())
        .set_assemble_with(
            output
                .assemble_with
                .map(|kind| sdk::AssemblyType::from(wire_name(&kind).as_str())),
        )
        .set_kms_key_id(output.kms_key_id.clone())
        .build()
}

/// The CreateTransformJob request for a spec under the given name, tagged with the owner UID.
pub fn create_request(
    spec: &BatchTransformJobSpec,
    job_name: &str,
    owner_uid: &str,
) -> CreateTransformJobInputBuilder {
    let input = &spec.transform_input;
    let output = &spec.transform_output;
    let resources = &spec.transform_resources;
    aws_sdk_sagemaker::operation::create_transform_job::CreateTransformJobInput::builder()
        .transform_job_name(job_name)
        .model_name(&spec.model_name)
        .set_max_concurrent_transforms(spec.max_concurrent_transforms)
        .set_model_client_config(spec.model_client_config.as_ref().map(|config| {
            sdk::ModelClientConfig::builder()
                .set_invocations_timeout_in_seconds(config.invocations_timeout_in_seconds)
                .set_invocations_max_retries(config.invocations_max_retries)
                .build()
        }))
        .set_max_payload_in_mb(spec.max_payload_in_mb)
        .set_batch_strategy(
            spec.batch_strategy
                .map(|strategy| sdk::BatchStrategy::from(wire_name(&strategy).as_str())),
        )
        .set_environment(key_value_map(&spec.environment))
        .transform_input(transform_input(input))
        .transform_output(transform_output(output))
        .set_data_capture_config(spec.data_capture_config.as_ref().map(|capture| {
            sdk::BatchDataCaptureConfig::builder()
                .destination_s3_uri(&capture.destination_s3_uri)
                .set_kms_key_id(capture.kms_key_id.clone())
                .set_generate_inference_id(capture.generate_inference_id)
                .build()
        }))
        .transform_resources(
            sdk::TransformResources::builder()
                .instance_type(sdk::TransformInstanceType::from(
                    resources.instance_type.as_str(),
                ))
                .instance_count(resources.instance_count)
                .set_volume_kms_key_id(resources.volume_kms_key_id.clone())
                .set_transform_ami_version(resources.transform_ami_version.clone())
                .build(),
        )
        .set_data_processing(spec.data_processing.as_ref().map(|processing| {
            sdk::DataProcessing::builder()
                .set_input_filter(processing.input_filter.clone())
                // `OutputFilter` / `JoinSource`: the original operator's spelling of the same fields.
                .set_output_filter(
                    processing
                        .output_filter
                        .clone()
                        .or_else(|| processing.original_output_filter.clone()),
                )
                .set_join_source(
                    processing
                        .join_source
                        .or(processing.original_join_source)
                        .map(|kind| sdk::JoinSource::from(wire_name(&kind).as_str())),
                )
                .build()
        }))
        .set_experiment_config(spec.experiment_config.as_ref().map(experiment_config))
        .set_tags(Some(tags_with_owner(
            spec.tags.as_deref().unwrap_or_default(),
            owner_uid,
        )))
}

/// What the operator needs from DescribeTransformJob.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransformJobDescription {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub failure_reason: Option<String>,
}

impl SageMakerHandle {
    pub async fn create_transform_job(
        &self,
        spec: &BatchTransformJobSpec,
        job_name: &str,
        owner_uid: &str,
    ) -> Result<(), SageMakerError> {
        let request = create_request(spec, job_name, owner_uid);
        self.throttle("CreateTransformJob").await;
        request.send_with(&self.client).await.map_err(classify)?;
        Ok(())
    }

    pub async fn describe_transform_job(
        &self,
        job_name: &str,
    ) -> Result<TransformJobDescription, SageMakerError> {
        self.throttle("DescribeTransformJob").await;
        let output = self
            .client
            .describe_transform_job()
            .transform_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        Ok(TransformJobDescription {
            name: output.transform_job_name().unwrap_or(job_name).to_string(),
            arn: output.transform_job_arn().unwrap_or_default().to_string(),
            status: output
                .transform_job_status()
                .map(|status| status.as_str().to_string())
                .unwrap_or_default(),
            failure_reason: output.failure_reason().map(str::to_string),
        })
    }

    pub async fn stop_transform_job(&self, job_name: &str) -> Result<(), SageMakerError> {
        self.throttle("StopTransformJob").await;
        self.client
            .stop_transform_job()
            .transform_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    crate::listing::modified_after_listing!(
        /// Names and last-modified times of transform jobs modified after `after` (all pages).
        transform_jobs_modified_after, "ListTransformJobs", list_transform_jobs, transform_job_summaries, transform_job_name
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_maps_spec_fields() {
        let spec: BatchTransformJobSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "modelName": "m",
            "maxConcurrentTransforms": 4,
            "maxPayloadInMB": 6,
            "batchStrategy": "MultiRecord",
            "environment": [{"name": "A", "value": "1"}],
            "transformInput": {"dataSource": {"s3DataSource": {"s3DataType": "S3Prefix", "s3Uri": "s3://b/in"}}, "contentType": "text/csv", "splitType": "Line"},
            "transformOutput": {"s3OutputPath": "s3://b/out", "assembleWith": "Line"},
            "transformResources": {"instanceType": "ml.m4.xlarge", "instanceCount": 2},
            "dataProcessing": {"inputFilter": "$[1:]", "joinSource": "Input"},
            "tags": [{"key": "team", "value": "ml"}]
        }))
        .expect("spec parses");
        let input = create_request(&spec, "t-1", "uid").build().unwrap();
        assert_eq!(input.transform_job_name(), Some("t-1"));
        assert_eq!(input.model_name(), Some("m"));
        assert_eq!(input.max_concurrent_transforms(), Some(4));
        assert_eq!(input.max_payload_in_mb(), Some(6));
        assert_eq!(input.batch_strategy().unwrap().as_str(), "MultiRecord");
        assert_eq!(input.environment().unwrap()["A"], "1");
        let transform_input = input.transform_input().unwrap();
        assert_eq!(transform_input.split_type().unwrap().as_str(), "Line");
        assert_eq!(
            transform_input
                .data_source()
                .unwrap()
                .s3_data_source()
                .unwrap()
                .s3_uri(),
            Some("s3://b/in")
        );
        assert_eq!(
            input
                .transform_output()
                .unwrap()
                .assemble_with()
                .unwrap()
                .as_str(),
            "Line"
        );
        assert_eq!(
            input.transform_resources().unwrap().instance_count(),
            Some(2)
        );
        assert_eq!(
            input
                .data_processing()
                .unwrap()
                .join_source()
                .unwrap()
                .as_str(),
            "Input"
        );
        assert_eq!(input.tags().len(), 2);
    }

    #[test]
    fn the_original_operators_capitalised_data_processing_fields_reach_the_request() {
        let spec: BatchTransformJobSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "modelName": "m",
            "transformInput": {"dataSource": {"s3DataSource": {"s3DataType": "S3Prefix", "s3Uri": "s3://b/in"}}},
            "transformOutput": {"s3OutputPath": "s3://b/out"},
            "transformResources": {"instanceType": "ml.m4.xlarge", "instanceCount": 1},
            "dataProcessing": {"inputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}
        }))
        .expect("spec parses");
        let input = create_request(&spec, "t-1", "uid").build().unwrap();
        let processing = input.data_processing().unwrap();
        assert_eq!(processing.input_filter(), Some("$[1:]"));
        assert_eq!(processing.join_source().unwrap().as_str(), "Input");
        assert_eq!(processing.output_filter(), Some("$[0,-1]"));
    }
}
