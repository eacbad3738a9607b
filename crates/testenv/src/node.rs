//! A real single-node Kubernetes cluster: etcd + kube-apiserver + kube-controller-manager +
//! kube-scheduler + a kubelet running pods through containerd and runc, for the tests that need
//! pods to run (the operator's image, installers, probes, garbage collection).
//!
//! Started once per test binary by the first [`node_cluster`] call and torn down at exit with
//! everything it created: its processes by PID, the containers' processes (found through their
//! cgroups and shims), mounts, the bridge, cgroups, the sysctls the kubelet rewrites, and the host
//! paths the kubelet and containerd create. What it changed is written to a state file first, so
//! a run that was SIGKILLed is undone by the next one.
//!
//! Network: everything is on one Linux bridge carrying TEST-NET-2 addresses (198.51.100.0/24),
//! which exist only on this machine. The node IP [`NODE_IP`] is also the first address of the
//! Service range, so the `kubernetes` Service's ClusterIP *is* the apiserver (bound to it on port
//! 443) and in-cluster clients work without kube-proxy. Pods get addresses from
//! 198.51.100.128/25 and a route to the node's /28 only, no default route: nothing a pod sends
//! can leave the machine. Fixed ports (443, kubelet 10250/10248): one node cluster per machine.
//!
//! Needs root; [`node_cluster`] returns `None` (printing why) only when not root.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, ServiceAccount};
use kube::api::Api;
use serde_json::json;
use tokio::sync::watch;

use crate::control_plane::{ApiServerSettings, ControlPlane, start_with_retries};
use crate::locations::{images_dir, is_executable, repo_root, tool};
use crate::process::{ChildProcess, process_is_running, register_exit_hook, runs_root};

/// The node's IP, the apiserver's address and the `kubernetes` Service's ClusterIP.
pub const NODE_IP: &str = "198.51.100.1";
/// The Node object's name.
pub const NODE_NAME: &str = "testenv-node";
/// The pod sandbox image (built by `scripts/build-image --pause-only`, imported at start).
pub const PAUSE_IMAGE: &str = "localhost/sagemaker-k8s-pause:1";
/// The apiserver's port: the `kubernetes` Service's port, so its ClusterIP:port is the apiserver.
pub const APISERVER_PORT: u16 = 443;

const BRIDGE: &str = "smtestenv0";
const SERVICE_RANGE: &str = "198.51.100.0/28";
const POD_GATEWAY: &str = "198.51.100.129";
const KUBELET_USER: &str = "system:node:testenv-node";
const CONTROLLER_MANAGER_USER: &str = "system:kube-controller-manager";
const SCHEDULER_USER: &str = "system:kube-scheduler";
/// Sysctls the kubelet sets at start-up; restored at teardown.
const SYSCTLS: [&str; 3] = [
    "vm/overcommit_memory",
    "kernel/panic",
    "kernel/panic_on_oops",
];
/// Host paths the kubelet and containerd create whatever their configuration says; removed at
/// teardown when they did not exist before.
const HOST_PATHS: [&str; 8] = [
    "/var/lib/kubelet",
    "/var/log/containers",
    "/var/log/pods",
    "/run/containerd",
    "/run/netns",
    "/var/lib/cni",
    "/usr/libexec/kubernetes",
    "/etc/cni",
];
const STARTUP_TIMEOUT: Duration = Duration::from_secs(240);

/// The running node cluster of this test binary; see the module docs.
pub struct NodeCluster {
    api: &'static ControlPlane,
    dir: PathBuf,
    containerd_socket: PathBuf,
    processes: Mutex<Vec<ChildProcess>>,
}

impl std::fmt::Debug for NodeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCluster")
            .field("server", &self.api.server_url())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

