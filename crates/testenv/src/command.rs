//! Short-lived commands (kubectl, helm) and what they printed.

use std::fmt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

use tokio::io::AsyncWriteExt;

/// What a finished command printed and how it exited.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// The command line, for messages.
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Returns `self` if the command succeeded; panics showing its stdout and stderr otherwise.
    #[track_caller]
    pub fn expect_success(self) -> Self {
        assert!(self.success(), "command failed: {self}");
        self
    }

    /// Returns `self` if the command failed; panics showing its output if it succeeded.
    #[track_caller]
    pub fn expect_failure(self) -> Self {
        assert!(!self.success(), "command unexpectedly succeeded: {self}");
        self
    }
}

impl fmt::Display for CommandOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `program` to completion with `args`, extra `env`, and `stdin` if given. Panics only if
/// the program cannot be started at all; a non-zero exit is reported in the output.
pub(crate) async fn run(
    program: &Path,
    args: &[&str],
    env: &[(String, String)],
    stdin: Option<&str>,
) -> CommandOutput {
    let command_line = std::iter::once(
        program
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
    .chain(args.iter().map(|arg| (*arg).to_owned()))
    .collect::<Vec<_>>()
    .join(" ");
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A test that times out drops this future; the command must not linger.
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("starting `{command_line}`: {error}"));
    let input = child.stdin.take();
    let feed = async {
        if let (Some(mut input), Some(text)) = (input, stdin) {
            // A command may exit without reading all of stdin; its output says why.
            let _ = input.write_all(text.as_bytes()).await;
        }
    };
    // Feed stdin while collecting output, or a command that writes a lot before reading blocks.
    let ((), output) = tokio::join!(feed, child.wait_with_output());
    let output = output.unwrap_or_else(|error| panic!("waiting for `{command_line}`: {error}"));
    CommandOutput {
        command: command_line,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
