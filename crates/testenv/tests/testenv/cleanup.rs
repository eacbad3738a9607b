//! No child outlives its test binary: runs examples/lifetime_probe (a control plane + a leaked
//! child started from a thread that has ended) and ends it three ways.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sagemaker_k8s_testenv::{
    process_is_running, remove_stale_run_dirs, wait_until, workspace_target_dir,
};

struct Probe {
    child: Child,
    pids: Vec<u32>,
    run_dir: PathBuf,
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_probe() -> Probe {
    let path = workspace_target_dir().join("examples/lifetime_probe");
    assert!(
        path.exists(),
        "{} is built by `cargo test -p sagemaker-k8s-testenv`",
        path.display()
    );
    let mut child = Command::new(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("starting {}: {error}", path.display()));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = |prefix: &str| -> String {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the probe exited before printing {prefix:?}"))
            .unwrap();
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"))
            .to_owned()
    };
    let pids = next("pids ")
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect::<Vec<u32>>();
    let run_dir = PathBuf::from(next("run_dir "));
    assert_eq!(pids.len(), 3);
    // The thread that started them has ended; they must still run.
    for pid in &pids {
        assert!(
            process_is_running(*pid),
            "pid {pid} died with the thread that spawned it"
        );
    }
    assert!(run_dir.is_dir());
    Probe {
        child,
        pids,
        run_dir,
    }
}

async fn assert_all_gone(pids: &[u32]) {
    for &pid in pids {
        wait_until(
            Duration::from_secs(10),
            &format!("pid {pid} to be gone"),
            || async move { (!process_is_running(pid)).then_some(()) },
        )
        .await;
    }
}

fn command(probe: &mut Probe, line: &str) -> std::process::ExitStatus {
    let mut stdin = probe.child.stdin.take().unwrap();
    writeln!(stdin, "{line}").unwrap();
    drop(stdin);
    probe.child.wait().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_exit_kills_children_and_removes_the_run_dir() {
    let mut probe = tokio::task::spawn_blocking(start_probe).await.unwrap();
    let status = command(&mut probe, "exit");
    assert!(status.success(), "{status}");
    assert_all_gone(&probe.pids).await;
    assert!(
        !probe.run_dir.exists(),
        "{} must be removed at exit",
        probe.run_dir.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_exit_kills_children_and_removes_the_run_dir() {
    let mut probe = tokio::task::spawn_blocking(start_probe).await.unwrap();
    let status = command(&mut probe, "panic");
    assert_eq!(status.code(), Some(101), "{status}");
    assert_all_gone(&probe.pids).await;
    assert!(
        !probe.run_dir.exists(),
        "{} must be removed at exit",
        probe.run_dir.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_the_test_binary_kills_children_and_the_next_run_removes_the_dir() {
    let mut probe = tokio::task::spawn_blocking(start_probe).await.unwrap();
    probe.child.kill().unwrap();
    probe.child.wait().unwrap();
    // No exit handler ran: only PR_SET_PDEATHSIG can have killed them.
    assert_all_gone(&probe.pids).await;
    assert!(probe.run_dir.exists(), "nothing could remove it yet");
    remove_stale_run_dirs();
    assert!(
        !probe.run_dir.exists(),
        "a later run removes the directory of a dead run"
    );
}

/// Without the control-plane tools every test fails at once with the command that installs
/// them — no hang, no generic message.
#[test]
fn missing_tools_fail_fast_with_the_install_hint() {
    let path = workspace_target_dir().join("examples/lifetime_probe");
    let started = std::time::Instant::now();
    let output = Command::new(&path)
        .env("SAGEMAKER_K8S_TOOLS_BIN", "/nonexistent/tools")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("starting {}: {error}", path.display()));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the test control plane did not start"),
        "{stderr}"
    );
    assert!(stderr.contains("scripts/tools install"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}
