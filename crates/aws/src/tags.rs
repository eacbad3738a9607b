//! Tags on any SageMaker resource (AddTags, DeleteTags, ListTags): the ownership tag the
//! operator puts on what it creates, and the user's tags kept in line with the spec.

use aws_sdk_sagemaker::types as sdk;

use crate::OWNER_UID_TAG;
use crate::clients::SageMakerHandle;
use crate::errors::{SageMakerError, classify};

impl SageMakerHandle {
    /// Puts the ownership tag on a resource this operator took over from the original operator
    /// (which tagged nothing), so every later ownership check passes by the tag alone.
    pub async fn add_owner_tag(&self, arn: &str, owner_uid: &str) -> Result<(), SageMakerError> {
        self.add_tags(arn, &[(OWNER_UID_TAG.into(), owner_uid.into())])
            .await
    }

    /// Removes the ownership tag from a resource the operator lets go of but keeps (deletion
    /// policy `retain`): nothing proves it an object's any more. Other tags stay.
    pub async fn remove_owner_tag(&self, arn: &str) -> Result<(), SageMakerError> {
        self.delete_tags(arn, &[OWNER_UID_TAG.into()]).await
    }

    /// The value of the ownership tag on a resource, if any.
    pub async fn owner_uid_of(&self, arn: &str) -> Result<Option<String>, SageMakerError> {
        let pages = self
            .client
            .list_tags()
            .resource_arn(arn)
            .into_paginator()
            .send();
        let mut owner = None;
        crate::listing::read_pages!(self, "ListTags", pages, |page| {
            owner = page
                .tags()
                .iter()
                .find(|tag| tag.key() == Some(OWNER_UID_TAG))
                .map(|tag| tag.value().map(str::to_string));
            // Found (with or without a value): no need to read further pages.
            owner.is_none() && page.next_token().is_some()
        })?;
        Ok(owner.flatten())
    }

    /// Every tag on a resource, as (key, value) pairs (all pages).
    pub async fn tags_of(&self, arn: &str) -> Result<Vec<(String, String)>, SageMakerError> {
        let pages = self
            .client
            .list_tags()
            .resource_arn(arn)
            .into_paginator()
            .send();
        let mut tags = Vec::new();
        crate::listing::read_pages!(self, "ListTags", pages, |page| {
            tags.extend(page.tags().iter().map(|tag| {
                (
                    tag.key().unwrap_or_default().to_string(),
                    tag.value().unwrap_or_default().to_string(),
                )
            }));
            true
        })?;
        Ok(tags)
    }

    /// Adds or overwrites the tags `tags` on a resource.
    pub async fn add_tags(
        &self,
        arn: &str,
        tags: &[(String, String)],
    ) -> Result<(), SageMakerError> {
        self.throttle("AddTags").await;
        let tags = tags
            .iter()
            .map(|(key, value)| sdk::Tag::builder().key(key).value(value).build())
            .collect();
        self.client
            .add_tags()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Removes the tags with these keys from a resource.
    pub async fn delete_tags(&self, arn: &str, keys: &[String]) -> Result<(), SageMakerError> {
        self.throttle("DeleteTags").await;
        self.client
            .delete_tags()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
