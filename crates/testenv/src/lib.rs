//! Test support for sagemaker-k8s-operator: a real Kubernetes control plane (etcd +
//! kube-apiserver built by `scripts/tools`), kubectl and helm against it, and the workspace's
//! binaries (the SageMaker emulator, the operator) and moto as child processes.
//!
//! # The control plane
//! [`control_plane()`] starts one etcd + kube-apiserver per test binary, lazily, on the first
//! call, and every test of that binary shares it. Tests isolate themselves by namespace
//! ([`ControlPlane::create_namespace`]). Users authenticate with static tokens
//! ([`TestUser`]); authorization is RBAC. Only the apiserver runs — no controller-manager,
//! scheduler or kubelet — so namespaces are never finalized and pods never run.
//!
//! # A real node
//! [`node_cluster()`] starts, once per test binary that asks, a second and separate cluster with
//! kube-controller-manager, kube-scheduler and a kubelet running pods through containerd and
//! runc (root only: it returns `None`, printing why, otherwise). Its teardown at exit undoes
//! everything it did on the host; see the `node` module.
//!
//! # Runtimes
//! Every `#[tokio::test]` has its own runtime, which ends with the test, and a `kube::Client`'s
//! connection tasks die with the runtime it was built on. Therefore:
//! - [`ControlPlane::client`] builds a **fresh** client on each call (cheap: it clones a stored
//!   `kube::Config`); call it inside the test that uses it, never cache a client in a static;
//! - the control plane is started on a dedicated thread with its own runtime, so the test that
//!   happened to call first can end (or fail) without affecting it;
//! - processes are `std::process` children ([`ChildProcess`]), independent of any runtime.
//!
//! # Process lifetime
//! Children cannot outlive the test binary, however it ends: they are forked by one long-lived
//! thread with `PR_SET_PDEATHSIG(SIGKILL)` (the kernel kills them when the test binary dies,
//! even by SIGKILL), an `atexit` handler kills them and removes this run's temporary directory
//! on a normal exit, and directories of killed runs are removed by the next run. Set
//! `SAGEMAKER_K8S_TESTENV_KEEP=1` to keep the directory (logs, certificates, etcd data).
//!
//! # Environment
//! - `SAGEMAKER_K8S_TOOLS_BIN`: directory with kube-apiserver, etcd, kubectl, helm (default:
//!   `scripts/tools bin`).
//! - `SAGEMAKER_K8S_PYTHON`: Python with moto (for [`Moto`]); `CI`: makes its absence fatal.
//! - `SAGEMAKER_K8S_TESTENV_STARTUP_TIMEOUT_SECS`: how long to wait for `/readyz` (default 120).
//!
//! Workspace binaries are found in the cargo target directory ([`workspace_binary`]); `cargo
//! test -p X` does not build other packages' binaries, `scripts/test` builds them all first.

mod aws_services;
mod command;
mod control_plane;
mod error;
mod locations;
mod node;
mod polling;
mod process;

pub use aws_services::{Emulator, Moto, PYTHON_ENV, TEST_REGION, aws_sdk_env};
pub use command::CommandOutput;
pub use control_plane::{
    ControlPlane, FIELD_MANAGER, STARTUP_TIMEOUT_ENV, TestUser, control_plane,
};
pub use error::TestEnvError;
pub use locations::{
    TOOLS_BIN_ENV, images_dir, repo_root, tool, tools_bin_dir, workspace_binary,
    workspace_target_dir,
};
pub use node::{
    APISERVER_PORT, NODE_IP, NODE_NAME, NodeCluster, PAUSE_IMAGE, node_cluster,
    node_unavailable_reason, report_skip,
};
pub use polling::{POLL_INTERVAL, poll_until, wait_until};
pub use process::{
    ChildProcess, ChildProcessBuilder, KEEP_RUN_DIR_ENV, process_is_running, remove_stale_run_dirs,
    run_dir, runs_root,
};
