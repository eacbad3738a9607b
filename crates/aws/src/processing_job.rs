//! ProcessingJob: spec → CreateProcessingJob request, DescribeProcessingJob → plain values.

use aws_sdk_sagemaker::operation::create_processing_job::builders::CreateProcessingJobInputBuilder;
use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::ProcessingJobSpec;
use sagemaker_k8s_api::processing_job::{DatasetDefinition, ProcessingInput, ProcessingOutput};

use crate::clients::SageMakerHandle;
use crate::convert::{experiment_config, key_value_map, tags_with_owner, timestamp, vpc_config};
use crate::errors::{SageMakerError, classify};
use crate::wire_name;

fn processing_input(input: &ProcessingInput) -> sdk::ProcessingInput {
    sdk::ProcessingInput::builder()
        .input_name(&input.input_name)
        .set_app_managed(input.app_managed)
        .set_s3_input(input.s3_input.as_ref().map(|s3| {
            sdk::ProcessingS3Input::builder()
                .s3_uri(&s3.s3_uri)
                .set_local_path(s3.local_path.clone())
                .s3_data_type(sdk::ProcessingS3DataType::from(
                    wire_name(&s3.s3_data_type).as_str(),
                ))
                .set_s3_input_mode(
                    s3.s3_input_mode
                        .map(|mode| sdk::ProcessingS3InputMode::from(wire_name(&mode).as_str())),
                )
                .set_s3_data_distribution_type(s3.s3_data_distribution_type.map(|kind| {
                    sdk::ProcessingS3DataDistributionType::from(wire_name(&kind).as_str())
                }))
                .set_s3_compression_type(
                    s3.s3_compression_type.map(|kind| {
                        sdk::ProcessingS3CompressionType::from(wire_name(&kind).as_str())
                    }),
                )
                .build()
        }))
        .set_dataset_definition(input.dataset_definition.as_ref().map(dataset_definition))
        .build()
}

fn dataset_definition(dataset: &DatasetDefinition) -> sdk::DatasetDefinition {
    sdk::DatasetDefinition::builder()
        .set_athena_dataset_definition(dataset.athena_dataset_definition.as_ref().map(|athena| {
            sdk::AthenaDatasetDefinition::builder()
                .catalog(&athena.catalog)
                .database(&athena.database)
                .query_string(&athena.query_string)
                .set_work_group(athena.work_group.clone())
                .output_s3_uri(&athena.output_s3_uri)
                .set_kms_key_id(athena.kms_key_id.clone())
                .output_format(sdk::AthenaResultFormat::from(
                    wire_name(&athena.output_format).as_str(),
                ))
                .set_output_compression(
                    athena.output_compression.map(|kind| {
                        sdk::AthenaResultCompressionType::from(wire_name(&kind).as_str())
                    }),
                )
                .build()
        }))
        .set_redshift_dataset_definition(dataset.redshift_dataset_definition.as_ref().map(
            |redshift| {
                sdk::RedshiftDatasetDefinition::builder()
                    .cluster_id(&redshift.cluster_id)
                    .database(&redshift.database)
                    .db_user(&redshift.db_user)
                    .query_string(&redshift.query_string)
                    .cluster_role_arn(&redshift.cluster_role_arn)
                    .output_s3_uri(&redshift.output_s3_uri)
                    .set_kms_key_id(redshift.kms_key_id.clone())
                    .output_format(sdk::RedshiftResultFormat::from(
                        wire_name(&redshift.output_format).as_str(),
                    ))
                    .set_output_compression(redshift.output_compression.map(|kind| {
                        sdk::RedshiftResultCompressionType::from(wire_name(&kind).as_str())
                    }))
                    .build()
            },
        ))
        .set_local_path(dataset.local_path.clone())
        .set_data_distribution_type(
            dataset
                .data_distribution_type
                .map(|kind| sdk::DataDistributionType::from(wire_name(&kind).as_str())),
        )
        .set_input_mode(
            dataset
                .input_mode
                .map(|mode| sdk::InputMode::from(wire_name(&mode).as_str())),
        )
        .build()
}

