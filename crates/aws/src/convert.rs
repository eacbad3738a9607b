//! Spec -> SDK and SDK -> plain-value conversions every kind uses (tags, key-value maps, VPC,
//! experiment, timestamps).

use aws_sdk_sagemaker::types as sdk;
use sagemaker_k8s_api::common::{ExperimentConfig, KeyValuePair, Tag, VpcConfig};

use crate::OWNER_UID_TAG;

pub(crate) fn key_value_map(
    pairs: &Option<Vec<KeyValuePair>>,
) -> Option<std::collections::HashMap<String, String>> {
    pairs.as_ref().map(|pairs| {
        pairs
            .iter()
            .map(|pair| (pair.name.clone(), pair.value.clone()))
            .collect()
    })
}

/// The spec's tags plus the ownership tag (which replaces a user tag of the same key).
pub fn tags_with_owner(tags: &[Tag], owner_uid: &str) -> Vec<sdk::Tag> {
    tags.iter()
        .filter(|tag| tag.key != OWNER_UID_TAG)
        .map(|tag| (tag.key.as_str(), tag.value.as_str()))
        .chain(std::iter::once((OWNER_UID_TAG, owner_uid)))
        .map(|(key, value)| sdk::Tag::builder().key(key).value(value).build())
        .collect()
}

pub(crate) fn vpc_config(vpc: &VpcConfig) -> sdk::VpcConfig {
    sdk::VpcConfig::builder()
        .set_security_group_ids(Some(vpc.security_group_ids.clone()))
        .set_subnets(Some(vpc.subnets.clone()))
        .build()
}

pub(crate) fn experiment_config(experiment: &ExperimentConfig) -> sdk::ExperimentConfig {
    sdk::ExperimentConfig::builder()
        .set_experiment_name(experiment.experiment_name.clone())
        .set_trial_name(experiment.trial_name.clone())
        .set_trial_component_display_name(experiment.trial_component_display_name.clone())
        .set_run_name(experiment.run_name.clone())
        .build()
}

/// An SDK timestamp as a `jiff` one (`None` when absent or out of range).
pub(crate) fn timestamp(value: Option<&aws_smithy_types::DateTime>) -> Option<jiff::Timestamp> {
    value.and_then(|time| jiff::Timestamp::new(time.secs(), time.subsec_nanos() as i32).ok())
}
