//! What both of the operator's HTTP endpoints serve with — the probes in plain HTTP, the
//! metrics in HTTPS: hyper's HTTP/1 server on each accepted connection, and plain-text
//! responses.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

pub type Reply = Response<Full<Bytes>>;

/// Serves HTTP/1 requests on one connection (plain TCP or TLS) with `handler` until the peer
/// closes it; `what` names the endpoint in the debug log of a connection that ends badly.
pub async fn serve_connection<Io, Handler, Fut>(
    io: Io,
    peer: SocketAddr,
    what: &'static str,
    handler: Handler,
) where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    Handler: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Infallible>> + Send + 'static,
{
    if let Err(error) = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service_fn(handler))
        .await
    {
        tracing::debug!(%peer, %error, endpoint = what, "HTTP connection ended with an error");
    }
}

/// A `text/plain` response of `message` and a newline.
pub fn plain(status: StatusCode, message: &str) -> Reply {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(format!("{message}\n"))))
        .expect("a valid response")
}
