//! `/healthz` and `/readyz` for the kubelet's probes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Ready once the controllers run (Kubernetes client built, SageMaker clients loaded).
#[derive(Default, Clone)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Serves the probes; returns the bound address (port 0 picks a free one).
pub async fn serve(address: SocketAddr, readiness: Readiness) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let readiness = readiness.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 1024];
                let Ok(read) = stream.read(&mut buffer).await else { return };
                let request = String::from_utf8_lossy(&buffer[..read]);
                let path = request.split_whitespace().nth(1).unwrap_or("/");
                let (code, body) = match path {
                    "/healthz" => ("200 OK", "ok"),
                    "/readyz" if readiness.is_ready() => ("200 OK", "ok"),
                    "/readyz" => ("503 Service Unavailable", "not ready"),
                    _ => ("404 Not Found", "not found"),
                };
                let response = format!("HTTP/1.1 {code}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(bound)
}
