use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use sagemaker_k8s_testenv::{
    ChildProcess, Emulator, Moto, TestEnvError, process_is_running, wait_until,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal HTTP/1.1 GET (the tests need nothing more): status code and body.
async fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .unwrap_or_else(|error| panic!("connect {url}: {error}"));
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn emulator_announces_its_endpoint_and_is_killed_on_drop() {
    let mut emulator = Emulator::start(&["--time-scale", "0.01"]).await;
    assert!(
        emulator.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        emulator.endpoint
    );
    let (status, body) = http_get(&emulator.url("/_emulator/health")).await;
    assert_eq!(status, 200, "{body}");

    let env = emulator.sdk_env();
    let value = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    assert_eq!(value("AWS_ENDPOINT_URL"), Some(emulator.endpoint.clone()));
    assert_eq!(value("AWS_EC2_METADATA_DISABLED").as_deref(), Some("true"));
    assert!(
        value("AWS_REGION").is_some()
            && value("AWS_ACCESS_KEY_ID").is_some()
            && value("AWS_SECRET_ACCESS_KEY").is_some()
    );

    let pid = emulator.process().pid();
    assert!(process_is_running(pid));
    drop(emulator);
    assert!(
        !process_is_running(pid),
        "the emulator (pid {pid}) must be dead after drop"
    );
}

#[tokio::test]
async fn emulator_that_refuses_its_arguments_is_an_error_with_its_log() {
    let error = Emulator::try_start(&["--time-scale=0"])
        .await
        .expect_err("a time scale of 0 is invalid");
    match &error {
        TestEnvError::ExitedEarly { name, log_tail, .. } => {
            assert_eq!(name, "sagemaker-emulator");
            assert!(
                log_tail.contains("time-scale"),
                "the log should say what was wrong: {log_tail}"
            );
        }
        other => panic!("expected ExitedEarly, got {other}"),
    }
}

#[tokio::test]
async fn moto_answers_when_python_is_configured() {
    let Some(mut moto) = Moto::start().await else {
        return;
    };
    let (status, _) = http_get(&format!("{}/moto-api/", moto.endpoint)).await;
    assert_eq!(status, 200);
    let pid = moto.process().pid();
    drop(moto);
    assert!(
        !process_is_running(pid),
        "moto (pid {pid}) must be dead after drop"
    );
}

fn shell(script: &str) -> ChildProcess {
    ChildProcess::builder("/bin/sh")
        .name("test-shell")
        .args(["-c", script])
        .spawn()
}

#[tokio::test]
async fn child_process_terminate_sends_sigterm_and_waits() {
    let mut child =
        shell("trap 'echo got SIGTERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done");
    child.wait_for_log("ready", Duration::from_secs(10)).await;
    let status = child.terminate().await;
    assert_eq!(
        status.code(),
        Some(7),
        "the trap's exit code shows SIGTERM arrived"
    );
    assert!(
        child.log_contents().contains("got SIGTERM"),
        "{}",
        child.log_contents()
    );
    assert!(!process_is_running(child.pid()));
}

#[tokio::test]
async fn child_process_kill_hard_is_sigkill() {
    let mut child = shell("trap 'echo ignored' TERM; echo ready; while :; do sleep 0.05; done");
    child.wait_for_log("ready", Duration::from_secs(10)).await;
    let status = child.kill_hard();
    assert_eq!(status.signal(), Some(libc_sigkill()));
    assert!(!child.log_contents().contains("ignored"));
    // Killing twice reports the same status instead of failing.
    assert_eq!(child.kill_hard().signal(), Some(libc_sigkill()));
}

#[tokio::test]
async fn child_process_gets_env_and_args_and_reports_exit() {
    let mut child = ChildProcess::builder("/bin/sh")
        .args(["-c", "echo \"$GREETING $0 in $WHERE\"; exit 3", "world"])
        .env("GREETING", "hello")
        .env("WHERE", std::path::Path::new("/tmp"))
        .spawn();
    let status = wait_until(Duration::from_secs(10), "the shell to exit", || {
        let status = child.try_exit_status();
        async move { status }
    })
    .await;
    assert_eq!(status.code(), Some(3));
    assert_eq!(child.log_contents().trim(), "hello world in /tmp");
}

#[tokio::test]
async fn child_process_of_a_missing_program_is_a_clear_error() {
    let error = ChildProcess::builder("/nonexistent/operator")
        .try_spawn()
        .expect_err("no such program");
    assert!(
        matches!(error, TestEnvError::MissingExecutable { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("/nonexistent/operator"),
        "{error}"
    );
}

#[tokio::test]
async fn wait_until_panics_with_what_and_elapsed_time() {
    let outcome = tokio::spawn(async {
        wait_until(
            Duration::from_millis(200),
            "a condition that never holds",
            || async { None::<()> },
        )
        .await
    })
    .await;
    let panic = outcome
        .expect_err("wait_until must panic at the deadline")
        .into_panic();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("a condition that never holds"),
        "{message}"
    );
    assert!(message.contains("timed out after"), "{message}");
}

fn libc_sigkill() -> i32 {
    9
}
