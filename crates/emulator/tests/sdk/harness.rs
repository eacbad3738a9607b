//! Starts the built emulator as a child process and builds real AWS SDK clients pointed at it.

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_sagemaker::config::{Credentials, Region};

pub const TEST_KEY: &str = "AKIDEMULATORTEST";
pub const TEST_SECRET: &str = "emulator-test-secret";

pub struct Emulator {
    child: Child,
    pub url: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    /// An emulator at time scale 0.01: a default training job (60 emulated s) takes 0.6 s.
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sagemaker-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--time-scale",
                "0.01",
                "--log-level",
                "warn",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("emulator binary starts");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().expect("stdout piped"))
            .read_line(&mut first_line)
            .expect("first stdout line");
        let url = first_line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first stdout line is the URL, got {url:?}"
        );
        Emulator { child, url }
    }

    pub async fn sdk_config(
        &self,
        retry: RetryConfig,
        key: &str,
        secret: &str,
    ) -> aws_config::SdkConfig {
        self.sdk_config_in("us-east-1", retry, key, secret).await
    }

    /// SDK configuration for `region`: the region is what the SDK signs for, so it picks which of
    /// the emulator's regions the calls reach.
    pub async fn sdk_config_in(
        &self,
        region: &str,
        retry: RetryConfig,
        key: &str,
        secret: &str,
    ) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(key, secret, None, None, "emulator-tests"))
            .retry_config(retry)
            .load()
            .await
    }

    pub async fn sagemaker(&self) -> aws_sdk_sagemaker::Client {
        aws_sdk_sagemaker::Client::new(
            &self
                .sdk_config(RetryConfig::disabled(), TEST_KEY, TEST_SECRET)
                .await,
        )
    }

    pub async fn sagemaker_in(&self, region: &str) -> aws_sdk_sagemaker::Client {
        aws_sdk_sagemaker::Client::new(
            &self
                .sdk_config_in(region, RetryConfig::disabled(), TEST_KEY, TEST_SECRET)
                .await,
        )
    }

    pub async fn logs_in(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(
            &self
                .sdk_config_in(region, RetryConfig::disabled(), TEST_KEY, TEST_SECRET)
                .await,
        )
    }

    pub async fn autoscaling_in(&self, region: &str) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::new(
            &self
                .sdk_config_in(region, RetryConfig::disabled(), TEST_KEY, TEST_SECRET)
                .await,
        )
    }

    pub async fn sagemaker_with(
        &self,
        retry: RetryConfig,
        key: &str,
        secret: &str,
    ) -> aws_sdk_sagemaker::Client {
        aws_sdk_sagemaker::Client::new(&self.sdk_config(retry, key, secret).await)
    }

    pub async fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(
            &self
                .sdk_config(RetryConfig::disabled(), TEST_KEY, TEST_SECRET)
                .await,
        )
    }

    pub async fn runtime(&self) -> aws_sdk_sagemakerruntime::Client {
        aws_sdk_sagemakerruntime::Client::new(
            &self
                .sdk_config(RetryConfig::disabled(), TEST_KEY, TEST_SECRET)
                .await,
        )
    }

    /// A plain HTTP/1.1 request (the control API and hand-made protocol requests).
    pub fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let address = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to emulator");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("send request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        let status: u16 = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status line");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        (status, body)
    }

    pub fn control(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, text) = self.http(
            method,
            &format!("/_emulator/{path}"),
            &[("content-type", "application/json")],
            &body.to_string(),
        );
        assert_eq!(status, 200, "control {method} {path}: {text}");
        serde_json::from_str(&text).expect("control answers JSON")
    }

    pub fn calls(&self, operation: &str) -> u64 {
        self.control("GET", "calls", serde_json::Value::Null)[operation]
            .as_u64()
            .unwrap_or(0)
    }
}

/// Polls `probe` until it returns Some, failing after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub const DEADLINE: Duration = Duration::from_secs(10);
