//! HTTPS `/metrics`: TLS (see [`super::tls`]), then every request checked by
//! [`ScrapeAuthorizer`] before the metrics are rendered.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::auth::{Decision, METRICS_PATH, ScrapeAuthorizer};
use crate::http_server::{plain, serve_connection};

const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Binds `address` and serves until the process ends; returns the bound address (port 0 picks
/// a free one).
pub async fn serve(
    address: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    authorizer: Arc<ScrapeAuthorizer>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let acceptor = TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "metrics listener could not accept a connection");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let authorizer = authorizer.clone();
            tokio::spawn(async move {
                let stream = match acceptor.accept(stream).await {
                    Ok(stream) => stream,
                    Err(error) => {
                        tracing::debug!(%peer, %error, "metrics TLS handshake failed");
                        return;
                    }
                };
                let handler = move |request| respond(request, authorizer.clone());
                serve_connection(stream, peer, "metrics", handler).await;
            });
        }
    });
    Ok(bound)
}

async fn respond(
    request: Request<Incoming>,
    authorizer: Arc<ScrapeAuthorizer>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != METRICS_PATH {
        return Ok(plain(StatusCode::NOT_FOUND, "not found"));
    }
    let Some(token) = bearer_token(&request) else {
        return Ok(unauthorized("a bearer token is required"));
    };
    let response = match authorizer.decide(token).await {
        Ok(Decision::Allowed) => Response::builder()
            .status(StatusCode::OK)
            .header(CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)
            .body(Full::new(Bytes::from(super::global().render())))
            .expect("a valid response"),
        Ok(Decision::Unauthenticated) => unauthorized("the token was not accepted"),
        Ok(Decision::Forbidden) => plain(
            StatusCode::FORBIDDEN,
            "forbidden: get on /metrics is not allowed for this user",
        ),
        Ok(Decision::TooManyReviews) => {
            let mut response = plain(
                StatusCode::TOO_MANY_REQUESTS,
                "too many unknown tokens to review; retry later",
            );
            response.headers_mut().insert(
                hyper::header::RETRY_AFTER,
                hyper::header::HeaderValue::from_static("1"),
            );
            response
        }
        Err(error) => {
            tracing::warn!(%error, "could not review a metrics scrape with the apiserver");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the apiserver could not review the token",
            )
        }
    };
    Ok(response)
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
fn bearer_token<B>(request: &Request<B>) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unauthorized(message: &str) -> Response<Full<Bytes>> {
    let mut response = plain(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        hyper::header::HeaderValue::from_static("Bearer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_authorization(value: &str) -> Request<()> {
        Request::builder()
            .header(AUTHORIZATION, value)
            .body(())
            .unwrap()
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_nothing_else_counts() {
        assert_eq!(bearer_token(&with_authorization("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with_authorization("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with_authorization("Basic abc")), None);
        assert_eq!(bearer_token(&with_authorization("Bearer ")), None);
        assert_eq!(bearer_token(&Request::builder().body(()).unwrap()), None);
    }
}
