//! End-to-end tests of `kubectl-smlogs`: the real binary as a child process, objects on a real
//! kube-apiserver, logs in the emulator (or moto) read through the AWS SDK.

mod common;
mod errors;
mod follow;
mod help;
mod moto;
mod reading;
