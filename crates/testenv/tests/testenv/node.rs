//! The node cluster starts, runs a pod, and leaves the host as it found it: after a normal exit,
//! and after a SIGKILL followed by the next run. Runs examples/node_probe (the node lives in
//! that process, so this binary can look at the host from outside).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sagemaker_k8s_testenv::{
    node_unavailable_reason, process_is_running, wait_until, workspace_target_dir,
};

/// What the node may change on the host, read from the host itself.
#[derive(Debug, PartialEq, Eq)]
struct HostSnapshot {
    sysctls: Vec<(String, String)>,
    existing_paths: Vec<String>,
    bridge: bool,
    kubepods_cgroups: Vec<String>,
}

fn snapshot() -> HostSnapshot {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    HostSnapshot {
        sysctls: [
            "vm/overcommit_memory",
            "kernel/panic",
            "kernel/panic_on_oops",
            "net/ipv4/ip_forward",
        ]
        .iter()
        .map(|name| ((*name).to_owned(), read(&format!("/proc/sys/{name}"))))
        .collect(),
        existing_paths: [
            "/var/lib/kubelet",
            "/var/log/containers",
            "/var/log/pods",
            "/run/containerd",
            "/run/netns",
            "/var/lib/cni",
            "/usr/libexec/kubernetes",
            "/etc/cni",
        ]
        .iter()
        .filter(|path| Path::new(path).exists())
        .map(|path| (*path).to_owned())
        .collect(),
        bridge: Path::new("/sys/class/net/smtestenv0").exists(),
        kubepods_cgroups: std::fs::read_dir("/sys/fs/cgroup")
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.path().join("kubepods"))
                    .filter(|path| path.exists())
                    .map(|path| path.display().to_string())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn processes_mentioning(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (text.contains(needle) && process_is_running(pid)).then(|| format!("{pid} {text}"))
        })
        .collect()
}

fn mounts_under(dir: &str) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .filter(|mount| mount.starts_with(dir))
        .map(str::to_owned)
        .collect()
}

struct Probe {
    child: Child,
    node_dir: PathBuf,
    pod_ip: String,
}

fn start_probe() -> Option<Probe> {
    let path = workspace_target_dir().join("examples/node_probe");
    assert!(
        path.exists(),
        "{} is built by `cargo test --workspace`",
        path.display()
    );
    let mut child = Command::new(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.trim() == "skipped" {
        let _ = child.wait();
        return None;
    }
    let mut fields = line.split_whitespace();
    assert_eq!(fields.next(), Some("ready"), "node probe said {line:?}");
    let node_dir = PathBuf::from(fields.next().expect("the node directory"));
    let pod_ip = fields.next().expect("the pod IP").to_owned();
    Some(Probe {
        child,
        node_dir,
        pod_ip,
    })
}

async fn assert_restored(before: &HostSnapshot, node_dir: &Path) {
    let dir = node_dir.display().to_string();
    // The probe has exited; what it started may take a moment to be reaped by init.
    wait_until(
        Duration::from_secs(30),
        "the node's processes to be gone",
        || async { processes_mentioning(&dir).is_empty().then_some(()) },
    )
    .await;
    assert_eq!(&snapshot(), before, "the host after the node cluster");
    assert!(
        mounts_under(&dir).is_empty(),
        "mounts left: {:?}",
        mounts_under(&dir)
    );
    assert!(!node_dir.exists(), "{dir} left behind");
}

#[tokio::test]
async fn node_cluster_runs_a_pod_and_teardown_restores_the_host() {
    if let Some(reason) = node_unavailable_reason() {
        sagemaker_k8s_testenv::report_skip(&reason);
        return;
    }
    // Another process's node (a sandbox, another checkout's tests) must end first: the probes
    // would wait for it anyway, and the snapshot must not contain it.
    wait_until(
        Duration::from_secs(20 * 60),
        "another node cluster on this machine to end",
        || async { (!snapshot().bridge).then_some(()) },
    )
    .await;
    let before = snapshot();

    // 1. A normal exit tears everything down.
    let mut probe = start_probe().expect("root, so the node runs");
    assert!(
        probe.pod_ip.starts_with("198.51.100."),
        "pod IP {}",
        probe.pod_ip
    );
    assert!(snapshot().bridge, "the bridge exists while the node runs");
    assert!(
        !processes_mentioning(&probe.node_dir.display().to_string()).is_empty(),
        "the node's processes run"
    );
    writeln!(probe.child.stdin.as_mut().unwrap(), "exit").unwrap();
    assert!(probe.child.wait().unwrap().success());
    assert_restored(&before, &probe.node_dir).await;

    // 2. SIGKILL: PDEATHSIG ends our processes, the pod's container survives under its shim
    // until the next run undoes it.
    let mut killed = start_probe().unwrap();
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();
    let mut next = start_probe().unwrap();
    assert!(
        !killed.node_dir.exists(),
        "the next run removed the killed run's node directory"
    );
    assert!(
        processes_mentioning(&killed.node_dir.display().to_string()).is_empty(),
        "the next run killed what the killed run left"
    );
    writeln!(next.child.stdin.as_mut().unwrap(), "exit").unwrap();
    assert!(next.child.wait().unwrap().success());
    assert_restored(&before, &next.node_dir).await;
}
