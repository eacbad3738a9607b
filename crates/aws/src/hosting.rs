//! Real-time inference: spec → CreateModel / CreateEndpointConfig / CreateEndpoint requests,
//! UpdateEndpoint(WeightsAndCapacities), Describe*/Delete*/List* → plain values. Used by the
//! HostingDeployment, Model and EndpointConfig controllers.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::operation::create_endpoint_config::builders::CreateEndpointConfigInputBuilder;
use aws_sdk_sagemaker::operation::create_model::builders::CreateModelInputBuilder;
use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::common::{ContainerDefinition, ModelS3DataSource, ProductionVariant, Tag};
use sagemaker_k8s_api::endpoint_config::{
    AsyncInferenceConfig, ClarifyExplainerConfig, DataCaptureConfig, ExplainerConfig,
};
use sagemaker_k8s_api::hosting_deployment::{ModelContainer, VariantPropertyType};
use sagemaker_k8s_api::{
    EndpointConfigProductionVariant, EndpointConfigSpec, HostingDeploymentSpec, ModelSpec,
};

use crate::clients::SageMakerHandle;
use crate::convert::{key_value_map, tags_with_owner, timestamp, vpc_config};
use crate::errors::{SageMakerError, classify};
use crate::wire_name;

/// A spec the CRD schema admits but SageMaker could never serve: a reference to something the
/// spec does not define, or a field this operator does not send yet. Each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostingSpecError {
    #[error(
        "spec.models[{index}] ({model}): container {hostname:?} is neither defined in place in the model's containers nor in spec.containers (by containerHostname)"
    )]
    UnknownContainer {
        index: usize,
        model: String,
        hostname: String,
    },
    #[error(
        "spec.models[{index}] ({model}): no container; set containers (definitions, or hostnames from spec.containers) or primaryContainer"
    )]
    NoContainer { index: usize, model: String },
    #[error("spec.models[{index}] ({model}): containers[{position}]: {problem}")]
    InvalidContainer {
        index: usize,
        model: String,
        position: usize,
        problem: String,
    },
    #[error(
        "spec.models[{index}] ({model}): containers[{position}] needs image, modelPackageName or modelPackageRef"
    )]
    ContainerWithoutImage {
        index: usize,
        model: String,
        position: usize,
    },
    #[error("spec.models[{index}] ({model}): {count} containers; SageMaker allows at most 15")]
    TooManyContainers {
        index: usize,
        model: String,
        count: usize,
    },
    #[error("spec.models: the name {0:?} is used more than once")]
    DuplicateModel(String),
    #[error(
        "spec.productionVariants[{index}] ({variant}): modelName {model:?} is not the name of an entry of spec.models"
    )]
    UnknownModel {
        index: usize,
        variant: String,
        model: String,
    },
    #[error("spec.productionVariants[{index}] ({variant}): modelName is required")]
    MissingModel { index: usize, variant: String },
    #[error("{0} is not supported by this operator yet; remove it")]
    Unsupported(&'static str),
    #[error("{field}: Model {model:?} has no SageMaker name yet")]
    UnresolvedModelRef { field: String, model: String },
}

// ---- request building ---------------------------------------------------------------------

/// SageMaker's limit on the containers of one model (CreateModel `Containers`).
const MAX_MODEL_CONTAINERS: usize = 15;

fn s3_model_data_source(source: &ModelS3DataSource) -> sdk::S3ModelDataSource {
    sdk::S3ModelDataSource::builder()
        .s3_uri(&source.s3_uri)
        .s3_data_type(sdk::S3ModelDataType::from(
            wire_name(&source.s3_data_type).as_str(),
        ))
        .compression_type(sdk::ModelCompressionType::from(
            wire_name(&source.compression_type).as_str(),
        ))
        .set_model_access_config(source.model_access_config.as_ref().map(|access| {
            sdk::ModelAccessConfig::builder()
                .accept_eula(access.accept_eula)
                .build()
        }))
        .set_hub_access_config(source.hub_access_config.as_ref().map(|hub| {
            sdk::InferenceHubAccessConfig::builder()
                .hub_content_arn(&hub.hub_content_arn)
                .build()
        }))
        .set_manifest_s3_uri(source.manifest_s3_uri.clone())
        .set_e_tag(source.e_tag.clone())
        .set_manifest_etag(source.manifest_etag.clone())
        .build()
}

/// One container of a CreateModel request.
/// `packages`: the ARN of each ModelPackage object a `modelPackageRef` names (by object name).
pub fn container_definition(
    container: &ContainerDefinition,
    packages: &BTreeMap<String, String>,
) -> sdk::ContainerDefinition {
    let package = container.model_package_name.clone().or_else(|| {
        let reference = container.model_package_ref.as_ref()?;
        packages.get(&reference.name).cloned()
    });
    sdk::ContainerDefinition::builder()
        .set_container_hostname(container.container_hostname.clone())
        .set_image(container.image.clone())
        .set_image_config(container.image_config.as_ref().map(|config| {
            sdk::ImageConfig::builder()
                .repository_access_mode(sdk::RepositoryAccessMode::from(
                    wire_name(&config.repository_access_mode).as_str(),
                ))
                .set_repository_auth_config(config.repository_auth_config.as_ref().map(|auth| {
                    sdk::RepositoryAuthConfig::builder()
                        .repository_credentials_provider_arn(
                            &auth.repository_credentials_provider_arn,
                        )
                        .build()
                }))
                .build()
        }))
        .set_mode(
            container
                .mode
                .map(|mode| sdk::ContainerMode::from(wire_name(&mode).as_str())),
        )
        .set_model_data_url(container.model_data_url.clone())
        .set_model_data_source(container.model_data_source.as_ref().map(|source| {
            sdk::ModelDataSource::builder()
                .set_s3_data_source(source.s3_data_source.as_ref().map(s3_model_data_source))
                .build()
        }))
        .set_additional_model_data_sources(container.additional_model_data_sources.as_ref().map(
            |sources| {
                sources
                    .iter()
                    .map(|source| {
                        sdk::AdditionalModelDataSource::builder()
                            .channel_name(&source.channel_name)
                            .s3_data_source(s3_model_data_source(&source.s3_data_source))
                            .build()
                    })
                    .collect()
            },
        ))
        .set_environment(key_value_map(&container.environment))
        .set_model_package_name(package)
        .set_inference_specification_name(container.inference_specification_name.clone())
        .set_multi_model_config(container.multi_model_config.as_ref().map(|config| {
            sdk::MultiModelConfig::builder()
                .set_model_cache_setting(
                    config
                        .model_cache_setting
                        .map(|setting| sdk::ModelCacheSetting::from(wire_name(&setting).as_str())),
                )
                .build()
        }))
        .build()
}

