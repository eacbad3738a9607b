//! `/healthz` and `/readyz` for the kubelet's probes, and `check-serving` for `helm test`.
//!
//! - **Readiness** (`/readyz`): 200 once the Kubernetes and SageMaker clients are built — on the
//!   leader and on standbys alike (a standby serves probes and metrics and takes over when the
//!   Lease frees up), so a rollout of a leader-elected Deployment is not stuck waiting for a
//!   second leader. 503 before that, and again once shutdown has begun.
//! - **Liveness** (`/healthz`): 500 when the process can no longer do its work although it still
//!   answers: a controller's loop has ended while the process is not shutting down (its kind is
//!   no longer reconciled), or the runtime's heartbeat task has not run for
//!   [`STALL_LIMIT`] (workers blocked or starved). The kubelet then restarts the container.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::convert::Infallible;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use tokio::net::TcpListener;

use crate::http_server::{plain, serve_connection};

/// How often the heartbeat task runs.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A heartbeat older than this makes `/healthz` fail: far above any scheduling delay of a healthy
/// process on a loaded node, well below the kubelet's default restart decision (3 × 20 s).
pub const STALL_LIMIT: Duration = Duration::from_secs(30);

/// What the probes report; cheap to clone and share with the controllers' wiring.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

struct Inner {
    started: Instant,
    ready: AtomicBool,
    shutting_down: AtomicBool,
    /// Milliseconds since `started` of the last heartbeat.
    last_heartbeat_ms: AtomicU64,
    /// Controllers whose loop ended unexpectedly.
    stopped_controllers: Mutex<Vec<&'static str>>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                started: Instant::now(),
                ready: AtomicBool::new(false),
                shutting_down: AtomicBool::new(false),
                last_heartbeat_ms: AtomicU64::new(0),
                stopped_controllers: Mutex::new(Vec::new()),
            }),
        }
    }
}

impl Health {
    pub fn set_ready(&self) {
        self.inner.ready.store(true, Ordering::SeqCst);
    }

    /// From now on a controller loop ending is expected (SIGTERM, lost Lease), and not ready.
    pub fn set_shutting_down(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Runs `controller` and records when it ends while the process is not shutting down.
    pub async fn supervise(&self, kind: &'static str, controller: impl Future<Output = ()>) {
        controller.await;
        // On SIGTERM the controllers (kube's shutdown_on_signal) and the task that calls
        // set_shutting_down react to the same signal in no fixed order: give it a moment.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.inner.shutting_down.load(Ordering::SeqCst) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !self.inner.shutting_down.load(Ordering::SeqCst) {
            tracing::error!(
                kind,
                "controller stopped unexpectedly; /healthz now fails so the kubelet restarts the operator"
            );
            self.inner
                .stopped_controllers
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(kind);
        }
    }

    fn beat(&self) {
        let elapsed = self.inner.started.elapsed().as_millis() as u64;
        self.inner
            .last_heartbeat_ms
            .store(elapsed, Ordering::SeqCst);
    }

    fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::SeqCst) && !self.inner.shutting_down.load(Ordering::SeqCst)
    }

    /// `Ok` when alive, else why not (one line).
    fn liveness(&self) -> Result<(), String> {
        let stopped = self
            .inner
            .stopped_controllers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if !stopped.is_empty() {
            return Err(format!("controllers stopped: {}", stopped.join(", ")));
        }
        let last = Duration::from_millis(self.inner.last_heartbeat_ms.load(Ordering::SeqCst));
        let since = self.inner.started.elapsed().saturating_sub(last);
        if since > STALL_LIMIT {
            return Err(format!(
                "runtime stalled: no heartbeat for {}s",
                since.as_secs()
            ));
        }
        Ok(())
    }
}

/// Serves the probes; returns the bound address (port 0 picks a free one). Also starts the
/// heartbeat task that liveness watches.
pub async fn serve(address: SocketAddr, health: Health) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let heartbeat = health.clone();
    heartbeat.beat();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(HEARTBEAT);
        loop {
            interval.tick().await;
            heartbeat.beat();
        }
    });
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "probe listener could not accept a connection");
                    continue;
                }
            };
            let health = health.clone();
            let handler = move |request: Request<Incoming>| {
                let (status, body) = respond(&health, request.uri().path());
                std::future::ready(Ok::<_, Infallible>(plain(status, &body)))
            };
            tokio::spawn(serve_connection(stream, peer, "probes", handler));
        }
    });
    Ok(bound)
}

fn respond(health: &Health, path: &str) -> (StatusCode, String) {
    match path {
        "/healthz" => match health.liveness() {
            Ok(()) => (StatusCode::OK, "ok".into()),
            Err(reason) => (StatusCode::INTERNAL_SERVER_ERROR, reason),
        },
        "/readyz" if health.is_ready() => (StatusCode::OK, "ok".into()),
        "/readyz" => (StatusCode::SERVICE_UNAVAILABLE, "not ready".into()),
        _ => (StatusCode::NOT_FOUND, "not found".into()),
    }
}

/// The operator's CustomResourceDefinitions (`<plural>.<group>`) that the apiserver does not
/// serve: each kind is listed once (limit 1, in `namespace` or cluster-wide) and a 404 means its
/// CRD is not installed. Uses only the operator's own RBAC (no access to CRD objects needed).
pub async fn missing_crds(
    client: &kube::Client,
    namespace: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    use kube::api::{ApiResource, DynamicObject, ListParams};
    let mut missing = Vec::new();
    for crd in sagemaker_k8s_api::all_crds() {
        let names = &crd.spec.names;
        let version = crd
            .spec
            .versions
            .first()
            .map(|v| v.name.clone())
            .unwrap_or_else(|| "v1".into());
        let resource = ApiResource {
            group: crd.spec.group.clone(),
            version: version.clone(),
            api_version: format!("{}/{version}", crd.spec.group),
            kind: names.kind.clone(),
            plural: names.plural.clone(),
        };
        let api: kube::Api<DynamicObject> = match namespace {
            Some(namespace) => kube::Api::namespaced_with(client.clone(), namespace, &resource),
            None => kube::Api::all_with(client.clone(), &resource),
        };
        match api.list(&ListParams::default().limit(1)).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {
                missing.push(format!("{}.{}", names.plural, crd.spec.group))
            }
            Err(error) => {
                return Err(anyhow::Error::new(error).context(format!("listing {}", names.plural)));
            }
        }
    }
    Ok(missing)
}

