//! One real etcd + kube-apiserver per test binary.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use rand::Rng;
use tokio::sync::watch;

use crate::command::{self, CommandOutput};
use crate::error::TestEnvError;
use crate::locations::{tool, tools_bin_dir, workspace_target_dir};
use crate::process::{ChildProcess, run_dir};

/// Overrides how long [`control_plane`] waits for `/readyz` (seconds; default 120 — the
/// apiserver needs 5-15 s on an idle 2-core machine, much more while cargo compiles).
pub const STARTUP_TIMEOUT_ENV: &str = "SAGEMAKER_K8S_TESTENV_STARTUP_TIMEOUT_SECS";

/// Field manager of [`ControlPlane::apply_crds`].
pub const FIELD_MANAGER: &str = "sagemaker-k8s-testenv";

/// How long [`ControlPlane::apply_crds`] waits for each CRD to become Established.
const CRD_ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(60);

/// The identities the apiserver knows, each with a static bearer token (random per run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestUser {
    /// User `testenv-admin` in group `system:masters`: may do everything.
    Admin,
    /// User `metrics-scraper`, no groups beyond `system:authenticated` and therefore no
    /// permissions until a test binds some (e.g. `get` on the non-resource URL `/metrics`).
    MetricsScraper,
    /// User `nobody`: authenticated, never granted anything — for "authenticated but forbidden".
    Nobody,
}

impl TestUser {
    pub const ALL: [TestUser; 3] = [TestUser::Admin, TestUser::MetricsScraper, TestUser::Nobody];

    /// The user name the apiserver reports for this user's token (TokenReview, audit, RBAC).
    pub fn username(self) -> &'static str {
        match self {
            TestUser::Admin => "testenv-admin",
            TestUser::MetricsScraper => "metrics-scraper",
            TestUser::Nobody => "nobody",
        }
    }

    fn groups(self) -> &'static str {
        match self {
            TestUser::Admin => "system:masters",
            TestUser::MetricsScraper | TestUser::Nobody => "",
        }
    }

    fn index(self) -> usize {
        match self {
            TestUser::Admin => 0,
            TestUser::MetricsScraper => 1,
            TestUser::Nobody => 2,
        }
    }
}

/// A running etcd + kube-apiserver with static-token users, shared by all tests of one test
/// binary. Get it with [`control_plane`].
///
/// Nothing but the apiserver runs: no controller-manager (namespaces are never deleted, so tests
/// leave theirs behind; garbage collection does not happen), no scheduler, no kubelet
/// (Deployments are stored but no pod ever runs).
pub struct ControlPlane {
    server_url: String,
    dir: PathBuf,
    ca_path: PathBuf,
    kubeconfig_paths: [PathBuf; 3],
    tokens: [String; 3],
    config: kube::Config,
    etcd: Mutex<ChildProcess>,
    apiserver: Mutex<ChildProcess>,
    /// kube-apiserver's command line, to start it again the same way ([`ControlPlane::restart_apiserver`]).
    apiserver_args: Vec<String>,
    /// How many times the apiserver was restarted (names its log files apart).
    restarts: std::sync::atomic::AtomicU32,
    /// Tokens of the extra users of [`ApiServerSettings::extra_users`], by user name.
    extra_tokens: Vec<(String, String)>,
}

/// How [`start`] runs kube-apiserver: the defaults are the apiserver-only control plane's; the
/// node cluster (crate::node) binds another address and adds users and flags.
pub(crate) struct ApiServerSettings {
    /// Directory name under the run directory (`-<attempt>` is appended).
    pub dir_name: &'static str,
    pub bind_address: String,
    /// `None`: a free port.
    pub port: Option<u16>,
    pub service_cluster_ip_range: String,
    pub authorization_mode: String,
    pub extra_args: Vec<String>,
    /// (user name, comma-separated groups): static-token users besides [`TestUser::ALL`].
    pub extra_users: Vec<(String, String)>,
}

