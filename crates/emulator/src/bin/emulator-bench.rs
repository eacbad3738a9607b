//! Benchmark of the emulator binary: DescribeTrainingJob calls per second over keep-alive
//! connections, and resident memory with N training jobs. Prints numbers; asserts nothing.
//!
//! Run (debug build is fine for memory; use a release build for throughput):
//!   cargo build -p sagemaker-emulator [--release]
//!   target/<profile>/emulator-bench [--jobs 10000] [--seconds 5] [--connections 8] [--core 0]
//!
//! The server is started under `taskset -c <core>` with `--worker-threads 1` (a current-thread
//! runtime), so it gets exactly one core; the load generator runs on the other cores.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
#[command(
    name = "emulator-bench",
    about = "Throughput and memory benchmark of sagemaker-emulator"
)]
struct Args {
    /// The emulator binary (default: sagemaker-emulator next to this binary).
    #[arg(long)]
    emulator: Option<std::path::PathBuf>,
    /// Training jobs to create before measuring.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Seconds of DescribeTrainingJob load.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// CPU core the server is pinned to with taskset (skipped when taskset is missing).
    #[arg(long, default_value_t = 0)]
    core: usize,
}

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the emulator answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("malformed HTTP response")]
    Malformed,
}

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(args: &Args) -> Result<Server, BenchError> {
    let emulator = args.emulator.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .expect("own path")
            .with_file_name("sagemaker-emulator")
    });
    let emulator_args = [
        "--listen",
        "127.0.0.1:0",
        "--worker-threads",
        "1",
        "--log-level",
        "warn",
        "--time-scale",
        "1",
    ];
    let pinned = Command::new("taskset").arg("--version").output().is_ok();
    let mut command = if pinned {
        let mut command = Command::new("taskset");
        command.arg("-c").arg(args.core.to_string()).arg(&emulator);
        command
    } else {
        eprintln!("taskset not found: the server is not pinned to one core");
        Command::new(&emulator)
    };
    let mut child = command.args(emulator_args).stdout(Stdio::piped()).spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or(BenchError::Malformed)?).read_line(&mut line)?;
    let address = line.trim().trim_start_matches("http://").to_string();
    Ok(Server { child, address })
}

/// One keep-alive HTTP/1.1 connection speaking just enough of the protocol for the benchmark.
struct Connection {
    stream: TcpStream,
    address: String,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(address: &str) -> Result<Connection, BenchError> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            address: address.to_string(),
            buffer: Vec::with_capacity(16 * 1024),
        })
    }

    async fn call(&mut self, target: &str, body: &str) -> Result<Vec<u8>, BenchError> {
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\n\
X-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n\
Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await?;
        self.buffer.clear();
        let header_end = loop {
            let mut chunk = [0u8; 8192];
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(BenchError::Malformed);
            }
            self.buffer.extend_from_slice(&chunk[..read]);
            if let Some(position) = self
                .buffer
                .windows(4)
                .position(|window| window == b"\r\n\r\n")
            {
                break position + 4;
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..header_end]).to_string();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or(BenchError::Malformed)?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_string())
            })
            .and_then(|v| v.parse().ok())
            .ok_or(BenchError::Malformed)?;
        while self.buffer.len() < header_end + length {
            let mut chunk = [0u8; 8192];
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(BenchError::Malformed);
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
        let body = self.buffer[header_end..header_end + length].to_vec();
        if status != 200 {
            return Err(BenchError::Status {
                status,
                body: String::from_utf8_lossy(&body).to_string(),
            });
        }
        Ok(body)
    }
}