/// One production variant of a CreateEndpointConfig request; `model_name` is the SageMaker
/// model it serves.
pub fn production_variant(
    variant: &ProductionVariant,
    model_name: Option<&str>,
) -> sdk::ProductionVariant {
    sdk::ProductionVariant::builder()
        .variant_name(&variant.variant_name)
        .set_model_name(model_name.map(str::to_string))
        .set_initial_instance_count(variant.initial_instance_count)
        .set_instance_type(
            variant
                .instance_type
                .as_deref()
                .map(sdk::ProductionVariantInstanceType::from),
        )
        .set_initial_variant_weight(variant.initial_variant_weight.map(|weight| weight as f32))
        .set_accelerator_type(
            variant
                .accelerator_type
                .map(|kind| sdk::ProductionVariantAcceleratorType::from(wire_name(&kind).as_str())),
        )
        .set_core_dump_config(variant.core_dump_config.as_ref().map(|dump| {
            sdk::ProductionVariantCoreDumpConfig::builder()
                .destination_s3_uri(&dump.destination_s3_uri)
                .set_kms_key_id(dump.kms_key_id.clone())
                .build()
        }))
        .set_serverless_config(variant.serverless_config.as_ref().map(|serverless| {
            sdk::ProductionVariantServerlessConfig::builder()
                .memory_size_in_mb(serverless.memory_size_in_mb)
                .max_concurrency(serverless.max_concurrency)
                .set_provisioned_concurrency(serverless.provisioned_concurrency)
                .build()
        }))
        .set_volume_size_in_gb(variant.volume_size_in_gb)
        .set_model_data_download_timeout_in_seconds(variant.model_data_download_timeout_in_seconds)
        .set_container_startup_health_check_timeout_in_seconds(
            variant.container_startup_health_check_timeout_in_seconds,
        )
        .set_enable_ssm_access(variant.enable_ssm_access)
        .set_managed_instance_scaling(variant.managed_instance_scaling.as_ref().map(|scaling| {
            sdk::ProductionVariantManagedInstanceScaling::builder()
                .set_status(
                    scaling
                        .status
                        .as_deref()
                        .map(sdk::ManagedInstanceScalingStatus::from),
                )
                .set_min_instance_count(scaling.min_instance_count)
                .set_max_instance_count(scaling.max_instance_count)
                .build()
        }))
        .set_routing_config(variant.routing_config.as_ref().map(|routing| {
            sdk::ProductionVariantRoutingConfig::builder()
                .routing_strategy(sdk::RoutingStrategy::from(
                    routing.routing_strategy.as_str(),
                ))
                .build()
        }))
        .set_inference_ami_version(
            variant
                .inference_ami_version
                .as_deref()
                .map(sdk::ProductionVariantInferenceAmiVersion::from),
        )
        .set_variant_instance_provision_timeout_in_seconds(
            variant.variant_instance_provision_timeout_in_seconds,
        )
        .set_capacity_reservation_config(variant.capacity_reservation_config.as_ref().map(
            |reservation| {
                sdk::ProductionVariantCapacityReservationConfig::builder()
                    .set_capacity_reservation_preference(
                        reservation
                            .capacity_reservation_preference
                            .as_deref()
                            .map(sdk::CapacityReservationPreference::from),
                    )
                    .set_ml_reservation_arn(reservation.ml_reservation_arn.clone())
                    .build()
            },
        ))
        .build()
}

fn async_inference_config(config: &AsyncInferenceConfig) -> sdk::AsyncInferenceConfig {
    let output = &config.output_config;
    sdk::AsyncInferenceConfig::builder()
        .set_client_config(config.client_config.as_ref().map(|client| {
            sdk::AsyncInferenceClientConfig::builder()
                .set_max_concurrent_invocations_per_instance(
                    client.max_concurrent_invocations_per_instance,
                )
                .build()
        }))
        .output_config(
            sdk::AsyncInferenceOutputConfig::builder()
                .set_kms_key_id(output.kms_key_id.clone())
                .set_s3_output_path(output.s3_output_path.clone())
                .set_s3_failure_path(output.s3_failure_path.clone())
                .set_notification_config(output.notification_config.as_ref().map(|notification| {
                    sdk::AsyncInferenceNotificationConfig::builder()
                        .set_success_topic(notification.success_topic.clone())
                        .set_error_topic(notification.error_topic.clone())
                        .set_include_inference_response_in(
                            notification
                                .include_inference_response_in
                                .as_ref()
                                .map(|topics| {
                                    topics
                                        .iter()
                                        .map(|topic| {
                                            sdk::AsyncNotificationTopicTypes::from(topic.as_str())
                                        })
                                        .collect()
                                }),
                        )
                        .build()
                }))
                .build(),
        )
        .build()
}

fn clarify_explainer_config(config: &ClarifyExplainerConfig) -> sdk::ClarifyExplainerConfig {
    let shap = &config.shap_config;
    let baseline = &shap.shap_baseline_config;
    sdk::ClarifyExplainerConfig::builder()
        .set_enable_explanations(config.enable_explanations.clone())
        .set_inference_config(config.inference_config.as_ref().map(|inference| {
            sdk::ClarifyInferenceConfig::builder()
                .set_features_attribute(inference.features_attribute.clone())
                .set_content_template(inference.content_template.clone())
                .set_max_record_count(inference.max_record_count)
                .set_max_payload_in_mb(inference.max_payload_in_mb)
                .set_probability_index(inference.probability_index)
                .set_label_index(inference.label_index)
                .set_probability_attribute(inference.probability_attribute.clone())
                .set_label_attribute(inference.label_attribute.clone())
                .set_label_headers(inference.label_headers.clone())
                .set_feature_headers(inference.feature_headers.clone())
                .set_feature_types(inference.feature_types.as_ref().map(|types| {
                    types
                        .iter()
                        .map(|kind| sdk::ClarifyFeatureType::from(kind.as_str()))
                        .collect()
                }))
                .build()
        }))
        .shap_config(
            sdk::ClarifyShapConfig::builder()
                .shap_baseline_config(
                    sdk::ClarifyShapBaselineConfig::builder()
                        .set_mime_type(baseline.mime_type.clone())
                        .set_shap_baseline(baseline.shap_baseline.clone())
                        .set_shap_baseline_uri(baseline.shap_baseline_uri.clone())
                        .build(),
                )
                .set_number_of_samples(shap.number_of_samples)
                .set_use_logit(shap.use_logit)
                .set_seed(shap.seed)
                .set_text_config(shap.text_config.as_ref().map(|text| {
                    sdk::ClarifyTextConfig::builder()
                        .language(sdk::ClarifyTextLanguage::from(text.language.as_str()))
                        .granularity(sdk::ClarifyTextGranularity::from(text.granularity.as_str()))
                        .build()
                }))
                .build(),
        )
        .build()
}