impl Default for ApiServerSettings {
    fn default() -> Self {
        Self {
            dir_name: "control-plane",
            bind_address: "127.0.0.1".into(),
            port: None,
            service_cluster_ip_range: "10.96.0.0/24".into(),
            authorization_mode: "RBAC".into(),
            extra_args: Vec::new(),
            extra_users: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ControlPlane {
    // Hand-written so the tokens never reach test output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("server_url", &self.server_url)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

static STARTED: OnceLock<watch::Receiver<bool>> = OnceLock::new();
static CONTROL_PLANE: OnceLock<Result<ControlPlane, String>> = OnceLock::new();

/// The control plane of this test binary, started by the first call (from any test, any tokio
/// runtime) and shared by all later ones. Panics with the etcd/apiserver log tails if it cannot
/// start; every later call panics with the same message instead of starting again.
pub async fn control_plane() -> &'static ControlPlane {
    // Start-up runs on its own thread with its own runtime, so it neither depends on the
    // runtime of the test that happened to call first nor stops when that test ends.
    let mut started = STARTED
        .get_or_init(|| {
            let (done, started) = watch::channel(false);
            std::thread::Builder::new()
                .name("testenv-control-plane-start".into())
                .spawn(move || {
                    // A panic (e.g. a missing tool) must reach every waiting test as its
                    // message, not as a hang or a generic "thread ended".
                    let result = std::panic::catch_unwind(|| {
                        start_with_retries(&ApiServerSettings::default())
                    })
                    .unwrap_or_else(|panic| {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
                            .unwrap_or_else(|| "a panic without a message".to_owned());
                        Err(TestEnvError::StartupPanicked { message })
                    })
                    .map_err(|error| format!("the test control plane did not start: {error}"));
                    let _ = CONTROL_PLANE.set(result);
                    done.send_replace(true);
                })
                .expect("starting the control-plane start-up thread");
            started
        })
        .clone();
    started
        .wait_for(|done| *done)
        .await
        .expect("the control-plane start-up thread ended without a result");
    match CONTROL_PLANE
        .get()
        .expect("set before the start-up thread signals")
    {
        Ok(control_plane) => control_plane,
        Err(message) => panic!("{message}"),
    }
}

impl ControlPlane {
    /// A new admin client (`system:masters`). Each call builds a fresh client on the *calling*
    /// runtime — a client's connection tasks die with the runtime it was made on, and every
    /// `#[tokio::test]` has its own — so call this inside each test, don't keep one in a static.
    /// Needs to be called within a tokio runtime.
    pub fn client(&self) -> kube::Client {
        kube::Client::try_from(self.config.clone())
            .expect("building a kube client from the test kubeconfig")
    }

    /// A new client authenticating as `user` (same rules as [`ControlPlane::client`]).
    pub fn client_for(&self, user: TestUser) -> kube::Client {
        kube::Client::try_from(self.kube_config_for(user))
            .expect("building a kube client from the test kubeconfig")
    }

    /// The admin `kube::Config` (cheap to clone; runtime-independent).
    pub fn kube_config(&self) -> kube::Config {
        self.config.clone()
    }

    pub fn kube_config_for(&self, user: TestUser) -> kube::Config {
        let mut config = self.config.clone();
        config.auth_info.token = Some(self.tokens[user.index()].clone().into());
        config
    }

    /// The admin kubeconfig file (for kubectl, helm and child processes via `KUBECONFIG`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_paths[TestUser::Admin.index()]
    }

    /// A kubeconfig file authenticating as `user`.
    pub fn kubeconfig_path_for(&self, user: TestUser) -> &Path {
        &self.kubeconfig_paths[user.index()]
    }

    /// The static token of an extra user (node cluster components). Do not print it.
    pub(crate) fn extra_token(&self, user: &str) -> Option<&str> {
        self.extra_tokens
            .iter()
            .find(|(name, _)| name == user)
            .map(|(_, token)| token.as_str())
    }

    /// `https://127.0.0.1:PORT` (the node cluster's: `https://<node IP>:443`).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The CA bundle that verifies the apiserver's serving certificate (PEM).
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The static bearer token of `user`. Do not print it.
    pub fn token_for(&self, user: TestUser) -> &str {
        &self.tokens[user.index()]
    }

    /// This control plane's directory (certificates, kubeconfigs, etcd data).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn apiserver_log_path(&self) -> PathBuf {
        lock(&self.apiserver).log_path().to_path_buf()
    }

    pub fn etcd_log_path(&self) -> PathBuf {
        lock(&self.etcd).log_path().to_path_buf()
    }

    /// The pids of etcd and kube-apiserver (tests of the clean-up use them).
    pub fn pids(&self) -> (u32, u32) {
        (lock(&self.etcd).pid(), lock(&self.apiserver).pid())
    }

    /// The last `lines` lines of the apiserver's and etcd's logs, for failure messages.
    pub fn log_tails(&self, lines: usize) -> String {
        format!(
            "--- kube-apiserver log tail ---\n{}\n--- etcd log tail ---\n{}",
            lock(&self.apiserver).log_tail(lines),
            lock(&self.etcd).log_tail(lines)
        )
    }

    /// Creates a namespace `<prefix>-<random>` (unique per call) and returns its name. Each test
    /// uses its own. Namespaces are never deleted (there is no namespace controller to finish it).
    pub async fn create_namespace(&self, prefix: &str) -> String {
        let prefix = dns_label_prefix(prefix);
        let namespaces: Api<Namespace> = Api::all(self.client());
        loop {
            let name = format!("{prefix}-{}", random_suffix(6));
            let namespace = Namespace {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    ..Default::default()
                },
                ..Default::default()
            };
            match namespaces.create(&PostParams::default(), &namespace).await {
                Ok(_) => return name,
                // A clash of random suffixes: draw again.
                Err(kube::Error::Api(status)) if status.code == 409 => continue,
                Err(error) => panic!("creating namespace {name}: {error}\n{}", self.log_tails(20)),
            }
        }
    }