fn processing_output(output: &ProcessingOutput) -> sdk::ProcessingOutput {
    sdk::ProcessingOutput::builder()
        .output_name(&output.output_name)
        .set_s3_output(output.s3_output.as_ref().map(|s3| {
            sdk::ProcessingS3Output::builder()
                .s3_uri(&s3.s3_uri)
                .set_local_path(s3.local_path.clone())
                .s3_upload_mode(sdk::ProcessingS3UploadMode::from(
                    wire_name(&s3.s3_upload_mode).as_str(),
                ))
                .build()
        }))
        .set_feature_store_output(output.feature_store_output.as_ref().map(|store| {
            sdk::ProcessingFeatureStoreOutput::builder()
                .feature_group_name(&store.feature_group_name)
                .build()
        }))
        .set_app_managed(output.app_managed)
        .build()
}

/// The CreateProcessingJob request for a spec under the given name, tagged with the owner UID.
pub fn create_request(
    spec: &ProcessingJobSpec,
    job_name: &str,
    owner_uid: &str,
) -> CreateProcessingJobInputBuilder {
    let cluster = &spec.processing_resources.cluster_config;
    let app = &spec.app_specification;
    aws_sdk_sagemaker::operation::create_processing_job::CreateProcessingJobInput::builder()
        .processing_job_name(job_name)
        .processing_resources(
            sdk::ProcessingResources::builder()
                .cluster_config(
                    sdk::ProcessingClusterConfig::builder()
                        .instance_count(cluster.instance_count)
                        .instance_type(sdk::ProcessingInstanceType::from(
                            cluster.instance_type.as_str(),
                        ))
                        .volume_size_in_gb(cluster.volume_size_in_gb)
                        .set_volume_kms_key_id(cluster.volume_kms_key_id.clone())
                        .build(),
                )
                .build(),
        )
        .app_specification(
            sdk::AppSpecification::builder()
                .image_uri(&app.image_uri)
                .set_container_entrypoint(app.container_entrypoint.clone())
                .set_container_arguments(app.container_arguments.clone())
                .build(),
        )
        .set_processing_inputs(
            spec.processing_inputs
                .as_ref()
                .map(|inputs| inputs.iter().map(processing_input).collect()),
        )
        .set_processing_output_config(spec.processing_output_config.as_ref().map(|config| {
            sdk::ProcessingOutputConfig::builder()
                .set_outputs(Some(config.outputs.iter().map(processing_output).collect()))
                .set_kms_key_id(config.kms_key_id.clone())
                .build()
        }))
        .set_environment(key_value_map(&spec.environment))
        .set_network_config(spec.network_config.as_ref().map(|network| {
            sdk::NetworkConfig::builder()
                .set_enable_inter_container_traffic_encryption(
                    network.enable_inter_container_traffic_encryption,
                )
                .set_enable_network_isolation(network.enable_network_isolation)
                .set_vpc_config(network.vpc_config.as_ref().map(vpc_config))
                .build()
        }))
        .set_stopping_condition(spec.stopping_condition.as_ref().map(|condition| {
            sdk::ProcessingStoppingCondition::builder()
                .max_runtime_in_seconds(condition.max_runtime_in_seconds)
                .build()
        }))
        .role_arn(&spec.role_arn)
        .set_experiment_config(spec.experiment_config.as_ref().map(experiment_config))
        .set_tags(Some(tags_with_owner(
            spec.tags.as_deref().unwrap_or_default(),
            owner_uid,
        )))
}

/// What the operator needs from DescribeProcessingJob.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessingJobDescription {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub failure_reason: Option<String>,
    /// The container's last words (its exit message), when it wrote one.
    pub exit_message: Option<String>,
    /// SageMaker's LastModifiedTime: what the status poller compares its listings with.
    pub last_modified: Option<jiff::Timestamp>,
}

