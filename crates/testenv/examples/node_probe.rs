//! Used by the testenv tests (tests/testenv/node.rs) to check the node cluster's start and
//! teardown from outside: starts the node cluster, runs a pod of the pause image, prints
//! `ready <node dir>` (or `skipped` when not root), then obeys one line on stdin: `exit`
//! (return normally, so the exit handler tears the node down); anything else or EOF: wait to be
//! killed (then the next run must undo what this one left).

use std::io::{BufRead, Write};
use std::time::Duration;

use sagemaker_k8s_testenv::{PAUSE_IMAGE, node_cluster, wait_until};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let line = runtime.block_on(async {
        let Some(node) = node_cluster().await else {
            return "skipped".to_owned();
        };
        let api = node.api();
        let namespace = api.create_namespace("node-probe").await;
        let pod = format!(
            r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "pause", "namespace": "{namespace}"}},
            "spec": {{"terminationGracePeriodSeconds": 1, "containers": [{{"name": "pause", "image": "{PAUSE_IMAGE}",
            "imagePullPolicy": "Never", "securityContext": {{"runAsUser": 65535, "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true, "capabilities": {{"drop": ["ALL"]}}}}}}]}}}}"#
        );
        api.kubectl_stdin(&["apply", "-f", "-"], &pod).await.expect_success();
        let ip = wait_until(Duration::from_secs(120), "the pause pod to run", || async {
            let out = api
                .kubectl(&["-n", &namespace, "get", "pod", "pause", "-o", "jsonpath={.status.phase} {.status.podIP}"])
                .await;
            let text = out.stdout.trim().to_owned();
            text.strip_prefix("Running ").map(str::to_owned)
        })
        .await;
        format!("ready {} {ip}", node.containerd_socket().parent().unwrap().parent().unwrap().display())
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").unwrap();
    stdout.flush().unwrap();
    drop(stdout);
    let mut command = String::new();
    let _ = std::io::stdin().lock().read_line(&mut command);
    if command.trim() != "exit" {
        loop {
            std::thread::park();
        }
    }
}