fn explainer_config(config: &ExplainerConfig) -> sdk::ExplainerConfig {
    sdk::ExplainerConfig::builder()
        .set_clarify_explainer_config(
            config
                .clarify_explainer_config
                .as_ref()
                .map(clarify_explainer_config),
        )
        .build()
}

fn data_capture_config(capture: &DataCaptureConfig) -> sdk::DataCaptureConfig {
    sdk::DataCaptureConfig::builder()
        .set_enable_capture(capture.enable_capture)
        .initial_sampling_percentage(capture.initial_sampling_percentage)
        .destination_s3_uri(&capture.destination_s3_uri)
        .set_kms_key_id(capture.kms_key_id.clone())
        .set_capture_options(Some(
            capture
                .capture_options
                .iter()
                .map(|option| {
                    sdk::CaptureOption::builder()
                        .capture_mode(sdk::CaptureMode::from(
                            wire_name(&option.capture_mode).as_str(),
                        ))
                        .build()
                })
                .collect(),
        ))
        .set_capture_content_type_header(capture.capture_content_type_header.as_ref().map(
            |header| {
                sdk::CaptureContentTypeHeader::builder()
                    .set_csv_content_types(header.csv_content_types.clone())
                    .set_json_content_types(header.json_content_types.clone())
                    .build()
            },
        ))
        .build()
}

/// The containers a HostingDeployment model runs, in pipeline order. Each entry of the model's
/// `containers` is either defined in place or a hostname resolved from `spec.containers`; a
/// model without `containers` runs its `primaryContainer` from `spec.containers`. When the
/// model names containers by hostname (the guide's shape), its `primaryContainer` leads the
/// pipeline; when it defines every container in place (the original operator's shape), the list
/// order is the pipeline order, as the original sent it.
pub fn hosting_model_containers(
    spec: &HostingDeploymentSpec,
    index: usize,
) -> Result<Vec<&ContainerDefinition>, HostingSpecError> {
    let model = &spec.models[index];
    let defined = spec.containers.as_deref().unwrap_or_default();
    let lookup = |hostname: &str| {
        defined
            .iter()
            .find(|c| c.container_hostname.as_deref() == Some(hostname))
            .ok_or_else(|| HostingSpecError::UnknownContainer {
                index,
                model: model.name.clone(),
                hostname: hostname.to_string(),
            })
    };
    let listed = model.containers.as_deref().unwrap_or_default();
    if listed.len() > MAX_MODEL_CONTAINERS {
        return Err(HostingSpecError::TooManyContainers {
            index,
            model: model.name.clone(),
            count: listed.len(),
        });
    }
    let mut resolved: Vec<&ContainerDefinition> = match (listed, &model.primary_container) {
        ([], Some(primary)) => vec![lookup(primary)?],
        ([], None) => {
            return Err(HostingSpecError::NoContainer {
                index,
                model: model.name.clone(),
            });
        }
        (listed, _) => listed
            .iter()
            .enumerate()
            .map(|(position, container)| match container {
                ModelContainer::Hostname(hostname) => lookup(hostname),
                ModelContainer::Inline(inline) => Ok(inline.as_ref()),
                ModelContainer::Invalid { problem, .. } => {
                    Err(HostingSpecError::InvalidContainer {
                        index,
                        model: model.name.clone(),
                        position,
                        problem: problem.clone(),
                    })
                }
            })
            .collect::<Result<_, _>>()?,
    };
    for (position, container) in resolved.iter().enumerate() {
        if container.image.is_none()
            && container.model_package_name.is_none()
            && container.model_package_ref.is_none()
        {
            return Err(HostingSpecError::ContainerWithoutImage {
                index,
                model: model.name.clone(),
                position,
            });
        }
    }
    if let Some(primary) = &model.primary_container {
        let position = resolved
            .iter()
            .position(|c| c.container_hostname.as_ref() == Some(primary))
            .ok_or_else(|| HostingSpecError::UnknownContainer {
                index,
                model: model.name.clone(),
                hostname: primary.clone(),
            })?;
        // The guide's rule: the primary container leads a pipeline of referenced containers.
        if listed
            .iter()
            .any(|c| matches!(c, ModelContainer::Hostname(_)))
        {
            let primary = resolved.remove(position);
            resolved.insert(0, primary);
        }
    }
    Ok(resolved)
}

/// Checks every reference of a HostingDeployment spec (models → containers, variants → models).
pub fn validate_hosting_spec(spec: &HostingDeploymentSpec) -> Result<(), HostingSpecError> {
    for (index, model) in spec.models.iter().enumerate() {
        if spec.models[..index]
            .iter()
            .any(|earlier| earlier.name == model.name)
        {
            return Err(HostingSpecError::DuplicateModel(model.name.clone()));
        }
        hosting_model_containers(spec, index)?;
    }
    for (index, variant) in spec.production_variants.iter().enumerate() {
        let model = variant
            .model_name
            .as_ref()
            .ok_or_else(|| HostingSpecError::MissingModel {
                index,
                variant: variant.variant_name.clone(),
            })?;
        if !spec.models.iter().any(|m| &m.name == model) {
            return Err(HostingSpecError::UnknownModel {
                index,
                variant: variant.variant_name.clone(),
                model: model.clone(),
            });
        }
    }
    Ok(())
}

