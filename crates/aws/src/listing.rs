//! Paginated List calls: read through the SDK's paginators, every page waiting its turn under
//! the region's rate limit, and the "modified after" listings the status poller reads.

use crate::convert::timestamp;

/// Reads a List call's pages from its SDK paginator (`$pages`, the paginator's stream), each
/// page after its turn under the region's rate limit of `$operation`, while `$body` (which sees
/// each page as `$page`) is true: false = enough, or no further page. Evaluates to
/// `Result<(), SageMakerError>`. A macro because the paginators' stream type is not nameable
/// from here and an async closure over it would not be `Send`.
macro_rules! read_pages {
    ($handle:expr, $operation:expr, $pages:expr, |$page:ident| $body:expr) => {{
        let mut pages = $pages;
        loop {
            $handle.throttle($operation).await;
            match pages.next().await {
                None => break Ok(()),
                Some(Err(error)) => break Err(crate::errors::classify(error)),
                Some(Ok($page)) => {
                    let $page = &$page;
                    if !$body {
                        break Ok(());
                    }
                }
            }
        }
    }};
}
pub(crate) use read_pages;

/// `after` as the SDK's timestamp, for `LastModifiedTimeAfter` filters.
pub(crate) fn sdk_time(after: jiff::Timestamp) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_nanos(after.as_nanosecond())
        .expect("a jiff timestamp is within the SDK's range")
}

/// A list summary's (name, last modified) pair; SageMaker leaves LastModifiedTime unset on
/// resources never modified, so creation time stands in, and `after` when both are missing.
pub(crate) fn modified_entry(
    name: Option<&str>,
    last_modified: Option<&aws_smithy_types::DateTime>,
    created: Option<&aws_smithy_types::DateTime>,
    after: jiff::Timestamp,
) -> (String, jiff::Timestamp) {
    let modified = timestamp(last_modified.or(created)).unwrap_or(after);
    (name.unwrap_or_default().to_string(), modified)
}

/// `SageMakerHandle::$method(after)`: names and last-modified times of the resources `$list`
/// returns with `LastModifiedTimeAfter = after` (all pages). The List operations differ only in
/// their SDK types, which share no trait, hence a macro rather than a generic function.
macro_rules! modified_after_listing {
    ($(#[$doc:meta])* $method:ident, $operation:literal, $list:ident, $summaries:ident, $name:ident) => {
        $(#[$doc])*
        pub async fn $method(&self, after: jiff::Timestamp) -> Result<Vec<(String, jiff::Timestamp)>, crate::errors::SageMakerError> {
            let pages = self
                .client
                .$list()
                .last_modified_time_after(crate::listing::sdk_time(after))
                .max_results(100)
                .into_paginator()
                .send();
            let mut entries = Vec::new();
            let read: Result<(), crate::errors::SageMakerError> =
                crate::listing::read_pages!(self, $operation, pages, |page| {
                    entries.extend(page.$summaries().iter().map(|summary| {
                        crate::listing::modified_entry(
                            summary.$name(),
                            summary.last_modified_time(),
                            summary.creation_time(),
                            after,
                        )
                    }));
                    page.next_token().is_some()
                });
            read?;
            Ok(entries)
        }
    };
}
pub(crate) use modified_after_listing;
