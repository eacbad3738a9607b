//! SageMaker access for the operator.