/// CreateModel for one model of a HostingDeployment: one container → `PrimaryContainer`,
/// several → `Containers` (an inference pipeline). `packages`: the ARN of each ModelPackage
/// object a container's `modelPackageRef` names (by object name).
pub fn hosting_model_request(
    spec: &HostingDeploymentSpec,
    index: usize,
    sagemaker_name: &str,
    owner_uid: &str,
    packages: &BTreeMap<String, String>,
) -> Result<CreateModelInputBuilder, HostingSpecError> {
    let model = &spec.models[index];
    let containers = hosting_model_containers(spec, index)?;
    let request = aws_sdk_sagemaker::operation::create_model::CreateModelInput::builder()
        .model_name(sagemaker_name)
        .set_execution_role_arn(model.execution_role_arn.clone())
        .set_enable_network_isolation(model.enable_network_isolation)
        .set_vpc_config(model.vpc_config.as_ref().map(vpc_config))
        .set_tags(Some(tags_with_owner(
            spec.tags.as_deref().unwrap_or_default(),
            owner_uid,
        )));
    Ok(match containers.as_slice() {
        [single] => request.primary_container(container_definition(single, packages)),
        several => request.set_containers(Some(
            several
                .iter()
                .map(|c| container_definition(c, packages))
                .collect(),
        )),
    })
}

/// CreateEndpointConfig for a HostingDeployment; `model_names` maps the spec's model names to
/// SageMaker model names.
pub fn hosting_endpoint_config_request(
    spec: &HostingDeploymentSpec,
    config_name: &str,
    model_names: &BTreeMap<String, String>,
    owner_uid: &str,
) -> CreateEndpointConfigInputBuilder {
    aws_sdk_sagemaker::operation::create_endpoint_config::CreateEndpointConfigInput::builder()
        .endpoint_config_name(config_name)
        .set_production_variants(Some(
            spec.production_variants
                .iter()
                .map(|variant| {
                    production_variant(
                        variant,
                        variant
                            .model_name
                            .as_ref()
                            .and_then(|name| model_names.get(name))
                            .map(String::as_str),
                    )
                })
                .collect(),
        ))
        .set_kms_key_id(spec.kms_key_id.clone())
        .set_tags(Some(tags_with_owner(
            spec.tags.as_deref().unwrap_or_default(),
            owner_uid,
        )))
}

/// CreateModel for a Model object; `packages` gives the ARN of each ModelPackage object a
/// container's `modelPackageRef` names (by object name).
pub fn model_request(
    spec: &ModelSpec,
    sagemaker_name: &str,
    owner_uid: &str,
    packages: &BTreeMap<String, String>,
) -> CreateModelInputBuilder {
    let container = |container| container_definition(container, packages);
    aws_sdk_sagemaker::operation::create_model::CreateModelInput::builder()
        .model_name(sagemaker_name)
        .set_primary_container(spec.primary_container.as_ref().map(container))
        .set_containers(
            spec.containers
                .as_ref()
                .map(|containers| containers.iter().map(container).collect()),
        )
        .set_inference_execution_config(spec.inference_execution_config.as_ref().map(|config| {
            sdk::InferenceExecutionConfig::builder()
                .mode(sdk::InferenceExecutionMode::from(
                    wire_name(&config.mode).as_str(),
                ))
                .build()
        }))
        .set_execution_role_arn(spec.execution_role_arn.clone())
        .set_vpc_config(spec.vpc_config.as_ref().map(vpc_config))
        .set_enable_network_isolation(spec.enable_network_isolation)
        .set_tags(Some(tags_with_owner(
            spec.tags.as_deref().unwrap_or_default(),
            owner_uid,
        )))
}

/// The CreateEndpointConfig request of an EndpointConfig spec. `models` gives the SageMaker name
/// of each Model object a variant's `modelRef` names (by object name).
pub fn endpoint_config_request(
    spec: &EndpointConfigSpec,
    sagemaker_name: &str,
    owner_uid: &str,
    models: &BTreeMap<String, String>,
) -> Result<CreateEndpointConfigInputBuilder, HostingSpecError> {
    let variants = |list: &str, variants: &[EndpointConfigProductionVariant]| {
        variants
            .iter()
            .enumerate()
            .map(|(index, variant)| {
                let model = match &variant.model_ref {
                    Some(model_ref) => Some(models.get(&model_ref.name).ok_or_else(|| {
                        HostingSpecError::UnresolvedModelRef {
                            field: format!("spec.{list}[{index}].modelRef"),
                            model: model_ref.name.clone(),
                        }
                    })?),
                    None => variant.variant.model_name.as_ref(),
                };
                Ok(production_variant(
                    &variant.variant,
                    model.map(String::as_str),
                ))
            })
            .collect::<Result<Vec<_>, HostingSpecError>>()
    };
    let production = variants("productionVariants", &spec.production_variants)?;
    let shadow = spec
        .shadow_production_variants
        .as_deref()
        .map(|shadow| variants("shadowProductionVariants", shadow))
        .transpose()?;
    Ok(
        aws_sdk_sagemaker::operation::create_endpoint_config::CreateEndpointConfigInput::builder()
            .endpoint_config_name(sagemaker_name)
            .set_production_variants(Some(production))
            .set_shadow_production_variants(shadow)
            .set_data_capture_config(spec.data_capture_config.as_ref().map(data_capture_config))
            .set_kms_key_id(spec.kms_key_id.clone())
            .set_metrics_config(spec.metrics_config.as_ref().map(|metrics| {
                sdk::MetricsConfig::builder()
                    .set_enable_enhanced_metrics(metrics.enable_enhanced_metrics)
                    .set_enable_detailed_observability(metrics.enable_detailed_observability)
                    .set_metric_publish_frequency_in_seconds(
                        metrics.metric_publish_frequency_in_seconds,
                    )
                    .build()
            }))
            .set_execution_role_arn(spec.execution_role_arn.clone())
            .set_vpc_config(spec.vpc_config.as_ref().map(vpc_config))
            .set_enable_network_isolation(spec.enable_network_isolation)
            .set_async_inference_config(
                spec.async_inference_config
                    .as_ref()
                    .map(async_inference_config),
            )
            .set_explainer_config(spec.explainer_config.as_ref().map(explainer_config))
            .set_tags(Some(tags_with_owner(
                spec.tags.as_deref().unwrap_or_default(),
                owner_uid,
            ))),
    )
}