static STARTED: OnceLock<watch::Receiver<bool>> = OnceLock::new();
static NODE: OnceLock<Result<Option<NodeCluster>, String>> = OnceLock::new();
/// The API side lives in its own static so the node can hand out `&'static ControlPlane`.
static NODE_API: OnceLock<ControlPlane> = OnceLock::new();
/// What teardown must undo; read by the exit hook.
static HOST_STATE: Mutex<Option<HostState>> = Mutex::new(None);

/// Why a node cluster cannot run here, or `None` if it can (root). The only reason to skip.
pub fn node_unavailable_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    (euid != 0).then(|| {
        format!(
            "a real node needs root (kubelet, containerd, mounts, cgroups); running as uid {euid}"
        )
    })
}

/// Prints `SKIPPED: <reason>` to the process's stderr directly, past the test harness's output
/// capture (which hides `eprintln!` of passing tests): a skipped test is never silent.
pub fn report_skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

/// The node cluster of this test binary, started by the first call. `None` only when not root
/// (the reason is printed: tests skip then). Panics with the components' log tails if it cannot
/// start; later calls panic with the same message.
pub async fn node_cluster() -> Option<&'static NodeCluster> {
    let mut started = STARTED
        .get_or_init(|| {
            let (done, started) = watch::channel(false);
            std::thread::Builder::new()
                .name("testenv-node-start".into())
                .spawn(move || {
                    let result = std::panic::catch_unwind(start_node).unwrap_or_else(|panic| {
                        Err(panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|t| (*t).to_owned()))
                            .unwrap_or_else(|| "a panic without a message".to_owned()))
                    });
                    let _ =
                        NODE.set(result.map_err(|error| {
                            format!("the test node cluster did not start: {error}")
                        }));
                    done.send_replace(true);
                })
                .expect("starting the node start-up thread");
            started
        })
        .clone();
    started
        .wait_for(|done| *done)
        .await
        .expect("the node start-up thread ended without a result");
    match NODE.get().expect("set before the thread signals") {
        Ok(Some(node)) => Some(node),
        Ok(None) => {
            report_skip(&format!(
                "no real node: {}",
                node_unavailable_reason().unwrap_or_default()
            ));
            None
        }
        Err(message) => panic!("{message}"),
    }
}

impl NodeCluster {
    /// The cluster's API: clients, kubectl, helm, namespaces, as for the apiserver-only fixture.
    pub fn api(&self) -> &'static ControlPlane {
        self.api
    }

    /// The containerd socket (for `ctr --address`).
    pub fn containerd_socket(&self) -> &Path {
        &self.containerd_socket
    }

    /// Makes an OCI layout archive (scripts/build-image's output) visible to the kubelet.
    pub fn import_image(&self, archive: &Path) -> Result<(), String> {
        let output = self.ctr(&["images", "import", &archive.display().to_string()])?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "ctr images import {}: {}",
                archive.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// Runs `ctr -n k8s.io ARGS` against this node's containerd.
    pub fn ctr(&self, args: &[&str]) -> Result<std::process::Output, String> {
        Command::new("ctr")
            .arg("--address")
            .arg(&self.containerd_socket)
            .args(["-n", "k8s.io"])
            .args(args)
            .output()
            .map_err(|error| format!("running ctr: {error}"))
    }

    /// The last `lines` lines of every component's log, for failure messages.
    pub fn log_tails(&self, lines: usize) -> String {
        let processes = self
            .processes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = self.api.log_tails(lines);
        for process in processes.iter() {
            text.push_str(&format!(
                "\n--- {} log tail ---\n{}",
                process.name(),
                process.log_tail(lines)
            ));
        }
        text
    }
}

// ---- host state: recorded before any change, undone at exit or by the next run ---------------

#[derive(Debug, Clone)]
struct HostState {
    owner_pid: u32,
    dir: PathBuf,
    sysctls: Vec<(String, String)>,
    created_paths: Vec<PathBuf>,
    created_cgroups: Vec<PathBuf>,
    /// Our processes, SIGKILLed (kubelet first) before the containers are.
    pids: Vec<u32>,
}

