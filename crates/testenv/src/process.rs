//! Child processes that cannot outlive the test binary.
//!
//! The Rust test harness never drops statics and a test binary can die by SIGKILL or Ctrl-C, so
//! destructors alone would leave etcd and kube-apiserver running. Three layers prevent that:
//!
//! 1. Every child is started with `PR_SET_PDEATHSIG(SIGKILL)`: the kernel kills it when its
//!    parent dies. The "parent" is the *thread* that forked it, and test threads end with their
//!    test, so all children are forked by one keeper thread that lives until the process ends.
//! 2. An `atexit` handler SIGKILLs and reaps the remaining children and removes this run's
//!    temporary directory, so a normal exit (all tests passed or some failed) leaves nothing.
//! 3. A run that was killed cannot clean its directory; the next run removes the directories of
//!    runs whose process is gone (see [`run_dir`]).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::error::TestEnvError;

/// Set (to anything but empty) to keep this run's temporary directory (logs, etcd data) after
/// the test binary exits; its path is printed at exit.
pub const KEEP_RUN_DIR_ENV: &str = "SAGEMAKER_K8S_TESTENV_KEEP";

const RUN_DIR_PREFIX: &str = "run-";

/// The parent of all runs' directories, `$TMPDIR/sagemaker-k8s-testenv`.
pub fn runs_root() -> PathBuf {
    std::env::temp_dir().join("sagemaker-k8s-testenv")
}

/// This process's temporary directory, `$TMPDIR/sagemaker-k8s-testenv/run-<pid>-<random>`:
/// etcd data, certificates, kubeconfigs and every child's log. Removed when the process exits
/// (unless `SAGEMAKER_K8S_TESTENV_KEEP` is set).
pub fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = runs_root();
        std::fs::create_dir_all(&root)
            .unwrap_or_else(|error| panic!("creating {}: {error}", root.display()));
        remove_stale_run_dirs();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{RUN_DIR_PREFIX}{}-", std::process::id()))
            .tempdir_in(&root)
            .unwrap_or_else(|error| {
                panic!("creating a run directory in {}: {error}", root.display())
            })
            // Removal is the exit handler's job (statics are never dropped).
            .keep();
        std::fs::create_dir_all(dir.join("logs")).expect("creating the logs directory");
        register_exit_cleanup();
        lock_exit_cleanup().run_dir = Some(dir.clone());
        dir
    })
}

/// Removes the `run-<pid>-*` directories of processes that no longer run (test binaries that were
/// SIGKILLed and so could not clean up). Called when a run directory is created.
pub fn remove_stale_run_dirs() {
    let Ok(entries) = std::fs::read_dir(runs_root()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(RUN_DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_is_running(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether `pid` names a live process (zombies count as gone).
pub fn process_is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

// ---- exit cleanup -------------------------------------------------------------------------

struct ExitCleanup {
    pids: Vec<u32>,
    run_dir: Option<PathBuf>,
    hooks: Vec<ExitHook>,
}

/// Work that must happen at exit before the remaining children are killed and the run
/// directory removed (the node cluster: stop its processes in order, kill the containers,
/// unmount, restore the host). It may kill and reap children itself; it removes those pids
/// from the list it is given so they are not signalled again.
pub(crate) type ExitHook = fn(&mut Vec<u32>);

static EXIT_CLEANUP: Mutex<ExitCleanup> = Mutex::new(ExitCleanup {
    pids: Vec::new(),
    run_dir: None,
    hooks: Vec::new(),
});

/// Registers `hook` to run first at exit (see [`ExitHook`]).
pub(crate) fn register_exit_hook(hook: ExitHook) {
    register_exit_cleanup();
    lock_exit_cleanup().hooks.push(hook);
}

fn lock_exit_cleanup() -> std::sync::MutexGuard<'static, ExitCleanup> {
    EXIT_CLEANUP
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn register_exit_cleanup() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // SAFETY: registers a plain `extern "C" fn` with no arguments, as atexit requires.
        let result = unsafe { libc::atexit(cleanup_at_exit) };
        if result != 0 {
            tracing::warn!(
                "atexit registration failed; children still die with the process (PDEATHSIG)"
            );
        }
    });
}

extern "C" fn cleanup_at_exit() {
    // A thread may hold the lock while the process exits; then leave the work to PDEATHSIG and
    // the next run's stale-directory removal rather than deadlock the exit.
    let mut cleanup = match EXIT_CLEANUP.try_lock() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    let hooks = std::mem::take(&mut cleanup.hooks);
    for hook in hooks {
        hook(&mut cleanup.pids);
    }
    for pid in cleanup.pids.drain(..) {
        // SAFETY: plain syscalls on a pid this process spawned and has not reaped yet.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
            libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
        }
    }
    if let Some(dir) = cleanup.run_dir.take() {
        if std::env::var_os(KEEP_RUN_DIR_ENV).is_some_and(|value| !value.is_empty()) {
            eprintln!("sagemaker-k8s-testenv: kept {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

// ---- spawning -----------------------------------------------------------------------------

type SpawnJob = Box<dyn FnOnce() + Send>;

/// The thread that forks every child (see the module docs for why one long-lived thread).
fn keeper() -> &'static mpsc::Sender<SpawnJob> {
    static KEEPER: OnceLock<mpsc::Sender<SpawnJob>> = OnceLock::new();
    KEEPER.get_or_init(|| {
        let (sender, jobs) = mpsc::channel::<SpawnJob>();
        std::thread::Builder::new()
            .name("testenv-process-keeper".into())
            .spawn(move || {
                // The sender is in a static, so this loop only ends with the process.
                for job in jobs {
                    job();
                }
            })
            .expect("starting the process keeper thread");
        sender
    })
}

/// Spawns `command` from the keeper thread with PDEATHSIG set and records its pid for the exit
/// handler.
fn spawn_tied_to_this_process(mut command: Command) -> io::Result<Child> {
    let parent_pid = std::process::id();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe calls.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl; then nobody would kill us.
            if libc::getppid() as u32 != parent_pid {
                libc::raise(libc::SIGKILL);
            }
            Ok(())
        });
    }
    let (reply, spawned) = mpsc::sync_channel(1);
    keeper()
        .send(Box::new(move || {
            let _ = reply.send(command.spawn());
        }))
        .expect("the process keeper thread is gone");
    let child = spawned
        .recv()
        .expect("the process keeper thread dropped a spawn request")?;
    lock_exit_cleanup().pids.push(child.id());
    Ok(child)
}

