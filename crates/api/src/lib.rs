//! CRD types of `sagemaker.aws.amazon.com/v1`.