impl SageMakerHandle {
    pub async fn create_processing_job(
        &self,
        spec: &ProcessingJobSpec,
        job_name: &str,
        owner_uid: &str,
    ) -> Result<(), SageMakerError> {
        let request = create_request(spec, job_name, owner_uid);
        self.throttle("CreateProcessingJob").await;
        request.send_with(&self.client).await.map_err(classify)?;
        Ok(())
    }

    pub async fn describe_processing_job(
        &self,
        job_name: &str,
    ) -> Result<ProcessingJobDescription, SageMakerError> {
        self.throttle("DescribeProcessingJob").await;
        let output = self
            .client
            .describe_processing_job()
            .processing_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        Ok(ProcessingJobDescription {
            name: output.processing_job_name().unwrap_or(job_name).to_string(),
            arn: output.processing_job_arn().unwrap_or_default().to_string(),
            last_modified: timestamp(output.last_modified_time()),
            status: output
                .processing_job_status()
                .map(|status| status.as_str().to_string())
                .unwrap_or_default(),
            failure_reason: output.failure_reason().map(str::to_string),
            exit_message: output.exit_message().map(str::to_string),
        })
    }

    pub async fn stop_processing_job(&self, job_name: &str) -> Result<(), SageMakerError> {
        self.throttle("StopProcessingJob").await;
        self.client
            .stop_processing_job()
            .processing_job_name(job_name)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    crate::listing::modified_after_listing!(
        /// Names and last-modified times of processing jobs modified after `after` (all pages).
        processing_jobs_modified_after, "ListProcessingJobs", list_processing_jobs, processing_job_summaries, processing_job_name
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_maps_the_guides_shape() {
        let spec: ProcessingJobSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "processingResources": {"clusterConfig": {"instanceCount": 2, "instanceType": "ml.m5.xlarge", "volumeSizeInGB": 20}},
            "appSpecification": {"imageUri": "img:1", "containerEntrypoint": ["python3", "run.py"], "containerArguments": ["--x", "1"]},
            "processingInputs": [{"inputName": "raw", "s3Input": {"s3Uri": "s3://b/raw", "localPath": "/opt/ml/processing/input", "s3DataType": "S3Prefix", "s3InputMode": "File"}}],
            "processingOutputConfig": {"outputs": [{"outputName": "out", "s3Output": {"s3Uri": "s3://b/out", "localPath": "/opt/ml/processing/output", "s3UploadMode": "EndOfJob"}}]},
            "environment": [{"name": "A", "value": "1"}],
            "stoppingCondition": {"maxRuntimeInSeconds": 3600},
            "tags": [{"key": "team", "value": "ml"}]
        }))
        .expect("spec parses");
        let input = create_request(&spec, "p-1", "uid").build().unwrap();
        assert_eq!(input.processing_job_name(), Some("p-1"));
        let cluster = input
            .processing_resources()
            .unwrap()
            .cluster_config()
            .unwrap();
        assert_eq!(cluster.instance_count(), Some(2));
        assert_eq!(cluster.instance_type().unwrap().as_str(), "ml.m5.xlarge");
        assert_eq!(
            input.app_specification().unwrap().container_entrypoint(),
            ["python3", "run.py"]
        );
        let s3 = input.processing_inputs()[0].s3_input().unwrap();
        assert_eq!(s3.s3_data_type().unwrap().as_str(), "S3Prefix");
        assert_eq!(s3.s3_input_mode().unwrap().as_str(), "File");
        let output = &input.processing_output_config().unwrap().outputs()[0];
        assert_eq!(
            output
                .s3_output()
                .unwrap()
                .s3_upload_mode()
                .unwrap()
                .as_str(),
            "EndOfJob"
        );
        assert_eq!(input.environment().unwrap()["A"], "1");
        assert_eq!(
            input.stopping_condition().unwrap().max_runtime_in_seconds(),
            Some(3600)
        );
        assert!(
            input
                .tags()
                .iter()
                .any(|tag| tag.key() == Some(crate::OWNER_UID_TAG) && tag.value() == Some("uid"))
        );
    }
}
