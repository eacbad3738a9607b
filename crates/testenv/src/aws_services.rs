//! AWS API servers as child processes: the workspace's SageMaker emulator and moto.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ChildStdout;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::control_plane::free_port;
use crate::error::TestEnvError;
use crate::locations::workspace_target_dir;
use crate::process::ChildProcess;

/// Environment variable with the Python interpreter of the venv that has moto (set by
/// `scripts/test`).
pub const PYTHON_ENV: &str = "SAGEMAKER_K8S_PYTHON";

/// The region every test uses.
pub const TEST_REGION: &str = "us-west-2";

const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(30);
const MOTO_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Environment that points an AWS SDK (in a child process) at `endpoint` with dummy credentials
/// and nothing from the host: no profile files, no instance metadata.
pub fn aws_sdk_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        // The operator's own endpoint variable (see docs/dev/CONTRACTS.md).
        ("AWS_DEFAULT_SAGEMAKER_ENDPOINT", endpoint),
        ("AWS_ACCESS_KEY_ID", "AKIDTESTENVEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "testenv-secret-access-key"),
        ("AWS_REGION", TEST_REGION),
        ("AWS_DEFAULT_REGION", TEST_REGION),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// The workspace's `sagemaker-emulator` on a free 127.0.0.1 port, killed on drop.
#[derive(Debug)]
pub struct Emulator {
    /// `http://127.0.0.1:PORT`, as the emulator announced it.
    pub endpoint: String,
    process: ChildProcess,
}

impl Emulator {
    /// Starts `target/debug/sagemaker-emulator --listen 127.0.0.1:0 <extra_args>` and waits for
    /// the endpoint URL on its first stdout line. Panics (with the emulator's log) on failure.
    pub async fn start(extra_args: &[&str]) -> Emulator {
        Self::try_start(extra_args)
            .await
            .unwrap_or_else(|error| panic!("starting the SageMaker emulator: {error}"))
    }

    pub async fn try_start(extra_args: &[&str]) -> Result<Emulator, TestEnvError> {
        Self::try_start_on("127.0.0.1", extra_args).await
    }

    /// Like [`Emulator::start`], listening on `ip` (a free port): the node cluster's pods reach
    /// the emulator on the node's address ([`crate::NODE_IP`]), which exists only on this machine.
    pub async fn start_on(ip: &str, extra_args: &[&str]) -> Emulator {
        Self::try_start_on(ip, extra_args)
            .await
            .unwrap_or_else(|error| panic!("starting the SageMaker emulator on {ip}: {error}"))
    }

    pub async fn try_start_on(ip: &str, extra_args: &[&str]) -> Result<Emulator, TestEnvError> {
        let (mut process, stdout) =
            ChildProcess::builder(workspace_target_dir().join("sagemaker-emulator"))
                .name("sagemaker-emulator")
                .args(["--listen", &format!("{ip}:0")])
                .args(extra_args.iter().copied())
                .spawn_with_stdout()?;
        let (announce, announced) = tokio::sync::oneshot::channel();
        let log_path = process.log_path().to_path_buf();
        std::thread::Builder::new()
            .name("testenv-emulator-stdout".into())
            .spawn(move || drain_stdout(stdout, &log_path, announce))
            .map_err(|source| TestEnvError::io("starting the emulator's stdout reader", source))?;
        let endpoint = match tokio::time::timeout(ANNOUNCE_TIMEOUT, announced).await {
            Ok(Ok(line)) => line.trim().to_owned(),
            Ok(Err(_closed)) => return Err(exited_or_closed(&mut process).await),
            Err(_elapsed) => {
                return Err(TestEnvError::Timeout {
                    what: "the emulator's endpoint line on stdout".into(),
                    waited: ANNOUNCE_TIMEOUT,
                    details: format!(
                        "\n--- emulator log ({}) ---\n{}",
                        process.log_path().display(),
                        process.log_tail(40)
                    ),
                });
            }
        };
        if !endpoint.starts_with(&format!("http://{ip}:")) {
            return Err(TestEnvError::io(
                format!(
                    "the emulator's first stdout line must be its endpoint `http://{ip}:PORT`, got {endpoint:?}"
                ),
                std::io::Error::other("unexpected announcement"),
            ));
        }
        tracing::debug!(%endpoint, log = %process.log_path().display(), "emulator started");
        Ok(Emulator { endpoint, process })
    }

    /// Environment for a child process's AWS SDK: this endpoint, dummy credentials, test region.
    pub fn sdk_env(&self) -> Vec<(String, String)> {
        aws_sdk_env(&self.endpoint)
    }

    /// `<endpoint><path>`, e.g. `control_url("/_emulator/calls")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// The emulator's stdout + stderr.
    pub fn log_path(&self) -> &Path {
        self.process.log_path()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    /// The process, e.g. to SIGKILL it to simulate an outage.
    pub fn process(&mut self) -> &mut ChildProcess {
        &mut self.process
    }
}

/// Sends the first stdout line to `announce` and appends every line to the log, until EOF (the
/// pipe must be drained or the emulator blocks once it fills).
fn drain_stdout(
    stdout: ChildStdout,
    log_path: &Path,
    announce: tokio::sync::oneshot::Sender<String>,
) {
    let mut log = std::fs::File::options().append(true).open(log_path).ok();
    let mut announce = Some(announce);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(announce) = announce.take() {
            let _ = announce.send(line.clone());
        }
        if let Some(log) = log.as_mut() {
            let _ = writeln!(log, "{line}");
        }
    }
}

/// Why a child closed stdout before announcing: its exit status if it exits soon.
async fn exited_or_closed(process: &mut ChildProcess) -> TestEnvError {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Some(status) = process.try_exit_status() {
            return TestEnvError::ExitedEarly {
                name: process.name().to_owned(),
                status,
                log_path: process.log_path().to_path_buf(),
                log_tail: process.log_tail(40),
            };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    TestEnvError::io(
        format!(
            "{} closed stdout without printing its endpoint; log:\n{}",
            process.name(),
            process.log_tail(40)
        ),
        std::io::Error::other("stdout closed"),
    )
}

/// `moto.server` (all of AWS, mocked, from the Python venv) on a free 127.0.0.1 port, killed on
/// drop. Used to cross-check the emulator against an independent implementation.
#[derive(Debug)]
pub struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    process: ChildProcess,
}

impl Moto {
    /// Starts moto with `$SAGEMAKER_K8S_PYTHON -m moto.server`. Returns `None` (printing why)
    /// when that variable is unset outside CI, so `cargo test` without `scripts/test` still
    /// runs; under CI (`CI` set) a missing interpreter is a failure and this panics.
    pub async fn start() -> Option<Moto> {
        let python = match std::env::var(PYTHON_ENV) {
            Ok(python) if !python.is_empty() => python,
            _ => {
                let reason =
                    format!("{PYTHON_ENV} is not set (scripts/test sets it to a venv with moto)");
                if std::env::var("CI").is_ok_and(|ci| !ci.is_empty()) {
                    panic!("moto is required under CI: {reason}");
                }
                eprintln!("skipping the moto part of this test: {reason}");
                return None;
            }
        };
        let mut last_error = None;
        for _attempt in 0..3 {
            match Self::try_start_with(Path::new(&python)).await {
                Ok(moto) => return Some(moto),
                // Most likely the chosen port was taken before moto bound it.
                Err(error @ TestEnvError::ExitedEarly { .. }) => last_error = Some(error),
                Err(error) => panic!("starting moto: {error}"),
            }
        }
        panic!(
            "starting moto: {}",
            last_error.expect("three failed attempts")
        );
    }

    async fn try_start_with(python: &Path) -> Result<Moto, TestEnvError> {
        let port = free_port()?;
        let mut process = ChildProcess::builder(python)
            .name("moto")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .try_spawn()?;
        let start = Instant::now();
        loop {
            if let Some(status) = process.try_exit_status() {
                return Err(TestEnvError::ExitedEarly {
                    name: "moto".into(),
                    status,
                    log_path: process.log_path().to_path_buf(),
                    log_tail: process.log_tail(40),
                });
            }
            if answers_http(port).await {
                return Ok(Moto {
                    endpoint: format!("http://127.0.0.1:{port}"),
                    process,
                });
            }
            if start.elapsed() >= MOTO_START_TIMEOUT {
                return Err(TestEnvError::Timeout {
                    what: format!("moto to answer on 127.0.0.1:{port}"),
                    waited: start.elapsed(),
                    details: format!("\n--- moto log ---\n{}", process.log_tail(40)),
                });
            }
            tokio::time::sleep(crate::polling::POLL_INTERVAL).await;
        }
    }

    /// Environment for a child process's AWS SDK pointing at moto.
    pub fn sdk_env(&self) -> Vec<(String, String)> {
        aws_sdk_env(&self.endpoint)
    }

    pub fn log_path(&self) -> &Path {
        self.process.log_path()
    }

    pub fn process(&mut self) -> &mut ChildProcess {
        &mut self.process
    }
}

/// Whether something on `port` answers an HTTP request with an HTTP status line.
async fn answers_http(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        stream
            .write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.ok()?;
        head.starts_with(b"HTTP/1.").then_some(())
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .ok()
        .flatten()
        .is_some()
}
