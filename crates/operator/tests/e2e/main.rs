//! End-to-end tests: the operator binary against a real kube-apiserver and the SageMaker
//! emulator, each test with its own emulator, namespace and operator (`--namespace`).

mod adoption;
mod automl_job;
mod autoscaling;
mod compilation_job;
mod credentials;
mod deletion_policy;
mod endpoint;
mod guard_rails;
mod harness;
mod hosting;
mod inference_component;
mod leader_election;
mod metrics;
mod model_lifecycle;
mod model_package;
mod model_package_group;
mod observe;
mod original_operator;
mod pipeline;
mod processing_job;
mod reconcile_now;
mod references;
mod resilience;
mod tags;
mod takeover;
mod training_job;
mod transform_job;
mod tuning_job;