/// `check-serving`: through the apiserver's pod proxy (no cluster DNS or Service routing
/// needed), asks `/readyz` of the operator's pods in `namespace` matching `selector`; succeeds
/// when at least one answers `ok`. What the chart's `helm test` hook runs.
pub async fn check_serving(namespace: &str, selector: &str, port: u16) -> anyhow::Result<String> {
    use anyhow::Context as _;
    use k8s_openapi::api::core::v1::Pod;
    let client = kube::Client::try_default()
        .await
        .context("building the Kubernetes client")?;
    let pods: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let list = pods
        .list(&kube::api::ListParams::default().labels(selector))
        .await
        .with_context(|| format!("listing pods {selector} in {namespace}"))?;
    let mut answers = Vec::new();
    for pod in list.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if pod
            .status
            .as_ref()
            .and_then(|status| status.phase.as_deref())
            != Some("Running")
        {
            answers.push(format!("{name}: not running"));
            continue;
        }
        let request = hyper::Request::get(format!(
            "/api/v1/namespaces/{namespace}/pods/{name}:{port}/proxy/readyz"
        ))
        .body(Vec::new())
        .context("building the proxy request")?;
        match client.request_text(request).await {
            Ok(body) if body.trim() == "ok" => {
                return Ok(format!("operator serving: pod {name} is ready"));
            }
            Ok(body) => answers.push(format!("{name}: {}", body.trim())),
            Err(error) => answers.push(format!("{name}: {error}")),
        }
    }
    if answers.is_empty() {
        anyhow::bail!("no operator pod matches {selector} in {namespace}");
    }
    anyhow::bail!("no operator pod is ready: {}", answers.join("; "))
}

/// `scrape-metrics`: GET `<url>/metrics` with this pod's ServiceAccount token, as a Prometheus
/// in the cluster would; succeeds on 200. For tests and for checking a scraper's RBAC by hand.
/// The endpoint's certificate is self-signed unless `--metrics-cert-dir` was given, so it is not
/// verified here: this checks authorization, not identity.
pub async fn scrape_metrics(url: &str) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let mut config =
        kube::Config::incluster().context("the pod's ServiceAccount token (run this in a pod)")?;
    config.cluster_url = url
        .parse()
        .with_context(|| format!("{url:?} is not a URL"))?;
    config.root_cert = None;
    config.accept_invalid_certs = true;
    let client = kube::Client::try_from(config).context("building the HTTPS client")?;
    let request = hyper::Request::get("/metrics")
        .body(Vec::new())
        .context("building the request")?;
    match client.request_text(request).await {
        Ok(body) => Ok(format!("metrics: HTTP 200, {} lines", body.lines().count())),
        Err(kube::Error::Api(status)) => anyhow::bail!("metrics: HTTP {}", status.code),
        Err(error) => anyhow::bail!("metrics: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_follows_start_up_and_shutdown() {
        let health = Health::default();
        assert_eq!(
            respond(&health, "/readyz").0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        health.set_ready();
        assert_eq!(respond(&health, "/readyz").0, StatusCode::OK);
        health.set_shutting_down();
        assert_eq!(
            respond(&health, "/readyz").0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn liveness_fails_when_a_controller_stops_unless_shutting_down() {
        let health = Health::default();
        health.beat();
        assert_eq!(respond(&health, "/healthz").0, StatusCode::OK);
        health.supervise("TrainingJob", async {}).await;
        let (code, body) = respond(&health, "/healthz");
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "controllers stopped: TrainingJob");

        let stopping = Health::default();
        stopping.beat();
        stopping.set_shutting_down();
        stopping.supervise("Model", async {}).await;
        assert_eq!(
            respond(&stopping, "/healthz").0,
            StatusCode::OK,
            "an ending during shutdown is expected"
        );
    }

    #[test]
    fn liveness_fails_when_the_heartbeat_is_stale() {
        let health = Health::default();
        health.beat();
        assert!(health.liveness().is_ok());
        // As if the heartbeat task last ran STALL_LIMIT + 5 s ago.
        let inner = &health.inner;
        let stale = Instant::now()
            .checked_sub(STALL_LIMIT + Duration::from_secs(5))
            .unwrap();
        let pretend_started = stale;
        let health = Health {
            inner: Arc::new(Inner {
                started: pretend_started,
                ready: AtomicBool::new(inner.ready.load(Ordering::SeqCst)),
                shutting_down: AtomicBool::new(false),
                last_heartbeat_ms: AtomicU64::new(0),
                stopped_controllers: Mutex::new(Vec::new()),
            }),
        };
        let reason = health.liveness().unwrap_err();
        assert!(
            reason.starts_with("runtime stalled: no heartbeat for 3"),
            "{reason}"
        );
        assert_eq!(
            respond(&health, "/healthz").0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[tokio::test]
    async fn the_heartbeat_keeps_a_served_process_alive() {
        let health = Health::default();
        let address = serve("127.0.0.1:0".parse().unwrap(), health.clone())
            .await
            .unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.ends_with("\r\n\r\nok\n"), "{response}");
    }
}