fn forget_pid(pid: u32) {
    lock_exit_cleanup()
        .pids
        .retain(|registered| *registered != pid);
}

/// A fresh log file `<run dir>/logs/<name>-<n>.log`.
fn new_log_file(name: &str) -> Result<(File, PathBuf), TestEnvError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let number = COUNTER.fetch_add(1, Ordering::Relaxed);
    let safe_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = run_dir()
        .join("logs")
        .join(format!("{safe_name}-{number}.log"));
    let file = File::options()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| {
            TestEnvError::io(format!("creating log file {}", path.display()), source)
        })?;
    Ok((file, path))
}

/// The last `lines` lines of a file (all of it if shorter), for failure messages.
pub(crate) fn tail_of_file(path: &Path, lines: usize) -> String {
    const MAX_BYTES: u64 = 64 * 1024;
    let Ok(mut file) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let length = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(MAX_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// How to start a [`ChildProcess`]: program, arguments, environment.
#[derive(Debug, Clone)]
pub struct ChildProcessBuilder {
    program: PathBuf,
    name: String,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_remove: Vec<OsString>,
    current_dir: Option<PathBuf>,
}

impl ChildProcessBuilder {
    /// The name used in log file names and messages (default: the program's file name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets one environment variable (the rest of the test's environment is inherited). Paths
    /// work as values: `.env("KUBECONFIG", control_plane.kubeconfig_path())`.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.env.extend(
            vars.into_iter()
                .map(|(key, value)| (key.as_ref().to_owned(), value.as_ref().to_owned())),
        );
        self
    }

    /// Removes a variable the test's own environment would otherwise pass on.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env_remove.push(key.as_ref().to_owned());
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Starts the process, stdout and stderr both going to its log file. Panics on failure.
    pub fn spawn(self) -> ChildProcess {
        let description = format!("{} ({})", self.name, self.program.display());
        self.try_spawn()
            .unwrap_or_else(|error| panic!("starting {description}: {error}"))
    }

    pub fn try_spawn(self) -> Result<ChildProcess, TestEnvError> {
        self.spawn_inner(false).map(|(process, _)| process)
    }

    /// Starts the process with stdout piped to the caller (stderr to the log file), for children
    /// that announce something on stdout; the caller must keep draining it.
    pub(crate) fn spawn_with_stdout(self) -> Result<(ChildProcess, ChildStdout), TestEnvError> {
        let (process, stdout) = self.spawn_inner(true)?;
        Ok((process, stdout.expect("stdout was piped")))
    }

    fn spawn_inner(
        self,
        pipe_stdout: bool,
    ) -> Result<(ChildProcess, Option<ChildStdout>), TestEnvError> {
        if !crate::locations::is_executable(&self.program) {
            return Err(TestEnvError::MissingExecutable {
                path: self.program.clone(),
                hint: "build it (`cargo build --workspace --bins`) or install it (`scripts/tools install`)".into(),
            });
        }
        let (log, log_path) = new_log_file(&self.name)?;
        let log_for_stderr = log.try_clone().map_err(|source| {
            TestEnvError::io(format!("cloning {}", log_path.display()), source)
        })?;
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stderr(Stdio::from(log_for_stderr));
        if pipe_stdout {
            command.stdout(Stdio::piped());
        } else {
            command.stdout(Stdio::from(log));
        }
        for key in &self.env_remove {
            command.env_remove(key);
        }
        command.envs(self.env.iter().map(|(key, value)| (key, value)));
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        let mut child = spawn_tied_to_this_process(command).map_err(|source| {
            TestEnvError::io(format!("spawning {}", self.program.display()), source)
        })?;
        tracing::debug!(name = %self.name, pid = child.id(), log = %log_path.display(), "started child process");
        let stdout = child.stdout.take();
        Ok((
            ChildProcess {
                name: self.name,
                child,
                log_path,
                exit_status: None,
            },
            stdout,
        ))
    }
}