    /// Server-side applies `crds` (field manager [`FIELD_MANAGER`], forced), then waits until
    /// every one is Established. Idempotent; concurrent tests may call it with the same CRDs.
    pub async fn apply_crds(&self, crds: &[CustomResourceDefinition]) -> Result<(), TestEnvError> {
        let api: Api<CustomResourceDefinition> = Api::all(self.client());
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut names = Vec::with_capacity(crds.len());
        for crd in crds {
            let name = crd
                .metadata
                .name
                .clone()
                .ok_or(TestEnvError::CrdWithoutName)?;
            let mut crd = crd.clone();
            // Server-owned fields would be preconditions or rejected in an apply request.
            crd.metadata.resource_version = None;
            crd.metadata.managed_fields = None;
            crd.metadata.uid = None;
            crd.metadata.creation_timestamp = None;
            crd.status = None;
            let mut attempts = 0;
            loop {
                attempts += 1;
                match api.patch(&name, &params, &Patch::Apply(&crd)).await {
                    Ok(_) => break,
                    // Concurrent appliers of the same CRD can still race on storage updates.
                    Err(kube::Error::Api(status)) if status.code == 409 && attempts < 5 => continue,
                    Err(source) => {
                        return Err(TestEnvError::kube(format!("applying CRD {name}"), source));
                    }
                }
            }
            names.push(name);
        }
        for name in names {
            let start = Instant::now();
            loop {
                let crd = api
                    .get(&name)
                    .await
                    .map_err(|source| TestEnvError::kube(format!("reading CRD {name}"), source))?;
                let established = crd
                    .status
                    .and_then(|status| status.conditions)
                    .unwrap_or_default()
                    .iter()
                    .any(|condition| {
                        condition.type_ == "Established" && condition.status == "True"
                    });
                if established {
                    break;
                }
                if start.elapsed() >= CRD_ESTABLISHED_TIMEOUT {
                    return Err(TestEnvError::Timeout {
                        what: format!("CRD {name} to become Established"),
                        waited: start.elapsed(),
                        details: String::new(),
                    });
                }
                tokio::time::sleep(crate::polling::POLL_INTERVAL).await;
            }
        }
        Ok(())
    }