fn training_request(name: &str) -> String {
    serde_json::json!({
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{ "Name": "validation:error", "Regex": "validation-error:([0-9.]+)" }]
        },
        "RoleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
        "HyperParameters": { "max_depth": "5", "eta": "0.2", "gamma": "4", "min_child_weight": "6", "num_round": "10", "objective": "multi:softmax", "num_class": "10" },
        "InputDataConfig": [
            { "ChannelName": "train", "ContentType": "text/csv", "CompressionType": "None",
              "DataSource": { "S3DataSource": { "S3DataType": "S3Prefix", "S3Uri": "s3://my-bucket/sagemaker/xgboost-mnist/train/", "S3DataDistributionType": "FullyReplicated" } } },
            { "ChannelName": "validation", "ContentType": "text/csv", "CompressionType": "None",
              "DataSource": { "S3DataSource": { "S3DataType": "S3Prefix", "S3Uri": "s3://my-bucket/sagemaker/xgboost-mnist/validation/", "S3DataDistributionType": "FullyReplicated" } } }
        ],
        "OutputDataConfig": { "S3OutputPath": "s3://my-bucket/sagemaker/xgboost-mnist/xgboost/" },
        "ResourceConfig": { "InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5 },
        "StoppingCondition": { "MaxRuntimeInSeconds": 86400 },
        "Tags": [{ "Key": "sagemaker.aws.amazon.com/kubernetes-namespace", "Value": "default" }]
    })
    .to_string()
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let server = start_server(&args)?;
    let pid = server.child.id();
    let baseline = rss_kib(pid).unwrap_or(0);
    println!(
        "emulator pid {pid} at {} (pinned to core {}, --worker-threads 1)",
        server.address, args.core
    );
    println!("RSS at start: {:.1} MiB", baseline as f64 / 1024.0);

    let started = Instant::now();
    let per_connection = args.jobs.div_ceil(args.connections.max(1));
    let mut creators = Vec::new();
    for worker in 0..args.connections.max(1) {
        let address = server.address.clone();
        let range = (worker * per_connection)..((worker + 1) * per_connection).min(args.jobs);
        creators.push(tokio::spawn(async move {
            let mut connection = Connection::open(&address).await?;
            for index in range {
                connection
                    .call(
                        "SageMaker.CreateTrainingJob",
                        &training_request(&format!("bench-job-{index:06}")),
                    )
                    .await?;
            }
            Ok::<(), BenchError>(())
        }));
    }
    for creator in creators {
        creator.await??;
    }
    let created_in = started.elapsed();
    let rss = rss_kib(pid).unwrap_or(0);
    println!(
        "created {} training jobs in {:.2} s ({:.0}/s); RSS {:.1} MiB ({:.1} MiB above start, {:.0} bytes per job)",
        args.jobs,
        created_in.as_secs_f64(),
        args.jobs as f64 / created_in.as_secs_f64(),
        rss as f64 / 1024.0,
        (rss.saturating_sub(baseline)) as f64 / 1024.0,
        (rss.saturating_sub(baseline) * 1024) as f64 / args.jobs.max(1) as f64
    );

    let calls = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut loaders = Vec::new();
    for worker in 0..args.connections.max(1) {
        let (address, calls, stop, jobs) = (
            server.address.clone(),
            calls.clone(),
            stop.clone(),
            args.jobs.max(1),
        );
        loaders.push(tokio::spawn(async move {
            let mut connection = Connection::open(&address).await?;
            let mut index = worker * 7919;
            while !stop.load(Ordering::Relaxed) {
                index = (index + 104_729) % jobs;
                let body = format!("{{\"TrainingJobName\":\"bench-job-{index:06}\"}}");
                connection
                    .call("SageMaker.DescribeTrainingJob", &body)
                    .await?;
                calls.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), BenchError>(())
        }));
    }
    let load_started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = load_started.elapsed();
    for loader in loaders {
        loader.await??;
    }
    let total = calls.load(Ordering::Relaxed);
    println!(
        "DescribeTrainingJob: {total} calls in {:.2} s over {} keep-alive connections = {:.0} calls/s",
        elapsed.as_secs_f64(),
        args.connections,
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "RSS after load: {:.1} MiB",
        rss_kib(pid).unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}