/// A child process (etcd, kube-apiserver, the emulator, moto, the operator) that cannot outlive
/// the test binary: it is SIGKILLed on drop, at exit, and by the kernel if the test binary dies.
///
/// Independent of any tokio runtime (it wraps `std::process::Child`), so it can be shared
/// between tests; only [`ChildProcess::terminate`] and [`ChildProcess::wait_for_log`] need a
/// runtime's timer while they run.
#[derive(Debug)]
pub struct ChildProcess {
    name: String,
    child: Child,
    log_path: PathBuf,
    exit_status: Option<ExitStatus>,
}

impl ChildProcess {
    /// Starts describing a process to run; see [`ChildProcessBuilder`].
    pub fn builder(program: impl Into<PathBuf>) -> ChildProcessBuilder {
        let program = program.into();
        let name = program
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "child".into());
        ChildProcessBuilder {
            program,
            name,
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            current_dir: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file with the process's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn log_contents(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The last `lines` lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_of_file(&self.log_path, lines)
    }

    /// The exit status if the process has ended (reaping it), `None` while it runs.
    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        if self.exit_status.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.record_exit(status);
        }
        self.exit_status
    }

    pub fn is_running(&mut self) -> bool {
        self.try_exit_status().is_none()
    }

    /// SIGKILL, then reap: the process gets no chance to clean up (a crash).
    pub fn kill_hard(&mut self) -> ExitStatus {
        if let Some(status) = self.try_exit_status() {
            return status;
        }
        let _ = self.child.kill();
        let status = self.child.wait().expect("waiting for a SIGKILLed child");
        self.record_exit(status);
        status
    }

    /// SIGTERM, then wait up to 10 s for the process to exit (SIGKILL after that).
    pub async fn terminate(&mut self) -> ExitStatus {
        self.terminate_within(Duration::from_secs(10)).await
    }

    /// SIGTERM, then wait up to `grace` for the process to exit (SIGKILL after that, with a
    /// warning in the test output, since a process ignoring SIGTERM is usually a bug).
    pub async fn terminate_within(&mut self, grace: Duration) -> ExitStatus {
        if let Some(status) = self.try_exit_status() {
            return status;
        }
        // SAFETY: signals a child this struct owns and has not reaped, so the pid is still ours.
        unsafe {
            libc::kill(self.pid() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.try_exit_status() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        eprintln!(
            "{} (pid {}) ignored SIGTERM for {grace:?}; sending SIGKILL",
            self.name,
            self.pid()
        );
        self.kill_hard()
    }

    /// Waits until the log contains `needle`; panics after `timeout` (or when the process exits
    /// without having logged it) showing the log's tail.
    pub async fn wait_for_log(&mut self, needle: &str, timeout: Duration) {
        let start = std::time::Instant::now();
        loop {
            if self.log_contents().contains(needle) {
                return;
            }
            if let Some(status) = self.try_exit_status() {
                if self.log_contents().contains(needle) {
                    return;
                }
                panic!(
                    "{} exited ({status}) without logging {needle:?}; log tail:\n{}",
                    self.name,
                    self.log_tail(40)
                );
            }
            if start.elapsed() >= timeout {
                panic!(
                    "timed out after {:.1?} waiting for {} to log {needle:?}; log tail:\n{}",
                    start.elapsed(),
                    self.name,
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(crate::polling::POLL_INTERVAL).await;
        }
    }

    fn record_exit(&mut self, status: ExitStatus) {
        self.exit_status = Some(status);
        forget_pid(self.child.id());
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}