    /// Runs the real kubectl against this control plane as admin. The kubeconfig is passed as
    /// `KUBECONFIG` (not `--kubeconfig`) so kubectl plugins work: kubectl only looks for a plugin
    /// when no flag precedes its name, and plugins read `KUBECONFIG` too. `PATH` starts with the
    /// workspace's `target/debug`, so `kubectl smlogs …` runs the freshly built plugin.
    /// Kills kube-apiserver (SIGKILL, as a crash would) and starts it again with the same flags,
    /// port and certificates on the same etcd (which keeps running, so every object survives),
    /// then waits until it serves `/readyz` again. Clients reconnect by themselves; watches see
    /// the interruption. Tests that use this should run in a test binary of their own, since
    /// every other test of the binary shares the apiserver.
    pub async fn restart_apiserver(&self) -> Result<Duration, TestEnvError> {
        let started = Instant::now();
        let restart = self
            .restarts
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        lock(&self.apiserver).kill_hard();
        let fresh = ChildProcess::builder(tool("kube-apiserver"))
            .name(format!("kube-apiserver-restart-{restart}"))
            .args(self.apiserver_args.clone())
            .try_spawn()?;
        *lock(&self.apiserver) = fresh;
        let client = kube::Client::try_from(self.config.clone())
            .map_err(|source| TestEnvError::kube("building the restart client", source))?;
        let deadline = started + startup_timeout();
        loop {
            let request = http::Request::get("/readyz")
                .body(Vec::new())
                .expect("a valid request");
            match client.request_text(request).await {
                Ok(body) if body.trim() == "ok" => return Ok(started.elapsed()),
                _ if Instant::now() >= deadline => {
                    return Err(TestEnvError::io(
                        format!(
                            "kube-apiserver did not become ready within {:?} of its restart",
                            startup_timeout()
                        ),
                        std::io::Error::other(self.log_tails(20)),
                    ));
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn kubectl(&self, args: &[&str]) -> CommandOutput {
        self.kubectl_with_env(args, &[]).await
    }

    /// [`ControlPlane::kubectl`] with `stdin` fed to the command (`kubectl apply -f -`).
    pub async fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> CommandOutput {
        command::run(&tool("kubectl"), args, &self.tool_env(&[]), Some(stdin)).await
    }

    /// [`ControlPlane::kubectl`] with extra environment (e.g. the emulator's `sdk_env()` for a
    /// plugin that calls AWS).
    pub async fn kubectl_with_env(&self, args: &[&str], env: &[(String, String)]) -> CommandOutput {
        command::run(&tool("kubectl"), args, &self.tool_env(env), None).await
    }

    /// Runs the real helm against this control plane as admin (helm's cache, config and data
    /// directories are private to this run).
    pub async fn helm(&self, args: &[&str]) -> CommandOutput {
        self.helm_with_env(args, &[]).await
    }

    pub async fn helm_with_env(&self, args: &[&str], env: &[(String, String)]) -> CommandOutput {
        command::run(&tool("helm"), args, &self.tool_env(env), None).await
    }

    /// Environment for kubectl/helm: our kubeconfig, private caches, our binaries first on PATH.
    fn tool_env(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut path = std::env::join_paths([workspace_target_dir(), tools_bin_dir()])
            .expect("paths without ':'");
        if let Some(inherited) = std::env::var_os("PATH") {
            path.push(":");
            path.push(inherited);
        }
        let dir = |name: &str| self.dir.join(name).display().to_string();
        let mut env = vec![
            (
                "KUBECONFIG".to_owned(),
                self.kubeconfig_path().display().to_string(),
            ),
            ("KUBECACHEDIR".to_owned(), dir("kube-cache")),
            ("HELM_CACHE_HOME".to_owned(), dir("helm/cache")),
            ("HELM_CONFIG_HOME".to_owned(), dir("helm/config")),
            ("HELM_DATA_HOME".to_owned(), dir("helm/data")),
            ("PATH".to_owned(), path.to_string_lossy().into_owned()),
        ];
        env.extend(extra.iter().cloned());
        env
    }
}

fn lock(process: &Mutex<ChildProcess>) -> std::sync::MutexGuard<'_, ChildProcess> {
    process
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `prefix` made into the start of a DNS-1123 label, leaving room for `-` and a 6-char suffix.
fn dns_label_prefix(prefix: &str) -> String {
    let mut label: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .take(63 - 7)
        .collect();
    label = label.trim_matches('-').to_owned();
    if label.is_empty() || !label.starts_with(|c: char| c.is_ascii_lowercase()) {
        label.insert_str(0, "ns");
    }
    label
}

fn random_suffix(length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn random_token() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| format!("{:x}", rng.random_range(0..16u8)))
        .collect()
}

// ---- start-up ---------------------------------------------------------------------------

fn startup_timeout() -> Duration {
    std::env::var(STARTUP_TIMEOUT_ENV)
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(120))
}

/// Starts the control plane; a process that exits early (most likely a port taken between
/// choosing and binding it) gets two more attempts on fresh ports.
pub(crate) fn start_with_retries(
    settings: &ApiServerSettings,
) -> Result<ControlPlane, TestEnvError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| TestEnvError::io("building the start-up runtime", source))?;
    let mut attempt = 1;
    loop {
        match runtime.block_on(start(attempt, settings)) {
            // A fixed port cannot be chosen anew: retrying would only fail again.
            Err(TestEnvError::ExitedEarly { name, log_tail, .. })
                if attempt < 3 && settings.port.is_none() =>
            {
                tracing::warn!(attempt, process = %name, "control-plane process exited during start-up; retrying on new ports");
                eprintln!(
                    "sagemaker-k8s-testenv: {name} exited during start-up (attempt {attempt}); retrying:\n{log_tail}"
                );
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn start(attempt: u32, settings: &ApiServerSettings) -> Result<ControlPlane, TestEnvError> {
    let started_at = Instant::now();
    let dir = run_dir().join(format!("{}-{attempt}", settings.dir_name));
    let cert_dir = dir.join("certs");
    let etcd_data = dir.join("etcd-data");
    for path in [&dir, &cert_dir, &etcd_data] {
        std::fs::create_dir_all(path)
            .map_err(|source| TestEnvError::io(format!("creating {}", path.display()), source))?;
    }

    let tokens = TestUser::ALL.map(|_| random_token());
    let extra_tokens: Vec<(String, String)> = settings
        .extra_users
        .iter()
        .map(|(user, _)| (user.clone(), random_token()))
        .collect();
    let token_file = dir.join("tokens.csv");
    // Format: token,user,uid,"group1,group2"
    let mut token_lines: String = TestUser::ALL
        .iter()
        .map(|user| {
            format!(
                "{},{},{},\"{}\"\n",
                tokens[user.index()],
                user.username(),
                user.username(),
                user.groups()
            )
        })
        .collect();
    for ((user, groups), (_, token)) in settings.extra_users.iter().zip(&extra_tokens) {
        token_lines.push_str(&format!("{token},{user},{user},\"{groups}\"\n"));
    }
    write_private(&token_file, &token_lines)?;

    let service_account_key = dir.join("service-account.key");
    generate_rsa_key(&service_account_key).await?;

    let etcd_client_port = free_port()?;
    let etcd_peer_port = free_port()?;
    let apiserver_port = match settings.port {
        Some(port) => port,
        None => free_port()?,
    };
    let etcd_client_url = format!("http://127.0.0.1:{etcd_client_port}");
    let etcd_peer_url = format!("http://127.0.0.1:{etcd_peer_port}");

    let mut etcd = ChildProcess::builder(tool("etcd"))
        .name("etcd")
        .args([
            "--name=testenv".to_owned(),
            format!("--data-dir={}", etcd_data.display()),
            format!("--listen-client-urls={etcd_client_url}"),
            format!("--advertise-client-urls={etcd_client_url}"),
            format!("--listen-peer-urls={etcd_peer_url}"),
            format!("--initial-advertise-peer-urls={etcd_peer_url}"),
            format!("--initial-cluster=testenv={etcd_peer_url}"),
            // Test data is thrown away; fsync only slows every write on a busy disk.
            "--unsafe-no-fsync".to_owned(),
            "--log-level=warn".to_owned(),
        ])
        .try_spawn()?;

    let bind = &settings.bind_address;
    let server_url = format!("https://{bind}:{apiserver_port}");
    let mut apiserver_args: Vec<String> = vec![
        format!("--etcd-servers={etcd_client_url}"),
        format!("--bind-address={bind}"),
        format!("--advertise-address={bind}"),
        format!("--secure-port={apiserver_port}"),
        format!("--cert-dir={}", cert_dir.display()),
        format!("--token-auth-file={}", token_file.display()),
        format!("--authorization-mode={}", settings.authorization_mode),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local".to_owned(),
        format!(
            "--service-account-key-file={}",
            service_account_key.display()
        ),
        format!(
            "--service-account-signing-key-file={}",
            service_account_key.display()
        ),
        format!(
            "--service-cluster-ip-range={}",
            settings.service_cluster_ip_range
        ),
        // Nothing else runs that would need these, and each costs start-up time.
        "--profiling=false".to_owned(),
        "--endpoint-reconciler-type=none".to_owned(),
    ];
    apiserver_args.extend(settings.extra_args.iter().cloned());
    let mut apiserver = ChildProcess::builder(tool("kube-apiserver"))
        .name("kube-apiserver")
        .args(apiserver_args.clone())
        .try_spawn()?;

    let deadline = started_at + startup_timeout();
    let ready = async {
        let ca_path =
            wait_for_serving_certificate(&cert_dir, &mut etcd, &mut apiserver, deadline).await?;
        let mut kubeconfig_paths = Vec::with_capacity(3);
        for user in TestUser::ALL {
            let path = dir.join(format!("kubeconfig-{}.json", user.username()));
            write_private(
                &path,
                &kubeconfig_json(
                    &server_url,
                    &ca_path,
                    user.username(),
                    &tokens[user.index()],
                ),
            )?;
            kubeconfig_paths.push(path);
        }
        let kubeconfig =
            kube::config::Kubeconfig::read_from(&kubeconfig_paths[TestUser::Admin.index()])
                .map_err(|source| {
                    TestEnvError::kube(
                        "reading the generated kubeconfig",
                        kube::Error::InferKubeconfig(source),
                    )
                })?;
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .map_err(|source| {
            TestEnvError::kube(
                "loading the generated kubeconfig",
                kube::Error::InferKubeconfig(source),
            )
        })?;
        wait_for_readyz(&config, &mut etcd, &mut apiserver, deadline).await?;
        Ok::<_, TestEnvError>((ca_path, kubeconfig_paths, config))
    };
    let (ca_path, kubeconfig_paths, config) = match ready.await {
        Ok(ready) => ready,
        Err(error) => {
            // Stop both before a retry so the next attempt does not compete with them.
            apiserver.kill_hard();
            etcd.kill_hard();
            return Err(error);
        }
    };
    tracing::info!(server = %server_url, elapsed = ?started_at.elapsed(), dir = %dir.display(), "test control plane ready");
    Ok(ControlPlane {
        server_url,
        dir,
        ca_path,
        kubeconfig_paths: kubeconfig_paths
            .try_into()
            .expect("one kubeconfig per user"),
        tokens,
        config,
        etcd: Mutex::new(etcd),
        apiserver: Mutex::new(apiserver),
        apiserver_args,
        restarts: std::sync::atomic::AtomicU32::new(0),
        extra_tokens,
    })
}

fn write_private(path: &Path, contents: &str) -> Result<(), TestEnvError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| TestEnvError::io(format!("creating {}", path.display()), source))?;
    file.write_all(contents.as_bytes())
        .map_err(|source| TestEnvError::io(format!("writing {}", path.display()), source))
}

/// The service-account signing key, from the `openssl` command line tool.
async fn generate_rsa_key(path: &Path) -> Result<(), TestEnvError> {
    let output = tokio::process::Command::new("openssl")
        .arg("genrsa")
        .arg("-out")
        .arg(path)
        .arg("2048")
        .output()
        .await
        .map_err(|source| {
            TestEnvError::io("running `openssl genrsa` (is openssl installed?)", source)
        })?;
    if !output.status.success() {
        return Err(TestEnvError::io(
            format!(
                "`openssl genrsa` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
            std::io::Error::other("openssl genrsa failed"),
        ));
    }
    Ok(())
}

/// A port that was free a moment ago (the OS picks it; another process may still take it first,
/// which the retry in [`start_with_retries`] absorbs).
pub(crate) fn free_port() -> Result<u16, TestEnvError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|source| TestEnvError::io("finding a free port", source))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|source| TestEnvError::io("finding a free port", source))
}