fn state_file() -> PathBuf {
    runs_root().join("node-host-state.json")
}

impl HostState {
    fn record(dir: &Path) -> HostState {
        let sysctls = SYSCTLS
            .iter()
            .filter_map(|name| {
                std::fs::read_to_string(format!("/proc/sys/{name}"))
                    .ok()
                    .map(|value| ((*name).to_owned(), value.trim().to_owned()))
            })
            .collect();
        let created_paths = HOST_PATHS
            .iter()
            .map(PathBuf::from)
            .filter(|path| !path.exists())
            .collect();
        let created_cgroups = cgroup_hierarchies()
            .into_iter()
            .map(|hierarchy| hierarchy.join("kubepods"))
            .filter(|path| !path.exists())
            .collect();
        HostState {
            owner_pid: std::process::id(),
            dir: dir.to_path_buf(),
            sysctls,
            created_paths,
            created_cgroups,
            pids: Vec::new(),
        }
    }

    fn save(&self) {
        let value = json!({
            "ownerPid": self.owner_pid,
            "dir": self.dir,
            "sysctls": self.sysctls,
            "createdPaths": self.created_paths,
            "createdCgroups": self.created_cgroups,
            "pids": self.pids,
        });
        let _ = std::fs::create_dir_all(runs_root());
        let _ = std::fs::write(state_file(), value.to_string());
    }

