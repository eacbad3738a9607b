use std::collections::BTreeMap;
use std::time::Duration;

use sagemaker_k8s_testenv::{Emulator, wait_until};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::*;

/// `-f` on a job that is still running and has no streams yet: it waits, prints events as they
/// are written (no duplicate, none missed across polls) and exits 0 once the job has ended.
#[tokio::test]
async fn follow_prints_each_event_once_and_exits_when_the_job_ends() {
    let emulator = Emulator::start(&[]).await;
    let logs = logs_client(&emulator.endpoint).await;
    let ns = cluster().await.create_namespace("smlogs-follow").await;
    create_object(&ns, "TrainingJob", "fobj", json!({
        "trainingJobStatus": "InProgress", "secondaryStatus": "Training", "sageMakerTrainingJobName": "fjob"
    }))
    .await;
    let mut child = smlogs_command(
        &emulator.sdk_env(),
        &[
            "trainingjob",
            "fobj",
            "-n",
            &ns,
            "-f",
            "--poll-interval",
            "200ms",
            "--timestamps",
            "none",
        ],
    )
    .await
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let printed = tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut all = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            all.push(line);
        }
        all
    });
    // The summary, then the notice that it waits for streams.
    let waiting = tokio::time::timeout(Duration::from_secs(30), async {
        let mut seen = String::new();
        while let Some(line) = stderr_lines.next_line().await.unwrap() {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("No log streams") {
                break;
            }
        }
        seen
    })
    .await
    .expect("plugin says it waits for streams");
    assert!(waiting.contains("waiting"), "{waiting}");

    let base = now_ms() - 100_000;
    let mut written = 0;
    for round in 0..5_i64 {
        for instance in 1..=2 {
            let events: Vec<(i64, String)> = (0..20)
                .map(|i| {
                    (
                        base + round * 1000 + i * 10 + instance,
                        format!("algo-{instance} r{round} e{i}"),
                    )
                })
                .collect();
            written += events.len();
            seed(
                &logs,
                TRAINING_GROUP,
                &format!("fjob/algo-{instance}-1"),
                &events,
            )
            .await;
        }
        // Let at least one poll happen between rounds so events arrive across polls.
        let calls_before = get_log_event_calls(&emulator).await;
        wait_until(
            Duration::from_secs(20),
            "the plugin polls again",
            || async { (get_log_event_calls(&emulator).await > calls_before + 1).then_some(()) },
        )
        .await;
    }
    // Written before the job ends, read after: must still be printed.
    seed(
        &logs,
        TRAINING_GROUP,
        "fjob/algo-1-1",
        &[(base + 99_000, "last words".into())],
    )
    .await;
    written += 1;
    set_status(
        &ns,
        "TrainingJob",
        "fobj",
        json!({"trainingJobStatus": "Completed", "secondaryStatus": "Completed"}),
    )
    .await;

    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after the job ended")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let lines = printed.await.unwrap();
    assert_eq!(lines.len(), written, "every event once");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &lines {
        *counts.entry(line.as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n == 1), "duplicates: {counts:?}");
    assert_eq!(lines.last().unwrap(), "fjob/algo-1-1 last words");
}

async fn get_log_event_calls(emulator: &Emulator) -> u64 {
    let body = reqwest_get(&emulator.url("/_emulator/calls")).await;
    let calls: serde_json::Value = serde_json::from_str(&body).unwrap();
    calls
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.contains("GetLogEvents"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

/// A plain HTTP GET over a TCP socket: the control API is local, unauthenticated HTTP/1.1.
async fn reqwest_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // Chunked: keep the chunk data lines only.
        body.split("\r\n")
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect()
    } else {
        body.to_owned()
    }
}

/// Ctrl-C (SIGINT) while following stops the plugin promptly with exit code 130.
#[tokio::test]
async fn interrupt_while_following_exits_130() {
    let emulator = Emulator::start(&[]).await;
    let logs = logs_client(&emulator.endpoint).await;
    seed(
        &logs,
        TRAINING_GROUP,
        "ijob/algo-1-1",
        &[(now_ms() - 1_000, "running".into())],
    )
    .await;
    let ns = cluster().await.create_namespace("smlogs-interrupt").await;
    create_object(
        &ns,
        "TrainingJob",
        "iobj",
        json!({"trainingJobStatus": "InProgress", "sageMakerTrainingJobName": "ijob"}),
    )
    .await;
    let mut child = smlogs_command(
        &emulator.sdk_env(),
        &[
            "trainingjob",
            "iobj",
            "-n",
            &ns,
            "-f",
            "--poll-interval",
            "100ms",
        ],
    )
    .await
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("first event printed")
        .unwrap();
    assert!(first.unwrap().ends_with(" running"));
    let pid = child.id().unwrap().to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGINT")
        .unwrap();
    assert_eq!(status.code(), Some(130));
}

/// The Logs endpoint comes from the SDK's service-specific variable, which wins over the
/// general one (here pointing nowhere).
#[tokio::test]
async fn cloudwatch_logs_endpoint_variable_is_honoured() {
    let emulator = Emulator::start(&[]).await;
    let logs = logs_client(&emulator.endpoint).await;
    seed(
        &logs,
        TRAINING_GROUP,
        "ejob/algo-1-1",
        &[(now_ms() - 1_000, "via logs endpoint".into())],
    )
    .await;
    let ns = cluster().await.create_namespace("smlogs-endpoint").await;
    create_object(
        &ns,
        "TrainingJob",
        "eobj",
        json!({"trainingJobStatus": "Completed", "sageMakerTrainingJobName": "ejob"}),
    )
    .await;
    let mut env: Vec<(String, String)> = emulator
        .sdk_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL")
        .collect();
    env.push(("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()));
    env.push((
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS".into(),
        emulator.endpoint.clone(),
    ));
    let output = smlogs(&env, &["trainingjob", "eobj", "-n", &ns]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(parse_line(&stdout_lines(&output)[0]).1, "via logs endpoint");
}