fn kubeconfig_json(server_url: &str, ca_path: &Path, user: &str, token: &str) -> String {
    let kubeconfig = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "testenv", "cluster": {"server": server_url, "certificate-authority": ca_path}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "testenv", "context": {"cluster": "testenv", "user": user, "namespace": "default"}}],
        "current-context": "testenv",
    });
    serde_json::to_string_pretty(&kubeconfig).expect("a JSON value serializes")
}

fn check_still_running(process: &mut ChildProcess) -> Result<(), TestEnvError> {
    match process.try_exit_status() {
        None => Ok(()),
        Some(status) => Err(TestEnvError::ExitedEarly {
            name: process.name().to_owned(),
            status,
            log_path: process.log_path().to_path_buf(),
            log_tail: process.log_tail(40),
        }),
    }
}

fn timeout_error(
    what: &str,
    started: Instant,
    etcd: &ChildProcess,
    apiserver: &ChildProcess,
    last_error: &str,
) -> TestEnvError {
    TestEnvError::Timeout {
        what: what.to_owned(),
        waited: started.elapsed(),
        details: format!(
            " (set {STARTUP_TIMEOUT_ENV} to wait longer)\nlast error: {last_error}\n--- kube-apiserver log tail ({}) ---\n{}\n--- etcd log tail ({}) ---\n{}",
            apiserver.log_path().display(),
            apiserver.log_tail(40),
            etcd.log_path().display(),
            etcd.log_tail(40)
        ),
    }
}

