//! Where an API lives: the (region, endpoint) pair every client is built for and cached by.

/// Where a SageMaker API lives: the key of the client cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiLocation {
    pub region: String,
    /// `None` = the AWS default endpoint of the region.
    pub endpoint: Option<String>,
}
