//! How the api serves connections: HTTP/1.1 with a bound on the time a client may take to send
//! a request's head (which is also how long an idle keep-alive connection is kept), and caps on
//! the head's size. A head over [`MAX_HEAD_BYTES`] or [`MAX_HEADERS`] is answered `431` with a
//! problem document; hyper's own bounds behind them (four times as much) close the rest with a
//! bare `431`.
//!
//! It must not wait on a client without a bound: every read of a request's head is timed.

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;

/// Most bytes of a request's head (target and headers) the api reads.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header fields in a request.
pub const MAX_HEADERS: usize = 64;
/// How long requests in progress may still take after a stop.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown`, then lets the requests in progress finish (for
/// up to 10 s). A client gets `head_timeout` to send each request's head, the first one and
/// every one after on a kept-alive connection; then the connection is closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    head_timeout: Duration,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .max_buf_size(4 * MAX_HEAD_BYTES)
        .max_headers(4 * MAX_HEADERS);
    let connections = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
        });
    }
    if tokio::time::timeout(DRAIN, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// Answers `431` with a problem document when the request's head is over the caps.
pub async fn cap_head(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let size = request.uri().to_string().len()
        + headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    if size > MAX_HEAD_BYTES || headers.len() > MAX_HEADERS {
        return ApiError::Rejected {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            detail: format!(
                "the request's target and headers may have at most {MAX_HEAD_BYTES} bytes and {MAX_HEADERS} fields"
            ),
        }
        .into_response();
    }
    next.run(request).await
}