// ---- responses ------------------------------------------------------------------------------

/// A model or endpoint configuration as far as the operator cares: it exists, with this ARN.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceDescription {
    pub name: String,
    pub arn: String,
    /// For an endpoint configuration: the SageMaker models its variants (and shadow variants)
    /// serve.
    pub model_names: Vec<String>,
}

/// What the operator needs from DescribeEndpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointDescription {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub config_name: String,
    pub failure_reason: Option<String>,
    pub creation_time: Option<jiff::Timestamp>,
    pub last_modified_time: Option<jiff::Timestamp>,
    pub variants: Vec<VariantDescription>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantDescription {
    pub name: String,
    pub deployed_images: Vec<DeployedImage>,
    pub current_weight: Option<f64>,
    pub desired_weight: Option<f64>,
    pub current_instance_count: Option<i64>,
    pub desired_instance_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployedImage {
    pub specified_image: Option<String>,
    pub resolved_image: Option<String>,
    pub resolution_time: Option<jiff::Timestamp>,
}

/// A variant's weight and instance count for UpdateEndpointWeightsAndCapacities.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantCapacity {
    pub variant_name: String,
    pub weight: f64,
    /// `None` for serverless variants, which have no instances.
    pub instance_count: Option<i32>,
}

/// Weights as SageMaker stores them (single precision), so values read back compare equal to
/// values sent.
pub fn sagemaker_weight(weight: f64) -> f64 {
    f64::from(weight as f32)
}

fn ok_or_classify<T, E>(
    result: Result<
        T,
        aws_sdk_sagemaker::error::SdkError<E, aws_sdk_sagemaker::config::http::HttpResponse>,
    >,
) -> Result<T, SageMakerError>
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    result.map_err(classify)
}

/// Calls on models, endpoint configurations and endpoints.
impl SageMakerHandle {
    pub async fn create_model(
        &self,
        request: CreateModelInputBuilder,
    ) -> Result<String, SageMakerError> {
        self.throttle("CreateModel").await;
        let output = ok_or_classify(request.send_with(&self.client).await)?;
        Ok(output.model_arn().unwrap_or_default().to_string())
    }

    pub async fn describe_model(&self, name: &str) -> Result<ResourceDescription, SageMakerError> {
        self.throttle("DescribeModel").await;
        let output = ok_or_classify(self.client.describe_model().model_name(name).send().await)?;
        Ok(ResourceDescription {
            name: output.model_name().unwrap_or(name).to_string(),
            arn: output.model_arn().unwrap_or_default().to_string(),
            model_names: Vec::new(),
        })
    }

    pub async fn delete_model(&self, name: &str) -> Result<(), SageMakerError> {
        self.throttle("DeleteModel").await;
        ok_or_classify(self.client.delete_model().model_name(name).send().await)?;
        Ok(())
    }

    pub async fn create_endpoint_config(
        &self,
        request: CreateEndpointConfigInputBuilder,
    ) -> Result<String, SageMakerError> {
        self.throttle("CreateEndpointConfig").await;
        let output = ok_or_classify(request.send_with(&self.client).await)?;
        Ok(output.endpoint_config_arn().unwrap_or_default().to_string())
    }

    pub async fn describe_endpoint_config(
        &self,
        name: &str,
    ) -> Result<ResourceDescription, SageMakerError> {
        self.throttle("DescribeEndpointConfig").await;
        let output = ok_or_classify(
            self.client
                .describe_endpoint_config()
                .endpoint_config_name(name)
                .send()
                .await,
        )?;
        Ok(ResourceDescription {
            name: output.endpoint_config_name().unwrap_or(name).to_string(),
            arn: output.endpoint_config_arn().unwrap_or_default().to_string(),
            model_names: output
                .production_variants()
                .iter()
                .chain(output.shadow_production_variants())
                .filter_map(|variant| variant.model_name().map(str::to_string))
                .collect(),
        })
    }

    pub async fn delete_endpoint_config(&self, name: &str) -> Result<(), SageMakerError> {
        self.throttle("DeleteEndpointConfig").await;
        ok_or_classify(
            self.client
                .delete_endpoint_config()
                .endpoint_config_name(name)
                .send()
                .await,
        )?;
        Ok(())
    }

    /// CreateEndpoint, tagged with the spec's tags and the owner UID.
    pub async fn create_endpoint(
        &self,
        name: &str,
        config_name: &str,
        tags: &[Tag],
        owner_uid: &str,
    ) -> Result<String, SageMakerError> {
        self.throttle("CreateEndpoint").await;
        let output = ok_or_classify(
            self.client
                .create_endpoint()
                .endpoint_name(name)
                .endpoint_config_name(config_name)
                .set_tags(Some(tags_with_owner(tags, owner_uid)))
                .send()
                .await,
        )?;
        Ok(output.endpoint_arn().unwrap_or_default().to_string())
    }

    /// The status of an inference component (`InService`, `Creating`, …): all a scaling policy
    /// needs to know of it.
    pub async fn inference_component_status(&self, name: &str) -> Result<String, SageMakerError> {
        self.throttle("DescribeInferenceComponent").await;
        let output = ok_or_classify(
            self.client
                .describe_inference_component()
                .inference_component_name(name)
                .send()
                .await,
        )?;
        Ok(output
            .inference_component_status()
            .map(|status| status.as_str().to_string())
            .unwrap_or_default())
    }

