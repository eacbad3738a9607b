//! The node cluster of `scripts/sandbox up --in-cluster`: starts testenv's node cluster (root
//! only), imports the images given as arguments, prints `kubeconfig <path>` on stdout, and runs
//! until SIGTERM or SIGINT; then it exits normally, and the node's exit handler removes
//! everything it made on the host (as after a test binary).

use std::io::Write;

use sagemaker_k8s_testenv::{node_cluster, node_unavailable_reason};

fn main() {
    if let Some(reason) = node_unavailable_reason() {
        eprintln!("sandbox_node: {reason}");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let node = node_cluster().await.expect("root, so the node runs");
        for archive in std::env::args().skip(1) {
            if let Err(error) = node.import_image(std::path::Path::new(&archive)) {
                eprintln!("sandbox_node: {error}");
                std::process::exit(1);
            }
        }
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "kubeconfig {}",
            node.api().kubeconfig_path().display()
        )
        .unwrap();
        stdout.flush().unwrap();
        drop(stdout);
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler");
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        eprintln!("sandbox_node: stopping the node cluster");
    });
}