    fn load() -> Option<HostState> {
        let text = std::fs::read_to_string(state_file()).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        let paths = |key: &str| -> Vec<PathBuf> {
            value[key]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(PathBuf::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(HostState {
            owner_pid: value["ownerPid"].as_u64()? as u32,
            dir: PathBuf::from(value["dir"].as_str()?),
            sysctls: value["sysctls"]
                .as_array()?
                .iter()
                .filter_map(|pair| {
                    Some((pair[0].as_str()?.to_owned(), pair[1].as_str()?.to_owned()))
                })
                .collect(),
            created_paths: paths("createdPaths"),
            created_cgroups: paths("createdCgroups"),
            pids: value["pids"]
                .as_array()
                .map(|pids| {
                    pids.iter()
                        .filter_map(|pid| pid.as_u64().map(|p| p as u32))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// The mounted cgroup v1 hierarchies (and the unified one), e.g. /sys/fs/cgroup/memory.
fn cgroup_hierarchies() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") else {
        return Vec::new();
    };
    let mut hierarchies: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .collect();
    hierarchies.sort();
    hierarchies
}

/// Undoes everything `state` recorded. Safe to run twice; used at exit and for a dead run's state.
fn teardown(state: &HostState, reaped: &mut Vec<u32>) -> Vec<String> {
    let mut problems = Vec::new();
    // 1. Our processes, kubelet first (it would restart containers), containerd last. Only the
    // ones still registered as this process's unreaped children: a dead run's were killed by
    // PDEATHSIG with it, and their numbers may belong to someone else by now.
    for pid in state.pids.iter().rev() {
        if reaped.contains(pid) {
            // SAFETY: plain syscalls on a child of this process that has not been reaped.
            unsafe {
                libc::kill(*pid as libc::pid_t, libc::SIGKILL);
                libc::waitpid(*pid as libc::pid_t, std::ptr::null_mut(), 0);
            }
            reaped.retain(|other| other != pid);
        }
    }
    // 2. containerd's shims (they outlive containerd) and every process in the pods' cgroups.
    let socket_marker = state.dir.join("containerd").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut victims = processes_whose_cmdline_contains(&socket_marker);
        for cgroup in &state.created_cgroups {
            victims.extend(pids_in_cgroup_tree(cgroup));
        }
        victims.retain(|pid| *pid != std::process::id());
        if victims.is_empty() {
            break;
        }
        for pid in &victims {
            // SAFETY: the pid was found in our node's cgroups or names our containerd socket.
            unsafe {
                libc::kill(*pid as libc::pid_t, libc::SIGKILL);
            }
        }
        if Instant::now() >= deadline {
            problems.push(format!("processes still alive: {victims:?}"));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // 3. Mounts under our directory and the host paths we created (netns, kubelet's pods).
    let mut roots: Vec<PathBuf> = vec![state.dir.clone()];
    roots.extend(state.created_paths.iter().cloned());
    for _ in 0..5 {
        let mounts = mounts_under(&roots);
        if mounts.is_empty() {
            break;
        }
        for mount in mounts {
            let Ok(path) = std::ffi::CString::new(mount.as_os_str().as_encoded_bytes()) else {
                continue;
            };
            // SAFETY: umount2 on a path string we own; MNT_DETACH never blocks.
            unsafe {
                libc::umount2(path.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
    let left = mounts_under(&roots);
    if left.is_empty() {
        // 4. Files: only once nothing is mounted below them (a bind mount of a host directory
        // must never be emptied through our tree).
        let _ = std::fs::remove_dir_all(&state.dir);
        for path in &state.created_paths {
            let _ = std::fs::remove_dir_all(path);
        }
    } else {
        problems.push(format!("mounts left, files kept: {left:?}"));
    }
    // 5. cgroups, deepest first (rmdir only removes empty cgroups, which is the point).
    for cgroup in &state.created_cgroups {
        remove_cgroup_tree(cgroup);
        if cgroup.exists() {
            problems.push(format!("cgroup {} left", cgroup.display()));
        }
    }
    // 6. The bridge and its addresses.
    if Path::new(&format!("/sys/class/net/{BRIDGE}")).exists() {
        let _ = Command::new("ip").args(["link", "del", BRIDGE]).output();
    }
    // 7. Sysctls.
    for (name, value) in &state.sysctls {
        if std::fs::write(format!("/proc/sys/{name}"), value).is_err() {
            problems.push(format!("could not restore sysctl {name}={value}"));
        }
    }
    let _ = std::fs::remove_file(state_file());
    problems
}

fn processes_whose_cmdline_contains(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline)
                .contains(needle)
                .then_some(pid)
        })
        .filter(|pid| process_is_running(*pid))
        .collect()
}

fn pids_in_cgroup_tree(root: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
            pids.extend(
                procs
                    .lines()
                    .filter_map(|line| line.trim().parse::<u32>().ok()),
            );
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            stack.extend(
                entries
                    .flatten()
                    .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
                    .map(|entry| entry.path()),
            );
        }
    }
    pids
}

fn remove_cgroup_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_cgroup_tree(&entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Mount points at or below any of `roots`, deepest first (from /proc/self/mountinfo).
fn mounts_under(roots: &[PathBuf]) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut mounts: Vec<PathBuf> = text
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|mount| roots.iter().any(|root| mount.starts_with(root)))
        .collect();
    mounts.sort_by_key(|mount| std::cmp::Reverse(mount.as_os_str().len()));
    mounts.dedup();
    mounts
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape_mountinfo(field: &str) -> PathBuf {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\'
            && index + 4 <= bytes.len()
            && let Some(value) = std::str::from_utf8(&bytes[index + 1..index + 4])
                .ok()
                .and_then(|digits| u8::from_str_radix(digits, 8).ok())
        {
            out.push(value);
            index += 4;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

fn exit_hook(pids: &mut Vec<u32>) {
    let state = HOST_STATE
        .try_lock()
        .ok()
        .and_then(|mut guard| guard.take());
    if let Some(state) = state {
        let problems = teardown(&state, pids);
        if !problems.is_empty() {
            eprintln!(
                "sagemaker-k8s-testenv: node teardown: {}",
                problems.join("; ")
            );
        }
    }
}

fn set_state(state: &HostState) {
    state.save();
    *HOST_STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(state.clone());
}

// ---- start-up ---------------------------------------------------------------------------

fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|error| format!("running {program}: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(|error| format!("writing {}: {error}", path.display()))
}

fn kubeconfig(api: &ControlPlane, user: &str) -> String {
    let token = api.extra_token(user).expect("a token for every component");
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "node", "cluster": {"server": api.server_url(), "certificate-authority": api.ca_path()}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "node", "context": {"cluster": "node", "user": user}}],
        "current-context": "node",
    })
    .to_string()
}

fn start_node() -> Result<Option<NodeCluster>, String> {
    if node_unavailable_reason().is_some() {
        return Ok(None);
    }
    let started = Instant::now();
    for program in ["containerd", "ctr", "runc", "ip", "openssl", "cc"] {
        if !Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|output| output.status.success())
        {
            return Err(format!(
                "`{program}` is missing: apt-get install containerd runc containernetworking-plugins iproute2 openssl gcc (.ci/run installs them)"
            ));
        }
    }
    for plugin in ["bridge", "host-local", "loopback"] {
        if !is_executable(&Path::new("/usr/lib/cni").join(plugin)) {
            return Err(format!(
                "/usr/lib/cni/{plugin} is missing: apt-get install containernetworking-plugins"
            ));
        }
    }
    for binary in ["kubelet", "kube-controller-manager", "kube-scheduler"] {
        if !is_executable(&tool(binary)) {
            return Err(format!(
                "{} is missing: run scripts/tools install",
                tool(binary).display()
            ));
        }
    }

    // One node cluster per machine (fixed ports, one bridge): wait for another process's to end.
    take_node_lock()?;
    // A dead run's leftovers first; a live owner cannot exist any more (it would hold the lock).
    if let Some(stale) = HostState::load() {
        if stale.owner_pid != std::process::id() && process_is_running(stale.owner_pid) {
            return Err(format!(
                "another test binary (pid {}) runs a node cluster on this machine; one at a time (fixed ports, one bridge)",
                stale.owner_pid
            ));
        }
        let problems = teardown(&stale, &mut Vec::new());
        if !problems.is_empty() {
            return Err(format!(
                "undoing a dead run's node: {}",
                problems.join("; ")
            ));
        }
    }
    if Path::new(&format!("/sys/class/net/{BRIDGE}")).exists() {
        return Err(format!(
            "network link {BRIDGE} exists but no run owns it; delete it: ip link del {BRIDGE}"
        ));
    }

    let dir = runs_root().join(format!("node-{}", std::process::id()));
    let mut state = HostState::record(&dir);
    set_state(&state);
    register_exit_hook(exit_hook);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;

    // The bridge: the node IP (= the kubernetes ClusterIP) and the pods' gateway.
    run("ip", &["link", "add", BRIDGE, "type", "bridge"])?;
    run(
        "ip",
        &["addr", "add", &format!("{NODE_IP}/28"), "dev", BRIDGE],
    )?;
    run(
        "ip",
        &["addr", "add", &format!("{POD_GATEWAY}/25"), "dev", BRIDGE],
    )?;
    run("ip", &["link", "set", BRIDGE, "up"])?;

    // containerd with its own config, state and socket; CRI with the workaround this machine
    // needs (restrict_oom_score_adj: no CAP_SYS_RESOURCE in the VM's bounding set).
    let containerd_dir = dir.join("containerd");
    let socket = containerd_dir.join("containerd.sock");
    let cni_conf_dir = dir.join("cni/net.d");
    write_file(
        &cni_conf_dir.join("10-testenv.conflist"),
        &json!({
            "cniVersion": "1.0.0",
            "name": "testenv",
            "plugins": [{
                "type": "bridge",
                "bridge": BRIDGE,
                // No gateway on the pod side and no masquerading: pods reach the node's
                // addresses through the route below and nothing else.
                "isGateway": false,
                "ipMasq": false,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": "198.51.100.128/25", "rangeStart": "198.51.100.130", "rangeEnd": "198.51.100.254", "gateway": POD_GATEWAY}]],
                    "routes": [{"dst": SERVICE_RANGE, "gw": POD_GATEWAY}],
                    "dataDir": dir.join("cni/ipam"),
                },
            }],
        })
        .to_string(),
        0o644,
    )?;
    let containerd_config = format!(
        r#"version = 2
root = "{root}"
state = "{state}"
[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni}"
"#,
        root = containerd_dir.join("root").display(),
        state = containerd_dir.join("state").display(),
        socket = socket.display(),
        cni = cni_conf_dir.display(),
    );
    write_file(
        &containerd_dir.join("config.toml"),
        &containerd_config,
        0o644,
    )?;
    let mut processes = Vec::new();
    let containerd = ChildProcess::builder("/usr/bin/containerd")
        .name("containerd")
        .arg("--config")
        .arg(containerd_dir.join("config.toml"))
        .try_spawn()
        .map_err(|error| error.to_string())?;
    state.pids.push(containerd.pid());
    set_state(&state);
    processes.push(containerd);
    let ctr = |args: &[&str]| {
        let mut all = vec![
            "--address",
            socket.to_str().expect("a UTF-8 path"),
            "-n",
            "k8s.io",
        ];
        all.extend_from_slice(args);
        run("ctr", &all)
    };
    wait_for(
        Duration::from_secs(60),
        "containerd to answer",
        &mut processes,
        || ctr(&["version"]).is_ok(),
    )?;

    let pause = images_dir().join("pause.tar");
    run(
        &repo_root()
            .join("scripts/build-image")
            .display()
            .to_string(),
        &["--pause-only"],
    )?;
    ctr(&["images", "import", &pause.display().to_string()])?;

    // The apiserver talks to the kubelet with a client certificate the kubelet trusts.
    let pki = dir.join("pki");
    std::fs::create_dir_all(&pki).map_err(|e| e.to_string())?;
    let p = |name: &str| pki.join(name).display().to_string();
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=testenv-kubelet-client-ca",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.crt"),
        ],
    )?;
    run(
        "openssl",
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/O=system:masters/CN=kube-apiserver-kubelet-client",
            "-keyout",
            &p("client.key"),
            "-out",
            &p("client.csr"),
        ],
    )?;
    run(
        "openssl",
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &p("client.csr"),
            "-CA",
            &p("ca.crt"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-out",
            &p("client.crt"),
        ],
    )?;

    let settings = ApiServerSettings {
        dir_name: "node-control-plane",
        bind_address: NODE_IP.into(),
        port: Some(APISERVER_PORT),
        service_cluster_ip_range: SERVICE_RANGE.into(),
        authorization_mode: "Node,RBAC".into(),
        extra_args: vec![
            format!("--kubelet-client-certificate={}", p("client.crt")),
            format!("--kubelet-client-key={}", p("client.key")),
            "--kubelet-preferred-address-types=InternalIP".into(),
            "--enable-admission-plugins=NodeRestriction".into(),
        ],
        extra_users: vec![
            (KUBELET_USER.into(), "system:nodes".into()),
            (CONTROLLER_MANAGER_USER.into(), String::new()),
            (SCHEDULER_USER.into(), String::new()),
        ],
    };
    let api = start_with_retries(&settings).map_err(|error| error.to_string())?;
    let (etcd_pid, apiserver_pid) = api.pids();
    state.pids.splice(0..0, [etcd_pid, apiserver_pid]);
    set_state(&state);
    let api: &'static ControlPlane = NODE_API.get_or_init(|| api);

    let component_kubeconfig = |user: &str, file: &str| -> Result<PathBuf, String> {
        let path = dir.join(file);
        write_file(&path, &kubeconfig(api, user), 0o600)?;
        Ok(path)
    };
    let service_account_key = api.dir().join("service-account.key");
    let controller_manager = ChildProcess::builder(tool("kube-controller-manager"))
        .name("kube-controller-manager")
        .arg(format!(
            "--kubeconfig={}",
            component_kubeconfig(CONTROLLER_MANAGER_USER, "controller-manager.kubeconfig")?
                .display()
        ))
        .args([
            "--leader-elect=false".to_owned(),
            // No serving: its port is fixed (10257) and nothing scrapes it.
            "--secure-port=0".to_owned(),
            "--use-service-account-credentials=true".to_owned(),
            format!(
                "--service-account-private-key-file={}",
                service_account_key.display()
            ),
            // Published as the kube-root-ca.crt ConfigMap that every pod's token volume mounts.
            format!("--root-ca-file={}", api.ca_path().display()),
            format!(
                "--flex-volume-plugin-dir={}",
                dir.join("flex-volume").display()
            ),
        ])
        .try_spawn()
        .map_err(|error| error.to_string())?;
    let scheduler = ChildProcess::builder(tool("kube-scheduler"))
        .name("kube-scheduler")
        .arg(format!(
            "--kubeconfig={}",
            component_kubeconfig(SCHEDULER_USER, "scheduler.kubeconfig")?.display()
        ))
        .args(["--leader-elect=false", "--secure-port=0"])
        .try_spawn()
        .map_err(|error| error.to_string())?;
    state
        .pids
        .extend([controller_manager.pid(), scheduler.pid()]);
    set_state(&state);
    processes.push(controller_manager);
    processes.push(scheduler);

    let kubelet_config = json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "authentication": {
            "anonymous": {"enabled": false},
            "webhook": {"enabled": false},
            "x509": {"clientCAFile": p("ca.crt")},
        },
        "authorization": {"mode": "AlwaysAllow"},
        // This machine: cgroup v1, and containerd 1.6 cannot report its cgroup driver.
        "failCgroupV1": false,
        "cgroupDriver": "cgroupfs",
        "failSwapOn": false,
        "containerRuntimeEndpoint": format!("unix://{}", socket.display()),
        "podLogsDir": dir.join("pod-logs"),
        "volumePluginDir": dir.join("volume-plugins"),
        // A busy test machine must not evict the pods under test, nor delete imported images.
        // Disk signals are off ("0%" means ignored): on a large shared disk even 1% is gigabytes,
        // and a cold CI run fell below it, so the node reported DiskPressure and evicted every
        // operator pod. Unnamed signals get no default (mergeDefaultEvictionSettings is false).
        "evictionHard": {
            "memory.available": "1Mi",
            "nodefs.available": "0%",
            "nodefs.inodesFree": "0%",
            "imagefs.available": "0%",
            "imagefs.inodesFree": "0%",
            "containerfs.available": "0%",
            "containerfs.inodesFree": "0%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "makeIPTablesUtilChains": false,
        "serializeImagePulls": false,
        "resolvConf": "/etc/resolv.conf",
    });
    write_file(
        &dir.join("kubelet-config.json"),
        &kubelet_config.to_string(),
        0o644,
    )?;
    let kubelet = ChildProcess::builder(tool("kubelet"))
        .name("kubelet")
        .args([
            format!("--config={}", dir.join("kubelet-config.json").display()),
            format!(
                "--kubeconfig={}",
                component_kubeconfig(KUBELET_USER, "kubelet.kubeconfig")?.display()
            ),
            format!("--root-dir={}", dir.join("kubelet").display()),
            format!("--cert-dir={}", dir.join("kubelet-pki").display()),
            format!("--node-ip={NODE_IP}"),
            format!("--hostname-override={NODE_NAME}"),
        ])
        // Without iptables on its PATH the kubelet writes no iptables rules (mount is in /usr/bin).
        .env("PATH", "/usr/bin:/bin")
        .try_spawn()
        .map_err(|error| error.to_string())?;
    state.pids.push(kubelet.pid());
    set_state(&state);
    processes.push(kubelet);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    let deadline = started + STARTUP_TIMEOUT;
    let ready = runtime.block_on(async {
        let client = api.client();
        let nodes: Api<Node> = Api::all(client.clone());
        let accounts: Api<ServiceAccount> = Api::namespaced(client, "default");
        loop {
            let node_ready = nodes
                .get_opt(NODE_NAME)
                .await
                .ok()
                .flatten()
                .is_some_and(|node| {
                    node.status
                        .and_then(|status| status.conditions)
                        .unwrap_or_default()
                        .iter()
                        .any(|condition| condition.type_ == "Ready" && condition.status == "True")
                });
            // Pods applied before the ServiceAccount exists are rejected.
            if node_ready && accounts.get_opt("default").await.ok().flatten().is_some() {
                return Ok(());
            }
            for process in processes.iter_mut() {
                if let Some(status) = process.try_exit_status() {
                    return Err(format!(
                        "{} exited ({status}); log tail:\n{}",
                        process.name(),
                        process.log_tail(30)
                    ));
                }
            }
            if Instant::now() >= deadline {
                return Err(format!("the node was not Ready after {STARTUP_TIMEOUT:?}"));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let node = NodeCluster {
        api,
        dir,
        containerd_socket: socket,
        processes: Mutex::new(processes),
    };
    if let Err(error) = ready {
        return Err(format!("{error}\n{}", node.log_tails(30)));
    }
    eprintln!(
        "sagemaker-k8s-testenv: node cluster ready in {:.1?} (apiserver {})",
        started.elapsed(),
        api.server_url()
    );
    Ok(Some(node))
}

/// How long a node cluster waits for another process's (another test binary, a sandbox) to end.
const NODE_LOCK_WAIT: Duration = Duration::from_secs(20 * 60);

/// Takes the machine-wide node lock (`flock` on `<runs root>/node.lock`) for the rest of this
/// process's life; the kernel releases it however the process ends.
fn take_node_lock() -> Result<(), String> {
    use std::os::fd::AsRawFd;
    static LOCK: OnceLock<std::fs::File> = OnceLock::new();
    if LOCK.get().is_some() {
        return Ok(());
    }
    let path = runs_root().join("node.lock");
    let _ = std::fs::create_dir_all(runs_root());
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|error| format!("opening {}: {error}", path.display()))?;
    let deadline = Instant::now() + NODE_LOCK_WAIT;
    let mut told = false;
    loop {
        // SAFETY: flock on a file descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            let _ = LOCK.set(file);
            return Ok(());
        }
        if !told {
            eprintln!(
                "sagemaker-k8s-testenv: another process runs this machine's node cluster (one at a time); waiting for it (up to {} min)",
                NODE_LOCK_WAIT.as_secs() / 60
            );
            told = true;
        }
        if Instant::now() >= deadline {
            let owner = HostState::load().map(|state| state.owner_pid);
            return Err(format!(
                "another process (pid {owner:?}) kept this machine's node cluster for {} min; one at a time",
                NODE_LOCK_WAIT.as_secs() / 60
            ));
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Polls `check` until true; fails when a process exits or the time passes.
fn wait_for(
    timeout: Duration,
    what: &str,
    processes: &mut [ChildProcess],
    mut check: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return Ok(());
        }
        for process in processes.iter_mut() {
            if let Some(status) = process.try_exit_status() {
                return Err(format!(
                    "{} exited ({status}) while waiting for {what}; log tail:\n{}",
                    process.name(),
                    process.log_tail(30)
                ));
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape_mountinfo(r"/a\040b"), PathBuf::from("/a b"));
        assert_eq!(unescape_mountinfo("/plain"), PathBuf::from("/plain"));
        assert_eq!(unescape_mountinfo(r"/x\134y"), PathBuf::from(r"/x\y"));
    }
}