    pub async fn describe_endpoint(
        &self,
        name: &str,
    ) -> Result<EndpointDescription, SageMakerError> {
        self.throttle("DescribeEndpoint").await;
        let output = ok_or_classify(
            self.client
                .describe_endpoint()
                .endpoint_name(name)
                .send()
                .await,
        )?;
        Ok(EndpointDescription {
            name: output.endpoint_name().unwrap_or(name).to_string(),
            arn: output.endpoint_arn().unwrap_or_default().to_string(),
            status: output
                .endpoint_status()
                .map(|status| status.as_str().to_string())
                .unwrap_or_default(),
            config_name: output
                .endpoint_config_name()
                .unwrap_or_default()
                .to_string(),
            failure_reason: output
                .failure_reason()
                .filter(|reason| !reason.is_empty())
                .map(str::to_string),
            creation_time: timestamp(output.creation_time()),
            last_modified_time: timestamp(output.last_modified_time()),
            variants: output
                .production_variants()
                .iter()
                .map(|variant| VariantDescription {
                    name: variant.variant_name().unwrap_or_default().to_string(),
                    deployed_images: variant
                        .deployed_images()
                        .iter()
                        .map(|image| DeployedImage {
                            specified_image: image.specified_image().map(str::to_string),
                            resolved_image: image.resolved_image().map(str::to_string),
                            resolution_time: timestamp(image.resolution_time()),
                        })
                        .collect(),
                    current_weight: variant.current_weight().map(f64::from),
                    desired_weight: variant.desired_weight().map(f64::from),
                    current_instance_count: variant.current_instance_count().map(i64::from),
                    desired_instance_count: variant.desired_instance_count().map(i64::from),
                })
                .collect(),
        })
    }

    pub async fn update_endpoint(
        &self,
        name: &str,
        config_name: &str,
        retain_all_variant_properties: Option<bool>,
        exclude_retained: &[VariantPropertyType],
    ) -> Result<(), SageMakerError> {
        self.throttle("UpdateEndpoint").await;
        let excluded: Vec<sdk::VariantProperty> = exclude_retained
            .iter()
            .map(|property| {
                sdk::VariantProperty::builder()
                    .variant_property_type(sdk::VariantPropertyType::from(
                        wire_name(property).as_str(),
                    ))
                    .build()
            })
            .collect();
        ok_or_classify(
            self.client
                .update_endpoint()
                .endpoint_name(name)
                .endpoint_config_name(config_name)
                .set_retain_all_variant_properties(retain_all_variant_properties)
                .set_exclude_retained_variant_properties((!excluded.is_empty()).then_some(excluded))
                .send()
                .await,
        )?;
        Ok(())
    }

    pub async fn update_endpoint_weights_and_capacities(
        &self,
        name: &str,
        capacities: &[VariantCapacity],
    ) -> Result<(), SageMakerError> {
        self.throttle("UpdateEndpointWeightsAndCapacities").await;
        let desired: Vec<sdk::DesiredWeightAndCapacity> = capacities
            .iter()
            .map(|capacity| {
                sdk::DesiredWeightAndCapacity::builder()
                    .variant_name(&capacity.variant_name)
                    .desired_weight(capacity.weight as f32)
                    .set_desired_instance_count(capacity.instance_count)
                    .build()
            })
            .collect();
        ok_or_classify(
            self.client
                .update_endpoint_weights_and_capacities()
                .endpoint_name(name)
                .set_desired_weights_and_capacities(Some(desired))
                .send()
                .await,
        )?;
        Ok(())
    }

    pub async fn delete_endpoint(&self, name: &str) -> Result<(), SageMakerError> {
        self.throttle("DeleteEndpoint").await;
        ok_or_classify(
            self.client
                .delete_endpoint()
                .endpoint_name(name)
                .send()
                .await,
        )?;
        Ok(())
    }

    crate::listing::modified_after_listing!(
        /// Names and last-modified times of endpoints modified after `after` (all pages).
        endpoints_modified_after, "ListEndpoints", list_endpoints, endpoints, endpoint_name
    );

    /// Names of the models whose name contains `fragment` (all pages).
    pub async fn model_names_containing(
        &self,
        fragment: &str,
    ) -> Result<Vec<String>, SageMakerError> {
        let pages = self
            .client
            .list_models()
            .name_contains(fragment)
            .max_results(100)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        crate::listing::read_pages!(self, "ListModels", pages, |page| {
            names.extend(
                page.models()
                    .iter()
                    .filter_map(|item| item.model_name().map(str::to_string)),
            );
            page.next_token().is_some()
        })?;
        Ok(names)
    }

