//! The test environment against the real binaries: control plane, kubectl/helm, the emulator,
//! moto, and that no child process outlives its test binary.

mod aws_services;
mod cleanup;
mod control_plane;
mod kubectl;
mod node;
mod tools;