/// kube-apiserver writes its self-signed serving certificate (`apiserver.crt`: the leaf followed
/// by the CA that signed it) into `--cert-dir` before it serves; that file is our CA bundle.
async fn wait_for_serving_certificate(
    cert_dir: &Path,
    etcd: &mut ChildProcess,
    apiserver: &mut ChildProcess,
    deadline: Instant,
) -> Result<PathBuf, TestEnvError> {
    let path = cert_dir.join("apiserver.crt");
    let started = Instant::now();
    let mut previous = String::new();
    loop {
        check_still_running(etcd)?;
        check_still_running(apiserver)?;
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        // Unchanged across two polls and complete: the writer is done with it.
        if !current.is_empty()
            && current == previous
            && current.trim_end().ends_with("-----END CERTIFICATE-----")
        {
            return Ok(path);
        }
        previous = current;
        if Instant::now() >= deadline {
            return Err(timeout_error(
                "kube-apiserver's serving certificate",
                started,
                etcd,
                apiserver,
                "no complete apiserver.crt",
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_readyz(
    config: &kube::Config,
    etcd: &mut ChildProcess,
    apiserver: &mut ChildProcess,
    deadline: Instant,
) -> Result<(), TestEnvError> {
    let client = kube::Client::try_from(config.clone())
        .map_err(|source| TestEnvError::kube("building the start-up client", source))?;
    let started = Instant::now();
    loop {
        check_still_running(etcd)?;
        check_still_running(apiserver)?;
        let request = http::Request::get("/readyz")
            .body(Vec::new())
            .expect("a valid request");
        let last_error = match client.request_text(request).await {
            // Ready can come a moment before the bootstrap controller has created the
            // `default` namespace, which kubectl and tests use without creating it.
            Ok(body) if body.trim() == "ok" => {
                match Api::<Namespace>::all(client.clone())
                    .get_opt("default")
                    .await
                {
                    Ok(Some(_)) => return Ok(()),
                    Ok(None) => "namespace default does not exist yet".to_owned(),
                    Err(error) => error.to_string(),
                }
            }
            Ok(body) => format!("/readyz said {body:?}"),
            Err(error) => error.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(timeout_error(
                "kube-apiserver /readyz and namespace default",
                started,
                etcd,
                apiserver,
                &last_error,
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_prefixes_become_dns_labels() {
        assert_eq!(dns_label_prefix("training-job"), "training-job");
        assert_eq!(dns_label_prefix("Training_Job"), "training-job");
        assert_eq!(dns_label_prefix("--x--"), "x");
        assert_eq!(dns_label_prefix("9lives"), "ns9lives");
        assert_eq!(dns_label_prefix(""), "ns");
        let long = dns_label_prefix(&"a".repeat(100));
        assert!(long.len() + 7 <= 63, "{} chars", long.len());
    }

    #[test]
    fn tokens_are_random_hex() {
        let (first, second) = (random_token(), random_token());
        assert_eq!(first.len(), 32);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }
}