    /// Names of the endpoint configurations whose name contains `fragment` (all pages).
    pub async fn endpoint_config_names_containing(
        &self,
        fragment: &str,
    ) -> Result<Vec<String>, SageMakerError> {
        let pages = self
            .client
            .list_endpoint_configs()
            .name_contains(fragment)
            .max_results(100)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        crate::listing::read_pages!(self, "ListEndpointConfigs", pages, |page| {
            names.extend(
                page.endpoint_configs()
                    .iter()
                    .filter_map(|item| item.endpoint_config_name().map(str::to_string)),
            );
            page.next_token().is_some()
        })?;
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container's `modelPackageRef` is sent as the ARN its ModelPackage object resolved to;
    /// a `modelPackageName` as written.
    #[test]
    fn a_model_package_reference_is_sent_as_its_arn() {
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "executionRoleArn": "arn:aws:iam::123456789012:role/r",
            "containers": [
                {"modelPackageRef": {"name": "churn-v3"}},
                {"modelPackageName": "arn:aws:sagemaker:us-west-2:123456789012:model-package/other/1"},
            ],
        }))
        .expect("a spec");
        let arn = "arn:aws:sagemaker:us-west-2:123456789012:model-package/churn/3";
        let packages = BTreeMap::from([("churn-v3".to_string(), arn.to_string())]);
        let request = model_request(&spec, "m", "uid", &packages)
            .build()
            .expect("a request");
        let sent: Vec<Option<&str>> = request
            .containers()
            .iter()
            .map(|container| container.model_package_name())
            .collect();
        assert_eq!(
            sent,
            [
                Some(arn),
                Some("arn:aws:sagemaker:us-west-2:123456789012:model-package/other/1")
            ]
        );
    }

    fn spec(yaml_models: serde_json::Value) -> HostingDeploymentSpec {
        serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "productionVariants": [
                {"variantName": "a", "modelName": "single", "initialInstanceCount": 1, "instanceType": "ml.c5.large", "initialVariantWeight": 0.3},
                {"variantName": "b", "modelName": "pipeline", "initialInstanceCount": 2, "instanceType": "ml.c5.large"}
            ],
            "models": yaml_models,
            "containers": [
                {"containerHostname": "pre", "image": "pre:1"},
                {"containerHostname": "xgboost", "image": "xgb:1", "modelDataUrl": "s3://b/m.tar.gz", "environment": [{"name": "K", "value": "V"}]}
            ],
            "tags": [{"key": "team", "value": "ml"}]
        }))
        .expect("spec parses")
    }

    fn two_models() -> serde_json::Value {
        serde_json::json!([
            {"name": "single", "executionRoleArn": "arn:aws:iam::123456789012:role/r", "primaryContainer": "xgboost", "containers": ["xgboost"]},
            {"name": "pipeline", "executionRoleArn": "arn:aws:iam::123456789012:role/r", "primaryContainer": "xgboost", "containers": ["pre", "xgboost"]}
        ])
    }

    #[test]
    fn one_container_is_primary_several_are_a_pipeline_led_by_the_primary() {
        let spec = spec(two_models());
        validate_hosting_spec(&spec).unwrap();
        let single = hosting_model_request(&spec, 0, "single-1-uid", "uid", &BTreeMap::new())
            .unwrap()
            .build()
            .unwrap();
        let primary = single.primary_container().unwrap();
        assert_eq!(primary.image(), Some("xgb:1"));
        assert_eq!(primary.environment().unwrap()["K"], "V");
        assert!(single.containers().is_empty());
        assert_eq!(single.tags().len(), 2);
        let pipeline = hosting_model_request(&spec, 1, "pipeline-1-uid", "uid", &BTreeMap::new())
            .unwrap()
            .build()
            .unwrap();
        assert!(pipeline.primary_container().is_none());
        let hostnames: Vec<_> = pipeline
            .containers()
            .iter()
            .map(|c| c.container_hostname().unwrap())
            .collect();
        assert_eq!(hostnames, ["xgboost", "pre"]);
    }

    #[test]
    fn endpoint_config_maps_variants_to_sagemaker_model_names() {
        let spec = spec(two_models());
        let names = BTreeMap::from([
            ("single".to_string(), "single-1-uid".to_string()),
            ("pipeline".to_string(), "pipeline-1-uid".to_string()),
        ]);
        let request = hosting_endpoint_config_request(&spec, "cfg", &names, "uid")
            .build()
            .unwrap();
        let variants = request.production_variants();
        assert_eq!(variants[0].model_name(), Some("single-1-uid"));
        assert_eq!(variants[0].initial_variant_weight(), Some(0.3));
        assert_eq!(variants[1].model_name(), Some("pipeline-1-uid"));
        assert_eq!(variants[1].initial_instance_count(), Some(2));
        assert_eq!(variants[1].instance_type().unwrap().as_str(), "ml.c5.large");
    }

    #[test]
    fn an_endpoint_config_model_ref_is_sent_as_the_models_sagemaker_name() {
        let spec: EndpointConfigSpec = serde_json::from_value(serde_json::json!({
            "region": "us-west-2",
            "productionVariants": [
                {"variantName": "by-ref", "modelRef": {"name": "xgb"}},
                {"variantName": "by-name", "modelName": "direct"},
                {"variantName": "inference-components"},
            ],
            "shadowProductionVariants": [{"variantName": "shadow", "modelRef": {"name": "xgb"}}],
        }))
        .unwrap();
        let models = BTreeMap::from([("xgb".to_string(), "xgb-in-sagemaker".to_string())]);
        let request = endpoint_config_request(&spec, "cfg", "uid", &models)
            .unwrap()
            .build()
            .unwrap();
        let names: Vec<_> = request
            .production_variants()
            .iter()
            .map(|variant| variant.model_name())
            .collect();
        assert_eq!(names, [Some("xgb-in-sagemaker"), Some("direct"), None]);
        assert_eq!(
            request.shadow_production_variants()[0].model_name(),
            Some("xgb-in-sagemaker")
        );
        // Not resolved (the engine resolves before it creates): refused, never sent without it.
        let error = endpoint_config_request(&spec, "cfg", "uid", &BTreeMap::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "spec.productionVariants[0].modelRef: Model \"xgb\" has no SageMaker name yet"
        );
    }

    /// The original operator's released shape: containers defined in place in the model.
    fn inline_models() -> serde_json::Value {
        serde_json::json!([
            {"name": "single", "executionRoleArn": "arn:aws:iam::123456789012:role/r", "primaryContainer": "xgboost", "containers": [
                {"containerHostname": "xgboost", "image": "xgb:1", "modelDataUrl": "s3://b/m.tar.gz", "environment": [{"name": "K", "value": "V"}]}
            ]},
            {"name": "pipeline", "executionRoleArn": "arn:aws:iam::123456789012:role/r", "containers": [
                {"containerHostname": "xgboost", "image": "xgb:1", "modelDataUrl": "s3://b/m.tar.gz", "environment": [{"name": "K", "value": "V"}]},
                {"containerHostname": "pre", "image": "pre:1"}
            ]}
        ])
    }

    #[test]
    fn inline_containers_make_the_same_create_model_requests_as_hostnames() {
        let by_hostname = spec(two_models());
        let mut inline = spec(inline_models());
        inline.containers = None;
        validate_hosting_spec(&inline).unwrap();
        for index in 0..2 {
            let expected =
                hosting_model_request(&by_hostname, index, "m-1-uid", "uid", &BTreeMap::new())
                    .unwrap()
                    .build()
                    .unwrap();
            let actual = hosting_model_request(&inline, index, "m-1-uid", "uid", &BTreeMap::new())
                .unwrap()
                .build()
                .unwrap();
            assert_eq!(actual, expected, "model {index}");
        }
    }

    #[test]
    fn inline_container_definition_reaches_the_request_whole() {
        let spec = spec(serde_json::json!([{"name": "single", "containers": [{
            "containerHostname": "mme",
            "image": "xgb:1",
            "mode": "MultiModel",
            "modelDataUrl": "s3://b/models/",
            "imageConfig": {"repositoryAccessMode": "Vpc", "repositoryAuthConfig": {"repositoryCredentialsProviderArn": "arn:aws:lambda:us-west-2:123456789012:function:creds"}},
            "multiModelConfig": {"modelCacheSetting": "Disabled"},
            "environment": [{"name": "A", "value": "1"}]
        }]}, {"name": "pipeline", "containers": [{"modelPackageName": "arn:aws:sagemaker:us-west-2:123456789012:model-package/p/1", "inferenceSpecificationName": "spec-a"}]}]));
        let request = hosting_model_request(&spec, 0, "single-1-uid", "uid", &BTreeMap::new())
            .unwrap()
            .build()
            .unwrap();
        let container = request.primary_container().unwrap();
        assert_eq!(container.container_hostname(), Some("mme"));
        assert_eq!(container.mode().map(|m| m.as_str()), Some("MultiModel"));
        assert_eq!(container.model_data_url(), Some("s3://b/models/"));
        let image_config = container.image_config().unwrap();
        assert_eq!(
            image_config.repository_access_mode().map(|m| m.as_str()),
            Some("Vpc")
        );
        assert_eq!(
            image_config
                .repository_auth_config()
                .unwrap()
                .repository_credentials_provider_arn(),
            Some("arn:aws:lambda:us-west-2:123456789012:function:creds")
        );
        assert_eq!(
            container
                .multi_model_config()
                .unwrap()
                .model_cache_setting()
                .map(|s| s.as_str()),
            Some("Disabled")
        );
        assert_eq!(container.environment().unwrap()["A"], "1");
        let package = hosting_model_request(&spec, 1, "pipeline-1-uid", "uid", &BTreeMap::new())
            .unwrap()
            .build()
            .unwrap();
        let container = package.primary_container().unwrap();
        assert_eq!(
            container.model_package_name(),
            Some("arn:aws:sagemaker:us-west-2:123456789012:model-package/p/1")
        );
        assert_eq!(container.inference_specification_name(), Some("spec-a"));
        assert_eq!(container.image(), None);
    }

    #[test]
    fn shapes_may_be_mixed_and_inline_pipelines_keep_their_order() {
        let spec = spec(serde_json::json!([
            {"name": "single", "containers": ["xgboost"]},
            {"name": "pipeline", "primaryContainer": "post", "containers": [{"containerHostname": "first", "image": "a:1"}, {"containerHostname": "post", "image": "b:1"}]},
        ]));
        validate_hosting_spec(&spec).unwrap();
        let pipeline = hosting_model_request(&spec, 1, "p", "uid", &BTreeMap::new())
            .unwrap()
            .build()
            .unwrap();
        let hostnames: Vec<_> = pipeline
            .containers()
            .iter()
            .map(|c| c.container_hostname().unwrap())
            .collect();
        assert_eq!(hostnames, ["first", "post"]);
        let mixed = self::spec(serde_json::json!([
            {"name": "single", "containers": ["xgboost"]},
            {"name": "pipeline", "primaryContainer": "xgboost", "containers": [{"containerHostname": "pre2", "image": "p:2"}, "xgboost"]},
        ]));
        let pipeline = hosting_model_request(&mixed, 1, "p", "uid", &BTreeMap::new())
            .unwrap()
            .build()
            .unwrap();
        let hostnames: Vec<_> = pipeline
            .containers()
            .iter()
            .map(|c| c.container_hostname().unwrap())
            .collect();
        assert_eq!(hostnames, ["xgboost", "pre2"]);
    }

    #[test]
    fn inline_containers_sagemaker_would_refuse_are_rejected_naming_the_field() {
        let spec = spec(serde_json::json!([
            {"name": "single", "containers": [{"containerHostname": "a", "modelDataUrl": "s3://b/m.tar.gz"}]},
            {"name": "pipeline", "containers": ["pre"]},
        ]));
        assert_eq!(
            validate_hosting_spec(&spec).unwrap_err().to_string(),
            "spec.models[0] (single): containers[0] needs image, modelPackageName or modelPackageRef"
        );
        let sixteen: Vec<_> = (0..16)
            .map(|i| serde_json::json!({"containerHostname": format!("c{i}"), "image": "a:1"}))
            .collect();
        let spec = self::spec(
            serde_json::json!([{"name": "single", "containers": sixteen}, {"name": "pipeline", "containers": ["pre"]}]),
        );
        assert_eq!(
            validate_hosting_spec(&spec).unwrap_err().to_string(),
            "spec.models[0] (single): 16 containers; SageMaker allows at most 15"
        );
        let spec = self::spec(
            serde_json::json!([{"name": "single", "primaryContainer": "zzz", "containers": [{"containerHostname": "a", "image": "a:1"}]}, {"name": "pipeline", "containers": ["pre"]}]),
        );
        assert_eq!(
            validate_hosting_spec(&spec).unwrap_err().to_string(),
            "spec.models[0] (single): container \"zzz\" is neither defined in place in the model's containers nor in spec.containers (by containerHostname)"
        );
    }

    #[test]
    fn entries_that_are_neither_shape_are_reported_naming_the_entry() {
        let spec = spec(serde_json::json!([
            {"name": "single", "containers": ["xgboost", {"containerHostname": "a", "image": "a:1", "imagee": "typo"}]},
            {"name": "pipeline", "containers": [5]},
        ]));
        assert_eq!(
            validate_hosting_spec(&spec).unwrap_err().to_string(),
            format!(
                "spec.models[0] (single): containers[1]: unknown field(s) imagee (an inline container has {})",
                sagemaker_k8s_api::hosting_deployment::INLINE_CONTAINER_FIELDS.join(", ")
            )
        );
        let mut spec = spec;
        spec.models[0].containers = Some(vec![ModelContainer::Hostname("xgboost".into())]);
        assert!(
            validate_hosting_spec(&spec)
                .unwrap_err()
                .to_string()
                .starts_with(
                    "spec.models[1] (pipeline): containers[0]: must be a containerHostname"
                )
        );
        // The entry is kept as written, so the object reads back unchanged.
        assert_eq!(
            serde_json::to_value(&spec.models[1].containers).unwrap(),
            serde_json::json!([5])
        );
    }

    #[test]
    fn broken_references_name_the_field() {
        let spec = spec(
            serde_json::json!([{"name": "single", "primaryContainer": "missing"}, {"name": "pipeline", "containers": ["pre"]}]),
        );
        let error = validate_hosting_spec(&spec).unwrap_err();
        assert_eq!(
            error.to_string(),
            "spec.models[0] (single): container \"missing\" is neither defined in place in the model's containers nor in spec.containers (by containerHostname)"
        );
        let spec = {
            let mut spec = self::spec(two_models());
            spec.production_variants[1].model_name = Some("nope".into());
            spec
        };
        assert!(
            validate_hosting_spec(&spec)
                .unwrap_err()
                .to_string()
                .starts_with("spec.productionVariants[1] (b): modelName \"nope\"")
        );
    }
}
